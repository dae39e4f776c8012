// The vocabulary of execution's core: desired ladders in, actions out and their typed answers
// back, order snapshots and events, the manager's configuration and counters. Plain data.
#pragma once

#include <absl/status/statusor.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/core/clock.h"
#include "common/model/types.h"
#include "common/net/http.h"
#include "common/polymarket/events.h"
#include "common/polymarket/rate_limits.h"
#include "common/signing/order.h"
#include "services/execution/core/ladder_diff.h"
#include "services/execution/core/mutation.h"
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
  // Pages it took. The exchange pages by offset, so a listing of more than one page is no
  // snapshot: an order can slip between pages when others close meanwhile. Absence from such a
  // listing proves nothing (those orders are queried by id instead).
  int pages = 1;
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
  bool created = false;   // first event of this order
  std::string cause;      // the input, e.g. "submit_accepted", "user:UPDATE"
  uint32_t sequence = 0;  // 1, 2, ... per order in this incarnation: every event its own
};

// The Nats-Msg-Id of an event on CM_ORDERS: unique per transition, also when an order comes back
// to a state it had (PENDING_CANCEL -> UNKNOWN -> PENDING_CANCEL) and across restarts
// (`incarnation`: something no other process start shares, e.g. its start time in ns), so that
// JetStream's duplicate window drops only true re-publications of the same event.
std::string OrdersMsgId(const OrderEvent& event, uint64_t incarnation);

// Start-up without adopt: STARTING (heartbeat) -> LISTING (what is open before the cancel-all,
// so orders this incarnation does not know can be reported dead after it) -> CANCELING_ALL ->
// VERIFYING (an empty listing) -> READY.
enum class Phase : uint8_t { kIdle, kStarting, kListing, kCancelingAll, kVerifying, kAdopting, kReady, kHalted };
std::string_view PhaseName(Phase phase);

struct OrderManagerConfig {
  Mutation mutation = Mutation::kNone;  // the race simulator's deliberate bugs; never set in production
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
  // Start-up's cancel-all refused for orders inside a matching delay (an earlier incarnation's,
  // invisible to listings until the delay ends): it waits the delay out and goes again, at most
  // this many times, before verifying anyway (counted: the periodic reconciliation finds them).
  int startup_delay_rounds = 10;
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
  uint64_t ladders = 0, ladders_stale = 0, ladders_expired = 0, ladders_refused = 0, ladders_lapsed = 0;
  uint64_t orders_created = 0, sign_failures = 0;
  uint64_t posts_sent = 0, post_requests = 0, posts_shed = 0, posts_resent = 0;
  uint64_t accepted = 0, rejected = 0, ambiguous = 0, version_mismatches = 0, duplicates = 0;
  uint64_t cancels_sent = 0, cancel_requests = 0, cancel_market_requests = 0, cancel_all_requests = 0;
  uint64_t queries = 0, listings = 0, reconciles = 0;
  uint64_t illegal_transitions = 0, overfills = 0, unknown_order_events = 0, malformed_events = 0;
  uint64_t orphans_canceled = 0, terminal_seen_open = 0, proven_absent = 0, adopt_fallbacks = 0;
  // Orders open before the start-up cancel-all that this incarnation did not know, reported
  // CANCELED once it was verified; start-up listings that failed every attempt (cancel-all went
  // ahead without knowing what it would close: those orders are not reported).
  uint64_t startup_unknown_canceled = 0, startup_listing_failures = 0;
  // Start-up cancel-alls repeated because orders sat in a matching delay; times it gave up
  // waiting after startup_delay_rounds; adopting start-ups that first waited out a delay.
  uint64_t startup_delay_waits = 0, startup_delay_gave_up = 0, adopt_delay_waits = 0;
  // Failed listings retried later than usual because the answer said when (429 Retry-After).
  uint64_t listings_spaced = 0;
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
  // Illegal transitions by "STATE+input" (at most 8 x 11 keys): what contradicted the cache.
  std::map<std::string, uint64_t> illegal_by_transition;
};

// The class of an exchange rejection's text: post_only_cross, tick_size, min_size, balance,
// expiration, version_mismatch, market_closed, engine_unavailable, auth, invalid_order, other.
std::string_view RejectReasonClass(std::string_view error);

}  // namespace clobmaker::execution
