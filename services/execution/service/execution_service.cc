#include "services/execution/service/execution_service.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <random>
#include <thread>
#include <unordered_map>

#include "clobmaker/marketdata/v1/marketdata.pb.h"
#include "clobmaker/orders/v1/orders.grpc.pb.h"
#include "clobmaker/strategy/v1/strategy.pb.h"
#include "common/bus/convert.h"
#include "common/bus/subjects.h"
#include "common/chain/json_rpc.h"
#include "common/clob/rest_client.h"
#include "common/core/executor.h"
#include "common/core/run_and_wait.h"
#include "common/core/status.h"
#include "common/grpcserver/grpc_server.h"
#include "common/metrics/metrics.h"
#include "common/metrics/service_status.h"
#include "common/nats/nats.h"
#include "common/net/http_client.h"
#include "common/net/io_thread.h"
#include "services/execution/service/lease.h"

namespace clobmaker::execution {
namespace {

namespace opb = clobmaker::orders::v1;

opb::OrderState ToProto(OrderState s) {
  switch (s) {
    case OrderState::kPendingSubmit:
      return opb::ORDER_STATE_PENDING_SUBMIT;
    case OrderState::kLive:
      return opb::ORDER_STATE_LIVE;
    case OrderState::kPartiallyFilled:
      return opb::ORDER_STATE_PARTIALLY_FILLED;
    case OrderState::kFilled:
      return opb::ORDER_STATE_FILLED;
    case OrderState::kPendingCancel:
      return opb::ORDER_STATE_PENDING_CANCEL;
    case OrderState::kCanceled:
      return opb::ORDER_STATE_CANCELED;
    case OrderState::kRejected:
      return opb::ORDER_STATE_REJECTED;
    case OrderState::kUnknown:
      return opb::ORDER_STATE_UNKNOWN;
  }
  return opb::ORDER_STATE_UNSPECIFIED;
}

void ToProto(const OrderView& v, opb::Order* out) {
  out->set_order_id(v.id.ToString());
  out->set_condition_id(v.market);
  out->set_token_id(v.intent.token);
  out->set_side(bus::ToProto(v.intent.side));
  out->set_level(v.intent.level);
  out->set_price_units(v.price.units());
  out->set_tick_units(v.tick.units());
  out->set_original_size_micros(v.original.micros());
  out->set_matched_size_micros(v.matched.micros());
  out->set_state(ToProto(v.state));
  out->set_reject_reason(v.reason);
  out->set_created_ns(v.created);
  out->set_updated_ns(v.updated);
  out->set_order_version(static_cast<uint32_t>(v.version));
  out->set_post_only(v.post_only);
}

absl::StatusOr<MarketLadder> FromProto(const strategy::v1::DesiredLadder& in) {
  auto tick = model::TickSize::FromUnits(in.tick_units());
  if (!tick.ok()) return tick.status();
  if (in.condition_id().empty()) return absl::InvalidArgumentError("ladder without a condition id");
  MarketLadder out{.market = in.condition_id(),
                   .tick = *tick,
                   .neg_risk = in.neg_risk(),
                   .sequence = in.ladder_sequence(),
                   .valid_until = in.valid_until_ns()};
  for (const strategy::v1::DesiredOrder& o : in.orders()) {
    auto side = bus::FromProto(o.side());
    if (!side.ok()) return side.status();
    if (o.token_id().empty()) return absl::InvalidArgumentError("desired order without a token");
    out.quotes.push_back({.intent = {.token = o.token_id(), .side = *side, .level = o.level()},
                          .price = model::Price(o.price_units()),
                          .size = model::Size(o.size_micros())});
    if (std::find(out.tokens.begin(), out.tokens.end(), o.token_id()) == out.tokens.end()) {
      out.tokens.push_back(o.token_id());
    }
  }
  return out;
}

std::string DefaultInstance() {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  return fmt::format("{}:{}", host, getpid());
}

}  // namespace

class AdminService;

struct ExecutionService::Impl {
  ExecutionOptions options;
  const crypto::PrivateKey* key = nullptr;
  const signing::ApiCredentials* credentials = nullptr;
  const Clock& clock = SystemClock::Instance();

  // Declared in destruction-safe order: the loop outlives everything that posts to it... and
  // is stopped explicitly in Shutdown() before members go.
  ThreadExecutor loop;
  ThreadExecutor publisher_loop;
  std::unique_ptr<net::IoThread> io;
  metrics::Registry registry;
  metrics::Histogram& post_to_answer =
      registry.AddHistogram("clobmaker_execution_http_seconds", "request sent -> HTTP answer", "endpoint=\"post\"");
  metrics::Histogram& cancel_to_answer =
      registry.AddHistogram("clobmaker_execution_http_seconds", "request sent -> HTTP answer", "endpoint=\"cancel\"");
  // Tick to trade on one host: the market event's receipt by marketdata (the ladder's
  // source_event_ts_ns) -> the first signed POST after that ladder handed to the HTTP client.
  metrics::Histogram& tick_to_post = registry.AddHistogram(
      "clobmaker_tick_to_trade_seconds", "market event received by marketdata -> signed POST sent by execution");
  Nanos pending_source_ns = 0;  // loop-owned: the oldest ladder source not yet followed by a post
  // A replacement's own cost: a cancel's answer handled on the loop -> the next POST handed to the
  // HTTP client (deciding, signing, building the body).
  metrics::Histogram& cancel_answer_to_post = registry.AddHistogram(
      "clobmaker_execution_cancel_answer_to_post_seconds", "cancel answer on the loop -> the next signed POST sent");
  Nanos pending_cancel_answer_ns = 0;  // loop-owned
  metrics::Histogram& answer_to_placement = registry.AddHistogram(
      "clobmaker_execution_answer_to_placement_seconds",
      "HTTP answer accepting an order -> its PLACEMENT event from CM_USER (0 when the event came first)");
  metrics::Histogram& cancel_to_cancellation =
      registry.AddHistogram("clobmaker_execution_cancel_to_cancellation_seconds",
                            "cancel request sent -> the CANCELLATION event from CM_USER");
  // Loop-owned, pruned after a minute: order id -> when it was answered / placed / cancel-sent.
  std::unordered_map<std::string, Nanos> answered_at, placed_first_at, cancel_sent_at;
  std::unique_ptr<metrics::MetricsServer> metrics_server;
  std::unique_ptr<clob::ClobRestClient> rest;
  std::unique_ptr<net::HttpClient> rpc;  // session keys: the wallet's authorization, read on chain
  int64_t session_valid_until_s = -1;    // the session poller's last reading (-1: none yet)
  bool session_usable = false;           // whether that reading was still in the future
  std::unique_ptr<nats::Connection> nats;
  std::unique_ptr<nats::JetStream> js;
  std::unique_ptr<nats::KeyValue> kv;
  std::unique_ptr<Lease> lease;
  std::unique_ptr<SigningOrderFactory> factory;
  std::unique_ptr<OrderManager> core;
  std::unique_ptr<nats::Subscription> ladder_sub;
  std::unique_ptr<nats::Subscription> tick_sub;
  std::unique_ptr<AdminService> admin;
  std::unique_ptr<grpcserver::GrpcServer> grpc;
  std::atomic<bool> threads_stop{false};
  std::atomic<bool> lease_lost{false};
  std::vector<std::thread> threads;
  uint64_t publish_sequence = 0;  // publisher_loop only
  // This process start, in CM_ORDERS message ids: a restarted execution's events never collide
  // with the last one's in JetStream's duplicate window.
  const uint64_t incarnation = static_cast<uint64_t>(SystemClock::Instance().WallNanos());
  std::atomic<uint64_t> publish_failures{0}, bad_bus_messages{0};
  std::string kill_key() const { return "kill." + options.shard; }

