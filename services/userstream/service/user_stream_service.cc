#include "services/userstream/service/user_stream_service.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <utility>

#include "clobmaker/user/v1/user.pb.h"
#include "common/bus/subjects.h"
#include "common/clob/channels.h"
#include "common/clob/rest_client.h"
#include "common/core/status.h"
#include "common/net/http.h"
#include "common/service/counters.h"
#include "common/service/outbox.h"
#include "services/userstream/core/user_normalizer.h"

namespace clobmaker::userstream {
namespace {

constexpr std::string_view kAdminService = "clobmaker.user.v1.UserStreamAdmin";

struct ShellCounters {
  uint64_t backfill_failures = 0;
  uint64_t cursor_failures = 0;  // backfill cursor writes to KV that failed
};

const service::CounterTable<NormalizerCounters>& CoreCounters() {
  static const auto& table = *new service::CounterTable<NormalizerCounters>({
      {"frames", &NormalizerCounters::frames},
      {"order_events", &NormalizerCounters::order_events},
      {"trade_events", &NormalizerCounters::trade_events},
      {"published", &NormalizerCounters::published},
      {"duplicates", &NormalizerCounters::duplicates},
      {"malformed", &NormalizerCounters::malformed},
      {"unknown_types", &NormalizerCounters::unknown_types},
      {"missing_fields", &NormalizerCounters::missing_fields},
      {"bad_values", &NormalizerCounters::bad_values},
      {"not_ours", &NormalizerCounters::not_ours},
      {"connects", &NormalizerCounters::connects},
      {"reconnects", &NormalizerCounters::reconnects},
      {"backfilled", &NormalizerCounters::backfilled},
  });
  return table;
}

const service::CounterTable<service::DurableOutbox>& OutboxCounters() {
  static const auto& table = *new service::CounterTable<service::DurableOutbox>({
      {"publish_failures", [](const service::DurableOutbox& o) { return static_cast<int64_t>(o.failures()); }},
      {"publish_duplicates", [](const service::DurableOutbox& o) { return static_cast<int64_t>(o.duplicates()); }},
      {"publish_dropped", [](const service::DurableOutbox& o) { return static_cast<int64_t>(o.dropped()); }},
  });
  return table;
}

const service::CounterTable<ShellCounters>& OwnCounters() {
  static const auto& table = *new service::CounterTable<ShellCounters>({
      {"backfill_failures", &ShellCounters::backfill_failures},
      {"cursor_failures", &ShellCounters::cursor_failures},
  });
  return table;
}

}  // namespace

service::ServiceSpec UserStreamService::Spec() {
  return {.name = "userstream",
          .summary = "userstream: the authenticated user channel into JetStream CM_USER",
          .key = service::KeyUse::kRequired,
          .credentials = true,
          .chain_id = true,
          .wallet = true,  // trades whose maker is the wallet are ours too
          .admin_help = "gRPC status address"};
}

void UserStreamService::Flags::Declare(CLI::App& app) {
  app.add_option("--ws-url", ws_url, "user channel URL (default: derived from --clob-url)");
  app.add_option("--backfill-lookback-s", backfill_lookback_s,
                 "first start only (no cursor in KV): trades backfilled this far back")
      ->capture_default_str();
}

absl::StatusOr<UserStreamOptions> UserStreamService::Flags::ToOptions(const service::CommonConfig& config) const {
  if (backfill_lookback_s <= 0) return absl::InvalidArgumentError("--backfill-lookback-s: must be positive");
  UserStreamOptions options{.clob_url = config.clob_url,
                            .ws_url = ws_url,
                            .chain_id = config.chain_id,
                            .backfill_lookback = backfill_lookback_s * kNanosPerSecond};
  if (options.ws_url.empty()) {
    auto url = net::ParseUrl(config.clob_url);
    if (!url.ok()) return absl::InvalidArgumentError("--clob-url: " + std::string(StatusText(url.status())));
    options.ws_url = fmt::format("{}://{}:{}{}/ws/user", url->tls() ? "wss" : "ws", url->host, url->port, url->path);
  }
  return options;
}

struct UserStreamService::Impl {
  service::Host& host;
  UserStreamOptions options;
  const crypto::PrivateKey& key;
  const signing::ApiCredentials& credentials;
  crypto::Address funder;  // the wallet the key trades through (the key's own address for EOA)
  std::unique_ptr<clob::ClobRestClient> rest;
  std::unique_ptr<clob::UserChannel> channel;
  std::unique_ptr<UserNormalizer> core;
  ShellCounters counters;
  bool connected = false;
  std::unique_ptr<service::DurableOutbox> outbox;  // CM_USER, in order, off the loop
  std::unique_ptr<service::KvBucket> kv;           // the backfill cursor (CM_USERSTREAM); used on the worker
  std::string cursor_key;

  Impl(service::Host& h, UserStreamOptions o, const service::Startup& startup)
      : host(h),
        options(std::move(o)),
        key(*startup.key),
        credentials(*startup.credentials),
        funder(startup.account != nullptr ? startup.account->funder : startup.key->address()) {}

  Nanos Now() const { return host.Now(); }

