#include "services/userstream/service/user_stream_service.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <future>
#include <thread>

#include "clobmaker/user/v1/user.grpc.pb.h"
#include "common/bus/subjects.h"
#include "common/clob/channels.h"
#include "common/clob/rest_client.h"
#include "common/core/executor.h"
#include "common/core/status.h"
#include "common/grpcserver/grpc_server.h"
#include "common/metrics/metrics.h"
#include "common/metrics/service_status.h"
#include "common/nats/nats.h"
#include "common/net/http.h"
#include "common/net/io_thread.h"
#include "services/userstream/core/user_normalizer.h"

namespace clobmaker::userstream {

class StatusService;

struct UserStreamService::Impl {
  UserStreamOptions options;
  const crypto::PrivateKey* key = nullptr;
  const signing::ApiCredentials* credentials = nullptr;
  const Clock& clock = SystemClock::Instance();
  ThreadExecutor loop;
  ThreadExecutor publisher;
  std::unique_ptr<net::IoThread> io;
  std::unique_ptr<clob::ClobRestClient> rest;
  std::unique_ptr<clob::UserChannel> channel;
  std::unique_ptr<nats::Connection> nats;
  std::unique_ptr<nats::JetStream> js;
  std::unique_ptr<UserNormalizer> core;
  std::unique_ptr<StatusService> status;
  std::unique_ptr<grpcserver::GrpcServer> grpc;
  metrics::Registry registry;
  std::unique_ptr<metrics::MetricsServer> metrics_server;
  std::atomic<uint64_t> publish_failures{0}, publish_duplicates{0}, backfill_failures{0};
  std::atomic<bool> connected{false};

  Nanos Now() const { return clock.WallNanos(); }

  // Loop side: hand what the core produced to the publisher thread, in order.
  void Flush() {
    std::vector<Publication> out = core->TakePublications();
    if (out.empty()) return;
    publisher.Post([this, out = std::move(out)] {
      for (const Publication& p : out) {
        // A failed publish is retried: the message id makes a retry after an unseen ack harmless.
        for (int attempt = 0; attempt < 5; ++attempt) {
          auto ack = js->Publish(p.subject, p.data, p.msg_id);
          if (ack.ok()) {
            if (ack->duplicate) publish_duplicates++;
            break;
          }
          publish_failures++;
          spdlog::warn("userstream: CM_USER publish failed ({}), retrying", StatusText(ack.status()));
          std::this_thread::sleep_for(std::chrono::milliseconds(100 << attempt));
        }
      }
    });
  }

  void OnConnected(bool reconnect) {
    connected = true;
    const int64_t after = core->OnConnected(reconnect, Now());
    Flush();
    spdlog::info("userstream: user channel {} (epoch {}); backfilling trades after {}",
                 reconnect ? "reconnected" : "connected", core->connection_epoch(), after);
    Backfill(after, std::string(polymarket::kFirstCursor));
  }

  void Backfill(int64_t after, std::string cursor, int failures = 0) {
    clob::TradesQuery query{.after_s = after, .cursor = cursor};
    rest->GetTrades(
        query, [this, after, cursor, failures](clob::Result<polymarket::Page<polymarket::UserTradeEvent>> r) {
          if (!r.ok()) {
            backfill_failures++;
            if (failures >= 10) {
              // The next (re)connect backfills again from the last trade seen.
              spdlog::error("userstream: trade backfill failed {} times ({}); giving up until the next connect",
                            failures + 1, r.error.error);
              return;
            }
            spdlog::warn("userstream: trade backfill failed ({}); retrying", r.error.error);
            Backfill(after, cursor, failures + 1);
            return;
          }
          core->OnBackfill(r.value->data, Now());
          Flush();
          if (!r.value->last()) Backfill(after, r.value->next_cursor);
        });
  }

  absl::Status Setup() {
    CM_ASSIGN_OR_RETURN(nats,
                        nats::Connection::Connect({.url = options.nats_url, .name = "userstream", .executor = &loop}));
    CM_ASSIGN_OR_RETURN(js, nats::JetStream::Create(*nats));
    CM_RETURN_IF_ERROR(js->EnsureStream({.name = std::string(bus::kUserStream),
                                         .subjects = {"cm.user.>"},
                                         .duplicate_window = bus::kUserDuplicateWindowSeconds * kNanosPerSecond}));
    io = std::make_unique<net::IoThread>();
    clob::ClobClientOptions rest_options;
    rest_options.http.base_url = options.clob_url;
    rest_options.chain_id = options.chain_id;
    rest_options.executor = &loop;
    CM_ASSIGN_OR_RETURN(rest, clob::ClobRestClient::Create(*io, rest_options, key, credentials));
    if (options.ws_url.empty()) {
      CM_ASSIGN_OR_RETURN(net::Url url, net::ParseUrl(options.clob_url));
      options.ws_url = fmt::format("{}://{}:{}{}/ws/user", url.tls() ? "wss" : "ws", url.host, url.port, url.path);
    }
    polymarket::Identity identity{.api_keys = {credentials->key()}, .addresses = {key->address().ToLower()}};
    core = std::make_unique<UserNormalizer>(NormalizerConfig{.identity = identity});
    return absl::OkStatus();
  }

