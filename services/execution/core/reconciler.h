// Reconciliation with the exchange's open-order listing: when one is due (every
// `reconcile_interval`, and whenever something asks: a user-stream reconnect, an unknown order
// event, a cancel-all to verify, a broken heartbeat chain) and what a listing says about the
// cache. Open orders we do not know are orphans and terminal ones seen open are strays: both are
// cancelled, never revived. Possibly-live orders missing from the listing are dead if no request
// of theirs could still land. This class decides; the manager applies and sends.
#pragma once

#include <map>
#include <utility>
#include <vector>

#include "services/execution/core/order_book.h"

namespace clobmaker::execution {

class Reconciler {
 public:
  Reconciler(const OrderManagerConfig& config, Counters& counters) : config_(config), counters_(counters) {}

  void Want() { wanted_ = true; }
  // Whether a listing should start now (a periodic one is due, or one was asked for).
  bool Due(Nanos now);
  // A listing goes out; false if one already is.
  bool Begin();
  bool in_flight() const { return in_flight_; }
  // Its answer came back; then it failed (retried after `request_retry`, asked for again if
  // `ask_again`) or served (the next periodic one in `reconcile_interval`).
  void Answered() { in_flight_ = false; }
  void Failed(Nanos now, bool ask_again);
  void Done(Nanos now) { next_ = now + config_.reconcile_interval; }

  // After the heartbeat chain broke, posts wait for a full listing.
  void NeedResync() { resync_pending_ = true; }
  void Resynced() { resync_pending_ = false; }
  bool resync_pending() const { return resync_pending_; }

  struct Comparison {
    std::vector<model::OrderId> strays;                                  // cancel by id
    std::vector<std::pair<Record*, const polymarket::OpenOrder*>> seen;  // open, as listed
    std::vector<Record*> absent;                                         // proven dead
    std::vector<Record*> verify;  // missing from a paged listing: to be queried by id
  };
  // The listing (asked for at `listing_sent`, `pages` long) against the cache. An order that was
  // terminal before the listing was asked for and is listed open contradicts the cache: counted
  // (terminal_seen_open). One that died since is older news; both are cancelled again by id.
  Comparison Compare(const std::map<model::OrderId, const polymarket::OpenOrder*>& open, int pages, OrderBook& book,
                     Nanos listing_sent);

 private:
  const OrderManagerConfig& config_;
  Counters& counters_;
  bool in_flight_ = false;
  bool wanted_ = false;
  bool resync_pending_ = false;
  Nanos next_ = 0;
  Nanos next_try_ = 0;
};

}  // namespace clobmaker::execution
