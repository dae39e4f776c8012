// What execution may spend and when posts may go: the request budgets per endpoint class (posts
// are shed when theirs is empty, cancels only ever spend), the post backoff after a 429, 425 or
// an ambiguous answer, and the hold on a refused quote (the same intent at the same price waits,
// doubling, so a post-only cross never becomes a loop). Cancels are never refused here.
#pragma once

#include <map>
#include <optional>

#include "services/execution/core/types.h"

namespace clobmaker::execution {

class Budgets {
 public:
  Budgets(const OrderManagerConfig& config, Counters& counters);

  // Takes `n` posts from the post budget; false: shed them.
  bool TakePosts(size_t n, Nanos now) { return post_.TryTake(static_cast<double>(n), now); }
  // Cancels and listings always go; they only spend.
  void SpendCancel(Nanos now) { cancel_.TakeForCancel(1, now); }
  void SpendListing(Nanos now) { query_.TakeForCancel(1, now); }
  bool TakeQuery(Nanos now) { return query_.TryTake(1, now); }
  double available(ActionKind kind, Nanos now);

  // Posts wait (1 s doubling to 30 s, or longer when the exchange says so); an accepted leg ends
  // the doubling.
  void BackOff(std::optional<Nanos> hint, Nanos now);
  void PostsAccepted() { post_backoff_ = 0; }
  bool posts_backed_off(Nanos now) const { return now < post_backoff_until_; }

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
  Nanos post_backoff_until_ = 0;
  Nanos post_backoff_ = 0;
  std::map<Intent, RejectMemo> reject_memo_;
};

}  // namespace clobmaker::execution
