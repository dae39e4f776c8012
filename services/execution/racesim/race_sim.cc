#include "services/execution/racesim/race_sim.h"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <variant>

#include "common/core/rng.h"
#include "services/execution/core/order_manager.h"
#include "services/simexchange/core/exchange.h"

namespace clobmaker::execution::racesim {
namespace {

using model::Price;
using model::Side;
using model::Size;
namespace sim = simexchange;

constexpr Nanos kMs = kNanosPerMilli;
constexpr Nanos kSec = kNanosPerSecond;
constexpr char kOurKey[] = "racesim-our-key";
constexpr char kOurAddress[] = "0x00000000000000000000000000000000000000a1";
constexpr char kTakerKey[] = "racesim-taker-key";
constexpr char kTakerAddress[] = "0x00000000000000000000000000000000000000b2";
constexpr char kMarket[] = "0xc0ffee";
constexpr char kYes[] = "1001";
constexpr char kNo[] = "1002";
// A request or answer never waits longer than this in the modelled network (the client's
// deadline); execution's absent_grace is longer.
constexpr Nanos kMaxLatency = 2 * kSec;
constexpr Nanos kKillBound = 15 * kSec;

// Per-schedule fault rates, drawn from the seed so that schedules differ in kind, not only in order.
struct Faults {
  double not_sent = 0, throttled = 0, lost_reply = 0, server_error = 0, leg_reject = 0, empty_id = 0;
  double duplicate_event = 0, drop_event = 0;
};

struct Weights {
  double process = 30, reply = 30, event = 20, timer = 12, ladder = 6, taker = 5, reconnect = 0.4, restart = 0.25,
         kill = 0.2, tick = 0.2, version = 0.15, stall = 0.08, old_ladder = 0.5;
};

struct Made {
  OrderSpec spec;
  int incarnation = 0;
};

// Order ids from the seeded stream; the harness remembers every order's intent (the exchange
// does not know intents) to check invariant 4 across restarts.
class Factory : public OrderFactory {
 public:
  Factory(uint64_t seed, std::map<model::OrderId, Made>* made, const int* incarnation)
      : rng_(seed ^ 0x5eedf00dULL), made_(made), incarnation_(incarnation) {}
  absl::StatusOr<signing::SignedOrder> Make(const OrderSpec& spec) override {
    signing::SignedOrder s;
    std::array<uint8_t, 32> bytes{};
    for (int i = 0; i < 4; ++i) {
      const uint64_t v = rng_.Next();
      for (int b = 0; b < 8; ++b) bytes[static_cast<size_t>(i * 8 + b)] = static_cast<uint8_t>(v >> (8 * b));
    }
    s.id = model::OrderId(bytes);
    s.version = static_cast<signing::OrderVersion>(spec.version);
    (*made_)[s.id] = {spec, *incarnation_};
    return s;
  }

 private:
  Rng rng_;
  std::map<model::OrderId, Made>* made_;
  const int* incarnation_;
};

using Reply = std::variant<PostReply, CancelReply, QueryReply, ListReply, HeartbeatReply, VersionReply, RateTierReply,
                           TradesReply>;

struct Request {
  int incarnation = 0;
  Action action;
  Nanos issued = 0;
};
struct Answer {
  int incarnation = 0;
  uint64_t request_id = 0;
  Reply reply;
  Nanos ready = 0;
};
struct UserEvent {
  polymarket::UserEvent event;
  Nanos at = 0;
};

class Schedule {
 public:
  Schedule(uint64_t seed, const Options& options)
      : seed_(seed), rng_(seed), options_(options), exchange_(ExchangeConfigFor(seed)) {
    result_.seed = seed;
    DrawFaults();
    exchange_.AddMarket({.condition_id = kMarket, .yes_token = kYes, .no_token = kNo, .tick = model::TickSize::Cent()});
    exchange_.OpenAccount(kOurAddress, kOurKey);
    exchange_.OpenAccount(kTakerAddress, kTakerKey);
    exchange_.Credit(kOurAddress, 1'000'000'000'000, kYes, 1'000'000'000'000);
    exchange_.Credit(kTakerAddress, 1'000'000'000'000, kYes, 1'000'000'000'000);
    factory_ = std::make_unique<Factory>(seed, &made_, &incarnation_);
    NewIncarnation(false);
  }

