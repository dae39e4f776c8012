#include "services/strategy/core/reward_engine.h"

#include <cstdlib>

#include "clobmaker/marketdata/v1/marketdata.pb.h"
#include "clobmaker/orders/v1/orders.pb.h"
#include "common/model/types.h"

namespace clobmaker::strategy {

namespace {

double LevelScore(int64_t distance2, int64_t max_spread, int64_t size_micros) {
  // distance2: twice the distance from the mid (exact); the band is max_spread on each side.
  const double v = static_cast<double>(max_spread);
  const double s = static_cast<double>(distance2) / 2.0;
  if (max_spread <= 0 || s > v) return 0;
  const double f = (v - s) / v;
  return f * f * static_cast<double>(size_micros);
}

}  // namespace

void RewardEngine::SetMarket(const std::string& condition_id, RewardMarket market) { markets_[condition_id] = market; }

void RewardEngine::OnOrderEvent(const orders::v1::OrderEvent& event) {
  order_events_++;
  const orders::v1::Order& o = event.order();
  const bool live = o.state() == orders::v1::ORDER_STATE_LIVE || o.state() == orders::v1::ORDER_STATE_PARTIALLY_FILLED;
  if (!live) {
    live_.erase(o.order_id());
    return;
  }
  LiveOrder& l = live_[o.order_id()];
  const bool same_price = l.price_units == o.price_units();
  const bool was_scoring = l.scoring && same_price;
  const bool was_checked = l.checked && same_price;
  l.condition_id = o.condition_id();
  l.token_id = o.token_id();
  l.buy = o.side() == common::v1::SIDE_BUY;
  l.price_units = o.price_units();
  l.remaining_micros = std::max<int64_t>(0, o.original_size_micros() - o.matched_size_micros());
  l.scoring = was_scoring;
  l.checked = was_checked;
}

void RewardEngine::OnBook(const std::string& condition_id, const marketdata::v1::Book& book) {
  MarketBook& b = books_[condition_id];
  b.yes_token = book.token_id();
  if (book.bids_size() == 0 || book.asks_size() == 0) {
    b.mid2.reset();
    b.book_score = 0;
    return;
  }
  const int64_t mid2 = book.bids(0).price_units() + book.asks(0).price_units();
  b.mid2 = mid2;
  auto it = markets_.find(condition_id);
  const int64_t band = it == markets_.end() ? 0 : it->second.max_spread_units;
  const int64_t min_size = it == markets_.end() ? 0 : it->second.min_size_micros;
  double score = 0;
  for (const auto& l : book.bids()) {
    if (l.size_micros() >= min_size) score += LevelScore(std::llabs(2 * l.price_units() - mid2), band, l.size_micros());
  }
  for (const auto& l : book.asks()) {
    if (l.size_micros() >= min_size) score += LevelScore(std::llabs(2 * l.price_units() - mid2), band, l.size_micros());
  }
  b.book_score = score;
}

void RewardEngine::OnScoring(const std::map<std::string, bool>& scoring, Nanos now) {
  OnTimer(now);
  for (auto& [id, o] : live_) {
    auto it = scoring.find(id);
    if (it == scoring.end()) continue;  // not asked this time
    o.scoring = it->second;
    o.checked = true;
  }
}

double RewardEngine::Score(const std::string& condition_id, const LiveOrder& o) const {
  auto b = books_.find(condition_id);
  auto m = markets_.find(condition_id);
  if (b == books_.end() || !b->second.mid2 || m == markets_.end()) return 0;
  // A NO order at p is a YES order at 1 - p on the other side.
  const int64_t yes_price = o.token_id == b->second.yes_token ? o.price_units : model::kPriceOne - o.price_units;
  return LevelScore(std::llabs(2 * yes_price - *b->second.mid2), m->second.max_spread_units, o.remaining_micros);
}

void RewardEngine::OnTimer(Nanos now) {
  if (last_accrual_ != 0 && now > last_accrual_) {
    const double days = static_cast<double>(now - last_accrual_) / (86400.0 * 1e9);
    for (const auto& [condition, market] : markets_) {
      if (market.daily_rate_micros <= 0) continue;
      const RewardReport r = Report(condition);
      if (r.book_score <= 0 || r.our_score <= 0) continue;
      accrued_[condition] +=
          static_cast<double>(market.daily_rate_micros) * std::min(1.0, r.our_score / r.book_score) * days;
    }
  }
  last_accrual_ = now;
}

std::vector<std::string> RewardEngine::LiveOrderIds() const {
  std::vector<std::string> out;
  out.reserve(live_.size());
  for (const auto& [id, o] : live_) out.push_back(id);
  return out;
}

RewardReport RewardEngine::Report(const std::string& condition_id) const {
  RewardReport r;
  for (const auto& [id, o] : live_) {
    if (o.condition_id != condition_id) continue;
    r.live_orders++;
    r.live_size_micros += o.remaining_micros;
    if (o.checked) r.checked_size_micros += o.remaining_micros;
    if (o.scoring) {
      r.scoring_size_micros += o.remaining_micros;
      r.our_score += Score(condition_id, o);
    }
  }
  if (r.checked_size_micros > 0) {
    r.scoring_share = static_cast<double>(r.scoring_size_micros) / static_cast<double>(r.checked_size_micros);
  }
  if (auto b = books_.find(condition_id); b != books_.end()) r.book_score = b->second.book_score;
  if (auto a = accrued_.find(condition_id); a != accrued_.end()) r.estimated_reward_micros = a->second;
  return r;
}

}  // namespace clobmaker::strategy
