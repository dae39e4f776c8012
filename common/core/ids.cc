#include "common/core/ids.h"

#include <fmt/core.h>

namespace clobmaker {

std::string MakeUuidV4(Rng& rng) {
  uint64_t hi = rng.Next();
  uint64_t lo = rng.Next();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) out += '-';
    const uint64_t word = i < 16 ? hi : lo;
    const int shift = 60 - 4 * (i % 16);
    out += kDigits[(word >> shift) & 0xf];
  }
  return out;
}

bool IsUuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

std::string TradeDedupeKey(std::string_view trade_id, std::string_view status) {
  return fmt::format("trade:{}:{}", trade_id, status);
}

std::string OrderDedupeKey(std::string_view order_id, std::string_view event_type, int64_t size_matched) {
  return fmt::format("order:{}:{}:{}", order_id, event_type, size_matched);
}

}  // namespace clobmaker