  ScheduleResult Run() {
    const int64_t steps = rng_.Between(80, 600);
    for (step_ = 0; step_ < steps; ++step_) {
      DeliverOverdue();
      RandomEvent();
      Observe();
    }
    Quiesce();
    result_.steps = step_;
    result_.illegal_transitions += om_->counters().illegal_transitions;
    result_.halts += om_->counters().halts;
    return result_;
  }

 private:
  static sim::ExchangeConfig ExchangeConfigFor(uint64_t seed) {
    sim::ExchangeConfig c;
    c.seed = seed;
    c.trade_fail_probability = 0.05;
    return c;
  }

  static OrderManagerConfig ManagerConfig() {
    OrderManagerConfig c;
    c.reconcile_interval = 5 * kSec;
    return c;
  }

  void DrawFaults() {
    // Some schedules are clean, some stormy; each fault drawn independently.
    const double storm = rng_.Chance(0.2) ? 0.0 : rng_.Unit();
    const auto rate = [&](double max) { return rng_.Chance(0.3) ? 0.0 : rng_.Unit() * max * storm; };
    faults_ = {.not_sent = rate(0.1),
               .throttled = rate(0.2),
               .lost_reply = rate(0.2),
               .server_error = rate(0.15),
               .leg_reject = rate(0.2),
               .empty_id = rate(0.5),
               .duplicate_event = rate(0.3),
               .drop_event = rate(0.1)};
    const auto vary = [&](double& w) { w *= 0.2 + 1.8 * rng_.Unit(); };
    vary(weights_.process);
    vary(weights_.reply);
    vary(weights_.event);
    vary(weights_.timer);
    vary(weights_.ladder);
    vary(weights_.taker);
    vary(weights_.reconnect);
    vary(weights_.restart);
    vary(weights_.kill);
    vary(weights_.tick);
    vary(weights_.version);
    vary(weights_.stall);
  }

  void Trace(const std::string& line) {
    if (options_.trace) options_.trace(fmt::format("step={} t={}ms {}", step_, (now_ - start_) / kMs, line));
  }

  void Violate(int invariant, std::string detail) {
    // One report per invariant per schedule is enough to find it; the seed replays the rest.
    for (const Violation& v : result_.violations) {
      if (v.invariant == invariant) return;
    }
    Trace(fmt::format("VIOLATION invariant={} {}", invariant, detail));
    result_.violations.push_back({.seed = seed_, .invariant = invariant, .step = step_, .detail = std::move(detail)});
  }

  // --- execution incarnations ------------------------------------------------------------------

  void NewIncarnation(bool adopt) {
    ++incarnation_;
    om_ = std::make_unique<OrderManager>(ManagerConfig(), factory_.get());
    last_matched_.clear();
    terminal_.clear();
    om_->Start(adopt, now_);
    if (!kill_reason_.empty()) om_->Kill(kill_reason_, now_);  // the kill survives a restart (KV)
    Trace(fmt::format("execution starts incarnation={} adopt={}", incarnation_, adopt));
    Collect();
  }

  void Restart() {
    result_.restarts++;
    Trace("execution restarts: memory lost");
    result_.illegal_transitions += om_->counters().illegal_transitions;
    result_.halts += om_->counters().halts;
    // The old process's requests were processed or died with its connections; answers are lost.
    for (Request& r : requests_) {
      if (rng_.Chance(0.5)) Process(r, /*reply=*/false);
    }
    requests_.clear();
    answers_.clear();
    // The durable consumer redelivers what was not acked; some was.
    std::deque<UserEvent> kept;
    for (UserEvent& e : user_events_) {
      if (rng_.Chance(0.5)) kept.push_back(std::move(e));
    }
    user_events_ = std::move(kept);
    AdvanceTime(rng_.Between(500, 3000) * kMs);
    NewIncarnation(rng_.Chance(0.3));
  }

  // --- the network -----------------------------------------------------------------------------

