#include "common/core/clock.h"

#include <gtest/gtest.h>

namespace clobmaker {
namespace {

TEST(ManualClock, MovesOnlyWhenTold) {
  ManualClock clock(1'000 * kNanosPerSecond);
  EXPECT_EQ(clock.MonotonicNanos(), 0);
  EXPECT_EQ(clock.WallSeconds(), 1'000);
  clock.Advance(1'500 * kNanosPerMilli);
  EXPECT_EQ(clock.MonotonicNanos(), 1'500 * kNanosPerMilli);
  EXPECT_EQ(clock.WallMillis(), 1'001'500);
}

TEST(ManualClock, AdvanceToNeverGoesBack) {
  ManualClock clock;
  clock.AdvanceTo(100);
  clock.AdvanceTo(50);
  EXPECT_EQ(clock.MonotonicNanos(), 100);
}

TEST(SystemClock, MonotonicDoesNotDecreaseAndWallIsRecent) {
  const Clock& clock = SystemClock::Instance();
  const Nanos a = clock.MonotonicNanos();
  const Nanos b = clock.MonotonicNanos();
  EXPECT_LE(a, b);
  EXPECT_GT(clock.WallSeconds(), 1'700'000'000);  // after 2023
}

}  // namespace
}  // namespace clobmaker
