#include "services/console/service/console_service.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <set>

#include "clobmaker/console/v1/console.pb.h"
#include "clobmaker/marketdata/v1/marketdata.grpc.pb.h"
#include "clobmaker/orders/v1/orders.grpc.pb.h"
#include "clobmaker/positions/v1/positions.grpc.pb.h"
#include "clobmaker/strategy/v1/strategy.grpc.pb.h"
#include "clobmaker/user/v1/user.grpc.pb.h"
#include "common/bus/subjects.h"
#include "common/core/json_text.h"
#include "common/core/status.h"
#include "common/net/http_client.h"
#include "common/net/http_server.h"
#include "common/net/io_thread.h"
#include "common/service/counters.h"
#include "services/console/core/console_actions.h"
#include "services/console/core/console_model.h"

namespace clobmaker::console {

std::string_view IndexHtml();  // generated from web/index.html (web_assets.cc)

namespace {

constexpr std::string_view kAdminService = "clobmaker.console.v1.ConsoleAdmin";
constexpr Nanos kCallDeadline = 2 * kNanosPerSecond;

struct ShellCounters {
  int64_t polls = 0;
  int64_t poll_failures = 0;  // admin calls that failed (per call)
  int64_t pushes = 0;
  int64_t bad_messages = 0;  // bus messages that did not parse
  int64_t actions = 0;
  int64_t actions_refused = 0;  // bad request, no confirmation, token missing or wrong
  int64_t actions_failed = 0;   // execution refused or was unreachable
  int64_t metrics_failures = 0;
  int64_t metrics_malformed_lines = 0;
};

const service::CounterTable<ShellCounters>& Counters() {
  static const auto& table = *new service::CounterTable<ShellCounters>({
      {"polls", &ShellCounters::polls},
      {"poll_failures", &ShellCounters::poll_failures},
      {"pushes", &ShellCounters::pushes},
      {"bad_messages", &ShellCounters::bad_messages},
      {"actions", &ShellCounters::actions},
      {"actions_refused", &ShellCounters::actions_refused},
      {"actions_failed", &ShellCounters::actions_failed},
      {"metrics_failures", &ShellCounters::metrics_failures},
      {"metrics_malformed_lines", &ShellCounters::metrics_malformed_lines},
  });
  return table;
}

net::HttpResponse Answer(int status, std::string body, std::string content_type = "application/json") {
  net::HttpResponse r;
  r.status = status;
  r.headers = {{"Content-Type", std::move(content_type)}, {"Cache-Control", "no-store"}};
  r.body = std::move(body);
  return r;
}

net::HttpResponse ErrorAnswer(int status, std::string_view message) {
  std::string body = "{\"error\":\"";
  AppendJsonEscaped(body, message);
  body += "\"}";
  return Answer(status, std::move(body));
}

std::string PathOf(const std::string& target) { return target.substr(0, target.find('?')); }

// ?token=... on the websocket URL (a browser cannot set headers on a websocket).
std::optional<std::string> QueryToken(const std::string& target) {
  const size_t q = target.find('?');
  if (q == std::string::npos) return std::nullopt;
  std::string_view rest = std::string_view(target).substr(q + 1);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (pair.substr(0, 6) == "token=") return std::string(pair.substr(6));
  }
  return std::nullopt;
}

}  // namespace

struct ConsoleService::Impl : std::enable_shared_from_this<Impl> {
  service::Host& host;
  ConsoleOptions options;
  std::string token;  // the stack's admin token: checked on actions, sent to the services
  AccessPolicy policy;
  ConsoleModel model;
  ShellCounters counters;

  std::shared_ptr<grpc::Channel> exec_channel, md_channel, strat_channel, pos_channel, us_channel;
  std::unique_ptr<orders::v1::ExecutionAdmin::Stub> execution;
  std::unique_ptr<marketdata::v1::MarketDataAdmin::Stub> marketdata;
  std::unique_ptr<strategy::v1::StrategyAdmin::Stub> strategy;
  std::unique_ptr<positions::v1::PositionsAdmin::Stub> positions;
  std::unique_ptr<user::v1::UserStreamAdmin::Stub> userstream;
  std::unique_ptr<net::HttpClient> metrics_client;
  std::string metrics_target;

