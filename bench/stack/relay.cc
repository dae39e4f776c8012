// One hop of the tick-to-trade floor: a process that forwards what it receives and does nothing
// else, over the same libraries and settings the services use (Boost.Beast websocket and HTTP
// clients, the NATS C client with SendAsap, callbacks on one loop thread).
//
//   clobmaker-relay --ws-url ws://127.0.0.1:P/ws/market --nats URL --out SUBJECT   (websocket -> NATS)
//   clobmaker-relay --nats URL --in SUBJECT --out SUBJECT                          (NATS -> NATS)
//   clobmaker-relay --nats URL --in SUBJECT --post-url http://127.0.0.1:P [--round-trips K]
//                                                   (NATS -> K-1 DELETEs then a POST, in sequence)
// Prints "relay ready" once connected and subscribed.
#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "common/core/executor.h"
#include "common/nats/nats.h"
#include "common/net/http_client.h"
#include "common/net/io_thread.h"
#include "common/net/ws_client.h"

namespace {
std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }
}  // namespace

int main(int argc, char** argv) {
  using namespace clobmaker;  // NOLINT(google-build-using-namespace): a small tool
  CLI::App app{"clobmaker-relay: one do-nothing hop of the tick-to-trade floor"};
  std::string nats_url, ws_url, in, out, post_url;
  int round_trips = 1;
  app.add_option("--nats", nats_url, "NATS server URL")->required();
  app.add_option("--ws-url", ws_url, "websocket to read frames from");
  app.add_option("--in", in, "NATS subject to read");
  app.add_option("--out", out, "NATS subject to publish on");
  app.add_option("--post-url", post_url, "HTTP server to POST each message to");
  app.add_option("--round-trips", round_trips, "HTTP requests per message, in sequence (the last a POST)")
      ->check(CLI::Range(1, 4));
  CLI11_PARSE(app, argc, argv);
  if (ws_url.empty() == in.empty() || (out.empty() == post_url.empty())) {
    std::fprintf(stderr, "relay: exactly one of --ws-url/--in and one of --out/--post-url\n");
    return 2;
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);

  ThreadExecutor loop;
  net::IoThread io;
  auto conn = nats::Connection::Connect({.url = nats_url, .name = "relay", .executor = &loop});
  if (!conn.ok()) {
    std::fprintf(stderr, "relay: nats: %s\n", std::string(conn.status().message()).c_str());
    return 1;
  }
  std::unique_ptr<net::HttpClient> http;
  if (!post_url.empty()) {
    auto client = net::HttpClient::Create(io, {.base_url = post_url});
    if (!client.ok()) return 1;
    http = std::move(*client);
  }
  // The output side: publish, or the HTTP requests in sequence (each sent from its answer).
  std::function<void(std::string, int)> forward = [&](std::string data, int left) {
    if (!out.empty()) {
      (void)(*conn)->Publish(out, data);
      return;
    }
    net::HttpRequest req;
    req.method = left == 1 ? "POST" : "DELETE";
    req.target = left == 1 ? "/order" : "/orders";
    req.headers = {{"Content-Type", "application/json"}};
    req.body = data;
    http->Send(
        std::move(req), 2 * kNanosPerSecond,
        [&forward, data, left](net::HttpResult) {
          if (left > 1) forward(data, left - 1);
        },
        &loop);
  };
  std::unique_ptr<nats::Subscription> sub;
  std::unique_ptr<net::WsClient> ws;
  if (!in.empty()) {
    auto s = (*conn)->Subscribe(in, [&](nats::Message m) { forward(std::move(m.data), round_trips); });
    if (!s.ok()) return 1;
    sub = std::move(*s);
    (void)(*conn)->Flush(2 * kNanosPerSecond);
    std::printf("relay ready\n");
    std::fflush(stdout);
  } else {
    net::WsClientOptions options;
    options.url = ws_url;
    options.executor = &loop;
    options.on_connected = [](bool) {
      std::printf("relay ready\n");
      std::fflush(stdout);
    };
    options.on_message = [&](std::string message) { forward(std::move(message), round_trips); };
    auto client = net::WsClient::Create(io, options);
    if (!client.ok()) return 1;
    ws = std::move(*client);
    ws->Start();
  }
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (ws) ws->Stop();
  sub.reset();
  return 0;
}
