#include "services/strategy/service/strategy_service.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <future>
#include <map>
#include <thread>

#include "clobmaker/marketdata/v1/marketdata.pb.h"
#include "clobmaker/orders/v1/orders.pb.h"
#include "clobmaker/positions/v1/positions.pb.h"
#include "clobmaker/strategy/v1/strategy.grpc.pb.h"
#include "common/bus/subjects.h"
#include "common/clob/rest_client.h"
#include "common/core/executor.h"
#include "common/core/run_and_wait.h"
#include "common/core/status.h"
#include "common/grpcserver/grpc_server.h"
#include "common/metrics/metrics.h"
#include "common/metrics/service_status.h"
#include "common/nats/nats.h"
#include "common/net/io_thread.h"
#include "services/strategy/core/reward_engine.h"
#include "services/strategy/core/strategy_core.h"

namespace clobmaker::strategy {

class AdminService;

struct StrategyService::Impl {
  StrategyOptions options;
  const crypto::PrivateKey* key = nullptr;
  const signing::ApiCredentials* credentials = nullptr;
  const Clock& clock = SystemClock::Instance();
  ThreadExecutor loop;
  std::unique_ptr<net::IoThread> io;
  std::unique_ptr<clob::ClobRestClient> rest;
  std::unique_ptr<nats::Connection> nats;
  std::unique_ptr<nats::JetStream> js;
  std::vector<std::unique_ptr<nats::Subscription>> subs;
  bus::HeaderStamper stamper{"strategy"};
  std::unique_ptr<StrategyCore> core;
  RewardEngine rewards;
  std::unique_ptr<AdminService> admin;
  std::unique_ptr<grpcserver::GrpcServer> grpc;
  metrics::Registry registry;
  metrics::Histogram* input_to_ladder = nullptr;
  std::unique_ptr<net::IoThread> metrics_io;
  std::unique_ptr<metrics::MetricsServer> metrics_server;
  std::vector<std::thread> threads;
  std::atomic<bool> threads_stop{false};
  Nanos started_at = 0;
  // Loop-owned: the latest message per subject not yet given to the core.
  struct Pending {
    std::string data;
    Nanos received = 0;  // when the loop took the message off the bus
  };
  std::map<std::string, Pending> pending_books, pending_refs;
  bool drain_scheduled = false;
  bool scoring_inflight = false;
  uint64_t bad_messages = 0, publish_failures = 0, coalesced = 0, scoring_polls = 0, scoring_failures = 0;
  uint64_t order_events = 0;

  Nanos Now() const { return clock.WallNanos(); }

  void Flush() {
    std::vector<Publication> out;
    const Nanos publish = Now();
    core->TakePublications(publish, out);
    for (const Publication& p : out) {
      if (p.input_receive_ns > 0) input_to_ladder->Observe(publish - p.input_receive_ns);
    }
    for (const Publication& p : out) {
      if (auto st = nats->Publish(p.subject, p.data); !st.ok() && publish_failures++ % 100 == 0) {
        spdlog::warn("strategy: publish failed: {}", StatusText(st));
      }
    }
  }

  // Books and reference prices: at once when the loop is idle; behind a backlog, the latest per
  // subject once the backlog is through.
  void Coalesce(std::map<std::string, Pending>& pending, nats::Message m) {
    auto [it, fresh] = pending.insert_or_assign(std::move(m.subject), Pending{std::move(m.data), Now()});
    (void)it;
    if (!fresh) coalesced++;
    if (drain_scheduled) return;
    if (loop.queued() == 0) {
      Drain();  // nothing behind us: act on it now
      return;
    }
    // A backlog: act once it is drained, on the latest message per subject.
    drain_scheduled = true;
    loop.Post([this] { Drain(); });
  }

