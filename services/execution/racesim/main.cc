// clobmaker-racesim: runs seeded schedules of the execution race simulator.
//   clobmaker-racesim --seed-start S --count N   one line per violation, then `schedules=N violations=V`
//   clobmaker-racesim --seed S --trace           replays one schedule step by step
//   clobmaker-racesim --list-mutations           the deliberate bugs, one name per line
//   clobmaker-racesim --mutate NAME ...          runs the schedules with that bug injected
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "services/execution/racesim/race_sim.h"

namespace racesim = clobmaker::execution::racesim;

int main(int argc, char** argv) {
  CLI::App app{"clobmaker-racesim: deterministic race simulation of execution against the simulated exchange"};
  uint64_t seed_start = 1;
  uint64_t count = 1000;
  std::optional<uint64_t> seed;
  bool trace = false;
  bool stats = false;
  bool list_mutations = false;
  std::string mutation;
  unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
  app.add_option("--seed-start", seed_start, "first seed of the range");
  app.add_option("--count", count, "number of schedules");
  app.add_option("--seed", seed, "run this one seed (replay)");
  app.add_flag("--trace", trace, "print every step of the schedule (with --seed)");
  app.add_flag("--stats", stats, "also print what the schedules exercised (to stderr)");
  app.add_option("--jobs", jobs, "schedules run in parallel")->check(CLI::Range(1u, 256u));
  app.add_flag("--list-mutations", list_mutations, "print the name of every mutation, one per line, and exit");
  app.add_option("--mutate", mutation, "inject this deliberate bug (see --list-mutations)");
  CLI11_PARSE(app, argc, argv);

  if (list_mutations) {
    for (const racesim::MutationInfo& m : racesim::Mutations()) fmt::print("{}\n", m.name);
    return 0;
  }
  if (!mutation.empty()) {
    const auto& all = racesim::Mutations();
    if (std::none_of(all.begin(), all.end(), [&](const racesim::MutationInfo& m) { return m.name == mutation; })) {
      fmt::print(stderr, "clobmaker-racesim: unknown mutation '{}' (--list-mutations lists them)\n", mutation);
      return 2;
    }
  }

  if (seed) {
    seed_start = *seed;
    count = 1;
  }
  racesim::Options options;
  options.mutation = mutation;
  if (trace) options.trace = [](const std::string& line) { std::fputs((line + "\n").c_str(), stdout); };
  const auto started = std::chrono::steady_clock::now();
  std::vector<racesim::ScheduleResult> results(count);
  std::atomic<uint64_t> next{0};
  const auto worker = [&] {
    for (uint64_t i = next++; i < count; i = next++) results[i] = racesim::RunSchedule(seed_start + i, options);
  };
  if (trace || jobs == 1 || count == 1) {
    worker();
  } else {
    std::vector<std::thread> threads;
    for (unsigned j = 0; j < std::min<uint64_t>(jobs, count); ++j) threads.emplace_back(worker);
    for (auto& t : threads) t.join();
  }
  uint64_t violations = 0;
  for (const auto& r : results) {
    for (const auto& v : r.violations) {
      ++violations;
      fmt::print("violation seed={} invariant={} step={} {}\n", v.seed, v.invariant, v.step, v.detail);
    }
  }
  fmt::print("schedules={} violations={}\n", count, violations);
  if (stats) {
    racesim::ScheduleResult t;
    for (const auto& r : results) {
      t.steps += r.steps;
      t.posts += r.posts;
      t.fills += r.fills;
      t.restarts += r.restarts;
      t.kills += r.kills;
      t.reconnects += r.reconnects;
      t.tick_changes += r.tick_changes;
      t.version_changes += r.version_changes;
      t.timeouts_after_accept += r.timeouts_after_accept;
      t.halts += r.halts;
      t.post_only_rejects += r.post_only_rejects;
      t.no_token_fills += r.no_token_fills;
      for (size_t f = 0; f < racesim::kFaultCount; ++f) t.faults[f] += r.faults[f];
    }
    fmt::print(stderr,
               "steps={} orders_posted={} fills={} no_token_fills={} post_only_refusals={} restarts={} kills={} "
               "reconnects={} tick_changes={} version_changes={} halts={}\n",
               t.steps, t.posts, t.fills, t.no_token_fills, t.post_only_rejects, t.restarts, t.kills, t.reconnects,
               t.tick_changes, t.version_changes, t.halts);
    std::string faults = "faults:";
    for (size_t f = 0; f < racesim::kFaultCount; ++f) {
      faults += fmt::format(" {}={}", racesim::FaultName(static_cast<racesim::Fault>(f)), t.faults[f]);
    }
    fmt::print(stderr, "{}\n", faults);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    fmt::print(stderr, "seconds={:.1f} schedules_per_second={:.0f} jobs={}\n", seconds,
               static_cast<double>(count) / seconds, trace || count == 1 ? 1u : std::min<uint64_t>(jobs, count));
  }
  return violations == 0 ? 0 : 1;
}
