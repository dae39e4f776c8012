#include "services/strategy/core/strategy_core.h"

#include <algorithm>

#include "clobmaker/marketdata/v1/marketdata.pb.h"
#include "clobmaker/orders/v1/orders.pb.h"
#include "clobmaker/positions/v1/positions.pb.h"
#include "clobmaker/strategy/v1/strategy.pb.h"
#include "common/bus/convert.h"
#include "common/bus/subjects.h"

namespace clobmaker::strategy {

StrategyCore::StrategyCore(StrategyConfig config, bus::HeaderStamper& stamper, Nanos sequence_base)
    : config_(std::move(config)), stamper_(stamper), sequence_base_(sequence_base) {
  for (const MarketConfig& mc : config_.markets) {
    auto m = std::make_unique<MarketState>();
    m->spec = mc.spec;
    m->params = mc.params;
    markets_.push_back(std::move(m));
  }
}

const MarketState* StrategyCore::Find(const std::string& condition_id) const {
  auto it = by_condition_.find(condition_id);
  return it == by_condition_.end() ? nullptr : it->second;
}

MarketState* StrategyCore::ByToken(const std::string& token, bool* is_yes) {
  auto it = by_token_.find(token);
  if (it == by_token_.end()) return nullptr;
  *is_yes = it->second.second;
  return it->second.first;
}

void StrategyCore::OnMarketInfo(const marketdata::v1::MarketInfo& info, Nanos now) {
  counters_.market_infos++;
  const auto& ref = info.market();
  if (ref.condition_id().empty() || ref.yes_token_id().empty() || ref.no_token_id().empty()) {
    counters_.bad_messages++;
    return;
  }
  MarketState* m = nullptr;
  if (auto it = by_condition_.find(ref.condition_id()); it != by_condition_.end()) {
    m = it->second;
  } else {
    for (const auto& candidate : markets_) {
      if (candidate->resolved) continue;
      const std::string& s = candidate->spec;
      if (s == ref.condition_id() || s == ref.slug() || s == ref.yes_token_id() || s == ref.no_token_id()) {
        m = candidate.get();
        break;
      }
    }
    if (m == nullptr && config_.all_markets) {
      markets_.push_back(std::make_unique<MarketState>());
      m = markets_.back().get();
      m->spec = ref.condition_id();
      m->params = config_.defaults;
    }
    if (m == nullptr) {
      counters_.unknown_markets++;
      return;
    }
  }
  m->resolved = true;
  m->slug = ref.slug();
  m->facts.condition_id = ref.condition_id();
  m->facts.yes_token = ref.yes_token_id();
  m->facts.no_token = ref.no_token_id();
  m->facts.end_time_ms = info.end_time_ms();
  m->facts.min_order_size_micros = info.min_order_size_micros();
  m->facts.rewards_min_size_micros = info.rewards_min_size_micros();
  m->facts.rewards_max_spread_units = info.rewards_max_spread_units();
  m->facts.neg_risk = info.neg_risk();
  by_condition_[ref.condition_id()] = m;
  by_token_[ref.yes_token_id()] = {m, true};
  by_token_[ref.no_token_id()] = {m, false};
  Requote(*m, now, now, 0);
}

void StrategyCore::OnBook(const marketdata::v1::Book& book, Nanos now) {
  counters_.books++;
  bool is_yes = false;
  MarketState* m = ByToken(book.token_id(), &is_yes);
  if (m == nullptr || !is_yes) return;  // the YES book carries the NO orders mirrored
  BookFacts f;
  f.tick_units = book.tick_units();
  if (book.bids_size() > 0) f.best_bid = book.bids(0).price_units();
  if (book.asks_size() > 0) f.best_ask = book.asks(0).price_units();
  f.resyncing = book.resyncing();
  f.published_ns = now;  // our receipt: staleness on our clock (marketdata republishes every second)
  m->yes_book = f;
  m->book_epoch = book.epoch();
  m->book_sequence = book.book_sequence();
  Requote(*m, now, book.header().receive_ts_ns() != 0 ? book.header().receive_ts_ns() : now,
          book.header().exchange_ts_ns());
}

void StrategyCore::OnReference(const marketdata::v1::ReferencePrice& ref, Nanos now) {
  counters_.references++;
  for (const auto& m : markets_) {
    if (!m->resolved) continue;
    const std::string& symbol = m->params.reference_symbol.empty() ? m->slug : m->params.reference_symbol;
    if (symbol != ref.symbol()) continue;
    m->reference = ReferenceFacts{.price_nanos = ref.price_nanos(), .received_ns = now};
    m->reference_sequence = ref.header().sequence();
    if (m->params.fair_value_source == "reference") {
      Requote(*m, now, ref.header().receive_ts_ns() != 0 ? ref.header().receive_ts_ns() : now,
              ref.header().exchange_ts_ns());
    }
  }
}

void StrategyCore::OnPosition(const positions::v1::Position& position, Nanos now) {
  counters_.positions++;
  bool is_yes = false;
  MarketState* m = ByToken(position.token_id(), &is_yes);
  if (m == nullptr) return;
  PositionFacts f{.provisional_micros = position.provisional_micros(), .settled_micros = position.settled_micros()};
  (is_yes ? m->yes_position : m->no_position) = f;
  Requote(*m, now, now, 0);
}

void StrategyCore::OnExecutionStatus(const orders::v1::ExecutionStatus& status, Nanos now) {
  counters_.execution_statuses++;
  ExecutionFacts f;
  f.ready = status.service().ready();
  f.killed = status.killed();
  f.halted = status.halted();
  f.published_ns = now;
  const bool changed =
      !execution_ || execution_->ready != f.ready || execution_->killed != f.killed || execution_->halted != f.halted ||
      !std::equal(paused_.begin(), paused_.end(), status.paused_markets().begin(), status.paused_markets().end());
  execution_ = f;
  paused_.assign(status.paused_markets().begin(), status.paused_markets().end());
  if (changed) {
    for (const auto& m : markets_) {
      if (m->resolved) Requote(*m, now, now, 0);
    }
  }
}

void StrategyCore::OnTimer(Nanos now) {
  for (const auto& m : markets_) {
    if (m->resolved) Requote(*m, now, now, 0);
  }
}

absl::StatusOr<QuoteParams> StrategyCore::SetParams(const std::string& condition_id,
                                                    const std::map<std::string, std::string>& changes, Nanos now) {
  auto it = by_condition_.find(condition_id);
  if (it == by_condition_.end()) return absl::NotFoundError("unknown market " + condition_id);
  auto updated = QuoteParams::WithChanges(it->second->params, changes);
  if (!updated.ok()) return updated.status();
  it->second->params = *updated;
  Requote(*it->second, now, now, 0);
  return *updated;
}

void StrategyCore::Requote(MarketState& m, Nanos now, Nanos source_ns, Nanos exchange_ns) {
  QuoteInputs in;
  in.now = now;
  in.market = m.facts;
  in.yes_book = m.yes_book;
  in.reference = m.reference;
  in.yes_position = m.yes_position;
  in.no_position = m.no_position;
  in.execution = execution_;
  if (in.execution) {
    in.execution->paused = std::find(paused_.begin(), paused_.end(), m.facts.condition_id) != paused_.end();
  }
  Quote q = ComputeQuote(in, m.params);
  const bool changed = !m.published_once || q.orders != m.last_quote.orders || q.gates != m.last_quote.gates ||
                       q.tick_units != m.last_quote.tick_units;
  const bool keepalive = now - m.last_publish >= m.params.validity_ms * kNanosPerMilli / 3;
  m.last_quote = std::move(q);
  if (!changed && !keepalive) return;
  if (!changed) counters_.keepalives++;
  const Quote& quote = m.last_quote;
  v1::DesiredLadder ladder;
  stamper_.Stamp(ladder.mutable_header(), exchange_ns, now, 0);
  ladder.set_condition_id(m.facts.condition_id);
  ladder.set_ladder_sequence(static_cast<uint64_t>(sequence_base_) + ++m.ladder_sequence);
  ladder.set_tick_units(quote.tick_units != 0 ? quote.tick_units : (m.yes_book ? m.yes_book->tick_units : 100));
  ladder.set_book_epoch(m.book_epoch);
  ladder.set_book_sequence(m.book_sequence);
  ladder.set_reference_sequence(m.reference_sequence);
  ladder.set_valid_until_ns(now + m.params.validity_ms * kNanosPerMilli);
  ladder.set_source_event_ts_ns(source_ns);
  ladder.set_neg_risk(m.facts.neg_risk);
  for (const QuoteOrder& o : quote.orders) {
    v1::DesiredOrder* d = ladder.add_orders();
    d->set_token_id(o.token);
    d->set_side(bus::ToProto(o.side));
    d->set_level(o.level);
    d->set_price_units(o.price_units);
    d->set_size_micros(o.size_micros);
  }
  for (const std::string& g : quote.gates) ladder.add_gates_closed(g);
  if (!quote.gates.empty()) counters_.gated_ladders++;
  counters_.ladders++;
  m.ladders_published++;
  m.last_publish = now;
  m.published_once = true;
  out_.emplace_back(bus::DesiredSubject(m.facts.condition_id), std::move(ladder));
}

void StrategyCore::TakePublications(Nanos publish_ns, std::vector<Publication>& out) {
  for (auto& [subject, ladder] : out_) {
    ladder.mutable_header()->set_publish_ts_ns(publish_ns);
    out.push_back({std::move(subject), ladder.SerializeAsString(), ladder.header().receive_ts_ns()});
  }
  out_.clear();
}

}  // namespace clobmaker::strategy
