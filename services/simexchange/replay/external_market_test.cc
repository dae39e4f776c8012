#include "services/simexchange/replay/external_market.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/polymarket/encode.h"
#include "services/simexchange/replay/replay_driver.h"

namespace clobmaker::simexchange::replay {
namespace {

namespace pm = clobmaker::polymarket;
using model::Price;
using model::Size;

constexpr Nanos kT0 = 1'780'000'000LL * kNanosPerSecond;  // recorded time
constexpr Nanos kWall = 1'790'000'000LL * kNanosPerSecond;
constexpr char kYes[] = "1111111111";
constexpr char kNo[] = "2222222222";
constexpr char kCondition[] = "0xc0";
constexpr char kKey[] = "our-key";
constexpr char kAddress[] = "0x00000000000000000000000000000000000000aa";

pm::BookEvent RecordedBook(std::vector<pm::Level> bids, std::vector<pm::Level> asks) {
  pm::BookEvent b;
  b.asset_id = kYes;
  b.market = kCondition;
  b.bids = std::move(bids);
  b.asks = std::move(asks);
  return b;
}

pm::Level L(int64_t price, int64_t shares) { return {Price(price), Size::FromWhole(shares)}; }

pm::LastTradePriceEvent Trade(const std::string& token, Side side, int64_t price, int64_t shares, int64_t ms = 1) {
  return {.asset_id = token,
          .market = kCondition,
          .price = Price(price),
          .size = Size::FromWhole(shares),
          .side = side,
          .timestamp_ms = ms};
}

pm::PriceChangeEvent Change(Side side, int64_t price, int64_t shares) {
  pm::PriceChangeEvent e;
  e.market = kCondition;
  e.changes.push_back({kYes, Price(price), Size::FromWhole(shares), side, "", std::nullopt, std::nullopt});
  return e;
}

class ExternalMarketTest : public ::testing::Test {
 protected:
  ExternalMarketTest() : exchange_(ExchangeConfig{}) {
    MarketConfig m;
    m.condition_id = kCondition;
    m.yes_token = kYes;
    m.no_token = kNo;
    m.slug = "m";
    exchange_.AddMarket(m);
    market_.Init(exchange_);
    market_.AddMarket(exchange_, m);
    market_.SetSpan(kT0, kT0 + 600 * kNanosPerSecond);
    exchange_.OpenAccount(kAddress, kKey);
    exchange_.Credit(kAddress, 1'000'000 * model::kQuantityOne, kYes, 10'000 * model::kQuantityOne);
    exchange_.Credit(kAddress, 0, kNo, 10'000 * model::kQuantityOne);
    // Recorded: bids 0.48 x 100, 0.47 x 50; asks 0.52 x 80, 0.53 x 40.
    Feed({RecordedBook({L(4800, 100), L(4700, 50)}, {L(5200, 80), L(5300, 40)})});
  }

  void Feed(const std::vector<pm::MarketEvent>& events, Nanos dt = 0) {
    t_ += dt;
    wall_ += dt;
    market_.OnMarketFrame(exchange_, pm::EncodeMarketFrame(events), t_, wall_);
    Publish();
  }

  void Publish() {
    for (Event& e : market_.TakeEvents(exchange_, wall_)) events_.push_back(std::move(e));
  }

  PlaceResult PlaceOurs(const std::string& token, Side side, int64_t price, int64_t shares, bool post_only = true,
                        OrderType type = OrderType::kGtc) {
    std::array<uint8_t, 32> b{};
    b[0] = 0xaa;
    b[31] = static_cast<uint8_t>(++next_id_);
    last_id_ = model::OrderId(b);
    const NewOrder o{.id = last_id_,
                     .owner = kKey,
                     .maker = kAddress,
                     .token = token,
                     .side = side,
                     .price = Price(price),
                     .size = Size::FromWhole(shares),
                     .type = type,
                     .post_only = post_only};
    market_.BeforePlace(exchange_, o, wall_);
    for (Event& e : exchange_.TakeEvents()) {
      if (ExternalMarket::Publishes(e)) events_.push_back(std::move(e));
    }
    PlaceResult r = exchange_.Place(o, wall_);
    market_.AfterPlace(exchange_, o, r, wall_);
    for (Event& e : exchange_.TakeEvents()) {
      if (ExternalMarket::Publishes(e)) events_.push_back(std::move(e));
    }
    Publish();
    return r;
  }

  int64_t Matched(const model::OrderId& id) const { return exchange_.Find(id.ToString())->matched.micros(); }

  // Our trades as the user channel carries them (MAKER copies).
  int OurMakerTrades() const {
    int n = 0;
    for (const Event& e : events_) {
      const auto* u = std::get_if<UserEventOut>(&e);
      if (u == nullptr) continue;
      const auto* t = std::get_if<pm::UserTradeEvent>(&u->event);
      if (t != nullptr && t->trader_side == "MAKER" && u->recipients == std::vector<std::string>{kKey}) ++n;
    }
    return n;
  }

  Exchange exchange_;
  ExternalMarket market_;
  std::vector<Event> events_;
  Nanos t_ = kT0;
  Nanos wall_ = kWall;
  int next_id_ = 0;
  model::OrderId last_id_;
};

TEST_F(ExternalMarketTest, APostOnlyOrderCrossingTheRecordedBookIsRefusedWithTheExchangesMessage) {
  const PlaceResult r = PlaceOurs(kYes, Side::kBuy, 5200, 10);
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.error, "invalid post-only order: order crosses book");
  // The same through the NO token: BUY NO at 0.52 crosses the recorded bid 0.48 (1 - 0.52).
  EXPECT_EQ(PlaceOurs(kNo, Side::kBuy, 5200, 10).error, "invalid post-only order: order crosses book");
  // Nothing of the tape is left in the core.
  EXPECT_TRUE(exchange_.OpenOrders(kTapeMakerKey).empty());
  EXPECT_TRUE(PlaceOurs(kYes, Side::kBuy, 5100, 10).success);
}

TEST_F(ExternalMarketTest, ARestingOrderFillsOnlyFromTradesThatReachItThroughTheCore) {
  ASSERT_TRUE(PlaceOurs(kYes, Side::kBuy, 4800, 10).success);  // behind the recorded 100
  const model::OrderId ours = last_id_;
  Feed({Trade(kYes, Side::kSell, 4800, 60)}, kNanosPerMilli);
  EXPECT_EQ(Matched(ours), 0);
  Feed({Trade(kYes, Side::kSell, 4800, 45)}, kNanosPerMilli);  // 40 ahead left, 5 reach us
  EXPECT_EQ(Matched(ours), 5 * model::kQuantityOne);
  EXPECT_EQ(OurMakerTrades(), 1) << "the core's trade, on our user channel";
  const ReplayReport r = market_.Report();
  ASSERT_EQ(r.fills.size(), 1u);
  EXPECT_EQ(r.fills[0].size, 5 * model::kQuantityOne);
  EXPECT_EQ(r.fills[0].price, 4800);
  EXPECT_EQ(r.fills[0].trade_seq, 1);
  EXPECT_FALSE(r.fills[0].taker);
  // The tape's FAK took exactly that and is gone.
  EXPECT_TRUE(exchange_.OpenOrders(kTapeTakerKey).empty());
  // The recorded trades are published as recorded; the FAK's own last_trade_price is not.
  std::vector<int64_t> published;
  for (const Event& e : events_) {
    const auto* m = std::get_if<MarketEventOut>(&e);
    if (m == nullptr) continue;
    if (const auto* t = std::get_if<pm::LastTradePriceEvent>(&m->event)) published.push_back(t->size.micros());
  }
  EXPECT_EQ(published, (std::vector<int64_t>{60 * model::kQuantityOne, 45 * model::kQuantityOne}));
}

TEST_F(ExternalMarketTest, ATradeAtTheRecordedAskFillsOurBetterAskAndANoOrderTheSameWay) {
  ASSERT_TRUE(PlaceOurs(kYes, Side::kSell, 5100, 10).success);  // inside the spread
  const model::OrderId ask = last_id_;
  ASSERT_TRUE(PlaceOurs(kNo, Side::kBuy, 4900, 10).success);  // = SELL YES at 0.51, behind the first
  const model::OrderId no_bid = last_id_;
  Feed({Trade(kYes, Side::kBuy, 5200, 15)}, kNanosPerMilli);
  EXPECT_EQ(Matched(ask), 10 * model::kQuantityOne);
  EXPECT_EQ(Matched(no_bid), 5 * model::kQuantityOne) << "the NO bid is matched by the core's mint";
  // A NO-token trade is the same market: a taker SELL NO at 0.49 reaches the NO bid at 0.49.
  Feed({Trade(kNo, Side::kSell, 4900, 5, 2)}, kNanosPerMilli);
  EXPECT_EQ(Matched(no_bid), 10 * model::kQuantityOne);
}

TEST_F(ExternalMarketTest, TheNoTokensCopyOfATradeIsNotPlayedTwice) {
  ASSERT_TRUE(PlaceOurs(kYes, Side::kSell, 5100, 20).success);
  Feed({Trade(kYes, Side::kBuy, 5200, 5, 7), Trade(kNo, Side::kSell, 4800, 5, 7)}, kNanosPerMilli);
  EXPECT_EQ(Matched(last_id_), 5 * model::kQuantityOne);
  EXPECT_EQ(market_.report().counters.duplicate_trades, 1u);
}

TEST_F(ExternalMarketTest, AMarketableOrderTakesRecordedLiquidityAtRecordedPrices) {
  const PlaceResult r = PlaceOurs(kYes, Side::kBuy, 5300, 100, /*post_only=*/false, OrderType::kFak);
  ASSERT_TRUE(r.success) << r.error;
  EXPECT_EQ(Matched(last_id_), 100 * model::kQuantityOne);  // 80 at 0.52, 20 at 0.53
  const ReplayReport rep = market_.Report();
  ASSERT_EQ(rep.fills.size(), 2u);
  EXPECT_TRUE(rep.fills[0].taker);
  EXPECT_EQ(rep.fills[0].price, 5200);
  EXPECT_EQ(rep.fills[0].size, 80 * model::kQuantityOne);
  EXPECT_EQ(rep.fills[1].price, 5300);
  EXPECT_TRUE(exchange_.OpenOrders(kTapeMakerKey).empty());
  // The recorded book is unchanged (no market impact).
  EXPECT_EQ(market_.Book(exchange_, kYes, wall_).asks.front().price.units(), 5200);
}

TEST_F(ExternalMarketTest, ThePublishedBookIsTheRecordedOnePlusOursAndNeverCrossed) {
  ASSERT_TRUE(PlaceOurs(kYes, Side::kBuy, 4800, 10).success);
  pm::BookEvent yes = market_.Book(exchange_, kYes, wall_);
  ASSERT_FALSE(yes.bids.empty());
  EXPECT_EQ(yes.bids.front().price.units(), 4800);
  EXPECT_EQ(yes.bids.front().size, Size::FromWhole(110));
  pm::BookEvent no = market_.Book(exchange_, kNo, wall_);
  EXPECT_EQ(no.asks.front().price.units(), 5200);  // 1 - 0.48
  EXPECT_EQ(no.asks.front().size, Size::FromWhole(110));
  // The recorded ask comes down to our bid with no trade: it would have traded with us. It is
  // not shown (the book is never crossed) and counted.
  Feed({Change(Side::kSell, 4800, 30)}, kNanosPerMilli);
  yes = market_.Book(exchange_, kYes, wall_);
  EXPECT_EQ(yes.asks.front().price.units(), 5200);
  EXPECT_EQ(market_.report().counters.cross_through_events, 1u);
  EXPECT_EQ(Matched(last_id_), 0) << "no trade, no fill";
  // Every published change leaves the book uncrossed, with the best prices it reports.
  std::map<int64_t, int64_t, std::greater<>> bids;
  std::map<int64_t, int64_t> asks;
  for (const Event& e : events_) {
    const auto* m = std::get_if<MarketEventOut>(&e);
    if (m == nullptr) continue;
    const auto* pc = std::get_if<pm::PriceChangeEvent>(&m->event);
    if (pc == nullptr) continue;
    for (const pm::PriceChange& c : pc->changes) {
      if (c.asset_id != kYes) continue;
      if (c.side == Side::kBuy) {
        if (c.size.micros() == 0)
          bids.erase(c.price.units());
        else
          bids[c.price.units()] = c.size.micros();
      } else {
        if (c.size.micros() == 0)
          asks.erase(c.price.units());
        else
          asks[c.price.units()] = c.size.micros();
      }
      if (!bids.empty() && !asks.empty()) {
        EXPECT_LT(bids.begin()->first, asks.begin()->first);
      }
      EXPECT_EQ(c.best_bid->units(), bids.empty() ? 0 : bids.begin()->first);
      EXPECT_EQ(c.best_ask->units(), asks.empty() ? model::kPriceOne : asks.begin()->first);
    }
  }
  EXPECT_EQ(bids.begin()->second, 110 * model::kQuantityOne);
}

TEST_F(ExternalMarketTest, ARecordedTickSizeChangeChangesTheCoresGrid) {
  pm::TickSizeChangeEvent tick{.asset_id = kYes,
                               .market = kCondition,
                               .old_tick = model::TickSize::Cent(),
                               .new_tick = *model::TickSize::Parse("0.001")};
  pm::TickSizeChangeEvent tick_no = tick;
  tick_no.asset_id = kNo;
  Feed({tick, tick_no}, kNanosPerMilli);
  EXPECT_EQ(exchange_.MarketOf(kYes)->tick, *model::TickSize::Parse("0.001"));
  EXPECT_TRUE(PlaceOurs(kYes, Side::kBuy, 4850, 10).success) << "a price on the new grid";
  EXPECT_EQ(market_.report().counters.tick_changes, 1u);
  int published = 0;
  for (const Event& e : events_) {
    const auto* m = std::get_if<MarketEventOut>(&e);
    if (m != nullptr && std::holds_alternative<pm::TickSizeChangeEvent>(m->event)) ++published;
  }
  EXPECT_EQ(published, 2) << "both tokens, from the core";
}

TEST_F(ExternalMarketTest, MarkoutsUseTheRecordedMidLaterAndSamplesAreTaken) {
  ASSERT_TRUE(PlaceOurs(kYes, Side::kSell, 5100, 10).success);
  Feed({Trade(kYes, Side::kBuy, 5200, 10)}, 1500 * kNanosPerMilli);
  ASSERT_EQ(market_.report().fills.size(), 1u);
  EXPECT_DOUBLE_EQ(*market_.report().fills[0].mid, 0.50);
  // The book moves up 2 s later: the 1 s markout still sees 0.50, the 10 s one 0.55.
  Feed({RecordedBook({L(5400, 100)}, {L(5600, 80)})}, 2 * kNanosPerSecond);
  market_.Advance(exchange_, t_ + 70 * kNanosPerSecond, wall_);
  const FillRecord& f = market_.report().fills[0];
  EXPECT_DOUBLE_EQ(*f.mid_after[0], 0.50);
  EXPECT_DOUBLE_EQ(*f.mid_after[1], 0.55);
  EXPECT_DOUBLE_EQ(*f.mid_after[2], 0.55);
  EXPECT_GE(market_.report().samples.size(), 70u);
  ASSERT_TRUE(market_.report().samples[1].our_ask.has_value());
  EXPECT_DOUBLE_EQ(*market_.report().samples[1].our_ask, 0.51);
  EXPECT_FALSE(market_.report().samples[0].our_ask.has_value());
}

TEST_F(ExternalMarketTest, ReferencePricesAreReStampedAndHeldWhileNothingNewComes) {
  market_.OnReferenceFrame(R"([{"symbol":"m","price":"0.5","timestamp":1000}])", t_, wall_);
  auto frames = market_.TakeReferenceFrames(wall_);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_NE(frames[0].find(fmt::format("\"timestamp\":{}", wall_ / kNanosPerMilli)), std::string::npos) << frames[0];
  EXPECT_TRUE(market_.TakeReferenceFrames(wall_ + 100 * kNanosPerMilli).empty());
  frames = market_.TakeReferenceFrames(wall_ + 300 * kNanosPerMilli);
  ASSERT_EQ(frames.size(), 1u) << "the latest price again: a held replay is not a stale feed";
  EXPECT_NE(frames[0].find(fmt::format("\"timestamp\":{}", (wall_ + 300 * kNanosPerMilli) / kNanosPerMilli)),
            std::string::npos);
  EXPECT_DOUBLE_EQ(*market_.FairValue(kCondition), 0.5);
  // Another feed's shape goes out as it came.
  const std::string rtds =
      R"({"topic":"crypto_prices","type":"update","payload":{"symbol":"btcusdt","value":1,"timestamp":1}})";
  market_.OnReferenceFrame(rtds, t_, wall_);
  EXPECT_EQ(market_.TakeReferenceFrames(wall_ + 400 * kNanosPerMilli), std::vector<std::string>{rtds});
}

// The same journal and the same orders at the same recorded times give the same report.
std::string Session(uint64_t seed) {
  Rng rng(seed);
  Exchange exchange{ExchangeConfig{}};
  MarketConfig m{.condition_id = kCondition, .yes_token = kYes, .no_token = kNo, .slug = "m"};
  exchange.AddMarket(m);
  std::vector<journal::Record> records;
  Nanos t = kT0;
  records.push_back({.receive_ns = t, .payload = pm::EncodeMarketFrame({RecordedBook({L(4800, 100)}, {L(5200, 80)})})});
  for (int i = 0; i < 400; ++i) {
    t += rng.Between(1, 300) * kNanosPerMilli;
    const int64_t price = 4500 + 100 * rng.Between(0, 8);
    const Side side = price <= 4900 ? Side::kBuy : Side::kSell;
    pm::MarketEvent e = rng.Chance(0.6)
                            ? pm::MarketEvent(Change(side, price, rng.Between(0, 200)))
                            : pm::MarketEvent(Trade(kYes, model::Opposite(side), price, rng.Between(1, 40)));
    records.push_back({.receive_ns = t, .payload = pm::EncodeMarketFrame({e})});
  }
  ExternalMarket market;
  market.Init(exchange);
  market.AddMarket(exchange, m);
  exchange.OpenAccount(kAddress, kKey);
  exchange.Credit(kAddress, 1'000'000 * model::kQuantityOne, kYes, 10'000 * model::kQuantityOne);
  ReplayDriver driver(records, {.speed = 1.0, .prime = 0});
  driver.Prime(exchange, market, kWall);
  driver.Start(kWall);
  for (Nanos w = kWall; !driver.done(); w += 50 * kNanosPerMilli) {
    driver.Step(exchange, market, w, 0);
    if (rng.Chance(0.2)) {
      std::array<uint8_t, 32> b{};
      b[0] = 0xaa;
      b[30] = static_cast<uint8_t>(w >> 20);
      b[31] = static_cast<uint8_t>(w >> 12);
      const int64_t price = 4500 + 100 * rng.Between(0, 8);
      const NewOrder o{.id = model::OrderId(b),
                       .owner = kKey,
                       .maker = kAddress,
                       .token = kYes,
                       .side = price <= 4900 ? Side::kBuy : Side::kSell,
                       .price = Price(price),
                       .size = Size::FromWhole(rng.Between(5, 30)),
                       .post_only = true};
      market.BeforePlace(exchange, o, w);
      const PlaceResult r = exchange.Place(o, w);
      market.AfterPlace(exchange, o, r, w);
    }
    (void)market.TakeEvents(exchange, w);
  }
  return EncodeReport(market.Report());
}

TEST(ExternalMarketDeterminism, SameJournalSameOrdersSameReport) {
  const std::string a = Session(7);
  EXPECT_EQ(a, Session(7));
  EXPECT_NE(a.find("\"fills\":[{"), std::string::npos) << "the session has fills to compare";
  EXPECT_NE(a, Session(8));
}

TEST(ReplayReportJson, RoundTrips) {
  ReplayReport r;
  r.mode = "replay";
  r.done = true;
  r.first_t = 1;
  r.last_t = 2;
  r.markets.push_back({"0xc", "slug", "1", "2"});
  r.fills.push_back({.t = 5,
                     .wall_ms = 6,
                     .market = "0xc",
                     .token = "1",
                     .order_id = "0xo",
                     .owner = "k",
                     .side = Side::kSell,
                     .price = 5100,
                     .size = 10,
                     .taker = true,
                     .trade_seq = 3,
                     .mid = 0.5,
                     .mid_after = {0.51, std::nullopt, 0.49}});
  r.samples.push_back(
      {.t = 7, .market = "0xc", .bid = 0.48, .fair = 0.5, .our_ask = 0.51, .our_ask_size = 10, .score_share = 0.25});
  r.counters.cross_through_micros = 99;
  auto back = DecodeReport(EncodeReport(r));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(EncodeReport(*back), EncodeReport(r));
}

}  // namespace
}  // namespace clobmaker::simexchange::replay
