#include "services/positions/core/ledger.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "common/core/rng.h"

namespace clobmaker::positions {
namespace {

TradeLeg Leg(const std::string& trade, model::Side side, int64_t price, int64_t size, LegStatus status,
             const std::string& token = "yes") {
  return {.trade_id = trade,
          .order_id = "0xo" + trade,
          .token_id = token,
          .condition_id = "0xc",
          .side = side,
          .price_units = price,
          .size_micros = size,
          .status = status};
}

TEST(Ledger, ProvisionalThenSettledAndCollateral) {
  Ledger l;
  l.SeedCollateral(1'000'000'000, 1'000'000'000);
  EXPECT_TRUE(l.OnLeg(Leg("t1", model::Side::kBuy, 4000, 10'000'000, LegStatus::kMatched)));
  const TokenPosition* p = l.Find("yes");
  EXPECT_EQ(p->provisional_micros, 10'000'000);
  EXPECT_EQ(p->settled_micros, 0);
  EXPECT_EQ(l.collateral().provisional_micros, 1'000'000'000 - 4'000'000);
  EXPECT_EQ(l.collateral().settled_micros, 1'000'000'000);
  EXPECT_EQ(p->onchain_micros, 0);
  EXPECT_TRUE(l.OnLeg(Leg("t1", model::Side::kBuy, 4000, 10'000'000, LegStatus::kMined)));  // on chain now
  EXPECT_EQ(p->onchain_micros, 10'000'000);
  EXPECT_EQ(l.collateral().onchain_micros, 1'000'000'000 - 4'000'000);
  EXPECT_FALSE(l.OnLeg(Leg("t1", model::Side::kBuy, 4000, 10'000'000, LegStatus::kMined)));
  EXPECT_TRUE(l.OnLeg(Leg("t1", model::Side::kBuy, 4000, 10'000'000, LegStatus::kConfirmed)));
  EXPECT_EQ(p->onchain_micros, 10'000'000);
  EXPECT_EQ(p->settled_micros, 10'000'000);
  EXPECT_EQ(l.collateral().settled_micros, 1'000'000'000 - 4'000'000);
  EXPECT_EQ(p->AvgCostUnitsX1e6(), 4000LL * 1'000'000);
  // Sell 4 at 0.50: realised (0.50 - 0.40) x 4 = 0.40 pUSD.
  l.OnLeg(Leg("t2", model::Side::kSell, 5000, 4'000'000, LegStatus::kConfirmed));
  EXPECT_EQ(p->provisional_micros, 6'000'000);
  EXPECT_EQ(p->realized_pnl_micros, 400'000);
  l.SetMark("yes", 4500);
  EXPECT_EQ(p->UnrealizedMicros(), 6 * 50'000);  // 6 shares x 0.05
  EXPECT_EQ(l.counters().duplicates, 1u);
}

TEST(Ledger, FailedReversesEverythingTheLegApplied) {
  Ledger l;
  l.OnLeg(Leg("t1", model::Side::kBuy, 4000, 10'000'000, LegStatus::kConfirmed));
  l.OnLeg(Leg("t2", model::Side::kSell, 6000, 5'000'000, LegStatus::kMatched));
  const TokenPosition before_fail = *l.Find("yes");
  EXPECT_EQ(before_fail.realized_pnl_micros, 1'000'000);
  EXPECT_TRUE(l.OnLeg(Leg("t2", model::Side::kSell, 6000, 5'000'000, LegStatus::kRetrying)) == false);
  EXPECT_TRUE(l.OnLeg(Leg("t2", model::Side::kSell, 6000, 5'000'000, LegStatus::kFailed)));
  const TokenPosition* p = l.Find("yes");
  EXPECT_EQ(p->provisional_micros, 10'000'000);
  EXPECT_EQ(p->settled_micros, 10'000'000);
  EXPECT_EQ(p->realized_pnl_micros, 0);
  EXPECT_EQ(p->cost_micros, 4'000'000);
  EXPECT_EQ(l.collateral().provisional_micros, -4'000'000);
  // Nothing brings a failed leg back; a FAILED after CONFIRMED is counted, not applied.
  EXPECT_FALSE(l.OnLeg(Leg("t2", model::Side::kSell, 6000, 5'000'000, LegStatus::kMatched)));
  EXPECT_FALSE(l.OnLeg(Leg("t2", model::Side::kSell, 6000, 5'000'000, LegStatus::kConfirmed)));
  EXPECT_FALSE(l.OnLeg(Leg("t1", model::Side::kBuy, 4000, 10'000'000, LegStatus::kFailed)));
  EXPECT_EQ(l.counters().reversed, 1u);
  EXPECT_EQ(l.counters().confirmed_then_failed, 1u);
  EXPECT_EQ(l.counters().after_terminal, 2u);
}

TEST(Ledger, SeededLegsAreNotCountedTwice) {
  Ledger l;
  // At start-up the exchange's balance already holds t1 (MATCHED), the chain does not.
  l.SeedToken("yes", "0xc", 10'000'000, 0);
  l.SeedLeg(Leg("t1", model::Side::kBuy, 4000, 10'000'000, LegStatus::kMatched));
  EXPECT_FALSE(l.OnLeg(Leg("t1", model::Side::kBuy, 4000, 10'000'000, LegStatus::kMatched)));  // replayed
  EXPECT_TRUE(l.OnLeg(Leg("t1", model::Side::kBuy, 4000, 10'000'000, LegStatus::kConfirmed)));
  EXPECT_EQ(l.Find("yes")->provisional_micros, 10'000'000);
  EXPECT_EQ(l.Find("yes")->settled_micros, 10'000'000);
}

TEST(Ledger, SeededHoldingsAreValuedAtTheFirstMark) {
  Ledger l;
  l.SeedToken("yes", "0xc", 100'000'000, 100'000'000);
  l.OnLeg(Leg("t1", model::Side::kBuy, 4000, 10'000'000, LegStatus::kMatched));
  l.SetMark("yes", 5000);  // the 100 seeded shares cost 50 pUSD from here; the 10 bought cost 4
  EXPECT_EQ(l.Find("yes")->cost_micros, 54'000'000);
  EXPECT_EQ(l.Find("yes")->UnrealizedMicros(), 1'000'000);
  l.SetMark("yes", 5100);
  EXPECT_EQ(l.Find("yes")->UnrealizedMicros(), 1'000'000 + 110 * 10'000);
}

TEST(Ledger, DiscrepancyOnlyWhenADifferencePersists) {
  Ledger l;
  l.SeedToken("yes", "0xc", 10'000'000, 10'000'000);
  EXPECT_FALSE(l.Compare(Source::kExchange, "yes", 10'000'000, 1).has_value());
  EXPECT_FALSE(l.Compare(Source::kExchange, "yes", 12'000'000, 2).has_value());  // suspect
  // Our ledger moved in between (an event arrived): not a discrepancy yet.
  l.OnLeg(Leg("t1", model::Side::kBuy, 4000, 1'000'000, LegStatus::kMatched));
  EXPECT_FALSE(l.Compare(Source::kExchange, "yes", 12'000'000, 3).has_value());
  auto d = l.Compare(Source::kExchange, "yes", 12'000'000, 4);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->ours_micros, 11'000'000);
  EXPECT_EQ(d->theirs_micros, 12'000'000);
  EXPECT_EQ(l.Find("yes")->provisional_micros, 11'000'000);                      // ours kept, not overwritten
  EXPECT_FALSE(l.Compare(Source::kExchange, "yes", 12'000'000, 5).has_value());  // reported once
  EXPECT_FALSE(l.Compare(Source::kChain, "", 0, 6).has_value());                 // collateral agrees
  EXPECT_EQ(l.counters().discrepancies, 1u);
  EXPECT_EQ(l.discrepancies().size(), 1u);
}

// Replays: every leg's status messages shuffled, some duplicated, some legs FAILED. Inventory and
// collateral never depend on the order: they equal what the final statuses say.
TEST(Ledger, ReplaysWithDuplicatesReorderingAndFailuresAgreeWithTheFinalStatuses) {
  const char* only = std::getenv("LEDGER_SEED");
  const uint64_t first = only ? std::strtoull(only, nullptr, 10) : 1;
  const uint64_t last = only ? first : 2'000;
  for (uint64_t seed = first; seed <= last; ++seed) {
    SCOPED_TRACE(testing::Message() << "seed " << seed << " (replay: LEDGER_SEED=" << seed << ")");
    Rng rng(seed);
    std::vector<TradeLeg> messages;
    std::map<std::string, int64_t> expect_prov, expect_settled, expect_onchain;
    int64_t expect_coll_prov = 0, expect_coll_settled = 0;
    const int legs = static_cast<int>(rng.Between(1, 30));
    for (int i = 0; i < legs; ++i) {
      const std::string token = rng.Chance(0.5) ? "yes" : "no";
      const model::Side side = rng.Chance(0.5) ? model::Side::kBuy : model::Side::kSell;
      const int64_t price = rng.Between(1, 99) * 100;
      const int64_t size = rng.Between(1, 100) * 1'000'000;
      const bool fails = rng.Chance(0.2);
      const bool complete = rng.Chance(0.8);  // else stops before the terminal status
      std::vector<LegStatus> path = {LegStatus::kMatched};
      if (fails) {
        path.push_back(LegStatus::kRetrying);
        if (complete) path.push_back(LegStatus::kFailed);
      } else {
        path.push_back(LegStatus::kMined);
        if (complete) path.push_back(LegStatus::kConfirmed);
      }
      const int64_t dq = side == model::Side::kBuy ? size : -size;
      const int64_t dc = (side == model::Side::kBuy ? -1 : 1) * size * price / 10'000;
      if (!(fails && complete)) {
        expect_prov[token] += dq;
        expect_coll_prov += dc;
      }
      if (!fails) expect_onchain[token] += dq;  // MINED is on every path that does not fail
      if (!fails && complete) {
        expect_settled[token] += dq;
        expect_coll_settled += dc;
      }
      for (LegStatus st : path) {
        messages.push_back(Leg("t" + std::to_string(i), side, price, size, st, token));
        if (rng.Chance(0.3)) messages.push_back(messages.back());  // duplicate
      }
    }
    // A random permutation (statuses of one leg may arrive in any order).
    for (size_t i = messages.size(); i > 1; --i) {
      std::swap(messages[i - 1], messages[static_cast<size_t>(rng.Between(0, static_cast<int64_t>(i) - 1))]);
    }
    Ledger l;
    for (const TradeLeg& m : messages) l.OnLeg(m);
    // A terminal status that arrived before the intermediate ones leaves the leg terminal; one
    // that never arrived leaves it provisional. Either way, the buckets match the expectation
    // computed from the path, except for a FAILED leg whose provisional effect arrived after... never:
    // FAILED is terminal, later MATCHED is ignored.
    for (const std::string token : {"yes", "no"}) {
      const TokenPosition* p = l.Find(token);
      ASSERT_EQ(p ? p->provisional_micros : 0, expect_prov[token]) << token;
      ASSERT_EQ(p ? p->settled_micros : 0, expect_settled[token]) << token;
      ASSERT_EQ(p ? p->onchain_micros : 0, expect_onchain[token]) << token;
    }
    ASSERT_EQ(l.collateral().provisional_micros, expect_coll_prov);
    ASSERT_EQ(l.collateral().settled_micros, expect_coll_settled);
  }
}

}  // namespace
}  // namespace clobmaker::positions

namespace clobmaker::positions {
namespace {

TEST(LedgerFees, TakerFeesLeaveCollateralAndPnlAndComeBackOnFailure) {
  Ledger l;
  l.SeedCollateral(1'000'000'000, 1'000'000'000);
  TradeLeg buy{.trade_id = "t1",
               .order_id = "0xo1",
               .token_id = "yes",
               .condition_id = "0xc",
               .side = model::Side::kBuy,
               .price_units = 5000,
               .size_micros = 100'000'000,
               .status = LegStatus::kMatched,
               .fee_micros = 1'750'000};
  ASSERT_TRUE(l.OnLeg(buy));
  EXPECT_EQ(l.collateral().provisional_micros, 1'000'000'000 - 50'000'000 - 1'750'000);
  EXPECT_EQ(l.FeesPaidMicros(), 1'750'000);
  EXPECT_EQ(l.Pnl().fees_paid_micros, 1'750'000);
  EXPECT_EQ(l.Pnl().net_micros(), l.RealizedMicros() + l.UnrealizedMicros() - 1'750'000);
  buy.status = LegStatus::kConfirmed;
  ASSERT_TRUE(l.OnLeg(buy));
  EXPECT_EQ(l.collateral().settled_micros, 1'000'000'000 - 50'000'000 - 1'750'000);
  // A second, failed trade gives its fee back.
  TradeLeg sell = buy;
  sell.trade_id = "t2";
  sell.side = model::Side::kSell;
  sell.status = LegStatus::kMatched;
  sell.fee_micros = 1'000'000;
  ASSERT_TRUE(l.OnLeg(sell));
  EXPECT_EQ(l.FeesPaidMicros(), 2'750'000);
  sell.status = LegStatus::kFailed;
  ASSERT_TRUE(l.OnLeg(sell));
  EXPECT_EQ(l.FeesPaidMicros(), 1'750'000);
  EXPECT_EQ(l.collateral().provisional_micros, 1'000'000'000 - 50'000'000 - 1'750'000);
}

TEST(LedgerFees, RebatesAreBookedOncePerMarketAndDay) {
  Ledger l;
  l.SeedCollateral(1'000'000'000, 1'000'000'000);
  ASSERT_TRUE(l.OnRebate({.date = "2026-12-01T00:00:00Z", .condition_id = "0xc", .micros = 237'519}));
  EXPECT_FALSE(l.OnRebate({.date = "2026-12-01T00:00:00Z", .condition_id = "0xc", .micros = 237'519}));
  ASSERT_TRUE(l.OnRebate({.date = "2026-12-01T00:00:00Z", .condition_id = "0xd", .micros = 1}));
  ASSERT_TRUE(l.OnRebate({.date = "2026-12-02T00:00:00Z", .condition_id = "0xc", .micros = 10}));
  EXPECT_FALSE(l.OnRebate({.date = "2026-12-03T00:00:00Z", .condition_id = "0xc", .micros = 0}));
  EXPECT_EQ(l.RebatesMicros(), 237'530);
  EXPECT_EQ(l.counters().rebate_duplicates, 1u);
  // Paid on chain: every collateral bucket, and P&L.
  EXPECT_EQ(l.collateral().provisional_micros, 1'000'237'530);
  EXPECT_EQ(l.collateral().settled_micros, 1'000'237'530);
  EXPECT_EQ(l.collateral().onchain_micros, 1'000'237'530);
  EXPECT_EQ(l.Pnl().rebates_micros, 237'530);
  EXPECT_EQ(l.Pnl().net_micros(), 237'530);
}

}  // namespace
}  // namespace clobmaker::positions

namespace clobmaker::positions {
namespace {

TEST(LegStatusOf, NewAndUnknownTradeStatusesAreProvisionalNeverFinal) {
  bool unknown = true;
  EXPECT_EQ(LegStatusOf(polymarket::TradeStatus::kMatchedNotBroadcasted, &unknown), LegStatus::kMatched);
  EXPECT_FALSE(unknown);
  EXPECT_EQ(LegStatusOf(polymarket::TradeStatus::kUnknown, &unknown), LegStatus::kMatched);
  EXPECT_TRUE(unknown);
  EXPECT_EQ(LegStatusOf(polymarket::TradeStatus::kConfirmed), LegStatus::kConfirmed);
  EXPECT_EQ(LegStatusOf(polymarket::TradeStatus::kFailed), LegStatus::kFailed);
  // A MATCHED_NOT_BROADCASTED leg is exposure at once, settled only when CONFIRMED.
  Ledger l;
  l.SeedCollateral(1'000'000'000, 1'000'000'000);
  TradeLeg leg{.trade_id = "t",
               .order_id = "0xo",
               .token_id = "yes",
               .condition_id = "0xc",
               .side = model::Side::kBuy,
               .price_units = 5000,
               .size_micros = 10'000'000,
               .status = *LegStatusOf(polymarket::TradeStatus::kMatchedNotBroadcasted)};
  ASSERT_TRUE(l.OnLeg(leg));
  EXPECT_EQ(l.Find("yes")->provisional_micros, 10'000'000);
  EXPECT_EQ(l.Find("yes")->settled_micros, 0);
}

}  // namespace
}  // namespace clobmaker::positions
