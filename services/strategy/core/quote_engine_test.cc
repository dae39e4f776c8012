#include "services/strategy/core/quote_engine.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "common/core/rng.h"

namespace clobmaker::strategy {
namespace {

constexpr Nanos kNow = 1'800'000'000 * kNanosPerSecond;

QuoteInputs OpenInputs() {
  QuoteInputs in;
  in.now = kNow;
  in.market = {.condition_id = "0xc",
               .yes_token = "yes",
               .no_token = "no",
               .end_time_ms = (kNow / kNanosPerMilli) + 10 * 86'400'000LL,
               .min_order_size_micros = 5'000'000,
               .rewards_min_size_micros = 20'000'000,
               .rewards_max_spread_units = 300};
  in.yes_book = BookFacts{.tick_units = 100, .best_bid = 4800, .best_ask = 5200, .published_ns = kNow};
  in.reference = ReferenceFacts{.price_nanos = 500'000'000, .received_ns = kNow};
  in.yes_position = PositionFacts{.provisional_micros = 1'000'000'000, .settled_micros = 1'000'000'000};
  in.no_position = PositionFacts{.provisional_micros = 1'000'000'000, .settled_micros = 1'000'000'000};
  in.execution = ExecutionFacts{.ready = true, .published_ns = kNow};
  return in;
}

std::vector<QuoteOrder> Side(const Quote& q, const std::string& token, model::Side side) {
  std::vector<QuoteOrder> out;
  for (const QuoteOrder& o : q.orders) {
    if (o.token == token && o.side == side) out.push_back(o);
  }
  return out;
}

TEST(QuoteEngine, SymmetricLadderAroundFair) {
  QuoteParams p;
  p.reward_band = false;
  const Quote q = ComputeQuote(OpenInputs(), p);
  ASSERT_TRUE(q.gates.empty());
  const auto bids = Side(q, "yes", model::Side::kBuy);
  const auto asks = Side(q, "yes", model::Side::kSell);
  ASSERT_EQ(bids.size(), 3u);
  ASSERT_EQ(asks.size(), 3u);
  EXPECT_EQ(bids[0].price_units, 4800);  // fair 0.50 - 2 ticks
  EXPECT_EQ(bids[1].price_units, 4700);
  EXPECT_EQ(asks[0].price_units, 5200);
  EXPECT_EQ(asks[2].price_units, 5400);
  EXPECT_EQ(bids[0].size_micros, 10'000'000);
  EXPECT_EQ(bids[2].level, 2u);
}

TEST(QuoteEngine, PostOnlyClampNeverCrossesTheBook) {
  QuoteParams p;
  p.reward_band = false;
  p.half_spread_ticks = 0;
  p.min_edge_ticks = 0;
  QuoteInputs in = OpenInputs();
  in.reference->price_nanos = 700'000'000;  // fair jumped to 0.70, the book still at 0.48 / 0.52
  const Quote q = ComputeQuote(in, p);
  for (const QuoteOrder& o : Side(q, "yes", model::Side::kBuy)) EXPECT_LE(o.price_units, 5100);
  for (const QuoteOrder& o : Side(q, "yes", model::Side::kSell)) EXPECT_GE(o.price_units, 7000);
  const auto bids = Side(q, "yes", model::Side::kBuy);
  ASSERT_EQ(bids.size(), 3u);
  EXPECT_EQ(bids[0].price_units, 5100);  // best ask - 1 tick
  EXPECT_EQ(bids[1].price_units, 5000);  // the next levels step out, not onto the same price
}

TEST(QuoteEngine, InventorySkewsDownAndUnsellableAsksBecomeNoBids) {
  QuoteParams p;
  p.reward_band = false;
  p.skew_ticks_per_1k_shares = 4;
  QuoteInputs in = OpenInputs();
  in.yes_position = PositionFacts{.provisional_micros = 250'000'000, .settled_micros = 15'000'000};
  in.no_position = PositionFacts{.provisional_micros = 0, .settled_micros = 0};
  const Quote q = ComputeQuote(in, p);
  ASSERT_TRUE(q.gates.empty());
  EXPECT_EQ(q.net_position_micros, 250'000'000);
  // Long 250 shares at 4 ticks / 1,000 shares: one tick lower.
  EXPECT_EQ(Side(q, "yes", model::Side::kBuy)[0].price_units, 4700);
  const auto sells = Side(q, "yes", model::Side::kSell);
  const auto no_bids = Side(q, "no", model::Side::kBuy);
  ASSERT_EQ(sells.size(), 1u);  // 15 settled shares cover one 10-share level
  EXPECT_EQ(sells[0].price_units, 5100);
  ASSERT_EQ(no_bids.size(), 2u);
  EXPECT_EQ(no_bids[0].price_units, 10000 - 5200);
  EXPECT_EQ(no_bids[0].level, 0u);
  EXPECT_EQ(no_bids[1].level, 1u);
}

TEST(QuoteEngine, RewardBandPullsLevelZeroInsideAtTheMinimumSize) {
  QuoteParams p;
  p.half_spread_ticks = 5;  // 0.45 / 0.55: outside a 0.03 band around 0.50
  p.min_edge_ticks = 1;
  QuoteInputs in = OpenInputs();
  in.yes_book->best_bid = 4900;
  in.yes_book->best_ask = 5100;
  const Quote q = ComputeQuote(in, p);
  ASSERT_TRUE(q.gates.empty());
  EXPECT_TRUE(q.in_reward_band);
  const auto bids = Side(q, "yes", model::Side::kBuy);
  const auto asks = Side(q, "yes", model::Side::kSell);
  EXPECT_EQ(bids[0].price_units, 4700);  // mid 0.50 - 0.03
  EXPECT_EQ(asks[0].price_units, 5300);
  EXPECT_EQ(bids[0].size_micros, 20'000'000);
  EXPECT_EQ(bids[1].size_micros, 10'000'000);
  // Off: the ladder stays where the spread put it.
  p.reward_band = false;
  EXPECT_EQ(Side(ComputeQuote(in, p), "yes", model::Side::kBuy)[0].price_units, 4500);
}

// Every gate alone empties the set, and says why.
TEST(QuoteEngine, EveryGateEmptiesTheSet) {
  QuoteParams p;
  struct Case {
    const char* gate;
    std::function<void(QuoteInputs&, QuoteParams&)> close;
  };
  const std::vector<Case> cases = {
      {"disabled", [](QuoteInputs&, QuoteParams& q) { q.enabled = false; }},
      {"no book", [](QuoteInputs& i, QuoteParams&) { i.yes_book.reset(); }},
      {"book resyncing", [](QuoteInputs& i, QuoteParams&) { i.yes_book->resyncing = true; }},
      {"book stale", [](QuoteInputs& i, QuoteParams&) { i.yes_book->published_ns = kNow - 4 * kNanosPerSecond; }},
      {"no reference price", [](QuoteInputs& i, QuoteParams&) { i.reference.reset(); }},
      {"reference stale", [](QuoteInputs& i, QuoteParams&) { i.reference->received_ns = kNow - 4 * kNanosPerSecond; }},
      {"cut-off before the market's end",
       [](QuoteInputs& i, QuoteParams&) { i.market.end_time_ms = kNow / kNanosPerMilli + 1000; }},
      {"positions unknown", [](QuoteInputs& i, QuoteParams&) { i.no_position.reset(); }},
      {"position limit", [](QuoteInputs& i, QuoteParams&) { i.yes_position->provisional_micros = 1'600'000'000; }},
      {"notional limit", [](QuoteInputs&, QuoteParams& q) { q.max_notional_micros = 1; }},
      {"execution status unknown", [](QuoteInputs& i, QuoteParams&) { i.execution.reset(); }},
      {"execution not ready", [](QuoteInputs& i, QuoteParams&) { i.execution->ready = false; }},
      {"execution killed",
       [](QuoteInputs& i, QuoteParams&) {
         i.execution->ready = false;
         i.execution->killed = true;
       }},
      {"execution halted",
       [](QuoteInputs& i, QuoteParams&) {
         i.execution->ready = false;
         i.execution->halted = true;
       }},
      {"market paused", [](QuoteInputs& i, QuoteParams&) { i.execution->paused = true; }},
  };
  for (const Case& c : cases) {
    QuoteInputs in = OpenInputs();
    in.yes_position->provisional_micros = 1'100'000'000;  // net 100 shares: the notional gate has something
    QuoteParams params = p;
    c.close(in, params);
    const Quote q = ComputeQuote(in, params);
    EXPECT_TRUE(q.orders.empty()) << c.gate;
    EXPECT_NE(std::find(q.gates.begin(), q.gates.end(), c.gate), q.gates.end()) << c.gate;
  }
}

// Properties over random markets, books, positions and parameters (seeded; the seed is printed
// on failure and a single one can be replayed with --gtest_filter and QUOTE_SEED).
TEST(QuoteEngine, PropertiesHoldOnRandomInputs) {
  const char* only = std::getenv("QUOTE_SEED");
  const uint64_t first = only ? std::strtoull(only, nullptr, 10) : 1;
  const uint64_t last = only ? first : 20'000;
  for (uint64_t seed = first; seed <= last; ++seed) {
    Rng rng(seed);
    const int64_t ticks[] = {100, 10, 1000, 50, 25, 1};
    const int64_t tick = ticks[rng.Between(0, 5)];
    QuoteInputs in = OpenInputs();
    in.yes_book->tick_units = tick;
    const int64_t a = rng.Between(1, 10'000 / tick - 1) * tick;
    const int64_t b = rng.Between(1, 10'000 / tick - 1) * tick;
    if (rng.Chance(0.1)) {
      in.yes_book->best_bid.reset();
    } else {
      in.yes_book->best_bid = std::min(a, b);
    }
    if (rng.Chance(0.1) || a == b) {
      in.yes_book->best_ask.reset();
    } else {
      in.yes_book->best_ask = std::max(a, b);
    }
    in.reference->price_nanos = rng.Between(1, 999) * 1'000'000;
    in.yes_position->provisional_micros = rng.Between(0, 2'000) * 1'000'000;
    in.yes_position->settled_micros = rng.Between(0, 100) * 1'000'000;
    in.no_position->provisional_micros = rng.Between(0, 2'000) * 1'000'000;
    in.market.rewards_max_spread_units = rng.Chance(0.5) ? rng.Between(1, 5) * 100 : 0;
    QuoteParams p;
    p.half_spread_ticks = rng.Between(0, 10);
    p.levels = static_cast<uint32_t>(rng.Between(0, 6));
    p.level_spacing_ticks = rng.Between(1, 4);
    p.min_edge_ticks = rng.Between(0, 3);
    p.skew_ticks_per_1k_shares = rng.Between(0, 20);
    p.max_position_micros = rng.Between(100, 3'000) * 1'000'000;
    p.max_notional_micros = rng.Between(50, 2'000) * 1'000'000;
    p.reward_band = rng.Chance(0.5);
    p.fair_value_source = rng.Chance(0.8) ? "reference" : "mid";
    const bool gate = rng.Chance(0.2);
    if (gate) in.execution->ready = false;

    const Quote q = ComputeQuote(in, p);
    SCOPED_TRACE(testing::Message() << "seed " << seed << " (replay: QUOTE_SEED=" << seed << ")");
    if (!q.gates.empty()) {
      ASSERT_TRUE(q.orders.empty());
      continue;
    }
    ASSERT_FALSE(gate);
    const int64_t net = in.yes_position->provisional_micros - in.no_position->provisional_micros;
    ASSERT_LT(std::llabs(net), p.max_position_micros);  // never quotes at or past the limit
    const int64_t fair = *q.fair_units;
    int64_t prev_bid = INT64_MAX, prev_ask = INT64_MIN;
    int64_t sold = 0;
    for (const QuoteOrder& o : q.orders) {
      // YES-equivalent price and side: a NO bid at p is a YES ask at 1 - p.
      const bool yes_bid = o.token == "yes" && o.side == model::Side::kBuy;
      const int64_t yes_price = o.token == "yes" ? o.price_units : 10'000 - o.price_units;
      ASSERT_EQ(o.price_units % tick, 0) << "off the grid";
      ASSERT_GE(o.price_units, tick);
      ASSERT_LE(o.price_units, 10'000 - tick);
      ASSERT_GE(o.size_micros, in.market.min_order_size_micros);
      ASSERT_FALSE(o.token == "no" && o.side == model::Side::kSell);
      if (yes_bid) {
        if (in.yes_book->best_ask) {
          ASSERT_LE(yes_price, *in.yes_book->best_ask - tick) << "bid crosses";
        }
        ASSERT_LE(yes_price, fair - p.min_edge_ticks * tick) << "bid through fair";
        ASSERT_LT(yes_price, prev_bid);
        prev_bid = yes_price;
      } else {
        if (in.yes_book->best_bid) {
          ASSERT_GE(yes_price, *in.yes_book->best_bid + tick) << "ask crosses";
        }
        ASSERT_GE(yes_price, fair + p.min_edge_ticks * tick) << "ask through fair";
        ASSERT_GT(yes_price, prev_ask);
        prev_ask = yes_price;
        if (o.token == "yes") sold += o.size_micros;
      }
    }
    ASSERT_LE(sold, in.yes_position->settled_micros) << "sells more than settled inventory";
  }
}

}  // namespace
}  // namespace clobmaker::strategy
