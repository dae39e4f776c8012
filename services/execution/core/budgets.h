// What execution may spend and when posts may go: the exchange's per-signer order and cancel
// buckets (sized from the signer's tier, learnt at start-up and from every answer's
// Poly-RateLimit-* headers; docs/execution.md "Rate limits"), the query budget, the cancel
// reserve (posts leave the cancel bucket enough to cancel everything that may be live plus a
// cancel-all's token: a kill costs 1 + n), the post backoff after a 429, 425 or an ambiguous
// answer, a trading restriction (cancel-only, disabled, closed-only, post-only mode) and the hold
// on a refused quote (the same intent at the same price waits, doubling, so a post-only cross
// never becomes a loop). Cancels are never refused here: they wait only for the exchange's cancel
// bucket itself (a request it would refuse whole is not sent).
#pragma once

#include <map>
#include <optional>

#include "services/execution/core/types.h"

namespace clobmaker::execution {

class Budgets {
 public:
  Budgets(const OrderManagerConfig& config, Counters& counters);

  // --- the tier and the exchange's headers -----------------------------------------------------
  // Sizes both buckets from `tier` (`confirmed`: the exchange said so); an operator's cap may
  // make them smaller, never larger than the tier's.
  void ApplyTier(polymarket::RateTier tier, bool confirmed, Nanos now);
  // Re-synchronises the bucket `kind` spends from an answer's headers (a different tier is
  // adopted at once); missing, garbled and warning headers are counted.
  void Sync(ActionKind kind, const polymarket::RateLimitHeaders& headers, Nanos now);
  polymarket::RateTier rate_tier() const { return rate_tier_; }
  bool rate_tier_confirmed() const { return rate_tier_confirmed_; }
  // Whether GET /v1/user/rate-limit-tier should go now (then it is marked in flight).
  bool TierDue(Nanos now);
  void TierAnswered(const RateTierReply& reply, Nanos now);
  const RateBudgetConfig& config(ActionKind kind) const;

  // A 429 (counted per endpoint).
  void CountThrottled(ActionKind kind);
  static bool UsesCancelBucket(ActionKind kind) {
    return kind == ActionKind::kCancel || kind == ActionKind::kCancelMarket || kind == ActionKind::kCancelAll;
  }
  // Tokens of requests sent and not answered yet (the exchange's Remaining may not count them).
  void InFlight(ActionKind kind, int64_t cost) {
    if (kind == ActionKind::kPost) inflight_[0] += cost;
    if (UsesCancelBucket(kind)) inflight_[1] += cost;
  }

  // --- posts -----------------------------------------------------------------------------------
  // How many of `wanted` posts may go now: the order bucket admits a batch whole or not at all,
  // so the batch is sized to what it holds (never above its burst); the cancel bucket must still
  // cover cancelling `open_orders` + `queued_cancels` and a cancel-all's token after them. What
  // does not fit is shed (counted). The posts are taken from the bucket.
  size_t TakePosts(size_t wanted, int64_t open_orders, size_t queued_cancels, Nanos now);
  // Gives back posts taken and not sent (not signed).
  void RefundPosts(size_t n) { post_.Refund(static_cast<double>(n)); }

  // --- cancels ---------------------------------------------------------------------------------
  // Whole cancel tokens there now (0 during a 429's wait).
  int64_t CancelsAffordable(Nanos now);
  // The largest DELETE /orders: the bucket's burst, at most 1,000 ids.
  size_t CancelChunk() const;
  void SpendCancels(int64_t n, Nanos now) { cancel_.TakeForCancel(static_cast<double>(n), now); }
  // A 429 on the cancel bucket: cancels wait until then.
  void CancelsThrottled(std::optional<Nanos> retry_after, Nanos now);
  // A cancel-all or cancel-market answered without Remaining: 1 token per order cancelled.
  void ChargeCancelled(size_t n, const polymarket::RateLimitHeaders& h, Nanos now) {
    if (!h.remaining) cancel_.TakeForCancel(static_cast<double>(n), now);
  }

  void SpendListing(Nanos now) { query_.TakeForCancel(1, now); }
  bool TakeQuery(Nanos now) { return query_.TryTake(1, now); }
  double available(ActionKind kind, Nanos now);

  // --- backoff and restrictions ----------------------------------------------------------------
  // Posts wait (1 s doubling to 30 s, or longer when the exchange says so); an accepted leg ends
  // the doubling.
  void BackOff(std::optional<Nanos> hint, Nanos now);
  void PostsAccepted() { post_backoff_ = 0; }
  bool posts_backed_off(Nanos now) const { return now < post_backoff_until_; }
  // A trading restriction stops posts until `retry_after` (or a probe later); cancels go on.
  void Restrict(polymarket::TradingRestriction restriction, std::optional<Nanos> retry_after, Nanos now);
  polymarket::TradingRestriction restriction(Nanos now) const {
    return now < restriction_until_ ? restriction_ : polymarket::TradingRestriction::kNone;
  }
  // Cancel-only and disabled trading stop every post (post-only mode does not: ours are
  // post-only; closed-only stops the buys).
  bool posts_restricted(Nanos now) const {
    const polymarket::TradingRestriction r = restriction(now);
    return r == polymarket::TradingRestriction::kCancelOnly || r == polymarket::TradingRestriction::kTradingDisabled;
  }
  bool closed_only(Nanos now) const { return restriction(now) == polymarket::TradingRestriction::kClosedOnly; }

  // A refused quote is held at its price; an accepted one (or a new price) clears the hold.
  void Refused(const Intent& intent, model::Price price, Nanos now);
  void Accepted(const Intent& intent) { reject_memo_.erase(intent); }
  // Whether a post of `intent` at `price` must wait (counted as held).
  bool Held(const Intent& intent, model::Price price, Nanos now);
  bool any_held() const { return !reject_memo_.empty(); }

 private:
  struct RejectMemo {
    model::Price price;
    Nanos retry_at = 0;
    Nanos backoff = 0;
  };

  const OrderManagerConfig& config_;
  Counters& counters_;
  RateBudget post_;
  RateBudget cancel_;
  RateBudget query_;
  polymarket::RateTier rate_tier_ = polymarket::RateTier::kStandard;
  bool rate_tier_confirmed_ = false;
  bool tier_in_flight_ = false;
  Nanos next_tier_ = 0;
  int64_t inflight_[2] = {0, 0};  // orders, cancels: tokens of requests not answered yet
  Nanos cancel_not_before_ = 0;
  polymarket::TradingRestriction restriction_ = polymarket::TradingRestriction::kNone;
  Nanos restriction_until_ = 0;
  Nanos post_backoff_until_ = 0;
  Nanos post_backoff_ = 0;
  std::map<Intent, RejectMemo> reject_memo_;
};

}  // namespace clobmaker::execution