  std::unique_ptr<net::HttpServer> http;
  std::unique_ptr<service::BusSubscription> books_sub, trades_sub;
  std::map<uint64_t, std::shared_ptr<net::WsSession>> sessions;  // loop
  bool poll_in_flight = false;
  bool dirty = true;
  std::string last_pushed;
  bool stopping = false;

  Impl(service::Host& h, ConsoleOptions o, std::string t) : host(h), options(std::move(o)), token(std::move(t)) {
    policy = {.token = token, .loopback = IsLoopbackListen(options.listen)};
  }

  std::unique_ptr<grpc::ClientContext> Context() const {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::nanoseconds(kCallDeadline));
    if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
    return ctx;
  }

  // Worker: one round of admin calls and the metrics page, then the result to the loop.
  Poll DoPoll(int64_t& failures, int64_t& malformed, bool& metrics_failed) const {
    Poll p;
    const auto health = [&](std::string name, const std::string& address, const grpc::Status& st,
                            const common::v1::ServiceStatus* s) {
      ServiceHealth h{.name = std::move(name), .address = address, .reachable = st.ok()};
      if (st.ok() && s != nullptr) {
        h.ready = s->ready();
        h.detail = s->not_ready_reason();
      } else {
        h.detail = st.error_message().empty() ? fmt::format("gRPC code {}", static_cast<int>(st.error_code()))
                                              : st.error_message();
        ++failures;
      }
      p.health.push_back(std::move(h));
    };
    {
      orders::v1::ExecutionStatus s;
      const grpc::Status st = execution->Status(Context().get(), {}, &s);
      health("execution", options.execution, st, &s.service());
      if (st.ok()) p.execution = s;
      orders::v1::ListOrdersResponse orders;
      if (execution->ListOrders(Context().get(), {}, &orders).ok()) {
        p.orders = std::move(orders);
      } else {
        ++failures;
      }
    }
    {
      common::v1::ServiceStatus s;
      health("marketdata", options.marketdata, marketdata->Status(Context().get(), {}, &s), &s);
      marketdata::v1::ListMarketsResponse markets;
      if (marketdata->ListMarkets(Context().get(), {}, &markets).ok()) p.market_info = std::move(markets);
    }
    {
      common::v1::ServiceStatus s;
      health("strategy", options.strategy, strategy->Status(Context().get(), {}, &s), &s);
      strategy::v1::ListMarketsResponse markets;
      if (strategy->ListMarkets(Context().get(), {}, &markets).ok()) p.strategy_markets = std::move(markets);
    }
    {
      common::v1::ServiceStatus s;
      health("positions", options.positions, positions->Status(Context().get(), {}, &s), &s);
      positions::v1::GetPositionsResponse held;
      if (positions->GetPositions(Context().get(), {}, &held).ok()) p.positions = std::move(held);
      positions::v1::GetPnlResponse pnl;
      if (positions->GetPnl(Context().get(), {}, &pnl).ok()) p.pnl = pnl;
    }
    {
      common::v1::ServiceStatus s;
      health("userstream", options.userstream, userstream->Status(Context().get(), {}, &s), &s);
    }
    if (metrics_client) {
      net::HttpRequest req;
      req.target = metrics_target;
      const net::HttpResult r = metrics_client->SendSync(req, kCallDeadline);
      if (r.outcome == net::Outcome::kOk && r.response) {
        ParsedHistograms parsed = ParseHistograms(r.response->body);
        malformed += parsed.malformed_lines;
        p.latency = std::move(parsed.figures);
      } else {
        metrics_failed = true;
      }
    }
    return p;
  }

  void StartPoll() {
    if (poll_in_flight || stopping) return;
    poll_in_flight = true;
    auto self = shared_from_this();
    host.Worker("poll").Post([self] {
      int64_t failures = 0, malformed = 0;
      bool metrics_failed = false;
      Poll p = self->DoPoll(failures, malformed, metrics_failed);
      self->host.loop().Post([self, p = std::move(p), failures, malformed, metrics_failed]() mutable {
        self->poll_in_flight = false;
        p.at = self->host.Now();
        ++self->counters.polls;
        self->counters.poll_failures += failures;
        self->counters.metrics_malformed_lines += malformed;
        if (metrics_failed) ++self->counters.metrics_failures;
        self->model.OnPoll(p);
        self->dirty = true;
      });
    });
  }

  // Loop: the document to every browser when it changed.
  void Push() {
    if (!dirty || sessions.empty()) return;
    dirty = false;
    std::string state = model.StateJson();
    if (state == last_pushed) return;
    for (auto& [id, session] : sessions) session->Send(state);
    ++counters.pushes;
    last_pushed = std::move(state);
  }

  void OnRequest(const net::HttpRequest& req, std::function<void(net::HttpResponse)> respond) {
    const std::string path = PathOf(req.target);
    const std::optional<std::string> presented = PresentedToken(req.headers);
    const bool is_action = req.method == "POST";
    const Access access = Authorize(policy, is_action, presented);
    if (access != Access::kAllowed) {
      if (is_action) host.loop().Post([self = shared_from_this()] { ++self->counters.actions_refused; });
      respond(ErrorAnswer(401, access == Access::kTokenMissing ? "the admin token is required" : "wrong admin token"));
      return;
    }
    if (req.method == "GET" && (path == "/" || path == "/index.html")) {
      respond(Answer(200, std::string(IndexHtml()), "text/html; charset=utf-8"));
      return;
    }
    if (req.method == "GET" && path == "/api/state") {
      host.loop().Post([self = shared_from_this(), respond] { respond(Answer(200, self->model.StateJson())); });
      return;
    }
    if (req.method == "GET" && path == "/healthz") {
      respond(Answer(200, "{\"ok\":true}"));
      return;
    }
    if (is_action) {
      auto action = ParseAction(path, req.body);
      if (!action.ok()) {
        host.loop().Post([self = shared_from_this()] { ++self->counters.actions_refused; });
        const bool unknown = action.status().code() == absl::StatusCode::kNotFound;
        respond(ErrorAnswer(unknown ? 404 : 400, StatusText(action.status())));
        return;
      }
      auto self = shared_from_this();
      host.Worker("actions").Post([self, a = *std::move(action), respond] {
        const grpc::Status st = self->Act(a);
        self->host.loop().Post([self, a, st, respond] {
          if (st.ok()) {
            ++self->counters.actions;
            spdlog::warn("console: {} ({}{}) done", ActionName(a.kind), a.reason,
                         a.condition_id.empty() ? "" : ", " + a.condition_id);
            self->StartPoll();  // show its effect at once
            respond(Answer(200, "{\"ok\":true}"));
          } else {
            ++self->counters.actions_failed;
            spdlog::warn("console: {} failed: {}", ActionName(a.kind), st.error_message());
            respond(ErrorAnswer(502, "execution: " + st.error_message()));
          }
        });
      });
      return;
    }
    respond(ErrorAnswer(404, "not found"));
  }

  // Worker: one action at execution's admin API.
  grpc::Status Act(const Action& a) const {
    switch (a.kind) {
      case ActionKind::kKill: {
        orders::v1::KillRequest req;
        req.set_reason(a.reason);
        orders::v1::KillResponse resp;
        return execution->Kill(Context().get(), req, &resp);
      }
      case ActionKind::kReset: {
        orders::v1::ResetResponse resp;
        return execution->Reset(Context().get(), {}, &resp);
      }
      case ActionKind::kCancelAll: {
        orders::v1::CancelAllRequest req;
        req.set_reason(a.reason);
        orders::v1::CancelAllResponse resp;
        return execution->CancelAll(Context().get(), req, &resp);
      }
      case ActionKind::kPause: {
        orders::v1::PauseMarketRequest req;
        req.set_condition_id(a.condition_id);
        req.set_reason(a.reason);
        orders::v1::PauseMarketResponse resp;
        return execution->PauseMarket(Context().get(), req, &resp);
      }
      case ActionKind::kResume: {
        orders::v1::ResumeMarketRequest req;
        req.set_condition_id(a.condition_id);
        orders::v1::ResumeMarketResponse resp;
        return execution->ResumeMarket(Context().get(), req, &resp);
      }
    }
    return {grpc::StatusCode::INVALID_ARGUMENT, "unknown action"};
  }

  void FillStatus(common::v1::ServiceStatus* out) const {
    out->set_ready(http != nullptr);
    if (http == nullptr) out->set_not_ready_reason("not serving yet");
    Counters().Export(counters, *out->mutable_counters());
    (*out->mutable_counters())["browsers"] = static_cast<int64_t>(sessions.size());
  }
};

