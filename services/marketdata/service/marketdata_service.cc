#include "services/marketdata/service/marketdata_service.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <utility>

#include "clobmaker/marketdata/v1/marketdata.pb.h"
#include "common/bus/subjects.h"
#include "common/clob/channels.h"
#include "common/clob/rest_client.h"
#include "common/core/status.h"
#include "common/metrics/metrics.h"
#include "common/net/http.h"
#include "common/net/http_client.h"
#include "common/net/ws_client.h"
#include "common/polymarket/decode.h"
#include "common/service/counters.h"

namespace clobmaker::marketdata {
namespace {

constexpr std::string_view kAdminService = "clobmaker.marketdata.v1.MarketDataAdmin";

std::string DeriveWsUrl(const net::Url& url, std::string_view path) {
  return fmt::format("{}://{}:{}{}{}", url.tls() ? "wss" : "ws", url.host, url.port, url.path, path);
}

bool LooksLikeTokenId(std::string_view s) {
  return !s.empty() && s.size() >= 10 && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// The shell's own counters (the cores' are BookKeeperCounters, ReferenceCounters, JournalCounters).
struct ShellCounters {
  uint64_t publish_failures = 0, kv_failures = 0, resolve_failures = 0;
};

// What the status reports as counters that are sizes of the current state, read once per report.
struct StateCounters {
  uint64_t markets = 0, tokens = 0, books_untrusted = 0, market_ws_reconnects = 0, market_ws_connections = 0,
           reference_symbols = 0, reference_stale_symbols = 0;
};

const service::CounterTable<BookKeeperCounters>& BookCounters() {
  static const auto& table = *new service::CounterTable<BookKeeperCounters>({
      {"frames", &BookKeeperCounters::frames},
      {"events", &BookKeeperCounters::events},
      {"price_changes", &BookKeeperCounters::price_changes},
      {"ws_snapshots", &BookKeeperCounters::ws_snapshots},
      {"rest_snapshots", &BookKeeperCounters::rest_snapshots},
      {"resyncs", &BookKeeperCounters::resyncs},
      {"verifications", &BookKeeperCounters::verifications},
      {"verify_mismatches", &BookKeeperCounters::verify_mismatches},
      {"book_hash_mismatches", &BookKeeperCounters::book_hash_mismatches},
      {"verify_overtaken", &BookKeeperCounters::verify_overtaken},
      {"superseded", &BookKeeperCounters::superseded},
      {"tick_changes", &BookKeeperCounters::tick_changes},
      {"duplicate_tick_changes", &BookKeeperCounters::duplicate_tick_changes},
      {"trades", &BookKeeperCounters::trades},
      {"best_bid_ask_mismatches", &BookKeeperCounters::best_bid_ask_mismatches},
      {"unknown_tokens", &BookKeeperCounters::unknown_tokens},
      {"malformed", &BookKeeperCounters::malformed},
      {"unknown_types", &BookKeeperCounters::unknown_types},
      {"missing_fields", &BookKeeperCounters::missing_fields},
      {"bad_values", &BookKeeperCounters::bad_values},
      {"snapshot_failures", &BookKeeperCounters::snapshot_failures},
      {"snapshot_timeouts", &BookKeeperCounters::snapshot_timeouts},
      {"buffer_overflows", &BookKeeperCounters::buffer_overflows},
      {"dropped_untrusted", &BookKeeperCounters::dropped_untrusted},
      {"books_published", &BookKeeperCounters::books_published},
      {"resolved_markets", &BookKeeperCounters::resolved_markets},
  });
  return table;
}

const service::CounterTable<ReferenceCounters>& RefCounters() {
  static const auto& table = *new service::CounterTable<ReferenceCounters>({
      {"reference_prices", &ReferenceCounters::prices},
      {"reference_malformed", &ReferenceCounters::malformed},
      {"reference_out_of_order", &ReferenceCounters::out_of_order},
      {"reference_disconnects", &ReferenceCounters::disconnects},
  });
  return table;
}

const service::CounterTable<JournalCounters>& JournalTable() {
  static const auto& table = *new service::CounterTable<JournalCounters>({
      {"journal_records", &JournalCounters::records},
      {"journal_bytes", &JournalCounters::bytes},
      {"journal_publish_failures", &JournalCounters::publish_failures},
  });
  return table;
}

const service::CounterTable<ShellCounters>& OwnCounters() {
  static const auto& table = *new service::CounterTable<ShellCounters>({
      {"publish_failures", &ShellCounters::publish_failures},
      {"kv_failures", &ShellCounters::kv_failures},
      {"resolve_failures", &ShellCounters::resolve_failures},
  });
  return table;
}

const service::CounterTable<StateCounters>& StateTable() {
  static const auto& table = *new service::CounterTable<StateCounters>({
      {"markets", &StateCounters::markets},
      {"tokens", &StateCounters::tokens},
      {"books_untrusted", &StateCounters::books_untrusted},
      {"market_ws_reconnects", &StateCounters::market_ws_reconnects},
      {"market_ws_connections", &StateCounters::market_ws_connections},
      {"reference_symbols", &StateCounters::reference_symbols},
      {"reference_stale_symbols", &StateCounters::reference_stale_symbols},
  });
  return table;
}

absl::StatusOr<std::vector<polymarket::MarketMetadata>> ParseListing(const net::HttpResult& r) {
  if (r.outcome != net::Outcome::kOk || !r.response) {
    return absl::UnavailableError(fmt::format("metadata API: {}", r.error));
  }
  return polymarket::ParseGammaMarkets(r.response->body);
}

}  // namespace

service::ServiceSpec MarketDataService::Spec() {
  return {.name = "marketdata", .summary = "marketdata: books, tick sizes, trades and reference prices onto NATS"};
}

void MarketDataService::Flags::Declare(CLI::App& app) {
  app.add_option("--ws-url", options.market_ws_url, "market channel URL (default: derived from --clob-url)");
  app.add_option("--gamma-url", options.gamma_url,
                 "metadata API base URL (default: <clob-url>/gamma; real: https://gamma-api.polymarket.com)");
  app.add_option("--reference-url", options.reference_url,
                 "reference price websocket (default: the simulator's /ws/reference; 'none' disables)");
  app.add_option("--reference-feed", options.reference_feed, "reference feed name")->capture_default_str();
  app.add_option("--reference-subscribe", options.reference_subscribe,
                 "message sent on every reference (re)connect, e.g. an RTDS crypto_prices subscription");
  app.add_option("--reference-stale-s", stale_after_s, "a reference symbol silent this long is stale")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--market", options.markets, "market slug or token id (repeatable)");
  app.add_flag("--all-markets", options.all_markets, "every market the metadata API lists (first page)");
  app.add_option("--max-assets-per-connection", options.max_assets_per_connection, "market channel sharding")
      ->capture_default_str()
      ->check(CLI::Range(1, 500));
  app.add_option("--snapshot-rate", options.books.snapshot_rate_per_s, "GET /book requests per second")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 1000.0));
  app.add_option("--verify-quiet-ms", verify_quiet_ms, "verify a book against GET /book after this much quiet")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{10}, int64_t{3'600'000}));
  app.add_option("--verify-every-s", verify_every_s, "and at least this often")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{86'400}));
  app.add_flag("--no-journal", no_journal, "do not record raw frames on CM_JOURNAL");
  app.add_option("--journal-max-bytes", options.journal.max_bytes, "CM_JOURNAL's size bound (oldest records go)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1} << 20, int64_t{1} << 50));
  app.add_option("--journal-max-age-h", journal_max_age_h, "CM_JOURNAL's age bound")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 24.0 * 365));
  app.add_option("--journal-checkpoint-s", journal_checkpoint_s, "every market's metadata and book this often")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 3600.0));
}

