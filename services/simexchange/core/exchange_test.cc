#include "services/simexchange/core/exchange.h"

#include <gtest/gtest.h>

#include "common/core/hex.h"

namespace clobmaker::simexchange {
namespace {

constexpr Nanos kT0 = 1'780'000'000LL * kNanosPerSecond;

model::OrderId Id(uint64_t n) {
  std::array<uint8_t, 32> b{};
  for (int i = 0; i < 8; ++i) b[31 - i] = static_cast<uint8_t>(n >> (8 * i));
  return model::OrderId(b);
}

class ExchangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ex_.AddMarket({.condition_id = "0xm", .yes_token = "YES", .no_token = "NO", .min_order_size = Size::FromWhole(5)});
    for (const auto& [addr, key] : {std::pair{"0xalice", "alice"}, {"0xbob", "bob"}, {"0xcarol", "carol"}}) {
      ex_.OpenAccount(addr, key);
      ex_.Credit(addr, 1'000 * model::kQuantityOne, "YES", 500 * model::kQuantityOne);
      ex_.Credit(addr, 0, "NO", 500 * model::kQuantityOne);
    }
  }

  PlaceResult Place(const std::string& who, const std::string& token, Side side, int64_t price, int64_t shares,
                    OrderType type = OrderType::kGtc, bool post_only = false, Nanos at = kT0) {
    NewOrder o{.id = Id(next_++),
               .owner = who,
               .maker = "0x" + who,
               .token = token,
               .side = side,
               .price = Price(price),
               .size = Size::FromWhole(shares),
               .type = type,
               .post_only = post_only};
    last_id_ = o.id.ToString();
    return ex_.Place(o, at);
  }

  int64_t Cash(const std::string& who) { return ex_.AccountOf("0x" + who)->collateral; }
  int64_t Tokens(const std::string& who, const std::string& token) {
    const auto& t = ex_.AccountOf("0x" + who)->tokens;
    auto it = t.find(token);
    return it == t.end() ? 0 : it->second;
  }

