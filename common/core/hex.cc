#include "common/core/hex.h"

#include <fmt/core.h>

namespace clobmaker {
namespace {
int Nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
std::string_view StripPrefix(std::string_view text) {
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) text.remove_prefix(2);
  return text;
}
}  // namespace

std::string HexEncode(std::span<const uint8_t> bytes, bool prefix) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2 + 2);
  if (prefix) out += "0x";
  for (uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xf];
  }
  return out;
}

absl::Status HexDecodeInto(std::string_view text, std::span<uint8_t> out) {
  const std::string_view digits = StripPrefix(text);
  if (digits.size() != out.size() * 2) {
    return absl::InvalidArgumentError(fmt::format("expected {} hex digits, got {}", out.size() * 2, digits.size()));
  }
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = Nibble(digits[2 * i]);
    const int lo = Nibble(digits[2 * i + 1]);
    if (hi < 0 || lo < 0) return absl::InvalidArgumentError("invalid hex digit");
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint8_t>> HexDecode(std::string_view text) {
  const std::string_view digits = StripPrefix(text);
  if (digits.size() % 2 != 0) return absl::InvalidArgumentError("odd number of hex digits");
  std::vector<uint8_t> out(digits.size() / 2);
  absl::Status status = HexDecodeInto(digits, out);
  if (!status.ok()) return status;
  return out;
}

}  // namespace clobmaker