absl::StatusOr<MarketDataOptions> MarketDataService::Flags::ToOptions(const service::CommonConfig& config) const {
  if (options.markets.empty() && !options.all_markets) {
    return absl::InvalidArgumentError("no markets: give --market (slug or token id) or --all-markets");
  }
  MarketDataOptions out = options;
  out.clob_url = config.clob_url;
  out.journal.enabled = !no_journal;
  out.journal.max_age = static_cast<Nanos>(journal_max_age_h * 3600e9);
  out.journal.checkpoint_every = static_cast<Nanos>(journal_checkpoint_s * 1e9);
  out.reference.stale_after = static_cast<Nanos>(stale_after_s * 1e9);
  out.reference.feed = out.reference_feed;
  out.books.verify_when_quiet = verify_quiet_ms * kNanosPerMilli;
  out.books.verify_every = verify_every_s * 1000 * kNanosPerMilli;
  out.books.snapshot_burst = std::max(out.books.snapshot_burst, out.books.snapshot_rate_per_s);
  auto url = net::ParseUrl(out.clob_url);
  if (!url.ok()) return absl::InvalidArgumentError("--clob-url: " + std::string(StatusText(url.status())));
  if (out.gamma_url.empty()) out.gamma_url = out.clob_url + "/gamma";
  if (out.market_ws_url.empty()) out.market_ws_url = DeriveWsUrl(*url, "/ws/market");
  if (out.reference_url.empty()) out.reference_url = DeriveWsUrl(*url, "/ws/reference");
  return out;
}

