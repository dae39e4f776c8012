// Polymarket's per-signer trading rate limits (docs `api-reference/trading-rate-limits`, in force
// since 2026-07-24): one token bucket for orders and one for cancels per signer address, sized by
// the account's volume tier. Shared by the simulator (which enforces them) and execution (which
// budgets against them), so both read the same table.
//
// Costs: POST /order 1, POST /orders = orders in the batch, DELETE /order 1, DELETE /orders = ids
// sent, DELETE /cancel-all and /cancel-market-orders = 1 up front + 1 per order cancelled. A
// request is admitted whole or not at all; one costing more than the burst can never be admitted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace clobmaker::polymarket {

enum class RateTier : uint8_t { kStandard, kCopper, kBronze, kSilver, kGold, kPlatinum, kDiamond, kElite };
inline constexpr int kRateTierCount = 8;

struct TierLimits {
  int order_rate = 0;   // tokens per second
  int order_burst = 0;  // bucket capacity
  int cancel_rate = 0;
  int cancel_burst = 0;
  bool cancel_debt = false;  // the cancel balance may go negative (cancel-all's per-order charge)
};

const TierLimits& LimitsOf(RateTier tier);
std::string_view RateTierName(RateTier tier);  // "Standard", "Copper", ...
// Case-insensitive; nullopt for anything else.
std::optional<RateTier> ParseRateTier(std::string_view text);

enum class RateBucket : uint8_t { kOrders, kCancels };
std::string_view RateBucketName(RateBucket bucket);

// The Poly-RateLimit-* headers of one answer. `present` when any of them was there; `garbled` when
// one was there but unreadable (then the caller keeps its own figures and counts it).
struct RateLimitHeaders {
  bool present = false;
  bool garbled = false;
  std::optional<double> remaining;  // Poly-RateLimit-Remaining: tokens left (negative: cancel debt)
  std::optional<int64_t> reset_ms;  // Poly-RateLimit-Reset: estimated end of the wait (unix; s or ms)
  std::optional<RateTier> tier;     // Poly-RateLimit-Tier
  bool warning = false;             // Poly-RateLimit-Warning: true (warning mode: would be refused)
};
RateLimitHeaders ParseRateLimitHeaders(const std::vector<std::pair<std::string, std::string>>& headers);

// The bucket a trading endpoint draws from; nullopt for every other route.
std::optional<RateBucket> BucketOfRoute(std::string_view method, std::string_view path);

}  // namespace clobmaker::polymarket
