#include "services/marketdata/service/marketdata_service.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <future>
#include <thread>

#include "clobmaker/marketdata/v1/marketdata.grpc.pb.h"
#include "common/bus/subjects.h"
#include "common/clob/channels.h"
#include "common/clob/rest_client.h"
#include "common/core/executor.h"
#include "common/core/run_and_wait.h"
#include "common/core/status.h"
#include "common/grpcserver/grpc_server.h"
#include "common/metrics/metrics.h"
#include "common/metrics/service_status.h"
#include "common/nats/nats.h"
#include "common/net/http.h"
#include "common/net/http_client.h"
#include "common/net/io_thread.h"
#include "common/net/ws_client.h"
#include "common/polymarket/decode.h"

namespace clobmaker::marketdata {

class AdminService;

namespace {

std::string DeriveWsUrl(const net::Url& url, std::string_view path) {
  return fmt::format("{}://{}:{}{}{}", url.tls() ? "wss" : "ws", url.host, url.port, url.path, path);
}

bool LooksLikeTokenId(std::string_view s) {
  return !s.empty() && s.size() >= 10 && s.find_first_not_of("0123456789") == std::string_view::npos;
}

}  // namespace

struct MarketDataService::Impl {
  MarketDataOptions options;
  const Clock& clock = SystemClock::Instance();
  ThreadExecutor loop;
  ThreadExecutor kv_writer;
  std::unique_ptr<net::IoThread> io;
  std::unique_ptr<clob::ClobRestClient> rest;
  std::unique_ptr<net::HttpClient> gamma;
  std::unique_ptr<clob::MarketChannel> channel;
  std::unique_ptr<net::WsClient> reference_ws;
  std::unique_ptr<nats::Connection> nats;
  std::unique_ptr<nats::JetStream> js;
  std::unique_ptr<nats::KeyValue> markets_kv;
  bus::HeaderStamper stamper{"marketdata"};
  std::unique_ptr<BookKeeper> keeper;
  std::unique_ptr<ReferenceTracker> reference;
  std::unique_ptr<JournalRecorder> journal;
  Nanos last_checkpoint = 0;
  polymarket::MarketDecoder decoder;
  polymarket::MarketFrame frame;
  std::vector<Publication> pubs;
  std::unique_ptr<AdminService> admin;
  std::unique_ptr<grpcserver::GrpcServer> grpc;
  metrics::Registry registry;
  metrics::Histogram* frame_to_publish = nullptr;
  std::unique_ptr<metrics::MetricsServer> metrics_server;
  std::thread timer;
  std::atomic<bool> timer_stop{false};
  Nanos started_at = 0;
  Nanos last_status = 0;
  // Loop-owned.
  std::vector<std::string> unresolved;  // configured markets still to resolve
  uint64_t publish_failures = 0, kv_failures = 0, resolve_failures = 0, reference_malformed_logged = 0;

  Nanos Now() const { return clock.WallNanos(); }

  // Loop side: what the cores produced goes out.
  void Flush() {
    const Nanos now = Now();
    for (const SnapshotRequest& r : keeper->TakeSnapshotRequests()) {
      rest->GetBook(r.token_id, [this, id = r.id](clob::Result<polymarket::BookEvent> result) {
        if (result.ok()) {
          keeper->OnSnapshot(id, *result.value, Now());
        } else {
          keeper->OnSnapshot(id, absl::UnavailableError(result.error.error), Now());
        }
        Flush();
      });
    }
    pubs.clear();
    keeper->TakePublications(now, pubs);
    reference->TakePublications(now, pubs);
    for (Publication& p : pubs) {
      if (auto st = nats->Publish(p.subject, p.data); !st.ok()) {
        if (publish_failures++ % 1000 == 0) spdlog::warn("marketdata: publish failed: {}", StatusText(st));
      }
      if (!p.kv_key.empty()) {
        kv_writer.Post([this, key = std::move(p.kv_key), data = std::move(p.data)] {
          if (auto put = markets_kv->Put(key, data); !put.ok()) {
            kv_failures++;
            spdlog::warn("marketdata: CM_MARKETS put {} failed: {}", key, StatusText(put.status()));
          }
        });
      }
    }
    for (const std::string& notice : keeper->TakeNotices()) spdlog::info("marketdata: {}", notice);
  }

