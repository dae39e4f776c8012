#include "services/strategy/service/strategy_service.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <map>
#include <sstream>

#include "clobmaker/marketdata/v1/marketdata.pb.h"
#include "clobmaker/orders/v1/orders.pb.h"
#include "clobmaker/positions/v1/positions.pb.h"
#include "clobmaker/strategy/v1/strategy.pb.h"
#include "common/bus/subjects.h"
#include "common/clob/rest_client.h"
#include "common/core/status.h"
#include "common/metrics/metrics.h"
#include "common/service/counters.h"
#include "services/strategy/core/reward_engine.h"
#include "services/strategy/core/strategy_core.h"

namespace clobmaker::strategy {

namespace {

constexpr std::string_view kAdminService = "clobmaker.strategy.v1.StrategyAdmin";

// The shell's own counters (the core's are StrategyCounters).
struct ShellCounters {
  uint64_t bad_messages = 0, publish_failures = 0, coalesced = 0, scoring_polls = 0, scoring_failures = 0;
  uint64_t order_events = 0;
};

}  // namespace

service::ServiceSpec StrategyService::Spec() {
  return {.name = "strategy",
          .summary = "strategy: maker-only quote ladders onto NATS",
          .key = service::KeyUse::kOptional,
          .credentials = true,
          .chain_id = true,
          .stopped_line = "stopped (empty ladders published)"};
}

void StrategyService::Flags::Declare(CLI::App& app) {
  app.add_option("--config", config_file, "YAML file of markets and parameters (docs/strategy.md)");
  app.add_flag("--all-markets", all_markets, "without --config: quote every market marketdata publishes, defaults");
  app.add_option("--instance", instance, "instance name")->capture_default_str();
  app.add_option("--scoring-interval-s", scoring_interval_s, "POST /orders-scoring period")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{3600}));
}

absl::StatusOr<StrategyOptions> StrategyService::Flags::ToOptions(const service::CommonConfig& common) const {
  StrategyOptions options{.clob_url = common.clob_url,
                          .instance = instance,
                          .scoring_interval = scoring_interval_s * kNanosPerSecond,
                          .chain_id = common.chain_id};
  if (!config_file.empty()) {
    std::ifstream in(config_file);
    if (!in) return absl::InvalidArgumentError("--config: cannot read " + config_file);
    std::stringstream text;
    text << in.rdbuf();
    auto config = ParseStrategyConfig(text.str());
    if (!config.ok()) return absl::InvalidArgumentError(config_file + ": " + std::string(StatusText(config.status())));
    options.config = *std::move(config);
  } else if (all_markets) {
    options.config.all_markets = true;
  } else {
    return absl::InvalidArgumentError("give --config FILE or --all-markets");
  }
  return options;
}

struct StrategyService::Impl {
  service::Host& host;
  StrategyOptions options;
  const crypto::PrivateKey* key = nullptr;
  const signing::ApiCredentials* credentials = nullptr;
  std::unique_ptr<clob::ClobRestClient> rest;
  std::vector<std::unique_ptr<service::BusSubscription>> subs;
  bus::HeaderStamper stamper{"strategy"};
  std::unique_ptr<StrategyCore> core;
  RewardEngine rewards;
  metrics::Histogram* input_to_ladder = nullptr;
  Nanos started_at = 0;
  // The latest message per subject not yet given to the core.
  struct Pending {
    std::string data;
    Nanos received = 0;  // when the loop took the message off the bus
  };
  std::map<std::string, Pending> pending_books, pending_refs;
  bool drain_scheduled = false;
  bool scoring_inflight = false;
  ShellCounters counters;

  Impl(service::Host& h, StrategyOptions o, const service::Startup& startup)
      : host(h), options(std::move(o)), key(startup.key), credentials(startup.credentials) {}

  Nanos Now() const { return host.Now(); }

  void Flush() {
    std::vector<Publication> out;
    const Nanos publish = Now();
    core->TakePublications(publish, out);
    for (const Publication& p : out) {
      if (p.input_receive_ns > 0) input_to_ladder->Observe(publish - p.input_receive_ns);
    }
    for (const Publication& p : out) {
      if (auto st = host.bus().Publish(p.subject, p.data); !st.ok() && counters.publish_failures++ % 100 == 0) {
        spdlog::warn("strategy: publish failed: {}", StatusText(st));
      }
    }
  }

  // Books and reference prices: at once when the loop is idle; behind a backlog, the latest per
  // subject once the backlog is through.
  void Coalesce(std::map<std::string, Pending>& pending, service::BusMessage m) {
    auto [it, fresh] = pending.insert_or_assign(std::move(m.subject), Pending{std::move(m.data), Now()});
    (void)it;
    if (!fresh) counters.coalesced++;
    if (drain_scheduled) return;
    if (host.LoopBacklog() == 0) {
      Drain();  // nothing behind us: act on it now
      return;
    }
    // A backlog: act once it is drained, on the latest message per subject.
    drain_scheduled = true;
    host.loop().Post([this] { Drain(); });
  }

