// The OrderManager: execution's functional core and the only authority on order state.
//
// No I/O, clock or randomness of its own: every input carries `now`, orders are made by an
// injected OrderFactory (the shell's signs with the wallet key), and every decision comes out as
// an Action for the shell to perform, whose answer comes back as another input with the action's
// request id. Every state change comes out as an OrderEvent (published to CM_ORDERS).
//
// Rules (design.md s3-5 and the review in ../shared/seed/):
//  - One transition table (order_state.h); an illegal transition is counted and not applied.
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
#pragma once

#include <absl/status/statusor.h>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/core/clock.h"
#include "common/model/types.h"
#include "common/net/http.h"
#include "common/polymarket/events.h"
#include "common/polymarket/rate_limits.h"
#include "common/signing/order.h"
#include "services/execution/core/ladder_diff.h"
#include "services/execution/core/order_state.h"
#include "services/execution/core/rate_budget.h"

namespace clobmaker::execution {

// An intent's level for orders adopted from the exchange before a ladder claims them.
inline constexpr uint32_t kAdoptedLevel = UINT32_MAX;

// A market's full desired state (design.md s2: state, not a command).
struct MarketLadder {
  std::string market;               // condition id
  std::vector<std::string> tokens;  // every token of the market (for cancel-market-orders)
  model::TickSize tick;             // the grid the ladder was computed on
  bool neg_risk = false;
  uint64_t sequence = 0;
  Nanos valid_until = 0;  // wall ns; past it the desired set is empty
  std::vector<DesiredQuote> quotes;
};

// What the factory must make into a signed order.
struct OrderSpec {
  std::string market;
  Intent intent;
  model::Price price;
  model::Size size;
  model::TickSize tick;
  bool neg_risk = false;
  int version = 2;
  Nanos now = 0;
};

class OrderFactory {
 public:
  virtual ~OrderFactory() = default;
  virtual absl::StatusOr<signing::SignedOrder> Make(const OrderSpec& spec) = 0;
};

enum class ActionKind : uint8_t {
  kPost,            // POST /order or /orders (post-only quotes)
  kCancel,          // DELETE /orders by id
  kCancelMarket,    // DELETE /cancel-market-orders
  kCancelAll,       // DELETE /cancel-all
  kQueryOrder,      // GET /data/order/{id}
  kListOpenOrders,  // GET /data/orders, every page
  kHeartbeat,       // POST /v1/heartbeats
  kGetVersion,      // GET /version
  kGetRateTier,     // GET /v1/user/rate-limit-tier
  kQueryTrades,     // GET /data/trades for a market since `after_s` (resolves an order not active)
};
std::string_view ActionKindName(ActionKind kind);

struct Action {
  ActionKind kind = ActionKind::kPost;
  uint64_t request_id = 0;
  std::vector<std::shared_ptr<const signing::SignedOrder>> orders;  // kPost
  bool post_only = true;                                            // kPost
  std::vector<model::OrderId> order_ids;                            // kCancel, kQueryOrder (one)
  std::string market;                                               // kCancelMarket
  std::string token;                                                // kCancelMarket
  std::string heartbeat_id;                                         // kHeartbeat ("" starts a chain)
  int64_t after_s = 0;                                              // kQueryTrades
};

// The answers to actions.
struct PostReply {
  net::Outcome outcome = net::Outcome::kAmbiguous;
  int http_status = 0;
  std::vector<polymarket::PostOrderResult> legs;  // kOk: one per order, in order
  std::string error;                              // the error body's message, if any
  std::string error_code;                         // the error body's code (post_only_mode)
  std::optional<Nanos> retry_after;
  polymarket::RateLimitHeaders rate_limit;
};
struct CancelReply {
  net::Outcome outcome = net::Outcome::kAmbiguous;
  int http_status = 0;
  polymarket::CancelResult result;  // kOk
  std::optional<Nanos> retry_after;
  polymarket::RateLimitHeaders rate_limit;
  std::string error;
};
struct QueryReply {
  net::Outcome outcome = net::Outcome::kAmbiguous;
  // kOk without an order (the 200 empty / null answer) or 404: not active at the exchange.
  int http_status = 0;
  std::optional<polymarket::OpenOrder> order;
  std::optional<Nanos> retry_after;
};
struct TradesReply {
  net::Outcome outcome = net::Outcome::kAmbiguous;
  std::vector<polymarket::UserTradeEvent> trades;  // kOk: every page
  std::optional<Nanos> retry_after;
};
struct RateTierReply {
  net::Outcome outcome = net::Outcome::kAmbiguous;
  std::optional<polymarket::RateTier> tier;
};
struct ListReply {
  net::Outcome outcome = net::Outcome::kAmbiguous;
  std::vector<polymarket::OpenOrder> orders;  // kOk: the complete listing (all pages)
  std::optional<Nanos> retry_after;
};
struct HeartbeatReply {
  net::Outcome outcome = net::Outcome::kAmbiguous;
  std::string heartbeat_id;  // the next id
  std::string error;         // e.g. "Invalid Heartbeat ID": the chain is broken
  std::optional<Nanos> retry_after;
};
struct VersionReply {
  net::Outcome outcome = net::Outcome::kAmbiguous;
  int version = 0;
};

// A snapshot of one order, as published.
struct OrderView {
  model::OrderId id;
  std::string market;
  Intent intent;
  model::Price price;
  model::Size original;
  model::Size matched;
  model::TickSize tick;
  OrderState state = OrderState::kPendingSubmit;
  bool post_only = true;
  bool adopted = false;
  int version = 2;
  Nanos created = 0;
  Nanos updated = 0;
  std::string reason;  // of the last change (exchange error, cancel reason, ...)
};

struct OrderEvent {
  OrderView order;
  OrderState previous = OrderState::kPendingSubmit;
  bool created = false;  // first event of this order
  std::string cause;     // the input, e.g. "submit_accepted", "user:UPDATE"
};

enum class Phase : uint8_t { kIdle, kStarting, kCancelingAll, kVerifying, kAdopting, kReady, kHalted };
std::string_view PhaseName(Phase phase);

struct OrderManagerConfig {
  int max_batch = 15;
  int lead_batch = 2;                        // the first post batch after a change: top of the ladder out first
  Nanos query_after = 1 * kNanosPerSecond;   // UNKNOWN waits this long for the stream first
  Nanos absent_grace = 3 * kNanosPerSecond;  // a request may land this long after it was sent
  Nanos cancel_retry_after = 1 * kNanosPerSecond;
  int cancel_by_id_attempts = 3;
  Nanos escalation_step = 2 * kNanosPerSecond;
  Nanos heartbeat_interval = 5 * kNanosPerSecond;
  Nanos heartbeat_timeout = 10 * kNanosPerSecond;  // the exchange's: past it, assume all canceled
  Nanos heartbeat_retry = 1 * kNanosPerSecond;
  Nanos reconcile_interval = 30 * kNanosPerSecond;
  Nanos request_retry = 1 * kNanosPerSecond;  // version, listing, start-up steps
  Nanos post_backoff_initial = 1 * kNanosPerSecond;
  Nanos post_backoff_max = 30 * kNanosPerSecond;
  int startup_attempts = 5;
  Nanos adopt_grace = 30 * kNanosPerSecond;  // adopted orders wait this long for their ladder
  // A refused quote is not posted again at the same price before this (doubling per refusal):
  // no churn loop on a post-only cross or a balance refusal.
  Nanos reject_backoff_initial = 1 * kNanosPerSecond;
  Nanos reject_backoff_max = 60 * kNanosPerSecond;
  Nanos retain_terminal = 10 * 60 * kNanosPerSecond;
  double refill_below = 0.5;
  // The order and cancel buckets are sized from the signer's tier (Standard until the exchange
  // says otherwise); `rate_share` of the tier's rate and burst, for a signer shared with other
  // writers. `post_budget` / `cancel_budget`, when set, cap them further (--post-rate).
  polymarket::RateTier rate_tier = polymarket::RateTier::kStandard;
  double rate_share = 1.0;
  // Off (benchmarks, simulations without a limiter): the buckets are `post_budget` /
  // `cancel_budget` as given, whatever the tier.
  bool rate_limits = true;
  std::optional<RateBudgetConfig> post_budget;
  std::optional<RateBudgetConfig> cancel_budget;
  RateBudgetConfig query_budget{.capacity = 100, .refill_per_second = 10, .reserve = 0};
  Nanos rate_tier_refresh = 3 * 3600 * kNanosPerSecond;  // the exchange refreshes tiers this often
  Nanos throttle_backoff = 1 * kNanosPerSecond;          // a 429 without Retry-After waits at least this
  // The matching delay assumed for a `delayed` answer when the market's is not known.
  Nanos default_matching_delay = 3 * kNanosPerSecond;
  // A trading restriction without a retry hint (cancel-only, disabled, closed-only) is probed
  // again after this.
  Nanos restriction_probe_after = 30 * kNanosPerSecond;
};

struct Counters {
  uint64_t ladders = 0, ladders_stale = 0, ladders_expired = 0, ladders_refused = 0;
  uint64_t orders_created = 0, sign_failures = 0;
  uint64_t posts_sent = 0, post_requests = 0, posts_shed = 0, posts_resent = 0;
  uint64_t accepted = 0, rejected = 0, ambiguous = 0, version_mismatches = 0, duplicates = 0;
  uint64_t cancels_sent = 0, cancel_requests = 0, cancel_market_requests = 0, cancel_all_requests = 0;
  uint64_t queries = 0, listings = 0, reconciles = 0;
  uint64_t illegal_transitions = 0, overfills = 0, unknown_order_events = 0, malformed_events = 0;
  uint64_t orphans_canceled = 0, terminal_seen_open = 0, proven_absent = 0;
  uint64_t heartbeats_ok = 0, heartbeat_failures = 0, heartbeat_chain_breaks = 0;
  uint64_t throttled = 0, escalations = 0, kills = 0, halts = 0;
  uint64_t fills_from_trades = 0, duplicate_trade_legs = 0, posts_held_after_reject = 0;
  uint64_t delayed = 0, unmatched = 0, unknown_placement_statuses = 0, cancels_refused_in_delay = 0;
  uint64_t not_active_lookups = 0, trade_queries = 0, posts_shed_cancel_reserve = 0, cancels_waiting_tokens = 0;
  uint64_t rate_headers_missing = 0, rate_headers_garbled = 0, rate_warnings = 0, rate_resyncs = 0;
  uint64_t restrictions = 0;
  // 429 answers by endpoint (ActionKindName: post, cancel, cancel_all, query_order, ...).
  std::map<std::string, uint64_t> throttled_by_endpoint;
  // Rejections by RejectReasonClass (a fixed, small set: safe as metric labels).
  std::map<std::string, uint64_t> rejects_by_reason;
};

// The class of an exchange rejection's text: post_only_cross, tick_size, min_size, balance,
// expiration, version_mismatch, market_closed, engine_unavailable, auth, invalid_order, other.
std::string_view RejectReasonClass(std::string_view error);

class OrderManager {
 public:
  OrderManager(OrderManagerConfig config, OrderFactory* factory);

