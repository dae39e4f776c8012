// The REST and websocket clients against an in-process Beast server on loopback, plain and TLS
// (a test CA made at test time), with the faults the exchange produces on a bad day.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "common/net/http_client.h"
#include "common/net/http_server.h"
#include "common/net/ws_client.h"
#include "common/testing/eventually.h"
#include "common/testing/test_certs.h"

namespace clobmaker::net {
namespace {

using testing::Eventually;

const testing::TestCertificates& Certs() {
  static const auto certs = testing::MakeTestCertificates();
  return certs;
}

// A server whose behaviour per path is chosen by the test.
class Peer {
 public:
  explicit Peer(bool tls = false, Nanos idle_timeout = 60 * kNanosPerSecond, bool answer_ping = true) {
    HttpServerOptions options;
    if (tls) {
      options.tls_cert_pem = Certs().server_cert_pem;
      options.tls_key_pem = Certs().server_key_pem;
    }
    options.idle_timeout = idle_timeout;
    options.answer_text_ping = answer_ping;
    options.on_request = [this](const HttpRequest& req, std::function<void(HttpResponse)> respond) {
      ++requests;
      Handle(req, std::move(respond));
    };
    options.accept_websocket = [](const std::string& path) { return path.rfind("/ws/", 0) == 0; };
    options.on_ws_open = [this](std::shared_ptr<WsSession> s) {
      std::lock_guard lock(mu);
      sessions.push_back(s);
      s->Send("hello");
    };
    options.on_ws_message = [this](std::shared_ptr<WsSession> s, std::string m) {
      {
        std::lock_guard lock(mu);
        received.push_back(m);
      }
      if (m == "big") s->Send(std::string(64 * 1024, 'x'));
      if (m == "echo") s->Send("echo:" + m);
    };
    auto server = HttpServer::Start(io, options);
    EXPECT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  void Handle(const HttpRequest& req, std::function<void(HttpResponse)> respond) {
    const std::string& t = req.target;
    if (t == "/ok") return respond({.status = 200, .body = R"({"ok":true,"echo":")" + req.body + "\"}"});
    if (t == "/429")
      return respond({.status = 429, .headers = {{"Retry-After", "2"}}, .body = R"({"error":"Too Many Requests"})"});
    if (t == "/503") {
      return respond(
          {.status = 503, .body = R"({"error":"post-only mode","code":"post_only_mode","retry_after_seconds":79})"});
    }
    if (t == "/400")
      return respond({.status = 400, .body = R"({"error":"invalid post-only order: order crosses book"})"});
    if (t == "/500") return respond({.status = 500, .body = "oops"});
    if (t == "/425") return respond({.status = 425, .body = "too early"});
    if (t == "/never") return;  // accepted, never answered: the client times out after sending
    if (t == "/slow") return respond({.status = 200, .body = "{}", .delay = 100 * kNanosPerMilli});
    if (t == "/reset") return respond({.close_without_response = true});
    if (t == "/truncated") return respond({.status = 200, .body = std::string(1000, 'a'), .truncate_after_bytes = 60});
    if (t == "/huge") return respond({.status = 200, .body = std::string(2 << 20, 'a')});
    respond({.status = 404, .body = "{}"});
  }

  std::string base_url() const { return server_->base_url(); }
  std::string ws_url() const { return server_->ws_url(); }
  void DropAll() {
    std::lock_guard lock(mu);
    for (auto& s : sessions) s->Drop();
    sessions.clear();
  }

