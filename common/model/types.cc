#include "common/model/types.h"

#include <fmt/core.h>

#include "common/core/hex.h"
#include "common/core/int128.h"
#include "common/core/status.h"
#include "common/model/decimal.h"

namespace clobmaker::model {
namespace {
bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}
}  // namespace

absl::StatusOr<Price> Price::Parse(std::string_view text) {
  auto units = ParseScaled(text, kPriceScale, {.allow_negative = false, .max_units = kPriceOne});
  if (!units.ok()) return Annotate(units.status(), "price");
  return Price(*units);
}

std::string Price::ToString() const { return FormatScaled(units_, kPriceScale); }

absl::StatusOr<Size> Size::Parse(std::string_view text) {
  auto micros = ParseScaled(text, kQuantityScale);
  if (!micros.ok()) return Annotate(micros.status(), "size");
  return Size(*micros);
}

std::string Size::ToString() const { return FormatScaled(micros_, kQuantityScale); }

absl::StatusOr<Amount> Amount::Parse(std::string_view text) {
  auto micros = ParseScaled(text, kQuantityScale, {.allow_negative = true});
  if (!micros.ok()) return Annotate(micros.status(), "amount");
  return Amount(*micros);
}

std::string Amount::ToString() const { return FormatScaled(micros_, kQuantityScale); }

Amount Notional(Size size, Price price, Rounding rounding) {
  const Int128 product = static_cast<Int128>(size.micros()) * price.units();
  Int128 micros = product / kPriceOne;
  if (rounding == Rounding::kUp && product % kPriceOne != 0) micros += 1;
  return Amount(static_cast<int64_t>(micros));
}

absl::StatusOr<TickSize> TickSize::FromUnits(int64_t units) {
  for (int64_t allowed : kAllowedUnits) {
    if (units == allowed) return TickSize(units);
  }
  return absl::InvalidArgumentError(fmt::format(
      "unsupported tick size {} (allowed: 0.1, 0.01, 0.005, 0.0025, 0.001, 0.0001)", FormatScaled(units, kPriceScale)));
}

absl::StatusOr<TickSize> TickSize::Parse(std::string_view text) {
  auto units = ParseScaled(text, kPriceScale, {.allow_negative = false, .max_units = kPriceOne});
  if (!units.ok()) return Annotate(units.status(), "tick size");
  return FromUnits(*units);
}

std::string TickSize::ToString() const { return FormatScaled(units_, kPriceScale); }

int TickSize::PriceDecimals() const {
  switch (units_) {
    case 1000:
      return 1;
    case 100:
      return 2;
    case 50:
      return 3;
    case 25:
      return 4;
    case 10:
      return 3;
    default:
      return 4;
  }
}

Price TickSize::RoundDown(Price p) const { return Price(p.units() / units_ * units_); }

Price TickSize::RoundUp(Price p) const { return Price((p.units() + units_ - 1) / units_ * units_); }

Price TickSize::RoundNearest(Price p) const { return Price((p.units() + units_ / 2) / units_ * units_); }

absl::StatusOr<Side> ParseSide(std::string_view text) {
  if (EqualsIgnoreCase(text, "BUY")) return Side::kBuy;
  if (EqualsIgnoreCase(text, "SELL")) return Side::kSell;
  return absl::InvalidArgumentError(fmt::format("side must be BUY or SELL, got '{}'", text));
}

std::string_view SideName(Side side) { return side == Side::kBuy ? "BUY" : "SELL"; }

absl::StatusOr<TokenId> TokenId::Parse(std::string_view decimal) {
  auto value = Uint256::FromDecimal(decimal);
  if (!value.ok()) return Annotate(value.status(), "token id");
  return TokenId(*value);
}

absl::StatusOr<OrderId> OrderId::Parse(std::string_view hex) {
  std::array<uint8_t, 32> bytes{};
  if (!(hex.size() == 66 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))) {
    return absl::InvalidArgumentError(fmt::format("order id must be 0x + 64 hex digits, got '{}'", hex));
  }
  absl::Status status = HexDecodeInto(hex, bytes);
  if (!status.ok()) return Annotate(status, "order id");
  return OrderId(bytes);
}

std::string OrderId::ToString() const { return HexEncode(bytes_); }

bool OrderId::IsZero() const {
  for (uint8_t b : bytes_) {
    if (b != 0) return false;
  }
  return true;
}

}  // namespace clobmaker::model
