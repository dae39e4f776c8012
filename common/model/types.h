// The trading vocabulary in integers.
//
//   Price   : units of 10^-4 (every Polymarket tick - 0.1, 0.01, 0.005, 0.0025, 0.001, 0.0001 -
//             is a whole number of units). Valid prices lie in [0, 1].
//   Size    : outcome-token shares in units of 10^-6 (the tokens' on-chain decimals).
//   Amount  : collateral (pUSD) in units of 10^-6.
//   TickSize: one of the six tick sizes, with grid and rounding helpers.
//   Side, TokenId (uint256), OrderId (32-byte EIP-712 order hash).
//
// Decimal strings appear only at the protocol boundary through Parse()/ToString().
#pragma once

#include <absl/status/statusor.h>

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/core/uint256.h"

namespace clobmaker::model {

inline constexpr int kPriceScale = 4;
inline constexpr int64_t kPriceOne = 10'000;  // 1.0 in price units
inline constexpr int kQuantityScale = 6;
inline constexpr int64_t kQuantityOne = 1'000'000;

class Price {
 public:
  constexpr Price() = default;
  constexpr explicit Price(int64_t units) : units_(units) {}
  // Parses "0.48", ".48", "1"; anything outside [0, 1] or finer than 0.0001 is an error.
  static absl::StatusOr<Price> Parse(std::string_view text);
  constexpr int64_t units() const { return units_; }
  // The complementary outcome's price: 1 - p.
  constexpr Price Complement() const { return Price(kPriceOne - units_); }
  std::string ToString() const;
  friend constexpr auto operator<=>(const Price&, const Price&) = default;

 private:
  int64_t units_ = 0;
};

// Shares of an outcome token.
class Size {
 public:
  constexpr Size() = default;
  constexpr explicit Size(int64_t micros) : micros_(micros) {}
  // Non-negative decimal with at most 6 decimals.
  static absl::StatusOr<Size> Parse(std::string_view text);
  static constexpr Size FromWhole(int64_t shares) { return Size(shares * kQuantityOne); }
  constexpr int64_t micros() const { return micros_; }
  std::string ToString() const;
  friend constexpr auto operator<=>(const Size&, const Size&) = default;
  constexpr Size operator+(Size o) const { return Size(micros_ + o.micros_); }
  constexpr Size operator-(Size o) const { return Size(micros_ - o.micros_); }

 private:
  int64_t micros_ = 0;
};

// Collateral (pUSD). May be negative (P&L, deltas).
class Amount {
 public:
  constexpr Amount() = default;
  constexpr explicit Amount(int64_t micros) : micros_(micros) {}
  static absl::StatusOr<Amount> Parse(std::string_view text);  // sign allowed
  constexpr int64_t micros() const { return micros_; }
  std::string ToString() const;
  friend constexpr auto operator<=>(const Amount&, const Amount&) = default;
  constexpr Amount operator+(Amount o) const { return Amount(micros_ + o.micros_); }
  constexpr Amount operator-(Amount o) const { return Amount(micros_ - o.micros_); }

 private:
  int64_t micros_ = 0;
};

enum class Rounding { kDown, kUp };

// size x price in collateral micros, rounded as asked (exact when the product is whole).
Amount Notional(Size size, Price price, Rounding rounding = Rounding::kDown);

class TickSize {
 public:
  // The six tick sizes the exchange uses, in price units.
  static constexpr int64_t kAllowedUnits[] = {1000, 100, 50, 25, 10, 1};

  constexpr TickSize() = default;
  // Refuses anything but the six allowed ticks.
  static absl::StatusOr<TickSize> FromUnits(int64_t units);
  static absl::StatusOr<TickSize> Parse(std::string_view text);  // "0.01"
  static TickSize Cent() { return TickSize(100); }

  constexpr int64_t units() const { return units_; }
  std::string ToString() const;
  // Decimals of a price on this grid ("price" column of the official rounding table).
  int PriceDecimals() const;
  // Decimals of a notional amount ("amount" column): price decimals + 2.
  int AmountDecimals() const { return PriceDecimals() + 2; }

  bool IsOnGrid(Price p) const { return p.units() % units_ == 0; }
  // Valid order prices: [tick, 1 - tick] on the grid.
  bool IsValidOrderPrice(Price p) const {
    return IsOnGrid(p) && p.units() >= units_ && p.units() <= kPriceOne - units_;
  }
  Price MinPrice() const { return Price(units_); }
  Price MaxPrice() const { return Price(kPriceOne - units_); }
  Price RoundDown(Price p) const;
  Price RoundUp(Price p) const;
  // Half-up to the nearest grid point.
  Price RoundNearest(Price p) const;
  // Grid index: price / tick (price must be on the grid for an exact result).
  int64_t ToTicks(Price p) const { return p.units() / units_; }
  Price FromTicks(int64_t ticks) const { return Price(ticks * units_); }

  friend constexpr bool operator==(const TickSize&, const TickSize&) = default;

 private:
  constexpr explicit TickSize(int64_t units) : units_(units) {}
  int64_t units_ = 100;
};

enum class Side : uint8_t { kBuy = 0, kSell = 1 };

// "BUY"/"SELL" (case-insensitive on input; upper case on output).
absl::StatusOr<Side> ParseSide(std::string_view text);
std::string_view SideName(Side side);
constexpr Side Opposite(Side side) { return side == Side::kBuy ? Side::kSell : Side::kBuy; }

// An outcome token id: a uint256 written in decimal on the wire.
class TokenId {
 public:
  TokenId() = default;
  explicit TokenId(Uint256 value) : value_(value) {}
  static absl::StatusOr<TokenId> Parse(std::string_view decimal);
  const Uint256& value() const { return value_; }
  std::string ToString() const { return value_.ToDecimal(); }
  friend bool operator==(const TokenId&, const TokenId&) = default;
  friend auto operator<=>(const TokenId& a, const TokenId& b) { return a.value_ <=> b.value_; }

 private:
  Uint256 value_;
};

// An order id: the order's 32-byte EIP-712 hash, "0x" + 64 lowercase hex on the wire.
class OrderId {
 public:
  OrderId() = default;
  explicit OrderId(const std::array<uint8_t, 32>& bytes) : bytes_(bytes) {}
  static absl::StatusOr<OrderId> Parse(std::string_view hex);
  const std::array<uint8_t, 32>& bytes() const { return bytes_; }
  std::string ToString() const;
  bool IsZero() const;
  friend bool operator==(const OrderId&, const OrderId&) = default;
  friend auto operator<=>(const OrderId&, const OrderId&) = default;

 private:
  std::array<uint8_t, 32> bytes_{};
};

}  // namespace clobmaker::model

template <>
struct std::hash<clobmaker::model::TokenId> {
  size_t operator()(const clobmaker::model::TokenId& t) const { return t.value().Hash(); }
};
template <>
struct std::hash<clobmaker::model::OrderId> {
  // Every byte counts: ids are keccak digests in production, but tests and tools make
  // counter-like ids, and those must not all collide.
  size_t operator()(const clobmaker::model::OrderId& id) const {
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (size_t word = 0; word < 4; ++word) {
      uint64_t w = 0;
      for (size_t i = 0; i < 8; ++i) w = (w << 8) | id.bytes()[word * 8 + i];
      h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
      h ^= h >> 31;
    }
    return static_cast<size_t>(h);
  }
};
