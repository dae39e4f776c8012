// An HTTP/1.1 + websocket server over Boost.Beast, plain or TLS, on a loopback port: the
// simulator's front end and the peer of the client tests. Handlers may answer later (or never),
// and may inject faults through HttpResponse's fields and WsSession's raw operations.
#pragma once

#include <absl/status/statusor.h>

#include <functional>
#include <memory>
#include <string>

#include "common/net/http.h"
#include "common/net/io_thread.h"

namespace clobmaker::net {

class WsSession {
 public:
  virtual ~WsSession() = default;
  virtual uint64_t id() const = 0;
  virtual const std::string& path() const = 0;
  // Thread-safe; ignored once closed.
  virtual void Send(std::string text) = 0;
  virtual void Close() = 0;
  // A close handshake with a code and reason (e.g. 1008 policy violation).
  virtual void CloseWith(uint16_t code, std::string reason) = 0;
  // Faults: drop the TCP connection without a close handshake; or write the start of a frame
  // that announces more payload than follows, then drop (a disconnect mid-frame).
  virtual void Drop() = 0;
  virtual void DropMidFrame() = 0;
};

struct HttpServerOptions {
  std::string listen = "127.0.0.1:0";
  std::string tls_cert_pem;  // TLS when both are set
  std::string tls_key_pem;
  size_t max_request_bytes = 4 << 20;
  Nanos idle_timeout = 60 * kNanosPerSecond;  // close keep-alive connections idle this long
  bool answer_text_ping = true;               // reply "PONG" to "PING" (off: a dead peer)
  // Called for a text "PING": false closes the session with 1008 "invalid subscription payload"
  // (what Polymarket does to a PING before a valid subscription). Unset: every PING is fine.
  std::function<bool(const std::shared_ptr<WsSession>&)> accept_ping;
  // Called for every HTTP request; call `respond` exactly once (or never, to time the client out).
  std::function<void(const HttpRequest&, std::function<void(HttpResponse)> respond)> on_request;
  // Websocket upgrades on these callbacks (paths decided by the handler: return false to refuse).
  std::function<bool(const std::string& path)> accept_websocket;
  std::function<void(std::shared_ptr<WsSession>)> on_ws_open;
  std::function<void(std::shared_ptr<WsSession>, std::string message)> on_ws_message;
  std::function<void(std::shared_ptr<WsSession>)> on_ws_close;
};

class HttpServer {
 public:
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(IoThread& io, HttpServerOptions options);
  ~HttpServer();  // stops
  // Closes the listener and every connection. Once it returns no handler runs again.
  void Stop();
  uint16_t port() const;
  std::string base_url() const;  // http(s)://127.0.0.1:port
  std::string ws_url() const;    // ws(s)://127.0.0.1:port

  struct Impl;

 private:
  explicit HttpServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace clobmaker::net
