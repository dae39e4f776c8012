// The liquidity-reward loop: which of our live orders score, and what they are estimated to earn.
//
// Its picture of our live orders comes from CM_ORDERS only (execution is the authority on order
// state; design.md s1): every OrderEvent carries the full order, so the live set is rebuilt from
// the stream. The shell asks the exchange (POST /orders-scoring) which of them score and feeds the
// answer back. Per market it reports the share of our quoted size that scores and an estimate of
// the reward: the market's daily pool x (our score / the whole book's score) over time, where an
// order's score is ((max spread - distance from mid) / max spread)^2 x size, the shape of
// Polymarket's published formula (the exchange's exact computation is not public: an estimate).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/core/clock.h"

namespace clobmaker::orders::v1 {
class OrderEvent;
}  // namespace clobmaker::orders::v1
namespace clobmaker::marketdata::v1 {
class Book;
}  // namespace clobmaker::marketdata::v1

namespace clobmaker::strategy {

struct RewardMarket {
  int64_t max_spread_units = 0;
  int64_t min_size_micros = 0;
  int64_t daily_rate_micros = 0;
};

struct RewardReport {
  int64_t live_orders = 0;
  int64_t live_size_micros = 0;
  int64_t scoring_size_micros = 0;
  int64_t checked_size_micros = 0;  // live size whose scoring the exchange has answered for
  double scoring_share = 0;         // scoring size / checked size (orders newer than the last poll wait)
  double our_score = 0;
  double book_score = 0;
  double estimated_reward_micros = 0;  // accrued since start
};

class RewardEngine {
 public:
  void SetMarket(const std::string& condition_id, RewardMarket market);
  void OnOrderEvent(const orders::v1::OrderEvent& event);
  // A YES book: the mid and the whole book's score within the band.
  void OnBook(const std::string& condition_id, const marketdata::v1::Book& book);
  // The exchange's answer for the ids asked (absent ids do not score).
  void OnScoring(const std::map<std::string, bool>& scoring, Nanos now);
  // Accrues the estimate up to `now`.
  void OnTimer(Nanos now);

  std::vector<std::string> LiveOrderIds() const;
  RewardReport Report(const std::string& condition_id) const;
  uint64_t order_events() const { return order_events_; }

 private:
  struct LiveOrder {
    std::string condition_id;
    std::string token_id;
    bool buy = true;
    int64_t price_units = 0;
    int64_t remaining_micros = 0;
    bool scoring = false;
    bool checked = false;  // the exchange answered for this order at its current price
  };
  struct MarketBook {
    std::optional<int64_t> mid2;  // twice the YES mid
    std::string yes_token;
    double book_score = 0;
  };
  double Score(const std::string& condition_id, const LiveOrder& o) const;

  std::map<std::string, LiveOrder> live_;  // order id -> order
  std::map<std::string, RewardMarket> markets_;
  std::map<std::string, MarketBook> books_;
  std::map<std::string, double> accrued_;
  Nanos last_accrual_ = 0;
  uint64_t order_events_ = 0;
};

}  // namespace clobmaker::strategy
