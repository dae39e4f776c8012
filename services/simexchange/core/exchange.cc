#include "services/simexchange/core/exchange.h"

#include <fmt/core.h>

#include <algorithm>

#include "common/core/hex.h"
#include "common/core/ids.h"
#include "common/core/int128.h"
#include "common/core/status.h"

namespace clobmaker::simexchange {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

// 32 bytes derived from a string with a seeded generator (the core has no crypto dependency).
std::array<uint8_t, 32> crypto_free_hash(const std::string& text) {
  uint64_t seed = 0xcbf29ce484222325ULL;
  for (char c : text) seed = (seed ^ static_cast<uint8_t>(c)) * 0x100000001b3ULL;
  Rng rng(seed);
  std::array<uint8_t, 32> out{};
  for (auto& b : out) b = static_cast<uint8_t>(rng.Next());
  return out;
}

int64_t Collateral(Size size, Price price, model::Rounding rounding = model::Rounding::kDown) {
  return model::Notional(size, price, rounding).micros();
}

}  // namespace

std::string_view OrderStatusName(OrderStatus status) {
  switch (status) {
    case OrderStatus::kLive:
      return "LIVE";
    case OrderStatus::kMatched:
      return "MATCHED";
    case OrderStatus::kCanceled:
      return "CANCELED";
    case OrderStatus::kExpired:
      return "CANCELED";
    case OrderStatus::kDelayed:
      return "DELAYED";
  }
  return "UNKNOWN";
}

Exchange::Exchange(ExchangeConfig config) : config_(config), rng_(config.seed), rebates_(config.rebate_day) {}

// --- markets and accounts ------------------------------------------------------------------------

void Exchange::AddMarket(const MarketConfig& market, Nanos now) {
  markets_[market.condition_id] = market;
  token_market_[market.yes_token] = market.condition_id;
  token_market_[market.no_token] = market.condition_id;
  books_[market.yes_token];
  books_[market.no_token];
  polymarket::NewMarketEvent e{.market = market.condition_id,
                               .asset_ids = {market.yes_token, market.no_token},
                               .slug = market.slug,
                               .question = "Simulated market " + market.slug,
                               .timestamp_ms = now / kNanosPerMilli};
  e.clob_token_ids = e.asset_ids;
  e.fees_enabled = market.fees.enabled;
  if (market.fees.enabled) e.fee_schedule = market.fees;
  events_.push_back(MarketEventOut{std::move(e)});
}

bool Exchange::SetMarketDelay(const std::string& condition_id, Nanos taker_delay, int64_t sports_delay_s) {
  auto it = markets_.find(condition_id);
  if (it == markets_.end()) return false;
  it->second.taker_delay = taker_delay;
  it->second.sports_delay_s = sports_delay_s;
  return true;
}

bool Exchange::SetFeeSchedule(const std::string& condition_id, const polymarket::FeeSchedule& fees) {
  auto it = markets_.find(condition_id);
  if (it == markets_.end()) return false;
  it->second.fees = fees;
  return true;
}

void Exchange::SetClosedOnly(const std::string& address, bool closed_only) {
  if (closed_only) {
    closed_only_.insert(Lower(address));
  } else {
    closed_only_.erase(Lower(address));
  }
}

bool Exchange::IsClosedOnly(const std::string& address) const { return closed_only_.contains(Lower(address)); }

int64_t Exchange::FeesPaid(const std::string& address) const {
  auto it = fees_paid_.find(Lower(address));
  return it == fees_paid_.end() ? 0 : it->second;
}

const MarketConfig* Exchange::MarketOf(const std::string& token) const {
  auto it = token_market_.find(token);
  if (it == token_market_.end()) return nullptr;
  return &markets_.at(it->second);
}

std::vector<MarketConfig> Exchange::Markets() const {
  std::vector<MarketConfig> out;
  for (const auto& [id, m] : markets_) out.push_back(m);
  return out;
}

std::string Exchange::Complement(const std::string& token) const {
  const MarketConfig* m = MarketOf(token);
  CM_CHECK(m != nullptr);
  return token == m->yes_token ? m->no_token : m->yes_token;
}

bool Exchange::SetTickSize(const std::string& token, model::TickSize tick, Nanos now) {
  auto it = token_market_.find(token);
  if (it == token_market_.end()) return false;
  MarketConfig& m = markets_[it->second];
  const model::TickSize old = m.tick;
  m.tick = tick;
  for (const std::string& t : {m.yes_token, m.no_token}) {
    events_.push_back(
        MarketEventOut{polymarket::TickSizeChangeEvent{t, m.condition_id, old, tick, now / kNanosPerMilli}});
  }
  return true;
}

Account& Exchange::OpenAccount(const std::string& address, const std::string& api_key) {
  const std::string addr = Lower(address);
  Account& account = accounts_[addr];
  account.address = addr;
  if (!api_key.empty()) keys_[api_key].address = addr;
  return account;
}

void Exchange::Credit(const std::string& address, int64_t collateral, const std::string& token, int64_t tokens) {
  Account& account = accounts_[Lower(address)];
  account.address = Lower(address);
  account.collateral += collateral;
  account.chain_collateral += collateral;
  if (!token.empty()) {
    account.tokens[token] += tokens;
    account.chain_tokens[token] += tokens;
  }
}

const Account* Exchange::AccountOf(const std::string& address) const {
  auto it = accounts_.find(Lower(address));
  return it == accounts_.end() ? nullptr : &it->second;
}

const Account* Exchange::AccountOfKey(const std::string& api_key) const {
  auto it = keys_.find(api_key);
  return it == keys_.end() ? nullptr : AccountOf(it->second.address);
}

// --- placement -----------------------------------------------------------------------------------

std::string Exchange::Reject(PlaceResult& r, int status, std::string error) {
  r.success = false;
  r.http_status = status;
  r.error = std::move(error);
  return r.error;
}

int64_t Exchange::Reservation(const NewOrder& order, Size remaining) const {
  return order.side == Side::kBuy ? Collateral(remaining, order.price, model::Rounding::kUp) : remaining.micros();
}

