#include "services/strategy/core/quote_engine.h"

#include <algorithm>
#include <cstdlib>

#include "common/core/int128.h"

namespace clobmaker::strategy {

namespace {

// Grid rounding of possibly negative integers.
int64_t FloorTo(int64_t v, int64_t tick) {
  const int64_t q = v / tick;
  return (v % tick != 0 && v < 0 ? q - 1 : q) * tick;
}
int64_t CeilTo(int64_t v, int64_t tick) { return -FloorTo(-v, tick); }

struct Side2 {
  std::vector<int64_t> prices;  // best first
  std::vector<int64_t> sizes;
};

void Gates(const QuoteInputs& in, const QuoteParams& p, std::vector<std::string>& gates) {
  if (!p.enabled) gates.emplace_back("disabled");
  if (!in.yes_book) {
    gates.emplace_back("no book");
  } else {
    if (in.yes_book->resyncing) gates.emplace_back("book resyncing");
    if (in.now - in.yes_book->published_ns > p.max_book_age_ms * kNanosPerMilli) gates.emplace_back("book stale");
  }
  if (p.fair_value_source == "reference") {
    if (!in.reference) {
      gates.emplace_back("no reference price");
    } else if (in.now - in.reference->received_ns > p.max_reference_age_ms * kNanosPerMilli) {
      gates.emplace_back("reference stale");
    }
  }
  if (in.market.end_time_ms > 0 && in.now >= (in.market.end_time_ms - p.cutoff_before_end_s * 1000) * kNanosPerMilli) {
    gates.emplace_back("cut-off before the market's end");
  }
  if (!in.yes_position || !in.no_position) gates.emplace_back("positions unknown");
  if (!in.execution || in.now - in.execution->published_ns > in.max_execution_status_age) {
    gates.emplace_back("execution status unknown");
  } else {
    if (in.execution->killed) gates.emplace_back("execution killed");
    if (in.execution->halted) gates.emplace_back("execution halted");
    if (!in.execution->ready && !in.execution->killed && !in.execution->halted) {
      gates.emplace_back("execution not ready");
    }
    if (in.execution->paused) gates.emplace_back("market paused");
  }
}

}  // namespace

Quote ComputeQuote(const QuoteInputs& in, const QuoteParams& p) {
  Quote q;
  Gates(in, p, q.gates);
  const int64_t tick = in.yes_book ? in.yes_book->tick_units : 0;
  q.tick_units = tick;
  if (in.yes_position && in.no_position) {
    q.net_position_micros = in.yes_position->provisional_micros - in.no_position->provisional_micros;
  }
  // Fair value.
  if (p.fair_value_source == "reference" && in.reference) {
    q.fair_units = in.reference->price_nanos / 100'000;  // 10^9 -> 10^4
  } else if (p.fair_value_source == "mid" && in.yes_book && in.yes_book->best_bid && in.yes_book->best_ask) {
    q.fair_units = (*in.yes_book->best_bid + *in.yes_book->best_ask) / 2;
  }
  if (!q.fair_units) {
    if (p.fair_value_source == "mid") q.gates.emplace_back("no fair value (one-sided book)");
  } else if (*q.fair_units <= 0 || *q.fair_units >= model::kPriceOne) {
    q.gates.emplace_back("fair value outside (0, 1)");
  }
  // Limits (exposure uses provisional inventory).
  const int64_t net = q.net_position_micros;
  if (std::llabs(net) >= p.max_position_micros) q.gates.emplace_back("position limit");
  if (q.fair_units) {
    const Int128 notional = static_cast<Int128>(std::llabs(net)) * *q.fair_units / model::kPriceOne;
    if (notional >= p.max_notional_micros) q.gates.emplace_back("notional limit");
  }
  if (!q.gates.empty() || tick <= 0) return q;

  const int64_t fair = *q.fair_units;
  const BookFacts& book = *in.yes_book;
  // Inventory skew: long YES moves the whole ladder down.
  const Int128 skew = -static_cast<Int128>(net) * p.skew_ticks_per_1k_shares * tick / (1000LL * 1'000'000);
  const int64_t center = fair + static_cast<int64_t>(skew);
  const int64_t max_bid = std::min({FloorTo(fair - p.min_edge_ticks * tick, tick),
                                    book.best_ask ? *book.best_ask - tick : model::kPriceOne, model::kPriceOne - tick});
  const int64_t min_ask = std::max(
      {CeilTo(fair + p.min_edge_ticks * tick, tick), book.best_bid ? *book.best_bid + tick : int64_t{0}, tick});
  const int64_t size = std::max(p.size_per_level_micros, in.market.min_order_size_micros);

  Side2 bids, asks;
  for (uint32_t i = 0; i < p.levels; ++i) {
    const int64_t offset = (p.half_spread_ticks + static_cast<int64_t>(i) * p.level_spacing_ticks) * tick;
    int64_t bid = std::min(FloorTo(center - offset, tick), max_bid);
    int64_t ask = std::max(CeilTo(center + offset, tick), min_ask);
    // A level that collapsed onto a better one (clamped) moves out by the spacing instead.
    if (!bids.prices.empty()) bid = std::min(bid, bids.prices.back() - p.level_spacing_ticks * tick);
    if (!asks.prices.empty()) ask = std::max(ask, asks.prices.back() + p.level_spacing_ticks * tick);
    if (bid >= tick) {
      bids.prices.push_back(bid);
      bids.sizes.push_back(size);
    }
    if (ask <= model::kPriceOne - tick) {
      asks.prices.push_back(ask);
      asks.sizes.push_back(size);
    }
  }
  // Rewards band: level 0 within max spread of the mid, at least the rewards minimum size.
  const int64_t band = in.market.rewards_max_spread_units;
  if (p.reward_band && band > 0 && book.best_bid && book.best_ask && !bids.prices.empty() && !asks.prices.empty()) {
    const int64_t mid2 = *book.best_bid + *book.best_ask;  // twice the mid: no rounding
    const auto inside = [&](int64_t price) { return std::llabs(2 * price - mid2) <= 2 * band; };
    const int64_t band_bid = CeilTo((mid2 - 2 * band + 1) / 2, tick);
    const int64_t band_ask = FloorTo((mid2 + 2 * band) / 2, tick);
    // Only ever towards the mid: level 0 stays the best of its side.
    if (!inside(bids.prices[0]) && band_bid > bids.prices[0] && band_bid <= max_bid && inside(band_bid)) {
      bids.prices[0] = band_bid;
    }
    if (!inside(asks.prices[0]) && band_ask < asks.prices[0] && band_ask >= min_ask && inside(band_ask)) {
      asks.prices[0] = band_ask;
    }
    bids.sizes[0] = std::max(bids.sizes[0], in.market.rewards_min_size_micros);
    asks.sizes[0] = std::max(asks.sizes[0], in.market.rewards_min_size_micros);
    q.in_reward_band = inside(bids.prices[0]) && inside(asks.prices[0]);
  }
  for (size_t i = 0; i < bids.prices.size(); ++i) {
    q.orders.push_back(
        {in.market.yes_token, model::Side::kBuy, static_cast<uint32_t>(i), bids.prices[i], bids.sizes[i]});
  }
  // Asks: SELL YES while settled YES lasts, the rest as BUY NO at 1 - price.
  int64_t sellable = in.yes_position->settled_micros;
  uint32_t sell_level = 0, no_level = 0;
  for (size_t i = 0; i < asks.prices.size(); ++i) {
    if (sellable >= asks.sizes[i]) {
      sellable -= asks.sizes[i];
      q.orders.push_back({in.market.yes_token, model::Side::kSell, sell_level++, asks.prices[i], asks.sizes[i]});
    } else {
      q.orders.push_back(
          {in.market.no_token, model::Side::kBuy, no_level++, model::kPriceOne - asks.prices[i], asks.sizes[i]});
    }
  }
  return q;
}

}  // namespace clobmaker::strategy
