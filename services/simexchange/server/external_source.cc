#include "services/simexchange/server/external_source.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <future>
#include <set>

#include "common/clob/channels.h"
#include "common/clob/rest_client.h"
#include "common/core/status.h"
#include "common/journal/journal_file.h"
#include "common/net/http_client.h"
#include "common/polymarket/decode.h"
#include "common/polymarket/encode.h"

namespace clobmaker::simexchange {
namespace {

MarketConfig FromMetadata(const polymarket::MarketMetadata& m) {
  MarketConfig c;
  c.condition_id = m.condition_id;
  c.yes_token = m.token_ids[0];
  c.no_token = m.token_ids[1];
  c.tick = m.tick;
  if (m.min_order_size.micros() > 0) c.min_order_size = m.min_order_size;
  c.neg_risk = m.neg_risk;
  if (m.rewards_max_spread.units() > 0) c.rewards_max_spread = m.rewards_max_spread;
  if (m.rewards_min_size.micros() > 0) c.rewards_min_size = m.rewards_min_size;
  c.end_time_s = m.end_time_ms / 1000;
  c.slug = m.slug;
  return c;
}

bool LooksLikeTokenId(std::string_view s) {
  return s.size() >= 10 && s.find_first_not_of("0123456789") == std::string_view::npos;
}

net::HttpResponse Json(int status, std::string body) {
  return net::HttpResponse{.status = status, .body = std::move(body)};
}

}  // namespace

struct ExternalSource::Impl {
  std::string mode;
  // replay
  std::unique_ptr<replay::ReplayDriver> driver;
  bool hold = false;
  bool finished = false;  // the end was logged
  // mirror
  MirrorSourceOptions mirror;
  std::unique_ptr<clob::MarketChannel> channel;
  Exchange* exchange = nullptr;
  std::function<void()> dispatch;
  uint64_t frames = 0;
};

ExternalSource::ExternalSource() : impl_(std::make_unique<Impl>()) {}
ExternalSource::~ExternalSource() = default;

absl::StatusOr<std::shared_ptr<ExternalSource>> ExternalSource::Replay(const ReplaySourceOptions& options, Nanos now) {
  CM_ASSIGN_OR_RETURN(journal::Journal j, journal::ReadJournal(options.journal_path));
  if (j.bad_records > 0) spdlog::warn("simexchange: {} journal lines did not decode (skipped)", j.bad_records);
  auto source = std::shared_ptr<ExternalSource>(new ExternalSource());
  source->impl_->mode = "replay";
  source->impl_->hold = options.hold;
  source->impl_->driver = std::make_unique<replay::ReplayDriver>(std::move(j.records), options.pacing);
  const replay::ReplayMarkets markets = source->impl_->driver->Markets(now - source->impl_->driver->first_t());
  if (markets.markets.empty()) {
    return absl::InvalidArgumentError(
        fmt::format("{}: the journal has no market metadata (market_info records)", options.journal_path));
  }
  source->markets_ = markets.markets;
  source->market_ = std::make_unique<replay::ExternalMarket>(replay::ExternalMarketConfig{.mode = "replay"});
  return source;
}

absl::StatusOr<std::shared_ptr<ExternalSource>> ExternalSource::Mirror(const MirrorSourceOptions& options) {
  if (options.markets.empty() && !options.all_markets) {
    return absl::InvalidArgumentError("mirror mode needs markets (slugs or token ids) or all markets");
  }
  auto source = std::shared_ptr<ExternalSource>(new ExternalSource());
  source->impl_->mode = "mirror";
  source->impl_->mirror = options;
  net::IoThread io;
  net::HttpClientOptions http{.base_url = options.gamma_url};
  http.tls.ca_file = options.ca_file;
  CM_ASSIGN_OR_RETURN(auto gamma, net::HttpClient::Create(io, http));
  std::vector<std::string> targets;
  if (options.all_markets) targets.push_back("/markets?limit=100&active=true&closed=false");
  for (const std::string& spec : options.markets) {
    targets.push_back(LooksLikeTokenId(spec) ? "/markets?clob_token_ids=" + clob::UrlEncode(spec)
                                             : "/markets?slug=" + clob::UrlEncode(spec));
  }
  std::set<std::string> seen;
  for (const std::string& target : targets) {
    net::HttpRequest request;
    request.target = target;
    const net::HttpResult r = gamma->SendSync(request, 10 * kNanosPerSecond);
    if (r.outcome != net::Outcome::kOk || !r.response || r.response->status != 200) {
      return absl::UnavailableError(fmt::format("metadata API {}{}: {}", options.gamma_url, target,
                                                r.response ? std::to_string(r.response->status) : r.error));
    }
    CM_ASSIGN_OR_RETURN(auto list, polymarket::ParseGammaMarkets(r.response->body));
    if (list.empty()) return absl::NotFoundError(fmt::format("no market for {}", target));
    for (const polymarket::MarketMetadata& m : list) {
      if (m.closed || m.token_ids.size() != 2 || !seen.insert(m.condition_id).second) continue;
      source->markets_.push_back(FromMetadata(m));
    }
  }
  if (source->markets_.empty()) return absl::NotFoundError("no open binary market to mirror");
  source->market_ = std::make_unique<replay::ExternalMarket>(replay::ExternalMarketConfig{.mode = "mirror"});
  return source;
}

absl::Status ExternalSource::Start(Exchange& exchange, net::IoThread& io, std::function<void()> dispatch, Nanos now) {
  impl_->exchange = &exchange;
  impl_->dispatch = std::move(dispatch);
  market_->Init(exchange);
  for (const MarketConfig& m : markets_) market_->AddMarket(exchange, m);
  if (impl_->driver) {
    impl_->driver->Prime(exchange, *market_, now);
    if (!impl_->hold) impl_->driver->Start(now);
    spdlog::info("simexchange: replaying {} records ({:.1f} s recorded) over {} markets{}", impl_->driver->records(),
                 static_cast<double>(impl_->driver->last_t() - impl_->driver->first_t()) / 1e9, markets_.size(),
                 impl_->hold ? ", held until POST /replay/start" : "");
    return absl::OkStatus();
  }
  market_->SetSpan(now, 0);
  clob::MarketChannelOptions ch;
  ch.url = impl_->mirror.ws_url;
  ch.executor = &io;
  ch.connection.tls.ca_file = impl_->mirror.ca_file;
  ch.on_message = [this](size_t, std::string message) {
    const Nanos t = SystemClock::Instance().WallNanos();
    ++impl_->frames;
    market_->OnMarketFrame(*impl_->exchange, message, t, t);
    if (impl_->dispatch) impl_->dispatch();
  };
  ch.on_connected = [](size_t shard, bool reconnect, const std::vector<std::string>& assets) {
    spdlog::info("simexchange: mirror feed shard {} {} ({} assets)", shard, reconnect ? "reconnected" : "connected",
                 assets.size());
  };
  ch.on_disconnected = [](size_t shard, std::string reason) {
    spdlog::warn("simexchange: mirror feed shard {} lost: {}", shard, reason);
  };
  CM_ASSIGN_OR_RETURN(impl_->channel, clob::MarketChannel::Create(io, ch));
  std::vector<std::string> assets;
  for (const MarketConfig& m : markets_) {
    assets.push_back(m.yes_token);
    assets.push_back(m.no_token);
  }
  impl_->channel->Subscribe(assets);
  spdlog::info("simexchange: mirroring {} markets from {}", markets_.size(), impl_->mirror.ws_url);
  return absl::OkStatus();
}

void ExternalSource::Tick(Exchange& exchange, Nanos now, Nanos last_client_request) {
  if (impl_->driver) {
    impl_->driver->Step(exchange, *market_, now, last_client_request);
    if (impl_->driver->done() && !impl_->finished) {
      impl_->finished = true;
      spdlog::info("simexchange: replay finished: {} records played ({:.1f} s recorded)", impl_->driver->played(),
                   static_cast<double>(impl_->driver->last_t() - impl_->driver->first_t()) / 1e9);
    }
    return;
  }
  market_->Advance(exchange, now, now);
}

std::optional<net::HttpResponse> ExternalSource::Route(const std::string& method, const std::string& path, Nanos now) {
  if (path.rfind("/replay/", 0) != 0) return std::nullopt;
  const replay::ReplayDriver* d = impl_->driver.get();
  if (method == "GET" && path == "/replay/status") {
    const replay::ReplayReport& r = market_->report();
    size_t open = 0;  // every client's live orders (the backtest waits for its quotes)
    if (impl_->exchange != nullptr) {
      for (const Order* o : impl_->exchange->OpenOrders("")) open += market_->IsTape(o->spec.owner) ? 0 : 1;
    }
    return Json(200, fmt::format(R"({{"mode":"{}","started":{},"done":{},"position_ns":{},"first_ns":{},"last_ns":{},)"
                                 R"("played":{},"records":{},"fills":{},"frames":{},"open_orders":{}}})",
                                 impl_->mode, d ? d->started() : true, d ? d->done() : false, r.position_t,
                                 d ? d->first_t() : r.first_t, d ? d->last_t() : r.position_t, d ? d->played() : 0,
                                 d ? d->records() : 0, r.fills.size(), impl_->frames, open));
  }
  if (method == "POST" && path == "/replay/start") {
    if (impl_->driver == nullptr) return Json(400, R"({"error":"not a journal replay"})");
    impl_->driver->Start(now);
    return Json(200, R"({"started":true})");
  }
  if (method == "GET" && path == "/replay/report") return Json(200, replay::EncodeReport(market_->Report()));
  return Json(404, R"({"error":"no such replay endpoint"})");
}

void ExternalSource::Stop() {
  if (impl_->channel) impl_->channel->Stop();
}

}  // namespace clobmaker::simexchange