int64_t Exchange::FeeBound(const NewOrder& order) const {
  // p(1-p) grows up to p = 0.5: a BUY fills at or below its limit, so the limit (capped at 0.5)
  // bounds the fee. Post-only orders never take.
  const MarketConfig* m = MarketOf(order.token);
  if (m == nullptr || order.post_only || order.side != Side::kBuy) return 0;
  const Price worst(std::min<int64_t>(order.price.units(), model::kPriceOne / 2));
  return polymarket::TakerFeeMicros(order.size, worst, m->fees);
}

bool Exchange::CanAfford(const Account& account, const NewOrder& order) const {
  if (order.side == Side::kBuy) {
    return account.collateral - account.reserved_collateral >= Reservation(order, order.size) + FeeBound(order);
  }
  const auto held = account.tokens.find(order.token);
  const auto reserved = account.reserved_tokens.find(order.token);
  const int64_t available = (held == account.tokens.end() ? 0 : held->second) -
                            (reserved == account.reserved_tokens.end() ? 0 : reserved->second);
  return available >= order.size.micros();
}

std::vector<Exchange::Fill> Exchange::PlanMatches(const NewOrder& order) const {
  // Levels that cross, from the same token's opposite side and the complement's same side,
  // visited by effective price (in the taker's token); at one effective price, by time.
  struct LevelRef {
    int64_t effective;
    const Level* level;
  };
  std::vector<LevelRef> levels;
  const TokenBook& own = books_.at(order.token);
  const TokenBook& other = books_.at(Complement(order.token));
  const int64_t limit = order.price.units();
  const bool buy = order.side == Side::kBuy;
  if (buy) {
    for (const auto& [price, level] : own.asks) {
      if (price > limit) break;
      levels.push_back({price, &level});
    }
    for (const auto& [price, level] : other.bids) {  // mint: 1 - bid <= limit
      if (model::kPriceOne - price > limit) break;
      levels.push_back({model::kPriceOne - price, &level});
    }
  } else {
    for (const auto& [price, level] : own.bids) {
      if (price < limit) break;
      levels.push_back({price, &level});
    }
    for (const auto& [price, level] : other.asks) {  // merge: 1 - ask >= limit
      if (model::kPriceOne - price < limit) break;
      levels.push_back({model::kPriceOne - price, &level});
    }
  }
  std::stable_sort(levels.begin(), levels.end(), [buy](const LevelRef& a, const LevelRef& b) {
    return buy ? a.effective < b.effective : a.effective > b.effective;
  });
  std::vector<Fill> fills;
  int64_t left = order.size.micros();
  for (size_t i = 0; i < levels.size() && left > 0;) {
    // All levels at this effective price (at most one per book), merged by time priority.
    size_t j = i;
    std::vector<const Order*> queue;
    while (j < levels.size() && levels[j].effective == levels[i].effective) {
      for (const std::string& id : levels[j].level->queue) queue.push_back(&orders_.at(id));
      ++j;
    }
    if (j - i > 1) {
      std::sort(queue.begin(), queue.end(), [](const Order* a, const Order* b) { return a->sequence < b->sequence; });
    }
    for (const Order* maker : queue) {
      if (left <= 0) break;
      const int64_t take = std::min(left, maker->remaining().micros());
      if (take <= 0) continue;
      fills.push_back({maker->spec.id.ToString(), maker->spec.price, Size(take)});
      left -= take;
    }
    i = j;
  }
  return fills;
}

PlaceResult Exchange::Place(const NewOrder& in, Nanos now) {
  PlaceResult result;
  Advance(now);
  if (EngineDown(now)) {
    Reject(result, 425, "the matching engine is restarting, try again later");
    return result;
  }
  if (PostOnlyMode(now) && !in.post_only) {
    Reject(result, 503, "post-only mode: only post-only orders and cancels are allowed");
    result.code = "post_only_mode";
    return result;
  }
  if (mode_ == TradingMode::kDisabled) {
    Reject(result, 503, "Trading is currently disabled. Check polymarket.com for updates");
    return result;
  }
  if (mode_ == TradingMode::kCancelOnly) {
    Reject(result, 503, "Trading is currently cancel-only. New orders are not accepted, but cancels are allowed.");
    return result;
  }
  if (in.side == Side::kBuy && IsClosedOnly(in.maker)) {
    Reject(result, 400, fmt::format("'{}' address in closed only mode", Lower(in.maker)));
    return result;
  }
  if (in.version != config_.order_version) {
    Reject(result, 400, "order_version_mismatch");
    return result;
  }
  const MarketConfig* market = MarketOf(in.token);
  if (market == nullptr) {
    Reject(result, 400, fmt::format("the market for token {} does not exist", in.token));
    return result;
  }
  if (IsResolved(market->condition_id)) {
    Reject(result, 400, "the market is resolved: not accepting orders");
    return result;
  }
  const std::string id = in.id.ToString();
  if (orders_.contains(id)) {
    Reject(result, 400, "order is invalid. Duplicated. Same order has already been placed, can't be placed again");
    return result;
  }
  if (!market->tick.IsValidOrderPrice(in.price)) {
    Reject(result, 400,
           fmt::format("order {} is invalid. Price ({}) breaks minimum tick size rule: {}", id, in.price.ToString(),
                       market->tick.ToString()));
    return result;
  }
  if (in.size.micros() <= 0 || in.size.micros() % 10'000 != 0) {
    Reject(result, 400, "invalid amounts: size must be positive with at most 2 decimals");
    return result;
  }
  const bool immediate = in.type == OrderType::kFok || in.type == OrderType::kFak;
  if (in.post_only && immediate) {
    Reject(result, 400, "invalid post-only order: only GTC and GTD order types are allowed");
    return result;
  }
  if (!immediate && in.size < market->min_order_size) {
    Reject(result, 400,
           fmt::format("order {} is invalid. Size ({}) lower than the minimum: {}", id, in.size.ToString(),
                       market->min_order_size.ToString()));
    return result;
  }
  if (in.type == OrderType::kGtd) {
    if (in.expiration_s * kNanosPerSecond - config_.gtd_security_margin <= now) {
      Reject(result, 400, "invalid expiration");
      return result;
    }
  } else if (in.expiration_s != 0) {
    Reject(result, 400, "invalid expiration");
    return result;
  }
  auto key = keys_.find(in.owner);
  if (key == keys_.end()) {
    Reject(result, 401, "Unauthorized/Invalid api key");
    return result;
  }
  const Account* account = AccountOf(in.maker);
  if (account == nullptr || !CanAfford(*account, in)) {
    Reject(result, 400, "not enough balance / allowance");
    return result;
  }
  const std::vector<Fill> fills = PlanMatches(in);
  int64_t fillable = 0;
  for (const Fill& f : fills) fillable += f.size.micros();
  if (in.post_only && !fills.empty()) {
    Reject(result, 400, "invalid post-only order: order crosses book");
    return result;
  }
  if (in.type == OrderType::kFok && fillable < in.size.micros()) {
    Reject(result, 400, "order couldn't be fully filled. FOK orders are fully filled or killed.");
    return result;
  }
  if (in.type == OrderType::kFak && fills.empty()) {
    Reject(result, 400,
           "no orders found to match with FAK order. FAK orders are partially filled or killed if no match is found.");
    return result;
  }

  Order& order = orders_[id];
  order.spec = in;
  order.spec.maker = Lower(in.maker);
  order.created = now;
  order.sequence = next_sequence_++;
  if (in.type == OrderType::kGtd)
    gtd_expiry_.emplace(in.expiration_s * kNanosPerSecond - config_.gtd_security_margin, id);
  result.success = true;
  const Nanos delay = market->matching_delay();
  if (delay > 0 && (!fills.empty() || config_.delay_scope == DelayScope::kAll)) {
    // Queued behind the matching delay: accepted, not on the book, not cancellable, invisible to
    // order lookups; matched (or rested) when the delay ends. No amounts: it is not a fill.
    order.status = OrderStatus::kDelayed;
    order.release_at = now + delay;
    delayed_.emplace(order.release_at, id);
    result.status = "delayed";
    return result;
  }
  Admit(order, fills, now, result);
  return result;
}