  Nanos Now() const { return clock.WallNanos(); }

  // --- the loop side ---------------------------------------------------------------------------

  uint64_t logged_chain_breaks = 0;                           // loop
  uint64_t logged_delay_waits = 0, logged_delay_gave_up = 0;  // loop

  void Drain() {
    // The heartbeat chain's break, logged with its reason once per break (the core counts it).
    if (const uint64_t breaks = core->counters().heartbeat_chain_breaks; breaks != logged_chain_breaks) {
      logged_chain_breaks = breaks;
      spdlog::warn("execution: heartbeat chain broken: {}; cancelling every order and resyncing",
                   core->heartbeat_break_reason());
    }
    // Start-up's cancel-all refused for orders inside a matching delay: waited out (the core counts).
    if (const uint64_t waits = core->counters().startup_delay_waits; waits != logged_delay_waits) {
      logged_delay_waits = waits;
      spdlog::warn(
          "execution: start-up cancel-all refused for orders in a matching delay; waiting it out and "
          "cancelling all again ({} so far)",
          waits);
    }
    if (const uint64_t gave_up = core->counters().startup_delay_gave_up; gave_up != logged_delay_gave_up) {
      logged_delay_gave_up = gave_up;
      spdlog::error(
          "execution: start-up stopped waiting for orders in a matching delay; reconciliation will cancel "
          "them when they appear");
    }
    for (int round = 0; round < 64; ++round) {
      for (Action& a : core->TakeActions()) Dispatch(std::move(a));
      std::vector<OrderEvent> events = core->TakeEvents();
      if (!events.empty()) {
        publisher_loop.Post([this, events = std::move(events)] {
          for (const OrderEvent& e : events) Publish(e);
        });
      }
      if (!core->HasPendingWork()) return;
      core->OnTimer(Now());  // the next batch: each step signs one, so the first goes out first
    }
  }

  template <typename F>
  void Input(F&& f) {
    f();
    Drain();
  }

  // Dry-run: what would change anything at the exchange is answered here, on the loop (never
  // inside the core's step); reads go out. True when `a` was answered.
  uint64_t dry_run_posts = 0, dry_run_beats = 0;
  bool DryRun(Action& a) {
    const uint64_t id = a.request_id;
    switch (a.kind) {
      case ActionKind::kPost: {
        PostReply reply{.outcome = net::Outcome::kRejected, .http_status = 400, .error = "dry-run: not sent"};
        for (const auto& o : a.orders) {
          // The body as it would be sent, the API key left out (the wallet key is never at hand).
          spdlog::info("execution: DRY-RUN order {} {}", o->id.ToString(),
                       signing::PostOrderJson(*o, "<api-key>", signing::OrderType::kGtc, a.post_only));
          ++dry_run_posts;
        }
        loop.Post([this, id, reply] { Input([&] { core->OnPostReply(id, reply, Now()); }); });
        return true;
      }
      case ActionKind::kCancel:
      case ActionKind::kCancelMarket:
      case ActionKind::kCancelAll: {
        CancelReply reply{.outcome = net::Outcome::kOk, .http_status = 200};
        for (const auto& o : a.order_ids) reply.result.canceled.push_back(o.ToString());
        loop.Post([this, id, reply] { Input([&] { core->OnCancelReply(id, reply, Now()); }); });
        return true;
      }
      case ActionKind::kHeartbeat: {
        HeartbeatReply reply{.outcome = net::Outcome::kOk, .heartbeat_id = fmt::format("dry-run-{}", ++dry_run_beats)};
        loop.Post([this, id, reply] { Input([&] { core->OnHeartbeatReply(id, reply, Now()); }); });
        return true;
      }
      default:
        return false;
    }
  }