  IoThread io;
  std::atomic<int> requests{0};
  std::mutex mu;
  std::vector<std::shared_ptr<WsSession>> sessions;
  std::vector<std::string> received;
  std::unique_ptr<HttpServer> server_;
};

std::unique_ptr<HttpClient> Client(IoThread& io, const std::string& url, TlsOptions tls = {},
                                   size_t max_bytes = 1 << 20) {
  auto client = HttpClient::Create(io, {.base_url = url, .tls = tls, .max_response_bytes = max_bytes});
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? std::move(*client) : nullptr;
}

HttpRequest Get(std::string target) { return HttpRequest{.method = "GET", .target = std::move(target)}; }

TEST(HttpClient, OkAndKeepAliveReuse) {
  Peer peer;
  IoThread io;
  auto client = Client(io, peer.base_url());
  for (int i = 0; i < 5; ++i) {
    auto r = client->SendSync({.method = "POST", .target = "/ok", .body = "x" + std::to_string(i)}, kNanosPerSecond);
    ASSERT_EQ(r.outcome, Outcome::kOk) << r.error;
    EXPECT_NE(r.response->body.find("x" + std::to_string(i)), std::string::npos);
    EXPECT_EQ(r.reused_connection, i > 0);
  }
  EXPECT_EQ(client->connections_opened(), 1u);
}

TEST(HttpClient, ClassifiesEveryWayAnAnswerCanGoWrong) {
  Peer peer;
  IoThread io;
  auto client = Client(io, peer.base_url());
  auto throttled = client->SendSync(Get("/429"), kNanosPerSecond);
  EXPECT_EQ(throttled.outcome, Outcome::kThrottled);
  EXPECT_EQ(throttled.retry_after, 2 * kNanosPerSecond);
  auto post_only = client->SendSync(Get("/503"), kNanosPerSecond);
  EXPECT_EQ(post_only.outcome, Outcome::kAmbiguous);
  EXPECT_EQ(post_only.retry_after, 79 * kNanosPerSecond);
  EXPECT_EQ(client->SendSync(Get("/400"), kNanosPerSecond).outcome, Outcome::kRejected);
  EXPECT_EQ(client->SendSync(Get("/500"), kNanosPerSecond).outcome, Outcome::kAmbiguous);
  EXPECT_EQ(client->SendSync(Get("/425"), kNanosPerSecond).outcome, Outcome::kAmbiguous);
  EXPECT_EQ(client->SendSync(Get("/slow"), 2 * kNanosPerSecond).outcome, Outcome::kOk);
  // Accepted by the server, never answered: ambiguous, never a rejection.
  auto timeout = client->SendSync(Get("/never"), 200 * kNanosPerMilli);
  EXPECT_EQ(timeout.outcome, Outcome::kAmbiguous);
  EXPECT_EQ(timeout.error, "timeout after the request was sent");
  auto reset = client->SendSync(Get("/reset"), kNanosPerSecond);
  EXPECT_EQ(reset.outcome, Outcome::kAmbiguous);
  EXPECT_FALSE(reset.response.has_value());
  auto truncated = client->SendSync(Get("/truncated"), kNanosPerSecond);
  EXPECT_EQ(truncated.outcome, Outcome::kAmbiguous);
  auto huge = client->SendSync(Get("/huge"), 2 * kNanosPerSecond);
  EXPECT_EQ(huge.outcome, Outcome::kAmbiguous) << huge.error;  // over the response size limit
  // After all that the client still works.
  EXPECT_EQ(client->SendSync(Get("/ok"), kNanosPerSecond).outcome, Outcome::kOk);
}

TEST(HttpClient, ServerClosingIdleKeepAliveConnectionsIsNotAnError) {
  Peer peer(false, 100 * kNanosPerMilli);
  IoThread io;
  auto client = Client(io, peer.base_url());
  ASSERT_EQ(client->SendSync(Get("/ok"), kNanosPerSecond).outcome, Outcome::kOk);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));  // the server closes the idle connection
  auto r = client->SendSync(Get("/ok"), kNanosPerSecond);
  EXPECT_EQ(r.outcome, Outcome::kOk) << r.error;
  EXPECT_FALSE(r.reused_connection);
  EXPECT_EQ(client->connections_opened(), 2u);
}

TEST(HttpClient, NothingListeningIsNotSent) {
  IoThread io;
  auto client = Client(io, "http://127.0.0.1:1");
  auto r = client->SendSync(Get("/ok"), kNanosPerSecond);
  EXPECT_EQ(r.outcome, Outcome::kNotSent);
  EXPECT_FALSE(r.error.empty());
}

