// The backtest's figures and its report, from what the replay exchange observed (replay_report.h).
// Pure: no I/O; the tool writes the strings to DIR/summary.json and DIR/report.html.
//
// P&L is marked to the recorded mid (YES mid; a NO token at 1 - mid): cash from our fills plus
// inventory at the mark, from zero at the start (the starting balances do not matter). A fill's
// markout at h is (mid at t + h - price) x size for a buy, the opposite for a sell, in USD.
// Fees and rebates are reported as zeros until the simulator models them (fees_modelled=false).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "services/simexchange/replay/replay_report.h"

namespace clobmaker::backtest {

struct RunInfo {
  std::string journal;      // the file
  std::string config;       // the strategy configuration file
  std::string config_text;  // its contents, shown in the report
  std::string speed;        // "max" or the factor
  double wall_seconds = 0;
  std::string tolerance;  // how far two runs of the same inputs may differ (docs/replay.md)
};

struct PnlPoint {
  Nanos t = 0;
  double pnl = 0;
  std::map<std::string, double> inventory;  // token -> shares
};

struct MarketFigures {
  std::string condition_id, slug;
  uint64_t samples = 0, two_sided = 0;  // samples with our bid and ask both resting
  double mean_score_share = 0;
  double mean_our_spread = 0, mean_recorded_spread = 0;  // over two-sided samples, price units of 1
  double mean_mid_to_fair = 0;                           // our quotes' mid - fair, when both exist
  uint64_t fair_samples = 0;
};

struct Figures {
  uint64_t fills = 0, maker_fills = 0, taker_fills = 0;
  double volume_shares = 0, notional_usd = 0;
  double pnl_usd = 0;  // at the last recorded mid
  double cash_usd = 0;
  std::map<std::string, double> inventory;  // token -> shares at the end
  std::array<double, 3> markout_usd{};      // summed over fills, at 1 s / 10 s / 60 s
  std::array<uint64_t, 3> markout_fills{};  // fills with that horizon inside the journal
  double mean_score_share = 0;
  double fees_usd = 0, rebates_usd = 0;
  bool fees_modelled = false;
  std::vector<PnlPoint> series;  // one point per second of recorded time
  std::vector<MarketFigures> markets;
};

Figures Compute(const simexchange::replay::ReplayReport& report);
std::string SummaryJson(const Figures& figures, const simexchange::replay::ReplayReport& report, const RunInfo& run);
std::string ReportHtml(const Figures& figures, const simexchange::replay::ReplayReport& report, const RunInfo& run);

}  // namespace clobmaker::backtest
