// The simulator's market environment: for each market a fair value that follows a seeded
// random walk with jumps, a background market maker that keeps a ladder around it, and
// background takers that cross the spread, so that resting quotes (ours included) really trade.
// Pure: driven by Step(now) on the exchange's executor.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/core/rng.h"
#include "services/simexchange/core/exchange.h"

namespace clobmaker::simexchange {

struct FlowConfig {
  uint64_t seed = 1;
  double volatility_per_sqrt_s = 0.004;  // fair-value move per sqrt(second), in price units of 1
  double jump_probability_per_s = 0.01;
  double jump_size = 0.05;
  Nanos maker_refresh = 500 * kNanosPerMilli;
  int maker_levels = 5;
  int64_t maker_half_spread_ticks = 2;
  int64_t maker_size_shares = 100;
  double taker_orders_per_s = 1.0;  // per market
  int64_t taker_max_shares = 50;
};

class MarketFlow {
 public:
  MarketFlow(Exchange& exchange, FlowConfig config);

  // Opens the background accounts (unbounded balances) and seeds fair values at 0.5 (or `start`).
  void Init(Nanos now, const std::map<std::string, double>& start = {});
  void Step(Nanos now);

  // Fair value of a market's YES token, in [0.01, 0.99].
  double FairValue(const std::string& condition_id) const;
  std::map<std::string, double> FairValues() const { return fair_; }

 private:
  void Requote(const MarketConfig& market, Nanos now);
  void Take(const MarketConfig& market, Nanos now);
  model::OrderId NextId();

  Exchange& exchange_;
  FlowConfig config_;
  Rng rng_;
  std::map<std::string, double> fair_;
  std::map<std::string, Nanos> last_requote_;
  Nanos last_step_ = 0;
  uint64_t next_id_ = 1;
};

inline constexpr char kFlowMakerKey[] = "sim-flow-maker";
inline constexpr char kFlowTakerKey[] = "sim-flow-taker";

}  // namespace clobmaker::simexchange