TEST(HttpClient, RefusesPlainHttpToNonLoopback) {
  IoThread io;
  EXPECT_FALSE(HttpClient::Create(io, {.base_url = "http://clob.polymarket.com"}).ok());
  EXPECT_TRUE(HttpClient::Create(io, {.base_url = "https://clob.polymarket.com"}).ok());
}

TEST(HttpClient, CallbacksRunOnTheOwnersExecutor) {
  Peer peer;
  IoThread io;
  ManualExecutor owner;
  auto client = Client(io, peer.base_url());
  std::optional<Outcome> outcome;
  client->Send(
      Get("/ok"), kNanosPerSecond, [&](HttpResult r) { outcome = r.outcome; }, &owner);
  ASSERT_TRUE(Eventually([&] { return owner.pending() == 1; }));
  EXPECT_FALSE(outcome.has_value());
  owner.RunAll();
  EXPECT_EQ(outcome, Outcome::kOk);
}

TEST(HttpClientTls, VerifiesTheCertificateChainAndHostName) {
  Peer peer(/*tls=*/true);
  IoThread io;
  auto trusted = Client(io, peer.base_url(), {.ca_pem = Certs().ca_pem});
  auto ok = trusted->SendSync(Get("/ok"), 2 * kNanosPerSecond);
  EXPECT_EQ(ok.outcome, Outcome::kOk) << ok.error;
  // Trusting a different CA: the handshake fails before anything is sent.
  auto untrusted = Client(io, peer.base_url(), {.ca_pem = Certs().other_ca_pem});
  auto refused = untrusted->SendSync(Get("/ok"), 2 * kNanosPerSecond);
  EXPECT_EQ(refused.outcome, Outcome::kNotSent);
  EXPECT_NE(refused.error.find("TLS"), std::string::npos);
}

TEST(HttpClientTls, RefusesACertificateForAnotherHost) {
  const auto other = testing::MakeTestCertificates("example.test");
  IoThread server_io;
  auto server = HttpServer::Start(server_io, {.tls_cert_pem = other.server_cert_pem,
                                              .tls_key_pem = other.server_key_pem,
                                              .on_request = [](const HttpRequest&, auto respond) {
                                                respond(HttpResponse{.status = 200, .body = "{}"});
                                              }});
  ASSERT_TRUE(server.ok());
  IoThread io;
  auto client = Client(io, (*server)->base_url(), {.ca_pem = other.ca_pem});
  auto r = client->SendSync(Get("/ok"), 2 * kNanosPerSecond);
  EXPECT_EQ(r.outcome, Outcome::kNotSent);
}

// --- websocket ------------------------------------------------------------------------------

struct WsProbe {
  std::atomic<int> connected{0}, reconnected{0}, disconnected{0};
  std::mutex mu;
  std::vector<std::string> messages;
  std::vector<std::string> reasons;
  ThreadExecutor owner;  // last: destroyed (and drained) before the state its callbacks touch

  WsClientOptions Options(const std::string& url) {
    WsClientOptions o;
    o.url = url;
    o.executor = &owner;
    o.backoff_initial = 20 * kNanosPerMilli;
    o.backoff_max = 200 * kNanosPerMilli;
    o.on_connected = [this](bool reconnect) { ++(reconnect ? reconnected : connected); };
    o.on_message = [this](std::string m) {
      std::lock_guard lock(mu);
      messages.push_back(std::move(m));
    };
    o.on_disconnected = [this](std::string r) {
      std::lock_guard lock(mu);
      reasons.push_back(std::move(r));
      ++disconnected;
    };
    return o;
  }
  size_t Count(const std::string& m) {
    std::lock_guard lock(mu);
    return static_cast<size_t>(std::count(messages.begin(), messages.end(), m));
  }
};