  void OnMarketMessage(size_t shard, const std::string& message) {
    const Nanos receive = Now();
    if (journal) journal->MarketFrame(shard, message, receive);
    decoder.Decode(message, frame);
    for (const polymarket::CodecError& e : frame.errors) {
      spdlog::warn("marketdata: bad market frame ({}, {}): {}", polymarket::CodecErrorKindName(e.kind), e.event_type,
                   e.detail);
    }
    keeper->OnFrame(frame, receive);
    Flush();
    frame_to_publish->Observe(Now() - receive);
  }

  void OnReferenceMessage(const std::string& message) {
    if (journal) journal->ReferenceFrame(options.reference.feed, message, Now());
    std::string error;
    if (!reference->OnFrame(message, Now(), &error) && reference_malformed_logged++ < 100) {
      spdlog::warn("marketdata: bad reference frame: {}", error);
    }
    Flush();
  }

  void OnTimer() {
    const Nanos now = Now();
    keeper->OnTimer(now);
    if (journal && now - last_checkpoint >= options.journal.checkpoint_every) {
      last_checkpoint = now;
      journal->Checkpoint(*keeper, now);
    }
    if (now - last_status >= kNanosPerSecond) {
      last_status = now;
      PublishFeedStatus(now);
      if (!unresolved.empty()) ResolveConfigured();
    }
    Flush();
  }

  void PublishFeedStatus(Nanos now) {
    v1::FeedStatus market;
    stamper.Stamp(market.mutable_header(), 0, now, now);
    market.set_feed("market-ws");
    market.set_connected(channel != nullptr && channel->all_connected());
    market.set_reconnects(channel ? channel->reconnects() : 0);
    Nanos last = 0;
    for (const auto& t : keeper->tokens()) last = std::max(last, t->last_receive);
    market.set_last_message_ns(last);
    (void)nats->Publish(bus::kMarketStatusSubject, market.SerializeAsString());
    if (reference_ws) {
      v1::FeedStatus ref;
      stamper.Stamp(ref.mutable_header(), 0, now, now);
      ref.set_feed("reference:" + options.reference.feed);
      ref.set_connected(reference->connected());
      ref.set_reconnects(reference->counters().disconnects);
      Nanos last_ref = 0;
      for (const auto& [symbol, s] : reference->symbols()) last_ref = std::max(last_ref, s.received);
      ref.set_last_message_ns(last_ref);
      const auto stale = reference->StaleSymbols(now);
      if (!stale.empty()) ref.set_detail(fmt::format("{} stale symbols", stale.size()));
      (void)nats->Publish(bus::kMarketStatusSubject, ref.SerializeAsString());
    }
  }

  // Resolves a slug or token id through the metadata API; `done` runs on the loop.
  void Resolve(const std::string& spec, std::function<void(absl::StatusOr<polymarket::MarketMetadata>)> done) {
    net::HttpRequest request;
    request.target = LooksLikeTokenId(spec) ? "/markets?clob_token_ids=" + clob::UrlEncode(spec)
                                            : "/markets?slug=" + clob::UrlEncode(spec);
    gamma->Send(
        std::move(request), 5 * kNanosPerSecond,
        [spec, done = std::move(done)](net::HttpResult r) {
          if (r.outcome != net::Outcome::kOk || !r.response) {
            done(absl::UnavailableError(fmt::format("metadata API: {} {}", r.response ? r.response->status : 0,
                                                    r.error.empty() && r.response ? r.response->body : r.error)));
            return;
          }
          auto markets = polymarket::ParseGammaMarkets(r.response->body);
          if (!markets.ok()) {
            done(markets.status());
            return;
          }
          if (markets->empty()) {
            done(absl::NotFoundError(fmt::format("no market for '{}'", spec)));
            return;
          }
          done(std::move(markets->front()));
        },
        &loop);
  }

  void ListAll(std::function<void(absl::StatusOr<std::vector<polymarket::MarketMetadata>>)> done) {
    net::HttpRequest request;
    request.target = "/markets?limit=100&active=true&closed=false";
    gamma->Send(
        std::move(request), 5 * kNanosPerSecond,
        [done = std::move(done)](net::HttpResult r) {
          if (r.outcome != net::Outcome::kOk || !r.response) {
            done(absl::UnavailableError(fmt::format("metadata API: {}", r.error)));
            return;
          }
          done(polymarket::ParseGammaMarkets(r.response->body));
        },
        &loop);
  }