void Exchange::Admit(Order& order, const std::vector<Fill>& fills, Nanos now, PlaceResult& result) {
  const bool immediate = order.spec.type == OrderType::kFok || order.spec.type == OrderType::kFak;
  order.status = OrderStatus::kLive;
  order.created = std::max(order.created, order.release_at);
  Execute(order, fills, now, result);
  if (order.remaining().micros() > 0) {
    if (immediate) {
      Close(order, OrderStatus::kCanceled, "", now);  // FAK remainder is killed
      result.status = "matched";
    } else {
      Rest(order);
      EmitOrderEvent(order, polymarket::OrderEventType::kPlacement, now, "LIVE");
      result.status = order.matched.micros() > 0 ? "matched" : "live";
    }
  } else {
    order.status = OrderStatus::kMatched;
    EmitOrderEvent(order, polymarket::OrderEventType::kUpdate, now, "MATCHED");
    result.status = "matched";
  }
}

void Exchange::ReleaseDelayed(Nanos now) {
  while (!delayed_.empty() && delayed_.begin()->first <= now) {
    const std::string id = delayed_.begin()->second;
    delayed_.erase(delayed_.begin());
    Order& order = orders_.at(id);
    if (order.status != OrderStatus::kDelayed) continue;
    PlaceResult result;
    result.success = true;
    const MarketConfig* market = MarketOf(order.spec.token);
    const Account* account = AccountOf(order.spec.maker);
    const std::vector<Fill> fills = PlanMatches(order.spec);
    int64_t fillable = 0;
    for (const Fill& f : fills) fillable += f.size.micros();
    std::string killed;
    if (market == nullptr || IsResolved(market->condition_id)) {
      killed = "MARKET_RESOLVED";
    } else if (account == nullptr || !CanAfford(*account, order.spec)) {
      killed = "INSUFFICIENT_BALANCE";
    } else if (order.spec.post_only && !fills.empty()) {
      killed = "invalid post-only order: order crosses book";
    } else if (order.spec.type == OrderType::kFok && fillable < order.spec.size.micros()) {
      killed = "order couldn't be fully filled. FOK orders are fully filled or killed.";
    } else if (order.spec.type == OrderType::kFak && fills.empty()) {
      killed =
          "no orders found to match with FAK order. FAK orders are partially filled or killed if no match is found.";
    }
    if (!killed.empty()) {
      order.status = OrderStatus::kCanceled;
      EmitOrderEvent(order, polymarket::OrderEventType::kCancellation, now, "CANCELED_" + killed);
      result.success = false;
      result.error = killed;
    } else {
      order.sequence = next_sequence_++;  // its time priority starts when it reaches the book
      Admit(order, fills, now, result);
      // Placed after the delay without a match: "unmatched" (the docs' order-lifecycle page).
      if (result.status == "live") result.status = "unmatched";
    }
    events_.push_back(DelayReleasedOut{id, std::move(result)});
  }
}

void Exchange::Transfer(TradeRecord& trade, const std::string& address, const std::string& token, int64_t delta) {
  Account& account = accounts_[address];
  if (token.empty()) {
    account.collateral += delta;
  } else {
    account.tokens[token] += delta;
  }
  trade.transfers.emplace_back(address, token, delta);
}

