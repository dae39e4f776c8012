#include "services/backtest/core/backtest_report.h"

#include <gtest/gtest.h>

namespace clobmaker::backtest {
namespace {

using simexchange::replay::FillRecord;
using simexchange::replay::ReplayReport;
using simexchange::replay::Sample;
constexpr Nanos kS = kNanosPerSecond;

ReplayReport TwoFills() {
  ReplayReport r;
  r.first_t = 100 * kS;
  r.last_t = 200 * kS;
  r.markets.push_back({"0xc", "m", "Y", "N"});
  for (int i = 0; i <= 100; ++i) {
    Sample s{.t = (100 + i) * kS,
             .market = "0xc",
             .bid = 0.49,
             .ask = 0.51,
             .fair = 0.5,
             .our_bid = 0.48,
             .our_ask = 0.52,
             .our_bid_size = 10'000'000,
             .our_ask_size = 10'000'000,
             .score_share = 0.25};
    if (i >= 50) {  // the market moves up 10 cents half-way
      s.bid = 0.59;
      s.ask = 0.61;
    }
    r.samples.push_back(s);
  }
  // We buy 10 YES at 0.48 at t=110, and 10 NO at 0.45 at t=160 (after the move).
  r.fills.push_back({.t = 110 * kS,
                     .market = "0xc",
                     .token = "Y",
                     .side = model::Side::kBuy,
                     .price = 4800,
                     .size = 10'000'000,
                     .trade_seq = 3,
                     .mid = 0.5,
                     .mid_after = {0.5, 0.5, 0.6}});
  r.fills.push_back({.t = 160 * kS,
                     .market = "0xc",
                     .token = "N",
                     .side = model::Side::kBuy,
                     .price = 4500,
                     .size = 10'000'000,
                     .taker = true,
                     .mid = 0.4,
                     .mid_after = {0.4, 0.4, std::nullopt}});
  return r;
}

TEST(BacktestFigures, PnlInventoryAndMarkoutsFollowTheFillsAndTheRecordedMid) {
  const Figures f = Compute(TwoFills());
  EXPECT_EQ(f.fills, 2u);
  EXPECT_EQ(f.maker_fills, 1u);
  EXPECT_EQ(f.taker_fills, 1u);
  EXPECT_DOUBLE_EQ(f.volume_shares, 20);
  EXPECT_NEAR(f.cash_usd, -(4.8 + 4.5), 1e-9);
  EXPECT_DOUBLE_EQ(f.inventory.at("Y"), 10);
  EXPECT_DOUBLE_EQ(f.inventory.at("N"), 10);
  // A full set is worth 1: 10 YES at 0.60 + 10 NO at 0.40 = 10, less 9.30 paid.
  EXPECT_NEAR(f.pnl_usd, 0.7, 1e-9);
  EXPECT_NEAR(f.markout_usd[0], (0.5 - 0.48) * 10 + (0.4 - 0.45) * 10, 1e-9);
  EXPECT_NEAR(f.markout_usd[2], (0.6 - 0.48) * 10, 1e-9);
  EXPECT_EQ(f.markout_fills[2], 1u);
  // The P&L series: before the first fill 0; between the fills 10 x (mid - 0.48).
  ASSERT_GT(f.series.size(), 60u);
  EXPECT_DOUBLE_EQ(f.series.front().pnl, 0);
  EXPECT_NEAR(f.series[20].pnl, 10 * (0.5 - 0.48), 1e-9);
  EXPECT_NEAR(f.series[55].pnl, 10 * (0.6 - 0.48), 1e-9);
  ASSERT_EQ(f.markets.size(), 1u);
  EXPECT_EQ(f.markets[0].two_sided, 101u);
  EXPECT_NEAR(f.markets[0].mean_our_spread, 0.04, 1e-9);
  EXPECT_NEAR(f.mean_score_share, 0.25, 1e-9);
  EXPECT_FALSE(f.fees_modelled);
}

TEST(BacktestReport, SummaryAndHtmlCarryEveryPartTheIssueAsksFor) {
  const ReplayReport r = TwoFills();
  const Figures f = Compute(r);
  const RunInfo run{.journal = "j.gz",
                    .config = "s.yaml",
                    .config_text = "defaults: <x>",
                    .speed = "max",
                    .wall_seconds = 12.5,
                    .tolerance = "t"};
  const std::string summary = SummaryJson(f, r, run);
  for (const char* key : {"\"fills\": 2", "\"pnl_usd\": 0.7000", "\"markout_usd\"", "\"reward_score_share\"",
                          "\"fees_usd\": 0.0000", "\"fees_modelled\": false", "not modelled yet", "\"inventory\"",
                          "\"fill_list\"", "\"trade_seq\": 3", "\"tolerance\""}) {
    EXPECT_NE(summary.find(key), std::string::npos) << key << "\n" << summary;
  }
  const std::string html = ReportHtml(f, r, run);
  for (const char* part :
       {"P&amp;L over time", "Inventory per token", "against fair value", "Fills with markouts", "Reward-score share",
        "Fees and rebates", "not modelled yet", "<svg", "defaults: &lt;x&gt;"}) {
    EXPECT_NE(html.find(part), std::string::npos) << part;
  }
  EXPECT_EQ(html.find("<script"), std::string::npos) << "self-contained, static";
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg")) << "no external resource";
}

}  // namespace
}  // namespace clobmaker::backtest