  // Loop: hand what the core produced to the outbox, in order. The cursor it advanced to is
  // written only once all of that (and everything before) is acked: a crash never skips a trade.
  void Flush() {
    for (Publication& p : core->TakePublications()) {
      outbox->Add(std::move(p.subject), std::move(p.data), std::move(p.msg_id));
    }
    std::optional<std::string> cursor = core->TakeCursor();
    if (!cursor) return;
    outbox->AfterPublished([this, cursor = std::move(*cursor)](bool all_published) {
      if (!all_published) {
        spdlog::warn("userstream: backfill cursor {} not saved: a publication before it was dropped", cursor);
        return;
      }
      host.Worker("publisher").Post([this, cursor] {
        auto put = kv->Put(cursor_key, cursor);
        if (put.ok()) return;
        host.loop().Post([this, cursor, error = put.status()] {
          counters.cursor_failures++;
          spdlog::warn("userstream: backfill cursor {} not saved: {}", cursor, StatusText(error));
        });
      });
    });
  }

  // At start: the cursor a previous process saved, if any.
  absl::Status RestoreCursor() {
    auto saved = kv->Get(cursor_key);
    if (!saved.ok()) return absl::IsNotFound(saved.status()) ? absl::OkStatus() : saved.status();
    if (auto st = core->RestoreCursor(saved->value); !st.ok()) {
      spdlog::error("userstream: backfill cursor ignored ({}): backfilling the look-back", StatusText(st));
    } else {
      spdlog::info("userstream: backfill cursor restored: trades after {} ms", core->cursor_ms());
    }
    return absl::OkStatus();
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
            counters.backfill_failures++;
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

  void FillStatus(common::v1::ServiceStatus* out) const {
    out->set_ready(connected);
    if (!connected) out->set_not_ready_reason("user channel not connected");
    CoreCounters().Export(core->counters(), *out->mutable_counters());
    OwnCounters().Export(counters, *out->mutable_counters());
    OutboxCounters().Export(*outbox, *out->mutable_counters());
  }
};

UserStreamService::UserStreamService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
UserStreamService::~UserStreamService() = default;

absl::StatusOr<std::unique_ptr<UserStreamService>> UserStreamService::Create(service::Host& host,
                                                                             const Options& options,
                                                                             const service::Startup& startup) {
  if (startup.key == nullptr || startup.credentials == nullptr) {
    return absl::FailedPreconditionError("userstream needs the wallet key and API credentials");
  }
  return std::unique_ptr<UserStreamService>(new UserStreamService(std::make_unique<Impl>(host, options, startup)));
}

absl::Status UserStreamService::Start() {
  Impl& s = *impl_;
  service::Host& host = s.host;
  if (host.io() == nullptr) return absl::FailedPreconditionError("userstream needs the host's IO thread");
  CM_RETURN_IF_ERROR(host.ConnectBus("userstream"));
  CM_RETURN_IF_ERROR(host.bus().EnsureStream({.name = std::string(bus::kUserStream),
                                              .subjects = {"cm.user.>"},
                                              .duplicate_window = bus::kUserDuplicateWindowSeconds * kNanosPerSecond}));
  clob::ClobClientOptions rest_options;
  rest_options.http.base_url = s.options.clob_url;
  rest_options.chain_id = s.options.chain_id;
  rest_options.executor = &host.loop();
  CM_ASSIGN_OR_RETURN(s.rest, clob::ClobRestClient::Create(*host.io(), rest_options, &s.key, &s.credentials));
  polymarket::Identity identity{.api_keys = {s.credentials.key()}, .addresses = {s.key.address().ToLower()}};
  if (s.funder != s.key.address()) identity.addresses.push_back(s.funder.ToLower());
  s.core = std::make_unique<UserNormalizer>(
      NormalizerConfig{.identity = identity, .startup_lookback = s.options.backfill_lookback});
  CM_ASSIGN_OR_RETURN(s.kv, host.bus().EnsureKeyValue({.bucket = std::string(bus::kUserStreamBucket)}));
  s.cursor_key = "trades_cursor." + s.key.address().ToLower();
  CM_RETURN_IF_ERROR(s.RestoreCursor());
  s.outbox = std::make_unique<service::DurableOutbox>(host, host.Worker("publisher"),
                                                      service::DurableOutbox::Options{.name = "userstream: CM_USER"});

  clob::UserChannelOptions ch;
  ch.url = s.options.ws_url;
  ch.credentials = {
      .api_key = s.credentials.key(), .secret = s.credentials.secret(), .passphrase = s.credentials.passphrase()};
  ch.executor = &host.loop();
  ch.on_message = [&s](std::string message) {
    s.core->OnFrame(message, s.Now());
    s.Flush();
  };
  ch.on_connected = [&s](bool reconnect) { s.OnConnected(reconnect); };
  ch.on_disconnected = [&s](std::string reason) {
    s.connected = false;
    spdlog::warn("userstream: user channel lost: {}", reason);
  };
  CM_ASSIGN_OR_RETURN(s.channel, clob::UserChannel::Create(*host.io(), ch));

  host.SetStatus([&s](common::v1::ServiceStatus* out) { s.FillStatus(out); });
  host.RouteStatus<user::v1::StatusRequest>(kAdminService);
  return host.ServeAdmin("; user channel " + s.options.ws_url);
}

void UserStreamService::Stop(std::function<void()> done) {
  Impl& s = *impl_;
  if (s.channel) s.channel->Stop();
  // Everything the channel delivered is published before the process ends (bounded), and the
  // cursor write queued behind it on the worker has run (bounded too: a late one is harmless).
  s.outbox->Drain(10 * kNanosPerSecond, [&s, done = std::move(done)]() mutable {
    auto once = std::make_shared<std::function<void()>>(std::move(done));
    auto finish = [once] {
      if (!*once) return;
      auto then = std::move(*once);
      *once = nullptr;
      then();
    };
    s.host.Worker("publisher").Post([&host = s.host, finish] { host.loop().Post(finish); });
    s.host.After(2 * kNanosPerSecond, finish);
  });
}

}  // namespace clobmaker::userstream