  void Dispatch(Action a) {
    const uint64_t id = a.request_id;
    if (options.dry_run && DryRun(a)) return;
    switch (a.kind) {
      case ActionKind::kPost: {
        std::vector<const signing::SignedOrder*> orders;
        for (const auto& o : a.orders) orders.push_back(o.get());
        if (pending_source_ns > 0) {
          tick_to_post.Observe(Now() - pending_source_ns);
          pending_source_ns = 0;
        }
        if (pending_cancel_answer_ns > 0) {
          cancel_answer_to_post.Observe(Now() - pending_cancel_answer_ns);
          pending_cancel_answer_ns = 0;
        }
        // The shared pointers keep the signed orders alive until the answer.
        rest->PostOrders(
            orders, signing::OrderType::kGtc, a.post_only,
            [this, id, keep = std::move(a.orders)](clob::Result<std::vector<polymarket::PostOrderResult>> r) {
              post_to_answer.Observe(r.elapsed);
              if (r.value) {
                const Nanos now = Now();
                for (const auto& leg : *r.value) {
                  if (!leg.success || leg.order_id.empty()) continue;
                  if (placed_first_at.erase(leg.order_id) > 0) {
                    answer_to_placement.Observe(0);
                  } else {
                    answered_at[leg.order_id] = now;
                  }
                }
              }
              PostReply reply{.outcome = r.outcome,
                              .http_status = r.http_status,
                              .error = r.error.error,
                              .error_code = r.error.code,
                              .retry_after = r.retry_after,
                              .rate_limit = r.rate_limit};
              if (r.value) reply.legs = std::move(*r.value);
              Input([&] { core->OnPostReply(id, reply, Now()); });
            });
        break;
      }
      case ActionKind::kCancel: {
        std::vector<std::string> ids;
        for (const auto& o : a.order_ids) ids.push_back(o.ToString());
        for (const std::string& i : ids) cancel_sent_at.emplace(i, Now());
        rest->CancelOrders(ids, [this, id](clob::Result<polymarket::CancelResult> r) {
          cancel_to_answer.Observe(r.elapsed);
          OnCancel(id, r);
        });
        break;
      }
      case ActionKind::kCancelMarket:
        rest->CancelMarketOrders(a.market, a.token,
                                 [this, id](clob::Result<polymarket::CancelResult> r) { OnCancel(id, r); });
        break;
      case ActionKind::kCancelAll:
        rest->CancelAll([this, id](clob::Result<polymarket::CancelResult> r) { OnCancel(id, r); });
        break;
      case ActionKind::kQueryOrder:
        rest->GetOrder(
            a.order_ids.front().ToString(), [this, id](clob::Result<std::optional<polymarket::OpenOrder>> r) {
              QueryReply reply{.outcome = r.outcome, .http_status = r.http_status, .retry_after = r.retry_after};
              if (r.value) reply.order = *r.value;  // kOk and empty: not active
              Input([&] { core->OnQueryReply(id, reply, Now()); });
            });
        break;
      case ActionKind::kQueryTrades:
        TradesPage(id, a.market, a.after_s, std::string(polymarket::kFirstCursor),
                   std::make_shared<std::vector<polymarket::UserTradeEvent>>());
        break;
      case ActionKind::kGetRateTier:
        rest->GetRateLimitTier([this, id](clob::Result<polymarket::RateTier> r) {
          RateTierReply reply{.outcome = r.outcome, .tier = r.value};
          if (r.value) {
            spdlog::info("execution: rate-limit tier {}", polymarket::RateTierName(*r.value));
          } else {
            spdlog::warn("execution: rate-limit tier unknown ({}): budgets stay at {}", r.error.error,
                         polymarket::RateTierName(core->rate_tier()));
          }
          Input([&] { core->OnRateTierReply(id, reply, Now()); });
        });
        break;
      case ActionKind::kListOpenOrders:
        ListPage(id, std::string(polymarket::kFirstCursor), std::make_shared<std::vector<polymarket::OpenOrder>>());
        break;
      case ActionKind::kHeartbeat:
        rest->PostHeartbeat(a.heartbeat_id, [this, id](clob::Result<polymarket::HeartbeatResult> r) {
          HeartbeatReply reply{.outcome = r.outcome, .retry_after = r.retry_after};
          if (r.value) {
            reply.heartbeat_id = r.value->heartbeat_id;
            reply.error = r.value->error;
          } else {
            reply.error = r.outcome == net::Outcome::kRejected ? r.error.error : "";
          }
          if (!reply.error.empty()) spdlog::warn("execution: heartbeat refused: {}", reply.error);
          Input([&] { core->OnHeartbeatReply(id, reply, Now()); });
        });
        break;
      case ActionKind::kGetVersion:
        rest->GetVersion([this, id](clob::Result<int> r) {
          VersionReply reply{.outcome = r.outcome, .version = r.value.value_or(0)};
          if (r.value) spdlog::info("execution: the exchange wants order version {}", *r.value);
          Input([&] { core->OnVersionReply(id, reply, Now()); });
        });
        break;
    }
  }

  void TradesPage(uint64_t id, std::string market, int64_t after_s, std::string cursor,
                  std::shared_ptr<std::vector<polymarket::UserTradeEvent>> all) {
    rest->GetTrades({.market = market, .after_s = after_s, .cursor = cursor},
                    [this, id, market, after_s, all](clob::Result<polymarket::Page<polymarket::UserTradeEvent>> r) {
                      if (!r.ok()) {
                        TradesReply reply{
                            .outcome = r.outcome == net::Outcome::kOk ? net::Outcome::kAmbiguous : r.outcome,
                            .retry_after = r.retry_after};
                        Input([&] { core->OnTradesReply(id, reply, Now()); });
                        return;
                      }
                      for (auto& t : r.value->data) all->push_back(std::move(t));
                      if (!r.value->last() && all->size() < 100'000) {
                        TradesPage(id, market, after_s, r.value->next_cursor, all);
                        return;
                      }
                      TradesReply reply{.outcome = net::Outcome::kOk, .trades = std::move(*all)};
                      Input([&] { core->OnTradesReply(id, reply, Now()); });
                    });
  }

  // The first ladder of a market: its matching delays (GET /clob-markets: sd, itode) set how
  // long a lookup or a listing must wait before an order of it can be proven absent.
  std::set<std::string> market_info_requested;  // loop-owned
  void LearnMarket(const std::string& market) {
    if (!market_info_requested.insert(market).second) return;
    rest->GetClobMarket(market, [this, market](clob::Result<polymarket::ClobMarketInfo> r) {
      if (!r.ok()) {
        spdlog::warn("execution: market {} info: {} (its matching delay is assumed 0)", market, r.error.error);
        Input([&] { market_info_requested.erase(market); });  // asked again with its next ladder
        return;
      }
      const Nanos delay = r.value->matching_delay_ms() * kNanosPerMilli;
      if (delay > 0) spdlog::info("execution: market {} has a {} ms matching delay", market, delay / kNanosPerMilli);
      Input([&] { core->SetMarketDelay(market, delay); });
    });
  }

  void OnCancel(uint64_t id, const clob::Result<polymarket::CancelResult>& r) {
    CancelReply reply{.outcome = r.outcome,
                      .http_status = r.http_status,
                      .retry_after = r.retry_after,
                      .rate_limit = r.rate_limit,
                      .error = r.error.error};
    if (r.value) reply.result = *r.value;
    if (r.value && !r.value->canceled.empty()) pending_cancel_answer_ns = Now();
    Input([&] { core->OnCancelReply(id, reply, Now()); });
  }

  // `pages`: how many the listing has taken (the core trusts absence only from a single page).
  void ListPage(uint64_t id, std::string cursor, std::shared_ptr<std::vector<polymarket::OpenOrder>> all,
                int pages = 1) {
    rest->GetOpenOrders({.cursor = cursor}, [=, this](clob::Result<polymarket::Page<polymarket::OpenOrder>> r) {
      if (!r.ok()) {
        ListReply reply{.outcome = r.outcome == net::Outcome::kOk ? net::Outcome::kAmbiguous : r.outcome,
                        .retry_after = r.retry_after};
        Input([&] { core->OnListReply(id, reply, Now()); });
        return;
      }
      for (auto& o : r.value->data) all->push_back(std::move(o));
      if (!r.value->last() && all->size() < 1'000'000) {
        ListPage(id, r.value->next_cursor, all, pages + 1);
        return;
      }
      ListReply reply{.outcome = net::Outcome::kOk, .orders = std::move(*all), .pages = pages};
      Input([&] { core->OnListReply(id, reply, Now()); });
    });
  }

  // --- CM_ORDERS --------------------------------------------------------------------------------

