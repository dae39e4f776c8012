// The default test run explores 10,000 seeded schedules (in shards, so ctest runs them in
// parallel); any violation prints the seed to replay with `clobmaker-racesim --seed S --trace`.
#include "services/execution/racesim/race_sim.h"

#include <gtest/gtest.h>

namespace clobmaker::execution::racesim {
namespace {

constexpr uint64_t kShards = 10;
constexpr uint64_t kSchedulesPerShard = 1000;

class RaceSimShard : public ::testing::TestWithParam<uint64_t> {};

TEST_P(RaceSimShard, NoInvariantIsViolated) {
  const uint64_t first = 1 + GetParam() * kSchedulesPerShard;
  uint64_t posts = 0, fills = 0, restarts = 0, kills = 0, timeouts = 0;
  for (uint64_t seed = first; seed < first + kSchedulesPerShard; ++seed) {
    const ScheduleResult r = RunSchedule(seed);
    posts += r.posts;
    fills += r.fills;
    restarts += r.restarts;
    kills += r.kills;
    timeouts += r.timeouts_after_accept;
    for (const Violation& v : r.violations) {
      ADD_FAILURE() << "seed=" << v.seed << " invariant=" << v.invariant << " step=" << v.step << " " << v.detail
                    << "\n  replay: build/bin/clobmaker-racesim --seed " << v.seed << " --trace";
    }
  }
  // The schedules must actually exercise the races, not idle.
  EXPECT_GT(posts, kSchedulesPerShard * 5);
  EXPECT_GT(fills, kSchedulesPerShard / 2);
  EXPECT_GT(restarts, kSchedulesPerShard / 20);
  EXPECT_GT(kills, kSchedulesPerShard / 20);
  EXPECT_GT(timeouts, kSchedulesPerShard / 10);
}

INSTANTIATE_TEST_SUITE_P(TenThousandSchedules, RaceSimShard, ::testing::Range<uint64_t>(0, kShards));

TEST(RaceSim, ReplayIsDeterministic) {
  std::vector<std::string> first, second;
  RunSchedule(4242, {.trace = [&](const std::string& l) { first.push_back(l); }});
  RunSchedule(4242, {.trace = [&](const std::string& l) { second.push_back(l); }});
  ASSERT_GT(first.size(), 50u);
  EXPECT_EQ(first, second);
}

// The harness must be able to fail: the review's bugs, injected, are caught.
uint64_t ViolationsWith(Mutation mutation, int invariant) {
  uint64_t found = 0;
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    for (const Violation& v : RunSchedule(seed, {.mutation = mutation}).violations) found += v.invariant == invariant;
  }
  return found;
}

TEST(RaceSim, CatchesATimeoutReadAsARejection) {
  EXPECT_GT(ViolationsWith(Mutation::kTimeoutIsRejection, 3) + ViolationsWith(Mutation::kTimeoutIsRejection, 4), 0u);
}

TEST(RaceSim, CatchesABatchTreatedAsAllOrNothing) {
  EXPECT_GT(ViolationsWith(Mutation::kBatchAllOrNothing, 3) + ViolationsWith(Mutation::kBatchAllOrNothing, 4), 0u);
}

}  // namespace
}  // namespace clobmaker::execution::racesim
