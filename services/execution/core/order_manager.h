// The OrderManager: execution's functional core and the only authority on order state.
//
// No I/O, clock or randomness of its own: every input carries `now`, orders are made by an
// injected OrderFactory (the shell's signs with the wallet key), and every decision comes out as
// an Action for the shell to perform, whose answer comes back as another input with the action's
// request id. Every state change comes out as an OrderEvent (published to CM_ORDERS).
//
// Rules (design.md s3-5 and the review in ../shared/seed/):
//  - One state machine (order_state.h); an illegal transition is counted and not applied.
//  - Cancels first, and never gated by backoff, rate pressure, a pending submit or a kill; posts
//    are shed under pressure and wait for the heartbeat chain, a known order version and the end
//    of start-up.
//  - A new order for an intent only when every earlier order of that intent is proven dead.
//  - An ambiguous outcome is UNKNOWN, resolved by a targeted query, the user stream or a listing.
//    "Proven absent" is only accepted for an order with no request in flight and whose last send
//    is older than `absent_grace` (a delayed request could still land).
//  - A retry after a refusal that did not process the request (429, 425, not sent) re-sends the
//    same signed order; a duplicate answer means the order exists (UNKNOWN), never a rejection.
//  - Cancel escalation per market: by id (retries) -> cancel-market-orders -> cancel-all ->
//    verify by listing -> halt.
//  - The exchange's per-signer limits (docs/execution.md "Rate limits"): both buckets are sized
//    from the signer's tier (learnt at start-up, Standard until then), re-synchronised from every
//    answer's Poly-RateLimit-* headers; a batch never costs more than its bucket holds or its
//    burst; posts leave the cancel bucket enough to cancel everything open (a kill's cancel-all
//    costs 1 + n) and are shed deepest level first; a 429 is never a rejection.
//  - The 2026 statuses: `delayed` is accepted and in flight (never a fill); `unmatched` and an
//    unknown status are accepted with an unknown resting state (UNKNOWN: a query or a listing
//    resolves it); a cancel refused because the order sits in a matching delay is retried after
//    it; a lookup answering 200-null, 200-empty or 404 means "not active", resolved through
//    /data/trades once the market's delay and the absent grace have passed.
//
// The manager is the coordinator: start-up, the requests it has out, the kill switch and halts,
// and the dispatch of every input. The parts, one job each: OrderBook (the cache and the one
// place transitions are applied), Budgets (what may be spent, post backoff, held quotes),
// HeartbeatChain, CancelEscalation, Reconciler (listings) and LadderStepper (ladders -> orders).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "services/execution/core/budgets.h"
#include "services/execution/core/cancel_escalation.h"
#include "services/execution/core/heartbeat_chain.h"
#include "services/execution/core/ladder_stepper.h"
#include "services/execution/core/order_book.h"
#include "services/execution/core/reconciler.h"
#include "services/execution/core/types.h"

namespace clobmaker::execution {

class OrderManager {
 public:
  OrderManager(OrderManagerConfig config, OrderFactory* factory);
  // The parts refer to each other and to the configuration: neither copied nor moved.
  OrderManager(const OrderManager&) = delete;
  OrderManager& operator=(const OrderManager&) = delete;

  // --- lifecycle -------------------------------------------------------------------------------
  // Starts the heartbeat chain and the version lookup, then lists what is open, cancels all and
  // verifies by an empty listing (or, with `adopt`, seeds the cache from the listing). Orders the
  // first listing showed that the cache does not hold (a crashed incarnation's) are reported
  // CANCELED once the cancel-all is verified. Ladders are acted on once ready.
  void Start(bool adopt, Nanos now);

  // --- inputs ----------------------------------------------------------------------------------
  // By value: callers hand their ladder over (std::move) and nothing is copied.
  void OnLadder(MarketLadder ladder, Nanos now);
  // The market data's tick for a token changed: orders on the old grid are cancelled now.
  void OnTickSize(const std::string& token, model::TickSize tick, Nanos now);
  void OnPostReply(uint64_t request_id, const PostReply& reply, Nanos now);
  void OnCancelReply(uint64_t request_id, const CancelReply& reply, Nanos now);
  void OnQueryReply(uint64_t request_id, const QueryReply& reply, Nanos now);
  void OnListReply(uint64_t request_id, const ListReply& reply, Nanos now);
  void OnHeartbeatReply(uint64_t request_id, const HeartbeatReply& reply, Nanos now);
  void OnVersionReply(uint64_t request_id, const VersionReply& reply, Nanos now);
  void OnRateTierReply(uint64_t request_id, const RateTierReply& reply, Nanos now);
  void OnTradesReply(uint64_t request_id, const TradesReply& reply, Nanos now);
  // A market's matching delay (GET /clob-markets: sd, itode): lookups wait at least this long
  // before an order of it can be proven absent, and refused cancels are retried after it.
  void SetMarketDelay(const std::string& market, Nanos delay) { reconciler_.SetMarketDelay(market, delay); }
  void OnUserOrder(const polymarket::UserOrderEvent& event, Nanos now);
  void OnUserTrade(const polymarket::UserTradeEvent& event, Nanos now);
  void OnUserStreamReconnected(Nanos now);
  // Timers and follow-up work: call every few tens of milliseconds, and at once whenever
  // HasPendingWork() (more batches are ready to sign).
  void OnTimer(Nanos now);

  // --- admin -----------------------------------------------------------------------------------
  void Kill(const std::string& reason, Nanos now);
  // Clears a kill; after a halt, runs start-up again.
  void Reset(Nanos now);
  void PauseMarket(const std::string& market, Nanos now);
  void ResumeMarket(const std::string& market, Nanos now);
  void CancelAll(const std::string& reason, Nanos now);
  void ReconcileNow(Nanos now);

