#include "common/core/rng.h"

#include <gtest/gtest.h>

#include <set>

namespace clobmaker {
namespace {

TEST(Rng, SameSeedSameSequence) {
  Rng a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const uint64_t x = a.Next();
    EXPECT_EQ(x, b.Next());
    differs |= x != c.Next();
  }
  EXPECT_TRUE(differs);
}

TEST(Rng, KnownFirstValueIsPlatformIndependent) {
  // Pinned so that a change of algorithm (which would break replay of recorded seeds) fails here.
  Rng rng(1);
  const uint64_t first = rng.Next();
  Rng again(1);
  EXPECT_EQ(first, again.Next());
  EXPECT_EQ(first, 0xb3f2af6d0fc710c5ULL);
}

TEST(Rng, BetweenStaysInRangeAndCoversIt) {
  Rng rng(7);
  std::set<int64_t> seen;
  for (int i = 0; i < 2000; ++i) {
    const int64_t v = rng.Between(-3, 3);
    ASSERT_GE(v, -3);
    ASSERT_LE(v, 3);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 7u);
}

TEST(Rng, UnitAndChanceBehave) {
  Rng rng(9);
  int hits = 0;
  for (int i = 0; i < 10000; ++i) {
    const double u = rng.Unit();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    hits += rng.Chance(0.25) ? 1 : 0;
  }
  EXPECT_NEAR(hits, 2500, 250);
  EXPECT_FALSE(rng.Chance(0.0));
  EXPECT_TRUE(rng.Chance(1.0));
}

TEST(Rng, ExponentialHasRoughlyTheMean) {
  Rng rng(11);
  double sum = 0;
  for (int i = 0; i < 20000; ++i) sum += rng.Exponential(5.0);
  EXPECT_NEAR(sum / 20000, 5.0, 0.25);
}

TEST(Rng, ForkIsDeterministicAndIndependent) {
  Rng a(5), b(5);
  Rng fa = a.Fork();
  Rng fb = b.Fork();
  EXPECT_EQ(fa.Next(), fb.Next());
  EXPECT_NE(fa.Next(), a.Next());
}

}  // namespace
}  // namespace clobmaker
