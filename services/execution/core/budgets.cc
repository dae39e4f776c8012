#include "services/execution/core/budgets.h"

#include <algorithm>

namespace clobmaker::execution {

Budgets::Budgets(const OrderManagerConfig& config, Counters& counters)
    : config_(config),
      counters_(counters),
      post_(config.post_budget),
      cancel_(config.cancel_budget),
      query_(config.query_budget) {}

double Budgets::available(ActionKind kind, Nanos now) {
  switch (kind) {
    case ActionKind::kPost:
      return post_.available(now);
    case ActionKind::kQueryOrder:
    case ActionKind::kListOpenOrders:
      return query_.available(now);
    default:
      return cancel_.available(now);
  }
}

void Budgets::BackOff(std::optional<Nanos> hint, Nanos now) {
  post_backoff_ =
      post_backoff_ == 0 ? config_.post_backoff_initial : std::min(config_.post_backoff_max, post_backoff_ * 2);
  const Nanos wait = hint ? std::max(*hint, post_backoff_) : post_backoff_;
  post_backoff_until_ = std::max(post_backoff_until_, now + wait);
}

void Budgets::Refused(const Intent& intent, model::Price price, Nanos now) {
  RejectMemo& memo = reject_memo_[intent];
  memo.backoff = memo.backoff == 0 || memo.price != price ? config_.reject_backoff_initial
                                                          : std::min(config_.reject_backoff_max, memo.backoff * 2);
  memo.price = price;
  memo.retry_at = now + memo.backoff;
}

bool Budgets::Held(const Intent& intent, model::Price price, Nanos now) {
  auto memo = reject_memo_.find(intent);
  const bool held = memo != reject_memo_.end() && memo->second.price == price && now < memo->second.retry_at;
  if (held) counters_.posts_held_after_reject++;
  return held;
}

}  // namespace clobmaker::execution