  void Collect() {
    for (Action& a : om_->TakeActions()) {
      if (a.kind == ActionKind::kPost) {
        result_.posts += a.orders.size();
        if (om_->killed()) Violate(6, fmt::format("a post was sent while killed ({} orders)", a.orders.size()));
      }
      Trace(fmt::format("  action {} #{} n={}", ActionKindName(a.kind), a.request_id,
                        a.orders.size() + a.order_ids.size()));
      requests_.push_back({.incarnation = incarnation_, .action = std::move(a), .issued = now_});
    }
    for (const OrderEvent& e : om_->TakeEvents()) CheckEvent(e);
  }

  void CheckEvent(const OrderEvent& e) {
    const OrderView& o = e.order;
    Trace(fmt::format("  order {} {}->{} matched={} cause={}", o.id.ToString().substr(0, 10),
                      OrderStateName(e.previous), OrderStateName(o.state), o.matched.micros(), e.cause));
    if (o.matched > o.original || o.matched.micros() < 0) {
      Violate(1, fmt::format("order {} remaining negative: matched {} of {}", o.id.ToString(), o.matched.micros(),
                             o.original.micros()));
    }
    auto [it, inserted] = last_matched_.emplace(o.id, o.matched.micros());
    if (!inserted) {
      if (o.matched.micros() < it->second) {
        Violate(1, fmt::format("order {} matched size fell from {} to {}", o.id.ToString(), it->second,
                               o.matched.micros()));
      }
      it->second = std::max(it->second, o.matched.micros());
    }
    if (terminal_.contains(o.id) && MayBeLive(o.state)) {
      Violate(2, fmt::format("order {} went from terminal back to {}", o.id.ToString(), OrderStateName(o.state)));
    }
    if (IsTerminal(o.state)) terminal_.insert(o.id);
    if (o.intent.level != kAdoptedLevel) binding_[o.id] = o.intent;
  }

  bool Fault(double p) { return !calm() && rng_.Chance(p); }
  bool calm() const { return quiet_ || !kill_reason_.empty(); }

  sim::NewOrder ToNewOrder(const signing::SignedOrder& s) const {
    const Made& m = made_.at(s.id);
    return {.id = s.id,
            .owner = kOurKey,
            .maker = kOurAddress,
            .token = m.spec.intent.token,
            .side = m.spec.intent.side,
            .price = m.spec.price,
            .size = m.spec.size,
            .type = sim::OrderType::kGtc,
            .post_only = true,
            .version = m.spec.version};
  }

  static polymarket::OpenOrder ToOpenOrder(const sim::Order& o) {
    return {.id = o.spec.id.ToString(),
            .status = std::string(sim::OrderStatusName(o.status)),
            .owner = o.spec.owner,
            .market = kMarket,
            .asset_id = o.spec.token,
            .side = o.spec.side,
            .original_size = o.spec.size,
            .size_matched = o.matched,
            .price = o.spec.price};
  }

  static polymarket::CancelResult ToCancelResult(const sim::CancelOutcome& c) { return {c.canceled, c.not_canceled}; }

