// The quote engine: one market's inputs and parameters in, the desired maker-only ladder out (or
// an empty one with the gates that closed it). A pure function: no clock, no state.
//
// Rules (design.md s6, invariants 7 and 8):
//  - every price is on the book's grid, inside [tick, 1 - tick];
//  - bids at most best ask - 1 tick and fair - min edge; asks at least best bid + 1 tick and
//    fair + min edge: never crossing, never quoting through fair value;
//  - inventory skews the ladder (long YES: lower), and the YES side we cannot sell from settled
//    inventory is offered as a BUY of NO at 1 - price (the same exposure);
//  - with a rewards band that pays, level 0 is pulled inside max spread of the mid and sized at
//    least the rewards minimum, unless that would break a rule above;
//  - any closed gate (stale or resyncing book, stale reference, cut-off before the end, unknown
//    positions, position or notional limit, execution not ready / killed / halted / paused,
//    disabled) makes the set empty.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/core/clock.h"
#include "common/model/types.h"
#include "services/strategy/core/quote_params.h"

namespace clobmaker::strategy {

struct MarketFacts {
  std::string condition_id;
  std::string yes_token;
  std::string no_token;
  int64_t end_time_ms = 0;  // 0 = none
  int64_t min_order_size_micros = 0;
  int64_t rewards_min_size_micros = 0;
  int64_t rewards_max_spread_units = 0;  // 0 = no rewards
  bool neg_risk = false;
};

struct BookFacts {
  int64_t tick_units = 100;
  std::optional<int64_t> best_bid;  // price units
  std::optional<int64_t> best_ask;
  bool resyncing = false;
  Nanos published_ns = 0;  // marketdata's publication (books are republished every second)
};

struct ReferenceFacts {
  int64_t price_nanos = 0;
  Nanos received_ns = 0;
};

struct PositionFacts {
  int64_t provisional_micros = 0;
  int64_t settled_micros = 0;
};

struct ExecutionFacts {
  bool ready = false;
  bool killed = false;
  bool halted = false;
  bool paused = false;  // this market
  Nanos published_ns = 0;
};

struct QuoteInputs {
  Nanos now = 0;
  MarketFacts market;
  std::optional<BookFacts> yes_book;
  std::optional<ReferenceFacts> reference;
  std::optional<PositionFacts> yes_position;
  std::optional<PositionFacts> no_position;
  std::optional<ExecutionFacts> execution;
  Nanos max_execution_status_age = 3 * kNanosPerSecond;
};

struct QuoteOrder {
  std::string token;
  model::Side side = model::Side::kBuy;
  uint32_t level = 0;
  int64_t price_units = 0;
  int64_t size_micros = 0;
  friend bool operator==(const QuoteOrder&, const QuoteOrder&) = default;
};

struct Quote {
  std::vector<QuoteOrder> orders;
  std::vector<std::string> gates;  // non-empty => orders empty
  std::optional<int64_t> fair_units;
  int64_t net_position_micros = 0;
  int64_t tick_units = 0;
  bool in_reward_band = false;
};

Quote ComputeQuote(const QuoteInputs& in, const QuoteParams& params);

}  // namespace clobmaker::strategy
