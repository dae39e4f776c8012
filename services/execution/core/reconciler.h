// Reconciliation with the exchange's open-order listing: when one is due (every
// `reconcile_interval`, and whenever something asks: a user-stream reconnect, an unknown order
// event, a cancel-all to verify, a broken heartbeat chain) and what a listing says about the
// cache. Open orders we do not know are orphans and terminal ones seen open are strays: both are
// cancelled, never revived. Possibly-live orders missing from the listing are dead if no request
// of theirs could still land. This class decides; the manager applies and sends.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "services/execution/core/order_book.h"

namespace clobmaker::execution {

class Reconciler {
 public:
  Reconciler(const OrderManagerConfig& config, Counters& counters) : config_(config), counters_(counters) {}

  // A market's matching delay (GET /clob-markets: sd, itode): an order of it may sit that long
  // invisible to lookups and listings, so "not there" proves nothing before it has passed.
  void SetMarketDelay(const std::string& market, Nanos delay) { market_delay_[market] = delay; }
  Nanos DelayOf(const std::string& market) const;
  // The delay an order of `market` is assumed to wait in: the market's, else the default.
  Nanos MatchingDelay(const std::string& market) const;
  // The longest delay an order of any market may sit in: the longest known, else the default.
  Nanos LongestDelay() const;
  // "Not at the exchange" (a listing, or a lookup answering 200-null, 200-empty or 404) proves `r`
  // dead as of `as_of` only if no post of it is in flight, its last send is older than the absent
  // grace plus its market's delay, and any delay it was accepted into has ended.
  bool AbsentProvable(const Record& r, Nanos as_of) const;
  // When a lookup of `r` that found it not active is worth repeating.
  Nanos NextLookup(const Record& r, Nanos now) const;
  // The trade legs of `id` in a /data/trades answer (failed trades left out): (trade id + leg, size).
  static std::vector<std::pair<std::string, model::Size>> LegsOf(const model::OrderId& id,
                                                                 const std::vector<polymarket::UserTradeEvent>& trades);

  void Want() { wanted_ = true; }
  // Whether a listing should start now (a periodic one is due, or one was asked for).
  bool Due(Nanos now);
  // A listing goes out; false if one already is.
  bool Begin();
  bool in_flight() const { return in_flight_; }
  // Its answer came back; then it failed (retried after `retry`, asked for again if
  // `ask_again`) or served (the next periodic one in `reconcile_interval`).
  void Answered() { in_flight_ = false; }
  void Failed(Nanos now, bool ask_again, Nanos retry);
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
  std::map<std::string, Nanos> market_delay_;
};

}  // namespace clobmaker::execution
