// An unsigned 256-bit integer: Polymarket token ids, EIP-712 uint256 fields, CTF position ids.
//
// Only what the protocol needs: exact decimal and hex parsing/formatting, big-endian 32-byte
// encoding (ABI words), comparison, and small arithmetic used by amount computations.
#pragma once

#include <absl/status/statusor.h>

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

namespace clobmaker {

class Uint256 {
 public:
  constexpr Uint256() = default;
  constexpr Uint256(uint64_t v) : limbs_{v, 0, 0, 0} {}  // NOLINT(google-explicit-constructor)

  // Decimal digits only (no sign, no spaces, no leading "+"); overflow beyond 2^256-1 and empty
  // input are InvalidArgument.
  static absl::StatusOr<Uint256> FromDecimal(std::string_view text);
  // Hex with optional 0x prefix, at most 64 digits.
  static absl::StatusOr<Uint256> FromHex(std::string_view text);
  static Uint256 FromBigEndian(const std::array<uint8_t, 32>& bytes);

  std::string ToDecimal() const;
  // "0x" + 64 lowercase hex digits.
  std::string ToHex() const;
  std::array<uint8_t, 32> ToBigEndian() const;
  void WriteBigEndian(uint8_t* out32) const;

  bool IsZero() const { return (limbs_[0] | limbs_[1] | limbs_[2] | limbs_[3]) == 0; }
  bool FitsUint64() const { return (limbs_[1] | limbs_[2] | limbs_[3]) == 0; }
  uint64_t Low64() const { return limbs_[0]; }

  friend bool operator==(const Uint256&, const Uint256&) = default;
  friend std::strong_ordering operator<=>(const Uint256& a, const Uint256& b);

  // Multiply by a small factor and add a small term; returns false on overflow.
  bool MulAddSmall(uint64_t factor, uint64_t addend);
  // Divides in place by a small divisor (> 0), returning the remainder.
  uint64_t DivSmall(uint64_t divisor);

  size_t Hash() const;

 private:
  std::array<uint64_t, 4> limbs_{};  // little-endian limbs
};

struct Uint256Hash {
  size_t operator()(const Uint256& v) const { return v.Hash(); }
};

}  // namespace clobmaker
