// Diffing a desired quote ladder against the orders we have (pure). Prices are integers on the
// tick grid the ladder carries (never inferred): an order on another grid is cancelled. Cancels
// come first; a new order for an intent is planned only when no order of that intent may still
// be live (design.md invariant 4), so a reprice is "cancel now, post once the old one is dead".
#pragma once

#include <compare>
#include <string>
#include <vector>

#include "common/model/types.h"
#include "services/execution/core/order_state.h"

namespace clobmaker::execution {

// What an order is for: one level of one side of one token's ladder.
struct Intent {
  std::string token;
  model::Side side = model::Side::kBuy;
  uint32_t level = 0;
  friend auto operator<=>(const Intent&, const Intent&) = default;
};

struct DesiredQuote {
  Intent intent;
  model::Price price;
  model::Size size;
};

struct WorkingOrder {
  model::OrderId id;
  Intent intent;
  model::Price price;
  model::Size original;
  model::Size matched;
  OrderState state = OrderState::kLive;
  model::TickSize tick;  // the grid it was priced on
};

struct DiffOptions {
  // Re-top a partially filled order when less than this share of the desired size remains.
  double refill_below = 0.5;
  // Fill LadderDiff::waiting (for callers that report it; the OrderManager does not need it).
  bool collect_waiting = true;
};

struct LadderDiff {
  std::vector<model::OrderId> cancels;  // to send first
  std::vector<DesiredQuote> posts;      // then these
  std::vector<Intent> waiting;          // intents held back until an old order is proven dead
};

LadderDiff DiffLadder(const std::vector<DesiredQuote>& desired, model::TickSize tick,
                      const std::vector<WorkingOrder>& working, const DiffOptions& options = {});

}  // namespace clobmaker::execution
