#include "services/console/core/console_model.h"

#include <gtest/gtest.h>

#include "services/console/core/console_actions.h"

namespace clobmaker::console {
namespace {

constexpr const char* kCondition = "0xc0ffee";
constexpr const char* kYes = "1111";
constexpr const char* kNo = "2222";

common::v1::MarketRef Ref() {
  common::v1::MarketRef m;
  m.set_condition_id(kCondition);
  m.set_slug("will-it-rain");
  m.set_yes_token_id(kYes);
  m.set_no_token_id(kNo);
  return m;
}

Poll APoll(Nanos at) {
  Poll p;
  p.at = at;
  strategy::v1::ListMarketsResponse markets;
  auto* view = markets.add_markets();
  *view->mutable_market() = Ref();
  view->set_fair_value_units(4886);  // between ticks: shown rounded to the tick precision
  view->add_gates_closed("book_stale");
  view->set_in_reward_band(true);
  view->mutable_ladder()->set_tick_units(100);
  p.strategy_markets = markets;
  marketdata::v1::ListMarketsResponse info;
  auto* i = info.add_markets();
  *i->mutable_market() = Ref();
  i->set_tick_units(100);
  i->set_rewards_max_spread_units(300);
  i->set_accepting_orders(true);
  i->set_question("Will it rain?");
  p.market_info = info;
  orders::v1::ListOrdersResponse orders;
  for (auto [price, side] : {std::pair{4700, common::v1::SIDE_BUY}, std::pair{4600, common::v1::SIDE_BUY},
                             std::pair{5200, common::v1::SIDE_SELL}}) {
    auto* o = orders.add_orders();
    o->set_order_id("0xo" + std::to_string(price));
    o->set_condition_id(kCondition);
    o->set_token_id(kYes);
    o->set_side(side);
    o->set_price_units(price);
    o->set_tick_units(100);
    o->set_original_size_micros(10'000'000);
    o->set_state(orders::v1::ORDER_STATE_LIVE);
  }
  p.orders = orders;
  orders::v1::ExecutionStatus exec;
  exec.set_phase("READY");
  exec.set_rate_tier("standard");
  exec.add_paused_markets(kCondition);
  (*exec.mutable_throttled_by_endpoint())["post"] = 3;
  p.execution = exec;
  positions::v1::GetPnlResponse pnl;
  pnl.set_realized_micros(1'250'000);
  pnl.set_fees_micros(20'000);
  pnl.set_rebates_micros(5'000);
  pnl.set_net_micros(1'235'000);
  p.pnl = pnl;
  p.health = {{.name = "execution", .address = "127.0.0.1:1", .reachable = true, .ready = true},
              {.name = "strategy", .address = "127.0.0.1:2", .reachable = false, .detail = "connection refused"}};
  return p;
}

bool Has(const std::string& json, const std::string& part) { return json.find(part) != std::string::npos; }

TEST(ConsoleModel, ShowsEachMarketWithOurQuotesAtTheTickPrecision) {
  ConsoleModel m;
  m.OnPoll(APoll(1'000 * kNanosPerMilli));
  marketdata::v1::Book book;
  book.set_token_id(kYes);
  book.set_tick_units(100);
  for (int i = 0; i < 8; ++i) {
    auto* b = book.add_bids();
    b->set_price_units(4800 - 100 * i);
    b->set_size_micros(1'500'000);
  }
  m.OnBook(book);
  const std::string s = m.StateJson();
  EXPECT_TRUE(Has(s, R"("slug":"will-it-rain")")) << s;
  EXPECT_TRUE(Has(s, R"("fair":"0.49")")) << "rounded to the tick, not 0.4886: " << s;
  EXPECT_TRUE(Has(s, R"("our_bid":"0.47","our_ask":"0.52")")) << "the best of our orders per side: " << s;
  EXPECT_TRUE(Has(s, R"("outcome":"NO","bids":[],"asks":[])")) << s;
  EXPECT_TRUE(Has(s, R"("orders":[],"our_bid":"","our_ask":"")")) << "none on NO: " << s;
  EXPECT_TRUE(Has(s, R"("bids":[["0.48","1.50"],["0.47","1.50"],["0.46","1.50"],["0.45","1.50"],["0.44","1.50"]])"))
      << "five levels, tick precision, fixed decimals: " << s;
  EXPECT_TRUE(Has(s, R"("reward_band":"±0.03")")) << s;
  EXPECT_TRUE(Has(s, R"("gates":["book_stale"])")) << s;
  EXPECT_TRUE(Has(s, R"("paused":true)")) << s;
  EXPECT_TRUE(Has(s, R"("token_id":"1111")")) << "full token ids" << s;
  EXPECT_TRUE(Has(s, R"("fees":"0.0200","rebates":"0.0050","net":"1.2350")")) << s;
  EXPECT_TRUE(Has(s, R"("name":"strategy","address":"127.0.0.1:2","reachable":false)")) << s;
  EXPECT_TRUE(Has(s, R"("throttled":3)")) << s;
}

TEST(ConsoleModel, AFillAppearsOnceAndALaterStatusUpdatesItsRow) {
  ConsoleModel m;
  m.OnPoll(APoll(kNanosPerSecond));
  user::v1::UserTradeEvent t;
  t.set_trade_id("trade-1");
  t.set_condition_id(kCondition);
  t.set_status(user::v1::TRADE_STATUS_MATCHED);
  auto* leg = t.add_fills();
  leg->set_order_id("0xo4700");
  leg->set_token_id(kYes);
  leg->set_side(common::v1::SIDE_BUY);
  leg->set_price_units(4700);
  leg->set_size_micros(2'000'000);
  const uint64_t before = m.version();
  m.OnTrade(t, 2 * kNanosPerSecond);
  EXPECT_GT(m.version(), before);
  EXPECT_EQ(m.fills(), 1u);
  t.set_status(user::v1::TRADE_STATUS_CONFIRMED);
  m.OnTrade(t, 3 * kNanosPerSecond);
  EXPECT_EQ(m.fills(), 1u) << "the same leg, a later status";
  const std::string s = m.StateJson();
  EXPECT_TRUE(
      Has(s, R"("status":"CONFIRMED","slug":"will-it-rain","outcome":"YES","side":"BUY","price":"0.47","size":"2.00")"))
      << s;
  EXPECT_FALSE(Has(s, R"("status":"MATCHED")")) << s;
}

TEST(ConsoleModel, AFailedCallKeepsWhatWasLastKnownAndTheChartGrowsOnlyOnChange) {
  ConsoleModel m(ConsoleLimits{.pnl_min_interval = 0});
  m.OnPoll(APoll(kNanosPerSecond));
  Poll empty;  // every call failed
  empty.at = 2 * kNanosPerSecond;
  m.OnPoll(empty);
  const std::string s = m.StateJson();
  EXPECT_TRUE(Has(s, R"("our_bid":"0.47")")) << "kept, not emptied: " << s;
  Poll same = APoll(3 * kNanosPerSecond);
  m.OnPoll(same);
  Poll moved = APoll(4 * kNanosPerSecond);
  moved.pnl->set_net_micros(2'000'000);
  m.OnPoll(moved);
  EXPECT_TRUE(Has(m.StateJson(), R"("pnl_history":[[1000,1235000],[4000,2000000]])")) << m.StateJson();
}

TEST(ParseHistograms, QuantilesFromCumulativeBucketsPerLabelSet) {
  const std::string page =
      "# HELP clobmaker_execution_tick_to_post_seconds tick -> POST\n"
      "# TYPE clobmaker_execution_tick_to_post_seconds histogram\n"
      "clobmaker_execution_tick_to_post_seconds_bucket{le=\"0.001\"} 10\n"
      "clobmaker_execution_tick_to_post_seconds_bucket{le=\"0.002\"} 60\n"
      "clobmaker_execution_tick_to_post_seconds_bucket{le=\"0.005\"} 99\n"
      "clobmaker_execution_tick_to_post_seconds_bucket{le=\"0.01\"} 100\n"
      "clobmaker_execution_tick_to_post_seconds_bucket{le=\"+Inf\"} 100\n"
      "clobmaker_execution_tick_to_post_seconds_sum 0.2\n"
      "clobmaker_execution_tick_to_post_seconds_count 100\n"
      "clobmaker_execution_http_seconds_bucket{endpoint=\"post\",le=\"0.01\"} 4\n"
      "clobmaker_execution_http_seconds_bucket{endpoint=\"post\",le=\"+Inf\"} 4\n"
      "clobmaker_execution_http_seconds_bucket{endpoint=\"cancel\",le=\"0.01\"} 0\n"
      "clobmaker_execution_http_seconds_bucket{endpoint=\"cancel\",le=\"+Inf\"} 0\n"
      "garbage line without a value\n"
      "clobmaker_ready{service=\"execution\"} 1\n";
  const ParsedHistograms h = ParseHistograms(page);
  ASSERT_EQ(h.figures.size(), 3u);
  EXPECT_EQ(h.figures[0].name, "clobmaker_execution_tick_to_post");
  EXPECT_EQ(h.figures[0].count, 100u);
  EXPECT_DOUBLE_EQ(h.figures[0].p50_seconds, 0.002);
  EXPECT_DOUBLE_EQ(h.figures[0].p99_seconds, 0.005);
  EXPECT_EQ(h.figures[1].labels, "endpoint=\"post\"");
  EXPECT_EQ(h.figures[2].count, 0u);
  EXPECT_EQ(h.malformed_lines, 1);
}

TEST(ConsoleActions, EachActionNeedsConfirmationAndPauseNeedsAMarket) {
  auto kill = ParseAction("/api/kill", R"({"confirm":true,"reason":"fat finger"})");
  ASSERT_TRUE(kill.ok()) << kill.status();
  EXPECT_EQ(kill->kind, ActionKind::kKill);
  EXPECT_EQ(kill->reason, "fat finger");
  EXPECT_FALSE(ParseAction("/api/kill", R"({"reason":"x"})").ok()) << "not confirmed";
  EXPECT_FALSE(ParseAction("/api/kill", R"({"confirm":"yes"})").ok());
  EXPECT_FALSE(ParseAction("/api/kill", "not json").ok());
  EXPECT_EQ(ParseAction("/api/launch", R"({"confirm":true})").status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(ParseAction("/api/pause", R"({"confirm":true})").ok()) << "which market?";
  EXPECT_FALSE(ParseAction("/api/pause", R"({"confirm":true,"condition_id":"0xzz"})").ok());
  auto pause = ParseAction("/api/pause", R"({"confirm":true,"condition_id":"0xabc"})");
  ASSERT_TRUE(pause.ok()) << pause.status();
  EXPECT_EQ(pause->condition_id, "0xabc");
  EXPECT_EQ(pause->reason, "console");
  EXPECT_TRUE(ParseAction("/api/cancel-all", R"({"confirm":true})").ok());
  EXPECT_TRUE(ParseAction("/api/reset", R"({"confirm":true})").ok());
  EXPECT_TRUE(ParseAction("/api/resume", R"({"confirm":true,"condition_id":"0xabc"})").ok());
}

TEST(ConsoleActions, TheTokenGuardsActionsAlwaysAndViewsOffLoopback) {
  const AccessPolicy loopback{.token = "s3cret", .loopback = true};
  const AccessPolicy exposed{.token = "s3cret", .loopback = false};
  EXPECT_EQ(Authorize(loopback, false, std::nullopt), Access::kAllowed);
  EXPECT_EQ(Authorize(loopback, true, std::nullopt), Access::kTokenMissing);
  EXPECT_EQ(Authorize(loopback, true, "s3cre"), Access::kTokenWrong);
  EXPECT_EQ(Authorize(loopback, true, "s3cret"), Access::kAllowed);
  EXPECT_EQ(Authorize(exposed, false, std::nullopt), Access::kTokenMissing);
  EXPECT_EQ(Authorize(exposed, false, "s3cret"), Access::kAllowed);
  EXPECT_EQ(Authorize({.token = "", .loopback = true}, true, std::nullopt), Access::kAllowed);
  EXPECT_EQ(PresentedToken({{"Authorization", "Bearer abc"}}), "abc");
  EXPECT_EQ(PresentedToken({{"cookie", "a=b; clobmaker_token=xyz; c=d"}}), "xyz");
  EXPECT_EQ(PresentedToken({{"cookie", "a=b"}}), std::nullopt);
  EXPECT_TRUE(IsLoopbackListen("127.0.0.1:9300"));
  EXPECT_TRUE(IsLoopbackListen("[::1]:9300"));
  EXPECT_TRUE(IsLoopbackListen("localhost:1"));
  EXPECT_FALSE(IsLoopbackListen("0.0.0.0:9300"));
  EXPECT_FALSE(IsLoopbackListen("[::]:9300"));
}

}  // namespace
}  // namespace clobmaker::console
