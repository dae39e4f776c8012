// Book update in -> desired ladder published, through the real strategy binary and a real
// nats-server on loopback. The tool plays marketdata, positions and execution: it publishes the
// market's metadata, positions, execution's status and a reference price, then Books whose best
// bid alternates so that every one changes the ladder. Each DesiredLadder is matched to its Book
// by book_sequence. Two figures:
//   in process : the ladder header's publish_ts - receive_ts (strategy's clock: parse, gates,
//                quote, serialize, publish);
//   end to end : Book published here -> DesiredLadder received here (two NATS hops).
//
//   build/bench/strategy_latency [--updates N] [--interval-us U]
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "clobmaker/marketdata/v1/marketdata.pb.h"
#include "clobmaker/orders/v1/orders.pb.h"
#include "clobmaker/positions/v1/positions.pb.h"
#include "clobmaker/strategy/v1/strategy.pb.h"
#include "common/bus/subjects.h"
#include "common/core/clock.h"
#include "common/core/executor.h"
#include "common/nats/nats.h"
#include "common/testing/child_process.h"
#include "common/testing/nats_server.h"

namespace clobmaker {
namespace {

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

int Run(int updates, int interval_us) {
  testing::NatsServer server;
  if (!server.Start().ok()) return 1;
  ThreadExecutor loop;
  auto conn = nats::Connection::Connect({.url = server.url(), .name = "bench", .executor = &loop});
  if (!conn.ok()) return 1;
  const Clock& clock = SystemClock::Instance();
  const std::string condition = "0xbench", yes = "111", no = "222";

  std::mutex mu;
  std::vector<Nanos> sent(static_cast<size_t>(updates) + 1, 0);
  std::vector<bool> seen(static_cast<size_t>(updates) + 1, false);
  std::vector<double> in_process, end_to_end;
  auto sub = (*conn)->Subscribe(bus::DesiredSubject(condition), [&](nats::Message m) {
    const Nanos now = clock.WallNanos();
    strategy::v1::DesiredLadder l;
    if (!l.ParseFromString(m.data) || l.orders_size() == 0) return;
    const uint64_t seq = l.book_sequence();
    if (seq == 0 || seq > static_cast<uint64_t>(updates) || seen[seq]) return;
    seen[seq] = true;
    std::lock_guard lock(mu);
    in_process.push_back(static_cast<double>(l.header().publish_ts_ns() - l.header().receive_ts_ns()) / 1e3);
    end_to_end.push_back(static_cast<double>(now - sent[seq]) / 1e3);
  });
  if (!sub.ok()) return 1;

  testing::ChildProcess strat(testing::BinDir() + "/strategy",
                              {"--nats", server.url(), "--all-markets", "--admin-listen", "127.0.0.1:0"});
  if (!strat.Start().ok() || !strat.WaitForLine("admin API on", 30 * kNanosPerSecond).ok()) {
    std::fprintf(stderr, "strategy did not start:\n%s\n", strat.log().c_str());
    return 1;
  }
  std::atomic<bool> stop{false};
  // The slow inputs, refreshed every 200 ms as their services would.
  std::thread context([&] {
    while (!stop) {
      marketdata::v1::MarketInfo info;
      info.mutable_market()->set_condition_id(condition);
      info.mutable_market()->set_slug("bench");
      info.mutable_market()->set_yes_token_id(yes);
      info.mutable_market()->set_no_token_id(no);
      info.set_tick_units(100);
      info.set_min_order_size_micros(5'000'000);
      (void)(*conn)->Publish(bus::MarketInfoSubject(condition), info.SerializeAsString());
      for (const std::string& token : {yes, no}) {
        positions::v1::Position p;
        p.set_token_id(token);
        p.set_provisional_micros(1'000'000'000);
        p.set_settled_micros(1'000'000'000);
        (void)(*conn)->Publish(bus::PositionsSubject(token), p.SerializeAsString());
      }
      orders::v1::ExecutionStatus st;
      st.mutable_service()->set_ready(true);
      (void)(*conn)->Publish(bus::ExecutionStatusSubject("default"), st.SerializeAsString());
      marketdata::v1::ReferencePrice ref;
      ref.set_symbol("bench");
      ref.set_price_nanos(500'000'000);
      ref.mutable_header()->set_receive_ts_ns(clock.WallNanos());
      (void)(*conn)->Publish(bus::ReferenceSubject("bench"), ref.SerializeAsString());
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
  std::this_thread::sleep_for(std::chrono::seconds(1));
  for (int i = 1; i <= updates; ++i) {
    marketdata::v1::Book book;
    book.set_token_id(yes);
    book.set_condition_id(condition);
    book.set_tick_units(100);
    book.set_book_sequence(static_cast<uint64_t>(i));
    // Best bid 0.51 / 0.52 alternately: the first ask (>= best bid + 1 tick) moves every time.
    for (int l = 0; l < 10; ++l) {
      auto* b = book.add_bids();
      b->set_price_units((i % 2 ? 5100 : 5200) - 100 * l);
      b->set_size_micros(100'000'000);
      auto* a = book.add_asks();
      a->set_price_units(5400 + 100 * l);
      a->set_size_micros(100'000'000);
    }
    const Nanos at = clock.WallNanos();
    book.mutable_header()->set_receive_ts_ns(at);
    sent[static_cast<size_t>(i)] = at;
    (void)(*conn)->Publish(bus::BookSubject(yes), book.SerializeAsString());
    std::this_thread::sleep_for(std::chrono::nanoseconds(interval_us * 1000 - (clock.WallNanos() - at)));
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));
  stop = true;
  context.join();
  (void)strat.Stop(SIGTERM, 10 * kNanosPerSecond);
  std::lock_guard lock(mu);
  const size_t warmup = std::min<size_t>(1000, in_process.size() / 10);
  std::vector<double> ip(in_process.begin() + static_cast<long>(warmup), in_process.end());
  std::vector<double> e2e(end_to_end.begin() + static_cast<long>(warmup), end_to_end.end());
  std::printf("strategy latency: %d books every %d us, %zu ladders matched (first %zu excluded as warm-up)\n", updates,
              interval_us, in_process.size(), warmup);
  std::printf("  book in -> ladder published (in process): p50 %.1f us  p99 %.1f us  p99.9 %.1f us\n",
              Percentile(ip, 0.5), Percentile(ip, 0.99), Percentile(ip, 0.999));
  std::printf("  book published -> ladder received        : p50 %.1f us  p99 %.1f us  p99.9 %.1f us\n",
              Percentile(e2e, 0.5), Percentile(e2e, 0.99), Percentile(e2e, 0.999));
  return in_process.size() > static_cast<size_t>(updates) / 2 ? 0 : 1;
}

}  // namespace
}  // namespace clobmaker

int main(int argc, char** argv) {
  int updates = 20'000, interval_us = 500;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--updates") == 0) updates = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--interval-us") == 0) interval_us = std::atoi(argv[i + 1]);
  }
  return clobmaker::Run(updates, interval_us);
}
