// HTTP + websocket server. All Beast server code lives in this one translation unit.
// clang-format off
#include <utility>  // before any Asio header with GCC 12 (toolchain.md)
// clang-format on

#include <fmt/core.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <charconv>
#include <cmath>
#include <deque>
#include <future>
#include <list>
#include <mutex>

#include "common/net/asio_internal.h"
#include "common/net/http_server.h"
#include "common/net/tls_internal.h"
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

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  IoThread& thread;
  asio::io_context& io;
  HttpServerOptions options;
  std::shared_ptr<ssl::context> tls;
  std::unique_ptr<tcp::acceptor> acceptor;
  uint16_t port = 0;
  std::atomic<bool> stopping{false};
  std::atomic<uint64_t> next_session{1};
  std::list<std::weak_ptr<beast::tcp_stream>> sockets;  // IO thread only: closed on Stop

  Impl(IoThread& t, HttpServerOptions o) : thread(t), io(IoContextOf(t)), options(std::move(o)) {}

  template <typename WsStream>
  class Session final : public WsSession, public std::enable_shared_from_this<Session<WsStream>> {
   public:
    Session(std::shared_ptr<Impl> server, std::unique_ptr<WsStream> ws, std::string path, uint64_t id)
        : server_(std::move(server)), ws_(std::move(ws)), path_(std::move(path)), id_(id) {}

    uint64_t id() const override { return id_; }
    const std::string& path() const override { return path_; }

    void Send(std::string text) override {
      auto self = this->shared_from_this();
      asio::post(server_->io, [self, t = std::move(text)]() mutable {
        if (self->closed_) return;
        self->outbox_.push_back(std::move(t));
        if (!self->writing_) {
          self->writing_ = true;
          asio::co_spawn(self->server_->io,
                         DrainTextFrames(self, *self->ws_, self->outbox_, self->closed_, self->writing_),
                         asio::detached);
        }
      });
    }
    void Close() override {
      auto self = this->shared_from_this();
      asio::post(server_->io, [self] {
        if (self->closed_) return;
        self->closed_ = true;
        self->ws_->async_close(websocket::close_code::normal, [self](const boost::system::error_code&) {});
      });
    }
    void CloseWith(uint16_t code, std::string reason) override {
      auto self = this->shared_from_this();
      asio::post(server_->io, [self, code, reason = std::move(reason)] {
        if (self->closed_) return;
        self->closed_ = true;
        self->ws_->async_close(websocket::close_reason(static_cast<websocket::close_code>(code), reason),
                               [self](const boost::system::error_code&) {});
      });
    }
    void Drop() override {
      auto self = this->shared_from_this();
      asio::post(server_->io, [self] {
        self->closed_ = true;
        boost::system::error_code ec;
        beast::get_lowest_layer(*self->ws_).socket().close(ec);
      });
    }
    void DropMidFrame() override {
      auto self = this->shared_from_this();
      asio::post(server_->io, [self] {
        self->closed_ = true;
        // A text frame header announcing 256 payload bytes, followed by only 10 of them.
        static const unsigned char kPartial[] = {0x81, 0x7e, 0x01, 0x00, 'p', 'a', 'r',
                                                 't',  'i',  'a',  'l',  '.', '.', '.'};
        asio::async_write(self->ws_->next_layer(), asio::buffer(kPartial, sizeof(kPartial)),
                          [self](const boost::system::error_code&, size_t) {
                            boost::system::error_code ec;
                            beast::get_lowest_layer(*self->ws_).socket().close(ec);
                          });
      });
    }

    asio::awaitable<void> Run(http::request<http::string_body> req) {
      auto self = this->shared_from_this();
      boost::system::error_code ec;
      beast::get_lowest_layer(*ws_).expires_never();
      ws_->set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
      co_await ws_->async_accept(req, asio::redirect_error(use_awaitable, ec));
      if (ec) co_return;
      // After Stop() no handler runs again: the owner may be tearing its state down.
      if (server_->stopping) co_return;
      if (server_->options.on_ws_open) server_->options.on_ws_open(self);
      beast::flat_buffer buffer;
      for (;;) {
        co_await ws_->async_read(buffer, asio::redirect_error(use_awaitable, ec));
        if (ec) break;
        std::string text = beast::buffers_to_string(buffer.data());
        buffer.consume(buffer.size());
        if (text == "PING") {
          if (server_->options.accept_ping && !server_->stopping && !server_->options.accept_ping(self)) {
            CloseWith(websocket::close_code::policy_error, "invalid subscription payload");
            continue;  // the read ends with the close handshake
          }
          if (server_->options.answer_text_ping) Send("PONG");  // Polymarket's text keepalive
          continue;
        }
        if (server_->stopping) break;
        if (server_->options.on_ws_message) server_->options.on_ws_message(self, std::move(text));
      }
      closed_ = true;
      if (!server_->stopping && server_->options.on_ws_close) server_->options.on_ws_close(self);
    }

   private:
    std::shared_ptr<Impl> server_;
    std::unique_ptr<WsStream> ws_;
    std::string path_;
    uint64_t id_;
    std::deque<std::string> outbox_;
    bool writing_ = false;
    bool closed_ = false;
  };

  // Waits for the handler's answer (which may come from any thread, later, or never).
  struct Pending {
    explicit Pending(asio::io_context& io) : timer(io) { timer.expires_at(asio::steady_timer::time_point::max()); }
    asio::steady_timer timer;
    std::optional<HttpResponse> response;
  };

  static std::string RawResponse(const HttpResponse& r) {
    std::string out = fmt::format("HTTP/1.1 {} {}\r\n", r.status,
                                  std::string(http::obsolete_reason(static_cast<http::status>(r.status))));
    for (const auto& [k, v] : r.headers) out += fmt::format("{}: {}\r\n", k, v);
    out += fmt::format("Content-Length: {}\r\n\r\n", r.body.size());
    out += r.body;
    return out;
  }

  template <typename Stream>
  asio::awaitable<void> ServeHttp(std::shared_ptr<Stream> stream) {
    auto self = shared_from_this();
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(options.max_request_bytes);
      boost::system::error_code ec;
      beast::get_lowest_layer(*stream).expires_after(std::chrono::nanoseconds(options.idle_timeout));
      co_await http::async_read(*stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
      if (ec) break;
      http::request<http::string_body> req = parser.release();
      beast::get_lowest_layer(*stream).expires_never();
      if (websocket::is_upgrade(req)) {
        const std::string path(req.target());
        if (options.accept_websocket && options.accept_websocket(path)) {
          using WsStream = websocket::stream<Stream>;
          auto ws = std::make_unique<WsStream>(std::move(*stream));
          auto session = std::make_shared<Session<WsStream>>(self, std::move(ws), path, next_session++);
          co_await session->Run(std::move(req));
          co_return;
        }
      }
      HttpRequest request;
      request.method = std::string(req.method_string());
      request.target = std::string(req.target());
      for (const auto& field : req)
        request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
      request.body = std::move(req.body());

      auto pending = std::make_shared<Pending>(io);
      auto respond = [pending, this_io = &io](HttpResponse response) {
        asio::post(*this_io, [pending, r = std::move(response)]() mutable {
          if (pending->response) return;  // answered twice: keep the first
          pending->response = std::move(r);
          pending->timer.cancel();
        });
      };
      if (stopping) break;
      if (options.on_request) {
        options.on_request(request, respond);
      } else {
        respond(HttpResponse{.status = 404, .body = R"({"error":"not found"})"});
      }
      if (!pending->response) co_await pending->timer.async_wait(asio::redirect_error(use_awaitable, ec));
      if (!pending->response || stopping) break;
      HttpResponse response = std::move(*pending->response);
      if (response.delay > 0) {
        asio::steady_timer delay(io, std::chrono::nanoseconds(response.delay));
        co_await delay.async_wait(asio::redirect_error(use_awaitable, ec));
      }
      if (response.close_without_response) break;
      if (response.truncate_after_bytes > 0) {
        const std::string raw = RawResponse(response);
        const size_t n = std::min(raw.size(), response.truncate_after_bytes);
        co_await asio::async_write(*stream, asio::buffer(raw.data(), n), asio::redirect_error(use_awaitable, ec));
        break;
      }
      http::response<http::string_body> res{static_cast<http::status>(response.status), req.version()};
      bool has_content_type = false;
      for (const auto& [k, v] : response.headers) {
        res.set(k, v);
        has_content_type |= k == "Content-Type" || k == "content-type";
      }
      if (!has_content_type) res.set(http::field::content_type, "application/json");
      res.body() = std::move(response.body);
      res.keep_alive(req.keep_alive() && !response.close_after);
      res.prepare_payload();
      co_await http::async_write(*stream, res, asio::redirect_error(use_awaitable, ec));
      if (ec || !res.keep_alive()) break;
    }
    boost::system::error_code ignored;
    beast::get_lowest_layer(*stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(*stream).close();
  }

  asio::awaitable<void> Serve(tcp::socket socket) {
    auto self = shared_from_this();
    socket.set_option(tcp::no_delay(true));
    if (tls) {
      auto stream = std::make_shared<beast::ssl_stream<beast::tcp_stream>>(std::move(socket), *tls);
      sockets.emplace_back(std::shared_ptr<beast::tcp_stream>(stream, &stream->next_layer()));
      boost::system::error_code ec;
      stream->next_layer().expires_after(std::chrono::seconds(10));
      co_await stream->async_handshake(ssl::stream_base::server, asio::redirect_error(use_awaitable, ec));
      if (ec) co_return;
      co_await ServeHttp(stream);
    } else {
      auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
      sockets.emplace_back(stream);
      co_await ServeHttp(stream);
    }
  }

  asio::awaitable<void> Accept() {
    auto self = shared_from_this();
    while (!stopping) {
      boost::system::error_code ec;
      tcp::socket socket = co_await acceptor->async_accept(asio::redirect_error(use_awaitable, ec));
      if (ec) {
        if (stopping) break;
        continue;
      }
      sockets.remove_if([](const std::weak_ptr<beast::tcp_stream>& w) { return w.expired(); });
      asio::co_spawn(io, Serve(std::move(socket)), asio::detached);
    }
  }
};

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(IoThread& io, HttpServerOptions options) {
  auto impl = std::make_shared<Impl>(io, std::move(options));
  if (!impl->options.tls_cert_pem.empty() || !impl->options.tls_key_pem.empty()) {
    auto ctx = MakeServerTlsContext(impl->options.tls_cert_pem, impl->options.tls_key_pem);
    if (!ctx.ok()) return ctx.status();
    impl->tls = *ctx;
  }
  const std::string& listen = impl->options.listen;
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos)
    return absl::InvalidArgumentError(fmt::format("listen address '{}' needs host:port", listen));
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec) return absl::InvalidArgumentError(fmt::format("listen address '{}': {}", listen, ec.message()));
  const auto port = static_cast<uint16_t>(std::stoi(listen.substr(colon + 1)));
  impl->acceptor = std::make_unique<tcp::acceptor>(impl->io);
  const tcp::endpoint endpoint(address, port);
  impl->acceptor->open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor->bind(endpoint, ec);
  if (!ec) impl->acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return absl::UnavailableError(fmt::format("cannot listen on {}: {}", listen, ec.message()));
  impl->port = impl->acceptor->local_endpoint().port();
  asio::co_spawn(impl->io, impl->Accept(), asio::detached);
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() {
  auto impl = impl_;
  if (impl->stopping.exchange(true)) return;
  std::promise<void> done;
  auto stopped = done.get_future();
  impl->thread.Post([impl, &done] {
    boost::system::error_code ec;
    impl->acceptor->close(ec);
    for (auto& w : impl->sockets) {
      if (auto s = w.lock()) s->close();
    }
    impl->sockets.clear();
    done.set_value();
  });
  if (!impl->thread.InLoopThread()) stopped.wait();
}

uint16_t HttpServer::port() const { return impl_->port; }
std::string HttpServer::base_url() const {
  return fmt::format("{}://127.0.0.1:{}", impl_->tls ? "https" : "http", impl_->port);
}
std::string HttpServer::ws_url() const {
  return fmt::format("{}://127.0.0.1:{}", impl_->tls ? "wss" : "ws", impl_->port);
}

}  // namespace clobmaker::net
