// HTTP and websocket clients. All Beast client code lives in this one translation unit
// (Beast templates are expensive to compile: toolchain.md).
// clang-format off
#include <utility>  // before any Asio header with GCC 12 (toolchain.md)
// clang-format on

#include <fmt/core.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>

#include "common/core/rng.h"
#include "common/net/asio_internal.h"
#include "common/net/http_client.h"
#include "common/net/tls_internal.h"
#include "common/net/ws_client.h"
#include "common/net/ws_internal.h"

namespace clobmaker::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;

Nanos SinceNs(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
}

// Seconds from Retry-After or a JSON body's "retry_after_seconds".
std::optional<Nanos> RetryHint(const HttpResponse& response) {
  if (auto header = response.Header("Retry-After")) {
    int64_t seconds = 0;
    const auto [ptr, ec] = std::from_chars(header->data(), header->data() + header->size(), seconds);
    if (ec == std::errc() && seconds >= 0) return seconds * kNanosPerSecond;
  }
  const size_t at = response.body.find("\"retry_after_seconds\"");
  if (at != std::string::npos) {
    size_t i = response.body.find(':', at);
    if (i != std::string::npos) {
      ++i;
      while (i < response.body.size() && response.body[i] == ' ') ++i;
      int64_t seconds = 0;
      const auto [ptr, ec] =
          std::from_chars(response.body.data() + i, response.body.data() + response.body.size(), seconds);
      if (ec == std::errc()) return seconds * kNanosPerSecond;
    }
  }
  return std::nullopt;
}

struct Connection {
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
  Clock::time_point idle_since;