  // Loop side: the status served by the admin API and published on cm.execution.status.<shard>.
  void FillStatus(opb::ExecutionStatus* out) {
    OrderManager& c = *core;
    const Nanos now = Now();
    auto* svc = out->mutable_service();
    svc->set_service("execution");
    svc->set_ready(c.ready());
    if (!c.ready()) {
      svc->set_not_ready_reason(c.killed()                    ? "killed: " + c.kill_reason()
                                : c.phase() == Phase::kHalted ? "halted: " + c.halt_reason()
                                                              : std::string(PhaseName(c.phase())));
    }
    const Counters& k = c.counters();
    auto& m = *svc->mutable_counters();
    m["orders_created"] = static_cast<int64_t>(k.orders_created);
    m["sign_failures"] = static_cast<int64_t>(k.sign_failures);
    if (options.signing.session_key) m["session_key_refusals"] = static_cast<int64_t>(factory->session_refusals());
    m["posts_sent"] = static_cast<int64_t>(k.posts_sent);
    m["posts_shed"] = static_cast<int64_t>(k.posts_shed);
    m["accepted"] = static_cast<int64_t>(k.accepted);
    m["rejected"] = static_cast<int64_t>(k.rejected);
    m["ambiguous"] = static_cast<int64_t>(k.ambiguous);
    m["duplicates"] = static_cast<int64_t>(k.duplicates);
    m["version_mismatches"] = static_cast<int64_t>(k.version_mismatches);
    m["cancels_sent"] = static_cast<int64_t>(k.cancels_sent);
    m["cancel_all_requests"] = static_cast<int64_t>(k.cancel_all_requests);
    m["cancel_market_requests"] = static_cast<int64_t>(k.cancel_market_requests);
    m["queries"] = static_cast<int64_t>(k.queries);
    m["reconciles"] = static_cast<int64_t>(k.reconciles);
    m["illegal_transitions"] = static_cast<int64_t>(k.illegal_transitions);
    m["orphans_canceled"] = static_cast<int64_t>(k.orphans_canceled);
    m["terminal_seen_open"] = static_cast<int64_t>(k.terminal_seen_open);
    m["startup_unknown_canceled"] = static_cast<int64_t>(k.startup_unknown_canceled);
    m["startup_listing_failures"] = static_cast<int64_t>(k.startup_listing_failures);
    m["startup_delay_waits"] = static_cast<int64_t>(k.startup_delay_waits);
    m["startup_delay_gave_up"] = static_cast<int64_t>(k.startup_delay_gave_up);
    m["adopt_delay_waits"] = static_cast<int64_t>(k.adopt_delay_waits);
    m["listings_spaced"] = static_cast<int64_t>(k.listings_spaced);
    m["proven_absent"] = static_cast<int64_t>(k.proven_absent);
    m["heartbeats_ok"] = static_cast<int64_t>(k.heartbeats_ok);
    m["heartbeat_failures"] = static_cast<int64_t>(k.heartbeat_failures);
    m["heartbeat_chain_breaks"] = static_cast<int64_t>(k.heartbeat_chain_breaks);
    m["throttled"] = static_cast<int64_t>(k.throttled);
    m["delayed"] = static_cast<int64_t>(k.delayed);
    m["unmatched"] = static_cast<int64_t>(k.unmatched);
    m["unknown_placement_statuses"] = static_cast<int64_t>(k.unknown_placement_statuses);
    m["dry_run_orders"] = static_cast<int64_t>(dry_run_posts);
    m["cancels_refused_in_delay"] = static_cast<int64_t>(k.cancels_refused_in_delay);
    m["not_active_lookups"] = static_cast<int64_t>(k.not_active_lookups);
    m["trade_queries"] = static_cast<int64_t>(k.trade_queries);
    m["posts_shed_cancel_reserve"] = static_cast<int64_t>(k.posts_shed_cancel_reserve);
    m["cancels_waiting_tokens"] = static_cast<int64_t>(k.cancels_waiting_tokens);
    m["rate_headers_missing"] = static_cast<int64_t>(k.rate_headers_missing);
    m["rate_headers_garbled"] = static_cast<int64_t>(k.rate_headers_garbled);
    m["rate_warnings"] = static_cast<int64_t>(k.rate_warnings);
    m["restrictions"] = static_cast<int64_t>(k.restrictions);
    for (const auto& [endpoint, n] : k.throttled_by_endpoint) m["throttled_" + endpoint] = static_cast<int64_t>(n);
    m["escalations"] = static_cast<int64_t>(k.escalations);
    m["unknown_order_events"] = static_cast<int64_t>(k.unknown_order_events);
    m["malformed_events"] = static_cast<int64_t>(k.malformed_events);
    m["ladders"] = static_cast<int64_t>(k.ladders);
    m["ladders_stale"] = static_cast<int64_t>(k.ladders_stale);
    m["ladders_expired"] = static_cast<int64_t>(k.ladders_expired);
    m["ladders_refused"] = static_cast<int64_t>(k.ladders_refused);
    m["bad_bus_messages"] = static_cast<int64_t>(bad_bus_messages.load());
    m["publish_failures"] = static_cast<int64_t>(publish_failures.load());
    out->set_halted(c.phase() == Phase::kHalted);
    out->set_halt_reason(c.halt_reason());
    out->set_killed(c.killed());
    out->set_kill_reason(c.kill_reason());
    out->set_phase(std::string(PhaseName(c.phase())));
    out->set_dry_run(options.dry_run);
    out->set_lease_held(lease->held());
    out->set_lease_revision(lease->revision());
    out->set_lease_holder(lease->holder());
    out->set_heartbeat_id(c.heartbeat_id());
    out->set_last_heartbeat_ns(c.last_heartbeat_ok());
    out->set_order_version(static_cast<uint32_t>(c.order_version().value_or(0)));
    out->set_inflight_requests(static_cast<uint32_t>(c.inflight_requests()));
    for (const auto& [name, kind] : {std::pair{"post", ActionKind::kPost}, std::pair{"cancel", ActionKind::kCancel},
                                     std::pair{"query", ActionKind::kQueryOrder}}) {
      const RateBudgetConfig& cfg = c.budget_config(kind);
      auto* b = out->add_budgets();
      b->set_endpoint(name);
      b->set_capacity(static_cast<int64_t>(cfg.capacity));
      b->set_available(static_cast<int64_t>(std::floor(c.budget_available(kind, now))));
      b->set_reserved_for_cancels(static_cast<int64_t>(cfg.reserve));
      b->set_refill_per_second(static_cast<int64_t>(cfg.refill_per_second));
    }
    out->set_rate_tier(std::string(polymarket::RateTierName(c.rate_tier())));
    out->set_rate_tier_confirmed(c.rate_tier_confirmed());
    for (const auto& [endpoint, n] : k.throttled_by_endpoint) (*out->mutable_throttled_by_endpoint())[endpoint] = n;
    out->set_trading_restriction(std::string(polymarket::TradingRestrictionName(c.restriction(now))));
    for (const std::string& m2 : c.PausedMarkets()) out->add_paused_markets(m2);
    out->set_published_ns(now);
    out->set_shard(options.shard);
  }