struct MarketDataService::Impl {
  service::Host& host;
  MarketDataOptions options;
  std::unique_ptr<clob::ClobRestClient> rest;
  std::unique_ptr<net::HttpClient> gamma;
  std::unique_ptr<clob::MarketChannel> channel;
  std::unique_ptr<net::WsClient> reference_ws;
  std::unique_ptr<service::KvBucket> markets_kv;  // used on the "kv" worker only
  bus::HeaderStamper stamper{"marketdata"};
  BookKeeper keeper;
  ReferenceTracker reference;
  std::unique_ptr<JournalRecorder> journal;
  Nanos last_checkpoint = 0;
  polymarket::MarketDecoder decoder;
  polymarket::MarketFrame frame;
  std::vector<Publication> pubs;
  metrics::Histogram* frame_to_publish = nullptr;
  Nanos started_at = 0;
  Nanos last_status = 0;
  std::vector<std::string> unresolved;  // configured markets still to resolve
  ShellCounters counters;
  uint64_t reference_malformed_logged = 0;

  Impl(service::Host& h, MarketDataOptions o)
      : host(h),
        options(std::move(o)),
        keeper(options.books, stamper),
        reference(options.reference, stamper),
        started_at(h.Now()) {}

  Nanos Now() const { return host.Now(); }
  Executor& kv_worker() { return host.Worker("kv"); }

  // What the cores produced goes out.
  void Flush() {
    const Nanos now = Now();
    for (const SnapshotRequest& r : keeper.TakeSnapshotRequests()) {
      rest->GetBook(r.token_id, [this, id = r.id](clob::Result<polymarket::BookEvent> result) {
        if (result.ok()) {
          keeper.OnSnapshot(id, *result.value, Now());
        } else {
          keeper.OnSnapshot(id, absl::UnavailableError(result.error.error), Now());
        }
        Flush();
      });
    }
    pubs.clear();
    keeper.TakePublications(now, pubs);
    reference.TakePublications(now, pubs);
    for (Publication& p : pubs) {
      if (auto st = host.bus().Publish(p.subject, p.data); !st.ok()) {
        if (counters.publish_failures++ % 1000 == 0) spdlog::warn("marketdata: publish failed: {}", StatusText(st));
      }
      if (!p.kv_key.empty()) {
        kv_worker().Post([this, key = std::move(p.kv_key), data = std::move(p.data)] {
          auto put = markets_kv->Put(key, data);
          if (put.ok()) return;
          host.loop().Post([this, key, error = put.status()] {
            counters.kv_failures++;
            spdlog::warn("marketdata: CM_MARKETS put {} failed: {}", key, StatusText(error));
          });
        });
      }
    }
    for (const std::string& notice : keeper.TakeNotices()) spdlog::info("marketdata: {}", notice);
  }

