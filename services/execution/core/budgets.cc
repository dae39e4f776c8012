#include "services/execution/core/budgets.h"

#include <algorithm>
#include <cmath>

namespace clobmaker::execution {

Budgets::Budgets(const OrderManagerConfig& config, Counters& counters)
    : config_(config), counters_(counters), query_(config.query_budget) {
  ApplyTier(config_.rate_tier, /*confirmed=*/false, 0);
}

// --- the tier and the exchange's headers ---------------------------------------------------------

void Budgets::ApplyTier(polymarket::RateTier tier, bool confirmed, Nanos now) {
  rate_tier_ = tier;
  rate_tier_confirmed_ = rate_tier_confirmed_ || confirmed;
  const polymarket::TierLimits& l = polymarket::LimitsOf(tier);
  const double share = std::clamp(config_.rate_share, 0.01, 1.0);
  RateBudgetConfig post{.capacity = std::floor(l.order_burst * share), .refill_per_second = l.order_rate * share};
  RateBudgetConfig cancel{.capacity = std::floor(l.cancel_burst * share), .refill_per_second = l.cancel_rate * share};
  if (!config_.rate_limits) {
    // No limiter in front of us: the buckets as configured (unbounded when not).
    post = config_.post_budget.value_or(RateBudgetConfig{.capacity = 1e12, .refill_per_second = 1e12});
    cancel = config_.cancel_budget.value_or(RateBudgetConfig{.capacity = 1e12, .refill_per_second = 1e12});
  } else {
    // An operator's cap may make them smaller, never larger than the tier's.
    if (config_.post_budget) {
      post.capacity = std::min(post.capacity, config_.post_budget->capacity);
      post.refill_per_second = std::min(post.refill_per_second, config_.post_budget->refill_per_second);
    }
    if (config_.cancel_budget) {
      cancel.capacity = std::min(cancel.capacity, config_.cancel_budget->capacity);
      cancel.refill_per_second = std::min(cancel.refill_per_second, config_.cancel_budget->refill_per_second);
    }
  }
  if (now == 0) {
    post_ = RateBudget(post);
    cancel_ = RateBudget(cancel);
  } else {
    post_.Resize(post.capacity, post.refill_per_second, now);
    cancel_.Resize(cancel.capacity, cancel.refill_per_second, now);
  }
}

void Budgets::Sync(ActionKind kind, const polymarket::RateLimitHeaders& h, Nanos now) {
  if (!config_.rate_limits || (kind != ActionKind::kPost && !UsesCancelBucket(kind))) return;
  if (h.garbled) counters_.rate_headers_garbled++;  // the tier's own figures stand
  if (!h.present) {
    counters_.rate_headers_missing++;
    return;
  }
  if (h.warning) counters_.rate_warnings++;
  if (h.tier && (*h.tier != rate_tier_ || !rate_tier_confirmed_)) ApplyTier(*h.tier, true, now);
  if (h.remaining) {
    counters_.rate_resyncs++;
    RateBudget& b = kind == ActionKind::kPost ? post_ : cancel_;
    b.Sync(*h.remaining, static_cast<double>(inflight_[kind == ActionKind::kPost ? 0 : 1]), now);
  }
}

bool Budgets::TierDue(Nanos now) {
  if (tier_in_flight_ || now < next_tier_) return false;
  // The signer's tier sizes both buckets (it follows the maker wallet's 30-day volume).
  tier_in_flight_ = true;
  next_tier_ = now + config_.rate_tier_refresh;
  return true;
}

void Budgets::TierAnswered(const RateTierReply& reply, Nanos now) {
  tier_in_flight_ = false;
  if (reply.outcome == net::Outcome::kOk && reply.tier) {
    ApplyTier(*reply.tier, true, now);
    next_tier_ = now + config_.rate_tier_refresh;
  } else {
    // Until the exchange says, the configured (by default the tightest) tier stands.
    if (reply.outcome == net::Outcome::kThrottled) CountThrottled(ActionKind::kGetRateTier);
    next_tier_ = now + 10 * config_.request_retry;
  }
}

const RateBudgetConfig& Budgets::config(ActionKind kind) const {
  switch (kind) {
    case ActionKind::kPost:
      return post_.config();
    case ActionKind::kQueryOrder:
    case ActionKind::kListOpenOrders:
    case ActionKind::kQueryTrades:
      return query_.config();
    default:
      return cancel_.config();
  }
}

void Budgets::CountThrottled(ActionKind kind) {
  counters_.throttled++;
  counters_.throttled_by_endpoint[std::string(ActionKindName(kind))]++;
}

// --- posts ---------------------------------------------------------------------------------------

size_t Budgets::TakePosts(size_t wanted, int64_t open_orders, size_t queued_cancels, Nanos now) {
  const int64_t orders_room =
      std::min<int64_t>(post_.Affordable(now, post_.config().reserve), static_cast<int64_t>(post_.config().capacity));
  const int64_t cancel_tokens =
      std::min<int64_t>(cancel_.Affordable(now), static_cast<int64_t>(cancel_.config().capacity));
  const int64_t cancel_room = cancel_tokens - 1 - open_orders - static_cast<int64_t>(queued_cancels);
  const size_t take =
      static_cast<size_t>(std::max<int64_t>(0, std::min({static_cast<int64_t>(wanted), orders_room, cancel_room})));
  if (take < wanted) {
    counters_.posts_shed += wanted - take;
    if (cancel_room < static_cast<int64_t>(wanted) && cancel_room <= orders_room) {
      counters_.posts_shed_cancel_reserve += wanted - take;
    }
  }
  if (take > 0) post_.TakeForCancel(static_cast<double>(take), now);  // checked above: spend it
  return take;
}

// --- cancels -------------------------------------------------------------------------------------

int64_t Budgets::CancelsAffordable(Nanos now) { return now < cancel_not_before_ ? 0 : cancel_.Affordable(now); }

size_t Budgets::CancelChunk() const {
  return static_cast<size_t>(std::clamp<double>(std::floor(cancel_.config().capacity), 1.0, 1000.0));
}

void Budgets::CancelsThrottled(std::optional<Nanos> retry_after, Nanos now) {
  cancel_not_before_ = std::max(cancel_not_before_, now + retry_after.value_or(config_.throttle_backoff));
}

double Budgets::available(ActionKind kind, Nanos now) {
  switch (kind) {
    case ActionKind::kPost:
      return post_.available(now);
    case ActionKind::kQueryOrder:
    case ActionKind::kListOpenOrders:
    case ActionKind::kQueryTrades:
      return query_.available(now);
    default:
      return cancel_.available(now);
  }
}

// --- backoff and restrictions --------------------------------------------------------------------

void Budgets::BackOff(std::optional<Nanos> hint, Nanos now) {
  post_backoff_ =
      post_backoff_ == 0 ? config_.post_backoff_initial : std::min(config_.post_backoff_max, post_backoff_ * 2);
  const Nanos wait = hint ? std::max(*hint, post_backoff_) : post_backoff_;
  post_backoff_until_ = std::max(post_backoff_until_, now + wait);
}

void Budgets::Restrict(polymarket::TradingRestriction restriction, std::optional<Nanos> retry_after, Nanos now) {
  if (restriction == polymarket::TradingRestriction::kNone) return;
  counters_.restrictions++;
  restriction_ = restriction;
  restriction_until_ = std::max(restriction_until_, now + retry_after.value_or(config_.restriction_probe_after));
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