  void Drain() {
    drain_scheduled = false;
    for (auto& [subject, pending] : pending_books) {
      marketdata::v1::Book book;
      if (!book.ParseFromString(pending.data)) {
        counters.bad_messages++;
        continue;
      }
      if (const MarketState* m = MarketOfToken(book.token_id());
          m != nullptr && book.token_id() == m->facts.yes_token) {
        rewards.OnBook(m->facts.condition_id, book);
      }
      core->OnBook(book, pending.received);
    }
    pending_books.clear();
    for (auto& [subject, pending] : pending_refs) {
      marketdata::v1::ReferencePrice ref;
      if (!ref.ParseFromString(pending.data)) {
        counters.bad_messages++;
        continue;
      }
      core->OnReference(ref, pending.received);
    }
    pending_refs.clear();
    Flush();
  }

  const MarketState* MarketOfToken(const std::string& token) const {
    for (const auto& m : core->markets()) {
      if (m->resolved && (m->facts.yes_token == token || m->facts.no_token == token)) return m.get();
    }
    return nullptr;
  }

  void OnMarketInfo(const std::string& data) {
    marketdata::v1::MarketInfo info;
    if (!info.ParseFromString(data)) {
      counters.bad_messages++;
      return;
    }
    core->OnMarketInfo(info, Now());
    if (const MarketState* m = core->Find(info.market().condition_id()); m != nullptr) {
      rewards.SetMarket(m->facts.condition_id, {.max_spread_units = info.rewards_max_spread_units(),
                                                .min_size_micros = info.rewards_min_size_micros(),
                                                .daily_rate_micros = m->params.reward_daily_rate_micros});
    }
    Flush();
  }

  void OnPosition(const std::string& data) {
    positions::v1::Position p;
    if (!p.ParseFromString(data)) {
      counters.bad_messages++;
      return;
    }
    core->OnPosition(p, Now());
    Flush();
  }

  void OnExecutionStatus(const std::string& data) {
    orders::v1::ExecutionStatus st;
    if (!st.ParseFromString(data)) {
      counters.bad_messages++;
      return;
    }
    core->OnExecutionStatus(st, Now());
    Flush();
  }

  void OnOrderEvent(const std::string& data) {
    orders::v1::OrderEvent e;
    if (!e.ParseFromString(data)) {
      counters.bad_messages++;
      return;
    }
    counters.order_events++;
    rewards.OnOrderEvent(e);
  }

  void OnTimer() {
    const Nanos now = Now();
    core->OnTimer(now);
    rewards.OnTimer(now);
    Flush();
  }

  void PollScoring() {
    if (!rest || scoring_inflight) return;
    std::vector<std::string> ids = rewards.LiveOrderIds();
    if (ids.empty()) return;
    if (ids.size() > 100) ids.resize(100);  // one request's worth; the rest wait for the next poll
    scoring_inflight = true;
    counters.scoring_polls++;
    rest->PostOrdersScoring(ids, [this](clob::Result<std::map<std::string, bool>> r) {
      scoring_inflight = false;
      if (!r.ok()) {
        if (counters.scoring_failures++ % 10 == 0) spdlog::warn("strategy: orders-scoring failed: {}", r.error.error);
        return;
      }
      rewards.OnScoring(*r.value, Now());
    });
  }

  void ListMarkets(v1::ListMarketsResponse* out) const {
    for (const auto& m : core->markets()) {
      v1::MarketView* v = out->add_markets();
      auto* ref = v->mutable_market();
      ref->set_condition_id(m->facts.condition_id);
      ref->set_slug(m->resolved ? m->slug : m->spec);
      ref->set_yes_token_id(m->facts.yes_token);
      ref->set_no_token_id(m->facts.no_token);
      m->params.ToProto(*v->mutable_params());
      const Quote& q = m->last_quote;
      if (q.fair_units) v->set_fair_value_units(*q.fair_units);
      for (const std::string& g : q.gates) v->add_gates_closed(g);
      if (!m->resolved) v->add_gates_closed("market not resolved yet (no MarketInfo from marketdata)");
      v->set_in_reward_band(q.in_reward_band);
      v->set_net_position_micros(q.net_position_micros);
      auto* ladder = v->mutable_ladder();
      ladder->set_condition_id(m->facts.condition_id);
      ladder->set_ladder_sequence(m->ladder_sequence);
      ladder->set_tick_units(q.tick_units);
      for (const QuoteOrder& o : q.orders) {
        auto* d = ladder->add_orders();
        d->set_token_id(o.token);
        d->set_side(o.side == model::Side::kBuy ? common::v1::SIDE_BUY : common::v1::SIDE_SELL);
        d->set_level(o.level);
        d->set_price_units(o.price_units);
        d->set_size_micros(o.size_micros);
      }
      const RewardReport r = rewards.Report(m->facts.condition_id);
      v->set_scoring_share(r.scoring_share);
      v->set_estimated_reward_micros(static_cast<int64_t>(r.estimated_reward_micros));
      v->set_live_orders(r.live_orders);
      v->set_live_size_micros(r.live_size_micros);
      v->set_scoring_size_micros(r.scoring_size_micros);
    }
  }