  void OnMarketMessage(size_t shard, const std::string& message) {
    const Nanos receive = Now();
    if (journal) journal->MarketFrame(shard, message, receive);
    decoder.Decode(message, frame);
    for (const polymarket::CodecError& e : frame.errors) {
      spdlog::warn("marketdata: bad market frame ({}, {}): {}", polymarket::CodecErrorKindName(e.kind), e.event_type,
                   e.detail);
    }
    keeper.OnFrame(frame, receive);
    Flush();
    frame_to_publish->Observe(Now() - receive);
  }

  void OnReferenceMessage(const std::string& message) {
    if (journal) journal->ReferenceFrame(options.reference.feed, message, Now());
    std::string error;
    if (!reference.OnFrame(message, Now(), &error) && reference_malformed_logged++ < 100) {
      spdlog::warn("marketdata: bad reference frame: {}", error);
    }
    Flush();
  }

  void OnTimer() {
    const Nanos now = Now();
    keeper.OnTimer(now);
    if (journal && now - last_checkpoint >= options.journal.checkpoint_every) {
      last_checkpoint = now;
      journal->Checkpoint(keeper, now);
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
    for (const auto& t : keeper.tokens()) last = std::max(last, t->last_receive);
    market.set_last_message_ns(last);
    (void)host.bus().Publish(bus::kMarketStatusSubject, market.SerializeAsString());
    if (reference_ws) {
      v1::FeedStatus ref;
      stamper.Stamp(ref.mutable_header(), 0, now, now);
      ref.set_feed("reference:" + options.reference.feed);
      ref.set_connected(reference.connected());
      ref.set_reconnects(reference.counters().disconnects);
      Nanos last_ref = 0;
      for (const auto& [symbol, s] : reference.symbols()) last_ref = std::max(last_ref, s.received);
      ref.set_last_message_ns(last_ref);
      const auto stale = reference.StaleSymbols(now);
      if (!stale.empty()) ref.set_detail(fmt::format("{} stale symbols", stale.size()));
      (void)host.bus().Publish(bus::kMarketStatusSubject, ref.SerializeAsString());
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
        &host.loop());
  }

  absl::Status AddMarket(const polymarket::MarketMetadata& m) {
    if (m.token_ids.size() != 2) {
      return absl::InvalidArgumentError(fmt::format("market {} has {} outcome tokens; only binary markets are quoted",
                                                    m.condition_id, m.token_ids.size()));
    }
    const std::vector<std::string> added = keeper.AddMarket(m, Now());
    if (journal) journal->MarketInfo(m, Now());
    if (!added.empty()) {
      // Assets added to a connection that is already up: their dump is coming on it now.
      const std::vector<std::string> live = channel->Subscribe(added);
      if (!live.empty()) keeper.OnConnected(live, Now());
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
          if (counters.resolve_failures++ % 10 == 0) {
            spdlog::warn("marketdata: cannot resolve market '{}' yet: {}", spec, StatusText(m.status()));
          }
          return;
        }
        if (std::erase(unresolved, spec) == 0) return;
        if (auto st = AddMarket(*m); !st.ok()) spdlog::error("marketdata: {}", StatusText(st));
      });
    }
  }

  // --all-markets: the first page of the listing, before the service serves (a failure ends the
  // start-up). Waits for the answer (bounded by its deadline) on the loop, as Start may.
  absl::Status AddListedMarkets() {
    net::HttpRequest request;
    request.target = "/markets?limit=100&active=true&closed=false";
    CM_ASSIGN_OR_RETURN(const std::vector<polymarket::MarketMetadata> markets,
                        ParseListing(gamma->SendSync(std::move(request), 5 * kNanosPerSecond)));
    for (const polymarket::MarketMetadata& m : markets) {
      if (m.closed || m.token_ids.size() != 2) continue;
      if (auto st = AddMarket(m); !st.ok()) spdlog::warn("marketdata: {}", StatusText(st));
    }
    return absl::OkStatus();
  }

  absl::Status StartFeeds() {
    clob::MarketChannelOptions ch;
    ch.url = options.market_ws_url;
    ch.max_assets_per_connection = options.max_assets_per_connection;
    ch.executor = &host.loop();
    ch.on_message = [this](size_t shard, std::string message) { OnMarketMessage(shard, message); };
    ch.on_connected = [this](size_t shard, bool reconnect, const std::vector<std::string>& assets) {
      keeper.OnConnected(assets, Now());
      spdlog::info("marketdata: market channel shard {} {} ({} assets)", shard, reconnect ? "reconnected" : "connected",
                   assets.size());
      Flush();
    };
    ch.on_disconnected = [this](size_t shard, std::string reason) {
      const auto assignment = channel->assignment();
      if (shard < assignment.size()) keeper.OnDisconnected(assignment[shard], Now());
      spdlog::warn("marketdata: market channel shard {} lost: {}", shard, reason);
      Flush();
    };
    CM_ASSIGN_OR_RETURN(channel, clob::MarketChannel::Create(*host.io(), ch));

    if (options.reference_url == "none") return absl::OkStatus();
    net::WsClientOptions ref;
    ref.url = options.reference_url;
    ref.executor = &host.loop();
    ref.ping_interval = 5 * kNanosPerSecond;  // the real-time data stream wants a PING every 5 s
    ref.on_connected = [this](bool reconnect) {
      reference.OnConnected(Now());
      if (!options.reference_subscribe.empty()) reference_ws->Send(options.reference_subscribe);
      spdlog::info("marketdata: reference feed {} {}", options.reference_feed, reconnect ? "reconnected" : "connected");
    };
    ref.on_message = [this](std::string message) { OnReferenceMessage(message); };
    ref.on_disconnected = [this](std::string reason) {
      reference.OnDisconnected(Now());
      spdlog::warn("marketdata: reference feed lost: {}", reason);
    };
    CM_ASSIGN_OR_RETURN(reference_ws, net::WsClient::Create(*host.io(), ref));
    reference_ws->Start();
    return absl::OkStatus();
  }

  void FillStatus(common::v1::ServiceStatus* out) const {
    const Nanos now = Now();
    StateCounters state{.markets = keeper.markets().size(),
                        .tokens = keeper.tokens().size(),
                        .market_ws_reconnects = channel->reconnects(),
                        .market_ws_connections = channel->shard_count(),
                        .reference_symbols = reference.symbols().size(),
                        .reference_stale_symbols = reference.StaleSymbols(now).size()};
    for (const auto& t : keeper.tokens()) state.books_untrusted += t->trusted() ? 0 : 1;
    out->set_started_at_ns(started_at);
    std::string reason;
    if (!unresolved.empty()) reason = fmt::format("{} markets not resolved yet", unresolved.size());
    if (!channel->all_connected()) reason = "market channel not connected";
    if (state.books_untrusted > 0 && reason.empty()) reason = fmt::format("{} books resyncing", state.books_untrusted);
    out->set_ready(reason.empty() && !keeper.tokens().empty());
    if (keeper.tokens().empty() && reason.empty()) reason = "no markets subscribed";
    out->set_not_ready_reason(reason);
    auto& counters_out = *out->mutable_counters();
    StateTable().Export(state, counters_out);
    BookCounters().Export(keeper.counters(), counters_out);
    RefCounters().Export(reference.counters(), counters_out);
    OwnCounters().Export(counters, counters_out);
    JournalTable().Export(journal ? journal->counters() : JournalCounters{}, counters_out);
  }

  // Admin routes run on the loop; the host's admin server has authorized the call.
  void RouteAdmin() {
    grpcserver::AdminRoutes& admin = host.admin();
    admin.Add<v1::ListMarketsRequest, v1::ListMarketsResponse>(
        kAdminService, "ListMarkets", [this](const v1::ListMarketsRequest&, v1::ListMarketsResponse* out) {
          for (const MarketEntry& m : keeper.markets()) keeper.FillMarketInfo(m, Now(), *out->add_markets());
          return grpc::Status::OK;
        });
    admin.Add<v1::ListBooksRequest, v1::ListBooksResponse>(
        kAdminService, "ListBooks", [this](const v1::ListBooksRequest&, v1::ListBooksResponse* out) {
          const Nanos now = Now();
          for (const auto& t : keeper.tokens()) {
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
          return grpc::Status::OK;
        });
    admin.Add<v1::GetBookRequest, v1::Book>(
        kAdminService, "GetBook", [this](const v1::GetBookRequest& in, v1::Book* out) {
          const TokenBook* t = keeper.FindToken(in.token_id());
          if (t == nullptr) {
            return grpc::Status{grpc::StatusCode::NOT_FOUND, "no book for token " + in.token_id()};
          }
          keeper.FillBook(*t, in.depth(), Now(), *out);
          return grpc::Status::OK;
        });
    admin.AddAsync<v1::SubscribeMarketRequest, v1::SubscribeMarketResponse>(
        kAdminService, "SubscribeMarket",
        [this](const v1::SubscribeMarketRequest& in, v1::SubscribeMarketResponse* out, grpcserver::Reply reply) {
          SubscribeMarket(in, out, std::move(reply));
        });
    admin.Add<v1::UnsubscribeMarketRequest, v1::UnsubscribeMarketResponse>(
        kAdminService, "UnsubscribeMarket",
        [this](const v1::UnsubscribeMarketRequest& in, v1::UnsubscribeMarketResponse*) {
          const std::vector<std::string> tokens = keeper.RemoveMarket(in.condition_id());
          if (tokens.empty()) return grpc::Status{grpc::StatusCode::NOT_FOUND, "not subscribed: " + in.condition_id()};
          channel->Unsubscribe(tokens);
          spdlog::info("marketdata: unsubscribed market {}", in.condition_id());
          return grpc::Status::OK;
        });
    host.SetStatus([this](common::v1::ServiceStatus* out) { FillStatus(out); });
    host.RouteStatus<v1::StatusRequest>(kAdminService);
  }

  // Answered once the metadata API has (its deadline bounds that), or DEADLINE_EXCEEDED after
  // 15 s on the host's clock; a market resolved after that is still added.
  void SubscribeMarket(const v1::SubscribeMarketRequest& in, v1::SubscribeMarketResponse* out,
                       grpcserver::Reply reply) {
    const std::string spec = in.slug().empty() ? in.token_id() : in.slug();
    if (spec.empty()) {
      reply({grpc::StatusCode::INVALID_ARGUMENT, "give a slug or a token id"});
      return;
    }
    struct Call {
      grpcserver::Reply reply;
      service::TimerId deadline = 0;
    };
    auto call = std::make_shared<Call>(Call{.reply = std::move(reply)});
    call->deadline = host.After(15 * kNanosPerSecond, [call] {
      if (!call->reply) return;
      auto answer = std::move(call->reply);
      call->reply = nullptr;
      answer({grpc::StatusCode::DEADLINE_EXCEEDED, "metadata API did not answer"});
    });
    Resolve(spec, [this, call, out](absl::StatusOr<polymarket::MarketMetadata> m) {
      if (m.ok()) {
        if (auto st = AddMarket(*m); !st.ok()) m = st;
      }
      if (!call->reply) return;  // timed out: `out` is gone
      host.CancelTimer(call->deadline);
      auto answer = std::move(call->reply);
      call->reply = nullptr;
      if (!m.ok()) {
        answer({m.status().code() == absl::StatusCode::kNotFound ? grpc::StatusCode::NOT_FOUND
                                                                 : grpc::StatusCode::UNAVAILABLE,
                std::string(StatusText(m.status()))});
        return;
      }
      common::v1::MarketRef* ref = out->mutable_market();
      ref->set_condition_id(m->condition_id);
      ref->set_slug(m->slug);
      ref->set_yes_token_id(m->token_ids[0]);
      ref->set_no_token_id(m->token_ids[1]);
      answer(grpc::Status::OK);
    });
  }
};

