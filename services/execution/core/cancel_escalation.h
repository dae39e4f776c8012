// Cancel escalation per market (design.md s4): an order stuck in PENDING_CANCEL is cancelled by
// id again (up to `cancel_by_id_attempts`, `cancel_retry_after` apart), then the market
// escalates one step every `escalation_step`: cancel-market-orders -> cancel-all -> verify by
// listing -> halt. Halted, the ladder starts again from "by id": execution never stops cancelling.
// This class decides; the manager sends.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "services/execution/core/order_book.h"

namespace clobmaker::execution {

class CancelEscalation {
 public:
  enum class Step { kCancelMarket, kCancelAll, kVerify, kHalt };
  struct Plan {
    std::vector<model::OrderId> retry;                      // cancel these by id again
    std::vector<std::pair<std::string, Step>> escalations;  // market by market, in order
  };

  CancelEscalation(const OrderManagerConfig& config, Counters& counters) : config_(config), counters_(counters) {}

  // What is due now, market by market; a market with nothing stuck starts again from "by id".
  Plan Due(const OrderBook& book, Nanos now);
  // 0 by id, 1 cancel-market, 2 cancel-all, 3 verify.
  int level(const std::string& market) const;
  // After a halt: by id again at the base cadence, escalating again.
  void Restart(const std::string& market, OrderBook& book);

 private:
  struct State {
    int level = 0;
    Nanos next = 0;
  };
  const OrderManagerConfig& config_;
  Counters& counters_;
  std::map<std::string, State> markets_;
};

}  // namespace clobmaker::execution