  // --- outputs ---------------------------------------------------------------------------------
  std::vector<Action> TakeActions();
  std::vector<OrderEvent> TakeEvents();
  bool HasPendingWork() const { return pending_work_; }

  // --- observation -----------------------------------------------------------------------------
  Phase phase() const { return phase_; }
  bool ready() const { return phase_ == Phase::kReady && !killed(); }
  bool killed() const { return !kill_reason_.empty(); }
  const std::string& kill_reason() const { return kill_reason_; }
  const std::string& halt_reason() const { return halt_reason_; }
  bool heartbeat_ok() const { return heartbeat_.ok(); }
  const std::string& heartbeat_id() const { return heartbeat_.id(); }
  Nanos last_heartbeat_ok() const { return heartbeat_.last_ok(); }
  // Why the heartbeat chain last broke ("" if it never did).
  const std::string& heartbeat_break_reason() const { return heartbeat_.break_reason(); }
  std::optional<int> order_version() const { return version_; }
  bool posting_allowed(Nanos now) const;
  const Counters& counters() const { return counters_; }
  double budget_available(ActionKind kind, Nanos now);
  const RateBudgetConfig& budget_config(ActionKind kind) const { return budgets_.config(kind); }
  polymarket::RateTier rate_tier() const { return budgets_.rate_tier(); }
  bool rate_tier_confirmed() const { return budgets_.rate_tier_confirmed(); }
  polymarket::TradingRestriction restriction(Nanos now) const { return budgets_.restriction(now); }
  std::vector<OrderView> Orders() const;
  std::optional<OrderView> Find(const model::OrderId& id) const;
  std::vector<std::string> PausedMarkets() const { return {paused_.begin(), paused_.end()}; }
  size_t inflight_requests() const { return requests_.size(); }
  // The earliest deadline of a ladder still acted on: the market is re-diffed (and its quotes
  // cancelled) at the first step after it, whatever else happens. Shells may arm a timer on it.
  std::optional<Nanos> next_ladder_deadline() const { return ladders_.next_deadline(); }

 private:
  struct Request {
    ActionKind kind;
    std::vector<model::OrderId> orders;
    std::string market;
    Nanos sent = 0;
    bool startup = false;
    int64_t cost = 0;  // tokens of its bucket it was charged
  };

  // `counted`: the caller already raised the records' requests_in_flight (it had them at hand).
  uint64_t Issue(Action action, Request request, Nanos now, bool counted = false);
  void IssueCancelAll(Nanos now, bool startup = false);
  void ReleaseRequest(const Request& req);
  std::optional<Request> TakeRequest(uint64_t request_id);

  void Step(Nanos now);
  void StepHeartbeat(Nanos now);
  void StepQueries(Nanos now);
  void StepCancels(Nanos now);
  void SendCancels(std::vector<model::OrderId> ids, Nanos now, std::string_view cause);
  void SendCancels(const std::vector<std::pair<model::OrderId, Record*>>& targets, Nanos now, std::string_view cause);
  void SendPosts(std::vector<Record*> batch, Nanos now);
  void FlushCancelQueue(Nanos now);
  void ResolveNotActive(Record& r, Nanos now);
  void AddTradeLeg(Record& r, const std::string& key, model::Size size, Nanos now);
  int64_t OpenOrderCount() const;
  void StartListing(Nanos now, bool startup);
  void StartupStep(Nanos now);
  void Halt(const std::string& reason, Nanos now);
  void ChainBroken(const std::string& why, Nanos now);
  void OnProvenAbsent(Record& r, Nanos now, std::string_view cause);
  void AdoptOrder(const polymarket::OpenOrder& open, Nanos now);
  // Start-up: the listed orders the cache does not hold; after the verified cancel-all, each is
  // reported CANCELED (with market and token from the listing).
  void NoteStartupListing(const std::map<model::OrderId, const polymarket::OpenOrder*>& open);
  void ReportStartupUnknown(Nanos now);
  void Reconcile(const std::map<model::OrderId, const polymarket::OpenOrder*>& open, int pages, const Request& req,
                 Nanos now);

  OrderManagerConfig config_;
  OrderFactory* factory_;
  Counters counters_;
  // The parts (constructed in this order: each may refer to the ones before).
  OrderBook book_;
  Budgets budgets_;
  HeartbeatChain heartbeat_;
  CancelEscalation escalation_;
  Reconciler reconciler_;
  LadderStepper ladders_;

  Phase phase_ = Phase::kIdle;
  bool adopt_ = false;
  int startup_attempts_ = 0;
  int startup_list_attempts_ = 0;
  int startup_delay_rounds_ = 0;  // cancel-alls repeated because orders sat in a delay
  Nanos startup_not_before_ = 0;
  std::map<model::OrderId, polymarket::OpenOrder> startup_unknown_;
  std::string kill_reason_;
  std::string halt_reason_;
  std::set<std::string> paused_;
  std::map<uint64_t, Request> requests_;
  uint64_t next_request_ = 1;
  std::vector<Action> actions_;
  bool pending_work_ = false;
  bool cancel_all_in_flight_ = false;
  bool cancel_all_wanted_ = false;           // a cancel-all waits for a cancel token
  std::deque<model::OrderId> cancel_queue_;  // cancels waiting for tokens, oldest first
  // version
  std::optional<int> version_;
  bool version_in_flight_ = false;
  Nanos next_version_try_ = 0;
};

}  // namespace clobmaker::execution