void Exchange::Execute(Order& taker, const std::vector<Fill>& fills, Nanos now, PlaceResult& result) {
  const std::string complement = Complement(taker.spec.token);
  for (const Fill& fill : fills) {
    Order& maker = orders_.at(fill.maker_order);
    const bool same_token = maker.spec.token == taker.spec.token;
    const int64_t s = fill.size.micros();
    ReduceResting(maker, fill.size, now);

    TradeRecord trade;
    trade.matched_at = now;
    trade.will_fail = rng_.Chance(config_.trade_fail_probability);
    const bool not_broadcasted =
        config_.matched_not_broadcasted_share > 0 && rng_.Chance(config_.matched_not_broadcasted_share);
    const std::string& taker_addr = taker.spec.maker;
    const std::string& maker_addr = maker.spec.maker;
    const int64_t maker_cash = Collateral(fill.size, fill.maker_price);
    const int64_t taker_price_units =
        same_token ? fill.maker_price.units() : model::kPriceOne - fill.maker_price.units();
    const int64_t taker_cash = Collateral(fill.size, Price(taker_price_units));
    if (taker.spec.side == Side::kBuy) {
      Transfer(trade, taker_addr, "", -taker_cash);
      Transfer(trade, taker_addr, taker.spec.token, s);
      if (same_token) {  // maker sold to us
        Transfer(trade, maker_addr, maker.spec.token, -s);
        Transfer(trade, maker_addr, "", maker_cash);
      } else {  // mint: the maker buys the complement
        Transfer(trade, maker_addr, "", -maker_cash);
        Transfer(trade, maker_addr, maker.spec.token, s);
      }
    } else {
      Transfer(trade, taker_addr, taker.spec.token, -s);
      Transfer(trade, taker_addr, "", taker_cash);
      if (same_token) {  // maker bought from us
        Transfer(trade, maker_addr, "", -maker_cash);
        Transfer(trade, maker_addr, maker.spec.token, s);
      } else {  // merge: the maker sells the complement
        Transfer(trade, maker_addr, maker.spec.token, -s);
        Transfer(trade, maker_addr, "", maker_cash);
      }
    }
    // The taker's fee, in pUSD (makers never pay); a share goes to the day's rebate pool.
    const MarketConfig& market = *MarketOf(taker.spec.token);
    const int64_t fee = polymarket::TakerFeeMicros(fill.size, Price(taker_price_units), market.fees);
    if (fee > 0) {
      Transfer(trade, taker_addr, "", -fee);
      trade.taker_fee = fee;
      trade.taker_address = taker_addr;
      fees_paid_[taker_addr] += fee;
      rebates_.OnTakerFee(market.condition_id, fee, market.fees.rebate_ppm, now);
    }
    rebates_.OnMakerFill(market.condition_id, maker_addr, maker_cash, now);
    taker.matched = taker.matched + fill.size;
    result.making += taker.spec.side == Side::kBuy ? taker_cash : s;
    result.taking += taker.spec.side == Side::kBuy ? s : taker_cash;

    polymarket::UserTradeEvent& t = trade.event;
    t.id = NewTradeId();
    t.taker_order_id = taker.spec.id.ToString();
    t.market = MarketOf(taker.spec.token)->condition_id;
    t.asset_id = taker.spec.token;
    t.side = taker.spec.side;
    t.size = fill.size;
    t.price = Price(taker_price_units);
    t.status = not_broadcasted ? polymarket::TradeStatus::kMatchedNotBroadcasted : polymarket::TradeStatus::kMatched;
    t.fee_rate_bps = market.fees.enabled ? market.fees.rate_ppm / 100 : 0;
    t.match_time_ms = now / kNanosPerMilli;
    t.last_update_ms = t.match_time_ms;
    t.owner = taker.spec.owner;
    t.trade_owner = taker.spec.owner;
    t.maker_address = taker_addr;
    t.timestamp_ms = t.match_time_ms;
    t.maker_orders.push_back(
        {maker.spec.id.ToString(), maker.spec.owner, maker_addr, fill.size, fill.maker_price, maker.spec.token,
         maker.spec.token == MarketOf(maker.spec.token)->yes_token ? "Yes" : "No", maker.spec.side, 0});
    trade.recipients = {taker.spec.owner};
    if (maker.spec.owner != taker.spec.owner) trade.recipients.push_back(maker.spec.owner);
    taker.trades.push_back(t.id);
    maker.trades.push_back(t.id);
    result.trade_ids.push_back(t.id);
    last_trade_price_[taker.spec.token] = t.price;
    unsettled_.push_back(trades_.size());
    trades_.push_back(trade);
    // One copy per recipient: the taker's says TAKER, the maker's MAKER (a self-trade: one copy).
    polymarket::UserTradeEvent for_taker = t;
    for_taker.trader_side = "TAKER";
    events_.push_back(UserEventOut{{taker.spec.owner}, for_taker});
    if (maker.spec.owner != taker.spec.owner) {
      polymarket::UserTradeEvent for_maker = t;
      for_maker.trader_side = "MAKER";
      events_.push_back(UserEventOut{{maker.spec.owner}, for_maker});
    }
    if (maker.remaining().micros() == 0) {
      maker.status = OrderStatus::kMatched;
      EmitOrderEvent(maker, polymarket::OrderEventType::kUpdate, now, "MATCHED");
    } else {
      EmitOrderEvent(maker, polymarket::OrderEventType::kUpdate, now, "LIVE");
    }
    events_.push_back(MarketEventOut{polymarket::LastTradePriceEvent{
        taker.spec.token, t.market, t.price, fill.size, taker.spec.side, t.fee_rate_bps, now / kNanosPerMilli,
        // The hash the trade will be mined under (the same stand-in as at MINED).
        HexEncode(crypto_free_hash(t.id))}});
  }
}

void Exchange::ReduceResting(Order& maker, Size filled, Nanos now) {
  // The maker keeps its place in the queue; only its size, the level's and its reservation drop.
  Account& account = accounts_[maker.spec.maker];
  const int64_t before = Reservation(maker.spec, maker.remaining());
  maker.matched = maker.matched + filled;
  const int64_t after = Reservation(maker.spec, maker.remaining());
  if (maker.spec.side == Side::kBuy) {
    account.reserved_collateral -= before - after;
  } else {
    account.reserved_tokens[maker.spec.token] -= before - after;
  }
  TokenBook& book = books_[maker.spec.token];
  const int64_t price = maker.spec.price.units();
  auto reduce = [&](auto& side_map) {
    auto it = side_map.find(price);
    CM_CHECK(it != side_map.end());
    it->second.size -= filled.micros();
    if (maker.remaining().micros() == 0) {
      live_.erase(maker.sequence);
      auto& queue = it->second.queue;
      queue.erase(std::find(queue.begin(), queue.end(), maker.spec.id.ToString()));
      if (queue.empty()) side_map.erase(it);
    }
  };
  if (maker.spec.side == Side::kBuy) {
    reduce(book.bids);
  } else {
    reduce(book.asks);
  }
  EmitLevel(maker.spec.token, maker.spec.side, price, now);
}

