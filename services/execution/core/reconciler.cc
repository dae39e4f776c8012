#include "services/execution/core/reconciler.h"

#include <algorithm>

namespace clobmaker::execution {

Nanos Reconciler::DelayOf(const std::string& market) const {
  auto it = market_delay_.find(market);
  return it == market_delay_.end() ? 0 : it->second;
}

Nanos Reconciler::MatchingDelay(const std::string& market) const {
  const Nanos delay = DelayOf(market);
  return delay > 0 ? delay : config_.default_matching_delay;
}

Nanos Reconciler::LongestDelay() const {
  Nanos longest = 0;
  for (const auto& [market, delay] : market_delay_) longest = std::max(longest, delay);
  return longest > 0 ? longest : config_.default_matching_delay;
}

bool Reconciler::AbsentProvable(const Record& r, Nanos as_of) const {
  // A request may land `absent_grace` after it was sent, and an order may sit in its market's
  // matching delay (invisible to lookups and listings) that long again.
  const Nanos grace =
      AbsentGrace(config_) + std::max(DelayOf(r.view.market), r.delayed_until > 0 ? r.delayed_until - r.last_sent : 0);
  return execution::AbsentProvable(r, as_of, grace) && as_of >= r.delayed_until;
}

Nanos Reconciler::NextLookup(const Record& r, Nanos now) const {
  return std::max(
      {now + config_.query_after, r.last_sent + config_.absent_grace + DelayOf(r.view.market), r.delayed_until});
}

std::vector<std::pair<std::string, model::Size>> Reconciler::LegsOf(
    const model::OrderId& id, const std::vector<polymarket::UserTradeEvent>& trades) {
  std::vector<std::pair<std::string, model::Size>> legs;
  for (const polymarket::UserTradeEvent& t : trades) {
    if (t.status == polymarket::TradeStatus::kFailed) continue;
    auto taker = model::OrderId::Parse(t.taker_order_id);
    if (taker.ok() && *taker == id) legs.emplace_back(t.id + ":taker", t.size);
    for (const polymarket::MakerOrderLeg& leg : t.maker_orders) {
      auto maker = model::OrderId::Parse(leg.order_id);
      if (maker.ok() && *maker == id) legs.emplace_back(t.id + ":maker:" + leg.order_id, leg.matched_amount);
    }
  }
  return legs;
}

bool Reconciler::Due(Nanos now) {
  if (now >= next_) wanted_ = true;
  return wanted_ && !in_flight_ && now >= next_try_;
}

bool Reconciler::Begin() {
  if (in_flight_) return false;
  in_flight_ = true;
  wanted_ = false;
  counters_.listings++;
  return true;
}

void Reconciler::Failed(Nanos now, bool ask_again, Nanos retry) {
  next_try_ = now + retry;
  if (ask_again) wanted_ = true;
}

Reconciler::Comparison Reconciler::Compare(const std::map<model::OrderId, const polymarket::OpenOrder*>& open,
                                           int pages, OrderBook& book, Nanos listing_sent) {
  Comparison out;
  for (const auto& [id, o] : open) {
    Record* r = book.Find(id);
    if (r == nullptr) {
      out.strays.push_back(id);  // not ours from this incarnation: an orphan
      counters_.orphans_canceled++;
      continue;
    }
    if (IsTerminal(r->view.state)) {
      // Never revived (invariant 2), but it is open: cancel it like an orphan.
      if (r->terminal_at < listing_sent) counters_.terminal_seen_open++;
      out.strays.push_back(id);
      continue;
    }
    out.seen.emplace_back(r, o);
  }
  for (auto& [id, r] : book.records()) {
    if (!MayBeLive(r.view.state) || open.contains(id)) continue;
    if (pages > 1) {
      out.verify.push_back(&r);
    } else if (AbsentProvable(r, listing_sent)) {
      out.absent.push_back(&r);
    }
  }
  return out;
}

}  // namespace clobmaker::execution
