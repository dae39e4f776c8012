#include "services/execution/core/cancel_escalation.h"

namespace clobmaker::execution {

CancelEscalation::Plan CancelEscalation::Due(const OrderBook& book, Nanos now) {
  Plan plan;
  for (const auto& [market_id, working] : book.markets()) {
    bool stuck = false;
    bool escalate = false;
    for (const auto& [id, rp] : working) {
      const Record& r = *rp;
      if (r.view.state != OrderState::kPendingCancel) continue;
      stuck = true;
      if (r.cancel_queued) continue;  // waiting for tokens: not a failed attempt
      if (r.cancel_in_flight || now < r.last_cancel_sent + config_.cancel_retry_after) continue;
      if (r.cancel_attempts < config_.cancel_by_id_attempts) {
        plan.retry.push_back(id);
      } else {
        escalate = true;
      }
    }
    if (!stuck) {
      if (auto it = markets_.find(market_id); it != markets_.end()) it->second.level = 0;
      continue;
    }
    State& state = markets_[market_id];
    if (!escalate || now < state.next) continue;
    counters_.escalations++;
    state.level++;
    state.next = now + config_.escalation_step;
    const Step step = state.level == 1   ? Step::kCancelMarket
                      : state.level == 2 ? Step::kCancelAll
                      : state.level == 3 ? Step::kVerify
                                         : Step::kHalt;
    plan.escalations.emplace_back(market_id, step);
  }
  return plan;
}

int CancelEscalation::level(const std::string& market) const {
  auto it = markets_.find(market);
  return it == markets_.end() ? 0 : it->second.level;
}

void CancelEscalation::Restart(const std::string& market, OrderBook& book) {
  for (const auto& [id, rp] : book.Working(market)) rp->cancel_attempts = 0;
  markets_[market].level = 0;
}

}  // namespace clobmaker::execution