  // Runs a request at the exchange (or not) and queues its answer unless `reply` is false.
  void Process(Request& r, bool reply) {
    const Action& a = r.action;
    Reply answer;
    const auto queue = [&](Reply rep) {
      if (reply) answers_.push_back({r.incarnation, a.request_id, std::move(rep), now_});
    };
    // Refused at the door: nothing was processed.
    if (Fault(faults_.not_sent)) {
      Trace(fmt::format("  #{} not sent", a.request_id));
      return queue(Refusal(a.kind, net::Outcome::kNotSent, 0));
    }
    if (Fault(faults_.throttled)) {
      Trace(fmt::format("  #{} 429", a.request_id));
      return queue(Refusal(a.kind, net::Outcome::kThrottled, 429));
    }
    switch (a.kind) {
      case ActionKind::kPost: {
        PostReply p{.outcome = net::Outcome::kOk, .http_status = 200};
        for (const auto& s : a.orders) {
          if (Fault(faults_.leg_reject)) {
            polymarket::PostOrderResult leg{.success = false, .error_msg = "could not insert order"};
            if (rng_.Chance(faults_.empty_id)) leg = {.success = true};
            p.legs.push_back(leg);
            continue;
          }
          const sim::PlaceResult placed = exchange_.Place(ToNewOrder(*s), now_);
          polymarket::PostOrderResult leg{
              .success = placed.success, .status = placed.status, .error_msg = placed.error};
          if (placed.success) leg.order_id = s->id.ToString();
          p.legs.push_back(leg);
        }
        answer = p;
        break;
      }
      case ActionKind::kCancel: {
        std::vector<std::string> ids;
        for (const auto& id : a.order_ids) ids.push_back(id.ToString());
        answer = CancelReply{.outcome = net::Outcome::kOk,
                             .http_status = 200,
                             .result = ToCancelResult(exchange_.Cancel(kOurKey, ids, now_))};
        break;
      }
      case ActionKind::kCancelMarket:
        answer = CancelReply{.outcome = net::Outcome::kOk,
                             .http_status = 200,
                             .result = ToCancelResult(exchange_.CancelMarket(kOurKey, a.market, "", now_))};
        break;
      case ActionKind::kCancelAll:
        answer = CancelReply{.outcome = net::Outcome::kOk,
                             .http_status = 200,
                             .result = ToCancelResult(exchange_.CancelAll(kOurKey, now_))};
        break;
      case ActionKind::kQueryOrder: {
        const sim::Order* o = exchange_.Find(a.order_ids.front().ToString());
        if (o == nullptr || o->spec.owner != kOurKey) {
          answer = QueryReply{.outcome = net::Outcome::kRejected, .http_status = 404};
        } else {
          answer = QueryReply{.outcome = net::Outcome::kOk, .http_status = 200, .order = ToOpenOrder(*o)};
        }
        break;
      }
      case ActionKind::kListOpenOrders: {
        ListReply l{.outcome = net::Outcome::kOk};
        for (const sim::Order* o : exchange_.OpenOrders(kOurKey)) l.orders.push_back(ToOpenOrder(*o));
        answer = l;
        break;
      }
      case ActionKind::kHeartbeat: {
        std::string expected;
        auto next = exchange_.Heartbeat(kOurKey, a.heartbeat_id, now_, &expected);
        if (next) {
          answer = HeartbeatReply{.outcome = net::Outcome::kOk, .heartbeat_id = *next};
        } else {
          answer = HeartbeatReply{
              .outcome = net::Outcome::kRejected, .heartbeat_id = expected, .error = "Invalid Heartbeat ID"};
        }
        break;
      }
      case ActionKind::kGetVersion:
        answer = VersionReply{.outcome = net::Outcome::kOk, .version = exchange_.config().order_version};
        break;
      case ActionKind::kGetRateTier:
        answer = RateTierReply{.outcome = net::Outcome::kOk, .tier = polymarket::RateTier::kStandard};
        break;
      case ActionKind::kQueryTrades: {
        TradesReply t{.outcome = net::Outcome::kOk};
        for (auto& trade : exchange_.Trades(kOurKey)) {
          if (trade.market == a.market && trade.match_time_ms / 1000 >= a.after_s) t.trades.push_back(std::move(trade));
        }
        answer = t;
        break;
      }
    }
    PumpExchangeEvents();
    // Processed, but the answer may not make it back.
    if (Fault(faults_.lost_reply)) {
      result_.timeouts_after_accept++;
      Trace(fmt::format("  #{} processed, answer lost (timeout)", a.request_id));
      return queue(Refusal(a.kind, net::Outcome::kAmbiguous, 0));
    }
    if (Fault(faults_.server_error)) {
      Trace(fmt::format("  #{} processed, then 502", a.request_id));
      return queue(Refusal(a.kind, net::Outcome::kAmbiguous, 502));
    }
    queue(std::move(answer));
  }

  static Reply Refusal(ActionKind kind, net::Outcome outcome, int status) {
    switch (kind) {
      case ActionKind::kPost:
        return PostReply{.outcome = outcome,
                         .http_status = status,
                         .retry_after = status == 429 ? std::optional<Nanos>(1 * kSec) : std::nullopt};
      case ActionKind::kCancel:
      case ActionKind::kCancelMarket:
      case ActionKind::kCancelAll:
        return CancelReply{.outcome = outcome, .http_status = status};
      case ActionKind::kQueryOrder:
        return QueryReply{.outcome = outcome, .http_status = status};
      case ActionKind::kListOpenOrders:
        return ListReply{.outcome = outcome};
      case ActionKind::kHeartbeat:
        return HeartbeatReply{.outcome = outcome};
      case ActionKind::kGetVersion:
        return VersionReply{.outcome = outcome};
      case ActionKind::kGetRateTier:
        return RateTierReply{.outcome = outcome};
      case ActionKind::kQueryTrades:
        return TradesReply{.outcome = outcome};
    }
    return VersionReply{.outcome = outcome};
  }