  // Loop side.
  absl::Status AddMarket(const polymarket::MarketMetadata& m) {
    if (m.token_ids.size() != 2) {
      return absl::InvalidArgumentError(fmt::format("market {} has {} outcome tokens; only binary markets are quoted",
                                                    m.condition_id, m.token_ids.size()));
    }
    const std::vector<std::string> added = keeper->AddMarket(m, Now());
    if (journal) journal->MarketInfo(m, Now());
    if (!added.empty()) {
      // Assets added to a connection that is already up: their dump is coming on it now.
      const std::vector<std::string> live = channel->Subscribe(added);
      if (!live.empty()) keeper->OnConnected(live, Now());
    }
    spdlog::info("marketdata: market {} ({}) tick {}{}: tokens {} / {}", m.condition_id, m.slug, m.tick.ToString(),
                 m.neg_risk ? " neg-risk" : "", m.token_ids[0], m.token_ids[1]);
    Flush();
    return absl::OkStatus();
  }

  void ResolveConfigured() {
    for (const std::string& spec : std::vector<std::string>(unresolved)) {
      Resolve(spec, [this, spec](absl::StatusOr<polymarket::MarketMetadata> m) {
        if (!m.ok()) {
          if (resolve_failures++ % 10 == 0) {
            spdlog::warn("marketdata: cannot resolve market '{}' yet: {}", spec, StatusText(m.status()));
          }
          return;
        }
        if (std::erase(unresolved, spec) == 0) return;
        if (auto st = AddMarket(*m); !st.ok()) spdlog::error("marketdata: {}", StatusText(st));
      });
    }
  }

  absl::Status Setup() {
    CM_ASSIGN_OR_RETURN(nats,
                        nats::Connection::Connect({.url = options.nats_url, .name = "marketdata", .executor = &loop}));
    CM_ASSIGN_OR_RETURN(js, nats::JetStream::Create(*nats));
    CM_ASSIGN_OR_RETURN(markets_kv, js->EnsureKeyValue({.bucket = std::string(bus::kMarketsBucket), .history = 1}));
    if (options.journal.enabled) {
      CM_ASSIGN_OR_RETURN(journal, JournalRecorder::Create(*nats, *js, options.journal));
    }
    io = std::make_unique<net::IoThread>();
    clob::ClobClientOptions rest_options;
    rest_options.http.base_url = options.clob_url;
    rest_options.executor = &loop;
    CM_ASSIGN_OR_RETURN(rest, clob::ClobRestClient::Create(*io, rest_options, nullptr, nullptr));
    CM_ASSIGN_OR_RETURN(net::Url url, net::ParseUrl(options.clob_url));
    if (options.gamma_url.empty()) options.gamma_url = options.clob_url + "/gamma";
    if (options.market_ws_url.empty()) options.market_ws_url = DeriveWsUrl(url, "/ws/market");
    if (options.reference_url.empty()) options.reference_url = DeriveWsUrl(url, "/ws/reference");
    CM_ASSIGN_OR_RETURN(gamma, net::HttpClient::Create(*io, {.base_url = options.gamma_url}));
    keeper = std::make_unique<BookKeeper>(options.books, stamper);
    frame_to_publish = &registry.AddHistogram("clobmaker_marketdata_frame_to_publish_seconds",
                                              "market websocket frame taken by the loop -> books published");
    options.reference.feed = options.reference_feed;
    reference = std::make_unique<ReferenceTracker>(options.reference, stamper);
    started_at = Now();
    return absl::OkStatus();
  }

  absl::Status Start();

  template <typename F>
  auto OnLoop(F&& fn) {
    return RunAndWait(loop, std::forward<F>(fn));
  }

  void Shutdown() {
    if (grpc) grpc->Shutdown();
    metrics_server.reset();
    timer_stop = true;
    if (timer.joinable()) timer.join();
    OnLoop([&] {
      if (channel) channel->Stop();
      if (reference_ws) reference_ws->Stop();
    });
    rest.reset();
    gamma.reset();
    io.reset();
    OnLoop([] {});
    std::promise<void> flushed;
    kv_writer.Post([&] { flushed.set_value(); });
    flushed.get_future().wait();
  }
};

class AdminService final : public v1::MarketDataAdmin::Service {
 public:
  AdminService(MarketDataService::Impl& s, std::shared_ptr<const grpcserver::Authorizer> auth)
      : s_(s), auth_(std::move(auth)) {}