  void Publish(const OrderEvent& e) {
    opb::OrderEvent out;
    ToProto(e.order, out.mutable_order());
    out.set_previous_state(ToProto(e.previous));
    out.set_cause(e.cause);
    auto* h = out.mutable_header();
    h->set_source("execution/" + options.shard);
    h->set_sequence(++publish_sequence);
    h->set_receive_ts_ns(e.order.updated);
    h->set_publish_ts_ns(Now());
    const std::string msg_id = OrdersMsgId(e, incarnation);
    auto ack = js->Publish(bus::OrdersSubject(e.order.market, e.order.intent.token), out.SerializeAsString(), msg_id);
    if (!ack.ok()) {
      publish_failures++;
      spdlog::error("execution: CM_ORDERS publish failed: {}", StatusText(ack.status()));
    }
  }

  // --- bus inputs --------------------------------------------------------------------------------

  void OnLadderMessage(const nats::Message& m) {
    strategy::v1::DesiredLadder ladder;
    if (!ladder.ParseFromString(m.data)) {
      bad_bus_messages++;
      spdlog::warn("execution: unreadable desired ladder on {}", m.subject);
      return;
    }
    auto converted = FromProto(ladder);
    if (!converted.ok()) {
      bad_bus_messages++;
      spdlog::warn("execution: refused desired ladder on {}: {}", m.subject, StatusText(converted.status()));
      return;
    }
    if (ladder.source_event_ts_ns() > 0 && pending_source_ns == 0) pending_source_ns = ladder.source_event_ts_ns();
    LearnMarket(converted->market);
    Input([&] { core->OnLadder(*std::move(converted), Now()); });
  }

  void OnTickMessage(const nats::Message& m) {
    marketdata::v1::TickSizeChange change;
    if (!change.ParseFromString(m.data)) {
      bad_bus_messages++;
      return;
    }
    auto tick = model::TickSize::FromUnits(change.new_tick_units());
    if (!tick.ok()) {
      bad_bus_messages++;
      return;
    }
    Input([&] { core->OnTickSize(change.token_id(), *tick, Now()); });
  }

  // Runs on its own thread: the durable consumer of CM_USER. Messages are handed to the loop and
  // acked; execution's own recovery is reconciliation with the exchange, not replay.
  void ConsumeUser() {
    auto consumer = js->Consumer(bus::kUserStream, "execution-" + options.shard,
                                 {.filter_subject = "cm.user.>", .deliver_new_only = true});
    if (!consumer.ok()) {
      spdlog::error("execution: CM_USER consumer: {}", StatusText(consumer.status()));
      return;
    }
    while (!threads_stop) {
      auto batch = (*consumer)->Fetch(64, 250 * kNanosPerMilli);
      if (!batch.ok()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        continue;
      }
      for (nats::JsMessage& msg : *batch) {
        HandleUserMessage(std::string(msg.subject()), std::string(msg.data()));
        (void)msg.Ack();
      }
    }
  }

  // Loop side: the answer -> PLACEMENT and cancel -> CANCELLATION latencies.
  void ObserveOrderEvent(const polymarket::UserOrderEvent& e) {
    const Nanos now = Now();
    if (e.type == polymarket::OrderEventType::kPlacement) {
      if (auto it = answered_at.find(e.id); it != answered_at.end()) {
        answer_to_placement.Observe(now - it->second);
        answered_at.erase(it);
      } else {
        placed_first_at.emplace(e.id, now);
      }
    } else if (e.type == polymarket::OrderEventType::kCancellation) {
      if (auto it = cancel_sent_at.find(e.id); it != cancel_sent_at.end()) {
        cancel_to_cancellation.Observe(now - it->second);
        cancel_sent_at.erase(it);
      }
    }
  }

  void PruneLatencyMaps() {
    const Nanos cutoff = Now() - 60 * kNanosPerSecond;
    for (auto* m : {&answered_at, &placed_first_at, &cancel_sent_at}) {
      std::erase_if(*m, [&](const auto& entry) { return entry.second < cutoff; });
    }
  }

  void HandleUserMessage(const std::string& subject, const std::string& data) {
    if (subject.rfind("cm.user.order.", 0) == 0) {
      user::v1::UserOrderEvent in;
      auto event = in.ParseFromString(data) ? bus::FromProto(in) : absl::InvalidArgumentError("unreadable");
      if (!event.ok()) {
        bad_bus_messages++;
        return;
      }
      loop.Post([this, e = *std::move(event)] {
        ObserveOrderEvent(e);
        Input([&] { core->OnUserOrder(e, Now()); });
      });
    } else if (subject.rfind("cm.user.trade.", 0) == 0) {
      user::v1::UserTradeEvent in;
      auto event = in.ParseFromString(data) ? bus::FromProto(in) : absl::InvalidArgumentError("unreadable");
      if (!event.ok()) {
        bad_bus_messages++;
        return;
      }
      loop.Post([this, e = *std::move(event)] { Input([&] { core->OnUserTrade(e, Now()); }); });
    } else if (subject == bus::kUserConnectedSubject) {
      loop.Post([this] { Input([&] { core->OnUserStreamReconnected(Now()); }); });
    }
  }

  // --- helpers for callers off the loop ------------------------------------------------------------

  template <typename F>
  auto OnLoop(F&& fn) {
    return RunAndWait(loop, std::forward<F>(fn));
  }

  void PersistKill(const std::string& reason) {
    auto put = reason.empty() ? kv->Delete(kill_key()) : kv->Put(kill_key(), reason).status();
    if (!put.ok()) spdlog::error("execution: could not persist the kill switch: {}", StatusText(put));
  }

  absl::Status Setup();
  absl::StatusOr<int64_t> ReadSessionValidUntil();
  void NoteSessionValidUntil(int64_t valid_until);
  absl::Status Run(const std::atomic<bool>& stop);
  void Shutdown();
};

// --- gRPC admin ------------------------------------------------------------------------------------

class AdminService final : public opb::ExecutionAdmin::Service {
 public:
  AdminService(ExecutionService::Impl& s, std::shared_ptr<const grpcserver::Authorizer> auth)
      : s_(s), auth_(std::move(auth)) {}

  grpc::Status Status(grpc::ServerContext* ctx, const opb::StatusRequest*, opb::ExecutionStatus* out) override {
    if (auto st = Check(ctx); !st.ok()) return st;
    s_.OnLoop([&] { s_.FillStatus(out); });
    return grpc::Status::OK;
  }