MarketDataService::MarketDataService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MarketDataService::~MarketDataService() = default;

absl::StatusOr<std::unique_ptr<MarketDataService>> MarketDataService::Create(service::Host& host,
                                                                             const Options& options,
                                                                             const service::Startup&) {
  return std::unique_ptr<MarketDataService>(new MarketDataService(std::make_unique<Impl>(host, options)));
}

absl::Status MarketDataService::Start() {
  Impl& s = *impl_;
  service::Host& host = s.host;
  if (host.io() == nullptr) return absl::FailedPreconditionError("marketdata needs the host's IO thread");
  // Start runs before the service serves: the blocking bus calls may run on the loop.
  CM_RETURN_IF_ERROR(host.ConnectBus("marketdata"));
  CM_ASSIGN_OR_RETURN(s.markets_kv,
                      host.bus().EnsureKeyValue({.bucket = std::string(bus::kMarketsBucket), .history = 1}));
  if (s.options.journal.enabled) {
    CM_ASSIGN_OR_RETURN(s.journal, JournalRecorder::Create(host.bus(), s.options.journal));
  }
  clob::ClobClientOptions rest_options;
  rest_options.http.base_url = s.options.clob_url;
  rest_options.executor = &host.loop();
  CM_ASSIGN_OR_RETURN(s.rest, clob::ClobRestClient::Create(*host.io(), rest_options, nullptr, nullptr));
  CM_ASSIGN_OR_RETURN(s.gamma, net::HttpClient::Create(*host.io(), {.base_url = s.options.gamma_url}));
  s.frame_to_publish = &host.metrics().AddHistogram("clobmaker_marketdata_frame_to_publish_seconds",
                                                    "market websocket frame taken by the loop -> books published");

  CM_RETURN_IF_ERROR(s.StartFeeds());
  if (s.options.all_markets) CM_RETURN_IF_ERROR(s.AddListedMarkets());
  s.unresolved = s.options.markets;
  s.ResolveConfigured();

  host.Every(s.options.timer_interval, [&s] { s.OnTimer(); });
  s.RouteAdmin();
  host.AddLoopCollector([&s](metrics::Samples& samples) {
    const Nanos now = s.Now();
    for (const auto& t : s.keeper.tokens()) {
      if (t->last_receive == 0) continue;
      samples.Gauge("clobmaker_book_staleness_seconds", "time since the last message for the token's book",
                    static_cast<double>(now - t->last_receive) / 1e9, "token=\"" + t->token_id + "\"");
    }
  });
  return host.ServeAdmin(fmt::format("; market channel {}; metadata {}; reference {}", s.options.market_ws_url,
                                     s.options.gamma_url, s.options.reference_url));
}

void MarketDataService::Stop(std::function<void()> done) {
  Impl& s = *impl_;
  if (s.channel) s.channel->Stop();
  if (s.reference_ws) s.reference_ws->Stop();
  // The CM_MARKETS writes queued so far finish on the worker (bounded: the process must end).
  auto once = std::make_shared<std::function<void()>>(std::move(done));
  auto finish = [once] {
    if (!*once) return;
    auto then = std::move(*once);
    *once = nullptr;
    then();
  };
  s.kv_worker().Post([&host = s.host, finish] { host.loop().Post(finish); });
  s.host.After(2 * kNanosPerSecond, finish);
}

}  // namespace clobmaker::marketdata