  void FillStatus(common::v1::ServiceStatus* out) const {
    const StrategyCounters& c = core->counters();
    size_t quoting = 0, resolved = 0;
    for (const auto& m : core->markets()) {
      resolved += m->resolved ? 1 : 0;
      quoting += m->resolved && m->last_quote.gates.empty() ? 1 : 0;
    }
    std::string reason;
    if (resolved < core->markets().size() || core->markets().empty()) {
      reason = "markets not resolved yet";
    } else if (quoting == 0) {
      reason = "every market is gated";
    }
    out->set_ready(reason.empty());
    out->set_not_ready_reason(reason);
    auto& m = *out->mutable_counters();
    const auto put = [&](const char* name, uint64_t v) { m[name] = static_cast<int64_t>(v); };
    put("markets", core->markets().size());
    put("markets_quoting", quoting);
    put("books", c.books);
    put("references", c.references);
    put("positions", c.positions);
    put("execution_statuses", c.execution_statuses);
    put("market_infos", c.market_infos);
    put("ladders", c.ladders);
    put("gated_ladders", c.gated_ladders);
    put("keepalives", c.keepalives);
    put("unknown_markets", c.unknown_markets);
    put("bad_messages", c.bad_messages + counters.bad_messages);
    put("coalesced", counters.coalesced);
    put("publish_failures", counters.publish_failures);
    put("order_events", counters.order_events);
    put("scoring_polls", counters.scoring_polls);
    put("scoring_failures", counters.scoring_failures);
  }

  void RouteAdmin() {
    grpcserver::AdminRoutes& admin = host.admin();
    admin.Add<v1::ListMarketsRequest, v1::ListMarketsResponse>(
        kAdminService, "ListMarkets", [this](const v1::ListMarketsRequest&, v1::ListMarketsResponse* out) {
          ListMarkets(out);
          return grpc::Status::OK;
        });
    admin.Add<v1::GetParamsRequest, v1::MarketParams>(
        kAdminService, "GetParams", [this](const v1::GetParamsRequest& in, v1::MarketParams* out) {
          const MarketState* m = core->Find(in.condition_id());
          if (m == nullptr) return grpc::Status{grpc::StatusCode::NOT_FOUND, "unknown market " + in.condition_id()};
          m->params.ToProto(*out);
          return grpc::Status::OK;
        });
    admin.Add<v1::SetParamsRequest, v1::SetParamsResponse>(
        kAdminService, "SetParams", [this](const v1::SetParamsRequest& in, v1::SetParamsResponse* out) {
          std::map<std::string, std::string> changes(in.values().begin(), in.values().end());
          auto result = core->SetParams(in.condition_id(), changes, Now());
          Flush();
          if (!result.ok()) {
            return grpc::Status{result.status().code() == absl::StatusCode::kNotFound
                                    ? grpc::StatusCode::NOT_FOUND
                                    : grpc::StatusCode::INVALID_ARGUMENT,
                                std::string(result.status().message())};
          }
          spdlog::info("strategy: parameters of {} changed ({} values)", in.condition_id(), changes.size());
          result->ToProto(*out->mutable_params());
          return grpc::Status::OK;
        });
    host.SetStatus([this](common::v1::ServiceStatus* out) { FillStatus(out); });
    host.RouteStatus<v1::StatusRequest>(kAdminService);
  }
};

StrategyService::StrategyService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
StrategyService::~StrategyService() = default;

absl::StatusOr<std::unique_ptr<StrategyService>> StrategyService::Create(service::Host& host, const Options& options,
                                                                         const service::Startup& startup) {
  return std::unique_ptr<StrategyService>(new StrategyService(std::make_unique<Impl>(host, options, startup)));
}

