#include "services/simexchange/env/market_flow.h"

#include <algorithm>
#include <cmath>

namespace clobmaker::simexchange {
namespace {
constexpr char kMakerAddress[] = "0x00000000000000000000000000000000000f10a1";
constexpr char kTakerAddress[] = "0x00000000000000000000000000000000000f10a2";
constexpr int64_t kHuge = 1'000'000'000LL * model::kQuantityOne;
}  // namespace

MarketFlow::MarketFlow(Exchange& exchange, FlowConfig config)
    : exchange_(exchange), config_(config), rng_(config.seed) {}

void MarketFlow::Init(Nanos now, const std::map<std::string, double>& start) {
  exchange_.OpenAccount(kMakerAddress, kFlowMakerKey);
  exchange_.OpenAccount(kTakerAddress, kFlowTakerKey);
  exchange_.Credit(kMakerAddress, kHuge);
  exchange_.Credit(kTakerAddress, kHuge);
  for (const MarketConfig& m : exchange_.Markets()) {
    exchange_.Credit(kMakerAddress, 0, m.yes_token, kHuge);
    exchange_.Credit(kMakerAddress, 0, m.no_token, kHuge);
    exchange_.Credit(kTakerAddress, 0, m.yes_token, kHuge);
    exchange_.Credit(kTakerAddress, 0, m.no_token, kHuge);
    auto it = start.find(m.condition_id);
    fair_[m.condition_id] = it != start.end() ? it->second : 0.5;
    Requote(m, now);
  }
  last_step_ = now;
}

double MarketFlow::FairValue(const std::string& condition_id) const {
  auto it = fair_.find(condition_id);
  return it == fair_.end() ? 0.5 : it->second;
}

model::OrderId MarketFlow::NextId() {
  // Background order ids: a recognisable prefix, then a counter and seed bits.
  std::array<uint8_t, 32> b{};
  b[0] = 0xf1;
  b[1] = 0x0a;
  const uint64_t n = next_id_++;
  const uint64_t s = config_.seed;
  for (int i = 0; i < 8; ++i) {
    b[31 - i] = static_cast<uint8_t>(n >> (8 * i));
    b[23 - i] = static_cast<uint8_t>(s >> (8 * i));
  }
  return model::OrderId(b);
}

void MarketFlow::Step(Nanos now) {
  const double dt = std::max<double>(0.0, static_cast<double>(now - last_step_) / 1e9);
  last_step_ = now;
  for (const MarketConfig& m : exchange_.Markets()) {
    double& fv = fair_[m.condition_id];
    fv += config_.volatility_per_sqrt_s * std::sqrt(dt) * rng_.Normal();
    if (rng_.Chance(config_.jump_probability_per_s * dt)) fv += (rng_.Chance(0.5) ? 1 : -1) * config_.jump_size;
    fv = std::clamp(fv, 0.02, 0.98);
    if (now - last_requote_[m.condition_id] >= config_.maker_refresh) Requote(m, now);
    // Poisson arrivals of takers.
    const double expected = config_.taker_orders_per_s * dt;
    int arrivals = 0;
    double p = rng_.Unit();
    double threshold = std::exp(-expected);
    while (p > threshold && arrivals < 10) {
      ++arrivals;
      p *= rng_.Unit();
    }
    for (int i = 0; i < arrivals; ++i) Take(m, now);
  }
}

void MarketFlow::Requote(const MarketConfig& market, Nanos now) {
  last_requote_[market.condition_id] = now;
  exchange_.CancelMarket(kFlowMakerKey, market.condition_id, "", now);
  const int64_t tick = market.tick.units();
  const auto fair_units = static_cast<int64_t>(std::llround(fair_[market.condition_id] * model::kPriceOne));
  const int64_t center = fair_units / tick;
  for (int level = 0; level < config_.maker_levels; ++level) {
    const int64_t offset = config_.maker_half_spread_ticks + level;
    const int64_t bid = (center - offset) * tick;
    const int64_t ask = (center + offset) * tick;
    const Size size = Size::FromWhole(config_.maker_size_shares * (level + 1));
    if (bid >= tick) {
      exchange_.Place({.id = NextId(),
                       .owner = kFlowMakerKey,
                       .maker = kMakerAddress,
                       .token = market.yes_token,
                       .side = Side::kBuy,
                       .price = Price(bid),
                       .size = size,
                       .version = exchange_.config().order_version},
                      now);
    }
    if (ask <= model::kPriceOne - tick) {
      exchange_.Place({.id = NextId(),
                       .owner = kFlowMakerKey,
                       .maker = kMakerAddress,
                       .token = market.yes_token,
                       .side = Side::kSell,
                       .price = Price(ask),
                       .size = size,
                       .version = exchange_.config().order_version},
                      now);
    }
  }
}

void MarketFlow::Take(const MarketConfig& market, Nanos now) {
  // A taker crosses at a price a few ticks through the fair value, on a random side and token.
  const int64_t tick = market.tick.units();
  const double fv = fair_[market.condition_id];
  const bool yes = rng_.Chance(0.5);
  const Side side = rng_.Chance(0.5) ? Side::kBuy : Side::kSell;
  const double token_fair = yes ? fv : 1.0 - fv;
  const double aggressiveness =
      (1 + static_cast<int64_t>(rng_.Below(4))) * static_cast<double>(tick) / model::kPriceOne;
  const double limit = side == Side::kBuy ? token_fair + aggressiveness : token_fair - aggressiveness;
  int64_t units = static_cast<int64_t>(std::llround(limit * model::kPriceOne)) / tick * tick;
  units = std::clamp<int64_t>(units, tick, model::kPriceOne - tick);
  exchange_.Place({.id = NextId(),
                   .owner = kFlowTakerKey,
                   .maker = kTakerAddress,
                   .token = yes ? market.yes_token : market.no_token,
                   .side = side,
                   .price = Price(units),
                   .size = Size::FromWhole(rng_.Between(5, config_.taker_max_shares)),
                   .type = OrderType::kFak,
                   .version = exchange_.config().order_version},
                  now);
}

}  // namespace clobmaker::simexchange
