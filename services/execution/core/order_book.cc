#include "services/execution/core/order_book.h"

#include <utility>

namespace clobmaker::execution {

OrderBook::OrderBook(const OrderManagerConfig& config, Counters& counters,
                     std::function<void(const std::string&)> changed)
    : config_(config), counters_(counters), changed_(std::move(changed)) {}

Record* OrderBook::Find(const model::OrderId& id) {
  auto it = records_.find(id);
  return it == records_.end() ? nullptr : &it->second;
}

const Record* OrderBook::Find(const model::OrderId& id) const {
  auto it = records_.find(id);
  return it == records_.end() ? nullptr : &it->second;
}

Record* OrderBook::Insert(Record record) {
  const model::OrderId id = record.view.id;
  auto [slot, inserted] = records_.emplace(id, std::move(record));
  if (!inserted) return nullptr;
  working_[slot->second.view.market].emplace(id, &slot->second);
  return &slot->second;
}

const WorkingSet& OrderBook::Working(const std::string& market) const {
  static const WorkingSet kNone;
  auto it = working_.find(market);
  return it == working_.end() ? kNone : it->second;
}

void OrderBook::Emit(Record& r, OrderState previous, bool created, std::string_view cause) {
  events_.push_back(
      {.order = r.view, .previous = previous, .created = created, .cause = std::string(cause), .sequence = ++r.events});
}

void OrderBook::Apply(Record& r, OrderInput input, Nanos now, std::string_view cause, std::string reason) {
  Transit(r, input, now, cause, std::move(reason), /*matched_rose=*/false);
}

void OrderBook::ReportMatched(Record& r, model::Size total, Nanos now, std::string_view cause) {
  bool overfill = false;
  const bool rose = r.fill.Report(total, &overfill);
  if (overfill) counters_.overfills++;
  if (config_.mutation == Mutation::kMatchedLatestWins && total.micros() >= 0) {
    // MUTATION: the last report wins, even a lower (older) one.
    const model::Size latest = total > r.fill.original ? r.fill.original : total;
    if (latest == r.view.matched) return;
    r.fill.matched = latest;
    r.view.matched = latest;
    Transit(r, r.fill.complete() ? OrderInput::kFullFill : OrderInput::kPartialFill, now, cause, {}, true);
    return;
  }
  if (!rose) return;
  r.view.matched = r.fill.matched;
  Transit(r, r.fill.complete() ? OrderInput::kFullFill : OrderInput::kPartialFill, now, cause, {},
          /*matched_rose=*/true);
}

// The one place an order's state changes: the transition table decides; an illegal input is
// counted and changes nothing. An event goes out when the state changed or the matched size rose.
void OrderBook::Transit(Record& r, OrderInput input, Nanos now, std::string_view cause, std::string reason,
                        bool matched_rose) {
  std::optional<OrderState> next = NextState(r.view.state, input);
  if (config_.mutation == Mutation::kTerminalRevived && IsTerminal(r.view.state) &&
      input == OrderInput::kPlacementSeen) {
    next = OrderState::kLive;  // MUTATION: a late placement revives a terminal order
  }
  if (!next) {
    counters_.illegal_transitions++;  // e.g. a fill for a REJECTED order: the size is kept, the state not
    std::string key(OrderStateName(r.view.state));
    key += '+';
    key += OrderInputName(input);
    counters_.illegal_by_transition[key]++;
    return;
  }
  const OrderState previous = r.view.state;
  if (*next == previous && !matched_rose) return;
  r.view.state = *next;
  r.view.updated = now;
  if (!reason.empty()) r.view.reason = std::move(reason);
  if (*next == OrderState::kUnknown && previous != OrderState::kUnknown) r.next_query = now + config_.query_after;
  if (IsTerminal(*next) && !IsTerminal(previous)) Retire(r, now);
  Emit(r, previous, false, cause);
  changed_(r.view.market);
}

void OrderBook::Retire(Record& r, Nanos now) {
  // Terminal for good: out of the market's working set (kept in the cache for late reports until
  // Collect), so diffs never scan the dead.
  r.needs_send = false;
  r.terminal_at = now;
  auto m = working_.find(r.view.market);
  if (m != working_.end()) m->second.erase(r.view.id);
  graveyard_.emplace_back(now, r.view.id);
}

void OrderBook::Collect(Nanos now) {
  // Incremental, oldest first, bounded per step: no pause on the hot path however many died.
  for (int budget = 256; budget > 0 && !graveyard_.empty(); --budget) {
    const auto& [retired, id] = graveyard_.front();
    if (retired + config_.retain_terminal >= now) break;
    auto it = records_.find(id);
    if (it != records_.end() && it->second.requests_in_flight > 0) {
      graveyard_.emplace_back(now, id);  // an answer is still due: keep it a while longer
    } else if (it != records_.end()) {
      records_.erase(it);
    }
    graveyard_.pop_front();
  }
}

std::vector<OrderEvent> OrderBook::TakeEvents() {
  std::vector<OrderEvent> out = std::exchange(events_, {});
  events_.reserve(64);  // a ladder update emits one per order: no growth on the hot path
  return out;
}

}  // namespace clobmaker::execution