  // --- lifecycle -------------------------------------------------------------------------------
  // Starts the heartbeat chain and the version lookup, then cancel-all verified by an empty
  // listing (or, with `adopt`, seeds the cache from the listing). Ladders are acted on once ready.
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
  void SetMarketDelay(const std::string& market, Nanos delay);
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
  bool heartbeat_ok() const { return heartbeat_ok_; }
  const std::string& heartbeat_id() const { return heartbeat_id_; }
  Nanos last_heartbeat_ok() const { return last_heartbeat_ok_; }
  std::optional<int> order_version() const { return version_; }
  bool posting_allowed(Nanos now) const;
  const Counters& counters() const { return counters_; }
  double budget_available(ActionKind kind, Nanos now);
  std::vector<OrderView> Orders() const;
  std::optional<OrderView> Find(const model::OrderId& id) const;
  std::vector<std::string> PausedMarkets() const { return {paused_.begin(), paused_.end()}; }
  size_t inflight_requests() const { return requests_.size(); }
  polymarket::RateTier rate_tier() const { return rate_tier_; }
  bool rate_tier_confirmed() const { return rate_tier_confirmed_; }
  const RateBudgetConfig& budget_config(ActionKind kind) const;
  polymarket::TradingRestriction restriction(Nanos now) const {
    return now < restriction_until_ ? restriction_ : polymarket::TradingRestriction::kNone;
  }