  grpc::Status ListMarkets(grpc::ServerContext* ctx, const v1::ListMarketsRequest*,
                           v1::ListMarketsResponse* out) override {
    if (auto st = Authorize(*ctx); !st.ok()) return st;
    s_.OnLoop([&] {
      for (const MarketEntry& m : s_.keeper->markets()) s_.keeper->FillMarketInfo(m, s_.Now(), *out->add_markets());
    });
    return grpc::Status::OK;
  }

  grpc::Status ListBooks(grpc::ServerContext* ctx, const v1::ListBooksRequest*, v1::ListBooksResponse* out) override {
    if (auto st = Authorize(*ctx); !st.ok()) return st;
    s_.OnLoop([&] {
      const Nanos now = s_.Now();
      for (const auto& t : s_.keeper->tokens()) {
        v1::BookSummary* b = out->add_books();
        b->set_token_id(t->token_id);
        b->set_condition_id(t->condition_id);
        const book::L2Book& book = t->tracker.book();
        b->set_best_bid_units(book.BestBid() ? book.BestBid()->price.units() : 0);
        b->set_best_ask_units(book.BestAsk() ? book.BestAsk()->price.units() : 0);
        b->set_tick_units(book.tick().units());
        b->set_age_ns(t->last_change == 0 ? 0 : now - t->last_change);
        b->set_resyncing(!t->trusted());
      }
    });
    return grpc::Status::OK;
  }

  grpc::Status GetBook(grpc::ServerContext* ctx, const v1::GetBookRequest* in, v1::Book* out) override {
    if (auto st = Authorize(*ctx); !st.ok()) return st;
    const bool found = s_.OnLoop([&] {
      const TokenBook* t = s_.keeper->FindToken(in->token_id());
      if (t == nullptr) return false;
      s_.keeper->FillBook(*t, in->depth(), s_.Now(), *out);
      return true;
    });
    if (!found) return {grpc::StatusCode::NOT_FOUND, "no book for token " + in->token_id()};
    return grpc::Status::OK;
  }

  grpc::Status SubscribeMarket(grpc::ServerContext* ctx, const v1::SubscribeMarketRequest* in,
                               v1::SubscribeMarketResponse* out) override {
    if (auto st = Authorize(*ctx); !st.ok()) return st;
    const std::string spec = in->slug().empty() ? in->token_id() : in->slug();
    if (spec.empty()) return {grpc::StatusCode::INVALID_ARGUMENT, "give a slug or a token id"};
    auto done = std::make_shared<std::promise<absl::StatusOr<polymarket::MarketMetadata>>>();
    auto future = done->get_future();
    s_.loop.Post([this, spec, done] {
      s_.Resolve(spec, [this, done](absl::StatusOr<polymarket::MarketMetadata> m) {
        if (m.ok()) {
          if (auto st = s_.AddMarket(*m); !st.ok()) m = st;
        }
        done->set_value(std::move(m));
      });
    });
    if (future.wait_for(std::chrono::seconds(15)) != std::future_status::ready) {
      return {grpc::StatusCode::DEADLINE_EXCEEDED, "metadata API did not answer"};
    }
    auto m = future.get();
    if (!m.ok()) {
      return {m.status().code() == absl::StatusCode::kNotFound ? grpc::StatusCode::NOT_FOUND
                                                               : grpc::StatusCode::UNAVAILABLE,
              std::string(StatusText(m.status()))};
    }
    common::v1::MarketRef* ref = out->mutable_market();
    ref->set_condition_id(m->condition_id);
    ref->set_slug(m->slug);
    ref->set_yes_token_id(m->token_ids[0]);
    ref->set_no_token_id(m->token_ids[1]);
    return grpc::Status::OK;
  }

