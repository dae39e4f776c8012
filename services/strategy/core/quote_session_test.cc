// A 10-minute simulated session: the quote engine against the simulator's exchange core and its
// market environment (a fair value with jumps, a background maker refreshing every 500 ms,
// Poisson takers), on simulated time, deterministic per seed.
//
// Our quotes are sent WITHOUT post-only here, on purpose: a quote that crossed would trade as a
// taker instead of being refused, so "zero taker fills" tests the engine's clamp, not the
// exchange's post-only check. Every 100 ms the desired ladder is recomputed from the exchange's
// book, the reference (the environment's fair value) and our balances; changed quotes are
// replaced. With a rewards band configured, level 0 must sit inside it, and the exchange's own
// scoring must agree.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>

#include "services/simexchange/core/exchange.h"
#include "services/simexchange/env/market_flow.h"
#include "services/strategy/core/quote_engine.h"

namespace clobmaker::strategy {
namespace {

using simexchange::Exchange;

constexpr Nanos kStart = 1'800'000'000 * kNanosPerSecond;
constexpr char kOurKey[] = "our-api-key";
constexpr char kOurAddress[] = "0x00000000000000000000000000000000000000aa";

struct SessionResult {
  int64_t steps_quoting = 0;
  int64_t orders_placed = 0;
  int64_t taker_fills = 0;  // our order took liquidity: must never happen
  int64_t maker_fills = 0;  // our resting orders were hit: expected
  int64_t rejections = 0;
  int64_t band_steps = 0;  // steps where level 0 of both sides was inside the band
  int64_t scoring_checks = 0;
  int64_t scoring_agreed = 0;
};

model::OrderId IdOf(uint64_t n) {
  std::array<uint8_t, 32> b{};
  b[0] = 0xaa;
  for (int i = 0; i < 8; ++i) b[31 - i] = static_cast<uint8_t>(n >> (8 * i));
  return model::OrderId(b);
}

SessionResult RunSession(uint64_t seed, bool reward_band, Nanos length) {
  Exchange ex({.seed = seed});
  simexchange::MarketConfig market{.condition_id = "0xcond",
                                   .yes_token = "1001",
                                   .no_token = "1002",
                                   .tick = model::TickSize::Cent(),
                                   .min_order_size = model::Size::FromWhole(5),
                                   .rewards_max_spread = model::Price(300),
                                   .rewards_min_size = model::Size::FromWhole(20),
                                   .end_time_s = kStart / kNanosPerSecond + 30 * 86'400,
                                   .slug = "session"};
  ex.AddMarket(market);
  simexchange::MarketFlow flow(ex, {.seed = seed * 7 + 1, .taker_orders_per_s = 3.0});
  flow.Init(kStart);
  ex.OpenAccount(kOurAddress, kOurKey);
  ex.Credit(kOurAddress, 100'000'000'000, market.yes_token, 2'000'000'000);
  ex.Credit(kOurAddress, 0, market.no_token, 2'000'000'000);

  QuoteParams params;
  params.reward_band = reward_band;
  params.half_spread_ticks = reward_band ? 4 : 2;  // with the band on, level 0 has to be pulled in
  params.max_position_micros = 5'000'000'000;
  params.max_notional_micros = 5'000'000'000;
  SessionResult r;
  std::map<std::string, QuoteOrder> resting;  // our order id -> what it quotes
  uint64_t next_id = 1;
  size_t trades_seen = 0;
  for (Nanos now = kStart; now < kStart + length; now += 100 * kNanosPerMilli) {
    flow.Step(now);
    ex.Advance(now);
    (void)ex.TakeEvents();
    // Fills: our trades so far, as taker or maker.
    const auto trades = ex.Trades(kOurKey);
    for (size_t i = trades_seen; i < trades.size(); ++i) {
      if (trades[i].trader_side == "TAKER") {
        r.taker_fills++;
      } else {
        r.maker_fills++;
      }
    }
    trades_seen = trades.size();
    // Inputs, as the bus would carry them.
    const polymarket::BookEvent book = ex.Book(market.yes_token, now);
    QuoteInputs in;
    in.now = now;
    in.market = {.condition_id = market.condition_id,
                 .yes_token = market.yes_token,
                 .no_token = market.no_token,
                 .end_time_ms = market.end_time_s * 1000,
                 .min_order_size_micros = market.min_order_size.micros(),
                 .rewards_min_size_micros = market.rewards_min_size.micros(),
                 .rewards_max_spread_units = market.rewards_max_spread.units()};
    BookFacts bf{.tick_units = market.tick.units(), .published_ns = now};
    if (!book.bids.empty()) bf.best_bid = book.bids.front().price.units();
    if (!book.asks.empty()) bf.best_ask = book.asks.front().price.units();
    in.yes_book = bf;
    in.reference = ReferenceFacts{.price_nanos = static_cast<int64_t>(flow.FairValue(market.condition_id) * 1e9),
                                  .received_ns = now};
    const simexchange::Account* account = ex.AccountOf(kOurAddress);
    const auto held = [&](const std::string& token) {
      auto it = account->tokens.find(token);
      const int64_t total = it == account->tokens.end() ? 0 : it->second;
      auto res = account->reserved_tokens.find(token);
      return PositionFacts{.provisional_micros = total,
                           .settled_micros = total - (res == account->reserved_tokens.end() ? 0 : res->second)};
    };
    in.yes_position = held(market.yes_token);
    in.no_position = held(market.no_token);
    // Our resting sells reserve tokens; count them back as sellable for the replacement ladder.
    for (const auto& [id, q] : resting) {
      if (q.side == model::Side::kSell && ex.Find(id) && ex.Find(id)->status == simexchange::OrderStatus::kLive) {
        in.yes_position->settled_micros += ex.Find(id)->remaining().micros();
      }
    }
    in.execution = ExecutionFacts{.ready = true, .published_ns = now};
    // The session's positions are the exchange's balances of both outcomes (2,000 each to start):
    // exposure is their difference, as positions would report it.
    const Quote q = ComputeQuote(in, params);
    if (q.gates.empty()) r.steps_quoting++;
    if (q.in_reward_band) r.band_steps++;
    // Replace what changed ("execution"): cancel ours that are not desired, place the missing.
    std::vector<std::string> cancel;
    std::map<std::string, QuoteOrder> keep;
    for (const auto& [id, quoted] : resting) {
      const simexchange::Order* o = ex.Find(id);
      const bool live = o != nullptr && o->status == simexchange::OrderStatus::kLive;
      const bool wanted = std::find(q.orders.begin(), q.orders.end(), quoted) != q.orders.end();
      if (live && wanted) {
        keep.emplace(id, quoted);
      } else if (live) {
        cancel.push_back(id);
      }
    }
    if (!cancel.empty()) ex.Cancel(kOurKey, cancel, now);
    resting = keep;
    for (const QuoteOrder& o : q.orders) {
      bool have = false;
      for (const auto& [id, quoted] : resting) have |= quoted == o;
      if (have) continue;
      const model::OrderId id = IdOf(next_id++);
      auto placed = ex.Place({.id = id,
                              .owner = kOurKey,
                              .maker = kOurAddress,
                              .token = o.token,
                              .side = o.side,
                              .price = model::Price(o.price_units),
                              .size = model::Size(o.size_micros),
                              .post_only = false},
                             now);
      r.orders_placed++;
      if (!placed.success) {
        r.rejections++;
        continue;
      }
      if (!placed.trade_ids.empty()) r.taker_fills += static_cast<int64_t>(placed.trade_ids.size());
      resting.emplace(id.ToString(), o);
    }
    // The exchange's scoring of our level-0 quotes agrees with the engine's band.
    if (q.in_reward_band) {
      for (const auto& [id, quoted] : resting) {
        if (quoted.level != 0 || quoted.size_micros < market.rewards_min_size.micros()) continue;
        r.scoring_checks++;
        if (ex.IsScoring(id)) r.scoring_agreed++;
      }
    }
  }
  return r;
}

TEST(QuoteSession, TenSimulatedMinutesNoTakerFillsAndQuotesInTheRewardBand) {
  const char* only = std::getenv("SESSION_SEED");
  const std::vector<uint64_t> seeds =
      only ? std::vector<uint64_t>{std::strtoull(only, nullptr, 10)} : std::vector<uint64_t>{1, 2, 3};
  for (uint64_t seed : seeds) {
    SCOPED_TRACE(testing::Message() << "seed " << seed << " (replay: SESSION_SEED=" << seed << ")");
    const SessionResult plain = RunSession(seed, /*reward_band=*/false, 10 * 60 * kNanosPerSecond);
    EXPECT_GT(plain.steps_quoting, 5000);  // of 6,000
    EXPECT_EQ(plain.taker_fills, 0);
    EXPECT_EQ(plain.rejections, 0);
    EXPECT_GT(plain.maker_fills, 0);  // the session really traded with our quotes
    const SessionResult band = RunSession(seed, /*reward_band=*/true, 10 * 60 * kNanosPerSecond);
    EXPECT_EQ(band.taker_fills, 0);
    EXPECT_EQ(band.rejections, 0);
    // Level 0 inside the band on (nearly) every step the engine quoted, and the exchange scored it.
    EXPECT_GE(band.band_steps * 100, band.steps_quoting * 95)
        << band.band_steps << " of " << band.steps_quoting << " steps in the band";
    EXPECT_GE(band.scoring_agreed * 100, band.scoring_checks * 95)
        << band.scoring_agreed << " of " << band.scoring_checks << " level-0 quotes scored";
    std::printf(
        "seed %llu: plain %lld quoting steps, %lld orders, %lld maker fills, %lld taker fills; "
        "band %lld/%lld steps in band, %lld/%lld scored, %lld maker fills, %lld taker fills\n",
        static_cast<unsigned long long>(seed), static_cast<long long>(plain.steps_quoting),
        static_cast<long long>(plain.orders_placed), static_cast<long long>(plain.maker_fills),
        static_cast<long long>(plain.taker_fills), static_cast<long long>(band.band_steps),
        static_cast<long long>(band.steps_quoting), static_cast<long long>(band.scoring_agreed),
        static_cast<long long>(band.scoring_checks), static_cast<long long>(band.maker_fills),
        static_cast<long long>(band.taker_fills));
  }
}

}  // namespace
}  // namespace clobmaker::strategy
