#include "common/polymarket/rate_limits.h"

#include <array>
#include <charconv>
#include <cmath>

namespace clobmaker::polymarket {
namespace {

struct TierRow {
  std::string_view name;
  TierLimits limits;
};

// The table of the docs page (mirrored by polyoxide docs/specs/clob/trading-rate-limits.md).
constexpr std::array<TierRow, kRateTierCount> kTiers = {{
    {"Standard", {40, 60, 80, 120, true}},
    {"Copper", {60, 90, 120, 180, true}},
    {"Bronze", {80, 120, 160, 240, true}},
    {"Silver", {200, 300, 400, 600, true}},
    {"Gold", {400, 600, 800, 1200, true}},
    {"Platinum", {450, 675, 900, 1350, false}},
    {"Diamond", {525, 787, 1050, 1575, false}},
    {"Elite", {600, 900, 1200, 1800, false}},
}};

char LowerChar(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (LowerChar(a[i]) != LowerChar(b[i])) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

const TierLimits& LimitsOf(RateTier tier) { return kTiers[static_cast<size_t>(tier)].limits; }

std::string_view RateTierName(RateTier tier) { return kTiers[static_cast<size_t>(tier)].name; }

std::optional<RateTier> ParseRateTier(std::string_view text) {
  text = Trim(text);
  for (size_t i = 0; i < kTiers.size(); ++i) {
    if (EqualsIgnoreCase(text, kTiers[i].name)) return static_cast<RateTier>(i);
  }
  return std::nullopt;
}

std::string_view RateBucketName(RateBucket bucket) { return bucket == RateBucket::kOrders ? "orders" : "cancels"; }

RateLimitHeaders ParseRateLimitHeaders(const std::vector<std::pair<std::string, std::string>>& headers) {
  RateLimitHeaders out;
  for (const auto& [name, raw] : headers) {
    const std::string_view value = Trim(raw);
    if (EqualsIgnoreCase(name, "Poly-RateLimit-Remaining")) {
      out.present = true;
      double v = 0;
      const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec != std::errc() || ptr != value.data() + value.size() || !std::isfinite(v) || std::abs(v) > 1e9) {
        out.garbled = true;
      } else {
        out.remaining = v;
      }
    } else if (EqualsIgnoreCase(name, "Poly-RateLimit-Reset")) {
      out.present = true;
      // A unix timestamp; seconds (possibly fractional) or milliseconds.
      double v = 0;
      const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec != std::errc() || ptr != value.data() + value.size() || !std::isfinite(v) || v < 0 || v > 1e14) {
        out.garbled = true;
      } else {
        out.reset_ms = static_cast<int64_t>(v > 1e11 ? v : v * 1000.0);
      }
    } else if (EqualsIgnoreCase(name, "Poly-RateLimit-Tier")) {
      out.present = true;
      out.tier = ParseRateTier(value);
      if (!out.tier) out.garbled = true;
    } else if (EqualsIgnoreCase(name, "Poly-RateLimit-Warning")) {
      out.present = true;
      out.warning = EqualsIgnoreCase(value, "true");
    }
  }
  return out;
}

std::optional<RateBucket> BucketOfRoute(std::string_view method, std::string_view path) {
  if (method == "POST" && (path == "/order" || path == "/orders")) return RateBucket::kOrders;
  if (method == "DELETE" &&
      (path == "/order" || path == "/orders" || path == "/cancel-all" || path == "/cancel-market-orders")) {
    return RateBucket::kCancels;
  }
  return std::nullopt;
}

}  // namespace clobmaker::polymarket
