// The exchange of late 2026 in the core: matching delays (delayed, not cancellable, invisible,
// then matched or "unmatched"), MATCHED_NOT_BROADCASTED, taker fees and daily maker rebates,
// trading modes and closed-only accounts, new_market with its fee schedule.
#include <gtest/gtest.h>

#include "services/simexchange/core/exchange.h"

namespace clobmaker::simexchange {
namespace {

constexpr Nanos kT0 = 1'780'000'000LL * kNanosPerSecond;
constexpr Nanos kMs = kNanosPerMilli;

model::OrderId Id(uint64_t n) {
  std::array<uint8_t, 32> b{};
  for (int i = 0; i < 8; ++i) b[31 - i] = static_cast<uint8_t>(n >> (8 * i));
  return model::OrderId(b);
}

class Exchange2026 : public ::testing::Test {
 protected:
  void SetUp() override { Open(ExchangeConfig{.seed = 7}); }

  void Open(ExchangeConfig config, MarketConfig market = {}) {
    ex_ = std::make_unique<Exchange>(config);
    market.condition_id = "0xm";
    market.yes_token = "YES";
    market.no_token = "NO";
    ex_->AddMarket(market, kT0);
    for (const auto& [addr, key] : {std::pair{"0xalice", "alice"}, {"0xbob", "bob"}, {"0xcarol", "carol"}}) {
      ex_->OpenAccount(addr, key);
      ex_->Credit(addr, 1'000 * model::kQuantityOne, "YES", 500 * model::kQuantityOne);
      ex_->Credit(addr, 0, "NO", 500 * model::kQuantityOne);
    }
  }

  PlaceResult Place(const std::string& who, Side side, int64_t price, int64_t shares, Nanos at = kT0,
                    bool post_only = false) {
    NewOrder o{.id = Id(next_++),
               .owner = who,
               .maker = "0x" + who,
               .token = "YES",
               .side = side,
               .price = Price(price),
               .size = Size::FromWhole(shares),
               .post_only = post_only};
    last_id_ = o.id.ToString();
    return ex_->Place(o, at);
  }
  int64_t Cash(const std::string& who) { return ex_->AccountOf("0x" + who)->collateral; }
  int64_t ChainCash(const std::string& who) { return ex_->AccountOf("0x" + who)->chain_collateral; }

  std::unique_ptr<Exchange> ex_;
  uint64_t next_ = 1;
  std::string last_id_;
};

TEST_F(Exchange2026, TakerDelayHoldsAMarketableOrderThatCannotBeCanceledNorSeen) {
  Open({.seed = 7}, {.taker_delay = 250 * kMs});
  ASSERT_TRUE(Place("bob", Side::kSell, 5000, 10).success);  // rests: not marketable, no delay
  EXPECT_EQ(ex_->Find(last_id_)->status, OrderStatus::kLive);
  auto taker = Place("alice", Side::kBuy, 5000, 10, kT0 + 10 * kMs);
  ASSERT_TRUE(taker.success) << taker.error;
  EXPECT_EQ(taker.status, "delayed");
  EXPECT_EQ(taker.making, 0);  // not a fill
  EXPECT_TRUE(taker.trade_ids.empty());
  const std::string id = last_id_;
  EXPECT_EQ(ex_->Find(id)->status, OrderStatus::kDelayed);
  EXPECT_TRUE(ex_->OpenOrders("alice").empty());  // not listed
  ASSERT_EQ(ex_->DelayedOrders("alice").size(), 1u);
  // During the delay it cannot be canceled: not_canceled with the reason.
  auto cancel = ex_->Cancel("alice", {id}, kT0 + 100 * kMs);
  EXPECT_TRUE(cancel.canceled.empty());
  ASSERT_EQ(cancel.not_canceled.size(), 1u);
  EXPECT_NE(cancel.not_canceled[0].second.find("delay"), std::string::npos);
  auto all = ex_->CancelAll("alice", kT0 + 110 * kMs);
  EXPECT_TRUE(all.canceled.empty());
  EXPECT_EQ(all.not_canceled.size(), 1u);
  (void)ex_->TakeEvents();
  // After the delay it matches; the held answer says matched.
  ex_->Advance(kT0 + 270 * kMs);
  EXPECT_EQ(ex_->Find(id)->status, OrderStatus::kMatched);
  EXPECT_EQ(ex_->Find(id)->matched, Size::FromWhole(10));
  bool released = false;
  for (const Event& e : ex_->TakeEvents()) {
    if (const auto* r = std::get_if<DelayReleasedOut>(&e)) {
      released = true;
      EXPECT_EQ(r->order_id, id);
      EXPECT_EQ(r->result.status, "matched");
      EXPECT_EQ(r->result.trade_ids.size(), 1u);
    }
  }
  EXPECT_TRUE(released);
}

TEST_F(Exchange2026, AnOrderPlacedAfterItsDelayWithoutAMatchIsUnmatchedAndRests) {
  Open({.seed = 7, .delay_scope = DelayScope::kAll}, {.sports_delay_s = 3});
  auto r = Place("alice", Side::kBuy, 4000, 10, kT0, /*post_only=*/true);
  ASSERT_TRUE(r.success) << r.error;
  EXPECT_EQ(r.status, "delayed");  // every order is held in this variant, post-only ones too
  const std::string id = last_id_;
  ex_->Advance(kT0 + 2 * kNanosPerSecond);
  EXPECT_EQ(ex_->Find(id)->status, OrderStatus::kDelayed);
  (void)ex_->TakeEvents();
  ex_->Advance(kT0 + 3 * kNanosPerSecond);
  EXPECT_EQ(ex_->Find(id)->status, OrderStatus::kLive);
  ASSERT_EQ(ex_->OpenOrders("alice").size(), 1u);
  std::string answer;
  bool placement = false;
  for (const Event& e : ex_->TakeEvents()) {
    if (const auto* d = std::get_if<DelayReleasedOut>(&e)) answer = d->result.status;
    if (const auto* u = std::get_if<UserEventOut>(&e)) {
      if (const auto* o = std::get_if<polymarket::UserOrderEvent>(&u->event))
        placement |= o->type == polymarket::OrderEventType::kPlacement;
    }
  }
  EXPECT_EQ(answer, "unmatched");
  EXPECT_TRUE(placement);
  // Now it can be canceled.
  EXPECT_EQ(ex_->Cancel("alice", {id}, kT0 + 4 * kNanosPerSecond).canceled.size(), 1u);
}

TEST_F(Exchange2026, SomeTradesStartMatchedNotBroadcasted) {
  Open({.seed = 7, .matched_not_broadcasted_share = 1.0});
  ASSERT_TRUE(Place("bob", Side::kSell, 5000, 10).success);
  (void)ex_->TakeEvents();
  ASSERT_TRUE(Place("alice", Side::kBuy, 5000, 10).success);
  std::vector<polymarket::TradeStatus> seen;
  const auto collect = [&] {
    for (const Event& e : ex_->TakeEvents()) {
      if (const auto* u = std::get_if<UserEventOut>(&e)) {
        if (const auto* t = std::get_if<polymarket::UserTradeEvent>(&u->event)) {
          if (u->recipients.front() == "alice") seen.push_back(t->status);
        }
      }
    }
  };
  collect();
  ex_->Advance(kT0 + 400 * kMs);
  collect();
  ex_->Advance(kT0 + 6 * kNanosPerSecond);
  collect();
  ASSERT_GE(seen.size(), 4u);
  EXPECT_EQ(seen[0], polymarket::TradeStatus::kMatchedNotBroadcasted);
  EXPECT_EQ(seen[1], polymarket::TradeStatus::kMatched);
  EXPECT_EQ(seen[2], polymarket::TradeStatus::kMined);
  EXPECT_EQ(seen[3], polymarket::TradeStatus::kConfirmed);
}

TEST_F(Exchange2026, TakersPayTheFeeMakersDoNotAndFailuresGiveItBack) {
  const polymarket::FeeSchedule crypto{.enabled = true, .rate_ppm = 70'000, .exponent = 1, .rebate_ppm = 200'000};
  Open({.seed = 7, .trade_fail_probability = 0}, {.fees = crypto});
  ASSERT_TRUE(Place("bob", Side::kSell, 5000, 100).success);
  const int64_t alice0 = Cash("alice"), bob0 = Cash("bob");
  auto r = Place("alice", Side::kBuy, 5000, 100);
  ASSERT_TRUE(r.success) << r.error;
  // 100 x 0.07 x 0.25 = 1.75 pUSD on top of the 50 paid.
  EXPECT_EQ(Cash("alice"), alice0 - 50 * model::kQuantityOne - 1'750'000);
  EXPECT_EQ(Cash("bob"), bob0 + 50 * model::kQuantityOne);  // the maker pays nothing
  EXPECT_EQ(ex_->FeesPaid("0xalice"), 1'750'000);
  EXPECT_EQ(ex_->FeesPaid("0xbob"), 0);
  // The taker's copy of the trade carries the fee rate (bps).
  bool rate_seen = false;
  for (const Event& e : ex_->TakeEvents()) {
    if (const auto* u = std::get_if<UserEventOut>(&e)) {
      if (const auto* t = std::get_if<polymarket::UserTradeEvent>(&u->event)) {
        rate_seen |= t->fee_rate_bps == 700;
        for (const auto& leg : t->maker_orders) EXPECT_EQ(leg.fee_rate_bps, 0);
      }
    }
  }
  EXPECT_TRUE(rate_seen);

  // A failed trade reverses the fee with the rest.
  Open({.seed = 7, .trade_fail_probability = 1.0}, {.fees = crypto});
  ASSERT_TRUE(Place("bob", Side::kSell, 5000, 100).success);
  const int64_t before = Cash("alice");
  ASSERT_TRUE(Place("alice", Side::kBuy, 5000, 100).success);
  EXPECT_LT(Cash("alice"), before);
  ex_->Advance(kT0 + 6 * kNanosPerSecond);
  EXPECT_EQ(Cash("alice"), before);
  EXPECT_EQ(ex_->FeesPaid("0xalice"), 0);
}

TEST_F(Exchange2026, MakersShareTheDaysRebatePoolProRata) {
  const polymarket::FeeSchedule crypto{.enabled = true, .rate_ppm = 70'000, .exponent = 1, .rebate_ppm = 200'000};
  const Nanos day = 60 * kNanosPerSecond;
  Open({.seed = 7, .rebate_day = day}, {.fees = crypto});
  const Nanos start = (kT0 / day + 1) * day;  // the start of a day
  // bob makes 30 shares, carol 10, both at 0.50; alice takes all 40.
  ASSERT_TRUE(Place("bob", Side::kSell, 5000, 30, start + kNanosPerSecond).success);
  ASSERT_TRUE(Place("carol", Side::kSell, 5000, 10, start + 2 * kNanosPerSecond).success);
  ASSERT_TRUE(Place("alice", Side::kBuy, 5000, 40, start + 3 * kNanosPerSecond).success);
  const int64_t fees = ex_->FeesPaid("0xalice");
  EXPECT_EQ(fees, 700'000);                    // 40 x 0.07 x 0.25
  ex_->Advance(start + 10 * kNanosPerSecond);  // the trades are mined (the chain moves) before the day ends
  const int64_t bob0 = Cash("bob"), carol0 = Cash("carol"), bob_chain0 = ChainCash("bob");
  ex_->Advance(start + day - kNanosPerSecond);
  EXPECT_EQ(Cash("bob"), bob0);  // not before the day closes
  ex_->Advance(start + day + kNanosPerSecond);
  // Pool = 20 % of 0.70 = 0.14: bob 3/4, carol 1/4.
  EXPECT_EQ(Cash("bob") - bob0, 105'000);
  EXPECT_EQ(Cash("carol") - carol0, 35'000);
  EXPECT_EQ(ChainCash("bob") - bob_chain0, 105'000);
  auto entries = ex_->rebates().Entries("0xbob", "", "");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].rebated_fees_micros, 105'000);
  EXPECT_EQ(entries[0].condition_id, "0xm");
  EXPECT_EQ(entries[0].date, ex_->rebates().DayLabel(start / day));
  EXPECT_TRUE(ex_->rebates().Entries("0xalice", "", "").empty());  // takers earn nothing
}

TEST_F(Exchange2026, TradingModesAndClosedOnlyAccounts) {
  ASSERT_TRUE(Place("bob", Side::kSell, 6000, 10).success);
  const std::string resting = last_id_;
  ex_->SetTradingMode(TradingMode::kCancelOnly);
  auto refused = Place("alice", Side::kBuy, 4000, 10);
  EXPECT_FALSE(refused.success);
  EXPECT_EQ(refused.http_status, 503);
  EXPECT_NE(refused.error.find("cancel-only"), std::string::npos);
  EXPECT_EQ(ex_->Cancel("bob", {resting}, kT0).canceled.size(), 1u);  // cancels go on
  ex_->SetTradingMode(TradingMode::kNormal);
  ex_->SetClosedOnly("0xALICE", true);
  EXPECT_TRUE(ex_->IsClosedOnly("0xalice"));
  auto buy = Place("alice", Side::kBuy, 4000, 10);
  EXPECT_FALSE(buy.success);
  EXPECT_NE(buy.error.find("closed only mode"), std::string::npos);
  EXPECT_TRUE(Place("alice", Side::kSell, 6500, 10).success);  // reducing a position is allowed
}

TEST_F(Exchange2026, NewMarketCarriesItsFeeSchedule) {
  (void)ex_->TakeEvents();
  MarketConfig m{.condition_id = "0xn", .yes_token = "Y2", .no_token = "N2"};
  m.fees = {.enabled = true, .rate_ppm = 30'000, .exponent = 1, .rebate_ppm = 250'000};
  ex_->AddMarket(m, kT0);
  auto events = ex_->TakeEvents();
  ASSERT_EQ(events.size(), 1u);
  const auto& nm = std::get<polymarket::NewMarketEvent>(std::get<MarketEventOut>(events[0]).event);
  EXPECT_EQ(nm.market, "0xn");
  EXPECT_EQ(nm.clob_token_ids, (std::vector<std::string>{"Y2", "N2"}));
  EXPECT_TRUE(nm.fees_enabled);
  ASSERT_TRUE(nm.fee_schedule.has_value());
  EXPECT_EQ(nm.fee_schedule->rebate_ppm, 250'000);
}

}  // namespace
}  // namespace clobmaker::simexchange