  grpc::Status UnsubscribeMarket(grpc::ServerContext* ctx, const v1::UnsubscribeMarketRequest* in,
                                 v1::UnsubscribeMarketResponse*) override {
    if (auto st = Authorize(*ctx); !st.ok()) return st;
    const bool removed = s_.OnLoop([&] {
      const std::vector<std::string> tokens = s_.keeper->RemoveMarket(in->condition_id());
      if (!tokens.empty()) s_.channel->Unsubscribe(tokens);
      return !tokens.empty();
    });
    if (!removed) return {grpc::StatusCode::NOT_FOUND, "not subscribed: " + in->condition_id()};
    spdlog::info("marketdata: unsubscribed market {}", in->condition_id());
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
      const Nanos now = s_.Now();
      const BookKeeperCounters& c = s_.keeper->counters();
      size_t untrusted = 0;
      for (const auto& t : s_.keeper->tokens()) untrusted += t->trusted() ? 0 : 1;
      const bool feed_up = s_.channel->all_connected();
      out->set_service("marketdata");
      out->set_started_at_ns(s_.started_at);
      std::string reason;
      if (!s_.unresolved.empty()) reason = fmt::format("{} markets not resolved yet", s_.unresolved.size());
      if (!feed_up) reason = "market channel not connected";
      if (untrusted > 0 && reason.empty()) reason = fmt::format("{} books resyncing", untrusted);
      out->set_ready(reason.empty() && !s_.keeper->tokens().empty());
      if (s_.keeper->tokens().empty() && reason.empty()) reason = "no markets subscribed";
      out->set_not_ready_reason(reason);
      auto& m = *out->mutable_counters();
      const auto put = [&](const char* name, uint64_t v) { m[name] = static_cast<int64_t>(v); };
      put("markets", s_.keeper->markets().size());
      put("tokens", s_.keeper->tokens().size());
      put("books_untrusted", untrusted);
      put("frames", c.frames);
      put("events", c.events);
      put("price_changes", c.price_changes);
      put("ws_snapshots", c.ws_snapshots);
      put("rest_snapshots", c.rest_snapshots);
      put("resyncs", c.resyncs);
      put("verifications", c.verifications);
      put("verify_mismatches", c.verify_mismatches);
      put("book_hash_mismatches", c.book_hash_mismatches);
      put("verify_overtaken", c.verify_overtaken);
      put("superseded", c.superseded);
      put("tick_changes", c.tick_changes);
      put("duplicate_tick_changes", c.duplicate_tick_changes);
      put("trades", c.trades);
      put("best_bid_ask_mismatches", c.best_bid_ask_mismatches);
      put("unknown_tokens", c.unknown_tokens);
      put("malformed", c.malformed);
      put("unknown_types", c.unknown_types);
      put("missing_fields", c.missing_fields);
      put("bad_values", c.bad_values);
      put("snapshot_failures", c.snapshot_failures);
      put("snapshot_timeouts", c.snapshot_timeouts);
      put("buffer_overflows", c.buffer_overflows);
      put("dropped_untrusted", c.dropped_untrusted);
      put("books_published", c.books_published);
      put("resolved_markets", c.resolved_markets);
      put("market_ws_reconnects", s_.channel->reconnects());
      put("market_ws_connections", s_.channel->shard_count());
      put("reference_prices", s_.reference->counters().prices);
      put("reference_malformed", s_.reference->counters().malformed);
      put("reference_out_of_order", s_.reference->counters().out_of_order);
      put("reference_disconnects", s_.reference->counters().disconnects);
      put("reference_symbols", s_.reference->symbols().size());
      put("reference_stale_symbols", s_.reference->StaleSymbols(now).size());
      put("publish_failures", s_.publish_failures);
      put("kv_failures", s_.kv_failures);
      put("resolve_failures", s_.resolve_failures);
      put("journal_records", s_.journal ? s_.journal->counters().records : 0);
      put("journal_bytes", s_.journal ? s_.journal->counters().bytes : 0);
      put("journal_publish_failures", s_.journal ? s_.journal->counters().publish_failures : 0);
    });
  }

 private:
  grpc::Status Authorize(const grpc::ServerContext& ctx) const { return grpcserver::Authorize(auth_.get(), ctx); }
  MarketDataService::Impl& s_;
  const std::shared_ptr<const grpcserver::Authorizer> auth_;  // set before the server exists
};