  void Deliver(Answer& a) {
    if (a.incarnation != incarnation_) return;
    const Nanos now = now_;
    std::visit(
        [&](auto& rep) {
          using T = std::decay_t<decltype(rep)>;
          if constexpr (std::is_same_v<T, PostReply>) {
            Mutate(rep);
            om_->OnPostReply(a.request_id, rep, now);
          }
          if constexpr (std::is_same_v<T, CancelReply>) om_->OnCancelReply(a.request_id, rep, now);
          if constexpr (std::is_same_v<T, QueryReply>) om_->OnQueryReply(a.request_id, rep, now);
          if constexpr (std::is_same_v<T, ListReply>) om_->OnListReply(a.request_id, rep, now);
          if constexpr (std::is_same_v<T, HeartbeatReply>) om_->OnHeartbeatReply(a.request_id, rep, now);
          if constexpr (std::is_same_v<T, VersionReply>) om_->OnVersionReply(a.request_id, rep, now);
          if constexpr (std::is_same_v<T, RateTierReply>) om_->OnRateTierReply(a.request_id, rep, now);
          if constexpr (std::is_same_v<T, TradesReply>) om_->OnTradesReply(a.request_id, rep, now);
        },
        a.reply);
    Trace(fmt::format("deliver answer #{}", a.request_id));
    Collect();
  }

  void Mutate(PostReply& rep) const {
    if (options_.mutation == Mutation::kTimeoutIsRejection && rep.outcome == net::Outcome::kAmbiguous) {
      rep.outcome = net::Outcome::kRejected;
      rep.http_status = 400;
    }
    if (options_.mutation == Mutation::kBatchAllOrNothing && rep.outcome == net::Outcome::kOk) {
      bool any_failed = false;
      for (const auto& leg : rep.legs) any_failed |= !leg.accepted();
      if (any_failed) {
        for (auto& leg : rep.legs) leg = {.success = false, .error_msg = "batch failed"};
      }
    }
  }

  void PumpExchangeEvents() {
    for (sim::Event& e : exchange_.TakeEvents()) {
      auto* user = std::get_if<sim::UserEventOut>(&e);
      if (user == nullptr) continue;
      if (std::find(user->recipients.begin(), user->recipients.end(), kOurKey) == user->recipients.end()) continue;
      if (auto* trade = std::get_if<polymarket::UserTradeEvent>(&user->event)) {
        if (trade->status == polymarket::TradeStatus::kMatched) result_.fills++;
      }
      user_events_.push_back({std::move(user->event), now_});
    }
  }

  void DeliverUserEvent(size_t index) {
    UserEvent e = user_events_[index];
    if (Fault(faults_.duplicate_event)) {
      user_events_.push_back(e);  // delivered again later
    } else {
      user_events_.erase(user_events_.begin() + static_cast<std::ptrdiff_t>(index));
    }
    if (auto* o = std::get_if<polymarket::UserOrderEvent>(&e.event)) {
      Trace(fmt::format("user order {} {} matched={}", polymarket::OrderEventTypeName(o->type), o->id.substr(0, 10),
                        o->size_matched.micros()));
      om_->OnUserOrder(*o, now_);
    } else if (auto* t = std::get_if<polymarket::UserTradeEvent>(&e.event)) {
      Trace(fmt::format("user trade {} {}", t->id, polymarket::TradeStatusName(t->status)));
      om_->OnUserTrade(*t, now_);
    }
    Collect();
  }

