// Execution's order cache: every order this incarnation signed or adopted, its state and fill
// progress, each market's working set (the orders that may still be live) and the events that
// report every change. The one place an order's state changes is Transit: the state machine of
// order_state.h decides, an illegal input is counted and changes nothing.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "services/execution/core/types.h"

namespace clobmaker::execution {

struct Record {
  std::shared_ptr<const signing::SignedOrder> signed_order;
  OrderView view;
  FillProgress fill;
  int requests_in_flight = 0;  // posts, cancels and queries that carry this order
  bool post_in_flight = false;
  bool needs_send = false;  // signed and not yet (provably) processed: (re)send as is
  Nanos last_sent = 0;
  Nanos last_cancel_sent = 0;
  Nanos next_query = 0;
  int cancel_attempts = 0;
  bool query_in_flight = false;
  bool cancel_in_flight = false;
  bool cancel_queued = false;  // waiting for cancel tokens (not sent, not an attempt)
  Nanos delayed_until = 0;     // accepted as `delayed`: in a matching delay until then
  bool trades_in_flight = false;
  bool verify = false;                        // missing from a paged listing: a query by id tells whether it is open
  bool maybe_landed = false;                  // an earlier send was answered 429, which may come after processing
  Nanos terminal_at = 0;                      // when it became terminal (0: not terminal)
  uint32_t events = 0;                        // events emitted for it so far
  std::map<std::string, int64_t> trade_legs;  // trade id + leg -> matched micros
};

// "Not at the exchange" proves an order dead only when no post of it is in flight and its last
// send is older than `grace`: a request can land late.
inline bool AbsentProvable(const Record& r, Nanos as_of, Nanos grace) {
  return !r.post_in_flight && (r.last_sent == 0 || r.last_sent + grace <= as_of);
}
inline Nanos AbsentGrace(const OrderManagerConfig& config) {
  return config.mutation == Mutation::kAbsentWithoutGrace ? 0 : config.absent_grace;  // MUTATION
}

// A market's orders that may still be live, ordered by id (deterministic iteration). The
// pointers are stable (unordered_map nodes) and removed before their record is.
using WorkingSet = std::map<model::OrderId, Record*>;

class OrderBook {
 public:
  // `changed` is told the market of every order whose state or matched size changed.
  OrderBook(const OrderManagerConfig& config, Counters& counters, std::function<void(const std::string&)> changed);

  Record* Find(const model::OrderId& id);
  const Record* Find(const model::OrderId& id) const;
  bool Contains(const model::OrderId& id) const { return records_.contains(id); }
  // Takes a new order into the cache and its market's working set; nullptr if the id is known.
  Record* Insert(Record record);

  void Apply(Record& r, OrderInput input, Nanos now, std::string_view cause, std::string reason = {});
  // A report of the total matched size (monotonic; an overfill is counted).
  void ReportMatched(Record& r, model::Size total, Nanos now, std::string_view cause);
  void Emit(Record& r, OrderState previous, bool created, std::string_view cause);
  // An event for an order the cache does not hold (and will not: e.g. one a crashed incarnation
  // left open, closed at start-up): its first and only event in this incarnation.
  void EmitUntracked(OrderView view, OrderState previous, std::string_view cause);

  // The market's working set (empty if none).
  const WorkingSet& Working(const std::string& market) const;
  // Every market with a working set, in market order.
  const std::map<std::string, WorkingSet>& markets() const { return working_; }
  // Every record (terminal ones until they are collected), in the cache's own order.
  std::unordered_map<model::OrderId, Record>& records() { return records_; }
  const std::unordered_map<model::OrderId, Record>& records() const { return records_; }

  // Forgets terminal orders retained long enough; bounded work per call.
  void Collect(Nanos now);
  std::vector<OrderEvent> TakeEvents();

 private:
  void Transit(Record& r, OrderInput input, Nanos now, std::string_view cause, std::string reason, bool matched_rose);
  void Retire(Record& r, Nanos now);

  const OrderManagerConfig& config_;
  Counters& counters_;
  std::function<void(const std::string&)> changed_;
  std::unordered_map<model::OrderId, Record> records_;
  std::map<std::string, WorkingSet> working_;
  std::deque<std::pair<Nanos, model::OrderId>> graveyard_;  // terminal orders, in order of death
  std::vector<OrderEvent> events_;
};

}  // namespace clobmaker::execution
