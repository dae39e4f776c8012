#include "common/core/uint256.h"

#include <algorithm>

#include "common/core/hex.h"
#include "common/core/int128.h"

namespace clobmaker {

std::strong_ordering operator<=>(const Uint256& a, const Uint256& b) {
  for (int i = 3; i >= 0; --i) {
    if (a.limbs_[i] != b.limbs_[i]) return a.limbs_[i] <=> b.limbs_[i];
  }
  return std::strong_ordering::equal;
}

bool Uint256::MulAddSmall(uint64_t factor, uint64_t addend) {
  UInt128 carry = addend;
  for (uint64_t& limb : limbs_) {
    const UInt128 product = static_cast<UInt128>(limb) * factor + carry;
    limb = static_cast<uint64_t>(product);
    carry = product >> 64;
  }
  return carry == 0;
}

uint64_t Uint256::DivSmall(uint64_t divisor) {
  UInt128 remainder = 0;
  for (int i = 3; i >= 0; --i) {
    const UInt128 current = (remainder << 64) | limbs_[i];
    limbs_[i] = static_cast<uint64_t>(current / divisor);
    remainder = current % divisor;
  }
  return static_cast<uint64_t>(remainder);
}

absl::StatusOr<Uint256> Uint256::FromDecimal(std::string_view text) {
  if (text.empty()) return absl::InvalidArgumentError("empty integer");
  if (text.size() > 78) return absl::InvalidArgumentError("integer exceeds 256 bits");
  Uint256 value;
  for (char c : text) {
    if (c < '0' || c > '9') return absl::InvalidArgumentError("integer has a non-digit character");
    if (!value.MulAddSmall(10, static_cast<uint64_t>(c - '0'))) {
      return absl::InvalidArgumentError("integer exceeds 256 bits");
    }
  }
  return value;
}

absl::StatusOr<Uint256> Uint256::FromHex(std::string_view text) {
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) text.remove_prefix(2);
  if (text.empty() || text.size() > 64) return absl::InvalidArgumentError("hex integer must have 1 to 64 digits");
  std::string padded(64 - text.size(), '0');
  padded.append(text);
  std::array<uint8_t, 32> bytes{};
  absl::Status status = HexDecodeInto(padded, bytes);
  if (!status.ok()) return status;
  return FromBigEndian(bytes);
}

Uint256 Uint256::FromBigEndian(const std::array<uint8_t, 32>& bytes) {
  Uint256 value;
  for (int limb = 0; limb < 4; ++limb) {
    uint64_t word = 0;
    for (int i = 0; i < 8; ++i) word = (word << 8) | bytes[static_cast<size_t>((3 - limb) * 8 + i)];
    value.limbs_[static_cast<size_t>(limb)] = word;
  }
  return value;
}

void Uint256::WriteBigEndian(uint8_t* out32) const {
  for (int limb = 0; limb < 4; ++limb) {
    uint64_t word = limbs_[static_cast<size_t>(limb)];
    for (int i = 7; i >= 0; --i) {
      out32[(3 - limb) * 8 + i] = static_cast<uint8_t>(word);
      word >>= 8;
    }
  }
}

std::array<uint8_t, 32> Uint256::ToBigEndian() const {
  std::array<uint8_t, 32> out{};
  WriteBigEndian(out.data());
  return out;
}

std::string Uint256::ToDecimal() const {
  if (IsZero()) return "0";
  Uint256 value = *this;
  std::string digits;
  while (!value.IsZero()) digits += static_cast<char>('0' + value.DivSmall(10));
  std::reverse(digits.begin(), digits.end());
  return digits;
}

std::string Uint256::ToHex() const {
  const auto bytes = ToBigEndian();
  return HexEncode(bytes);
}

size_t Uint256::Hash() const {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (uint64_t limb : limbs_) h = (h ^ limb) * 0x100000001b3ULL;
  return static_cast<size_t>(h);
}

}  // namespace clobmaker