  // Anything that has waited past the modelled network's latency bound happens now.
  void DeliverOverdue() {
    for (size_t i = 0; i < requests_.size();) {
      if (now_ - requests_[i].issued >= kMaxLatency) {
        Request r = std::move(requests_[i]);
        requests_.erase(requests_.begin() + static_cast<std::ptrdiff_t>(i));
        Trace(fmt::format("request #{} {} reaches the exchange (overdue)", r.action.request_id,
                          ActionKindName(r.action.kind)));
        Process(r, true);
      } else {
        ++i;
      }
    }
    for (size_t i = 0; i < answers_.size();) {
      if (now_ - answers_[i].ready >= kMaxLatency) {
        Answer a = std::move(answers_[i]);
        answers_.erase(answers_.begin() + static_cast<std::ptrdiff_t>(i));
        Deliver(a);
      } else {
        ++i;
      }
    }
  }

  // --- the world -------------------------------------------------------------------------------

  void AdvanceTime(Nanos by) {
    now_ += by;
    exchange_.Advance(now_);
    PumpExchangeEvents();
  }

  void Timer() {
    AdvanceTime(rng_.Between(5, 300) * kMs);
    om_->OnTimer(now_);
    Collect();
    while (om_->HasPendingWork()) {
      om_->OnTimer(now_);
      Collect();
    }
    if (!kill_reason_.empty() && now_ - killed_at_ >= kKillBound) {
      const auto open = exchange_.OpenOrders(kOurKey);
      if (!open.empty() && !kill_checked_) {
        Violate(6, fmt::format("{} orders still live {} s after the kill", open.size(), kKillBound / kSec));
      }
      kill_checked_ = true;
      if (rng_.Chance(0.3)) {
        Trace("admin reset");
        kill_reason_.clear();
        om_->Reset(now_);
        Collect();
      }
    }
    if (om_->phase() == Phase::kHalted && kill_reason_.empty() && rng_.Chance(0.05)) {
      Trace(fmt::format("operator resets after halt: {}", om_->halt_reason()));
      om_->Reset(now_);
      Collect();
    }
  }

  MarketLadder MakeLadder() {
    const int64_t t = tick_.units();
    mid_ticks_ += rng_.Between(-2, 2);
    const int64_t max_ticks = model::kPriceOne / t;
    mid_ticks_ = std::clamp<int64_t>(mid_ticks_, max_ticks / 5, max_ticks * 4 / 5);
    MarketLadder l{.market = kMarket,
                   .tokens = {kYes, kNo},
                   .tick = tick_,
                   .sequence = ++ladder_sequence_,
                   .valid_until = now_ + rng_.Between(2, 60) * kSec};
    const int levels = static_cast<int>(rng_.Between(0, 3));
    const int64_t half_spread = rng_.Between(1, 3);
    for (int i = 0; i < levels; ++i) {
      const Size size = Size::FromWhole(rng_.Between(5, 30));
      l.quotes.push_back({.intent = {.token = kYes, .side = Side::kBuy, .level = static_cast<uint32_t>(i)},
                          .price = Price((mid_ticks_ - half_spread - i) * t),
                          .size = size});
      l.quotes.push_back({.intent = {.token = kYes, .side = Side::kSell, .level = static_cast<uint32_t>(i)},
                          .price = Price((mid_ticks_ + half_spread + i) * t),
                          .size = size});
    }
    return l;
  }

  void Taker() {
    const bool buy = rng_.Chance(0.5);
    sim::NewOrder o{.owner = kTakerKey,
                    .maker = kTakerAddress,
                    .token = kYes,
                    .side = buy ? Side::kBuy : Side::kSell,
                    .price = buy ? tick_.MaxPrice() : tick_.MinPrice(),
                    .size = Size::FromWhole(rng_.Between(1, 40)),
                    .type = sim::OrderType::kFak,
                    .version = exchange_.config().order_version};
    std::array<uint8_t, 32> bytes{};
    const uint64_t n = ++taker_orders_;
    for (int b = 0; b < 8; ++b) bytes[static_cast<size_t>(b)] = static_cast<uint8_t>(n >> (8 * b));
    bytes[31] = 0xee;
    o.id = model::OrderId(bytes);
    const sim::PlaceResult r = exchange_.Place(o, now_);
    Trace(fmt::format("taker {} {} -> {} {}", buy ? "BUY" : "SELL", o.size.micros(), r.success, r.error));
    PumpExchangeEvents();
  }