TEST(WsClient, ConnectsSendsReceivesAndReconnectsAfterADrop) {
  Peer peer;
  IoThread io;
  WsProbe probe;
  auto ws = WsClient::Create(io, probe.Options(peer.ws_url() + "/ws/market"));
  ASSERT_TRUE(ws.ok());
  (*ws)->Start();
  ASSERT_TRUE(Eventually([&] { return probe.Count("hello") == 1; }));
  EXPECT_EQ(probe.connected.load(), 1);
  EXPECT_TRUE((*ws)->Send("echo"));
  ASSERT_TRUE(Eventually([&] { return probe.Count("echo:echo") == 1; }));
  for (int i = 0; i < 3; ++i) {
    peer.DropAll();
    ASSERT_TRUE(Eventually(
        [&] { return probe.reconnected.load() == i + 1 && probe.Count("hello") == static_cast<size_t>(i + 2); }));
  }
  EXPECT_EQ(probe.disconnected.load(), 3);
  EXPECT_EQ((*ws)->stats().connects, 4u);
}

TEST(WsClient, DisconnectMidFrameIsDetectedAndRecovered) {
  Peer peer;
  IoThread io;
  WsProbe probe;
  auto ws = WsClient::Create(io, probe.Options(peer.ws_url() + "/ws/user"));
  (*ws)->Start();
  ASSERT_TRUE(Eventually([&] { return probe.connected.load() == 1; }));
  {
    std::lock_guard lock(peer.mu);
    peer.sessions.back()->DropMidFrame();
  }
  ASSERT_TRUE(Eventually([&] { return probe.reconnected.load() == 1; }));
  EXPECT_EQ(probe.Count("partial..."), 0u);  // the half frame was never delivered
}

TEST(WsClient, OversizedFramesDisconnectAndAreCounted) {
  Peer peer;
  IoThread io;
  WsProbe probe;
  auto options = probe.Options(peer.ws_url() + "/ws/market");
  options.max_message_bytes = 1024;
  auto ws = WsClient::Create(io, options);
  (*ws)->Start();
  ASSERT_TRUE(Eventually([&] { return probe.connected.load() == 1; }));
  (*ws)->Send("big");
  ASSERT_TRUE(Eventually([&] { return (*ws)->stats().oversized == 1 && probe.reconnected.load() >= 1; }));
}

TEST(WsClient, TextPingKeepaliveAndDeadConnectionTimer) {
  {
    Peer peer;  // answers PING with PONG
    IoThread io;
    WsProbe probe;
    auto options = probe.Options(peer.ws_url() + "/ws/market");
    options.ping_interval = 50 * kNanosPerMilli;
    options.dead_after = 3 * kNanosPerSecond;  // generous: a loaded CI machine must not look dead
    options.ping_before_first_message = true;  // this peer takes pings at any time
    auto ws = WsClient::Create(io, options);
    (*ws)->Start();
    ASSERT_TRUE(Eventually([&] { return probe.Count("PONG") >= 3; }));
    EXPECT_EQ((*ws)->stats().dead_timeouts, 0u);
  }
  {
    Peer silent(false, 60 * kNanosPerSecond, /*answer_ping=*/false);
    IoThread io;
    WsProbe probe;
    auto options = probe.Options(silent.ws_url() + "/ws/market");
    options.ping_interval = 50 * kNanosPerMilli;
    options.dead_after = 300 * kNanosPerMilli;
    auto ws = WsClient::Create(io, options);
    (*ws)->Start();
    ASSERT_TRUE(Eventually([&] { return (*ws)->stats().dead_timeouts >= 1 && probe.reconnected.load() >= 1; }));
  }
}

