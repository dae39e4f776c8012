// Deliberate bugs, one per finding of the review (../shared/seed/) and per invariant of
// design.md s6, that the race simulator injects (`clobmaker-racesim --mutate NAME`) to prove it
// catches each one. Production never sets one: OrderManagerConfig::mutation is kNone and no flag
// or configuration of the service reaches it. Each is a single, marked branch at the place the
// bug would live.
#pragma once

#include <cstdint>

namespace clobmaker::execution {

enum class Mutation : uint8_t {
  kNone,
  kCancelsGatedByBackoff,    // review C2: a post backoff stops the market's whole step, cancels too
  kCancellationIgnored,      // review C3: CANCELLATION events are not acted on
  kRejectionIgnored,         // review C3: a refused order is left as it was
  kStartupWithoutCancelAll,  // review C4: start-up goes straight to READY
  kAdoptWithoutBlocking,     // review C4: unclaimed adopted orders do not hold back new ones
  kTradeDedupeRemoved,       // review race 2: every trade message adds its fill again
  kTickInferredFromPrices,   // review H2: the ladder's tick ignored, inferred from its prices
  kLadderExpiryInert,        // issue 17: nothing happens at a ladder's deadline
  kAbsentWithoutGrace,       // "not found" believed at once, though a request could still land
  kMatchedLatestWins,        // invariant 1: the last report sets the matched size, not the maximum
  kTerminalRevived,          // invariant 2: a late placement brings a terminal order back
  kKillCancelsNothing,       // invariant 6: a kill only stops posts
  kStaleLadderAccepted,      // invariant 7: an older ladder replaces a newer one
  kPostOnlyDropped,          // invariant 8: quotes go without post-only
  kStartupIgnoresDelay,      // 2026: start-up verifies though its cancel-all was refused in a delay
  kAdoptIgnoresDelay,        // 2026: adopting lists at once, while an order may sit in a delay
};

}  // namespace clobmaker::execution