  void RandomEvent() {
    struct Choice {
      double weight;
      int kind;
    };
    std::vector<Choice> choices;
    if (!requests_.empty()) choices.push_back({weights_.process, 0});
    if (!answers_.empty()) choices.push_back({weights_.reply, 1});
    if (!user_events_.empty()) choices.push_back({weights_.event, 2});
    choices.push_back({weights_.timer, 3});
    choices.push_back({weights_.ladder, 4});
    choices.push_back({weights_.taker, 5});
    choices.push_back({weights_.reconnect, 6});
    choices.push_back({weights_.restart, 7});
    choices.push_back({kill_reason_.empty() ? weights_.kill : 0.0, 8});
    choices.push_back({weights_.tick, 9});
    choices.push_back({weights_.version, 10});
    choices.push_back({weights_.stall, 11});
    choices.push_back({weights_.old_ladder, 12});
    double total = 0;
    for (const Choice& c : choices) total += c.weight;
    double pick = rng_.Unit() * total;
    int kind = 3;
    for (const Choice& c : choices) {
      if (pick < c.weight) {
        kind = c.kind;
        break;
      }
      pick -= c.weight;
    }
    switch (kind) {
      case 0: {
        const size_t i = rng_.Below(requests_.size());
        Request r = std::move(requests_[i]);
        requests_.erase(requests_.begin() + static_cast<std::ptrdiff_t>(i));
        Trace(fmt::format("request #{} {} reaches the exchange", r.action.request_id, ActionKindName(r.action.kind)));
        Process(r, true);
        break;
      }
      case 1: {
        const size_t i = rng_.Below(answers_.size());
        Answer a = std::move(answers_[i]);
        answers_.erase(answers_.begin() + static_cast<std::ptrdiff_t>(i));
        Deliver(a);
        break;
      }
      case 2: {
        // Mostly in order, sometimes out of order.
        const size_t i = rng_.Chance(0.7) ? 0 : rng_.Below(user_events_.size());
        if (Fault(faults_.drop_event)) {
          user_events_.erase(user_events_.begin() + static_cast<std::ptrdiff_t>(i));
          Trace("user event dropped");
        } else {
          DeliverUserEvent(i);
        }
        break;
      }
      case 3:
        Timer();
        break;
      case 4: {
        MarketLadder l = MakeLadder();
        last_ladder_ = l;
        Trace(fmt::format("ladder seq={} quotes={} tick={}", l.sequence, l.quotes.size(), l.tick.units()));
        om_->OnLadder(l, now_);
        Collect();
        break;
      }
      case 5:
        Taker();
        break;
      case 6: {
        result_.reconnects++;
        const size_t dropped = rng_.Chance(0.5) ? user_events_.size() : 0;
        user_events_.erase(user_events_.begin(), user_events_.begin() + static_cast<std::ptrdiff_t>(dropped));
        Trace(fmt::format("user stream reconnects, {} events lost", dropped));
        om_->OnUserStreamReconnected(now_);
        Collect();
        break;
      }
      case 7:
        Restart();
        break;
      case 8:
        result_.kills++;
        kill_reason_ = "racesim kill";
        killed_at_ = now_;
        kill_checked_ = false;
        Trace("admin kill");
        om_->Kill(kill_reason_, now_);
        Collect();
        break;
      case 9: {
        result_.tick_changes++;
        tick_ = tick_.units() == 100 ? *model::TickSize::FromUnits(10) : model::TickSize::Cent();
        mid_ticks_ = tick_.units() == 10 ? mid_ticks_ * 10 : mid_ticks_ / 10;
        exchange_.SetTickSize(kYes, tick_, now_);
        Trace(fmt::format("tick size -> {}", tick_.units()));
        om_->OnTickSize(kYes, tick_, now_);
        Collect();
        break;
      }
      case 10: {
        result_.version_changes++;
        const int v = exchange_.config().order_version == 2 ? 3 : 2;
        exchange_.SetOrderVersion(v);
        Trace(fmt::format("exchange order version -> {}", v));
        break;
      }
      case 11:
        Trace("execution stalls for 11 s (heartbeats stop)");
        AdvanceTime(11 * kSec);
        break;
      case 12:
        if (last_ladder_) {
          MarketLadder old = *last_ladder_;
          old.sequence = old.sequence > 1 ? old.sequence - 1 : 0;  // a reordered, older ladder
          om_->OnLadder(old, now_);
          Collect();
        }
        break;
      default:
        break;
    }
  }

