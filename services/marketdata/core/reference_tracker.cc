#include "services/marketdata/core/reference_tracker.h"

#include "clobmaker/marketdata/v1/marketdata.pb.h"
#include "common/bus/subjects.h"
#include "common/polymarket/decode.h"

namespace clobmaker::marketdata {

ReferenceTracker::ReferenceTracker(ReferenceConfig config, bus::HeaderStamper& stamper)
    : config_(std::move(config)), stamper_(stamper) {}

bool ReferenceTracker::OnFrame(std::string_view frame, Nanos receive_ns, std::string* error) {
  counters_.frames++;
  auto ticks = polymarket::ParseReferenceFrame(frame);
  if (!ticks.ok()) {
    counters_.malformed++;
    if (error != nullptr) *error = std::string(ticks.status().message());
    return false;
  }
  for (const polymarket::ReferenceTick& t : *ticks) {
    ReferenceSymbol& s = symbols_[t.symbol];
    if (t.timestamp_ms != 0 && t.timestamp_ms < s.timestamp_ms) {
      counters_.out_of_order++;
      continue;
    }
    counters_.prices++;
    s.price_nanos = t.price_nanos;
    s.timestamp_ms = t.timestamp_ms;
    s.received = receive_ns;
    s.updates++;
    v1::ReferencePrice msg;
    stamper_.Stamp(msg.mutable_header(), t.timestamp_ms * kNanosPerMilli, receive_ns, receive_ns);
    msg.set_symbol(t.symbol);
    msg.set_price_nanos(t.price_nanos);
    msg.set_feed(config_.feed);
    pending_.push_back({bus::ReferenceSubject(t.symbol), msg.SerializeAsString(), {}});
  }
  return true;
}

void ReferenceTracker::OnConnected(Nanos) {
  connected_ = true;
  counters_.connects++;
}

void ReferenceTracker::OnDisconnected(Nanos) {
  if (connected_) counters_.disconnects++;
  connected_ = false;
}

void ReferenceTracker::TakePublications(Nanos publish_ns, std::vector<Publication>& out) {
  (void)publish_ns;  // stamped on receipt: a reference price is an event, not coalesced state
  for (Publication& p : pending_) out.push_back(std::move(p));
  pending_.clear();
}

bool ReferenceTracker::stale(std::string_view symbol, Nanos now) const {
  auto it = symbols_.find(symbol);
  return it == symbols_.end() || !connected_ || now - it->second.received > config_.stale_after;
}

std::vector<std::string> ReferenceTracker::StaleSymbols(Nanos now) const {
  std::vector<std::string> out;
  for (const auto& [symbol, s] : symbols_) {
    if (stale(symbol, now)) out.push_back(symbol);
  }
  return out;
}

}  // namespace clobmaker::marketdata
