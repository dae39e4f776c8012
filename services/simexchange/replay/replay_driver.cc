#include "services/simexchange/replay/replay_driver.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "common/polymarket/decode.h"

namespace clobmaker::simexchange::replay {

ReplayDriver::ReplayDriver(std::vector<journal::Record> records, PacingConfig pacing)
    : records_(std::move(records)), pacing_(pacing) {
  // Journal order is receive order; a stable sort only repairs records exported out of order.
  std::stable_sort(records_.begin(), records_.end(),
                   [](const journal::Record& a, const journal::Record& b) { return a.receive_ns < b.receive_ns; });
  if (!records_.empty()) {
    first_t_ = records_.front().receive_ns;
    last_t_ = records_.back().receive_ns;
  }
  target_ = first_t_;
}

ReplayMarkets ReplayDriver::Markets(Nanos shift) const {
  ReplayMarkets out;
  std::set<std::string> seen;
  for (const journal::Record& r : records_) {
    if (r.kind != journal::RecordKind::kMarketInfo) continue;
    auto parsed = polymarket::ParseGammaMarkets(r.payload);
    if (!parsed.ok()) {
      ++out.bad_market_info;
      continue;
    }
    for (const polymarket::MarketMetadata& m : *parsed) {
      if (m.token_ids.size() != 2 || !seen.insert(m.condition_id).second) continue;
      MarketConfig c;
      c.condition_id = m.condition_id;
      c.yes_token = m.token_ids[0];
      c.no_token = m.token_ids[1];
      c.tick = m.tick;
      if (m.min_order_size.micros() > 0) c.min_order_size = m.min_order_size;
      c.neg_risk = m.neg_risk;
      if (m.rewards_max_spread.units() > 0) c.rewards_max_spread = m.rewards_max_spread;
      if (m.rewards_min_size.micros() > 0) c.rewards_min_size = m.rewards_min_size;
      c.end_time_s = m.end_time_ms > 0 ? (m.end_time_ms * kNanosPerMilli + shift) / kNanosPerSecond : 0;
      c.slug = m.slug;
      out.markets.push_back(std::move(c));
    }
  }
  return out;
}

void ReplayDriver::PlayUntil(Exchange& exchange, ExternalMarket& market, Nanos t, Nanos wall) {
  while (next_ < records_.size() && records_[next_].receive_ns <= t) {
    const journal::Record& r = records_[next_++];
    switch (r.kind) {
      case journal::RecordKind::kMarket:
      case journal::RecordKind::kSnapshot:  // a `book` event, as the market channel sends it
        market.OnMarketFrame(exchange, r.payload, r.receive_ns, wall);
        break;
      case journal::RecordKind::kReference:
        market.OnReferenceFrame(r.payload, r.receive_ns, wall);
        break;
      default:
        break;  // metadata was read up front; other streams are kept, not played
    }
  }
  market.Advance(exchange, std::min(t, last_t_), wall);
  if (done()) market.SetDone(true);
}

void ReplayDriver::Prime(Exchange& exchange, ExternalMarket& market, Nanos wall) {
  market.SetSpan(first_t_, last_t_);
  target_ = first_t_ + pacing_.prime;
  PlayUntil(exchange, market, target_, wall);
}

void ReplayDriver::Start(Nanos wall) {
  if (started_) return;
  started_ = true;
  start_wall_ = wall;
  start_t_ = target_;
  last_step_wall_ = wall;
}

bool ReplayDriver::Step(Exchange& exchange, ExternalMarket& market, Nanos wall, Nanos last_request_wall) {
  if (!started_ || done()) return false;
  Nanos target = target_;
  if (pacing_.speed > 0) {
    target = start_t_ + static_cast<Nanos>(std::llround(static_cast<double>(wall - start_wall_) * pacing_.speed));
  } else {
    const bool settled = wall - last_step_wall_ >= pacing_.quiet && wall - last_request_wall >= pacing_.quiet;
    if (!settled && wall - last_step_wall_ < pacing_.max_wait) return false;
    target = target_ + pacing_.step;
    // Nothing recorded in the next step: go straight to the next record.
    if (next_ < records_.size()) target = std::max(target, records_[next_].receive_ns);
    last_step_wall_ = wall;
  }
  if (target <= target_) return false;
  target_ = target;
  const size_t before = next_;
  PlayUntil(exchange, market, target_, wall);
  return next_ != before;
}

}  // namespace clobmaker::simexchange::replay
