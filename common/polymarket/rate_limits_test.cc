#include "common/polymarket/rate_limits.h"

#include <gtest/gtest.h>

namespace clobmaker::polymarket {
namespace {

TEST(RateTiers, TheDocumentedTable) {
  // docs api-reference/trading-rate-limits (and polyoxide's mirror, fetched 2026-08-05).
  EXPECT_EQ(LimitsOf(RateTier::kStandard).order_rate, 40);
  EXPECT_EQ(LimitsOf(RateTier::kStandard).order_burst, 60);
  EXPECT_EQ(LimitsOf(RateTier::kStandard).cancel_rate, 80);
  EXPECT_EQ(LimitsOf(RateTier::kStandard).cancel_burst, 120);
  EXPECT_TRUE(LimitsOf(RateTier::kGold).cancel_debt);
  EXPECT_EQ(LimitsOf(RateTier::kGold).cancel_burst, 1200);
  EXPECT_FALSE(LimitsOf(RateTier::kPlatinum).cancel_debt);
  EXPECT_EQ(LimitsOf(RateTier::kDiamond).order_burst, 787);
  EXPECT_EQ(LimitsOf(RateTier::kElite).cancel_burst, 1800);
  for (int i = 0; i < kRateTierCount; ++i) {
    const auto tier = static_cast<RateTier>(i);
    EXPECT_EQ(ParseRateTier(RateTierName(tier)), tier);
  }
  EXPECT_EQ(ParseRateTier(" silver "), RateTier::kSilver);
  EXPECT_FALSE(ParseRateTier("Mythril").has_value());
}

TEST(RateLimitHeaders, ParsedWhateverTheCaseAndCountedWhenGarbled) {
  auto h = ParseRateLimitHeaders({{"poly-ratelimit-remaining", "-12.5"},
                                  {"Poly-RateLimit-Reset", "1767225600"},
                                  {"Poly-RateLimit-Tier", "Copper"},
                                  {"Poly-RateLimit-Warning", "true"},
                                  {"Content-Type", "application/json"}});
  EXPECT_TRUE(h.present);
  EXPECT_FALSE(h.garbled);
  EXPECT_DOUBLE_EQ(*h.remaining, -12.5);
  EXPECT_EQ(*h.reset_ms, 1767225600000);
  EXPECT_EQ(*h.tier, RateTier::kCopper);
  EXPECT_TRUE(h.warning);
  EXPECT_EQ(*ParseRateLimitHeaders({{"Poly-RateLimit-Reset", "1767225600123"}}).reset_ms, 1767225600123);
  const auto none = ParseRateLimitHeaders({{"Content-Type", "application/json"}});
  EXPECT_FALSE(none.present);
  for (const auto& [name, value] :
       std::vector<std::pair<std::string, std::string>>{{"Poly-RateLimit-Remaining", "lots"},
                                                        {"Poly-RateLimit-Remaining", "12abc"},
                                                        {"Poly-RateLimit-Remaining", "nan"},
                                                        {"Poly-RateLimit-Reset", "-5"},
                                                        {"Poly-RateLimit-Tier", "Mythril"}}) {
    const auto g = ParseRateLimitHeaders({{name, value}});
    EXPECT_TRUE(g.present) << value;
    EXPECT_TRUE(g.garbled) << value;
  }
}

TEST(RateLimitRoutes, Buckets) {
  EXPECT_EQ(BucketOfRoute("POST", "/order"), RateBucket::kOrders);
  EXPECT_EQ(BucketOfRoute("POST", "/orders"), RateBucket::kOrders);
  EXPECT_EQ(BucketOfRoute("DELETE", "/orders"), RateBucket::kCancels);
  EXPECT_EQ(BucketOfRoute("DELETE", "/cancel-all"), RateBucket::kCancels);
  EXPECT_EQ(BucketOfRoute("DELETE", "/cancel-market-orders"), RateBucket::kCancels);
  EXPECT_FALSE(BucketOfRoute("GET", "/data/orders").has_value());
  EXPECT_FALSE(BucketOfRoute("POST", "/v1/heartbeats").has_value());
}

}  // namespace
}  // namespace clobmaker::polymarket