 private:
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
    std::map<std::string, int64_t> trade_legs;  // trade id + leg -> matched micros
  };
  struct Market {
    std::optional<MarketLadder> ladder;
    // The market's orders that may still be live, ordered by id (deterministic iteration); the
    // pointers are stable (unordered_map nodes) and removed before their record is.
    std::map<model::OrderId, Record*> orders;
    int escalation = 0;  // 0 by id, 1 market, 2 all, 3 verify, 4 halt
    Nanos next_escalation = 0;
    Nanos diff_not_before = 0;
    bool dirty = false;
    bool lead_sent = false;  // the lead batch after the last change has gone
    std::set<std::string> tokens;
  };
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
  Record* FindRecord(const model::OrderId& id);
  void Apply(Record& r, OrderInput input, Nanos now, std::string_view cause, std::string reason = {});
  void ReportMatched(Record& r, model::Size total, Nanos now, std::string_view cause);
  void Emit(const Record& r, OrderState previous, bool created, std::string_view cause);
  void MarkDirty(const std::string& market);
  void Retire(Record& r, Nanos now);
  void ReleaseRequest(const Request& req, Nanos now);

  void Step(Nanos now);
  void StepHeartbeat(Nanos now);
  void StepQueries(Nanos now);
  void StepCancels(Nanos now);
  void StepMarket(const std::string& market_id, Market& market, Nanos now, bool& signed_batch);
  void SendCancels(std::vector<model::OrderId> ids, Nanos now, std::string_view cause);
  void SendCancels(const std::vector<std::pair<model::OrderId, Record*>>& targets, Nanos now, std::string_view cause);
  void SendPosts(Market& market, std::vector<Record*> batch, Nanos now);
  void FlushCancelQueue(Nanos now);
  void Escalate(const std::string& market_id, Market& market, Nanos now);
  void RestartCancelLadder(Market& market);
  void StartListing(Nanos now, bool startup);
  void StartupStep(Nanos now);
  void Halt(const std::string& reason, Nanos now);
  void ChainBroken(const std::string& why, Nanos now);
  void Collect(Nanos now);
  void OnProvenAbsent(Record& r, Nanos now, std::string_view cause);
  bool AbsentProvable(const Record& r, Nanos as_of) const;
  void PostBackoff(std::optional<Nanos> hint, Nanos now);
  void RememberRejection(const Record& r, Nanos now);
  void AdoptOrder(const polymarket::OpenOrder& open, Nanos now);
  // Rate limits.
  void ApplyTier(polymarket::RateTier tier, bool confirmed, Nanos now);
  void SyncBucket(ActionKind kind, const polymarket::RateLimitHeaders& headers, Nanos now);
  void CountThrottled(ActionKind kind);
  static bool UsesCancelBucket(ActionKind kind) {
    return kind == ActionKind::kCancel || kind == ActionKind::kCancelMarket || kind == ActionKind::kCancelAll;
  }
  int64_t OpenOrderCount() const;
  void SendCancelAll(Nanos now);
  void CancelEverything(std::string_view cause, Nanos now);
  void Restrict(polymarket::TradingRestriction restriction, std::optional<Nanos> retry_after, Nanos now);
  Nanos DelayOf(const std::string& market) const;
  void ResolveNotActive(Record& r, Nanos now);
  void AddTradeLeg(Record& r, const std::string& trade_id, const std::string& leg_key, model::Size size, Nanos now);

