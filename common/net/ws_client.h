// A websocket client over Boost.Beast that stays connected: text PING keepalive, a dead-
// connection timer, reconnection with jittered exponential backoff, and callbacks on every
// (re)connect so that owners resubscribe and reconcile. Callbacks run on the owner's executor.
#pragma once

#include <absl/status/statusor.h>

#include <functional>
#include <memory>
#include <string>

#include "common/core/clock.h"
#include "common/core/executor.h"
#include "common/net/http_client.h"
#include "common/net/io_thread.h"

namespace clobmaker::net {

struct WsClientOptions {
  std::string url;  // ws://127.0.0.1:port/ws/market or wss://...
  TlsOptions tls;
  Nanos connect_timeout = 5 * kNanosPerSecond;
  Nanos ping_interval = 10 * kNanosPerSecond;  // text "PING", as Polymarket expects
  // Polymarket closes a socket that sends PING before a valid subscription (1008 "invalid
  // subscription payload", NautilusTrader #4864): pings start only after the connection's first
  // other message (the subscription the owner sends from on_connected).
  bool ping_before_first_message = false;
  Nanos dead_after = 30 * kNanosPerSecond;  // nothing received for this long: reconnect
  Nanos backoff_initial = 250 * kNanosPerMilli;
  Nanos backoff_max = 30 * kNanosPerSecond;
  uint64_t jitter_seed = 1;
  size_t max_message_bytes = 8 << 20;  // larger frames: disconnect and count
  Executor* executor = nullptr;        // where callbacks run (required)
  std::function<void(bool reconnect)> on_connected;
  std::function<void(std::string message)> on_message;
  std::function<void(std::string reason)> on_disconnected;
};

struct WsStats {
  uint64_t connects = 0;
  uint64_t disconnects = 0;
  uint64_t messages = 0;
  uint64_t oversized = 0;
  uint64_t dead_timeouts = 0;
  uint64_t pings = 0;
  uint64_t pings_held = 0;     // ping intervals that passed with nothing subscribed yet
  uint64_t policy_closes = 0;  // the server closed with 1008 (policy violation)
};

class WsClient {
 public:
  static absl::StatusOr<std::unique_ptr<WsClient>> Create(IoThread& io, WsClientOptions options);
  ~WsClient();  // stops

  void Start();
  // Closes the connection and stops reconnecting. Once it returns, no further callback is handed
  // to the executor (callbacks already queued there still run).
  void Stop();
  // Queues a text message; dropped (returns false) when not connected.
  bool Send(std::string text);
  bool connected() const;
  WsStats stats() const;

  struct Impl;

 private:
  explicit WsClient(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace clobmaker::net