// Polymarket closes a socket that pings before its subscription (1008): by default no PING goes
// out until the owner's first message has.
TEST(WsClient, NoPingBeforeTheFirstMessage) {
  Peer peer;  // answers PING with PONG
  IoThread io;
  WsProbe probe;
  auto options = probe.Options(peer.ws_url() + "/ws/market");
  options.ping_interval = 50 * kNanosPerMilli;
  options.dead_after = 3 * kNanosPerSecond;
  auto ws = WsClient::Create(io, options);
  (*ws)->Start();
  ASSERT_TRUE(Eventually([&] { return (*ws)->stats().pings_held >= 3; }));
  EXPECT_EQ((*ws)->stats().pings, 0u);
  EXPECT_EQ(probe.Count("PONG"), 0u);
  ASSERT_TRUE((*ws)->Send(R"({"assets_ids":["1"],"type":"market"})"));
  ASSERT_TRUE(Eventually([&] { return probe.Count("PONG") >= 2; }));
  EXPECT_GE((*ws)->stats().pings, 2u);
}

TEST(WsClient, KeepsRetryingWhileTheServerIsDown) {
  IoThread io;
  WsProbe probe;
  auto ws = WsClient::Create(io, probe.Options("ws://127.0.0.1:1/ws/market"));
  (*ws)->Start();
  ASSERT_TRUE(Eventually([&] { return probe.disconnected.load() >= 3; }));
  EXPECT_EQ(probe.connected.load(), 0);
  EXPECT_FALSE((*ws)->Send("x"));
  (*ws)->Stop();
}

// A peer that accepts TCP and never answers the websocket handshake: Stop() must end the
// connection attempt itself, so that nothing of it outlives the IO thread (a websocket stream
// destroyed after its io_context crashed services on SIGTERM when the exchange vanished).
TEST(WsClient, StopDuringAHandshakeLeavesNothingForTheIoThreadsTeardown) {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(listener, 64), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string url = "ws://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/ws/market";
  for (int i = 0; i < 20; ++i) {
    auto io = std::make_unique<IoThread>();
    WsProbe probe;
    WsClientOptions options = probe.Options(url);
    options.connect_timeout = 30 * kNanosPerSecond;  // the handshake would wait this long
    auto ws = WsClient::Create(*io, options);
    ASSERT_TRUE(ws.ok());
    (*ws)->Start();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // connected at TCP, handshaking
    (*ws)->Stop();
    // When Stop() returns, the attempt is over: the peer reads the upgrade request, then EOF. On a
    // loaded machine the connect may not have started within the 20 ms: then nothing can arrive
    // (a bounded wait, never a blocking accept).
    pollfd lfd{.fd = listener, .events = POLLIN, .revents = 0};
    if (poll(&lfd, 1, 1000) <= 0) {
      ws->reset();
      io.reset();
      EXPECT_EQ(probe.connected.load(), 0);
      continue;
    }
    const int peer = accept(listener, nullptr, nullptr);
    ASSERT_GE(peer, 0);
    bool closed = false;
    for (int waited = 0; waited < 2000 && !closed; waited += 10) {
      pollfd pfd{.fd = peer, .events = POLLIN, .revents = 0};
      if (poll(&pfd, 1, 10) <= 0) continue;
      char buf[4096];
      closed = recv(peer, buf, sizeof(buf), 0) <= 0;
    }
    close(peer);
    EXPECT_TRUE(closed) << "the handshaking connection outlived Stop()";
    ws->reset();
    io.reset();
    EXPECT_EQ(probe.connected.load(), 0);
  }
  close(listener);
}

TEST(WsClientTls, WssWithTheTestCa) {
  Peer peer(/*tls=*/true);
  IoThread io;
  WsProbe probe;
  auto options = probe.Options(peer.ws_url() + "/ws/market");
  options.tls.ca_pem = Certs().ca_pem;
  auto ws = WsClient::Create(io, options);
  ASSERT_TRUE(ws.ok()) << ws.status();
  (*ws)->Start();
  ASSERT_TRUE(Eventually([&] { return probe.Count("hello") == 1; }));
  EXPECT_FALSE(WsClient::Create(io, {.url = "ws://example.com/ws", .executor = &probe.owner}).ok());
}

}  // namespace
}  // namespace clobmaker::net
