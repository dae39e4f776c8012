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
constexpr char kMakerKey[] = "racesim-maker-key";
constexpr char kMakerAddress[] = "0x00000000000000000000000000000000000000c3";
constexpr char kMarket[] = "0xc0ffee";
constexpr char kYes[] = "1001";
constexpr char kNo[] = "1002";
// A request or answer normally arrives within the client's deadline...
constexpr Nanos kMaxLatency = 2 * kSec;
// ...and a request lands at the latest this long after it was sent, even when its timeout was
// already reported (execution's absent_grace, 3 s, must be longer).
constexpr Nanos kInFlightWindow = 2500 * kMs;
constexpr Nanos kKillBound = 15 * kSec;
// While killed, faults keep firing, at most this often each: the kill bound is "within a bounded
// time on a working exchange", not under a total outage.
constexpr double kKilledFaultCap = 0.05;
// An order open at the exchange that execution does not know (only a paged adopt listing can
// miss one) must be found and cancelled within two reconciliations.
constexpr Nanos kOrphanBound = 2 * 30 * kSec + 2 * kMaxLatency;

// --- mutations -----------------------------------------------------------------------------------

enum class NetMutation { kNone, kTimeoutIsRejection, kBatchAllOrNothing };

struct MutationEntry {
  MutationInfo info;
  Mutation core = Mutation::kNone;
  NetMutation net = NetMutation::kNone;
};

const std::vector<MutationEntry>& MutationTable() {
  static const std::vector<MutationEntry> kTable = {
      {{"cancels-gated-by-backoff", "review C2: a post backoff stops the whole market step, cancels too"},
       Mutation::kCancelsGatedByBackoff},
      {{"cancellation-ignored", "review C3: CANCELLATION events are not acted on"}, Mutation::kCancellationIgnored},
      {{"rejection-ignored", "review C3: a refused order is left as it was"}, Mutation::kRejectionIgnored},
      {{"startup-without-cancel-all", "review C4: start-up goes straight to READY"},
       Mutation::kStartupWithoutCancelAll},
      {{"adopt-without-blocking", "review C4: unclaimed adopted orders do not hold back new ones"},
       Mutation::kAdoptWithoutBlocking},
      {{"trade-dedupe-removed", "review race 2: every trade message adds its fill again"},
       Mutation::kTradeDedupeRemoved},
      {{"tick-inferred-from-prices", "review H2: the ladder's tick ignored, inferred from price spacing"},
       Mutation::kTickInferredFromPrices},
      {{"ladder-expiry-inert", "issue 17: nothing happens at a ladder's deadline"}, Mutation::kLadderExpiryInert},
      {{"timeout-as-rejection", "design s3: a timeout read as a rejection (between network and core)"},
       Mutation::kNone,
       NetMutation::kTimeoutIsRejection},
      {{"batch-all-or-nothing", "review C1: one refused leg fails the batch (between network and core)"},
       Mutation::kNone,
       NetMutation::kBatchAllOrNothing},
      {{"absent-without-grace", "invariant 3/4: \"not found\" believed while a request could still land"},
       Mutation::kAbsentWithoutGrace},
      {{"matched-latest-wins", "invariant 1: the last report sets the matched size"}, Mutation::kMatchedLatestWins},
      {{"terminal-revived", "invariant 2: a late placement revives a terminal order"}, Mutation::kTerminalRevived},
      {{"kill-cancels-nothing", "invariant 6: a kill only stops posts"}, Mutation::kKillCancelsNothing},
      {{"stale-ladder-accepted", "invariant 7: an older ladder replaces a newer one"}, Mutation::kStaleLadderAccepted},
      {{"post-only-dropped", "invariant 8: quotes go without post-only"}, Mutation::kPostOnlyDropped},
      {{"startup-ignores-delay",
        "2026: start-up verifies though its cancel-all was refused for orders in a matching delay"},
       Mutation::kStartupIgnoresDelay},
      {{"adopt-ignores-delay", "2026: adopting lists at once, though an order may sit invisible in a matching delay"},
       Mutation::kAdoptIgnoresDelay},
  };
  return kTable;
}

const MutationEntry* FindMutation(std::string_view name) {
  for (const MutationEntry& m : MutationTable()) {
    if (m.info.name == name) return &m;
  }
  return nullptr;
}

// --- the model -----------------------------------------------------------------------------------

// Per-schedule fault rates, drawn from the seed so that schedules differ in kind, not only in order.
struct FaultRates {
  double not_sent = 0, throttled = 0, throttled_after = 0, lost_reply = 0, late_landing = 0, server_error = 0;
  double whole_reject = 0, leg_reject = 0, empty_id = 0, duplicate_event = 0, drop_event = 0;
  size_t page_size = 100;  // orders per listing page (small: listings take several pages)
  bool no_token = false;   // our ladders quote the NO token too
  // The exchange of December 2026.
  Nanos delay = 0;             // the market's matching delay: 250 ms (taker delay) or seconds (sports)
  bool delay_all = false;      // it holds every order, ours too (else only marketable ones)
  double hold_delayed = 0;     // a delayed post's answer is held until its delays end
  bool lookup_404 = false;     // an inactive id's lookup answers 404 (a variant), else 200 `null`
  bool lookup_legacy = false;  // closed orders are still served by lookups (the older behaviour)
};

struct Weights {
  double process = 30, reply = 30, event = 20, timer = 12, ladder = 6, taker = 5, maker = 3, maker_cancel = 1,
         reconnect = 0.4, restart = 0.25, kill = 0.2, tick = 0.2, version = 0.15, stall = 0.08, old_ladder = 0.5,
         engine = 0.06;
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
  Nanos land_by = 0;       // it reaches the exchange (or dies) by then
  bool timed_out = false;  // its timeout was already reported: no answer when it lands
  // A listing served page by page: pages fetched so far and what they held.
  int pages = 0;
  std::vector<polymarket::OpenOrder> listed;
};
struct Answer {
  int incarnation = 0;
  uint64_t request_id = 0;
  Reply reply;
  Nanos ready = 0;
  std::vector<model::OrderId> posted;  // a post's orders, in order
};
struct UserEvent {
  polymarket::UserEvent event;
  Nanos at = 0;
};
// A post's answer the exchange holds until the delays of its orders end (then `unmatched`,
// `matched` or a refusal per leg), as the simulator's server does.
struct HeldAnswer {
  int incarnation = 0;
  uint64_t request_id = 0;
  PostReply reply;
  std::vector<model::OrderId> posted;
  std::map<std::string, size_t> waiting;  // order id -> leg
};

bool IsOrderEndpoint(ActionKind kind) {
  return kind == ActionKind::kPost || kind == ActionKind::kCancel || kind == ActionKind::kCancelMarket ||
         kind == ActionKind::kCancelAll;
}

bool IsDuplicateText(std::string_view error) { return error.find("Duplicated") != std::string_view::npos; }