void Exchange::Rest(Order& order) {
  TokenBook& book = books_[order.spec.token];
  const int64_t price = order.spec.price.units();
  Level& level = order.spec.side == Side::kBuy ? book.bids[price] : book.asks[price];
  level.queue.push_back(order.spec.id.ToString());
  level.size += order.remaining().micros();
  live_[order.sequence] = order.spec.id.ToString();
  // Reserve what the rest of the order could spend.
  Account& account = accounts_[order.spec.maker];
  const int64_t reserve = Reservation(order.spec, order.remaining());
  if (order.spec.side == Side::kBuy) {
    account.reserved_collateral += reserve;
  } else {
    account.reserved_tokens[order.spec.token] += reserve;
  }
  EmitLevel(order.spec.token, order.spec.side, price, order.created);
}

void Exchange::Unrest(const Order& order, Nanos now) {
  TokenBook& book = books_[order.spec.token];
  const int64_t price = order.spec.price.units();
  auto remove = [&](auto& side_map) {
    auto it = side_map.find(price);
    if (it == side_map.end()) return false;
    auto& queue = it->second.queue;
    auto pos = std::find(queue.begin(), queue.end(), order.spec.id.ToString());
    if (pos == queue.end()) return false;
    queue.erase(pos);
    it->second.size -= order.remaining().micros();
    if (queue.empty()) side_map.erase(it);
    return true;
  };
  const bool removed = order.spec.side == Side::kBuy ? remove(book.bids) : remove(book.asks);
  if (!removed) return;
  live_.erase(order.sequence);
  Account& account = accounts_[order.spec.maker];
  const int64_t reserve = Reservation(order.spec, order.remaining());
  if (order.spec.side == Side::kBuy) {
    account.reserved_collateral -= reserve;
  } else {
    account.reserved_tokens[order.spec.token] -= reserve;
  }
  // Stamped with the time of the removal: feeds order events by their timestamps.
  EmitLevel(order.spec.token, order.spec.side, price, now);
}

void Exchange::Close(Order& order, OrderStatus status, const std::string& reason, Nanos now) {
  if (order.status != OrderStatus::kLive) return;
  Unrest(order, now);
  order.status = status;
  EmitOrderEvent(order, polymarket::OrderEventType::kCancellation, now,
                 reason.empty() ? "CANCELED" : "CANCELED_" + reason);
}

// --- cancels -------------------------------------------------------------------------------------

CancelOutcome Exchange::Cancel(const std::string& api_key, const std::vector<std::string>& order_ids, Nanos now) {
  Advance(now);
  CancelOutcome out;
  std::set<std::string> seen;
  for (const std::string& raw_id : order_ids) {
    const std::string id = Lower(raw_id);
    if (!seen.insert(id).second) continue;  // duplicates ignored
    auto it = orders_.find(id);
    if (it == orders_.end() || it->second.spec.owner != api_key) {
      out.not_canceled.emplace_back(raw_id, "Order not found");
      continue;
    }
    if (it->second.status == OrderStatus::kDelayed) {
      // The docs: during either delay the order is pending and cannot be canceled.
      out.not_canceled.emplace_back(raw_id, "order is in a matching delay and cannot be canceled until it ends");
      continue;
    }
    if (it->second.status != OrderStatus::kLive) {
      out.not_canceled.emplace_back(raw_id, "already canceled or matched");
      continue;
    }
    Close(it->second, OrderStatus::kCanceled, "", now);
    out.canceled.push_back(id);
  }
  return out;
}

CancelOutcome Exchange::CancelAll(const std::string& api_key, Nanos now) { return CancelMarket(api_key, "", "", now); }

CancelOutcome Exchange::CancelMarket(const std::string& api_key, const std::string& condition_id,
                                     const std::string& token, Nanos now) {
  Advance(now);
  std::vector<std::string> ids;
  for (const Order* o : OpenOrders(api_key, condition_id, token)) ids.push_back(o->spec.id.ToString());
  // Orders in a delay are reported, not cancelled.
  for (const Order* o : DelayedOrders(api_key)) {
    if (!token.empty() && o->spec.token != token) continue;
    if (!condition_id.empty() && MarketOf(o->spec.token)->condition_id != condition_id) continue;
    ids.push_back(o->spec.id.ToString());
  }
  return Cancel(api_key, ids, now);
}

std::vector<const Order*> Exchange::DelayedOrders(const std::string& api_key) const {
  std::vector<const Order*> out;
  for (const auto& [at, id] : delayed_) {
    const Order& o = orders_.at(id);
    if (o.status == OrderStatus::kDelayed && (api_key.empty() || o.spec.owner == api_key)) out.push_back(&o);
  }
  return out;
}

const Order* Exchange::Find(const std::string& order_id) const {
  auto it = orders_.find(Lower(order_id));
  return it == orders_.end() ? nullptr : &it->second;
}

std::vector<const Order*> Exchange::OpenOrders(const std::string& api_key, const std::string& condition_id,
                                               const std::string& token) const {
  std::vector<const Order*> out;  // in time order (live_ is keyed by sequence)
  for (const auto& [sequence, id] : live_) {
    const Order& o = orders_.at(id);
    if (!api_key.empty() && o.spec.owner != api_key) continue;
    if (!token.empty() && o.spec.token != token) continue;
    if (!condition_id.empty() && MarketOf(o.spec.token)->condition_id != condition_id) continue;
    out.push_back(&o);
  }
  return out;
}

std::vector<polymarket::UserTradeEvent> Exchange::Trades(const std::string& api_key) const {
  std::vector<polymarket::UserTradeEvent> out;
  for (const TradeRecord& t : trades_) {
    if (api_key.empty() || std::find(t.recipients.begin(), t.recipients.end(), api_key) != t.recipients.end()) {
      out.push_back(t.event);
    }
  }
  return out;
}