  // Invariant 4 on the exchange's truth after every step.
  void Observe() {
    std::map<std::tuple<std::string, int, uint32_t>, int> live_per_intent;
    for (const sim::Order* o : exchange_.OpenOrders(kOurKey)) {
      auto it = made_.find(o->spec.id);
      if (it == made_.end()) continue;
      // The intent execution last bound it to (an adopted order is re-bound by price), else the
      // one it was made for.
      Intent intent = it->second.spec.intent;
      if (auto b = binding_.find(o->spec.id); b != binding_.end()) intent = b->second;
      const int n = ++live_per_intent[{intent.token, static_cast<int>(intent.side), intent.level}];
      if (n > 1) {
        Violate(4, fmt::format("two live orders at the exchange for intent {} {} level {}", intent.token,
                               intent.side == Side::kBuy ? "BUY" : "SELL", intent.level));
      }
    }
  }

  // The exchange goes quiet: no faults, no new flow; then execution's live set must equal the
  // exchange's open set (invariant 3).
  void Quiesce() {
    quiet_ = true;
    Trace("quiesce");
    om_->ReconcileNow(now_);
    Collect();
    for (int i = 0; i < 600; ++i) {
      while (!requests_.empty()) {
        Request r = std::move(requests_.front());
        requests_.pop_front();
        Process(r, true);
      }
      while (!answers_.empty()) {
        Answer a = std::move(answers_.front());
        answers_.pop_front();
        Deliver(a);
      }
      while (!user_events_.empty()) DeliverUserEvent(0);
      AdvanceTime(100 * kMs);
      om_->OnTimer(now_);
      Collect();
    }
    std::set<model::OrderId> ours;
    for (const OrderView& v : om_->Orders()) {
      if (MayBeLive(v.state)) ours.insert(v.id);
    }
    std::set<model::OrderId> theirs;
    for (const sim::Order* o : exchange_.OpenOrders(kOurKey)) theirs.insert(o->spec.id);
    if (ours != theirs) {
      std::string detail;
      for (const auto& id : ours) {
        if (!theirs.contains(id)) {
          detail +=
              fmt::format(" cache-only {} {};", id.ToString().substr(0, 12), OrderStateName(om_->Find(id)->state));
        }
      }
      for (const auto& id : theirs) {
        if (!ours.contains(id)) {
          auto v = om_->Find(id);
          detail += fmt::format(" exchange-only {} ({});", id.ToString().substr(0, 12),
                                v ? std::string(OrderStateName(v->state)) : std::string("unknown to execution"));
        }
      }
      Violate(3, fmt::format("after quiet, live sets differ ({} vs {}):{}", ours.size(), theirs.size(), detail));
    }
    if (!kill_reason_.empty() && !theirs.empty()) Violate(6, "killed, yet orders are live after quiet");
  }

  uint64_t seed_;
  Rng rng_;
  Options options_;
  sim::Exchange exchange_;
  Faults faults_;
  Weights weights_;
  ScheduleResult result_;
  std::map<model::OrderId, Made> made_;
  std::unique_ptr<Factory> factory_;
  std::unique_ptr<OrderManager> om_;
  int incarnation_ = 0;
  int64_t step_ = 0;
  const Nanos start_ = 1'750'000'000 * kSec;
  Nanos now_ = start_;
  std::deque<Request> requests_;
  std::deque<Answer> answers_;
  std::deque<UserEvent> user_events_;
  std::map<model::OrderId, int64_t> last_matched_;
  std::set<model::OrderId> terminal_;
  std::map<model::OrderId, Intent> binding_;
  model::TickSize tick_ = model::TickSize::Cent();
  int64_t mid_ticks_ = 50;
  uint64_t ladder_sequence_ = 0;
  std::optional<MarketLadder> last_ladder_;
  uint64_t taker_orders_ = 0;
  std::string kill_reason_;
  Nanos killed_at_ = 0;
  bool kill_checked_ = false;
  bool quiet_ = false;
};

}  // namespace

ScheduleResult RunSchedule(uint64_t seed, const Options& options) {
  Schedule schedule(seed, options);
  return schedule.Run();
}

}  // namespace clobmaker::execution::racesim