  grpc::Status ListOrders(grpc::ServerContext* ctx, const opb::ListOrdersRequest* req,
                          opb::ListOrdersResponse* out) override {
    if (auto st = Check(ctx); !st.ok()) return st;
    std::set<int> states(req->states().begin(), req->states().end());
    s_.OnLoop([&] {
      for (const OrderView& v : s_.core->Orders()) {
        if (!req->condition_id().empty() && v.market != req->condition_id()) continue;
        if (!req->token_id().empty() && v.intent.token != req->token_id()) continue;
        if (!states.empty() && !states.contains(ToProto(v.state))) continue;
        if (states.empty() && !req->include_terminal() && IsTerminal(v.state)) continue;
        ToProto(v, out->add_orders());
      }
    });
    return grpc::Status::OK;
  }

  grpc::Status CancelAll(grpc::ServerContext* ctx, const opb::CancelAllRequest* req,
                         opb::CancelAllResponse* out) override {
    if (auto st = Check(ctx); !st.ok()) return st;
    const std::string reason = req->reason().empty() ? "admin cancel-all" : req->reason();
    spdlog::warn("execution: admin cancel-all ({})", reason);
    s_.OnLoop([&] {
      const uint64_t before = s_.core->counters().cancel_requests + s_.core->counters().cancel_all_requests;
      s_.Input([&] { s_.core->CancelAll(reason, s_.Now()); });
      out->set_cancel_requests(static_cast<uint32_t>(s_.core->counters().cancel_requests +
                                                     s_.core->counters().cancel_all_requests - before));
    });
    return grpc::Status::OK;
  }

  grpc::Status Kill(grpc::ServerContext* ctx, const opb::KillRequest* req, opb::KillResponse*) override {
    if (auto st = Check(ctx); !st.ok()) return st;
    const std::string reason = req->reason().empty() ? "admin kill" : req->reason();
    spdlog::warn("execution: KILL ({})", reason);
    s_.PersistKill(reason);
    s_.OnLoop([&] { s_.Input([&] { s_.core->Kill(reason, s_.Now()); }); });
    return grpc::Status::OK;
  }

  grpc::Status Reset(grpc::ServerContext* ctx, const opb::ResetRequest*, opb::ResetResponse*) override {
    if (auto st = Check(ctx); !st.ok()) return st;
    spdlog::warn("execution: reset by admin");
    s_.PersistKill("");
    s_.OnLoop([&] { s_.Input([&] { s_.core->Reset(s_.Now()); }); });
    return grpc::Status::OK;
  }

  grpc::Status PauseMarket(grpc::ServerContext* ctx, const opb::PauseMarketRequest* req,
                           opb::PauseMarketResponse*) override {
    if (auto st = Check(ctx); !st.ok()) return st;
    if (req->condition_id().empty()) return {grpc::StatusCode::INVALID_ARGUMENT, "condition_id is required"};
    s_.OnLoop([&] { s_.Input([&] { s_.core->PauseMarket(req->condition_id(), s_.Now()); }); });
    return grpc::Status::OK;
  }

  grpc::Status ResumeMarket(grpc::ServerContext* ctx, const opb::ResumeMarketRequest* req,
                            opb::ResumeMarketResponse*) override {
    if (auto st = Check(ctx); !st.ok()) return st;
    if (req->condition_id().empty()) return {grpc::StatusCode::INVALID_ARGUMENT, "condition_id is required"};
    s_.OnLoop([&] { s_.Input([&] { s_.core->ResumeMarket(req->condition_id(), s_.Now()); }); });
    return grpc::Status::OK;
  }

  // Runs a reconciliation and answers with what it found (waits up to 10 s for the listing).
  grpc::Status Reconcile(grpc::ServerContext* ctx, const opb::ReconcileRequest*, opb::ReconcileResponse* out) override {
    if (auto st = Check(ctx); !st.ok()) return st;
    const auto snapshot = [&] {
      return s_.OnLoop([&] {
        const Counters& k = s_.core->counters();
        return std::tuple{k.reconciles, k.orphans_canceled, k.proven_absent};
      });
    };
    const auto [reconciles, orphans, absent] = snapshot();
    s_.OnLoop([&] { s_.Input([&] { s_.core->ReconcileNow(s_.Now()); }); });
    for (int i = 0; i < 200; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      const auto [r2, o2, a2] = snapshot();
      if (r2 > reconciles) {
        out->set_adopted(static_cast<uint32_t>(o2 - orphans));
        out->set_closed(static_cast<uint32_t>(a2 - absent));
        s_.OnLoop([&] {
          uint32_t live = 0;
          for (const OrderView& v : s_.core->Orders()) live += MayBeLive(v.state) ? 1 : 0;
          out->set_cache_live(live);
        });
        return grpc::Status::OK;
      }
    }
    return {grpc::StatusCode::DEADLINE_EXCEEDED, "the exchange did not answer the open-order listing in time"};
  }