  OrderManagerConfig config_;
  OrderFactory* factory_;
  Counters counters_;
  Phase phase_ = Phase::kIdle;
  bool adopt_ = false;
  int startup_attempts_ = 0;
  Nanos startup_not_before_ = 0;
  std::string kill_reason_;
  std::string halt_reason_;
  std::unordered_map<model::OrderId, Record> orders_;
  std::map<std::string, Market> markets_;
  std::map<std::string, std::string> token_market_;
  struct RejectMemo {
    model::Price price;
    Nanos retry_at = 0;
    Nanos backoff = 0;
  };
  std::map<Intent, RejectMemo> reject_memo_;
  std::set<std::string> paused_;
  std::map<uint64_t, Request> requests_;
  uint64_t next_request_ = 1;
  std::vector<Action> actions_;
  std::vector<OrderEvent> events_;
  bool pending_work_ = false;

  // heartbeat chain
  bool heartbeat_ok_ = false;
  bool heartbeat_in_flight_ = false;
  std::string heartbeat_id_;
  Nanos last_heartbeat_ok_ = 0;
  Nanos next_heartbeat_ = 0;
  // version
  std::optional<int> version_;
  bool version_in_flight_ = false;
  Nanos next_version_try_ = 0;
  // listing / reconciliation
  bool listing_in_flight_ = false;
  bool resync_pending_ = false;  // posts wait for a listing after the chain broke
  Nanos next_reconcile_ = 0;
  Nanos next_listing_try_ = 0;
  bool listing_wanted_ = false;
  bool cancel_all_in_flight_ = false;
  bool cancel_all_wanted_ = false;  // a cancel-all waits for a cancel token
  // posts
  Nanos post_backoff_until_ = 0;
  Nanos post_backoff_ = 0;
  RateBudget post_budget_;
  RateBudget cancel_budget_;
  RateBudget query_budget_;
  polymarket::RateTier rate_tier_ = polymarket::RateTier::kStandard;
  bool rate_tier_confirmed_ = false;
  bool rate_tier_in_flight_ = false;
  Nanos next_rate_tier_ = 0;
  int64_t inflight_cost_[2] = {0, 0};
  int64_t open_orders_ =
      0;  // orders that may be live, counted once per step  // orders, cancels: tokens of requests not answered yet
  Nanos cancel_not_before_ = 0;              // a 429 on the cancel bucket: wait until then
  std::deque<model::OrderId> cancel_queue_;  // cancels waiting for tokens, oldest first
  std::map<std::string, Nanos> market_delay_;
  polymarket::TradingRestriction restriction_ = polymarket::TradingRestriction::kNone;
  Nanos restriction_until_ = 0;
  std::deque<std::pair<Nanos, model::OrderId>> graveyard_;  // terminal orders, in order of death
};

}  // namespace clobmaker::execution