absl::Status MarketDataService::Impl::Start() {
  clob::MarketChannelOptions ch;
  ch.url = options.market_ws_url;
  ch.max_assets_per_connection = options.max_assets_per_connection;
  ch.executor = &loop;
  ch.on_message = [this](size_t shard, std::string message) { OnMarketMessage(shard, message); };
  ch.on_connected = [this](size_t shard, bool reconnect, const std::vector<std::string>& assets) {
    keeper->OnConnected(assets, Now());
    spdlog::info("marketdata: market channel shard {} {} ({} assets)", shard, reconnect ? "reconnected" : "connected",
                 assets.size());
    Flush();
  };
  ch.on_disconnected = [this](size_t shard, std::string reason) {
    const auto assignment = channel->assignment();
    if (shard < assignment.size()) keeper->OnDisconnected(assignment[shard], Now());
    spdlog::warn("marketdata: market channel shard {} lost: {}", shard, reason);
    Flush();
  };
  CM_ASSIGN_OR_RETURN(channel, OnLoop([&] { return clob::MarketChannel::Create(*io, ch); }));

  if (options.reference_url != "none") {
    net::WsClientOptions ref;
    ref.url = options.reference_url;
    ref.executor = &loop;
    ref.ping_interval = 5 * kNanosPerSecond;  // the real-time data stream wants a PING every 5 s
    ref.on_connected = [this](bool reconnect) {
      reference->OnConnected(Now());
      if (!options.reference_subscribe.empty()) reference_ws->Send(options.reference_subscribe);
      spdlog::info("marketdata: reference feed {} {}", options.reference_feed, reconnect ? "reconnected" : "connected");
    };
    ref.on_message = [this](std::string message) { OnReferenceMessage(message); };
    ref.on_disconnected = [this](std::string reason) {
      reference->OnDisconnected(Now());
      spdlog::warn("marketdata: reference feed lost: {}", reason);
    };
    CM_ASSIGN_OR_RETURN(reference_ws, net::WsClient::Create(*io, ref));
    reference_ws->Start();
  }

  if (options.all_markets) {
    std::promise<absl::StatusOr<std::vector<polymarket::MarketMetadata>>> listed;
    loop.Post([&] { ListAll([&](auto r) { listed.set_value(std::move(r)); }); });
    auto markets = listed.get_future().get();
    if (!markets.ok()) return markets.status();
    for (const polymarket::MarketMetadata& m : *markets) {
      if (m.closed || m.token_ids.size() != 2) continue;
      auto st = OnLoop([&] { return AddMarket(m); });
      if (!st.ok()) spdlog::warn("marketdata: {}", StatusText(st));
    }
  }
  OnLoop([&] {
    unresolved = options.markets;
    ResolveConfigured();
  });

  // The authorizer is in place before the server accepts a call (fail-closed without one).
  const auto authorizer = grpcserver::Authorizer::Token(options.admin_token);
  admin = std::make_unique<AdminService>(*this, authorizer);
  CM_ASSIGN_OR_RETURN(
      grpc, grpcserver::GrpcServer::Start({.listen = options.admin_listen, .authorizer = authorizer}, {admin.get()}));
  metrics::AddServiceStatusCollector(registry, "marketdata",
                                     [this](common::v1::ServiceStatus* st) { admin->FillServiceStatus(st); });
  registry.AddCollector([this](metrics::Samples& s) {
    OnLoop([&] {
      const Nanos now = Now();
      for (const auto& t : keeper->tokens()) {
        if (t->last_receive == 0) continue;
        s.Gauge("clobmaker_book_staleness_seconds", "time since the last message for the token's book",
                static_cast<double>(now - t->last_receive) / 1e9, "token=\"" + t->token_id + "\"");
      }
    });
  });
  if (!options.metrics_listen.empty()) {
    CM_ASSIGN_OR_RETURN(metrics_server, metrics::MetricsServer::Start(*io, options.metrics_listen, registry));
    spdlog::info("marketdata: metrics on http://{}/metrics", metrics_server->address());
  }
  timer = std::thread([this] {
    while (!timer_stop) {
      std::this_thread::sleep_for(std::chrono::nanoseconds(options.timer_interval));
      loop.Post([this] { OnTimer(); });
    }
  });
  spdlog::info("marketdata: admin API on {}; market channel {}; metadata {}; reference {}", grpc->address(),
               options.market_ws_url, options.gamma_url, options.reference_url);
  return absl::OkStatus();
}

MarketDataService::MarketDataService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MarketDataService::~MarketDataService() { impl_->Shutdown(); }

absl::StatusOr<std::unique_ptr<MarketDataService>> MarketDataService::Create(const MarketDataOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  CM_RETURN_IF_ERROR(impl->Setup());
  return std::unique_ptr<MarketDataService>(new MarketDataService(std::move(impl)));
}

absl::Status MarketDataService::Run(const std::atomic<bool>& stop) {
  CM_RETURN_IF_ERROR(impl_->Start());
  while (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  return absl::OkStatus();
}

}  // namespace clobmaker::marketdata