bool Exchange::IsScoring(const std::string& order_id) const {
  const Order* o = Find(order_id);
  if (o == nullptr || o->status != OrderStatus::kLive) return false;
  const MarketConfig* m = MarketOf(o->spec.token);
  const auto mid = Midpoint(o->spec.token);
  if (m == nullptr || !mid) return false;
  if (o->remaining() < m->rewards_min_size) return false;
  return std::abs(o->spec.price.units() - mid->units()) <= m->rewards_max_spread.units();
}

// --- heartbeats, modes, timers -------------------------------------------------------------------

std::optional<std::string> Exchange::Heartbeat(const std::string& api_key, const std::string& id, Nanos now,
                                               std::string* expected) {
  Advance(now);
  KeyState& key = keys_[api_key];
  if (!id.empty() && (!key.chain_started || id != key.expected_heartbeat)) {
    if (expected != nullptr) *expected = key.expected_heartbeat;
    return std::nullopt;
  }
  key.chain_started = true;
  key.last_heartbeat = now;
  Rng ids(config_.seed ^ (next_heartbeat_++ * 0x9e3779b97f4a7c15ULL));
  key.expected_heartbeat = MakeUuidV4(ids);
  return key.expected_heartbeat;
}

void Exchange::RestartMatchingEngine(Nanos down_until, Nanos post_only_until) {
  down_until_ = down_until;
  post_only_until_ = std::max(post_only_until, down_until);
}

void Exchange::Advance(Nanos now) {
  ReleaseDelayed(now);
  // Rebates of the days that ended, credited to the makers' pUSD (exchange and chain).
  for (const RebatePayout& p : rebates_.CloseDays(now)) {
    Account& account = accounts_[p.maker_address];
    account.address = p.maker_address;
    account.collateral += p.micros;
    account.chain_collateral += p.micros;
  }
  // Trades first reported MATCHED_NOT_BROADCASTED become MATCHED (in match order).
  for (size_t k : unsettled_) {
    TradeRecord& t = trades_[k];
    if (now - t.matched_at < config_.broadcast_after) break;
    if (t.event.status != polymarket::TradeStatus::kMatchedNotBroadcasted) continue;
    t.event.status = polymarket::TradeStatus::kMatched;
    t.event.last_update_ms = now / kNanosPerMilli;
    for (size_t i = 0; i < t.recipients.size(); ++i) {
      polymarket::UserTradeEvent copy = t.event;
      copy.trader_side = i == 0 ? "TAKER" : "MAKER";
      events_.push_back(UserEventOut{{t.recipients[i]}, copy});
    }
  }
  // Chain transactions, in submission order, once a block has passed.
  while (!chain_pending_.empty()) {
    ChainTx& tx = chain_txs_.at(chain_pending_.front());
    if (now - tx.submitted < config_.block_time) break;
    chain_pending_.pop_front();
    Mine(tx, now);
  }
  // Dead-man switch: a started chain without a heartbeat for the timeout cancels everything.
  for (auto& [api_key, key] : keys_) {
    if (key.chain_started && now - key.last_heartbeat > config_.heartbeat_timeout) {
      key.chain_started = false;
      key.expected_heartbeat.clear();
      for (const Order* o : OpenOrders(api_key))
        Close(orders_.at(o->spec.id.ToString()), OrderStatus::kCanceled, "", now);
    }
  }
  // GTD expiry (the exchange cancels a minute before the stated time).
  while (!gtd_expiry_.empty() && gtd_expiry_.begin()->first <= now) {
    Order& o = orders_.at(gtd_expiry_.begin()->second);
    gtd_expiry_.erase(gtd_expiry_.begin());
    Close(o, OrderStatus::kExpired, "", now);
  }
  // Trade settlement.
  // Trades settle in match order, so only the front of the queue can be due.
  for (size_t k = 0; k < unsettled_.size();) {
    TradeRecord& t = trades_[unsettled_[k]];
    const Nanos age = now - t.matched_at;
    if (age < config_.mined_after) break;
    polymarket::TradeStatus next = t.event.status;
    if (age >= config_.confirmed_after) {
      next = t.will_fail ? polymarket::TradeStatus::kFailed : polymarket::TradeStatus::kConfirmed;
    } else if (age >= config_.mined_after) {
      next = t.will_fail ? polymarket::TradeStatus::kRetrying : polymarket::TradeStatus::kMined;
    }
    if (next == t.event.status) {
      ++k;
      continue;
    }
    // Pass through MINED/RETRYING if a timer jumped over it, so consumers see every step.
    std::vector<polymarket::TradeStatus> steps;
    if (t.event.status == polymarket::TradeStatus::kMatched &&
        (next == polymarket::TradeStatus::kConfirmed || next == polymarket::TradeStatus::kFailed)) {
      steps.push_back(t.will_fail ? polymarket::TradeStatus::kRetrying : polymarket::TradeStatus::kMined);
    }
    steps.push_back(next);
    for (polymarket::TradeStatus status : steps) {
      t.event.status = status;
      t.event.last_update_ms = now / kNanosPerMilli;
      if (status == polymarket::TradeStatus::kMined) {
        for (const auto& [address, token, delta] : t.transfers) {
          Account& account = accounts_[address];
          if (token.empty()) {
            account.chain_collateral += delta;
          } else {
            account.chain_tokens[token] += delta;
          }
        }
      }
      if (status == polymarket::TradeStatus::kMined && t.event.transaction_hash.empty()) {
        // A stand-in transaction hash, deterministic per trade, once the trade is "on chain".
        t.event.transaction_hash = HexEncode(crypto_free_hash(t.event.id));
      }
      if (status == polymarket::TradeStatus::kFailed) {
        if (t.taker_fee > 0) fees_paid_[t.taker_address] -= t.taker_fee;
        for (const auto& [address, token, delta] : t.transfers) {
          Account& account = accounts_[address];
          if (token.empty()) {
            account.collateral -= delta;
          } else {
            account.tokens[token] -= delta;
          }
        }
        t.event.err_msg = "transaction failed";
      }
      for (size_t i = 0; i < t.recipients.size(); ++i) {
        polymarket::UserTradeEvent copy = t.event;
        copy.trader_side = i == 0 ? "TAKER" : "MAKER";
        events_.push_back(UserEventOut{{t.recipients[i]}, copy});
      }
    }
    t.done = next == polymarket::TradeStatus::kConfirmed || next == polymarket::TradeStatus::kFailed;
    if (t.done) {
      unsettled_.erase(unsettled_.begin() + static_cast<std::ptrdiff_t>(k));
    } else {
      ++k;
    }
  }
}

