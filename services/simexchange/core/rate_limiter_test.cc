#include "services/simexchange/core/rate_limiter.h"

#include <gtest/gtest.h>

namespace clobmaker::simexchange {
namespace {

using polymarket::RateBucket;
using polymarket::RateTier;

constexpr Nanos kT0 = 1'780'000'000LL * kNanosPerSecond;

TEST(SignerRateLimiter, StandardBurstThenTheRefillRate) {
  SignerRateLimiter l;
  // A full Standard order bucket: 60 at once, then 40 per second.
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(l.Admit("0xa", RateBucket::kOrders, 1, kT0).admitted) << i;
  auto refused = l.Admit("0xa", RateBucket::kOrders, 1, kT0);
  EXPECT_FALSE(refused.admitted);
  EXPECT_FALSE(refused.over_burst);
  EXPECT_EQ(refused.tier, RateTier::kStandard);
  EXPECT_EQ(refused.retry_after, 25 * kNanosPerMilli);  // 1 token at 40/s
  EXPECT_EQ(refused.reset_ms, (kT0 + 25 * kNanosPerMilli) / kNanosPerMilli);
  EXPECT_EQ(l.refused("0xa"), 1u);
  // 100 ms later: 4 tokens.
  const Nanos t1 = kT0 + 100 * kNanosPerMilli;
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(l.Admit("0xa", RateBucket::kOrders, 1, t1).admitted) << i;
  EXPECT_FALSE(l.Admit("0xa", RateBucket::kOrders, 1, t1).admitted);
  // Buckets are per signer and per kind.
  EXPECT_TRUE(l.Admit("0xb", RateBucket::kOrders, 60, kT0).admitted);
  EXPECT_TRUE(l.Admit("0xa", RateBucket::kCancels, 120, kT0).admitted);
}

TEST(SignerRateLimiter, BatchesAreAdmittedWholeOrNotAtAllAndNeverAboveTheBurst) {
  SignerRateLimiter l;
  ASSERT_TRUE(l.Admit("0xa", RateBucket::kOrders, 50, kT0).admitted);
  auto batch = l.Admit("0xa", RateBucket::kOrders, 15, kT0);  // 10 left: the whole batch is refused
  EXPECT_FALSE(batch.admitted);
  EXPECT_DOUBLE_EQ(l.Level("0xa", RateBucket::kOrders, kT0), 10.0);  // nothing taken
  EXPECT_TRUE(l.Admit("0xa", RateBucket::kOrders, 10, kT0).admitted);
  // A cost above the burst can never pass, even from a full bucket.
  auto huge = l.Admit("0xc", RateBucket::kCancels, 121, kT0);
  EXPECT_FALSE(huge.admitted);
  EXPECT_TRUE(huge.over_burst);
  EXPECT_EQ(huge.retry_after, 0);
}

TEST(SignerRateLimiter, CancelAllDebtBlocksCancelsOnTiersThatAllowItAndFloorsAtZeroOnOthers) {
  SignerRateLimiter l;
  ASSERT_TRUE(l.Admit("0xa", RateBucket::kCancels, 1, kT0).admitted);  // cancel-all: 1 up front
  auto charged = l.Charge("0xa", RateBucket::kCancels, 200, kT0);      // then 200 cancelled
  EXPECT_DOUBLE_EQ(charged.remaining, 119.0 - 200.0);
  EXPECT_FALSE(l.Admit("0xa", RateBucket::kCancels, 1, kT0 + kNanosPerSecond / 2).admitted);  // still in debt
  // -81 + 80/s: positive again after ~1.03 s.
  EXPECT_TRUE(l.Admit("0xa", RateBucket::kCancels, 1, kT0 + 1100 * kNanosPerMilli).admitted);
  l.SetTier("0xp", RateTier::kPlatinum, kT0);
  ASSERT_TRUE(l.Admit("0xp", RateBucket::kCancels, 1, kT0).admitted);
  EXPECT_DOUBLE_EQ(l.Charge("0xp", RateBucket::kCancels, 5000, kT0).remaining, 0.0);
}

TEST(SignerRateLimiter, TierChangesResizeAndWarningModeAdmitsButFlags) {
  SignerRateLimiter l;
  l.SetTier("0xg", RateTier::kGold, kT0);
  EXPECT_EQ(l.TierOf("0xg"), RateTier::kGold);
  EXPECT_TRUE(l.Admit("0xg", RateBucket::kOrders, 600, kT0).admitted);
  EXPECT_FALSE(l.Admit("0xg", RateBucket::kOrders, 1, kT0).admitted);
  SignerRateLimiter w({.warning_mode = true});
  ASSERT_TRUE(w.Admit("0xa", RateBucket::kOrders, 60, kT0).admitted);
  auto flagged = w.Admit("0xa", RateBucket::kOrders, 1, kT0);
  EXPECT_TRUE(flagged.admitted);
  EXPECT_TRUE(flagged.warning);
  SignerRateLimiter off({.enabled = false});
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(off.Admit("0xa", RateBucket::kOrders, 15, kT0).admitted);
}

TEST(IpRateLimiter, BurstAndSustainedWindows) {
  IpRateLimiter l({.rules = {{"POST /orders", 3, 10 * kNanosPerSecond, 5, 600 * kNanosPerSecond}}});
  for (int i = 0; i < 3; ++i) ASSERT_FALSE(l.Admit("ip", "POST /orders", kT0 + i).has_value());
  auto wait = l.Admit("ip", "POST /orders", kT0 + 5);
  ASSERT_TRUE(wait.has_value());
  EXPECT_EQ(*wait, 10 * kNanosPerSecond - 5);  // the first leaves the 10 s window
  EXPECT_FALSE(l.Admit("other-ip", "POST /orders", kT0).has_value());
  EXPECT_FALSE(l.Admit("ip", "GET /book", kT0).has_value());  // no rule for it
  const Nanos t1 = kT0 + 11 * kNanosPerSecond;
  ASSERT_FALSE(l.Admit("ip", "POST /orders", t1).has_value());
  ASSERT_FALSE(l.Admit("ip", "POST /orders", t1 + 1).has_value());
  auto sustained = l.Admit("ip", "POST /orders", t1 + 2);  // 5 in 10 minutes
  ASSERT_TRUE(sustained.has_value());
  EXPECT_GT(*sustained, 500 * kNanosPerSecond);
}

}  // namespace
}  // namespace clobmaker::simexchange
