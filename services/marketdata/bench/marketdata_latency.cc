// Websocket frame in -> NATS publish out, through the real marketdata binary on loopback.
//
// A fake exchange (HTTP + /ws/market on a loopback port) serves the metadata API, GET /book and the
// market channel; a real nats-server carries what marketdata publishes. Frames are sent paced (no
// queueing), each changing one level to a size that encodes its sequence number, and the Book that
// carries it is matched on arrival. Two figures:
//   in process : the Book's header publish_ts - receive_ts (marketdata's own clock: decode, checks,
//                coalescing, serialization, the publish call);
//   end to end : frame handed to the server's socket -> Book received by a NATS subscriber here
//                (adds the websocket hop, the NATS hop and a thread hop on each side).
//
//   build/bench/marketdata_latency [--frames N] [--interval-us U] [--markets M]
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "clobmaker/marketdata/v1/marketdata.pb.h"
#include "common/core/clock.h"
#include "common/core/executor.h"
#include "common/nats/nats.h"
#include "common/net/http.h"
#include "common/net/http_server.h"
#include "common/net/io_thread.h"
#include "common/testing/child_process.h"
#include "common/testing/nats_server.h"

namespace clobmaker {
namespace {

struct Args {
  int frames = 20'000;
  int interval_us = 500;
  int markets = 10;
};

std::string Token(int market, int outcome) { return fmt::format("{}{:070}", market * 2 + outcome + 10, 7); }

std::string Condition(int market) { return fmt::format("0x{:064x}", market + 1); }

std::string BookJson(const std::string& token, int market, bool rest) {
  std::string bids, asks;
  for (int l = 0; l < 10; ++l) {
    bids += fmt::format(R"({}{{"price":"0.{:02}","size":"100"}})", l ? "," : "", 45 - l);
    asks += fmt::format(R"({}{{"price":"0.{:02}","size":"100"}})", l ? "," : "", 55 + l);
  }
  return fmt::format(R"({{{}"asset_id":"{}","market":"{}","timestamp":"1000","hash":"","bids":[{}],"asks":[{}]{}}})",
                     rest ? "" : R"("event_type":"book",)", token, Condition(market), bids, asks,
                     rest ? R"(,"tick_size":"0.01","min_order_size":"5","neg_risk":false)" : "");
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

int Run(const Args& args) {
  testing::NatsServer nats_server;
  if (auto st = nats_server.Start(); !st.ok()) {
    std::fprintf(stderr, "nats-server: %s\n", std::string(st.message()).c_str());
    return 1;
  }
  net::IoThread io;
  std::mutex mu;
  std::shared_ptr<net::WsSession> session;
  net::HttpServerOptions options;
  options.on_request = [&](const net::HttpRequest& r, std::function<void(net::HttpResponse)> respond) {
    net::HttpResponse resp;
    resp.status = 200;
    resp.headers = {{"Content-Type", "application/json"}};
    if (r.target.rfind("/gamma/markets", 0) == 0) {
      std::string body = "[";
      for (int m = 0; m < args.markets; ++m) {
        body += fmt::format(
            R"({}{{"conditionId":"{}","slug":"bench-{}","clobTokenIds":"[\"{}\", \"{}\"]","orderPriceMinTickSize":0.01,)"
            R"("orderMinSize":5,"negRisk":false,"active":true,"closed":false,"acceptingOrders":true,)"
            R"("endDate":"2030-01-01T00:00:00Z"}})",
            m ? "," : "", Condition(m), m, Token(m, 0), Token(m, 1));
      }
      resp.body = body + "]";
    } else if (r.target.rfind("/book", 0) == 0) {
      const std::string token = r.target.substr(r.target.find("token_id=") + 9);
      resp.body = BookJson(token, 0, true);
    } else {
      resp.status = 404;
      resp.body = R"({"error":"not found"})";
    }
    respond(std::move(resp));
  };
  options.accept_websocket = [](const std::string& path) { return path.rfind("/ws/market", 0) == 0; };
  options.on_ws_open = [&](std::shared_ptr<net::WsSession> s) {
    std::lock_guard lock(mu);
    session = s;
  };
  options.on_ws_message = [&](std::shared_ptr<net::WsSession> s, std::string message) {
    if (message == "PING") return;
    // Any subscription: a dump of every book asked for.
    std::string dump = "[";
    for (int m = 0; m < args.markets; ++m) {
      for (int o = 0; o < 2; ++o) {
        if (message.find(Token(m, o)) == std::string::npos) continue;
        dump += (dump.size() > 1 ? "," : "") + BookJson(Token(m, o), m, false);
      }
    }
    s->Send(dump + "]");
  };
  auto server = net::HttpServer::Start(io, options);
  if (!server.ok()) {
    std::fprintf(stderr, "server: %s\n", std::string(server.status().message()).c_str());
    return 1;
  }

  // What arrives on NATS: first arrival of each sequence number.
  const Clock& clock = SystemClock::Instance();
  std::vector<Nanos> sent(static_cast<size_t>(args.frames), 0);
  std::vector<double> in_process, end_to_end;
  std::atomic<int> received{0};
  ThreadExecutor loop;
  auto conn = nats::Connection::Connect({.url = nats_server.url(), .name = "bench", .executor = &loop});
  if (!conn.ok()) return 1;
  const std::string marker_token = Token(0, 0);
  std::vector<bool> seen(static_cast<size_t>(args.frames), false);
  auto sub = (*conn)->Subscribe("cm.md.book." + marker_token, [&](nats::Message m) {
    const Nanos now = clock.WallNanos();
    marketdata::v1::Book book;
    if (!book.ParseFromString(m.data)) return;
    for (const auto& level : book.bids()) {
      if (level.price_units() != 4000) continue;
      const int64_t seq = level.size_micros() / 1'000'000 - 1;
      if (seq < 0 || seq >= args.frames || seen[static_cast<size_t>(seq)]) return;
      seen[static_cast<size_t>(seq)] = true;
      std::lock_guard lock(mu);
      in_process.push_back(static_cast<double>(book.header().publish_ts_ns() - book.header().receive_ts_ns()) / 1e3);
      end_to_end.push_back(static_cast<double>(now - sent[static_cast<size_t>(seq)]) / 1e3);
      received++;
    }
  });
  if (!sub.ok()) return 1;

  testing::ChildProcess md(testing::BinDir() + "/marketdata",
                           {"--nats", nats_server.url(), "--clob-url", (*server)->base_url(), "--all-markets",
                            "--reference-url", "none", "--admin-listen", "127.0.0.1:0"});
  if (!md.Start().ok() || !md.WaitForLine("admin API on", 30 * kNanosPerSecond).ok()) {
    std::fprintf(stderr, "marketdata did not start:\n%s\n", md.log().c_str());
    return 1;
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));  // subscriptions and dumps
  std::shared_ptr<net::WsSession> ws;
  {
    std::lock_guard lock(mu);
    ws = session;
  }
  if (!ws) {
    std::fprintf(stderr, "marketdata never connected\n");
    return 1;
  }
  // Frames: level 0.40 of the first token (size = sequence + 1 shares), with the complement's
  // mirror, as the exchange sends them.
  for (int seq = 0; seq < args.frames; ++seq) {
    const std::string frame = fmt::format(
        R"({{"event_type":"price_change","market":"{}","timestamp":"{}","price_changes":[)"
        R"({{"asset_id":"{}","price":"0.4","size":"{}","side":"BUY","hash":"","best_bid":"0.45","best_ask":"0.55"}},)"
        R"({{"asset_id":"{}","price":"0.6","size":"{}","side":"SELL","hash":"","best_bid":"0.45","best_ask":"0.55"}}]}})",
        Condition(0), 2000 + seq, Token(0, 0), seq + 1, Token(0, 1), seq + 1);
    const Nanos at = clock.WallNanos();
    sent[static_cast<size_t>(seq)] = at;
    ws->Send(frame);
    // Sleep, not spin: on a 2-core machine a spinning sender would take a core from the path.
    std::this_thread::sleep_for(std::chrono::nanoseconds(args.interval_us * 1000 - (clock.WallNanos() - at)));
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));
  (void)md.Stop(SIGTERM, 10 * kNanosPerSecond);
  std::lock_guard lock(mu);
  const size_t warmup = std::min<size_t>(1000, in_process.size() / 10);
  std::vector<double> ip(in_process.begin() + static_cast<long>(warmup), in_process.end());
  std::vector<double> e2e(end_to_end.begin() + static_cast<long>(warmup), end_to_end.end());
  std::printf("marketdata latency: %d frames sent every %d us, %d books matched (first %zu excluded as warm-up)\n",
              args.frames, args.interval_us, received.load(), warmup);
  std::printf("  frame in -> NATS publish (in process): p50 %.1f us  p99 %.1f us  p99.9 %.1f us\n", Percentile(ip, 0.5),
              Percentile(ip, 0.99), Percentile(ip, 0.999));
  std::printf("  websocket send -> NATS subscriber    : p50 %.1f us  p99 %.1f us  p99.9 %.1f us\n",
              Percentile(e2e, 0.5), Percentile(e2e, 0.99), Percentile(e2e, 0.999));
  return received.load() > args.frames / 2 ? 0 : 1;
}

}  // namespace
}  // namespace clobmaker

int main(int argc, char** argv) {
  clobmaker::Args args;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--frames") == 0) args.frames = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--interval-us") == 0) args.interval_us = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--markets") == 0) args.markets = std::atoi(argv[i + 1]);
  }
  return clobmaker::Run(args);
}