  absl::Status Start();
  void Shutdown() {
    if (grpc) grpc->Shutdown();
    metrics_server.reset();
    std::promise<void> stopped;
    loop.Post([&] {
      if (channel) channel->Stop();
      stopped.set_value();
    });
    stopped.get_future().wait();
    rest.reset();
    io.reset();
    std::promise<void> drained;
    loop.Post([&] { drained.set_value(); });
    drained.get_future().wait();
    std::promise<void> flushed;
    publisher.Post([&] { flushed.set_value(); });
    flushed.get_future().wait();
  }
};

class StatusService final : public user::v1::UserStreamAdmin::Service {
 public:
  StatusService(UserStreamService::Impl& s, std::shared_ptr<const grpcserver::Authorizer> auth)
      : s_(s), auth_(std::move(auth)) {}
  grpc::Status Status(grpc::ServerContext* ctx, const user::v1::StatusRequest*,
                      common::v1::ServiceStatus* out) override {
    if (auto st = grpcserver::Authorize(auth_.get(), *ctx); !st.ok()) return st;
    FillServiceStatus(out);
    return grpc::Status::OK;
  }

  // Also read by the metrics endpoint.
  void FillServiceStatus(common::v1::ServiceStatus* out) {
    std::promise<void> done;
    s_.loop.Post([&] {
      const NormalizerCounters& c = s_.core->counters();
      out->set_service("userstream");
      out->set_ready(s_.connected.load());
      if (!s_.connected) out->set_not_ready_reason("user channel not connected");
      auto& m = *out->mutable_counters();
      m["frames"] = static_cast<int64_t>(c.frames);
      m["order_events"] = static_cast<int64_t>(c.order_events);
      m["trade_events"] = static_cast<int64_t>(c.trade_events);
      m["published"] = static_cast<int64_t>(c.published);
      m["duplicates"] = static_cast<int64_t>(c.duplicates);
      m["malformed"] = static_cast<int64_t>(c.malformed);
      m["unknown_types"] = static_cast<int64_t>(c.unknown_types);
      m["missing_fields"] = static_cast<int64_t>(c.missing_fields);
      m["bad_values"] = static_cast<int64_t>(c.bad_values);
      m["not_ours"] = static_cast<int64_t>(c.not_ours);
      m["connects"] = static_cast<int64_t>(c.connects);
      m["reconnects"] = static_cast<int64_t>(c.reconnects);
      m["backfilled"] = static_cast<int64_t>(c.backfilled);
      m["backfill_failures"] = static_cast<int64_t>(s_.backfill_failures.load());
      m["publish_failures"] = static_cast<int64_t>(s_.publish_failures.load());
      m["publish_duplicates"] = static_cast<int64_t>(s_.publish_duplicates.load());
      done.set_value();
    });
    done.get_future().wait();
  }

 private:
  UserStreamService::Impl& s_;
  const std::shared_ptr<const grpcserver::Authorizer> auth_;  // set before the server exists
};

absl::Status UserStreamService::Impl::Start() {
  clob::UserChannelOptions ch;
  ch.url = options.ws_url;
  ch.credentials = {
      .api_key = credentials->key(), .secret = credentials->secret(), .passphrase = credentials->passphrase()};
  ch.executor = &loop;
  ch.on_message = [this](std::string message) {
    core->OnFrame(message, Now());
    Flush();
  };
  ch.on_connected = [this](bool reconnect) { OnConnected(reconnect); };
  ch.on_disconnected = [this](std::string reason) {
    connected = false;
    spdlog::warn("userstream: user channel lost: {}", reason);
  };
  std::promise<absl::StatusOr<std::unique_ptr<clob::UserChannel>>> made;
  loop.Post([&] { made.set_value(clob::UserChannel::Create(*io, ch)); });
  CM_ASSIGN_OR_RETURN(channel, made.get_future().get());
  // The authorizer is in place before the server accepts a call (fail-closed without one).
  const auto authorizer = grpcserver::Authorizer::Token(options.admin_token);
  status = std::make_unique<StatusService>(*this, authorizer);
  CM_ASSIGN_OR_RETURN(
      grpc, grpcserver::GrpcServer::Start({.listen = options.admin_listen, .authorizer = authorizer}, {status.get()}));
  metrics::AddServiceStatusCollector(registry, "userstream",
                                     [this](common::v1::ServiceStatus* st) { status->FillServiceStatus(st); });
  if (!options.metrics_listen.empty()) {
    CM_ASSIGN_OR_RETURN(metrics_server, metrics::MetricsServer::Start(*io, options.metrics_listen, registry));
    spdlog::info("userstream: metrics on http://{}/metrics", metrics_server->address());
  }
  spdlog::info("userstream: admin API on {}; user channel {}", grpc->address(), options.ws_url);
  return absl::OkStatus();
}

UserStreamService::UserStreamService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
UserStreamService::~UserStreamService() { impl_->Shutdown(); }

absl::StatusOr<std::unique_ptr<UserStreamService>> UserStreamService::Create(
    const UserStreamOptions& options, const crypto::PrivateKey& key, const signing::ApiCredentials& credentials) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->key = &key;
  impl->credentials = &credentials;
  CM_RETURN_IF_ERROR(impl->Setup());
  return std::unique_ptr<UserStreamService>(new UserStreamService(std::move(impl)));
}

absl::Status UserStreamService::Run(const std::atomic<bool>& stop) {
  CM_RETURN_IF_ERROR(impl_->Start());
  while (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  return absl::OkStatus();
}

}  // namespace clobmaker::userstream