  void Drain() {
    drain_scheduled = false;
    for (auto& [subject, pending] : pending_books) {
      marketdata::v1::Book book;
      if (!book.ParseFromString(pending.data)) {
        bad_messages++;
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
        bad_messages++;
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
      bad_messages++;
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
      bad_messages++;
      return;
    }
    core->OnPosition(p, Now());
    Flush();
  }

  void OnExecutionStatus(const std::string& data) {
    orders::v1::ExecutionStatus st;
    if (!st.ParseFromString(data)) {
      bad_messages++;
      return;
    }
    core->OnExecutionStatus(st, Now());
    Flush();
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
    scoring_polls++;
    rest->PostOrdersScoring(ids, [this](clob::Result<std::map<std::string, bool>> r) {
      scoring_inflight = false;
      if (!r.ok()) {
        if (scoring_failures++ % 10 == 0) spdlog::warn("strategy: orders-scoring failed: {}", r.error.error);
        return;
      }
      rewards.OnScoring(*r.value, Now());
    });
  }

  // CM_ORDERS from the start, by a consumer of this process only (the server forgets it a minute
  // after the process is gone): the reward engine's live set is rebuilt from the stream alone.
  void ConsumeOrders() {
    const std::string durable = fmt::format("strategy-rewards-{}-{}", options.instance, started_at);
    nats::ConsumerOptions co;
    co.filter_subject = "cm.orders.>";
    co.inactive_threshold = 60 * kNanosPerSecond;
    std::unique_ptr<nats::PullConsumer> consumer;
    while (!threads_stop) {
      auto c = js->Consumer(bus::kOrdersStream, durable, co);
      if (c.ok()) {
        consumer = std::move(*c);
        break;
      }
      spdlog::warn("strategy: CM_ORDERS consumer: {} (retrying)", StatusText(c.status()));
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    while (!threads_stop && consumer) {
      auto batch = consumer->Fetch(256, 250 * kNanosPerMilli);
      if (!batch.ok()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        continue;
      }
      for (nats::JsMessage& msg : *batch) {
        std::string data(msg.data());
        loop.Post([this, data = std::move(data)] {
          orders::v1::OrderEvent e;
          if (!e.ParseFromString(data)) {
            bad_messages++;
            return;
          }
          order_events++;
          rewards.OnOrderEvent(e);
        });
        (void)msg.Ack();
      }
    }
  }

  template <typename F>
  auto OnLoop(F&& fn) {
    return RunAndWait(loop, std::forward<F>(fn));
  }

  absl::Status Setup() {
    started_at = Now();
    input_to_ladder = &registry.AddHistogram("clobmaker_strategy_input_to_ladder_seconds",
                                             "book/reference/... taken off the bus -> desired ladder published");
    core = std::make_unique<StrategyCore>(options.config, stamper, started_at);
    CM_ASSIGN_OR_RETURN(nats,
                        nats::Connection::Connect(
                            {.url = options.nats_url, .name = "strategy/" + options.instance, .executor = &loop}));
    CM_ASSIGN_OR_RETURN(js, nats::JetStream::Create(*nats));
    CM_RETURN_IF_ERROR(js->EnsureStream({.name = std::string(bus::kOrdersStream), .subjects = {"cm.orders.>"}}));
    if (key != nullptr && credentials != nullptr) {
      io = std::make_unique<net::IoThread>();
      clob::ClobClientOptions rest_options;
      rest_options.http.base_url = options.clob_url;
      rest_options.chain_id = options.chain_id;
      rest_options.executor = &loop;
      CM_ASSIGN_OR_RETURN(rest, clob::ClobRestClient::Create(*io, rest_options, key, credentials));
    }
    return absl::OkStatus();
  }

  absl::Status Start();

  void Shutdown() {
    if (grpc) grpc->Shutdown();
    metrics_server.reset();
    metrics_io.reset();
    threads_stop = true;
    for (std::thread& t : threads) t.join();
    subs.clear();
    OnLoop([] {});
    rest.reset();
    io.reset();
    OnLoop([] {});
  }
};

class AdminService final : public v1::StrategyAdmin::Service {
 public:
  AdminService(StrategyService::Impl& s, std::shared_ptr<const grpcserver::Authorizer> auth)
      : s_(s), auth_(std::move(auth)) {}

  grpc::Status ListMarkets(grpc::ServerContext* ctx, const v1::ListMarketsRequest*,
                           v1::ListMarketsResponse* out) override {
    if (auto st = Authorize(*ctx); !st.ok()) return st;
    s_.OnLoop([&] {
      for (const auto& m : s_.core->markets()) {
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
        const RewardReport r = s_.rewards.Report(m->facts.condition_id);
        v->set_scoring_share(r.scoring_share);
        v->set_estimated_reward_micros(static_cast<int64_t>(r.estimated_reward_micros));
        v->set_live_orders(r.live_orders);
        v->set_live_size_micros(r.live_size_micros);
        v->set_scoring_size_micros(r.scoring_size_micros);
      }
    });
    return grpc::Status::OK;
  }

  grpc::Status GetParams(grpc::ServerContext* ctx, const v1::GetParamsRequest* in, v1::MarketParams* out) override {
    if (auto st = Authorize(*ctx); !st.ok()) return st;
    const bool found = s_.OnLoop([&] {
      const MarketState* m = s_.core->Find(in->condition_id());
      if (m == nullptr) return false;
      m->params.ToProto(*out);
      return true;
    });
    if (!found) return {grpc::StatusCode::NOT_FOUND, "unknown market " + in->condition_id()};
    return grpc::Status::OK;
  }

  grpc::Status SetParams(grpc::ServerContext* ctx, const v1::SetParamsRequest* in,
                         v1::SetParamsResponse* out) override {
    if (auto st = Authorize(*ctx); !st.ok()) return st;
    std::map<std::string, std::string> changes(in->values().begin(), in->values().end());
    auto result = s_.OnLoop([&] {
      auto r = s_.core->SetParams(in->condition_id(), changes, s_.Now());
      s_.Flush();
      return r;
    });
    if (!result.ok()) {
      return {result.status().code() == absl::StatusCode::kNotFound ? grpc::StatusCode::NOT_FOUND
                                                                    : grpc::StatusCode::INVALID_ARGUMENT,
              std::string(result.status().message())};
    }
    spdlog::info("strategy: parameters of {} changed ({} values)", in->condition_id(), changes.size());
    result->ToProto(*out->mutable_params());
    return grpc::Status::OK;
  }

  grpc::Status Status(grpc::ServerContext* ctx, const v1::StatusRequest*, common::v1::ServiceStatus* out) override {
    if (auto st = Authorize(*ctx); !st.ok()) return st;
    FillServiceStatus(out);
    return grpc::Status::OK;
  }

  // Also read by the metrics endpoint (no authorization there: it binds loopback by default).
  void FillServiceStatus(common::v1::ServiceStatus* out) {
    s_.OnLoop([&] {
      const StrategyCounters& c = s_.core->counters();
      out->set_service("strategy");
      out->set_started_at_ns(s_.started_at);
      size_t quoting = 0, resolved = 0;
      for (const auto& m : s_.core->markets()) {
        resolved += m->resolved ? 1 : 0;
        quoting += m->resolved && m->last_quote.gates.empty() ? 1 : 0;
      }
      std::string reason;
      if (resolved < s_.core->markets().size() || s_.core->markets().empty()) {
        reason = "markets not resolved yet";
      } else if (quoting == 0) {
        reason = "every market is gated";
      }
      out->set_ready(reason.empty());
      out->set_not_ready_reason(reason);
      auto& m = *out->mutable_counters();
      const auto put = [&](const char* name, uint64_t v) { m[name] = static_cast<int64_t>(v); };
      put("markets", s_.core->markets().size());
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
      put("bad_messages", c.bad_messages + s_.bad_messages);
      put("coalesced", s_.coalesced);
      put("publish_failures", s_.publish_failures);
      put("order_events", s_.order_events);
      put("scoring_polls", s_.scoring_polls);
      put("scoring_failures", s_.scoring_failures);
    });
  }

 private:
  grpc::Status Authorize(const grpc::ServerContext& ctx) const { return grpcserver::Authorize(auth_.get(), ctx); }
  StrategyService::Impl& s_;
  const std::shared_ptr<const grpcserver::Authorizer> auth_;  // set before the server exists
};

absl::Status StrategyService::Impl::Start() {
  // State first (KV), then the live subjects; the core is idempotent on repeats.
  CM_ASSIGN_OR_RETURN(auto markets_kv, js->EnsureKeyValue({.bucket = std::string(bus::kMarketsBucket)}));
  CM_ASSIGN_OR_RETURN(auto positions_kv, js->EnsureKeyValue({.bucket = std::string(bus::kPositionsBucket)}));
  const auto load = [&](nats::KeyValue& kv, auto handle) -> absl::Status {
    CM_ASSIGN_OR_RETURN(const std::vector<std::string> keys, kv.Keys());
    for (const std::string& k : keys) {
      auto entry = kv.Get(k);
      if (entry.ok()) OnLoop([&] { handle(entry->value); });
    }
    return absl::OkStatus();
  };
  CM_RETURN_IF_ERROR(load(*markets_kv, [this](const std::string& d) { OnMarketInfo(d); }));
  CM_RETURN_IF_ERROR(load(*positions_kv, [this](const std::string& d) { OnPosition(d); }));
  const auto sub = [&](std::string_view subject, std::function<void(nats::Message)> fn) -> absl::Status {
    CM_ASSIGN_OR_RETURN(auto s, nats->Subscribe(std::string(subject), std::move(fn)));
    subs.push_back(std::move(s));
    return absl::OkStatus();
  };
  CM_RETURN_IF_ERROR(sub(bus::kMarketInfoWildcard, [this](nats::Message m) { OnMarketInfo(m.data); }));
  CM_RETURN_IF_ERROR(sub(bus::kBookWildcard, [this](nats::Message m) { Coalesce(pending_books, std::move(m)); }));
  CM_RETURN_IF_ERROR(sub(bus::kReferenceWildcard, [this](nats::Message m) { Coalesce(pending_refs, std::move(m)); }));
  CM_RETURN_IF_ERROR(sub("cm.positions.>", [this](nats::Message m) { OnPosition(m.data); }));
  CM_RETURN_IF_ERROR(sub(bus::kExecutionStatusWildcard, [this](nats::Message m) { OnExecutionStatus(m.data); }));
  threads.emplace_back([this] { ConsumeOrders(); });
  threads.emplace_back([this] {
    Nanos last_scoring = Now();
    while (!threads_stop) {
      std::this_thread::sleep_for(std::chrono::nanoseconds(options.timer_interval));
      loop.Post([this] { OnTimer(); });
      if (Now() - last_scoring >= options.scoring_interval) {
        last_scoring = Now();
        loop.Post([this] { PollScoring(); });
      }
    }
  });
  // The authorizer is in place before the server accepts a call (fail-closed without one).
  const auto authorizer = grpcserver::Authorizer::Token(options.admin_token);
  admin = std::make_unique<AdminService>(*this, authorizer);
  CM_ASSIGN_OR_RETURN(
      grpc, grpcserver::GrpcServer::Start({.listen = options.admin_listen, .authorizer = authorizer}, {admin.get()}));
  metrics::AddServiceStatusCollector(registry, "strategy",
                                     [this](common::v1::ServiceStatus* st) { admin->FillServiceStatus(st); });
  if (!options.metrics_listen.empty()) {
    metrics_io = std::make_unique<net::IoThread>();
    CM_ASSIGN_OR_RETURN(metrics_server, metrics::MetricsServer::Start(*metrics_io, options.metrics_listen, registry));
    spdlog::info("strategy: metrics on http://{}/metrics", metrics_server->address());
  }
  spdlog::info("strategy: admin API on {}; {} configured markets{}; scoring poll {}", grpc->address(),
               options.config.markets.size(),
               options.config.all_markets ? " (+ every market marketdata publishes)" : "",
               rest ? "on" : "off (no API key)");
  return absl::OkStatus();
}

StrategyService::StrategyService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
StrategyService::~StrategyService() { impl_->Shutdown(); }

absl::StatusOr<std::unique_ptr<StrategyService>> StrategyService::Create(const StrategyOptions& options,
                                                                         const crypto::PrivateKey* key,
                                                                         const signing::ApiCredentials* credentials) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->key = key;
  impl->credentials = credentials;
  CM_RETURN_IF_ERROR(impl->Setup());
  return std::unique_ptr<StrategyService>(new StrategyService(std::move(impl)));
}

absl::Status StrategyService::Run(const std::atomic<bool>& stop) {
  CM_RETURN_IF_ERROR(impl_->Start());
  while (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  // Leave an empty ladder behind: execution cancels our quotes instead of waiting for expiry.
  impl_->OnLoop([&] {
    for (const auto& m : impl_->core->markets()) {
      if (!m->resolved) continue;
      auto changes = std::map<std::string, std::string>{{"enabled", "false"}};
      (void)impl_->core->SetParams(m->facts.condition_id, changes, impl_->Now());
    }
    impl_->Flush();
  });
  (void)impl_->nats->Flush(2 * kNanosPerSecond);
  return absl::OkStatus();
}

}  // namespace clobmaker::strategy