  beast::tcp_stream& lowest() { return plain ? *plain : secure->next_layer(); }
  // A pooled connection the server has closed reads EOF without blocking.
  bool PeerClosedOrDirty() {
    char byte = 0;
    const ssize_t n = recv(lowest().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
  }
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// HTTP

struct HttpClient::Impl : std::enable_shared_from_this<HttpClient::Impl> {
  IoThread& thread;
  asio::io_context& io;
  HttpClientOptions options;
  Url url;
  std::shared_ptr<ssl::context> tls;
  std::deque<std::unique_ptr<Connection>> idle;  // IO thread only
  std::atomic<size_t> idle_count{0};
  std::atomic<uint64_t> opened{0};

  Impl(IoThread& t, HttpClientOptions o, Url u)
      : thread(t), io(IoContextOf(t)), options(std::move(o)), url(std::move(u)) {}

  std::unique_ptr<Connection> TakeIdle() {
    while (!idle.empty()) {
      std::unique_ptr<Connection> c = std::move(idle.back());
      idle.pop_back();
      idle_count = idle.size();
      const bool too_old = SinceNs(c->idle_since) > options.max_idle_age;
      if (!too_old && !c->PeerClosedOrDirty()) return c;
    }
    return nullptr;
  }

  void GiveBack(std::unique_ptr<Connection> c) {
    if (idle.size() >= options.max_idle_connections) return;
    c->idle_since = Clock::now();
    idle.push_back(std::move(c));
    idle_count = idle.size();
  }

  asio::awaitable<std::unique_ptr<Connection>> Connect(Clock::time_point deadline, std::string& error) {
    auto c = std::make_unique<Connection>();
    boost::system::error_code ec;
    tcp::resolver resolver(io);
    // GCC 12 mishandles temporaries inside co_await expressions: name every argument.
    const std::string port = std::to_string(url.port);
    auto endpoints = co_await resolver.async_resolve(url.host, port, asio::redirect_error(use_awaitable, ec));
    if (ec) {
      error = fmt::format("resolve {}: {}", url.host, ec.message());
      co_return nullptr;
    }
    const auto connect_deadline = std::min(deadline, Clock::now() + std::chrono::nanoseconds(options.connect_timeout));
    if (url.tls()) {
      c->secure = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(io, *tls);
    } else {
      c->plain = std::make_unique<beast::tcp_stream>(io);
    }
    c->lowest().expires_at(connect_deadline);
    co_await c->lowest().async_connect(endpoints, asio::redirect_error(use_awaitable, ec));
    if (ec) {
      error = fmt::format("connect {}:{}: {}", url.host, url.port, ec.message());
      co_return nullptr;
    }
    c->lowest().socket().set_option(tcp::no_delay(true));
    if (c->secure) {
      if (!ConfigureClientSsl(c->secure->native_handle(), url.host, options.tls.verify_peer)) {
        error = "TLS setup failed";
        co_return nullptr;
      }
      co_await c->secure->async_handshake(ssl::stream_base::client, asio::redirect_error(use_awaitable, ec));
      if (ec) {
        error = fmt::format("TLS handshake with {}: {}", url.host, ec.message());
        co_return nullptr;
      }
    }
    ++opened;
    co_return c;
  }

  template <typename Stream>
  asio::awaitable<void> Exchange(Stream& stream, Connection& c, http::request<http::string_body>& req,
                                 Clock::time_point deadline, HttpResult& result, bool& keep) {
    boost::system::error_code ec;
    c.lowest().expires_at(deadline);
    const size_t written = co_await http::async_write(stream, req, asio::redirect_error(use_awaitable, ec));
    if (ec) {
      result.outcome = written == 0 ? Outcome::kNotSent : Outcome::kAmbiguous;
      result.error = fmt::format("write: {}", ec.message());
      co_return;
    }
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(options.max_response_bytes);
    co_await http::async_read_header(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    // Checked here as well: Beast 1.74 did not refuse an oversized Content-Length in async_read.
    if (!ec && parser.content_length() && *parser.content_length() > options.max_response_bytes) {
      ec = http::error::body_limit;
    }
    if (!ec && !parser.is_done()) {
      co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    }
    if (ec) {
      result.outcome = Outcome::kAmbiguous;
      result.error =
          ec == beast::error::timeout ? "timeout after the request was sent" : fmt::format("read: {}", ec.message());
      co_return;
    }
    auto& res = parser.get();
    HttpResponse response;
    response.status = static_cast<int>(res.result_int());
    for (const auto& field : res) {
      response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    response.body = std::move(res.body());
    result.outcome = ClassifyStatus(response.status);
    if (response.status == 429 || response.status == 503 || response.status == 425)
      result.retry_after = RetryHint(response);
    keep = res.keep_alive();
    result.response = std::move(response);
  }

  asio::awaitable<HttpResult> Run(HttpRequest request, Nanos deadline_ns) {
    const auto start = Clock::now();
    const auto deadline = start + std::chrono::nanoseconds(deadline_ns);
    HttpResult result;
    std::unique_ptr<Connection> c = TakeIdle();
    result.reused_connection = c != nullptr;
    if (!c) {
      c = co_await Connect(deadline, result.error);
      if (!c) {
        result.outcome = Outcome::kNotSent;
        result.elapsed = SinceNs(start);
        co_return result;
      }
    }
    http::request<http::string_body> req;
    req.method_string(request.method);
    req.target(url.path + request.target);
    req.version(11);
    req.set(http::field::host, fmt::format("{}:{}", url.host, url.port));
    req.set(http::field::user_agent, options.user_agent);
    req.set(http::field::accept, "*/*");
    for (const auto& [name, value] : request.headers) req.set(name, value);
    if (!request.body.empty() && req.find(http::field::content_type) == req.end()) {
      req.set(http::field::content_type, "application/json");
    }
    req.body() = std::move(request.body);
    req.keep_alive(true);
    req.prepare_payload();
    bool keep = false;
    if (c->secure) {
      co_await Exchange(*c->secure, *c, req, deadline, result, keep);
    } else {
      co_await Exchange(*c->plain, *c, req, deadline, result, keep);
    }
    if (keep && result.response) GiveBack(std::move(c));
    result.elapsed = SinceNs(start);
    co_return result;
  }
};

absl::StatusOr<std::unique_ptr<HttpClient>> HttpClient::Create(IoThread& io, HttpClientOptions options) {
  auto url = ParseUrl(options.base_url);
  if (!url.ok()) return url.status();
  if (url->scheme != "http" && url->scheme != "https") {
    return absl::InvalidArgumentError(fmt::format("HTTP client needs an http(s) URL, got '{}'", options.base_url));
  }
  if (!url->tls() && !IsLoopbackHost(url->host)) {
    return absl::InvalidArgumentError(
        fmt::format("refusing plain HTTP to non-loopback host {} (use https)", url->host));
  }
  auto impl = std::make_shared<Impl>(io, std::move(options), *url);
  if (url->tls()) {
    auto ctx = MakeClientTlsContext(impl->options.tls);
    if (!ctx.ok()) return ctx.status();
    impl->tls = *ctx;
  }
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(impl)));
}

HttpClient::~HttpClient() {
  // Pending requests keep the Impl alive; idle connections close with it.
  auto impl = impl_;
  impl->thread.Post([impl] {
    impl->idle.clear();
    impl->idle_count = 0;
  });
}

void HttpClient::Send(HttpRequest request, Nanos deadline, Callback done, Executor* executor) {
  auto impl = impl_;
  asio::co_spawn(impl->io, impl->Run(std::move(request), deadline),
                 [impl, done = std::move(done), executor](std::exception_ptr error, HttpResult result) mutable {
                   if (error) {
                     result = HttpResult{};
                     result.outcome = Outcome::kAmbiguous;
                     result.error = "internal error in HTTP client";
                   }
                   if (executor != nullptr) {
                     executor->Post([done = std::move(done), r = std::move(result)]() mutable { done(std::move(r)); });
                   } else {
                     done(std::move(result));
                   }
                 });
}

HttpResult HttpClient::SendSync(HttpRequest request, Nanos deadline) {
  std::promise<HttpResult> promise;
  auto future = promise.get_future();
  Send(std::move(request), deadline, [&promise](HttpResult r) { promise.set_value(std::move(r)); });
  return future.get();
}

size_t HttpClient::idle_connections() const { return impl_->idle_count.load(); }
uint64_t HttpClient::connections_opened() const { return impl_->opened.load(); }
const Url& HttpClient::url() const { return impl_->url; }

// ---------------------------------------------------------------------------------------------
// Websocket

namespace {

class WsConnectionBase {
 public:
  virtual ~WsConnectionBase() = default;
  virtual void Send(std::string text) = 0;
  virtual void Close() = 0;
};

}  // namespace

struct WsClient::Impl : std::enable_shared_from_this<WsClient::Impl> {
  IoThread& thread;
  asio::io_context& io;
  WsClientOptions options;
  Url url;
  std::shared_ptr<ssl::context> tls;
  Rng jitter;
  std::atomic<bool> running{false};
  std::atomic<bool> is_connected{false};
  std::atomic<uint64_t> connects{0}, disconnects{0}, messages{0}, oversized{0}, dead_timeouts{0}, pings{0},
      pings_held{0}, policy_closes{0};
  // IO thread only:
  std::shared_ptr<WsConnectionBase> current;
  std::unique_ptr<asio::steady_timer> backoff_timer;
  std::function<void()> abort_connect;  // closes what a connect/handshake in flight is using
  uint64_t generation = 0;

  // Loops and connections alive: Stop() waits for none, so that no stream outlives the IO thread
  // (a websocket stream destroyed after its io_context crashes in Beast's service). Shared with
  // the guards, so that a guard outliving the client (a bounded wait that ran out) stays safe.
  struct BusyState {
    std::mutex mu;
    std::condition_variable cv;
    int count = 0;
  };
  std::shared_ptr<BusyState> busy = std::make_shared<BusyState>();
  class BusyGuard {
   public:
    explicit BusyGuard(const Impl* impl) : state_(impl->busy) { Add(+1); }
    ~BusyGuard() { Add(-1); }
    BusyGuard(const BusyGuard&) = delete;
    BusyGuard& operator=(const BusyGuard&) = delete;

   private:
    void Add(int delta) {
      std::lock_guard lock(state_->mu);
      state_->count += delta;
      if (state_->count == 0) state_->cv.notify_all();
    }
    std::shared_ptr<BusyState> state_;
  };

  Impl(IoThread& t, WsClientOptions o, Url u)
      : thread(t), io(IoContextOf(t)), options(std::move(o)), url(std::move(u)), jitter(options.jitter_seed) {}

  // After Stop() returns nothing more is handed to the owner's executor (which may then go away).
  std::mutex deliver_mu;
  bool deliver_stopped = false;
  void Deliver(std::function<void()> f) {
    std::lock_guard lock(deliver_mu);
    if (!deliver_stopped) options.executor->Post(std::move(f));
  }

  template <typename WsStream>
  class Conn final : public WsConnectionBase, public std::enable_shared_from_this<Conn<WsStream>> {
   public:
    // The owner keeps `current` alive and outlives the session coroutines (Loop holds it), so a
    // plain pointer back avoids an ownership cycle.
    Conn(Impl* owner, std::unique_ptr<WsStream> ws) : owner_(owner), busy_(owner), ws_(std::move(ws)) {}

    void Send(std::string text) override {
      if (text != "PING") subscribed_ = true;
      outbox_.push_back(std::move(text));
      if (!writing_) {
        writing_ = true;
        asio::co_spawn(owner_->io, DrainTextFrames(this->shared_from_this(), *ws_, outbox_, closed_, writing_),
                       asio::detached);
      }
    }
    void Close() override {
      closed_ = true;
      boost::system::error_code ec;
      beast::get_lowest_layer(*ws_).socket().close(ec);
      if (ping_timer_) ping_timer_->cancel();
    }

    // Reads until the connection fails; returns why.
    asio::awaitable<std::string> ReadLoop() {
      auto self = this->shared_from_this();
      last_rx_ = Clock::now();
      asio::co_spawn(owner_->io, PingLoop(self), asio::detached);
      beast::flat_buffer buffer;
      for (;;) {
        boost::system::error_code ec;
        co_await ws_->async_read(buffer, asio::redirect_error(use_awaitable, ec));
        if (ec) {
          closed_ = true;
          if (ping_timer_) ping_timer_->cancel();  // the ping loop ends now, not an interval later
          if (ec == websocket::error::message_too_big) {
            ++owner_->oversized;
            co_return "message too big";
          }
          if (ec == websocket::error::closed) {
            const auto& why = ws_->reason();
            if (why.code == websocket::close_code::policy_error) ++owner_->policy_closes;
            co_return fmt::format("closed by the server: {} {}", static_cast<int>(why.code),
                                  std::string(why.reason.c_str()));
          }
          if (dead_) co_return "no data within the dead-connection timeout";
          co_return ec.message();
        }
        last_rx_ = Clock::now();
        ++owner_->messages;
        std::string text = beast::buffers_to_string(buffer.data());
        buffer.consume(buffer.size());
        if (owner_->options.on_message) {
          owner_->Deliver([cb = owner_->options.on_message, t = std::move(text)]() mutable { cb(std::move(t)); });
        }
      }
    }

   private:
    static asio::awaitable<void> PingLoop(std::shared_ptr<Conn> self) {
      asio::steady_timer timer(self->owner_->io);
      self->ping_timer_ = &timer;
      struct Forget {
        Conn* conn;
        ~Forget() { conn->ping_timer_ = nullptr; }
      } forget{self.get()};
      const auto interval = std::chrono::nanoseconds(std::min(
          self->owner_->options.ping_interval, std::max<Nanos>(self->owner_->options.dead_after / 4, kNanosPerMilli)));
      auto next_ping = Clock::now() + std::chrono::nanoseconds(self->owner_->options.ping_interval);
      while (!self->closed_) {
        timer.expires_after(interval);
        boost::system::error_code ec;
        co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
        if (self->closed_) break;
        if (Clock::now() - self->last_rx_ > std::chrono::nanoseconds(self->owner_->options.dead_after)) {
          ++self->owner_->dead_timeouts;
          self->dead_ = true;
          self->Close();
          break;
        }
        if (Clock::now() >= next_ping) {
          if (self->subscribed_ || self->owner_->options.ping_before_first_message) {
            ++self->owner_->pings;
            self->Send("PING");
          } else {
            ++self->owner_->pings_held;  // nothing subscribed yet: a PING now would get us closed
          }
          next_ping = Clock::now() + std::chrono::nanoseconds(self->owner_->options.ping_interval);
        }
      }
    }

    Impl* owner_;
    BusyGuard busy_;
    std::unique_ptr<WsStream> ws_;
    asio::steady_timer* ping_timer_ = nullptr;  // PingLoop's, while it waits
    std::deque<std::string> outbox_;
    bool writing_ = false;
    bool closed_ = false;
    bool dead_ = false;
    bool subscribed_ = false;  // a message other than PING went out on this connection
    Clock::time_point last_rx_;
  };

  template <typename WsStream>
  asio::awaitable<std::string> Session(std::unique_ptr<WsStream> ws) {
    auto conn = std::make_shared<Conn<WsStream>>(this, std::move(ws));
    abort_connect = nullptr;  // from here Stop() closes `current`
    current = conn;
    if (!running) conn->Close();
    const bool reconnect = connects.fetch_add(1) > 0;
    is_connected = true;
    if (options.on_connected) Deliver([cb = options.on_connected, reconnect] { cb(reconnect); });
    std::string reason = co_await conn->ReadLoop();
    is_connected = false;
    current.reset();
    co_return reason;
  }

  template <typename WsStream>
  asio::awaitable<std::string> Handshake(WsStream& ws) {
    boost::system::error_code ec;
    websocket::stream_base::timeout timeouts{std::chrono::nanoseconds(options.connect_timeout),
                                             websocket::stream_base::none(), false};
    beast::get_lowest_layer(ws).expires_never();
    ws.set_option(timeouts);
    ws.read_message_max(options.max_message_bytes);
    ws.set_option(websocket::stream_base::decorator(
        [](websocket::request_type& req) { req.set(beast::http::field::user_agent, "clobmaker"); }));
    const std::string host = fmt::format("{}:{}", url.host, url.port);
    const std::string target = url.path.empty() ? std::string("/") : url.path;
    co_await ws.async_handshake(host, target, asio::redirect_error(use_awaitable, ec));
    co_return ec ? fmt::format("websocket handshake: {}", ec.message()) : std::string();
  }

  asio::awaitable<std::string> ConnectAndRun() {
    struct ClearAbort {
      Impl* impl;
      ~ClearAbort() { impl->abort_connect = nullptr; }
    } clear_abort{this};
    boost::system::error_code ec;
    tcp::resolver resolver(io);
    abort_connect = [&resolver] { resolver.cancel(); };
    const std::string port = std::to_string(url.port);
    auto endpoints = co_await resolver.async_resolve(url.host, port, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return fmt::format("resolve: {}", ec.message());
    if (!running) co_return "stopped";
    beast::tcp_stream stream(io);
    abort_connect = [&stream] { stream.cancel(); };
    stream.expires_after(std::chrono::nanoseconds(options.connect_timeout));
    co_await stream.async_connect(endpoints, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return fmt::format("connect: {}", ec.message());
    if (!running) co_return "stopped";
    stream.socket().set_option(tcp::no_delay(true), ec);
    if (url.tls()) {
      auto ws = std::make_unique<websocket::stream<beast::ssl_stream<beast::tcp_stream>>>(std::move(stream), *tls);
      abort_connect = [w = ws.get()] {
        boost::system::error_code ignored;
        beast::get_lowest_layer(*w).socket().close(ignored);
      };
      if (!ConfigureClientSsl(ws->next_layer().native_handle(), url.host, options.tls.verify_peer))
        co_return "TLS setup failed";
      co_await ws->next_layer().async_handshake(ssl::stream_base::client, asio::redirect_error(use_awaitable, ec));
      if (ec) co_return fmt::format("TLS handshake: {}", ec.message());
      std::string err = co_await Handshake(*ws);
      if (!err.empty()) co_return err;
      std::string reason = co_await Session(std::move(ws));
      co_return reason;
    }
    auto ws = std::make_unique<websocket::stream<beast::tcp_stream>>(std::move(stream));
    abort_connect = [w = ws.get()] {
      boost::system::error_code ignored;
      beast::get_lowest_layer(*w).socket().close(ignored);
    };
    std::string err = co_await Handshake(*ws);
    if (!err.empty()) co_return err;
    std::string reason = co_await Session(std::move(ws));
    co_return reason;
  }

  asio::awaitable<void> Loop(uint64_t my_generation) {
    auto self = shared_from_this();
    BusyGuard busy_guard(this);
    int attempt = 0;
    while (running && generation == my_generation) {
      const uint64_t connects_before = connects.load();
      std::string reason = co_await ConnectAndRun();
      if (connects.load() != connects_before) {
        attempt = 0;  // we were connected: start the backoff over
        ++disconnects;
      }
      if (options.on_disconnected) Deliver([cb = options.on_disconnected, reason] { cb(reason); });
      if (!running || generation != my_generation) break;
      // Exponential backoff with "equal jitter": half fixed, half random.
      const double base = std::min<double>(static_cast<double>(options.backoff_max),
                                           static_cast<double>(options.backoff_initial) * std::pow(2.0, attempt));
      const auto delay = static_cast<Nanos>(base * (0.5 + 0.5 * jitter.Unit()));
      ++attempt;
      backoff_timer = std::make_unique<asio::steady_timer>(io, std::chrono::nanoseconds(delay));
      boost::system::error_code ec;
      co_await backoff_timer->async_wait(asio::redirect_error(use_awaitable, ec));
    }
  }
};

absl::StatusOr<std::unique_ptr<WsClient>> WsClient::Create(IoThread& io, WsClientOptions options) {
  if (options.executor == nullptr)
    return absl::InvalidArgumentError("websocket client needs an executor for callbacks");
  auto url = ParseUrl(options.url);
  if (!url.ok()) return url.status();
  if (url->scheme != "ws" && url->scheme != "wss") {
    return absl::InvalidArgumentError(fmt::format("websocket URL must be ws:// or wss://, got '{}'", options.url));
  }
  if (!url->tls() && !IsLoopbackHost(url->host)) {
    return absl::InvalidArgumentError(fmt::format("refusing plain ws:// to non-loopback host {} (use wss)", url->host));
  }
  auto impl = std::make_shared<Impl>(io, std::move(options), *url);
  if (url->tls()) {
    auto ctx = MakeClientTlsContext(impl->options.tls);
    if (!ctx.ok()) return ctx.status();
    impl->tls = *ctx;
  }
  return std::unique_ptr<WsClient>(new WsClient(std::move(impl)));
}

WsClient::~WsClient() { Stop(); }

void WsClient::Start() {
  auto impl = impl_;
  if (impl->running.exchange(true)) return;
  {
    std::lock_guard lock(impl->deliver_mu);
    impl->deliver_stopped = false;
  }
  impl->thread.Post([impl] {
    const uint64_t gen = ++impl->generation;
    asio::co_spawn(impl->io, impl->Loop(gen), asio::detached);
  });
}

void WsClient::Stop() {
  auto impl = impl_;
  if (!impl->running.exchange(false)) return;
  {
    std::lock_guard lock(impl->deliver_mu);
    impl->deliver_stopped = true;
  }
  std::promise<void> done;
  auto stopped = done.get_future();
  impl->thread.Post([impl, &done] {
    ++impl->generation;
    if (impl->current) impl->current->Close();
    if (impl->backoff_timer) impl->backoff_timer->cancel();
    if (impl->abort_connect) impl->abort_connect();
    done.set_value();
  });
  if (impl->thread.InLoopThread()) return;
  stopped.wait();
  // Every loop and connection ends on the IO thread, while it runs (bounded: a peer that never
  // answers a close still has its socket closed under it).
  std::unique_lock lock(impl->busy->mu);
  impl->busy->cv.wait_for(lock, std::chrono::seconds(5), [&] { return impl->busy->count == 0; });
}

bool WsClient::Send(std::string text) {
  auto impl = impl_;
  if (!impl->is_connected) return false;
  impl->thread.Post([impl, t = std::move(text)]() mutable {
    if (impl->current) impl->current->Send(std::move(t));
  });
  return true;
}

bool WsClient::connected() const { return impl_->is_connected.load(); }

WsStats WsClient::stats() const {
  return WsStats{impl_->connects.load(),   impl_->disconnects.load(),   impl_->messages.load(),
                 impl_->oversized.load(),  impl_->dead_timeouts.load(), impl_->pings.load(),
                 impl_->pings_held.load(), impl_->policy_closes.load()};
}

}  // namespace clobmaker::net
