// The deterministic execution race simulator (the review's first non-negotiable harness).
//
// One schedule = one seed. It drives execution's OrderManager against the simulator's exchange
// core through a modelled network in which every request, answer and user-channel event is a
// separate step whose order the seed decides: requests reach the exchange or not, answers come
// back, get lost (timeout after accept), turn into 5xx, 429 or 425, batches lose legs, user
// events are reordered, duplicated or dropped across a reconnect, takers fill our quotes while we
// cancel them, execution restarts (its memory lost), kills and resets, tick-size and order-version
// changes. After every step invariants 1, 2, 4 and 6 of design.md s6 are checked; at the end the
// exchange goes quiet and invariant 3 is checked.
//
// Modelling assumption, stated: a request that got no answer has been processed or dropped by
// the time its timeout is reported (execution treats a "not found" as proof only `absent_grace`
// after the last send, which is what covers a request landing late in the real world).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace clobmaker::execution::racesim {

struct Violation {
  uint64_t seed = 0;
  int invariant = 0;
  int64_t step = 0;
  std::string detail;
};

struct ScheduleResult {
  uint64_t seed = 0;
  int64_t steps = 0;
  std::vector<Violation> violations;
  // What the schedule exercised (for the summary and to see that schedules vary).
  uint64_t posts = 0, fills = 0, restarts = 0, kills = 0, reconnects = 0, tick_changes = 0, version_changes = 0;
  uint64_t timeouts_after_accept = 0, illegal_transitions = 0, halts = 0;
};

// Deliberate bugs, injected between the network and execution, to prove the harness catches the
// review's findings (a timeout read as a rejection; a batch treated as all-or-nothing).
enum class Mutation { kNone, kTimeoutIsRejection, kBatchAllOrNothing };

struct Options {
  // Called with one line per step when tracing.
  std::function<void(const std::string&)> trace;
  Mutation mutation = Mutation::kNone;
};

ScheduleResult RunSchedule(uint64_t seed, const Options& options = {});

}  // namespace clobmaker::execution::racesim