  Exchange ex_{ExchangeConfig{.seed = 7}};
  uint64_t next_ = 1;
  std::string last_id_;
};

TEST_F(ExchangeTest, RestsAndReservesThenPriceTimePriority) {
  ASSERT_TRUE(Place("alice", "YES", Side::kBuy, 4000, 10).success);
  const std::string first = last_id_;
  ASSERT_TRUE(Place("bob", "YES", Side::kBuy, 4000, 10).success);
  ASSERT_TRUE(Place("bob", "YES", Side::kBuy, 4100, 10).success);
  EXPECT_EQ(ex_.AccountOf("0xalice")->reserved_collateral, 4 * model::kQuantityOne);
  // A seller hits 0.41 first (price), then alice at 0.40 (time), not bob's later 0.40.
  auto r = Place("carol", "YES", Side::kSell, 4000, 15);
  ASSERT_TRUE(r.success) << r.error;
  EXPECT_EQ(r.status, "matched");
  EXPECT_EQ(r.trade_ids.size(), 2u);
  EXPECT_EQ(ex_.Find(first)->matched, Size::FromWhole(5));
  EXPECT_EQ(Cash("carol"), 1'000 * model::kQuantityOne + 41 * 100'000 + 5 * 400'000);
  EXPECT_EQ(Tokens("carol", "YES"), 485 * model::kQuantityOne);
  EXPECT_EQ(Tokens("alice", "YES"), 505 * model::kQuantityOne);
  EXPECT_EQ(ex_.AccountOf("0xalice")->reserved_collateral, 2 * model::kQuantityOne);  // 5 left at 0.40
}

TEST_F(ExchangeTest, ComplementaryBuysMintAndSellsMerge) {
  // Bob bids 0.45 for NO; alice buys YES at 0.55: 0.45 + 0.55 >= 1, a mint.
  ASSERT_TRUE(Place("bob", "NO", Side::kBuy, 4500, 10).success);
  auto r = Place("alice", "YES", Side::kBuy, 5500, 10);
  ASSERT_TRUE(r.success) << r.error;
  EXPECT_EQ(r.status, "matched");
  EXPECT_EQ(Tokens("alice", "YES"), 510 * model::kQuantityOne);
  EXPECT_EQ(Tokens("bob", "NO"), 510 * model::kQuantityOne);
  EXPECT_EQ(Cash("alice"), 1'000 * model::kQuantityOne - 5'500'000);
  EXPECT_EQ(Cash("bob"), 1'000 * model::kQuantityOne - 4'500'000);
  // Merge: carol asks 0.30 for NO; alice sells YES at 0.70: both give tokens, get collateral.
  ASSERT_TRUE(Place("carol", "NO", Side::kSell, 3000, 10).success);
  auto m = Place("alice", "YES", Side::kSell, 7000, 10);
  ASSERT_TRUE(m.success) << m.error;
  EXPECT_EQ(Tokens("carol", "NO"), 490 * model::kQuantityOne);
  EXPECT_EQ(Cash("carol"), 1'000 * model::kQuantityOne + 3'000'000);
  EXPECT_EQ(Cash("alice"), 1'000 * model::kQuantityOne - 5'500'000 + 7'000'000);
}

TEST_F(ExchangeTest, PublishedBooksMirrorTheComplement) {
  ASSERT_TRUE(Place("bob", "NO", Side::kBuy, 4500, 10).success);
  const auto yes = ex_.Book("YES", kT0);
  ASSERT_EQ(yes.asks.size(), 1u);
  EXPECT_EQ(yes.asks[0].price, Price(5500));  // a NO bid at 0.45 is a YES ask at 0.55
  EXPECT_EQ(yes.asks[0].size, Size::FromWhole(10));
  EXPECT_EQ(ex_.Book("NO", kT0).bids.at(0).price, Price(4500));
}

TEST_F(ExchangeTest, PostOnlyIsRejectedWhenItWouldCross) {
  ASSERT_TRUE(Place("bob", "YES", Side::kSell, 5200, 10).success);
  auto crossing = Place("alice", "YES", Side::kBuy, 5200, 10, OrderType::kGtc, true);
  EXPECT_FALSE(crossing.success);
  EXPECT_EQ(crossing.error, "invalid post-only order: order crosses book");
  // Crossing through the complement counts too.
  ASSERT_TRUE(Place("bob", "NO", Side::kBuy, 4700, 10).success);  // YES ask at 0.53 via mint
  EXPECT_FALSE(Place("alice", "YES", Side::kBuy, 5300, 10, OrderType::kGtc, true).success);
  EXPECT_TRUE(Place("alice", "YES", Side::kBuy, 5100, 10, OrderType::kGtc, true).success);
  EXPECT_FALSE(Place("alice", "YES", Side::kBuy, 5100, 10, OrderType::kFok, true).success);
}

TEST_F(ExchangeTest, FokAndFak) {
  ASSERT_TRUE(Place("bob", "YES", Side::kSell, 5000, 10).success);
  auto fok = Place("alice", "YES", Side::kBuy, 5000, 20, OrderType::kFok);
  EXPECT_FALSE(fok.success);
  EXPECT_EQ(Tokens("alice", "YES"), 500 * model::kQuantityOne);  // nothing happened
  auto fak = Place("alice", "YES", Side::kBuy, 5000, 20, OrderType::kFak);
  ASSERT_TRUE(fak.success);
  EXPECT_EQ(Tokens("alice", "YES"), 510 * model::kQuantityOne);
  EXPECT_EQ(ex_.Find(last_id_)->status, OrderStatus::kCanceled);                       // remainder killed
  EXPECT_FALSE(Place("alice", "YES", Side::kBuy, 5000, 20, OrderType::kFak).success);  // nothing to match
}

TEST_F(ExchangeTest, ValidationMinimumSizeTickBalanceVersionDuplicate) {
  EXPECT_EQ(Place("alice", "YES", Side::kBuy, 5050, 10).http_status, 400);  // off the 0.01 tick
  EXPECT_FALSE(Place("alice", "YES", Side::kBuy, 5000, 2).success);         // below min size 5
  auto poor = Place("alice", "YES", Side::kBuy, 5000, 5000);                // 2,500 pUSD > 1,000
  EXPECT_EQ(poor.error, "not enough balance / allowance");
  EXPECT_FALSE(Place("alice", "YES", Side::kSell, 5000, 600).success);  // 600 > 500 tokens
  NewOrder v1{.id = Id(999),
              .owner = "alice",
              .maker = "0xalice",
              .token = "YES",
              .side = Side::kBuy,
              .price = Price(5000),
              .size = Size::FromWhole(10),
              .version = 1};
  EXPECT_EQ(ex_.Place(v1, kT0).error, "order_version_mismatch");
  v1.version = 2;
  EXPECT_TRUE(ex_.Place(v1, kT0).success);
  EXPECT_FALSE(ex_.Place(v1, kT0).success);  // the same order id again
}

TEST_F(ExchangeTest, ReservationsStopOverspending) {
  ASSERT_TRUE(Place("alice", "YES", Side::kBuy, 5000, 1500).success);                               // reserves 750
  EXPECT_EQ(Place("alice", "YES", Side::kBuy, 5000, 600).error, "not enough balance / allowance");  // 300 > 250 left
  ex_.CancelAll("alice", kT0);
  EXPECT_EQ(ex_.AccountOf("0xalice")->reserved_collateral, 0);
  EXPECT_TRUE(Place("alice", "YES", Side::kBuy, 5000, 600).success);
}

TEST_F(ExchangeTest, CancelsOwnOrdersOnlyAndReportsTheRest) {
  ASSERT_TRUE(Place("alice", "YES", Side::kBuy, 4000, 10).success);
  const std::string a = last_id_;
  ASSERT_TRUE(Place("bob", "YES", Side::kBuy, 4000, 10).success);
  const std::string b = last_id_;
  auto out = ex_.Cancel("alice", {a, b, a, "0xdead"}, kT0);
  EXPECT_EQ(out.canceled, std::vector<std::string>{a});
  EXPECT_EQ(out.not_canceled.size(), 2u);  // bob's and the unknown one; the duplicate is ignored
  auto again = ex_.Cancel("alice", {a}, kT0);
  EXPECT_EQ(again.not_canceled.at(0).second, "already canceled or matched");
  EXPECT_EQ(ex_.OpenOrders("bob").size(), 1u);
  EXPECT_EQ(ex_.CancelMarket("bob", "0xm", "", kT0).canceled.size(), 1u);
}

TEST_F(ExchangeTest, TradesSettleOrFailAndFailuresAreReversed) {
  Exchange failing{ExchangeConfig{.seed = 3, .trade_fail_probability = 1.0}};
  failing.AddMarket({.condition_id = "0xm", .yes_token = "YES", .no_token = "NO"});
  failing.OpenAccount("0xa", "a");
  failing.OpenAccount("0xb", "b");
  failing.Credit("0xa", 100 * model::kQuantityOne);
  failing.Credit("0xb", 0, "YES", 100 * model::kQuantityOne);
  ASSERT_TRUE(failing
                  .Place({.id = Id(1),
                          .owner = "b",
                          .maker = "0xb",
                          .token = "YES",
                          .side = Side::kSell,
                          .price = Price(5000),
                          .size = Size::FromWhole(10)},
                         kT0)
                  .success);
  ASSERT_TRUE(failing
                  .Place({.id = Id(2),
                          .owner = "a",
                          .maker = "0xa",
                          .token = "YES",
                          .side = Side::kBuy,
                          .price = Price(5000),
                          .size = Size::FromWhole(10)},
                         kT0)
                  .success);
  EXPECT_EQ(failing.AccountOf("0xa")->tokens.at("YES"), 10 * model::kQuantityOne);
  (void)failing.TakeEvents();
  failing.Advance(kT0 + 10 * kNanosPerSecond);
  // Reversed: a has its collateral back and no tokens; b has its tokens back.
  EXPECT_EQ(failing.AccountOf("0xa")->collateral, 100 * model::kQuantityOne);
  EXPECT_EQ(failing.AccountOf("0xa")->tokens.at("YES"), 0);
  EXPECT_EQ(failing.AccountOf("0xb")->tokens.at("YES"), 100 * model::kQuantityOne);
  std::vector<polymarket::TradeStatus> seen;
  for (auto& e : failing.TakeEvents()) {
    if (auto* u = std::get_if<UserEventOut>(&e)) {
      if (auto* t = std::get_if<polymarket::UserTradeEvent>(&u->event); t && u->recipients[0] == "a")
        seen.push_back(t->status);
    }
  }
  EXPECT_EQ(seen, (std::vector<polymarket::TradeStatus>{polymarket::TradeStatus::kRetrying,
                                                        polymarket::TradeStatus::kFailed}));

  // The normal path: MATCHED -> MINED -> CONFIRMED.
  ASSERT_TRUE(Place("bob", "YES", Side::kSell, 5000, 10).success);
  ASSERT_TRUE(Place("alice", "YES", Side::kBuy, 5000, 10).success);
  (void)ex_.TakeEvents();
  ex_.Advance(kT0 + 3 * kNanosPerSecond);
  ex_.Advance(kT0 + 6 * kNanosPerSecond);
  seen.clear();
  for (auto& e : ex_.TakeEvents()) {
    if (auto* u = std::get_if<UserEventOut>(&e)) {
      if (auto* t = std::get_if<polymarket::UserTradeEvent>(&u->event); t && u->recipients[0] == "alice")
        seen.push_back(t->status);
    }
  }
  EXPECT_EQ(seen, (std::vector<polymarket::TradeStatus>{polymarket::TradeStatus::kMined,
                                                        polymarket::TradeStatus::kConfirmed}));
}

TEST_F(ExchangeTest, HeartbeatDeadManSwitch) {
  ASSERT_TRUE(Place("alice", "YES", Side::kBuy, 4000, 10).success);
  // No chain started: orders stay.
  ex_.Advance(kT0 + 60 * kNanosPerSecond);
  EXPECT_EQ(ex_.OpenOrders("alice").size(), 1u);
  std::string expected;
  auto id = ex_.Heartbeat("alice", "", kT0 + 60 * kNanosPerSecond, &expected);
  ASSERT_TRUE(id.has_value());
  EXPECT_FALSE(ex_.Heartbeat("alice", "wrong", kT0 + 61 * kNanosPerSecond, &expected).has_value());
  EXPECT_EQ(expected, *id);
  auto next = ex_.Heartbeat("alice", *id, kT0 + 65 * kNanosPerSecond, &expected);
  ASSERT_TRUE(next.has_value());
  ex_.Advance(kT0 + 74 * kNanosPerSecond);
  EXPECT_EQ(ex_.OpenOrders("alice").size(), 1u);  // 9 s after the last beat
  ex_.Advance(kT0 + 76 * kNanosPerSecond);
  EXPECT_TRUE(ex_.OpenOrders("alice").empty());  // 11 s: everything of the key cancelled
}

TEST_F(ExchangeTest, MatchingEngineRestartWindows) {
  ex_.RestartMatchingEngine(kT0 + 90 * kNanosPerSecond, kT0 + 210 * kNanosPerSecond);
  EXPECT_EQ(Place("alice", "YES", Side::kBuy, 4000, 10).http_status, 425);
  auto normal = Place("alice", "YES", Side::kBuy, 4000, 10, OrderType::kGtc, false, kT0 + 100 * kNanosPerSecond);
  EXPECT_EQ(normal.http_status, 503);
  EXPECT_TRUE(Place("alice", "YES", Side::kBuy, 4000, 10, OrderType::kGtc, true, kT0 + 100 * kNanosPerSecond).success);
  EXPECT_TRUE(Place("alice", "YES", Side::kBuy, 4000, 10, OrderType::kGtc, false, kT0 + 211 * kNanosPerSecond).success);
}

TEST_F(ExchangeTest, ScoringFollowsTheRewardsBand) {
  ASSERT_TRUE(Place("bob", "YES", Side::kSell, 5200, 50).success);
  ASSERT_TRUE(Place("bob", "YES", Side::kBuy, 4800, 50).success);  // mid 0.50
  ASSERT_TRUE(Place("alice", "YES", Side::kBuy, 4900, 50).success);
  EXPECT_TRUE(ex_.IsScoring(last_id_));
  ASSERT_TRUE(Place("alice", "YES", Side::kBuy, 4000, 50).success);  // 0.10 from mid
  EXPECT_FALSE(ex_.IsScoring(last_id_));
  ASSERT_TRUE(Place("alice", "YES", Side::kBuy, 4900, 10).success);  // below rewards min size
  EXPECT_FALSE(ex_.IsScoring(last_id_));
}

TEST_F(ExchangeTest, GtdExpiresAMinuteEarly) {
  NewOrder gtd{.id = Id(500),
               .owner = "alice",
               .maker = "0xalice",
               .token = "YES",
               .side = Side::kBuy,
               .price = Price(4000),
               .size = Size::FromWhole(10),
               .type = OrderType::kGtd,
               .expiration_s = kT0 / kNanosPerSecond + 90};
  ASSERT_TRUE(ex_.Place(gtd, kT0).success);
  ex_.Advance(kT0 + 29 * kNanosPerSecond);
  EXPECT_EQ(ex_.OpenOrders("alice").size(), 1u);
  ex_.Advance(kT0 + 31 * kNanosPerSecond);
  EXPECT_TRUE(ex_.OpenOrders("alice").empty());
  gtd.id = Id(501);
  gtd.expiration_s = kT0 / kNanosPerSecond + 30;  // inside the security margin
  EXPECT_EQ(ex_.Place(gtd, kT0).error, "invalid expiration");
}

TEST_F(ExchangeTest, EventsDescribeEverythingObservable) {
  ASSERT_TRUE(Place("bob", "YES", Side::kSell, 5200, 10).success);
  auto events = ex_.TakeEvents();
  int placements = 0, price_changes = 0;
  for (auto& e : events) {
    if (auto* u = std::get_if<UserEventOut>(&e)) {
      placements += std::holds_alternative<polymarket::UserOrderEvent>(u->event) ? 1 : 0;
    } else if (std::holds_alternative<polymarket::PriceChangeEvent>(std::get<MarketEventOut>(e).event)) {
      ++price_changes;
      const auto& pc = std::get<polymarket::PriceChangeEvent>(std::get<MarketEventOut>(e).event);
      ASSERT_EQ(pc.changes.size(), 2u);  // the level and its mirror
      EXPECT_EQ(pc.changes[1].price, Price(4800));
      EXPECT_EQ(pc.changes[1].side, Side::kBuy);
    }
  }
  EXPECT_EQ(placements, 1);
  EXPECT_EQ(price_changes, 1);
  EXPECT_TRUE(ex_.SetTickSize("YES", *model::TickSize::Parse("0.001"), kT0));
  EXPECT_EQ(ex_.TakeEvents().size(), 2u);                            // tick_size_change on both tokens
  EXPECT_TRUE(Place("alice", "YES", Side::kBuy, 4990, 10).success);  // the new grid
}

TEST(ExchangeDeterminism, SameSeedSameInputsSameOutputs) {
  const auto run = [](uint64_t seed) {
    Exchange ex{ExchangeConfig{.seed = seed, .trade_fail_probability = 0.3}};
    ex.AddMarket({.condition_id = "0xm", .yes_token = "YES", .no_token = "NO"});
    Rng flow(99);
    for (int k = 0; k < 4; ++k) {
      const std::string who = "k" + std::to_string(k);
      ex.OpenAccount("0x" + who, who);
      ex.Credit("0x" + who, 100'000 * model::kQuantityOne, "YES", 10'000 * model::kQuantityOne);
      ex.Credit("0x" + who, 0, "NO", 10'000 * model::kQuantityOne);
    }
    std::string log;
    for (int i = 0; i < 2000; ++i) {
      const std::string who = "k" + std::to_string(flow.Below(4));
      NewOrder o{.id = Id(static_cast<uint64_t>(i + 1)),
                 .owner = who,
                 .maker = "0x" + who,
                 .token = flow.Chance(0.5) ? "YES" : "NO",
                 .side = flow.Chance(0.5) ? Side::kBuy : Side::kSell,
                 .price = Price(100 * flow.Between(30, 70)),
                 .size = Size::FromWhole(flow.Between(5, 50))};
      const auto r = ex.Place(o, kT0 + i * kNanosPerMilli * 50);
      log += r.status + r.error + std::to_string(r.trade_ids.size()) + ";";
      for (const auto& id : r.trade_ids) log += id;
      if (flow.Chance(0.1)) ex.CancelAll(who, kT0 + i * kNanosPerMilli * 50);
    }
    ex.Advance(kT0 + 1000 * kNanosPerSecond);
    for (const auto& e : ex.TakeEvents()) log += std::to_string(e.index());
    for (int k = 0; k < 4; ++k) log += std::to_string(ex.AccountOf("0xk" + std::to_string(k))->collateral);
    return log;
  };
  EXPECT_EQ(run(5), run(5));
  EXPECT_NE(run(5), run(6));  // the seed drives trade outcomes
}

// --- the chain: merge, redeem, resolution ------------------------------------------------------

int64_t ChainTokens(const Exchange& ex, const std::string& address, const std::string& token) {
  const auto& t = ex.AccountOf(address)->chain_tokens;
  auto it = t.find(token);
  return it == t.end() ? 0 : it->second;
}

TEST_F(ExchangeTest, MergeIsMinedAfterABlockOnTheChainAndAtTheExchange) {
  const int64_t ten = 10 * model::kQuantityOne;
  ChainTxSpec merge{
      .hash = "0xAA", .sender = "0xalice", .nonce = 0, .call = ChainCall::kMerge, .condition_id = "0xm", .amount = ten};
  EXPECT_EQ(ex_.SubmitChainTx(merge, kT0), std::nullopt);
  EXPECT_EQ(ex_.NextNonce("0xalice"), 1u);
  EXPECT_EQ(*ex_.SubmitChainTx(merge, kT0), "already known");
  merge.hash = "0xbb";
  EXPECT_NE(ex_.SubmitChainTx(merge, kT0)->find("nonce too low"), std::string::npos);
  merge.nonce = 5;
  EXPECT_NE(ex_.SubmitChainTx(merge, kT0)->find("nonce too high"), std::string::npos);
  // Pending: nothing moved yet; the "latest" nonce counts mined transactions only.
  ex_.Advance(kT0 + kNanosPerSecond);
  EXPECT_FALSE(ex_.FindChainTx("0xaa")->mined);
  EXPECT_EQ(ex_.MinedNonce("0xalice"), 0u);
  EXPECT_EQ(ChainTokens(ex_, "0xalice", "YES"), 500 * model::kQuantityOne);
  ex_.Advance(kT0 + 2 * kNanosPerSecond);
  const ChainTx* tx = ex_.FindChainTx("0xaa");
  ASSERT_TRUE(tx->mined);
  EXPECT_EQ(ex_.MinedNonce("0xalice"), 1u);
  EXPECT_EQ(ex_.MinedNonce("0xbob"), 0u);
  EXPECT_TRUE(tx->success) << tx->revert_reason;
  EXPECT_EQ(tx->collateral_delta, ten);
  for (const char* t : {"YES", "NO"}) {
    EXPECT_EQ(ChainTokens(ex_, "0xalice", t), 490 * model::kQuantityOne);
    EXPECT_EQ(Tokens("alice", t), 490 * model::kQuantityOne);
  }
  EXPECT_EQ(Cash("alice"), 1'010 * model::kQuantityOne);
  EXPECT_EQ(ex_.AccountOf("0xalice")->chain_collateral, 1'010 * model::kQuantityOne);
}

TEST_F(ExchangeTest, MergeBeyondTheBalanceReverts) {
  ASSERT_EQ(ex_.SubmitChainTx({.hash = "0x01",
                               .sender = "0xbob",
                               .nonce = 0,
                               .call = ChainCall::kMerge,
                               .condition_id = "0xm",
                               .amount = 501 * model::kQuantityOne},
                              kT0),
            std::nullopt);
  ex_.Advance(kT0 + 3 * kNanosPerSecond);
  const ChainTx* tx = ex_.FindChainTx("0x01");
  ASSERT_TRUE(tx->mined);
  EXPECT_FALSE(tx->success);
  EXPECT_NE(tx->revert_reason.find("insufficient balance"), std::string::npos);
  EXPECT_EQ(Tokens("bob", "YES"), 500 * model::kQuantityOne);  // nothing moved
  EXPECT_EQ(Cash("bob"), 1'000 * model::kQuantityOne);
}

TEST_F(ExchangeTest, MergeCancelsSellOrdersItNoLongerCovers) {
  ASSERT_TRUE(Place("alice", "YES", Side::kSell, 9000, 300).success);
  const std::string sell = last_id_;
  (void)ex_.TakeEvents();
  ASSERT_EQ(ex_.SubmitChainTx({.hash = "0x02",
                               .sender = "0xalice",
                               .nonce = 0,
                               .call = ChainCall::kMerge,
                               .condition_id = "0xm",
                               .amount = 400 * model::kQuantityOne},
                              kT0),
            std::nullopt);
  ex_.Advance(kT0 + 2 * kNanosPerSecond);
  ASSERT_TRUE(ex_.FindChainTx("0x02")->success);
  EXPECT_EQ(ex_.Find(sell)->status, OrderStatus::kCanceled);  // 100 YES left cannot back a 300 sell
  EXPECT_EQ(ex_.AccountOf("0xalice")->reserved_tokens.at("YES"), 0);
  bool cancellation = false;
  for (const Event& e : ex_.TakeEvents()) {
    if (const auto* u = std::get_if<UserEventOut>(&e)) {
      if (const auto* o = std::get_if<polymarket::UserOrderEvent>(&u->event)) cancellation |= o->id == sell;
    }
  }
  EXPECT_TRUE(cancellation);
}

TEST_F(ExchangeTest, ResolutionClosesTheMarketAndRedeemPaysTheWinners) {
  ASSERT_TRUE(Place("alice", "YES", Side::kBuy, 4000, 10).success);
  const std::string bid = last_id_;
  EXPECT_FALSE(
      ex_.SubmitChainTx(
             {.hash = "0x03", .sender = "0xcarol", .nonce = 0, .call = ChainCall::kRedeem, .condition_id = "0xm"}, kT0)
          .has_value());
  ex_.Advance(kT0 + 2 * kNanosPerSecond);
  EXPECT_EQ(ex_.FindChainTx("0x03")->revert_reason, "result for condition not received yet");
  (void)ex_.TakeEvents();
  ASSERT_TRUE(ex_.Resolve("0xm", /*winning_outcome=*/1, kT0 + 3 * kNanosPerSecond));
  EXPECT_FALSE(ex_.Resolve("0xm", 0, kT0 + 3 * kNanosPerSecond));  // once
  EXPECT_EQ(ex_.Find(bid)->status, OrderStatus::kCanceled);
  EXPECT_EQ(ex_.PayoutsOf("0xm").denominator, 1u);
  EXPECT_EQ(ex_.PayoutsOf("0xm").numerators[1], 1u);
  bool resolved_event = false;
  for (const Event& e : ex_.TakeEvents()) {
    if (const auto* m = std::get_if<MarketEventOut>(&e)) {
      if (const auto* r = std::get_if<polymarket::MarketResolvedEvent>(&m->event)) {
        resolved_event = r->winning_asset_id == "NO";
      }
    }
  }
  EXPECT_TRUE(resolved_event);
  auto refused = Place("bob", "YES", Side::kBuy, 4000, 10, OrderType::kGtc, false, kT0 + 3 * kNanosPerSecond);
  EXPECT_FALSE(refused.success);
  ASSERT_EQ(ex_.SubmitChainTx(
                {.hash = "0x04", .sender = "0xcarol", .nonce = 1, .call = ChainCall::kRedeem, .condition_id = "0xm"},
                kT0 + 3 * kNanosPerSecond),
            std::nullopt);
  ex_.Advance(kT0 + 6 * kNanosPerSecond);
  const ChainTx* tx = ex_.FindChainTx("0x04");
  ASSERT_TRUE(tx->success) << tx->revert_reason;
  EXPECT_EQ(tx->collateral_delta, 500 * model::kQuantityOne);  // 500 NO at 1, 500 YES at 0
  EXPECT_EQ(Cash("carol"), 1'500 * model::kQuantityOne);
  EXPECT_EQ(ChainTokens(ex_, "0xcarol", "YES"), 0);
  EXPECT_EQ(ChainTokens(ex_, "0xcarol", "NO"), 0);
  EXPECT_EQ(Tokens("carol", "NO"), 0);
}

}  // namespace
}  // namespace clobmaker::simexchange