service::ServiceSpec ConsoleService::Spec() {
  return {.name = "console",
          .summary = "console: the operators' web console (markets, quotes, positions, P&L, health, actions)",
          .clob = false,
          .admin_help = "gRPC status address"};
}

void ConsoleService::Flags::Declare(CLI::App& app) {
  app.add_option("--listen", options.listen, "web console address (HTTP and websocket)")->capture_default_str();
  app.add_option("--execution", options.execution, "execution's admin address")->capture_default_str();
  app.add_option("--marketdata", options.marketdata, "marketdata's admin address")->capture_default_str();
  app.add_option("--strategy", options.strategy, "strategy's admin address")->capture_default_str();
  app.add_option("--positions", options.positions, "positions' admin address")->capture_default_str();
  app.add_option("--userstream", options.userstream, "userstream's admin address")->capture_default_str();
  app.add_option("--execution-metrics", options.execution_metrics_url,
                 "execution's /metrics URL, for the latency panel (e.g. http://127.0.0.1:9201/metrics)");
  app.add_option("--poll-ms", poll_ms, "how often the services are asked")->capture_default_str();
}

absl::StatusOr<ConsoleOptions> ConsoleService::Flags::ToOptions(const service::CommonConfig&) const {
  ConsoleOptions o = options;
  if (!service::IsListenAddress(o.listen)) return absl::InvalidArgumentError("--listen: not host:port: " + o.listen);
  if (poll_ms < 100 || poll_ms > 60'000) return absl::InvalidArgumentError("--poll-ms: between 100 and 60000");
  o.poll_interval = poll_ms * kNanosPerMilli;
  if (!o.execution_metrics_url.empty()) {
    auto url = net::ParseUrl(o.execution_metrics_url);
    if (!url.ok()) return absl::InvalidArgumentError("--execution-metrics: " + std::string(StatusText(url.status())));
  }
  return o;
}

ConsoleService::ConsoleService(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
ConsoleService::~ConsoleService() = default;

absl::StatusOr<std::unique_ptr<ConsoleService>> ConsoleService::Create(service::Host& host, const Options& options,
                                                                       const service::Startup& startup) {
  auto impl = std::make_shared<Impl>(host, options, startup.admin_token);
  if (!impl->policy.loopback && impl->token.empty()) {
    return absl::InvalidArgumentError("--listen " + options.listen +
                                      " is not loopback: the console needs an admin token (--admin-token-file)");
  }
  return std::unique_ptr<ConsoleService>(new ConsoleService(std::move(impl)));
}

absl::Status ConsoleService::Start() {
  Impl& s = *impl_;
  service::Host& host = s.host;
  if (host.io() == nullptr) return absl::FailedPreconditionError("console needs the host's IO thread");
  const auto channel = [](const std::string& address) {
    return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  };
  s.execution = orders::v1::ExecutionAdmin::NewStub(channel(s.options.execution));
  s.marketdata = marketdata::v1::MarketDataAdmin::NewStub(channel(s.options.marketdata));
  s.strategy = strategy::v1::StrategyAdmin::NewStub(channel(s.options.strategy));
  s.positions = positions::v1::PositionsAdmin::NewStub(channel(s.options.positions));
  s.userstream = user::v1::UserStreamAdmin::NewStub(channel(s.options.userstream));
  if (!s.options.execution_metrics_url.empty()) {
    CM_ASSIGN_OR_RETURN(net::Url url, net::ParseUrl(s.options.execution_metrics_url));
    s.metrics_target = url.path.empty() ? "/metrics" : url.path;
    CM_ASSIGN_OR_RETURN(
        s.metrics_client,
        net::HttpClient::Create(*host.io(), {.base_url = fmt::format("{}://{}:{}", url.scheme, url.host, url.port)}));
  }

  CM_RETURN_IF_ERROR(host.ConnectBus("console"));
  auto self = impl_;
  CM_ASSIGN_OR_RETURN(s.books_sub, host.bus().Subscribe(std::string(bus::kBookWildcard), [self](service::BusMessage m) {
    marketdata::v1::Book book;
    if (!book.ParseFromString(m.data)) {
      ++self->counters.bad_messages;
      return;
    }
    self->model.OnBook(book);
    self->dirty = true;
  }));
  CM_ASSIGN_OR_RETURN(s.trades_sub, host.bus().Subscribe("cm.user.trade.>", [self](service::BusMessage m) {
    user::v1::UserTradeEvent trade;
    if (!trade.ParseFromString(m.data)) {
      ++self->counters.bad_messages;
      return;
    }
    self->model.OnTrade(trade, self->host.Now());
    self->dirty = true;
    self->Push();  // a fill reaches the page at once, not at the next push tick
  }));

  net::HttpServerOptions web;
  web.listen = s.options.listen;
  web.answer_text_ping = false;
  web.on_request = [self](const net::HttpRequest& req, std::function<void(net::HttpResponse)> respond) {
    self->OnRequest(req, std::move(respond));
  };
  web.accept_websocket = [self](const std::string& target) {
    if (PathOf(target) != "/ws") return false;
    return Authorize(self->policy, false, QueryToken(target)) == Access::kAllowed;
  };
  web.on_ws_open = [self](std::shared_ptr<net::WsSession> session) {
    self->host.loop().Post([self, session] {
      self->sessions[session->id()] = session;
      session->Send(self->model.StateJson());
    });
  };
  web.on_ws_close = [self](std::shared_ptr<net::WsSession> session) {
    self->host.loop().Post([self, id = session->id()] { self->sessions.erase(id); });
  };
  web.on_ws_message = [](std::shared_ptr<net::WsSession>, std::string) {};  // the page only listens
  CM_ASSIGN_OR_RETURN(s.http, net::HttpServer::Start(*host.io(), std::move(web)));

  host.Every(s.options.poll_interval, [self] { self->StartPoll(); });
  host.Every(s.options.push_interval, [self] { self->Push(); });
  s.StartPoll();

  host.SetStatus([self](common::v1::ServiceStatus* out) { self->FillStatus(out); });
  host.RouteStatus<console::v1::StatusRequest>(kAdminService);
  const std::string web_host = s.options.listen.substr(0, s.options.listen.rfind(':'));
  return host.ServeAdmin(fmt::format("; web console on http://{}:{}", web_host, s.http->port()));
}

void ConsoleService::Stop(std::function<void()> done) {
  Impl& s = *impl_;
  s.stopping = true;
  for (auto& [id, session] : s.sessions) session->Close();
  s.sessions.clear();
  if (s.http) s.http->Stop();  // no handler runs after this
  s.http.reset();              // and the handlers' references to this service go with it
  s.books_sub.reset();
  s.trades_sub.reset();
  done();
}

}  // namespace clobmaker::console