// --- the chain -----------------------------------------------------------------------------------

bool Exchange::Resolve(const std::string& condition_id, int winning_outcome, Nanos now) {
  Advance(now);
  auto m = markets_.find(condition_id);
  if (m == markets_.end() || IsResolved(condition_id) || (winning_outcome != 0 && winning_outcome != 1)) return false;
  Payouts& p = payouts_[condition_id];
  p.denominator = 1;
  p.numerators[static_cast<size_t>(winning_outcome)] = 1;
  for (const Order* o : OpenOrders("", condition_id)) {
    Close(orders_.at(o->spec.id.ToString()), OrderStatus::kCanceled, "MARKET_RESOLVED", now);
  }
  const MarketConfig& market = m->second;
  events_.push_back(MarketEventOut{
      polymarket::MarketResolvedEvent{.market = condition_id,
                                      .asset_ids = {market.yes_token, market.no_token},
                                      .winning_asset_id = winning_outcome == 0 ? market.yes_token : market.no_token,
                                      .winning_outcome = winning_outcome == 0 ? "Yes" : "No",
                                      .timestamp_ms = now / kNanosPerMilli}});
  return true;
}

Payouts Exchange::PayoutsOf(const std::string& condition_id) const {
  auto it = payouts_.find(condition_id);
  return it == payouts_.end() ? Payouts{} : it->second;
}

uint64_t Exchange::NextNonce(const std::string& address) const {
  auto it = next_nonce_.find(Lower(address));
  return it == next_nonce_.end() ? 0 : it->second;
}

uint64_t Exchange::MinedNonce(const std::string& address) const {
  auto it = mined_nonce_.find(Lower(address));
  return it == mined_nonce_.end() ? 0 : it->second;
}

std::optional<std::string> Exchange::SubmitChainTx(const ChainTxSpec& spec, Nanos now) {
  Advance(now);
  const std::string hash = Lower(spec.hash);
  if (chain_txs_.contains(hash)) return "already known";
  const std::string sender = Lower(spec.sender);
  const uint64_t expected = NextNonce(sender);
  if (spec.nonce < expected) return fmt::format("nonce too low: next nonce {}, tx nonce {}", expected, spec.nonce);
  if (spec.nonce > expected) return fmt::format("nonce too high: next nonce {}, tx nonce {}", expected, spec.nonce);
  next_nonce_[sender] = expected + 1;
  ChainTx tx{.spec = spec, .submitted = now};
  tx.spec.sender = sender;
  tx.spec.account = Lower(spec.account.empty() ? spec.sender : spec.account);
  tx.spec.hash = hash;
  chain_txs_.emplace(hash, tx);
  chain_pending_.push_back(hash);
  return std::nullopt;
}

const ChainTx* Exchange::FindChainTx(const std::string& hash) const {
  auto it = chain_txs_.find(Lower(hash));
  return it == chain_txs_.end() ? nullptr : &it->second;
}

void Exchange::Mine(ChainTx& tx, Nanos now) {
  tx.mined = true;
  mined_nonce_[tx.spec.sender] = tx.spec.nonce + 1;  // mined in nonce order (submission order per sender)
  tx.block = BlockNumber(now);
  auto revert = [&](std::string reason) { tx.revert_reason = std::move(reason); };
  auto m = markets_.find(tx.spec.condition_id);
  if (m == markets_.end()) return revert("condition not prepared");
  const MarketConfig& market = m->second;
  Account& account = accounts_[tx.spec.account];
  account.address = tx.spec.account;
  const std::array<std::string, 2> tokens = {market.yes_token, market.no_token};
  auto chain_of = [&](const std::string& t) {
    auto it = account.chain_tokens.find(t);
    return it == account.chain_tokens.end() ? int64_t{0} : it->second;
  };
  auto exchange_of = [&](const std::string& t) {
    auto it = account.tokens.find(t);
    return it == account.tokens.end() ? int64_t{0} : it->second;
  };
  std::array<int64_t, 2> burn{};
  if (tx.spec.call == ChainCall::kMerge) {
    if (tx.spec.amount <= 0) return revert("nothing to merge");
    for (const std::string& t : tokens) {
      // The exchange's own ledger must cover it too: tokens sold but not yet mined are spoken for.
      if (chain_of(t) < tx.spec.amount || exchange_of(t) < tx.spec.amount) {
        return revert("ERC1155: insufficient balance for transfer");
      }
    }
    burn = {tx.spec.amount, tx.spec.amount};
    tx.collateral_delta = tx.spec.amount;
  } else {
    const Payouts p = PayoutsOf(tx.spec.condition_id);
    if (p.denominator == 0) return revert("result for condition not received yet");
    for (size_t i = 0; i < 2; ++i) {
      burn[i] = chain_of(tokens[i]);
      tx.collateral_delta += static_cast<int64_t>(static_cast<Int128>(burn[i]) * p.numerators[i] / p.denominator);
    }
  }
  tx.success = true;
  for (size_t i = 0; i < 2; ++i) {
    account.chain_tokens[tokens[i]] -= burn[i];
    account.tokens[tokens[i]] -= burn[i];
  }
  account.chain_collateral += tx.collateral_delta;
  account.collateral += tx.collateral_delta;
  for (const std::string& t : tokens) CancelUncovered(tx.spec.account, t, now);
}

void Exchange::CancelUncovered(const std::string& address, const std::string& token, Nanos now) {
  Account& account = accounts_[address];
  std::vector<Order*> sells;  // newest first
  for (auto it = live_.rbegin(); it != live_.rend(); ++it) {
    Order& o = orders_.at(it->second);
    if (o.spec.maker == address && o.spec.token == token && o.spec.side == Side::kSell) sells.push_back(&o);
  }
  for (Order* o : sells) {
    if (account.tokens[token] - account.reserved_tokens[token] >= 0) break;
    Close(*o, OrderStatus::kCanceled, "INSUFFICIENT_BALANCE", now);
  }
}