absl::Status StrategyService::Start() {
  Impl& s = *impl_;
  service::Host& host = s.host;
  s.started_at = s.Now();
  s.input_to_ladder = &host.metrics().AddHistogram("clobmaker_strategy_input_to_ladder_seconds",
                                                   "book/reference/... taken off the bus -> desired ladder published");
  s.core = std::make_unique<StrategyCore>(s.options.config, s.stamper, s.started_at);
  CM_RETURN_IF_ERROR(host.ConnectBus("strategy/" + s.options.instance));
  CM_RETURN_IF_ERROR(host.bus().EnsureStream({.name = std::string(bus::kOrdersStream), .subjects = {"cm.orders.>"}}));
  if (s.key != nullptr && s.credentials != nullptr) {
    if (host.io() == nullptr) return absl::FailedPreconditionError("strategy needs the host's IO thread");
    clob::ClobClientOptions rest_options;
    rest_options.http.base_url = s.options.clob_url;
    rest_options.chain_id = s.options.chain_id;
    rest_options.executor = &host.loop();
    CM_ASSIGN_OR_RETURN(s.rest, clob::ClobRestClient::Create(*host.io(), rest_options, s.key, s.credentials));
  }

  // State first (KV), then the live subjects; the core is idempotent on repeats. Start runs
  // before the service serves, so these blocking reads may run on the loop.
  CM_ASSIGN_OR_RETURN(auto markets_kv, host.bus().EnsureKeyValue({.bucket = std::string(bus::kMarketsBucket)}));
  CM_ASSIGN_OR_RETURN(auto positions_kv, host.bus().EnsureKeyValue({.bucket = std::string(bus::kPositionsBucket)}));
  const auto load = [](service::KvBucket& kv, auto handle) -> absl::Status {
    CM_ASSIGN_OR_RETURN(const std::vector<std::string> keys, kv.Keys());
    for (const std::string& k : keys) {
      auto entry = kv.Get(k);
      if (entry.ok()) handle(entry->value);
    }
    return absl::OkStatus();
  };
  CM_RETURN_IF_ERROR(load(*markets_kv, [&s](const std::string& d) { s.OnMarketInfo(d); }));
  CM_RETURN_IF_ERROR(load(*positions_kv, [&s](const std::string& d) { s.OnPosition(d); }));
  const auto sub = [&](std::string_view subject, std::function<void(service::BusMessage)> fn) -> absl::Status {
    CM_ASSIGN_OR_RETURN(auto subscription, host.bus().Subscribe(std::string(subject), std::move(fn)));
    s.subs.push_back(std::move(subscription));
    return absl::OkStatus();
  };
  CM_RETURN_IF_ERROR(sub(bus::kMarketInfoWildcard, [&s](service::BusMessage m) { s.OnMarketInfo(m.data); }));
  CM_RETURN_IF_ERROR(
      sub(bus::kBookWildcard, [&s](service::BusMessage m) { s.Coalesce(s.pending_books, std::move(m)); }));
  CM_RETURN_IF_ERROR(
      sub(bus::kReferenceWildcard, [&s](service::BusMessage m) { s.Coalesce(s.pending_refs, std::move(m)); }));
  CM_RETURN_IF_ERROR(sub("cm.positions.>", [&s](service::BusMessage m) { s.OnPosition(m.data); }));
  CM_RETURN_IF_ERROR(sub(bus::kExecutionStatusWildcard, [&s](service::BusMessage m) { s.OnExecutionStatus(m.data); }));
  // CM_ORDERS from the start, by a consumer of this process only (the server forgets it a minute
  // after the process is gone): the reward engine's live set is rebuilt from the stream alone.
  service::ConsumerSpec orders{.stream = std::string(bus::kOrdersStream),
                               .durable = fmt::format("strategy-rewards-{}-{}", s.options.instance, s.started_at),
                               .batch = 256,
                               .retry_create = true};
  orders.options.filter_subject = "cm.orders.>";
  orders.options.inactive_threshold = 60 * kNanosPerSecond;
  CM_ASSIGN_OR_RETURN(auto consumer,
                      host.bus().Consume(orders, [&s](service::BusMessage m) { s.OnOrderEvent(m.data); }));
  s.subs.push_back(std::move(consumer));

  host.Every(s.options.timer_interval, [&s] { s.OnTimer(); });
  host.Every(s.options.scoring_interval, [&s] { s.PollScoring(); });
  s.RouteAdmin();
  return host.ServeAdmin(fmt::format("; {} configured markets{}; scoring poll {}", s.options.config.markets.size(),
                                     s.options.config.all_markets ? " (+ every market marketdata publishes)" : "",
                                     s.rest ? "on" : "off (no API key)"));
}

void StrategyService::Stop(std::function<void()> done) {
  Impl& s = *impl_;
  if (s.core) {
    for (const auto& m : s.core->markets()) {
      if (!m->resolved) continue;
      auto changes = std::map<std::string, std::string>{{"enabled", "false"}};
      (void)s.core->SetParams(m->facts.condition_id, changes, s.Now());
    }
    s.Flush();
    (void)s.host.bus().Flush(2 * kNanosPerSecond);
  }
  s.subs.clear();
  s.rest.reset();
  done();
}

}  // namespace clobmaker::strategy
