// The default test run explores 10,000 seeded schedules (in shards, so ctest runs them in
// parallel); any violation prints the seed to replay with `clobmaker-racesim --seed S --trace`.
// Then every mutation (a deliberate bug) must be caught on 300 consecutive seeds.
#include "services/execution/racesim/race_sim.h"

#include <gtest/gtest.h>

#include <string>

namespace clobmaker::execution::racesim {
namespace {

constexpr uint64_t kShards = 10;
constexpr uint64_t kSchedulesPerShard = 1000;

class RaceSimShard : public ::testing::TestWithParam<uint64_t> {};

TEST_P(RaceSimShard, NoInvariantIsViolated) {
  const uint64_t first = 1 + GetParam() * kSchedulesPerShard;
  ScheduleResult total;
  for (uint64_t seed = first; seed < first + kSchedulesPerShard; ++seed) {
    const ScheduleResult r = RunSchedule(seed);
    total.posts += r.posts;
    total.fills += r.fills;
    total.restarts += r.restarts;
    total.kills += r.kills;
    total.timeouts_after_accept += r.timeouts_after_accept;
    total.post_only_rejects += r.post_only_rejects;
    total.no_token_fills += r.no_token_fills;
    for (size_t f = 0; f < kFaultCount; ++f) total.faults[f] += r.faults[f];
    for (const Violation& v : r.violations) {
      ADD_FAILURE() << "seed=" << v.seed << " invariant=" << v.invariant << " step=" << v.step << " " << v.detail
                    << "\n  replay: build/bin/clobmaker-racesim --seed " << v.seed << " --trace";
    }
  }
  // The schedules must actually exercise the races, not idle.
  EXPECT_GT(total.posts, kSchedulesPerShard * 5);
  EXPECT_GT(total.fills, kSchedulesPerShard / 2);
  EXPECT_GT(total.restarts, kSchedulesPerShard / 20);
  EXPECT_GT(total.kills, kSchedulesPerShard / 20);
  EXPECT_GT(total.timeouts_after_accept, kSchedulesPerShard / 10);
  EXPECT_GT(total.post_only_rejects, 0u) << "post-only orders must sometimes cross";
  EXPECT_GT(total.no_token_fills, 0u) << "cross-token maker legs must happen";
  for (size_t f = 0; f < kFaultCount; ++f) {
    EXPECT_GT(total.faults[f], 0u) << "fault never fired: " << FaultName(static_cast<Fault>(f));
  }
}

INSTANTIATE_TEST_SUITE_P(TenThousandSchedules, RaceSimShard, ::testing::Range<uint64_t>(0, kShards));

TEST(RaceSim, ReplayIsDeterministic) {
  std::vector<std::string> first, second;
  RunSchedule(4242, {.trace = [&](const std::string& l) { first.push_back(l); }});
  RunSchedule(4242, {.trace = [&](const std::string& l) { second.push_back(l); }});
  ASSERT_GT(first.size(), 50u);
  EXPECT_EQ(first, second);
}

// The harness must be able to fail: every mutation is caught on 300 consecutive seeds.
class RaceSimMutation : public ::testing::TestWithParam<std::string> {};

TEST_P(RaceSimMutation, IsCaughtWithin300Seeds) {
  uint64_t caught = 0;
  uint64_t first = 0;
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    if (!RunSchedule(seed, {.mutation = GetParam()}).violations.empty()) {
      if (caught++ == 0) first = seed;
    }
  }
  EXPECT_GT(caught, 0u) << GetParam() << " was not caught on seeds 1-300";
  RecordProperty("first_seed_caught", static_cast<int>(first));
  RecordProperty("seeds_caught", static_cast<int>(caught));
}

std::vector<std::string> MutationNames() {
  std::vector<std::string> out;
  for (const MutationInfo& m : Mutations()) out.emplace_back(m.name);
  return out;
}

INSTANTIATE_TEST_SUITE_P(EveryMutation, RaceSimMutation, ::testing::ValuesIn(MutationNames()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           std::string name;
                           for (char c : param.param) name += c == '-' ? '_' : c;
                           return name;
                         });

TEST(RaceSim, EveryMutationHasANameAndAnExplanation) {
  ASSERT_GE(Mutations().size(), 10u);
  for (const MutationInfo& m : Mutations()) {
    EXPECT_FALSE(m.name.empty());
    EXPECT_FALSE(m.what.empty()) << m.name;
  }
}

}  // namespace
}  // namespace clobmaker::execution::racesim
