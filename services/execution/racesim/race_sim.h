// The deterministic execution race simulator (the review's first non-negotiable harness).
//
// One schedule = one seed. It drives execution's OrderManager against the simulator's exchange
// core through a modelled network in which every request, answer and user-channel event is a
// separate step whose order the seed decides. Faults (each schedule draws its own mix): requests
// refused at the door, 429 before or after processing, 425 while the matching engine restarts
// (then post-only mode), answers lost after processing (a timeout) while the request may still be
// travelling and land later, 502 after processing, a whole batch refused with a 4xx, legs
// refused, the empty-id quirk, user events reordered, duplicated, dropped or lost across a
// reconnect, listings served page by page while the book moves; and the exchange of December
// 2026: a market matching delay per schedule (the 250 ms taker delay, or a sports delay of
// seconds) that holds marketable orders, or every order, as `delayed` (not cancellable:
// `not_canceled`; invisible to lookups and listings), answers held until the delay ends and then
// `unmatched`, and order lookups answering 200 `null` (or 404) for any inactive id. The world: takers and foreign
// makers trading against our quotes on both tokens (fills race cancels, post-only orders cross),
// execution restarts (memory lost; adopt mode sometimes), kills and resets, tick-size and
// order-version changes, stalls long enough for the exchange's dead-man switch.
//
// Every invariant of design.md s6 that execution owns is checked after every step, the quiet
// phase at the end included (docs/execution.md, "The race simulator", states each check):
//   1  matched size never falls or exceeds the original, and never exceeds the exchange's own
//      matched size for that order; `overfills` stays 0;
//   2  a terminal order never becomes live again; `illegal_transitions` stays 0;
//   3  per step: every order open at the exchange is one execution holds as possibly live, and
//      an order execution was told is closed is terminal in its cache; `terminal_seen_open`
//      stays 0; after the exchange goes quiet, the live set equals the exchange's open set;
//   4  never two live orders at the exchange for one (token, side, level) intent;
//   6  no post while killed; after a kill every possibly-live order is being cancelled, and
//      nothing is open at the exchange 15 s after it;
//   7  every posted order is one the current, unexpired ladder wants; an order it no longer wants
//      is being cancelled by the end of the step that made it unwanted;
//   8  every post is post-only; none of our orders ever takes liquidity.
//
// Modelling assumptions, stated: a request lands within kInFlightWindow of being sent (shorter
// than execution's absent_grace); a restarted execution starts only after the old one's lease
// expired, so every request of the old one has landed or died by then.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clobmaker::execution::racesim {

struct Violation {
  uint64_t seed = 0;
  int invariant = 0;
  int64_t step = 0;
  std::string detail;
};

// The faults the model injects, counted per schedule (how often each fired).
enum class Fault : uint8_t {
  kNotSent,         // refused at the door: nothing processed
  kThrottled,       // 429 before processing
  kThrottledAfter,  // processed, then answered 429
  kLostReply,       // processed, the answer lost (a timeout)
  kLateLanding,     // a timeout reported while the request still travels; it lands later
  kServerError,     // processed, then 502
  kWholeReject,     // a whole post refused with a 4xx: nothing processed
  kLegReject,       // one leg of a batch refused
  kEmptyId,         // a refused leg answered success:true with an empty id
  kEngineDown,      // 425: the matching engine is restarting
  kEngineRestart,   // a restart window began (425, then post-only mode)
  kPagedListing,    // a listing served in more than one page
  kDuplicateEvent,  // a user event delivered twice
  kDropEvent,       // a user event dropped
  kReconnectLoss,   // a user-stream reconnect lost the queued events
  kForeignMaker,    // another account's resting order
  // The exchange of December 2026 (../shared/docs/polymarket-2026.md s2-3):
  kDelayed,         // one of our orders answered `delayed` (held in the market's matching delay)
  kUnmatched,       // a delayed post's answer held until its delay ended, then `unmatched`
  kCancelInDelay,   // a cancel refused with `not_canceled` because the order sat in a delay
  kTakerDelayed,    // a marketable (taker) order held in the taker delay, matched after it
  kInactiveLookup,  // GET /data/order for an inactive id answered 200 `null` (or 404)
  kCount,
};
inline constexpr size_t kFaultCount = static_cast<size_t>(Fault::kCount);
std::string_view FaultName(Fault fault);

struct ScheduleResult {
  uint64_t seed = 0;
  int64_t steps = 0;
  std::vector<Violation> violations;
  // What the schedule exercised (for the summary and to see that schedules vary).
  uint64_t posts = 0, fills = 0, restarts = 0, kills = 0, reconnects = 0, tick_changes = 0, version_changes = 0;
  uint64_t timeouts_after_accept = 0, halts = 0, post_only_rejects = 0, no_token_fills = 0;
  std::array<uint64_t, kFaultCount> faults{};
};

// A deliberate bug, to prove the harness catches it: most live in execution's core
// (services/execution/core/mutation.h), two between the network and the core.
struct MutationInfo {
  std::string_view name;
  std::string_view what;
};
// Every mutation, in a fixed order; `--list-mutations` prints their names.
const std::vector<MutationInfo>& Mutations();

struct Options {
  // Called with one line per step when tracing.
  std::function<void(const std::string&)> trace;
  // A name from Mutations(), or empty.
  std::string mutation;
};

ScheduleResult RunSchedule(uint64_t seed, const Options& options = {});

}  // namespace clobmaker::execution::racesim
