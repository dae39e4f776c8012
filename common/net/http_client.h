// An HTTP/1.1 client over Boost.Beast with a keep-alive connection pool, TLS with certificate
// and hostname verification on by default (plain HTTP only to loopback, for the simulator),
// per-request deadlines, and results classified by net::Outcome (http.h).
//
//   net::IoThread io;
//   auto client = net::HttpClient::Create(io, {.base_url = "https://clob.polymarket.com"});
//   (*client)->Send(request, 2 * kNanosPerSecond, [](net::HttpResult r) { ... }, &owner_executor);
#pragma once

#include <absl/status/statusor.h>

#include <functional>
#include <memory>
#include <string>

#include "common/core/clock.h"
#include "common/core/executor.h"
#include "common/net/http.h"
#include "common/net/io_thread.h"

namespace clobmaker::net {

struct TlsOptions {
  bool verify_peer = true;  // certificate chain and host name
  std::string ca_file;      // extra trusted CA (PEM file), e.g. a test CA
  std::string ca_pem;       // or the PEM text itself
};

struct HttpClientOptions {
  std::string base_url;  // scheme://host[:port][/prefix]
  TlsOptions tls;
  size_t max_idle_connections = 8;
  Nanos connect_timeout = 2 * kNanosPerSecond;
  Nanos max_idle_age = 4 * kNanosPerSecond;  // drop idle connections before servers do
  size_t max_response_bytes = 16 << 20;
  std::string user_agent = "clobmaker";
};

class HttpClient {
 public:
  // InvalidArgument for a bad URL or plain HTTP to a non-loopback host.
  static absl::StatusOr<std::unique_ptr<HttpClient>> Create(IoThread& io, HttpClientOptions options);
  ~HttpClient();

  using Callback = std::function<void(HttpResult)>;
  // Sends `request` (target relative to the base URL's prefix). `deadline` bounds the whole
  // exchange. `done` runs on `executor` if given, else on the IO thread. Thread-safe.
  void Send(HttpRequest request, Nanos deadline, Callback done, Executor* executor = nullptr);
  // Blocking form, for tools and tests (never call it on the IO thread).
  HttpResult SendSync(HttpRequest request, Nanos deadline);

  size_t idle_connections() const;
  uint64_t connections_opened() const;
  const Url& url() const;

  struct Impl;

 private:
  explicit HttpClient(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace clobmaker::net
