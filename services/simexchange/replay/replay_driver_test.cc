// The journal's pacing (docs/replay.md): `--replay-speed X` plays X recorded seconds per wall
// second; speed 0 plays the next step once the stack has gone quiet (at the latest after
// max_wait) and skips recorded stretches with nothing in them.
#include "services/simexchange/replay/replay_driver.h"

#include <gtest/gtest.h>

namespace clobmaker::simexchange::replay {
namespace {

constexpr Nanos kT0 = 1'780'000'000LL * kNanosPerSecond;  // recorded time
constexpr Nanos kWall = 1'790'000'000LL * kNanosPerSecond;
constexpr Nanos kMs = kNanosPerMilli;

// One record a second of recorded time, t0 .. t0 + 10 s (no market: only the pacing is looked at).
std::vector<journal::Record> EverySecond() {
  std::vector<journal::Record> records;
  for (int i = 0; i <= 10; ++i) {
    records.push_back({.receive_ns = kT0 + i * kNanosPerSecond, .kind = journal::RecordKind::kMarket, .payload = "[]"});
  }
  return records;
}

class ReplayDriverTest : public ::testing::Test {
 protected:
  ReplayDriverTest() : exchange_(ExchangeConfig{}) { market_.Init(exchange_); }
  Exchange exchange_;
  ExternalMarket market_;
};

TEST_F(ReplayDriverTest, ASpeedPlaysThatManyRecordedSecondsPerWallSecond) {
  ReplayDriver d(EverySecond(), {.speed = 2.0, .prime = 0});
  d.Prime(exchange_, market_, kWall);
  EXPECT_EQ(d.played(), 1u) << "the first record: the books before anyone trades";
  EXPECT_FALSE(d.Step(exchange_, market_, kWall + kNanosPerSecond, 0)) << "held until started";
  d.Start(kWall);
  d.Step(exchange_, market_, kWall + 2500 * kMs, 0);
  EXPECT_EQ(d.played(), 6u) << "2.5 s of wall time at speed 2: t0 .. t0 + 5 s";
  EXPECT_EQ(d.target(), kT0 + 5 * kNanosPerSecond);
  EXPECT_FALSE(d.done());
  d.Step(exchange_, market_, kWall + 5 * kNanosPerSecond, 0);
  EXPECT_TRUE(d.done());
  EXPECT_TRUE(market_.report().done);
}

TEST_F(ReplayDriverTest, AsFastAsTheStackAllowsWaitsForQuietAndSkipsEmptyStretches) {
  ReplayDriver d(EverySecond(),
                 {.speed = 0, .step = 200 * kMs, .quiet = 25 * kMs, .max_wait = kNanosPerSecond, .prime = 0});
  d.Prime(exchange_, market_, kWall);
  d.Start(kWall);
  EXPECT_FALSE(d.Step(exchange_, market_, kWall + 10 * kMs, 0)) << "within the quiet window of the last step";
  EXPECT_FALSE(d.Step(exchange_, market_, kWall + 40 * kMs, kWall + 30 * kMs)) << "a request 10 ms ago";
  EXPECT_EQ(d.played(), 1u);
  // Quiet: one step, and since nothing is recorded in the next 200 ms, straight to the next record.
  EXPECT_TRUE(d.Step(exchange_, market_, kWall + 60 * kMs, kWall + 30 * kMs));
  EXPECT_EQ(d.played(), 2u);
  EXPECT_EQ(d.target(), kT0 + kNanosPerSecond) << "the empty second was skipped, not waited for";
  // A stack that never goes quiet still advances, after max_wait.
  Nanos wall = kWall + 60 * kMs;
  for (Nanos w = wall + 10 * kMs; w < wall + kNanosPerSecond; w += 10 * kMs) {
    ASSERT_FALSE(d.Step(exchange_, market_, w, w)) << "busy at " << (w - wall) / kMs << " ms";
  }
  EXPECT_TRUE(d.Step(exchange_, market_, wall + kNanosPerSecond, wall + kNanosPerSecond));
  EXPECT_EQ(d.played(), 3u);
  // Quiet all along: every step a record, the 8 left in 8 steps.
  wall += kNanosPerSecond;
  for (int i = 0; i < 7; ++i) {
    wall += 30 * kMs;
    EXPECT_TRUE(d.Step(exchange_, market_, wall, 0));
  }
  EXPECT_FALSE(d.done());
  EXPECT_TRUE(d.Step(exchange_, market_, wall + 30 * kMs, 0));
  EXPECT_TRUE(d.done());
}

}  // namespace
}  // namespace clobmaker::simexchange::replay