 private:
  grpc::Status Check(grpc::ServerContext* ctx) const { return grpcserver::Authorize(auth_.get(), *ctx); }
  ExecutionService::Impl& s_;
  const std::shared_ptr<const grpcserver::Authorizer> auth_;  // set before the server exists
};

// --- lifecycle -----------------------------------------------------------------------------------

absl::Status ExecutionService::Impl::Setup() {
  if (options.instance.empty()) options.instance = DefaultInstance();
  CM_ASSIGN_OR_RETURN(nats, nats::Connection::Connect({.url = options.nats_url,
                                                       .name = "execution/" + options.shard,
                                                       .executor = &loop,
                                                       .retry_on_failed_connect = false}));
  CM_ASSIGN_OR_RETURN(js, nats::JetStream::Create(*nats));
  CM_RETURN_IF_ERROR(js->EnsureStream({.name = std::string(bus::kUserStream),
                                       .subjects = {"cm.user.>"},
                                       .duplicate_window = bus::kUserDuplicateWindowSeconds * kNanosPerSecond}));
  CM_RETURN_IF_ERROR(js->EnsureStream({.name = std::string(bus::kOrdersStream), .subjects = {"cm.orders.>"}}));
  CM_ASSIGN_OR_RETURN(kv, js->EnsureKeyValue({.bucket = std::string(bus::kExecutionBucket)}));
  lease = std::make_unique<Lease>(*kv, "lease." + options.shard, options.instance, options.lease_ttl, clock);

  io = std::make_unique<net::IoThread>();
  clob::ClobClientOptions rest_options;
  rest_options.http.base_url = options.clob_url;
  rest_options.chain_id = options.signing.chain_id;
  rest_options.executor = &loop;
  CM_ASSIGN_OR_RETURN(rest, clob::ClobRestClient::Create(*io, rest_options, key, credentials));
  std::random_device entropy;
  const uint64_t salt_seed = (uint64_t{entropy()} << 32) ^ entropy();
  CM_ASSIGN_OR_RETURN(factory, SigningOrderFactory::Create(*key, options.signing, salt_seed));
  core = std::make_unique<OrderManager>(options.core, factory.get());
  if (options.signing.session_key) {
    if (options.rpc_url.empty()) options.rpc_url = options.clob_url + "/rpc";
    CM_ASSIGN_OR_RETURN(rpc, net::HttpClient::Create(*io, {.base_url = options.rpc_url}));
    CM_ASSIGN_OR_RETURN(const int64_t valid_until, ReadSessionValidUntil());
    const int64_t now_s = Now() / kNanosPerSecond;
    if (valid_until <= now_s) {
      return absl::FailedPreconditionError(
          fmt::format("session key {} is not authorized for the deposit wallet {} ({}): the owner authorizes it with "
                      "`clobmakerctl session-key authorize`",
                      key->address().ToChecksum(), options.signing.funder.ToChecksum(),
                      valid_until == 0 ? "revoked or never authorized" : "its authorization has expired"));
    }
    NoteSessionValidUntil(valid_until);
  }
  return absl::OkStatus();
}

// DepositWallet.sessionSignerAuthorizedUntil(address) (0xb9ac71d6): unix seconds, 0 when revoked
// or never authorized. The chain is the authority; the CLOB's registry follows it.
absl::StatusOr<int64_t> ExecutionService::Impl::ReadSessionValidUntil() {
  const crypto::Address& signer = key->address();
  std::string data = "0xb9ac71d6000000000000000000000000" + signer.ToLower().substr(2);
  net::HttpRequest request;
  request.method = "POST";
  request.target = "";
  request.headers = {{"Content-Type", "application/json"}};
  request.body = chain::EthCallRequest(1, options.signing.funder, data);
  net::HttpResult r = rpc->SendSync(std::move(request), 5 * kNanosPerSecond);
  if (!r.response) return absl::UnavailableError("session key check: JSON-RPC: " + r.error);
  if (r.response->status != 200) {
    return absl::UnavailableError(fmt::format("session key check: JSON-RPC answered HTTP {}", r.response->status));
  }
  auto v = chain::ParseUint256Result(r.response->body);
  if (!v.ok()) return absl::UnavailableError("session key check: " + std::string(v.status().message()));
  return *v;
}

// On the loop. Logs each change of what the wallet says; the factory signs nothing past it.
void ExecutionService::Impl::NoteSessionValidUntil(int64_t valid_until) {
  const int64_t now_s = Now() / kNanosPerSecond;
  const bool usable = valid_until > now_s;
  // Each reading comes here: an expiry changes nothing on chain, only the time passes it.
  if (valid_until == session_valid_until_s && usable == session_usable) return;
  session_usable = usable;
  if (usable) {
    spdlog::info("execution: session key {} authorized for wallet {} until {} ({} days left)",
                 key->address().ToChecksum(), options.signing.funder.ToChecksum(), valid_until,
                 (valid_until - now_s) / 86400);
  } else {
    spdlog::error(
        "execution: session key {} is no longer authorized for wallet {} ({}): no order is signed; the owner "
        "authorizes a new one with `clobmakerctl session-key authorize`",
        key->address().ToChecksum(), options.signing.funder.ToChecksum(), valid_until == 0 ? "revoked" : "expired");
  }
  session_valid_until_s = valid_until;
  factory->SetSessionValidUntil(valid_until);
}

absl::Status ExecutionService::Impl::Run(const std::atomic<bool>& stop) {
  // 1. The lease: standby until it is ours.
  bool announced = false;
  while (!stop) {
    auto held = lease->TryAcquire();
    if (held.ok() && *held) break;
    if (!held.ok()) spdlog::warn("execution: lease: {}", StatusText(held.status()));
    if (!announced) {
      auto current = lease->Current();
      spdlog::info("execution: standby, the lease of shard {} is held by {}", options.shard,
                   current.ok() ? current->holder : std::string("?"));
      announced = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  if (stop) return absl::OkStatus();
  spdlog::info("execution: lease of shard {} taken (revision {})", options.shard, lease->revision());
  threads.emplace_back([this] {
    while (!threads_stop) {
      std::this_thread::sleep_for(std::chrono::nanoseconds(lease->ttl() / 4));
      if (threads_stop) break;
      absl::Status renewed = lease->Renew();
      if (absl::IsFailedPrecondition(renewed)) {
        spdlog::error("execution: {}; stopping all trading", StatusText(renewed));
        lease_lost = true;
        loop.Post([this] { Input([&] { core->Kill("lease lost", Now()); }); });
        return;
      }
      if (!renewed.ok()) spdlog::warn("execution: lease renewal: {}", StatusText(renewed));
    }
  });

  // 2. Start-up: heartbeat chain, version, cancel-all verified (or adopt).
  auto kill = kv->Get(kill_key());
  OnLoop([&] {
    Input([&] {
      core->Start(options.adopt || options.dry_run, Now());
      if (kill.ok()) {
        spdlog::warn("execution: the kill switch is set ({}); nothing is quoted until reset", kill->value);
        core->Kill(kill->value, Now());
      }
    });
  });
  threads.emplace_back([this] {
    Nanos last_status = 0;
    while (!threads_stop) {
      std::this_thread::sleep_for(std::chrono::nanoseconds(options.tick_interval));
      loop.Post([this] { Input([&] { core->OnTimer(Now()); }); });
      if (Now() - last_status >= 500 * kNanosPerMilli) {
        last_status = Now();
        loop.Post([this] {
          PruneLatencyMaps();
          opb::ExecutionStatus status;
          FillStatus(&status);
          (void)nats->PublishProto(bus::ExecutionStatusSubject(options.shard), status);
        });
      }
    }
  });
  if (rpc) {
    // The session key's authorization, read again and again: a revocation or expiry stops signing.
    threads.emplace_back([this] {
      Nanos next = Now() + options.session_check_interval;
      while (!threads_stop) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (Now() < next) continue;
        next = Now() + options.session_check_interval;
        auto valid_until = ReadSessionValidUntil();
        if (!valid_until.ok()) {
          spdlog::warn("execution: {}", StatusText(valid_until.status()));
          continue;
        }
        loop.Post([this, v = *valid_until] { NoteSessionValidUntil(v); });
      }
    });
  }
  const Nanos deadline = Now() + options.startup_timeout;
  for (;;) {
    const auto [phase, reason] = OnLoop([&] { return std::pair{core->phase(), core->halt_reason()}; });
    if (phase == Phase::kReady) break;
    if (phase == Phase::kHalted) return absl::FailedPreconditionError("start-up halted: " + reason);
    if (stop) return absl::OkStatus();
    if (Now() > deadline) {
      return absl::DeadlineExceededError(fmt::format("start-up did not finish within {} s (phase {})",
                                                     options.startup_timeout / kNanosPerSecond, PhaseName(phase)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  spdlog::info("execution: ready ({})", options.adopt ? "adopted the open orders" : "cancel-all verified");

  // 3. Serve: bus inputs and the admin API.
  CM_ASSIGN_OR_RETURN(
      ladder_sub, nats->Subscribe(std::string(bus::kDesiredWildcard), [this](nats::Message m) { OnLadderMessage(m); }));
  CM_ASSIGN_OR_RETURN(tick_sub,
                      nats->Subscribe(std::string(bus::kTickWildcard), [this](nats::Message m) { OnTickMessage(m); }));
  threads.emplace_back([this] { ConsumeUser(); });
  // The authorizer is in place before the server accepts a call (fail-closed without one).
  const auto authorizer = grpcserver::Authorizer::Token(options.admin_token, !options.admin_tls_client_ca.empty());
  admin = std::make_unique<AdminService>(*this, authorizer);
  CM_ASSIGN_OR_RETURN(grpc, grpcserver::GrpcServer::Start({.listen = options.admin_listen,
                                                           .authorizer = authorizer,
                                                           .tls_cert_file = options.admin_tls_cert,
                                                           .tls_key_file = options.admin_tls_key,
                                                           .tls_client_ca_file = options.admin_tls_client_ca},
                                                          {admin.get()}));
  metrics::AddServiceStatusCollector(registry, "execution", [this](common::v1::ServiceStatus* st) {
    OnLoop([&] {
      opb::ExecutionStatus full;
      FillStatus(&full);
      *st = full.service();
      auto& c = *st->mutable_counters();
      c["killed"] = full.killed() ? 1 : 0;
      c["halted"] = full.halted() ? 1 : 0;
      c["lease_held"] = full.lease_held() ? 1 : 0;
      c["inflight_requests"] = full.inflight_requests();
      for (const auto& b : full.budgets()) {
        c["budget_available_" + b.endpoint()] = b.available();
        c["budget_capacity_" + b.endpoint()] = b.capacity();
      }
    });
  });
  // The per-signer limits: 429s by endpoint, the tier in force, each bucket's level.
  registry.AddCollector([this](metrics::Samples& samples) {
    struct View {
      std::map<std::string, uint64_t> throttled;
      polymarket::RateTier tier;
      bool confirmed;
      double post, cancel;
    };
    const View v = OnLoop([&] {
      const Nanos now = Now();
      return View{core->counters().throttled_by_endpoint, core->rate_tier(), core->rate_tier_confirmed(),
                  core->budget_available(ActionKind::kPost, now), core->budget_available(ActionKind::kCancel, now)};
    });
    for (const auto& [endpoint, n] : v.throttled) {
      samples.Counter("clobmaker_execution_throttled_total", "429 answers, by endpoint", static_cast<double>(n),
                      "endpoint=\"" + endpoint + "\"");
    }
    samples.Gauge("clobmaker_execution_rate_tier", "the signer's rate-limit tier (1 = in force)", 1.0,
                  fmt::format("tier=\"{}\",confirmed=\"{}\"", polymarket::RateTierName(v.tier), v.confirmed));
    samples.Gauge("clobmaker_execution_rate_tokens", "our estimate of the exchange's bucket", v.post,
                  "bucket=\"orders\"");
    samples.Gauge("clobmaker_execution_rate_tokens", "our estimate of the exchange's bucket", v.cancel,
                  "bucket=\"cancels\"");
  });
  registry.AddCollector([this](metrics::Samples& samples) {
    const auto by_reason = OnLoop([&] { return core->counters().rejects_by_reason; });
    for (const auto& [reason, n] : by_reason) {
      samples.Counter("clobmaker_execution_rejects_total", "orders the exchange refused, by class of reason",
                      static_cast<double>(n), "reason=\"" + reason + "\"");
    }
  });
  if (!options.metrics_listen.empty()) {
    CM_ASSIGN_OR_RETURN(metrics_server, metrics::MetricsServer::Start(*io, options.metrics_listen, registry));
    spdlog::info("execution: metrics on http://{}/metrics", metrics_server->address());
  }
  spdlog::info("execution: admin API on {}", grpc->address());
  while (!stop && !lease_lost) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (lease_lost) return absl::AbortedError("lease lost to another instance");

  // 4. Stop: cancel everything and wait (bounded) for an empty open-order listing.
  spdlog::info("execution: stopping: cancelling every order");
  OnLoop([&] { Input([&] { core->Kill("shutdown", Now()); }); });
  const Nanos give_up = Now() + 10 * kNanosPerSecond;
  uint64_t listings = OnLoop([&] { return core->counters().reconciles; });
  while (Now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto [live, reconciles] = OnLoop([&] {
      size_t n = 0;
      for (const OrderView& v : core->Orders()) n += MayBeLive(v.state) ? 1 : 0;
      return std::pair{n, core->counters().reconciles};
    });
    if (live == 0 && reconciles > listings) break;
    if (live == 0) {
      listings = std::min(listings, reconciles);
      OnLoop([&] { Input([&] { core->ReconcileNow(Now()); }); });
    }
  }
  return absl::OkStatus();
}

void ExecutionService::Impl::Shutdown() {
  threads_stop = true;
  if (grpc) grpc->Shutdown();
  metrics_server.reset();
  for (auto& t : threads) t.join();
  threads.clear();
  ladder_sub.reset();
  tick_sub.reset();
  if (lease && lease->held()) (void)lease->Release();
  // Drain the loop so no callback touches what is destroyed next.
  rest.reset();
  rpc.reset();
  io.reset();
  OnLoop([] {});
  std::promise<void> flushed;
  publisher_loop.Post([&] { flushed.set_value(); });
  flushed.get_future().wait();
}

// --- ExecutionService ------------------------------------------------------------------------------

ExecutionService::ExecutionService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ExecutionService::~ExecutionService() { impl_->Shutdown(); }

absl::StatusOr<std::unique_ptr<ExecutionService>> ExecutionService::Create(const ExecutionOptions& options,
                                                                           const crypto::PrivateKey& key,
                                                                           const signing::ApiCredentials& credentials) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->key = &key;
  impl->credentials = &credentials;
  CM_RETURN_IF_ERROR(impl->Setup());
  return std::unique_ptr<ExecutionService>(new ExecutionService(std::move(impl)));
}

absl::Status ExecutionService::Run(const std::atomic<bool>& stop) { return impl_->Run(stop); }

std::string ExecutionService::admin_address() const { return impl_->grpc ? impl_->grpc->address() : ""; }

}  // namespace clobmaker::execution
