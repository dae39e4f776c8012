#include "services/execution/core/reconciler.h"

namespace clobmaker::execution {

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

void Reconciler::Failed(Nanos now, bool ask_again) {
  next_try_ = now + config_.request_retry;
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
    } else if (AbsentProvable(r, listing_sent, AbsentGrace(config_))) {
      out.absent.push_back(&r);
    }
  }
  return out;
}

}  // namespace clobmaker::execution
