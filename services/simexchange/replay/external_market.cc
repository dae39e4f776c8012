#include "services/simexchange/replay/external_market.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "common/polymarket/decode.h"

namespace clobmaker::simexchange::replay {
namespace {

namespace pm = clobmaker::polymarket;
using model::kPriceOne;

constexpr int64_t kUnbounded = int64_t{1} << 52;  // micros: far beyond any recorded volume
constexpr int64_t kSizeStep = 10'000;             // orders are sized in 0.01 shares

double Prob(int64_t units) { return static_cast<double>(units) / static_cast<double>(kPriceOne); }

}  // namespace

ExternalMarket::ExternalMarket(ExternalMarketConfig config) : config_(std::move(config)) {
  report_.mode = config_.mode;
  tape_taker_address_ = "0x" + std::string(38, '0') + "7a";
  tape_maker_address_ = "0x" + std::string(38, '0') + "7b";
}

ExternalMarket::~ExternalMarket() = default;

void ExternalMarket::Init(Exchange& exchange) {
  exchange.OpenAccount(tape_taker_address_, kTapeTakerKey);
  exchange.OpenAccount(tape_maker_address_, kTapeMakerKey);
  exchange.Credit(tape_taker_address_, kUnbounded);
  exchange.Credit(tape_maker_address_, kUnbounded);
}

void ExternalMarket::AddMarket(Exchange& exchange, const MarketConfig& market) {
  auto state = std::make_unique<MarketState>();
  state->config = market;
  state->queue = QueueModel(config_.queue);
  for (const std::string& token : {market.yes_token, market.no_token}) {
    token_market_[token] = market.condition_id;
    exchange.Credit(tape_taker_address_, 0, token, kUnbounded);
    exchange.Credit(tape_maker_address_, 0, token, kUnbounded);
  }
  report_.markets.push_back({market.condition_id, market.slug, market.yes_token, market.no_token});
  markets_[market.condition_id] = std::move(state);
}

void ExternalMarket::SetSpan(Nanos first_t, Nanos last_t) {
  report_.first_t = first_t;
  report_.last_t = last_t;
  for (auto& [id, m] : markets_) {
    if (m->next_sample == 0) m->next_sample = first_t;
  }
}

ExternalMarket::MarketState* ExternalMarket::StateOfToken(const Exchange&, const std::string& token) {
  auto it = token_market_.find(token);
  if (it == token_market_.end()) return nullptr;
  return markets_.at(it->second).get();
}

const ExternalMarket::MarketState* ExternalMarket::StateOfToken(const Exchange&, const std::string& token) const {
  auto it = token_market_.find(token);
  if (it == token_market_.end()) return nullptr;
  return markets_.at(it->second).get();
}

ExternalMarket::Canonical ExternalMarket::ToCanonical(const MarketConfig& m, const std::string& token, Side side,
                                                      int64_t price) {
  if (token == m.yes_token) return {side, price};
  return {model::Opposite(side), kPriceOne - price};  // a NO order is the YES order opposite, at 1 - p
}

// --- recorded input ----------------------------------------------------------------------------

void ExternalMarket::OnMarketFrame(Exchange& exchange, std::string_view frame, Nanos t, Nanos wall) {
  ++report_.counters.records;
  ++report_.counters.market_frames;
  ResolveDue(exchange, t);  // samples and markouts due before this frame see the book before it
  report_.position_t = std::max(report_.position_t, t);
  frame_.Clear();
  decoder_.Decode(frame, frame_);
  if (!frame_.errors.empty()) ++report_.counters.bad_frames;
  std::set<MarketState*> touched;
  for (const pm::MarketEvent& event : frame_.events) {
    if (const auto* book = std::get_if<pm::BookEvent>(&event)) {
      if (MarketState* m = StateOfToken(exchange, book->asset_id)) {
        ApplyBook(*m, *book, t);
        touched.insert(m);
      }
    } else if (const auto* change = std::get_if<pm::PriceChangeEvent>(&event)) {
      for (const pm::PriceChange& c : change->changes) {
        MarketState* m = StateOfToken(exchange, c.asset_id);
        if (m == nullptr) continue;
        // Both tokens' views of a level come in one event: setting the same canonical level
        // twice to the same size is harmless.
        const Canonical k = ToCanonical(m->config, c.asset_id, c.side, c.price.units());
        m->queue.SetLevel(k.side, k.price, c.size.micros(), t);
        touched.insert(m);
      }
    } else if (const auto* trade = std::get_if<pm::LastTradePriceEvent>(&event)) {
      const int64_t seq = trade_seq_++;
      ++report_.counters.recorded_trades;
      if (MarketState* m = StateOfToken(exchange, trade->asset_id)) {
        const Canonical k = ToCanonical(m->config, trade->asset_id, trade->side, trade->price.units());
        const std::string key = fmt::format("{}:{}:{}:{}:{}", m->config.condition_id, trade->timestamp_ms,
                                            static_cast<int>(k.side), k.price, trade->size.micros());
        if (std::find(recent_trades_.begin(), recent_trades_.end(), key) != recent_trades_.end() &&
            trade->asset_id == m->config.no_token) {
          ++report_.counters.duplicate_trades;  // the NO token's copy of a YES trade
          continue;
        }
        recent_trades_.push_back(key);
        if (recent_trades_.size() > 32) recent_trades_.pop_front();
        ApplyTrade(exchange, *m, *trade, seq, t, wall);
        // The recorded trade goes out as recorded (our fills from it are the core's, above).
        pm::LastTradePriceEvent published = *trade;
        published.timestamp_ms = wall / kNanosPerMilli;
        out_.push_back(MarketEventOut{std::move(published)});
        touched.insert(m);
      }
    } else if (const auto* tick = std::get_if<pm::TickSizeChangeEvent>(&event)) {
      MarketState* m = StateOfToken(exchange, tick->asset_id);
      const MarketConfig* current = exchange.MarketOf(tick->asset_id);
      if (m != nullptr && current != nullptr && !(current->tick == tick->new_tick)) {
        ++report_.counters.tick_changes;
        exchange.SetTickSize(tick->asset_id, tick->new_tick, wall);  // both tokens; published by the core
        m->config.tick = tick->new_tick;
      }
    } else if (const auto* resolved = std::get_if<pm::MarketResolvedEvent>(&event)) {
      if (auto it = markets_.find(resolved->market); it != markets_.end()) {
        const int winner = resolved->winning_asset_id == it->second->config.yes_token ? 0 : 1;
        exchange.Resolve(resolved->market, winner, wall);
      }
    }
    // best_bid_ask and new_market carry nothing the book does not.
  }
  for (MarketState* m : touched) CheckCrossed(exchange, *m);
  DrainCore(exchange, true);
}

void ExternalMarket::ApplyBook(MarketState& m, const pm::BookEvent& book, Nanos t) {
  // A snapshot: the recorded levels are these, every other level is gone.
  std::map<std::pair<int, int64_t>, int64_t> next;
  for (const pm::Level& l : book.bids) {
    const Canonical k = ToCanonical(m.config, book.asset_id, Side::kBuy, l.price.units());
    next[{static_cast<int>(k.side), k.price}] = l.size.micros();
  }
  for (const pm::Level& l : book.asks) {
    const Canonical k = ToCanonical(m.config, book.asset_id, Side::kSell, l.price.units());
    next[{static_cast<int>(k.side), k.price}] = l.size.micros();
  }
  for (Side side : {Side::kBuy, Side::kSell}) {
    for (const auto& [price, size] : m.queue.Levels(side)) {
      if (!next.contains({static_cast<int>(side), price})) m.queue.SetLevel(side, price, 0, t);
    }
  }
  for (const auto& [key, size] : next) m.queue.SetLevel(static_cast<Side>(key.first), key.second, size, t);
}

void ExternalMarket::ApplyTrade(Exchange& exchange, MarketState& m, const pm::LastTradePriceEvent& trade, int64_t seq,
                                Nanos t, Nanos wall) {
  SyncOrders(exchange);
  const Canonical k = ToCanonical(m.config, trade.asset_id, trade.side, trade.price.units());
  const std::vector<QueueFill> fills = m.queue.OnTrade(k.side, k.price, trade.size.micros(), t);
  int64_t total = 0;
  for (const QueueFill& f : fills) total += f.size;
  total -= total % kSizeStep;  // only the last order reached can be partly filled: round it down
  if (total <= 0) return;
  ++report_.counters.trades_reaching_us;
  DrainCore(exchange, true);  // what happened before goes out as before
  std::map<std::string, int64_t> matched_before;
  for (const QueueFill& f : fills) {
    if (const Order* o = exchange.Find(f.id)) matched_before[f.id] = o->matched.micros();
  }
  const PlaceResult r = exchange.Place({.id = NextTapeId(),
                                        .owner = kTapeTakerKey,
                                        .maker = tape_taker_address_,
                                        .token = m.config.yes_token,
                                        .side = k.side,
                                        .price = model::Price(k.price),
                                        .size = model::Size(total),
                                        .type = OrderType::kFak,
                                        .version = exchange.config().order_version},
                                       wall);
  if (!r.success) ++report_.counters.fills_refused;
  DrainCore(exchange, false);  // our fills' user events go out; the FAK's book and trade events do not
  for (const auto& [id, before] : matched_before) {
    const Order* o = exchange.Find(id);
    if (o == nullptr || o->matched.micros() <= before) continue;
    RecordFill({.t = t,
                .wall_ms = wall / kNanosPerMilli,
                .market = m.config.condition_id,
                .token = o->spec.token,
                .order_id = id,
                .owner = o->spec.owner,
                .side = o->spec.side,
                .price = o->spec.price.units(),
                .size = o->matched.micros() - before,
                .taker = false,
                .trade_seq = seq},
               m);
  }
  SyncOrders(exchange);
}

void ExternalMarket::OnReferenceFrame(std::string_view frame, Nanos t, Nanos wall) {
  ++report_.counters.records;
  ++report_.counters.reference_frames;
  report_.position_t = std::max(report_.position_t, t);
  auto ticks = pm::ParseReferenceFrame(frame);
  if (!ticks.ok()) {
    ++report_.counters.bad_frames;
    return;
  }
  for (const pm::ReferenceTick& tick : *ticks) reference_[tick.symbol] = static_cast<double>(tick.price_nanos) / 1e9;
  const std::string_view trimmed = frame.substr(std::min(frame.find_first_not_of(" \t\r\n"), frame.size()));
  reference_restampable_ = !trimmed.empty() && trimmed.front() == '[' && !ticks->empty();
  if (reference_restampable_) {
    // The simulator's shape: re-stamped with our clock, or consumers would find it stale.
    std::string out = "[";
    for (size_t i = 0; i < ticks->size(); ++i) {
      const pm::ReferenceTick& tick = (*ticks)[i];
      out += fmt::format(R"({}{{"symbol":"{}","price":"{:.9f}","timestamp":{}}})", i ? "," : "", tick.symbol,
                         static_cast<double>(tick.price_nanos) / 1e9, wall / kNanosPerMilli);
    }
    reference_out_.push_back(out + "]");
  } else {
    reference_out_.emplace_back(frame);
  }
}

std::vector<std::string> ExternalMarket::TakeReferenceFrames(Nanos wall) {
  std::vector<std::string> out;
  out.swap(reference_out_);
  if (out.empty() && reference_restampable_ && wall - reference_sent_ >= 200 * kNanosPerMilli) {
    std::string frame = "[";
    for (const auto& [symbol, price] : reference_) {
      frame += fmt::format(R"({}{{"symbol":"{}","price":"{:.9f}","timestamp":{}}})", frame.size() > 1 ? "," : "",
                           symbol, price, wall / kNanosPerMilli);
    }
    out.push_back(frame + "]");
  }
  if (!out.empty()) reference_sent_ = wall;
  return out;
}

std::optional<double> ExternalMarket::FairValue(const std::string& condition_id) const {
  auto it = markets_.find(condition_id);
  if (it == markets_.end()) return std::nullopt;
  if (auto r = reference_.find(it->second->config.slug); r != reference_.end()) return r->second;
  return YesMid(*it->second);
}

void ExternalMarket::Advance(Exchange& exchange, Nanos t, Nanos wall) {
  ResolveDue(exchange, t);
  report_.position_t = std::max(report_.position_t, t);
  for (auto& [id, m] : markets_) m->queue.Advance(t);
  (void)wall;
}

// --- our orders ----------------------------------------------------------------------------------

void ExternalMarket::BeforePlace(Exchange& exchange, const NewOrder& order, Nanos wall) {
  materialized_ = false;
  if (IsTape(order.owner)) return;
  MarketState* m = StateOfToken(exchange, order.token);
  if (m == nullptr) return;
  const Canonical k = ToCanonical(m->config, order.token, order.side, order.price.units());
  const Side tape_side = model::Opposite(k.side);
  std::vector<std::pair<int64_t, int64_t>> levels = m->queue.Levels(tape_side);
  if (tape_side == Side::kBuy) std::reverse(levels.begin(), levels.end());  // best bid first
  int64_t covered = 0;
  for (const auto& [price, size] : levels) {
    const bool crosses = k.side == Side::kBuy ? price <= k.price : price >= k.price;
    if (!crosses || covered >= order.size.micros()) break;
    // The exchange's minimum size applies to the tape's orders too (a smaller recorded level
    // is offered at the minimum).
    const int64_t offered = std::max(size - size % kSizeStep, m->config.min_order_size.micros());
    const PlaceResult r = exchange.Place({.id = NextTapeId(),
                                          .owner = kTapeMakerKey,
                                          .maker = tape_maker_address_,
                                          .token = m->config.yes_token,
                                          .side = tape_side,
                                          .price = model::Price(price),
                                          .size = model::Size(offered),
                                          .type = OrderType::kGtc,
                                          .post_only = true,
                                          .version = exchange.config().order_version},
                                         wall);
    // Refused when it would cross one of our resting orders (a cross-through moment) or is off
    // the current grid: that level is not offered.
    if (r.success) materialized_ = true;
    covered += size;
  }
}

void ExternalMarket::AfterPlace(Exchange& exchange, const NewOrder& order, const PlaceResult& result, Nanos wall) {
  if (IsTape(order.owner)) return;
  if (materialized_) {
    exchange.CancelAll(kTapeMakerKey, wall);
    materialized_ = false;
  }
  MarketState* m = StateOfToken(exchange, order.token);
  if (m == nullptr || !result.success) {
    SyncOrders(exchange);
    return;
  }
  if (!result.trade_ids.empty()) {
    const std::set<std::string> ids(result.trade_ids.begin(), result.trade_ids.end());
    for (const pm::UserTradeEvent& trade : exchange.Trades(order.owner)) {
      if (!ids.contains(trade.id) || trade.taker_order_id != order.id.ToString()) continue;
      RecordFill({.t = report_.position_t,
                  .wall_ms = wall / kNanosPerMilli,
                  .market = m->config.condition_id,
                  .token = order.token,
                  .order_id = order.id.ToString(),
                  .owner = order.owner,
                  .side = order.side,
                  .price = trade.price.units(),
                  .size = trade.size.micros(),
                  .taker = true,
                  .trade_seq = -1},
                 *m);
    }
  }
  SyncOrders(exchange);
}

void ExternalMarket::SyncOrders(Exchange& exchange) {
  std::map<std::string, std::vector<const Order*>> live;  // market -> our live orders
  for (const Order* o : exchange.OpenOrders("")) {
    if (IsTape(o->spec.owner)) continue;
    auto it = token_market_.find(o->spec.token);
    if (it != token_market_.end()) live[it->second].push_back(o);
  }
  for (auto& [condition, m] : markets_) {
    std::set<std::string> present;
    std::vector<const Order*>& orders = live[condition];
    std::sort(orders.begin(), orders.end(), [](const Order* a, const Order* b) { return a->sequence < b->sequence; });
    for (const Order* o : orders) {
      const std::string id = o->spec.id.ToString();
      present.insert(id);
      const QueuedOrder* q = m->queue.Find(id);
      if (q == nullptr) {
        const Canonical k = ToCanonical(m->config, o->spec.token, o->spec.side, o->spec.price.units());
        m->queue.Join(id, k.side, k.price, o->remaining().micros(), o->sequence);
      } else if (q->remaining != o->remaining().micros()) {
        m->queue.SetRemaining(id, o->remaining().micros());
      }
    }
    for (const QueuedOrder& q : m->queue.Orders()) {
      if (!present.contains(q.id)) m->queue.Leave(q.id);
    }
  }
}

bool ExternalMarket::Publishes(const Event& event) {
  const auto* market = std::get_if<MarketEventOut>(&event);
  return market == nullptr || !std::holds_alternative<pm::PriceChangeEvent>(market->event);
}

void ExternalMarket::DrainCore(Exchange& exchange, bool publish_market_events) {
  for (Event& e : exchange.TakeEvents()) {
    if (std::holds_alternative<MarketEventOut>(e) && (!publish_market_events || !Publishes(e))) continue;
    out_.push_back(std::move(e));
  }
}

// --- the published book --------------------------------------------------------------------------

ExternalMarket::Merged ExternalMarket::MergedBook(const Exchange& exchange, const MarketState& m) const {
  Merged merged;
  const pm::BookEvent core = exchange.Book(m.config.yes_token, 0);
  for (const pm::Level& l : core.bids) merged.bids[l.price.units()] += l.size.micros();
  for (const pm::Level& l : core.asks) merged.asks[l.price.units()] += l.size.micros();
  const std::optional<int64_t> core_bid =
      core.bids.empty() ? std::nullopt : std::optional(core.bids.front().price.units());
  const std::optional<int64_t> core_ask =
      core.asks.empty() ? std::nullopt : std::optional(core.asks.front().price.units());
  for (const auto& [price, size] : m.queue.Levels(Side::kBuy)) {
    if (core_ask && price >= *core_ask) continue;  // at or through one of our asks: hidden
    merged.bids[price] += size;
  }
  for (const auto& [price, size] : m.queue.Levels(Side::kSell)) {
    if (core_bid && price <= *core_bid) continue;
    merged.asks[price] += size;
  }
  return merged;
}

void ExternalMarket::CheckCrossed(Exchange& exchange, MarketState& m) {
  const pm::BookEvent core = exchange.Book(m.config.yes_token, 0);
  int64_t crossing = 0;
  if (!core.bids.empty()) {
    for (const auto& [price, size] : m.queue.Levels(Side::kSell)) {
      if (price <= core.bids.front().price.units()) crossing += size;
    }
  }
  if (!core.asks.empty()) {
    for (const auto& [price, size] : m.queue.Levels(Side::kBuy)) {
      if (price >= core.asks.front().price.units()) crossing += size;
    }
  }
  if (crossing > 0 && !m.crossed) {
    ++report_.counters.cross_through_events;
    report_.counters.cross_through_micros += crossing;
  }
  m.crossed = crossing > 0;
}

polymarket::BookEvent ExternalMarket::Book(const Exchange& exchange, const std::string& token, Nanos wall) const {
  pm::BookEvent out = exchange.Book(token, wall);
  const MarketState* m = StateOfToken(exchange, token);
  if (m == nullptr) return out;
  const Merged merged = MergedBook(exchange, *m);
  out.bids.clear();
  out.asks.clear();
  if (token == m->config.yes_token) {
    for (const auto& [p, s] : merged.bids) out.bids.push_back({model::Price(p), model::Size(s)});
    for (const auto& [p, s] : merged.asks) out.asks.push_back({model::Price(p), model::Size(s)});
  } else {
    for (const auto& [p, s] : merged.asks) out.bids.push_back({model::Price(kPriceOne - p), model::Size(s)});
    for (const auto& [p, s] : merged.bids) out.asks.push_back({model::Price(kPriceOne - p), model::Size(s)});
  }
  return out;
}

std::vector<Event> ExternalMarket::TakeEvents(Exchange& exchange, Nanos wall) {
  DrainCore(exchange, true);
  SyncOrders(exchange);
  for (auto& [condition, m] : markets_) {
    const Merged merged = MergedBook(exchange, *m);
    // The changes, applied one by one to what was published, each with the best prices after it.
    struct Change {
      Side side;
      int64_t price;
      int64_t size;
    };
    std::vector<Change> changes;
    for (const auto& [p, s] : m->published_bids) {
      if (!merged.bids.contains(p)) changes.push_back({Side::kBuy, p, 0});
    }
    for (const auto& [p, s] : merged.bids) {
      auto it = m->published_bids.find(p);
      if (it == m->published_bids.end() || it->second != s) changes.push_back({Side::kBuy, p, s});
    }
    for (const auto& [p, s] : m->published_asks) {
      if (!merged.asks.contains(p)) changes.push_back({Side::kSell, p, 0});
    }
    for (const auto& [p, s] : merged.asks) {
      auto it = m->published_asks.find(p);
      if (it == m->published_asks.end() || it->second != s) changes.push_back({Side::kSell, p, s});
    }
    if (changes.empty()) continue;
    // Removals first, so that the book is never crossed in between.
    std::stable_sort(changes.begin(), changes.end(),
                     [](const Change& a, const Change& b) { return (a.size == 0) > (b.size == 0); });
    pm::PriceChangeEvent event;
    event.market = condition;
    event.timestamp_ms = wall / kNanosPerMilli;
    for (const Change& c : changes) {
      if (c.side == Side::kBuy) {
        if (c.size == 0)
          m->published_bids.erase(c.price);
        else
          m->published_bids[c.price] = c.size;
      } else {
        if (c.size == 0)
          m->published_asks.erase(c.price);
        else
          m->published_asks[c.price] = c.size;
      }
      const int64_t bid = m->published_bids.empty() ? 0 : m->published_bids.begin()->first;
      const int64_t ask = m->published_asks.empty() ? kPriceOne : m->published_asks.begin()->first;
      const int64_t no_bid = m->published_asks.empty() ? 0 : kPriceOne - m->published_asks.begin()->first;
      const int64_t no_ask = m->published_bids.empty() ? kPriceOne : kPriceOne - m->published_bids.begin()->first;
      event.changes.push_back({m->config.yes_token, model::Price(c.price), model::Size(c.size), c.side, "",
                               model::Price(bid), model::Price(ask)});
      event.changes.push_back({m->config.no_token, model::Price(kPriceOne - c.price), model::Size(c.size),
                               model::Opposite(c.side), "", model::Price(no_bid), model::Price(no_ask)});
    }
    out_.push_back(MarketEventOut{std::move(event)});
  }
  std::vector<Event> out;
  out.swap(out_);
  return out;
}

// --- the report ----------------------------------------------------------------------------------

std::optional<double> ExternalMarket::YesMid(const MarketState& m) const {
  const auto bids = m.queue.Levels(Side::kBuy);
  const auto asks = m.queue.Levels(Side::kSell);
  if (bids.empty() || asks.empty()) return std::nullopt;
  return Prob(bids.back().first + asks.front().first) / 2;
}

void ExternalMarket::RecordFill(FillRecord fill, const MarketState& m) {
  const auto yes_mid = YesMid(m);
  if (yes_mid) fill.mid = fill.token == m.config.yes_token ? *yes_mid : 1 - *yes_mid;
  const size_t index = report_.fills.size();
  for (size_t h = 0; h < kMarkoutHorizons.size(); ++h) markouts_.push_back({index, h, fill.t + kMarkoutHorizons[h]});
  std::stable_sort(markouts_.begin(), markouts_.end(),
                   [](const PendingMarkout& a, const PendingMarkout& b) { return a.due < b.due; });
  report_.fills.push_back(std::move(fill));
}

void ExternalMarket::ResolveDue(Exchange& exchange, Nanos t) {
  while (!markouts_.empty() && markouts_.front().due <= t) {
    const PendingMarkout p = markouts_.front();
    markouts_.pop_front();
    FillRecord& f = report_.fills[p.fill];
    const MarketState* m = StateOfToken(exchange, f.token);
    if (m == nullptr) continue;
    if (auto mid = YesMid(*m)) f.mid_after[p.horizon] = f.token == m->config.yes_token ? *mid : 1 - *mid;
  }
  if (report_.first_t == 0) return;
  for (auto& [condition, m] : markets_) {
    while (m->next_sample > 0 && m->next_sample <= t) {
      TakeSample(exchange, *m, m->next_sample);
      m->next_sample += config_.sample_every;
    }
  }
}

void ExternalMarket::TakeSample(Exchange& exchange, MarketState& m, Nanos at) {
  SyncOrders(exchange);
  Sample s;
  s.t = at;
  s.market = m.config.condition_id;
  const auto bids = m.queue.Levels(Side::kBuy);
  const auto asks = m.queue.Levels(Side::kSell);
  if (!bids.empty()) s.bid = Prob(bids.back().first);
  if (!asks.empty()) s.ask = Prob(asks.front().first);
  if (auto r = reference_.find(m.config.slug); r != reference_.end()) s.fair = r->second;
  std::optional<int64_t> our_bid, our_ask;
  for (const QueuedOrder& o : m.queue.Orders()) {
    if (o.side == Side::kBuy && (!our_bid || o.price > *our_bid)) our_bid = o.price;
    if (o.side == Side::kSell && (!our_ask || o.price < *our_ask)) our_ask = o.price;
  }
  for (const QueuedOrder& o : m.queue.Orders()) {
    if (o.side == Side::kBuy && our_bid && o.price == *our_bid) s.our_bid_size += o.remaining;
    if (o.side == Side::kSell && our_ask && o.price == *our_ask) s.our_ask_size += o.remaining;
  }
  if (our_bid) s.our_bid = Prob(*our_bid);
  if (our_ask) s.our_ask = Prob(*our_ask);
  // The liquidity-reward score (Polymarket's S(v, s) = ((v - s) / v)^2 per unit of size, v the
  // max spread, s the distance from the mid), ours against the recorded book's.
  const auto mid = YesMid(m);
  const double band = Prob(m.config.rewards_max_spread.units());
  if (mid && band > 0) {
    auto score = [&](int64_t price, int64_t size) {
      const double distance = std::abs(Prob(price) - *mid);
      if (distance > band) return 0.0;
      const double w = (band - distance) / band;
      return w * w * static_cast<double>(size);
    };
    double ours = 0, theirs = 0;
    for (const QueuedOrder& o : m.queue.Orders()) {
      if (o.remaining >= m.config.rewards_min_size.micros()) ours += score(o.price, o.remaining);
    }
    for (Side side : {Side::kBuy, Side::kSell}) {
      for (const auto& [price, size] : m.queue.Levels(side)) theirs += score(price, size);
    }
    s.score_share = ours + theirs > 0 ? ours / (ours + theirs) : 0;
  }
  report_.samples.push_back(std::move(s));
}

ReplayReport ExternalMarket::Report() const {
  ReplayReport r = report_;
  for (const auto& [condition, m] : markets_) {
    r.counters.explained_decreases += m->queue.counters().explained_decreases;
    r.counters.cancels += m->queue.counters().cancels;
  }
  return r;
}

model::OrderId ExternalMarket::NextTapeId() {
  std::array<uint8_t, 32> b{};
  b[0] = 0x7a;
  b[1] = 0xbe;
  const uint64_t n = next_tape_id_++;
  for (int i = 0; i < 8; ++i) {
    b[31 - i] = static_cast<uint8_t>(n >> (8 * i));
    b[23 - i] = static_cast<uint8_t>(config_.seed >> (8 * i));
  }
  return model::OrderId(b);
}

}  // namespace clobmaker::simexchange::replay