// --- observation ---------------------------------------------------------------------------------

polymarket::BookEvent Exchange::Book(const std::string& token, Nanos now) const {
  // The published book of a token includes the complement's orders mirrored at 1 - p: that is
  // what can actually be traded against it.
  polymarket::BookEvent out;
  out.asset_id = token;
  const MarketConfig* m = MarketOf(token);
  if (m == nullptr) return out;
  out.market = m->condition_id;
  out.timestamp_ms = now / kNanosPerMilli;
  out.tick_size = m->tick;
  out.min_order_size = m->min_order_size;
  out.neg_risk = m->neg_risk;
  if (auto it = last_trade_price_.find(token); it != last_trade_price_.end()) out.last_trade_price = it->second;
  std::map<int64_t, int64_t, std::greater<>> bids;
  std::map<int64_t, int64_t> asks;
  const TokenBook& own = books_.at(token);
  const TokenBook& other = books_.at(Complement(token));
  for (const auto& [p, l] : own.bids) bids[p] += l.size;
  for (const auto& [p, l] : other.asks) bids[model::kPriceOne - p] += l.size;
  for (const auto& [p, l] : own.asks) asks[p] += l.size;
  for (const auto& [p, l] : other.bids) asks[model::kPriceOne - p] += l.size;
  for (const auto& [p, s] : bids) out.bids.push_back({Price(p), Size(s)});
  for (const auto& [p, s] : asks) out.asks.push_back({Price(p), Size(s)});
  return out;
}

std::optional<Price> Exchange::Midpoint(const std::string& token) const {
  if (MarketOf(token) == nullptr) return std::nullopt;
  const auto bid = BestBid(token);
  const auto ask = BestAsk(token);
  if (!bid || !ask) return std::nullopt;
  return Price((*bid + *ask) / 2);
}

std::vector<Event> Exchange::TakeEvents() {
  std::vector<Event> out;
  out.swap(events_);
  return out;
}

std::optional<int64_t> Exchange::BestBid(const std::string& token) const {
  const TokenBook& own = books_.at(token);
  const TokenBook& other = books_.at(Complement(token));
  std::optional<int64_t> best;
  if (!own.bids.empty()) best = own.bids.begin()->first;
  if (!other.asks.empty()) best = std::max(best.value_or(0), model::kPriceOne - other.asks.begin()->first);
  return best;
}

std::optional<int64_t> Exchange::BestAsk(const std::string& token) const {
  const TokenBook& own = books_.at(token);
  const TokenBook& other = books_.at(Complement(token));
  std::optional<int64_t> best;
  if (!own.asks.empty()) best = own.asks.begin()->first;
  if (!other.bids.empty())
    best = std::min(best.value_or(model::kPriceOne), model::kPriceOne - other.bids.begin()->first);
  return best;
}

int64_t Exchange::PublishedSize(const std::string& token, Side side, int64_t price) const {
  const TokenBook& own = books_.at(token);
  const TokenBook& other = books_.at(Complement(token));
  int64_t size = 0;
  if (side == Side::kBuy) {
    if (auto it = own.bids.find(price); it != own.bids.end()) size += it->second.size;
    if (auto it = other.asks.find(model::kPriceOne - price); it != other.asks.end()) size += it->second.size;
  } else {
    if (auto it = own.asks.find(price); it != own.asks.end()) size += it->second.size;
    if (auto it = other.bids.find(model::kPriceOne - price); it != other.bids.end()) size += it->second.size;
  }
  return size;
}

void Exchange::EmitLevel(const std::string& token, Side side, int64_t price, Nanos now) {
  // One change on a token is a change on both published books (the mirror at 1 - p).
  const MarketConfig* m = MarketOf(token);
  const std::string complement = Complement(token);
  polymarket::PriceChangeEvent change;
  change.market = m->condition_id;
  change.timestamp_ms = now / kNanosPerMilli;
  change.changes.push_back({token, Price(price), Size(PublishedSize(token, side, price)), side, "",
                            Price(BestBid(token).value_or(0)), Price(BestAsk(token).value_or(model::kPriceOne))});
  const int64_t mirrored = model::kPriceOne - price;
  change.changes.push_back({complement, Price(mirrored),
                            Size(PublishedSize(complement, model::Opposite(side), mirrored)), model::Opposite(side), "",
                            Price(BestBid(complement).value_or(0)),
                            Price(BestAsk(complement).value_or(model::kPriceOne))});
  events_.push_back(MarketEventOut{std::move(change)});
}

polymarket::UserOrderEvent Exchange::ToEvent(const Order& o, polymarket::OrderEventType type, Nanos now,
                                             const std::string& status) const {
  polymarket::UserOrderEvent e;
  e.type = type;
  e.id = o.spec.id.ToString();
  e.owner = o.spec.owner;
  e.order_owner = o.spec.owner;
  e.market = MarketOf(o.spec.token)->condition_id;
  e.asset_id = o.spec.token;
  e.side = o.spec.side;
  e.price = o.spec.price;
  e.original_size = o.spec.size;
  e.size_matched = o.matched;
  e.outcome = o.spec.token == MarketOf(o.spec.token)->yes_token ? "Yes" : "No";
  e.associate_trades = o.trades;
  e.order_type = o.spec.type == OrderType::kGtd   ? "GTD"
                 : o.spec.type == OrderType::kFok ? "FOK"
                 : o.spec.type == OrderType::kFak ? "FAK"
                                                  : "GTC";
  e.expiration_s = o.spec.expiration_s;
  e.created_at_ms = o.created / kNanosPerMilli;
  e.maker_address = o.spec.maker;
  e.status = status;
  e.timestamp_ms = now / kNanosPerMilli;
  return e;
}

void Exchange::EmitOrderEvent(const Order& order, polymarket::OrderEventType type, Nanos now,
                              const std::string& status) {
  events_.push_back(UserEventOut{{order.spec.owner}, ToEvent(order, type, now, status)});
}

std::string Exchange::NewTradeId() {
  Rng ids(config_.seed * 31 + next_trade_++);
  return MakeUuidV4(ids);
}

}  // namespace clobmaker::simexchange
