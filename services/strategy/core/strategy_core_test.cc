#include "services/strategy/core/strategy_core.h"

#include <gtest/gtest.h>

#include "clobmaker/marketdata/v1/marketdata.pb.h"
#include "clobmaker/orders/v1/orders.pb.h"
#include "clobmaker/positions/v1/positions.pb.h"
#include "clobmaker/strategy/v1/strategy.pb.h"
#include "services/strategy/core/reward_engine.h"

namespace clobmaker::strategy {
namespace {

constexpr Nanos kT0 = 1'800'000'000 * kNanosPerSecond;
constexpr Nanos kMs = kNanosPerMilli;

class StrategyCoreTest : public ::testing::Test {
 protected:
  StrategyCoreTest() : core_(Config(), stamper_, kT0) {}
  static StrategyConfig Config() {
    StrategyConfig c;
    c.markets.push_back({.spec = "my-slug", .params = {}});
    return c;
  }
  void Feed(Nanos now) {
    marketdata::v1::MarketInfo info;
    info.mutable_market()->set_condition_id("0xc");
    info.mutable_market()->set_slug("my-slug");
    info.mutable_market()->set_yes_token_id("yes");
    info.mutable_market()->set_no_token_id("no");
    info.set_tick_units(100);
    info.set_end_time_ms(kT0 / kMs + 30LL * 86'400'000);
    info.set_min_order_size_micros(5'000'000);
    core_.OnMarketInfo(info, now);
    Book(4800, 5200, now);
    marketdata::v1::ReferencePrice ref;
    ref.set_symbol("my-slug");
    ref.set_price_nanos(500'000'000);
    core_.OnReference(ref, now);
    for (const char* token : {"yes", "no"}) {
      positions::v1::Position pos;
      pos.set_token_id(token);
      pos.set_provisional_micros(100'000'000);
      pos.set_settled_micros(100'000'000);
      core_.OnPosition(pos, now);
    }
    Execution(true, false, now);
  }
  void Book(int64_t bid, int64_t ask, Nanos now) {
    marketdata::v1::Book book;
    book.set_token_id("yes");
    book.set_tick_units(100);
    book.add_bids()->set_price_units(bid);
    book.add_asks()->set_price_units(ask);
    book.mutable_header()->set_receive_ts_ns(now - 5 * kNanosPerMicro);
    core_.OnBook(book, now);
  }
  void Execution(bool ready, bool killed, Nanos now) {
    orders::v1::ExecutionStatus st;
    st.mutable_service()->set_ready(ready);
    st.set_killed(killed);
    core_.OnExecutionStatus(st, now);
  }
  std::vector<v1::DesiredLadder> Ladders() {
    std::vector<Publication> pubs;
    core_.TakePublications(kT0, pubs);
    std::vector<v1::DesiredLadder> out;
    for (const Publication& p : pubs) {
      EXPECT_EQ(p.subject, "cm.strategy.desired.0xc");
      v1::DesiredLadder l;
      EXPECT_TRUE(l.ParseFromString(p.data));
      out.push_back(l);
    }
    return out;
  }
  bus::HeaderStamper stamper_{"strategy"};
  StrategyCore core_;
};

TEST_F(StrategyCoreTest, QuotesOnlyOnceEveryInputIsThereThenOnChangeAndKeepalive) {
  Feed(kT0);
  auto ladders = Ladders();
  ASSERT_FALSE(ladders.empty());
  // Every ladder before the last input was gated (empty); the last one quotes.
  for (size_t i = 0; i + 1 < ladders.size(); ++i) {
    EXPECT_EQ(ladders[i].orders_size(), 0);
    EXPECT_GT(ladders[i].gates_closed_size(), 0);
  }
  const v1::DesiredLadder& live = ladders.back();
  EXPECT_EQ(live.gates_closed_size(), 0);
  EXPECT_EQ(live.orders_size(), 6);
  EXPECT_EQ(live.tick_units(), 100);
  EXPECT_EQ(live.valid_until_ns(), kT0 + 5000 * kMs);
  EXPECT_GT(live.ladder_sequence(), static_cast<uint64_t>(kT0));
  for (size_t i = 1; i < ladders.size(); ++i) EXPECT_GT(ladders[i].ladder_sequence(), ladders[i - 1].ladder_sequence());
  // Same inputs: nothing new until a third of the validity has passed, then a keepalive.
  Book(4800, 5200, kT0 + 100 * kMs);
  EXPECT_TRUE(Ladders().empty());
  core_.OnTimer(kT0 + 1700 * kMs);
  ladders = Ladders();
  ASSERT_EQ(ladders.size(), 1u);
  EXPECT_EQ(ladders[0].orders_size(), 6);
  EXPECT_EQ(core_.counters().keepalives, 1u);
  // A book move that changes the ladder: published at once, carrying the book's receive time.
  Book(5200, 5400, kT0 + 1800 * kMs);  // asks must now start at 0.53
  ladders = Ladders();
  ASSERT_EQ(ladders.size(), 1u);
  EXPECT_EQ(ladders[0].source_event_ts_ns(), kT0 + 1800 * kMs - 5 * kNanosPerMicro);
  for (const auto& o : ladders[0].orders()) {
    if (o.token_id() == "yes" && o.side() == common::v1::SIDE_SELL) {
      EXPECT_GE(o.price_units(), 5300);
    }
  }
}

TEST_F(StrategyCoreTest, KillAndStaleDataEmptyTheLadder) {
  Feed(kT0);
  Ladders();
  Execution(false, true, kT0 + kMs);
  auto ladders = Ladders();
  ASSERT_EQ(ladders.size(), 1u);
  EXPECT_EQ(ladders[0].orders_size(), 0);
  EXPECT_EQ(ladders[0].gates_closed(0), "execution killed");
  Execution(true, false, kT0 + 2 * kMs);
  ASSERT_EQ(Ladders().back().orders_size(), 6);
  // No book for 3 s: stale; no execution status for 3 s either.
  core_.OnTimer(kT0 + 3500 * kMs);
  ladders = Ladders();
  ASSERT_EQ(ladders.size(), 1u);
  EXPECT_EQ(ladders[0].orders_size(), 0);
}

TEST_F(StrategyCoreTest, ParametersChangeAtRunTimeAndBadValuesAreRefused) {
  Feed(kT0);
  Ladders();
  auto bad = core_.SetParams("0xc", {{"levels", "2"}, {"half_spread_ticks", "-1"}}, kT0 + kMs);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(std::string(bad.status().message()).find("half_spread_ticks"), std::string::npos);
  EXPECT_EQ(core_.Find("0xc")->params.levels, 3u);  // nothing applied
  EXPECT_FALSE(core_.SetParams("0xc", {{"no_such", "1"}}, kT0).ok());
  EXPECT_FALSE(core_.SetParams("0xother", {{"levels", "1"}}, kT0).ok());
  auto good = core_.SetParams("0xc", {{"levels", "1"}}, kT0 + kMs);
  ASSERT_TRUE(good.ok());
  auto ladders = Ladders();
  ASSERT_EQ(ladders.size(), 1u);
  EXPECT_EQ(ladders[0].orders_size(), 2);
}

TEST(QuoteParams, YamlConfiguration) {
  auto cfg = ParseStrategyConfig(R"(
defaults:
  half_spread_ticks: 3
  levels: 2
markets:
  - market: some-slug
    size_per_level_micros: 20000000
  - market: "123456789012345"
)");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  ASSERT_EQ(cfg->markets.size(), 2u);
  EXPECT_EQ(cfg->markets[0].params.half_spread_ticks, 3);
  EXPECT_EQ(cfg->markets[0].params.size_per_level_micros, 20'000'000);
  EXPECT_EQ(cfg->markets[1].params.size_per_level_micros, 10'000'000);
  EXPECT_EQ(cfg->markets[1].spec, "123456789012345");
  EXPECT_FALSE(ParseStrategyConfig("defaults: {levels: 99}\nall_markets: true").ok());
  EXPECT_FALSE(ParseStrategyConfig("markets:\n  - market: x\n    sizes: 3\n").ok());
  EXPECT_FALSE(ParseStrategyConfig("markets:\n  - size_per_level_micros: 10000000\n").ok());
  EXPECT_FALSE(ParseStrategyConfig("defaults: [1, 2").ok());
  EXPECT_FALSE(ParseStrategyConfig("surprise: 1").ok());
  EXPECT_FALSE(ParseStrategyConfig("defaults: {size_per_level_micros: 1234567}\nall_markets: true").ok());
  EXPECT_TRUE(ParseStrategyConfig("all_markets: true").ok());
}

TEST(RewardEngine, LiveSetFromOrderEventsScoringShareAndEstimate) {
  RewardEngine r;
  r.SetMarket("0xc", {.max_spread_units = 300, .min_size_micros = 20'000'000, .daily_rate_micros = 86'400'000'000});
  marketdata::v1::Book book;
  book.set_token_id("yes");
  auto* b = book.add_bids();
  b->set_price_units(4900);
  b->set_size_micros(40'000'000);
  auto* a = book.add_asks();
  a->set_price_units(5100);
  a->set_size_micros(40'000'000);
  r.OnBook("0xc", book);
  const auto event = [&](const std::string& id, const std::string& token, int64_t price, orders::v1::OrderState st) {
    orders::v1::OrderEvent e;
    e.mutable_order()->set_order_id(id);
    e.mutable_order()->set_condition_id("0xc");
    e.mutable_order()->set_token_id(token);
    e.mutable_order()->set_side(common::v1::SIDE_BUY);
    e.mutable_order()->set_price_units(price);
    e.mutable_order()->set_original_size_micros(20'000'000);
    e.mutable_order()->set_state(st);
    r.OnOrderEvent(e);
  };
  event("a", "yes", 4900, orders::v1::ORDER_STATE_LIVE);
  event("b", "no", 4900, orders::v1::ORDER_STATE_LIVE);   // a YES ask at 0.51
  event("c", "yes", 4000, orders::v1::ORDER_STATE_LIVE);  // far outside the band
  event("d", "yes", 4800, orders::v1::ORDER_STATE_PENDING_SUBMIT);
  event("c2", "yes", 4700, orders::v1::ORDER_STATE_LIVE);
  event("c2", "yes", 4700, orders::v1::ORDER_STATE_CANCELED);
  EXPECT_EQ(r.LiveOrderIds(), (std::vector<std::string>{"a", "b", "c"}));

  r.OnScoring({{"a", true}, {"b", true}, {"c", false}}, kT0);
  event("e", "yes", 4900, orders::v1::ORDER_STATE_LIVE);  // newer than the poll: not counted yet
  RewardReport rep = r.Report("0xc");
  EXPECT_EQ(rep.live_orders, 4);
  EXPECT_EQ(rep.checked_size_micros, 60'000'000);
  EXPECT_NEAR(rep.scoring_share, 2.0 / 3.0, 1e-9);
  // Both scoring orders sit 1 cent from the mid in a 3-cent band: (2/3)^2 x 20 shares each.
  EXPECT_NEAR(rep.our_score, 2 * (4.0 / 9.0) * 20e6, 1.0);
  EXPECT_NEAR(rep.book_score, 2 * (4.0 / 9.0) * 40e6, 1.0);
  r.OnTimer(kT0 + 3600 * kNanosPerSecond);  // an hour at half the book's score: 1/48 of the pool
  EXPECT_NEAR(r.Report("0xc").estimated_reward_micros, 86'400'000'000.0 / 48, 1e3);
}

}  // namespace
}  // namespace clobmaker::strategy