class Schedule {
 public:
  Schedule(uint64_t seed, const Options& options, const MutationEntry* mutation)
      : seed_(seed), rng_(seed), options_(options), mutation_(mutation), exchange_(ExchangeConfigFor(seed)) {
    result_.seed = seed;
    DrawFaults();
    exchange_.AddMarket({.condition_id = kMarket, .yes_token = kYes, .no_token = kNo, .tick = model::TickSize::Cent()});
    for (const auto& [address, key] :
         {std::pair{kOurAddress, kOurKey}, std::pair{kTakerAddress, kTakerKey}, std::pair{kMakerAddress, kMakerKey}}) {
      exchange_.OpenAccount(address, key);
      exchange_.Credit(address, 1'000'000'000'000, kYes, 1'000'000'000'000);
      exchange_.Credit(address, 0, kNo, 1'000'000'000'000);
    }
    if (rates_.delay > 0) {
      // Under a second: the taker delay of an `itode` market; else a sports market's `sd`.
      if (rates_.delay < kSec) {
        exchange_.SetMarketDelay(kMarket, rates_.delay, 0);
      } else {
        exchange_.SetMarketDelay(kMarket, 0, rates_.delay / kSec);
      }
      exchange_.SetDelayScope(rates_.delay_all ? sim::DelayScope::kAll : sim::DelayScope::kMarketable);
    }
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

  OrderManagerConfig ManagerConfig() const {
    OrderManagerConfig c;  // production settings: reconcile every 30 s, 3 s absent grace, ...
    if (mutation_ != nullptr) c.mutation = mutation_->core;
    return c;
  }

  NetMutation net_mutation() const { return mutation_ == nullptr ? NetMutation::kNone : mutation_->net; }

  void DrawFaults() {
    // Some schedules are clean, some stormy; each fault drawn independently.
    const double storm = rng_.Chance(0.2) ? 0.0 : rng_.Unit();
    const auto rate = [&](double max) { return rng_.Chance(0.3) ? 0.0 : rng_.Unit() * max * storm; };
    rates_ = {.not_sent = rate(0.1),
              .throttled = rate(0.2),
              .throttled_after = rate(0.08),
              .lost_reply = rate(0.2),
              .late_landing = rate(0.15),
              .server_error = rate(0.15),
              .whole_reject = rate(0.05),
              .leg_reject = rate(0.2),
              .empty_id = rate(0.5),
              .duplicate_event = rate(0.3),
              .drop_event = rate(0.1)};
    rates_.page_size = rng_.Chance(0.3) ? static_cast<size_t>(rng_.Between(1, 3)) : 100;
    rates_.no_token = rng_.Chance(0.5);
    const auto vary = [&](double& w) { w *= 0.2 + 1.8 * rng_.Unit(); };
    for (double* w : {&weights_.process, &weights_.reply, &weights_.event, &weights_.timer, &weights_.ladder,
                      &weights_.taker, &weights_.maker, &weights_.maker_cancel, &weights_.reconnect, &weights_.restart,
                      &weights_.kill, &weights_.tick, &weights_.version, &weights_.stall, &weights_.engine}) {
      vary(*w);
    }
    if (rng_.Chance(0.3)) weights_.maker = 0;      // some schedules have no other makers
    if (rng_.Chance(0.15)) weights_.restart *= 6;  // and some restart execution again and again
    // The December-2026 exchange: most schedules have a matching delay; in some it holds our own
    // (post-only) orders too, so that restarts, kills and cancels meet orders inside a delay.
    if (rng_.Chance(0.6)) {
      rates_.delay = rng_.Chance(0.5) ? 250 * kMs : rng_.Between(1, 5) * kSec;
      rates_.delay_all = rng_.Chance(0.6);
      if (rates_.delay_all) weights_.restart *= 2;  // restarts meet orders inside a delay more often
      rates_.hold_delayed = rng_.Chance(0.5) ? rng_.Unit() : 0.0;
    }
    rates_.lookup_404 = rng_.Chance(0.3);
    rates_.lookup_legacy = rng_.Chance(0.3);
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

  void Count(Fault f) { result_.faults[static_cast<size_t>(f)]++; }
  bool Fires(double p, Fault kind) {
    if (quiet_) return false;
    if (!kill_reason_.empty()) p = std::min(p, kKilledFaultCap);
    if (!rng_.Chance(p)) return false;
    Count(kind);
    return true;
  }

  // Every call into execution goes through here: the invariants judge the core as of its last call.
  OrderManager& Core() {
    core_now_ = now_;
    return *om_;
  }

  // --- execution incarnations ------------------------------------------------------------------

  void NewIncarnation(bool adopt) {
    ++incarnation_;
    om_ = std::make_unique<OrderManager>(ManagerConfig(), factory_.get());
    // The shell learns the market's delay from GET /clob-markets before trading.
    if (rates_.delay > 0) om_->SetMarketDelay(kMarket, rates_.delay);
    last_matched_.clear();
    terminal_.clear();
    accepted_.reset();
    ready_once_ = false;
    orphans_.clear();
    Core().Start(adopt, now_);
    if (!kill_reason_.empty()) Core().Kill(kill_reason_, now_);  // the kill survives a restart (KV)
    Trace(fmt::format("execution starts incarnation={} adopt={}", incarnation_, adopt));
    Collect();
  }

  // Time passes while no execution runs (between incarnations) or it is frozen (a stall): a kill's
  // bound (invariant 6) counts only the time execution runs, which is all it can act in.
  void ExecutionDown(Nanos d) {
    if (!kill_reason_.empty() && !kill_checked_) kill_down_ += d;
    AdvanceTime(d);
  }

  void Restart() {
    result_.restarts++;
    Trace("execution restarts: memory lost");
    CheckCounters();
    result_.halts += om_->counters().halts;
    // The old process's requests landed or died with its connections (the next one starts only
    // once the old lease expired, longer than any request travels); answers are lost.
    std::deque<Request> old = std::move(requests_);
    requests_.clear();
    for (Request& r : old) {
      const bool mutating = IsOrderEndpoint(r.action.kind) || r.action.kind == ActionKind::kHeartbeat;
      if (mutating && rng_.Chance(0.5)) {
        r.timed_out = true;  // nobody is left to answer
        Process(r, /*reply=*/false);
      }
    }
    answers_.clear();
    // The durable consumer redelivers what was not acked; some was.
    std::deque<UserEvent> kept;
    for (UserEvent& e : user_events_) {
      if (rng_.Chance(0.5)) kept.push_back(std::move(e));
    }
    user_events_ = std::move(kept);
    // Often short where our own orders sit in delays: the next incarnation then starts while an
    // order of the old one is still inside its delay.
    ExecutionDown((rates_.delay_all && rng_.Chance(0.5) ? rng_.Between(50, 400) : rng_.Between(100, 3000)) * kMs);
    NewIncarnation(rng_.Chance(0.5));
  }

  // --- the network -----------------------------------------------------------------------------

  void Collect() {
    std::vector<Action> actions = om_->TakeActions();
    // Events first: they carry the intents execution (re)bound orders to in this step.
    for (const OrderEvent& e : om_->TakeEvents()) CheckEvent(e);
    for (Action& a : actions) {
      if (a.kind == ActionKind::kPost) CheckPost(a);
      Trace(fmt::format("  action {} #{} n={}", ActionKindName(a.kind), a.request_id,
                        a.orders.size() + a.order_ids.size()));
      requests_.push_back(
          {.incarnation = incarnation_, .action = std::move(a), .issued = now_, .land_by = now_ + kMaxLatency});
    }
    if (om_->phase() == Phase::kReady) ready_once_ = true;
  }

  // Invariants 6, 7 and 8 on what is posted.
  void CheckPost(const Action& a) {
    result_.posts += a.orders.size();
    if (om_->killed()) Violate(6, fmt::format("a post was sent while killed ({} orders)", a.orders.size()));
    if (!a.post_only) Violate(8, "a quote was posted without post-only");
    // 4: what each open order of ours was last bound to; one inside a matching delay counts (it
    // goes on the book when the delay ends).
    std::map<Intent, model::OrderId> open_by_intent;
    std::vector<const sim::Order*> resting = exchange_.OpenOrders(kOurKey);
    for (const sim::Order* o : exchange_.DelayedOrders(kOurKey)) resting.push_back(o);
    for (const sim::Order* o : resting) {
      auto it = made_.find(o->spec.id);
      if (it == made_.end()) continue;
      auto b = binding_.find(o->spec.id);
      open_by_intent.emplace(b != binding_.end() ? b->second : it->second.spec.intent, o->spec.id);
    }
    for (const auto& s : a.orders) {
      const Made& m = made_.at(s->id);
      // 4: a new order for an intent only once every earlier one is dead, so when it is posted
      // no order of that intent may be open (whichever request lands first).
      if (auto other = open_by_intent.find(m.spec.intent); other != open_by_intent.end() && other->second != s->id) {
        auto v = om_->Find(other->second);
        Violate(4, fmt::format("posted {} for {} {} level {} while {} ({}) of that intent is open (or delayed) at the "
                               "exchange",
                               s->id.ToString().substr(0, 10), m.spec.intent.token,
                               m.spec.intent.side == Side::kBuy ? "BUY" : "SELL", m.spec.intent.level,
                               other->second.ToString().substr(0, 10),
                               v ? std::string(OrderStateName(v->state)) : std::string("unknown to execution")));
      }
      if (!Wanted(m.spec.intent, m.spec.price, m.spec.tick)) {
        Violate(7, fmt::format("posted {} {} level {} at {} though the current ladder does not want it{}",
                               m.spec.intent.token, m.spec.intent.side == Side::kBuy ? "BUY" : "SELL",
                               m.spec.intent.level, m.spec.price.units(), LadderNote()));
      }
    }
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
    // Execution learns fills from the exchange: it can lag the exchange, never lead it.
    const sim::Order* truth = exchange_.Find(o.id.ToString());
    const int64_t exchange_matched = truth == nullptr ? 0 : truth->matched.micros();
    if (o.matched.micros() > exchange_matched) {
      Violate(1, fmt::format("order {} matched {} in execution but {} at the exchange ({})", o.id.ToString(),
                             o.matched.micros(), exchange_matched, e.cause));
    }
    if (terminal_.contains(o.id) && MayBeLive(o.state)) {
      Violate(2, fmt::format("order {} went from terminal back to {}", o.id.ToString(), OrderStateName(o.state)));
    }
    if (IsTerminal(o.state)) terminal_.insert(o.id);
    if (o.intent.level != kAdoptedLevel) binding_[o.id] = o.intent;
  }

  // The counters that must stay zero.
  void CheckCounters() {
    const Counters& k = om_->counters();
    if (k.overfills > 0) Violate(1, fmt::format("{} fill reports above the original size", k.overfills));
    if (k.illegal_transitions > 0) {
      std::string which;
      for (const auto& [pair, n] : k.illegal_by_transition) which += fmt::format(" {}x{}", pair, n);
      Violate(2, fmt::format("{} illegal transitions refused:{}", k.illegal_transitions, which));
    }
    if (k.terminal_seen_open > 0) {
      Violate(3, fmt::format("{} orders held terminal were listed open", k.terminal_seen_open));
    }
  }

  // Invariant 3, per step: what execution was told is closed is terminal in its cache.
  void CheckToldClosed(const std::vector<model::OrderId>& closed, std::string_view how) {
    for (const model::OrderId& id : closed) {
      auto v = om_->Find(id);
      if (v && MayBeLive(v->state)) {
        Violate(3, fmt::format("order {} was told closed ({}) and is still {}", id.ToString(), how,
                               OrderStateName(v->state)));
      }
    }
  }

  sim::NewOrder ToNewOrder(const signing::SignedOrder& s, bool post_only) const {
    const Made& m = made_.at(s.id);
    return {.id = s.id,
            .owner = kOurKey,
            .maker = kOurAddress,
            .token = m.spec.intent.token,
            .side = m.spec.intent.side,
            .price = m.spec.price,
            .size = m.spec.size,
            .type = sim::OrderType::kGtc,
            .post_only = post_only,
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

  polymarket::CancelResult ToCancelResult(const sim::CancelOutcome& c) {
    for (const auto& [id, why] : c.not_canceled) {
      if (why.find("delay") != std::string::npos) Count(Fault::kCancelInDelay);
    }
    return {c.canceled, c.not_canceled};
  }

  // Runs a request at the exchange (or not) and queues its answer unless `reply` is false or its
  // timeout was already reported.
  void Process(Request& r, bool reply) {
    const Action& a = r.action;
    Reply answer;
    const auto queue = [&](Reply rep) {
      if (reply && !r.timed_out) answers_.push_back({r.incarnation, a.request_id, std::move(rep), now_, PostedIds(a)});
    };
    // Refused at the door: nothing was processed.
    if (Fires(rates_.not_sent, Fault::kNotSent)) {
      Trace(fmt::format("  #{} not sent", a.request_id));
      return queue(Refusal(a.kind, net::Outcome::kNotSent, 0));
    }
    if (Fires(rates_.throttled, Fault::kThrottled)) {
      Trace(fmt::format("  #{} 429", a.request_id));
      return queue(Refusal(a.kind, net::Outcome::kThrottled, 429));
    }
    if (IsOrderEndpoint(a.kind) && exchange_.EngineDown(now_)) {
      Count(Fault::kEngineDown);
      Trace(fmt::format("  #{} 425 (matching engine restarting)", a.request_id));
      return queue(Refusal(a.kind, net::Outcome::kAmbiguous, 425));
    }
    switch (a.kind) {
      case ActionKind::kPost: {
        if (Fires(rates_.whole_reject, Fault::kWholeReject)) {
          Trace(fmt::format("  #{} 400 for the whole batch", a.request_id));
          return queue(
              PostReply{.outcome = net::Outcome::kRejected, .http_status = 400, .error = "Invalid order payload"});
        }
        PostReply p{.outcome = net::Outcome::kOk, .http_status = 200};
        for (const auto& s : a.orders) {
          if (Fires(rates_.leg_reject, Fault::kLegReject)) {
            polymarket::PostOrderResult leg{.success = false, .error_msg = "could not insert order"};
            if (rng_.Chance(rates_.empty_id)) {
              Count(Fault::kEmptyId);
              leg = {.success = true};
            }
            p.legs.push_back(leg);
            continue;
          }
          const sim::PlaceResult placed = exchange_.Place(ToNewOrder(*s, a.post_only), now_);
          if (!placed.success && placed.error.find("crosses book") != std::string::npos) result_.post_only_rejects++;
          if (placed.status == "delayed") Count(Fault::kDelayed);
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
        // The live exchange serves only active orders: an unknown, closed or delayed id is "not
        // active", 200 `null` (404 in a variant). Some schedules keep the older answer for closed
        // ones (the order and its final status).
        const sim::Order* o = exchange_.Find(a.order_ids.front().ToString());
        const bool ours = o != nullptr && o->spec.owner == kOurKey;
        const bool served = ours && (o->status == sim::OrderStatus::kLive ||
                                     (rates_.lookup_legacy && o->status != sim::OrderStatus::kDelayed));
        if (served) {
          answer = QueryReply{.outcome = net::Outcome::kOk, .http_status = 200, .order = ToOpenOrder(*o)};
        } else {
          if (ours) Count(Fault::kInactiveLookup);
          answer = rates_.lookup_404 ? QueryReply{.outcome = net::Outcome::kRejected, .http_status = 404}
                                     : QueryReply{.outcome = net::Outcome::kOk, .http_status = 200};
        }
        break;
      }
      case ActionKind::kListOpenOrders: {
        // One page per round trip, by offset, as the exchange pages: the book moves between pages.
        const std::vector<const sim::Order*> open = exchange_.OpenOrders(kOurKey);
        const size_t offset = static_cast<size_t>(r.pages) * rates_.page_size;
        for (size_t i = offset; i < std::min(open.size(), offset + rates_.page_size); ++i) {
          r.listed.push_back(ToOpenOrder(*open[i]));
        }
        r.pages++;
        if (offset + rates_.page_size < open.size()) {
          Trace(fmt::format("  #{} listing page {} ({} so far)", a.request_id, r.pages, r.listed.size()));
          Request next = r;
          next.issued = now_;
          next.land_by = now_ + kMaxLatency;
          requests_.push_back(std::move(next));
          return;
        }
        if (r.pages > 1) Count(Fault::kPagedListing);
        answer = ListReply{.outcome = net::Outcome::kOk, .orders = std::move(r.listed), .pages = r.pages};
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
    if (Fires(rates_.throttled_after, Fault::kThrottledAfter)) {
      Trace(fmt::format("  #{} processed, then 429", a.request_id));
      return queue(Refusal(a.kind, net::Outcome::kThrottled, 429));
    }
    if (Fires(rates_.lost_reply, Fault::kLostReply)) {
      result_.timeouts_after_accept++;
      Trace(fmt::format("  #{} processed, answer lost (timeout)", a.request_id));
      return queue(Refusal(a.kind, net::Outcome::kAmbiguous, 0));
    }
    if (Fires(rates_.server_error, Fault::kServerError)) {
      Trace(fmt::format("  #{} processed, then 502", a.request_id));
      return queue(Refusal(a.kind, net::Outcome::kAmbiguous, 502));
    }
    if (auto* p = std::get_if<PostReply>(&answer);
        p != nullptr && reply && !r.timed_out && rates_.hold_delayed > 0 && rng_.Chance(rates_.hold_delayed)) {
      HeldAnswer held{.incarnation = r.incarnation, .request_id = a.request_id, .reply = *p, .posted = PostedIds(a)};
      for (size_t i = 0; i < p->legs.size() && i < held.posted.size(); ++i) {
        if (p->legs[i].delayed()) held.waiting.emplace(held.posted[i].ToString(), i);
      }
      if (!held.waiting.empty()) {
        Trace(fmt::format("  #{} answer held until {} delays end", a.request_id, held.waiting.size()));
        held_.push_back(std::move(held));
        return;
      }
    }
    queue(std::move(answer));
  }

  // A delayed order's delay ended: its leg of a held answer says what happened; the answer goes
  // once every leg is known.
  void ReleaseHeld(const sim::DelayReleasedOut& released) {
    for (auto it = held_.begin(); it != held_.end(); ++it) {
      auto leg = it->waiting.find(released.order_id);
      if (leg == it->waiting.end()) continue;
      polymarket::PostOrderResult& wire = it->reply.legs[leg->second];
      wire.success = released.result.success;
      wire.status = released.result.success ? released.result.status : "";
      wire.error_msg = released.result.error;
      if (wire.status == "unmatched") Count(Fault::kUnmatched);
      it->waiting.erase(leg);
      if (it->waiting.empty()) {
        Trace(fmt::format("  held answer #{} released", it->request_id));
        answers_.push_back({it->incarnation, it->request_id, std::move(it->reply), now_, std::move(it->posted)});
        held_.erase(it);
      }
      return;
    }
  }

  static std::vector<model::OrderId> PostedIds(const Action& a) {
    std::vector<model::OrderId> out;
    for (const auto& o : a.orders) out.push_back(o->id);
    return out;
  }

  static Reply Refusal(ActionKind kind, net::Outcome outcome, int status) {
    const std::optional<Nanos> retry = status == 429   ? std::optional<Nanos>(1 * kSec)
                                       : status == 425 ? std::optional<Nanos>(2 * kSec)
                                                       : std::nullopt;
    switch (kind) {
      case ActionKind::kPost:
        return PostReply{.outcome = outcome, .http_status = status, .retry_after = retry};
      case ActionKind::kCancel:
      case ActionKind::kCancelMarket:
      case ActionKind::kCancelAll:
        return CancelReply{.outcome = outcome, .http_status = status, .retry_after = retry};
      case ActionKind::kQueryOrder:
        return QueryReply{.outcome = outcome, .http_status = status};
      case ActionKind::kListOpenOrders:
        return ListReply{.outcome = outcome, .retry_after = retry};
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

  // What an answer tells execution is closed (invariant 3's per-step half).
  // A refused post proves nothing about an order an earlier send of which was answered 429: that
  // send may have been processed.
  std::vector<model::OrderId> ToldClosed(const std::vector<model::OrderId>& posted, const Reply& reply) const {
    std::vector<model::OrderId> out;
    if (const auto* c = std::get_if<CancelReply>(&reply); c != nullptr && c->outcome == net::Outcome::kOk) {
      for (const std::string& raw : c->result.canceled) {
        if (auto id = model::OrderId::Parse(raw); id.ok()) out.push_back(*id);
      }
    }
    if (const auto* q = std::get_if<QueryReply>(&reply); q != nullptr && q->outcome == net::Outcome::kOk && q->order) {
      const std::string& s = q->order->status;
      if (s == "MATCHED" || s == "CANCELED" || s == "EXPIRED") {
        if (auto id = model::OrderId::Parse(q->order->id); id.ok()) out.push_back(*id);
      }
    }
    if (const auto* p = std::get_if<PostReply>(&reply)) {
      if (p->outcome == net::Outcome::kOk && p->legs.size() == posted.size()) {
        for (size_t i = 0; i < posted.size(); ++i) {
          // `unmatched` (and an unknown status) is accepted with an unknown resting state: no proof.
          const bool refused = p->legs[i].Classify() == polymarket::PlacementClass::kRejected;
          if (refused && !IsDuplicateText(p->legs[i].error_msg) && !throttled_.contains(posted[i])) {
            out.push_back(posted[i]);
          }
        }
      } else if (p->outcome == net::Outcome::kRejected && !IsDuplicateText(p->error)) {
        for (const model::OrderId& id : posted) {
          if (!throttled_.contains(id)) out.push_back(id);
        }
      }
    }
    return out;
  }

  void Deliver(Answer& a) {
    if (a.incarnation != incarnation_) return;
    if (auto* p = std::get_if<PostReply>(&a.reply)) MutateReply(*p);
    const std::vector<model::OrderId> closed = ToldClosed(a.posted, a.reply);
    if (const auto* p = std::get_if<PostReply>(&a.reply); p != nullptr && p->outcome == net::Outcome::kThrottled) {
      throttled_.insert(a.posted.begin(), a.posted.end());
    }
    std::visit(
        [&](auto& rep) {
          using T = std::decay_t<decltype(rep)>;
          if constexpr (std::is_same_v<T, PostReply>) Core().OnPostReply(a.request_id, rep, now_);
          if constexpr (std::is_same_v<T, CancelReply>) Core().OnCancelReply(a.request_id, rep, now_);
          if constexpr (std::is_same_v<T, QueryReply>) Core().OnQueryReply(a.request_id, rep, now_);
          if constexpr (std::is_same_v<T, ListReply>) Core().OnListReply(a.request_id, rep, now_);
          if constexpr (std::is_same_v<T, HeartbeatReply>) Core().OnHeartbeatReply(a.request_id, rep, now_);
          if constexpr (std::is_same_v<T, VersionReply>) Core().OnVersionReply(a.request_id, rep, now_);
          if constexpr (std::is_same_v<T, RateTierReply>) Core().OnRateTierReply(a.request_id, rep, now_);
          if constexpr (std::is_same_v<T, TradesReply>) Core().OnTradesReply(a.request_id, rep, now_);
        },
        a.reply);
    Trace(fmt::format("deliver answer #{}", a.request_id));
    Collect();
    CheckToldClosed(closed, "answer");
  }

  // The mutations that live between the network and execution.
  void MutateReply(PostReply& rep) const {
    if (net_mutation() == NetMutation::kTimeoutIsRejection && rep.outcome == net::Outcome::kAmbiguous) {
      rep.outcome = net::Outcome::kRejected;
      rep.http_status = 400;
    }
    if (net_mutation() == NetMutation::kBatchAllOrNothing && rep.outcome == net::Outcome::kOk) {
      bool any_failed = false;
      for (const auto& leg : rep.legs) any_failed |= leg.Classify() == polymarket::PlacementClass::kRejected;
      if (any_failed) {
        for (auto& leg : rep.legs) leg = {.success = false, .error_msg = "batch failed"};
      }
    }
  }

  void PumpExchangeEvents() {
    for (sim::Event& e : exchange_.TakeEvents()) {
      if (auto* released = std::get_if<sim::DelayReleasedOut>(&e)) {
        ReleaseHeld(*released);
        continue;
      }
      auto* user = std::get_if<sim::UserEventOut>(&e);
      if (user == nullptr) continue;
      if (std::find(user->recipients.begin(), user->recipients.end(), kOurKey) == user->recipients.end()) continue;
      if (auto* trade = std::get_if<polymarket::UserTradeEvent>(&user->event)) {
        if (trade->status == polymarket::TradeStatus::kMatched) {
          result_.fills++;
          auto taker = model::OrderId::Parse(trade->taker_order_id);
          if (taker.ok() && made_.contains(*taker)) {
            Violate(8, fmt::format("our order {} took liquidity (trade {})", trade->taker_order_id, trade->id));
          }
          for (const auto& leg : trade->maker_orders) {
            auto id = model::OrderId::Parse(leg.order_id);
            if (id.ok() && made_.contains(*id) && leg.asset_id == kNo) result_.no_token_fills++;
          }
        }
      }
      user_events_.push_back({std::move(user->event), now_});
    }
  }

  void DeliverUserEvent(size_t index) {
    UserEvent e = user_events_[index];
    if (Fires(rates_.duplicate_event, Fault::kDuplicateEvent)) {
      user_events_.push_back(e);  // delivered again later
    } else {
      user_events_.erase(user_events_.begin() + static_cast<std::ptrdiff_t>(index));
    }
    std::vector<model::OrderId> closed;
    if (auto* o = std::get_if<polymarket::UserOrderEvent>(&e.event)) {
      Trace(fmt::format("user order {} {} matched={}", polymarket::OrderEventTypeName(o->type), o->id.substr(0, 10),
                        o->size_matched.micros()));
      const bool canceled = o->type == polymarket::OrderEventType::kCancellation || o->status_base == "CANCELED" ||
                            o->status_base == "INVALID";
      const bool filled = o->original_size.micros() > 0 && o->size_matched >= o->original_size;
      if (auto id = model::OrderId::Parse(o->id); id.ok() && (canceled || filled)) closed.push_back(*id);
      Core().OnUserOrder(*o, now_);
    } else if (auto* t = std::get_if<polymarket::UserTradeEvent>(&e.event)) {
      Trace(fmt::format("user trade {} {}", t->id, polymarket::TradeStatusName(t->status)));
      Core().OnUserTrade(*t, now_);
    }
    Collect();
    CheckToldClosed(closed, "user event");
  }

  // Requests due to land and answers past the client's deadline happen now.
  void DeliverOverdue() {
    for (size_t i = 0; i < requests_.size();) {
      if (now_ >= requests_[i].land_by) {
        Request r = std::move(requests_[i]);
        requests_.erase(requests_.begin() + static_cast<std::ptrdiff_t>(i));
        Trace(fmt::format("request #{} {} reaches the exchange (overdue)", r.action.request_id,
                          ActionKindName(r.action.kind)));
        Reach(r);
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

  // A request reaches the exchange (answers from an earlier incarnation are dropped on delivery).
  void Reach(Request& r) { Process(r, true); }

  // --- the world -------------------------------------------------------------------------------

  void AdvanceTime(Nanos by) {
    const Nanos target = now_ + by;
    // Requests due to land meanwhile land on time, in order: a stalled or idle process does not
    // hold up the network (without this, a request sent before an 11 s stall would land after
    // it, far outside kInFlightWindow, and into a matching delay a listing cannot see).
    for (;;) {
      auto due = std::min_element(requests_.begin(), requests_.end(),
                                  [](const Request& a, const Request& b) { return a.land_by < b.land_by; });
      if (due == requests_.end() || due->land_by > target) break;
      Request r = std::move(*due);
      requests_.erase(due);
      now_ = std::max(now_, r.land_by);
      exchange_.Advance(now_);
      PumpExchangeEvents();
      Trace(fmt::format("request #{} {} reaches the exchange (on time)", r.action.request_id,
                        ActionKindName(r.action.kind)));
      Reach(r);
    }
    now_ = target;
    exchange_.Advance(now_);
    PumpExchangeEvents();
  }

  void Timer() {
    AdvanceTime(rng_.Between(5, 300) * kMs);
    Core().OnTimer(now_);
    Collect();
    while (om_->HasPendingWork()) {
      Core().OnTimer(now_);
      Collect();
    }
    if (!kill_reason_.empty() && kill_checked_ && rng_.Chance(0.3)) {
      Trace("admin reset");
      kill_reason_.clear();
      Core().Reset(now_);
      Collect();
    }
    if (om_->phase() == Phase::kHalted && kill_reason_.empty() && rng_.Chance(0.05)) {
      Trace(fmt::format("operator resets after halt: {}", om_->halt_reason()));
      Core().Reset(now_);
      Collect();
    }
  }

  // The ladder as execution must see it: the newest sequence not past its deadline on arrival
  // (a mirror of the rules, kept by the harness, never read from the core).
  void MirrorLadder(const MarketLadder& l) {
    if (accepted_ && l.sequence <= accepted_->sequence) return;
    if (l.valid_until != 0 && now_ > l.valid_until) return;
    for (const DesiredQuote& q : l.quotes) {
      if (std::find(l.tokens.begin(), l.tokens.end(), q.intent.token) == l.tokens.end()) return;
    }
    accepted_ = l;
  }

  bool LadderLive() const {
    return accepted_ && (accepted_->valid_until == 0 || core_now_ <= accepted_->valid_until) && om_->ready();
  }

  bool Wanted(const Intent& intent, Price price, model::TickSize tick) const {
    if (!LadderLive() || tick != accepted_->tick) return false;
    for (const DesiredQuote& q : accepted_->quotes) {
      if (q.intent == intent && q.price == price) return true;
    }
    return false;
  }

  std::string LadderNote() const {
    if (!accepted_) return " (no ladder)";
    return fmt::format(" (ladder seq={} valid_until={}ms core_now={}ms ready={})", accepted_->sequence,
                       (accepted_->valid_until - start_) / kMs, (core_now_ - start_) / kMs, om_->ready());
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
      const int64_t bid = mid_ticks_ - half_spread - i;
      const int64_t ask = mid_ticks_ + half_spread + i;
      l.quotes.push_back({.intent = {.token = kYes, .side = Side::kBuy, .level = static_cast<uint32_t>(i)},
                          .price = Price(bid * t),
                          .size = size});
      l.quotes.push_back({.intent = {.token = kYes, .side = Side::kSell, .level = static_cast<uint32_t>(i)},
                          .price = Price(ask * t),
                          .size = size});
      if (rates_.no_token) {
        // The NO book mirrors YES (a NO bid at p is a YES ask at 1 - p); sometimes a tick or two
        // too keen, so that post-only orders cross (our own YES bids among others).
        const int64_t no_bid = std::clamp<int64_t>(max_ticks - ask + rng_.Between(-1, 2), 1, max_ticks - 1);
        const int64_t no_ask = std::clamp<int64_t>(max_ticks - bid + rng_.Between(-2, 1), 1, max_ticks - 1);
        l.quotes.push_back({.intent = {.token = kNo, .side = Side::kBuy, .level = static_cast<uint32_t>(i)},
                            .price = Price(no_bid * t),
                            .size = size});
        l.quotes.push_back({.intent = {.token = kNo, .side = Side::kSell, .level = static_cast<uint32_t>(i)},
                            .price = Price(no_ask * t),
                            .size = size});
      }
    }
    return l;
  }

  model::OrderId NextForeignId(uint8_t tag) {
    std::array<uint8_t, 32> bytes{};
    const uint64_t n = ++foreign_orders_;
    for (int b = 0; b < 8; ++b) bytes[static_cast<size_t>(b)] = static_cast<uint8_t>(n >> (8 * b));
    bytes[31] = tag;
    return model::OrderId(bytes);
  }

  void Taker() {
    const bool buy = rng_.Chance(0.5);
    const char* token = rates_.no_token && rng_.Chance(0.3) ? kNo : kYes;
    sim::NewOrder o{.id = NextForeignId(0xee),
                    .owner = kTakerKey,
                    .maker = kTakerAddress,
                    .token = token,
                    .side = buy ? Side::kBuy : Side::kSell,
                    .price = buy ? tick_.MaxPrice() : tick_.MinPrice(),
                    .size = Size::FromWhole(rng_.Between(1, 40)),
                    .type = sim::OrderType::kFak,
                    .version = exchange_.config().order_version};
    const sim::PlaceResult r = exchange_.Place(o, now_);
    if (r.status == "delayed") Count(Fault::kTakerDelayed);
    Trace(fmt::format("taker {} {} {} -> {} {}", token, buy ? "BUY" : "SELL", o.size.micros(), r.success, r.error));
    PumpExchangeEvents();
  }

  // Another market maker: resting orders near the middle of either token, sometimes crossing our
  // quotes (they take from us) or making ours cross (post-only refusals).
  void ForeignMaker() {
    const bool yes = !rates_.no_token || rng_.Chance(0.6);
    const int64_t t = tick_.units();
    const int64_t max_ticks = model::kPriceOne / t;
    const int64_t mid = yes ? mid_ticks_ : max_ticks - mid_ticks_;
    const bool buy = rng_.Chance(0.5);
    const int64_t ticks = std::clamp<int64_t>(mid + (buy ? -1 : 1) * rng_.Between(-1, 4), 1, max_ticks - 1);
    sim::NewOrder o{.id = NextForeignId(0xcc),
                    .owner = kMakerKey,
                    .maker = kMakerAddress,
                    .token = yes ? kYes : kNo,
                    .side = buy ? Side::kBuy : Side::kSell,
                    .price = Price(ticks * t),
                    .size = Size::FromWhole(rng_.Between(5, 40)),
                    .type = sim::OrderType::kGtc,
                    .post_only = rng_.Chance(0.5),
                    .version = exchange_.config().order_version};
    const sim::PlaceResult r = exchange_.Place(o, now_);
    if (r.success) Count(Fault::kForeignMaker);
    Trace(fmt::format("foreign maker {} {} {} @{} -> {} {}", o.token, buy ? "BUY" : "SELL", o.size.micros(),
                      o.price.units(), r.success, r.error));
    PumpExchangeEvents();
  }

  void ForeignCancel() {
    const auto open = exchange_.OpenOrders(kMakerKey);
    if (open.empty()) return;
    const std::string id = open[rng_.Below(open.size())]->spec.id.ToString();
    exchange_.Cancel(kMakerKey, {id}, now_);
    Trace("foreign maker cancels one");
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
    choices.push_back({weights_.maker, 13});
    choices.push_back({weights_.maker_cancel, 14});
    choices.push_back({weights_.engine, 15});
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
        const bool mutating = IsOrderEndpoint(r.action.kind) || r.action.kind == ActionKind::kHeartbeat;
        if (mutating && !r.timed_out && Fires(rates_.late_landing, Fault::kLateLanding)) {
          // The client gives up (a timeout) while the request still travels; it lands later.
          Trace(fmt::format("request #{} {} times out before it lands", r.action.request_id,
                            ActionKindName(r.action.kind)));
          answers_.push_back({r.incarnation, r.action.request_id, Refusal(r.action.kind, net::Outcome::kAmbiguous, 0),
                              now_, PostedIds(r.action)});
          r.timed_out = true;
          r.land_by = std::max(now_, r.issued + kInFlightWindow);
          requests_.push_back(std::move(r));
          break;
        }
        Trace(fmt::format("request #{} {} reaches the exchange", r.action.request_id, ActionKindName(r.action.kind)));
        Reach(r);
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
        if (Fires(rates_.drop_event, Fault::kDropEvent)) {
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
        history_.push_back(l);
        if (history_.size() > 8) history_.pop_front();
        Trace(fmt::format("ladder seq={} quotes={} tick={}", l.sequence, l.quotes.size(), l.tick.units()));
        MirrorLadder(l);
        Core().OnLadder(l, now_);
        Collect();
        break;
      }
      case 5:
        Taker();
        break;
      case 6: {
        result_.reconnects++;
        const size_t dropped = rng_.Chance(0.5) ? user_events_.size() : 0;
        if (dropped > 0) Count(Fault::kReconnectLoss);
        user_events_.erase(user_events_.begin(), user_events_.begin() + static_cast<std::ptrdiff_t>(dropped));
        Trace(fmt::format("user stream reconnects, {} events lost", dropped));
        Core().OnUserStreamReconnected(now_);
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
        kill_down_ = 0;
        kill_checked_ = false;
        Trace("admin kill");
        Core().Kill(kill_reason_, now_);
        Collect();
        break;
      case 9: {
        result_.tick_changes++;
        tick_ = tick_.units() == 100 ? *model::TickSize::FromUnits(10) : model::TickSize::Cent();
        mid_ticks_ = tick_.units() == 10 ? mid_ticks_ * 10 : mid_ticks_ / 10;
        exchange_.SetTickSize(kYes, tick_, now_);
        Trace(fmt::format("tick size -> {}", tick_.units()));
        if (accepted_ && accepted_->tick != tick_) accepted_->quotes.clear();
        Core().OnTickSize(kYes, tick_, now_);
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
        ExecutionDown(11 * kSec);
        break;
      case 12:
        if (history_.size() > 1) {
          // A reordered, older ladder (its own sequence, deadline and prices) arrives again.
          const MarketLadder old = history_[rng_.Below(history_.size() - 1)];
          Trace(fmt::format("older ladder seq={} again", old.sequence));
          MirrorLadder(old);
          Core().OnLadder(old, now_);
          Collect();
        }
        break;
      case 13:
        ForeignMaker();
        break;
      case 14:
        ForeignCancel();
        break;
      case 15: {
        Count(Fault::kEngineRestart);
        const Nanos down = now_ + rng_.Between(300, 3000) * kMs;
        exchange_.RestartMatchingEngine(down, down + rng_.Between(300, 3000) * kMs);
        Trace("the matching engine restarts (425, then post-only mode)");
        break;
      }
      default:
        break;
    }
  }

  // The invariants that hold after every step.
  void Observe() {
    CheckCounters();
    const std::vector<const sim::Order*> open = exchange_.OpenOrders(kOurKey);
    // 4: never two live orders at the exchange for one intent.
    std::map<std::tuple<std::string, int, uint32_t>, std::vector<model::OrderId>> live_per_intent;
    for (const sim::Order* o : open) {
      auto it = made_.find(o->spec.id);
      if (it == made_.end()) continue;
      // The intent execution last bound it to (an adopted order is re-bound by price), else the
      // one it was made for.
      Intent intent = it->second.spec.intent;
      if (auto b = binding_.find(o->spec.id); b != binding_.end()) intent = b->second;
      auto& same = live_per_intent[{intent.token, static_cast<int>(intent.side), intent.level}];
      same.push_back(o->spec.id);
      if (same.size() > 1) {
        std::string which;
        for (const model::OrderId& id : same) {
          auto v = om_->Find(id);
          which += fmt::format(" {} ({})", id.ToString().substr(0, 10),
                               v ? std::string(OrderStateName(v->state)) : std::string("unknown to execution"));
        }
        Violate(4, fmt::format("two live orders at the exchange for intent {} {} level {}:{}", intent.token,
                               intent.side == Side::kBuy ? "BUY" : "SELL", intent.level, which));
      }
    }
    // 3: every order open at the exchange is one execution holds as possibly live (once its
    // start-up is done); one it does not know at all must be found within two reconciliations.
    if (ready_once_) {
      std::set<model::OrderId> unknown;
      for (const sim::Order* o : open) {
        auto v = om_->Find(o->spec.id);
        if (v && !MayBeLive(v->state)) {
          Violate(3, fmt::format("order {} is open at the exchange but {} in execution ({})", o->spec.id.ToString(),
                                 OrderStateName(v->state), v->reason));
        } else if (!v) {
          unknown.insert(o->spec.id);
          const Nanos since = orphans_.emplace(o->spec.id, now_).first->second;
          if (now_ - since > kOrphanBound) {
            Violate(3, fmt::format("order {} open at the exchange, unknown to execution for {} s",
                                   o->spec.id.ToString(), (now_ - since) / kSec));
          }
        }
      }
      std::erase_if(orphans_, [&](const auto& kv) { return !unknown.contains(kv.first); });
    }
    // 6 and 7: an order that is no longer wanted is being cancelled.
    const bool killed = !kill_reason_.empty();
    for (const OrderView& v : om_->Orders()) {
      const bool working = v.state == OrderState::kLive || v.state == OrderState::kPartiallyFilled ||
                           v.state == OrderState::kPendingSubmit;
      if (!working) continue;  // PENDING_CANCEL, UNKNOWN (a query settles it first) or terminal
      if (killed) {
        Violate(6, fmt::format("killed, yet order {} is {} and not being cancelled", v.id.ToString(),
                               OrderStateName(v.state)));
        continue;
      }
      if (v.intent.level == kAdoptedLevel && !accepted_) continue;  // waits for its ladder
      if (!Wanted(v.intent, v.price, v.tick)) {
        Violate(7, fmt::format("order {} ({} {} level {} at {}) is {} though the ladder no longer wants it{}",
                               v.id.ToString(), v.intent.token, v.intent.side == Side::kBuy ? "BUY" : "SELL",
                               v.intent.level, v.price.units(), OrderStateName(v.state), LadderNote()));
      }
    }
    if (killed && !kill_checked_ && now_ - killed_at_ - kill_down_ >= kKillBound) {
      kill_checked_ = true;
      if (!open.empty()) {
        Violate(6, fmt::format("{} orders still live {} s after the kill ({} s of it with execution down or stalled)",
                               open.size(), (now_ - killed_at_) / kSec, kill_down_ / kSec));
      }
    }
  }

  // The exchange goes quiet: no faults, no new flow; the invariants still hold at every step,
  // and at the end execution's live set equals the exchange's open set (invariant 3, converged).
  void Quiesce() {
    quiet_ = true;
    Trace("quiesce");
    Core().ReconcileNow(now_);
    Collect();
    for (int i = 0; i < 600; ++i) {
      while (!requests_.empty()) {
        Request r = std::move(requests_.front());
        requests_.pop_front();
        Reach(r);
      }
      while (!answers_.empty()) {
        Answer a = std::move(answers_.front());
        answers_.pop_front();
        Deliver(a);
      }
      while (!user_events_.empty()) DeliverUserEvent(0);
      AdvanceTime(100 * kMs);
      Core().OnTimer(now_);
      Collect();
      ++step_;
      Observe();
    }
    std::map<model::OrderId, int64_t> ours;
    for (const OrderView& v : om_->Orders()) {
      if (MayBeLive(v.state)) ours.emplace(v.id, v.matched.micros());
    }
    std::map<model::OrderId, int64_t> theirs;
    for (const sim::Order* o : exchange_.OpenOrders(kOurKey)) theirs.emplace(o->spec.id, o->matched.micros());
    if (ours != theirs) {
      std::string detail;
      for (const auto& [id, matched] : ours) {
        auto t = theirs.find(id);
        if (t == theirs.end()) {
          detail +=
              fmt::format(" cache-only {} {};", id.ToString().substr(0, 12), OrderStateName(om_->Find(id)->state));
        } else if (t->second != matched) {
          detail += fmt::format(" {} matched {} vs {};", id.ToString().substr(0, 12), matched, t->second);
        }
      }
      for (const auto& [id, matched] : theirs) {
        if (!ours.contains(id)) {
          auto v = om_->Find(id);
          detail += fmt::format(" exchange-only {} ({});", id.ToString().substr(0, 12),
                                v ? std::string(OrderStateName(v->state)) : std::string("unknown to execution"));
        }
      }
      Violate(3, fmt::format("after quiet, live sets differ ({} vs {}):{}", ours.size(), theirs.size(), detail));
    }
    if (!kill_reason_.empty() && !theirs.empty()) Violate(6, "killed, yet orders are live after quiet");
    CheckCounters();
  }

  uint64_t seed_;
  Rng rng_;
  Options options_;
  const MutationEntry* mutation_;
  sim::Exchange exchange_;
  FaultRates rates_;
  Weights weights_;
  ScheduleResult result_;
  std::map<model::OrderId, Made> made_;
  std::unique_ptr<Factory> factory_;
  std::unique_ptr<OrderManager> om_;
  int incarnation_ = 0;
  int64_t step_ = 0;
  const Nanos start_ = 1'750'000'000 * kSec;
  Nanos now_ = start_;
  Nanos core_now_ = start_;
  std::deque<Request> requests_;
  std::deque<Answer> answers_;
  std::deque<UserEvent> user_events_;
  std::vector<HeldAnswer> held_;  // post answers the exchange holds until delays end
  // Per incarnation.
  std::map<model::OrderId, int64_t> last_matched_;
  std::set<model::OrderId> terminal_;
  std::optional<MarketLadder> accepted_;
  bool ready_once_ = false;
  std::map<model::OrderId, Nanos> orphans_;  // open at the exchange, unknown to execution, since
  // Across incarnations.
  std::map<model::OrderId, Intent> binding_;
  std::set<model::OrderId> throttled_;  // orders a post of which was answered 429
  model::TickSize tick_ = model::TickSize::Cent();
  int64_t mid_ticks_ = 50;
  uint64_t ladder_sequence_ = 0;
  std::deque<MarketLadder> history_;  // the last ladders sent, newest last
  uint64_t foreign_orders_ = 0;
  std::string kill_reason_;
  Nanos killed_at_ = 0;
  Nanos kill_down_ = 0;  // since the kill: time with no execution running (restart gaps, stalls)
  bool kill_checked_ = false;
  bool quiet_ = false;
};

}  // namespace

std::string_view FaultName(Fault fault) {
  switch (fault) {
    case Fault::kNotSent:
      return "not_sent";
    case Fault::kThrottled:
      return "throttled";
    case Fault::kThrottledAfter:
      return "throttled_after_processing";
    case Fault::kLostReply:
      return "answer_lost";
    case Fault::kLateLanding:
      return "landed_after_timeout";
    case Fault::kServerError:
      return "server_error_after_processing";
    case Fault::kWholeReject:
      return "whole_batch_4xx";
    case Fault::kLegReject:
      return "leg_refused";
    case Fault::kEmptyId:
      return "empty_id";
    case Fault::kEngineDown:
      return "engine_425";
    case Fault::kEngineRestart:
      return "engine_restarts";
    case Fault::kPagedListing:
      return "paged_listings";
    case Fault::kDuplicateEvent:
      return "duplicate_event";
    case Fault::kDropEvent:
      return "dropped_event";
    case Fault::kReconnectLoss:
      return "reconnect_lost_events";
    case Fault::kForeignMaker:
      return "foreign_maker_orders";
    case Fault::kDelayed:
      return "delayed";
    case Fault::kUnmatched:
      return "unmatched";
    case Fault::kCancelInDelay:
      return "cancel_refused_in_delay";
    case Fault::kTakerDelayed:
      return "taker_delayed";
    case Fault::kInactiveLookup:
      return "inactive_lookup";
    case Fault::kCount:
      break;
  }
  return "?";
}

const std::vector<MutationInfo>& Mutations() {
  static const std::vector<MutationInfo> kInfos = [] {
    std::vector<MutationInfo> out;
    for (const MutationEntry& m : MutationTable()) out.push_back(m.info);
    return out;
  }();
  return kInfos;
}

ScheduleResult RunSchedule(uint64_t seed, const Options& options) {
  const MutationEntry* mutation = options.mutation.empty() ? nullptr : FindMutation(options.mutation);
  Schedule schedule(seed, options, mutation);
  return schedule.Run();
}

}  // namespace clobmaker::execution::racesim
