// Tick to trade through the real stack on loopback, side by side with the floor of its topology.
//
// Stack: the simulator (in this process, so that it can stamp what it sends and receives) with
// its background maker ladder and one extra maker account; nats-server; the real marketdata,
// userstream, positions, execution and strategy binaries. A "tick" is one book change at the
// simulator: the extra maker's bid two ticks above the best bid appears or goes away, so the mid
// moves by one tick; strategy's quotes (fair value = mid, one level a side, 12 ticks away, so they
// never set the mid themselves) move one tick, so execution cancels the old quotes and posts new
// ones. Measured at the simulator: the book change's
// frame going out -> the first cancel arriving, and -> the signed POST of the new quote arriving.
//
// Floor: the same shape with no work: a websocket frame from a loopback server -> relay -> NATS
// -> relay -> NATS -> relay -> HTTP POST to the same server (clobmaker-relay, same libraries and
// settings). Also with one HTTP round trip before the POST: the shape of cancel-then-replace.
//
// Markets sweep (--sweep): the stack with N markets, each ticking every --sweep-interval-ms; the
// tick -> POST p99 at each N, and the N at which it has doubled from N = 1.
//
//   build/bench/tick_to_trade [--updates N] [--interval-us U] [--sweep] [--sweep-seconds S]
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "clobmaker/marketdata/v1/marketdata.pb.h"
#include "common/core/clock.h"
#include "common/core/executor.h"
#include "common/core/hex.h"
#include "common/crypto/crypto.h"
#include "common/nats/nats.h"
#include "common/net/http_client.h"
#include "common/net/http_server.h"
#include "common/net/io_thread.h"
#include "common/testing/child_process.h"
#include "common/testing/nats_server.h"
#include "services/simexchange/server/sim_server.h"

namespace clobmaker {
namespace {

using testing::ChildProcess;

struct Args {
  int updates = 10'000;
  int warmup = 300;
  int interval_us = 4'000;  // between ticks (closed loop: never before the previous one's POST)
  bool sweep = false;
  int sweep_seconds = 12;
  int sweep_interval_ms = 100;  // per market
  std::vector<int> sweep_markets = {1, 2, 4, 8, 16, 32, 64};
};

const Clock& Wall() { return SystemClock::Instance(); }

double Pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

std::string Line(const std::vector<double>& us) {
  return fmt::format("p50 {:7.1f} us  p90 {:7.1f} us  p99 {:7.1f} us  p99.9 {:7.1f} us  (n={})", Pct(us, 0.5),
                     Pct(us, 0.9), Pct(us, 0.99), Pct(us, 0.999), us.size());
}

void SleepUntil(Nanos at) {
  const Nanos now = Wall().WallNanos();
  if (at > now) std::this_thread::sleep_for(std::chrono::nanoseconds(at - now));
}

// --- the floor -----------------------------------------------------------------------------------

std::vector<double> RunFloor(const testing::NatsServer& nats, const Args& args, int round_trips) {
  net::IoThread io;
  std::mutex mu;
  std::condition_variable cv;
  std::shared_ptr<net::WsSession> session;
  std::map<int, Nanos> arrived;
  net::HttpServerOptions options;
  options.on_request = [&](const net::HttpRequest& r, std::function<void(net::HttpResponse)> respond) {
    const Nanos now = Wall().WallNanos();
    if (r.method == "POST") {
      std::lock_guard lock(mu);
      arrived[std::atoi(r.body.c_str() + 4)] = now;  // "seq N"
      cv.notify_all();
    }
    respond({.status = 200, .headers = {{"Content-Type", "application/json"}}, .body = "{}"});
  };
  options.accept_websocket = [](const std::string&) { return true; };
  options.on_ws_open = [&](std::shared_ptr<net::WsSession> s) {
    std::lock_guard lock(mu);
    session = std::move(s);
    cv.notify_all();
  };
  auto server = net::HttpServer::Start(io, options);
  if (!server.ok()) return {};
  const std::string tag = std::to_string(round_trips);
  std::vector<std::unique_ptr<ChildProcess>> relays;
  const std::string relay = testing::BinDir() + "/../bench/clobmaker-relay";
  relays.push_back(std::make_unique<ChildProcess>(
      relay, std::vector<std::string>{"--nats", nats.url(), "--in", "floor.b" + tag, "--post-url",
                                      (*server)->base_url(), "--round-trips", std::to_string(round_trips)}));
  relays.push_back(std::make_unique<ChildProcess>(
      relay, std::vector<std::string>{"--nats", nats.url(), "--in", "floor.a" + tag, "--out", "floor.b" + tag}));
  relays.push_back(std::make_unique<ChildProcess>(
      relay, std::vector<std::string>{"--nats", nats.url(), "--ws-url", (*server)->ws_url() + "/ws/market", "--out",
                                      "floor.a" + tag}));
  for (auto& r : relays) {
    if (!r->Start().ok() || !r->WaitForLine("relay ready", 10 * kNanosPerSecond).ok()) {
      std::fprintf(stderr, "relay did not start:\n%s\n", r->log().c_str());
      return {};
    }
  }
  std::fprintf(stderr, "floor: relays ready\n");
  std::unique_lock lock(mu);
  cv.wait_for(lock, std::chrono::seconds(5), [&] { return session != nullptr; });
  auto ws = session;
  lock.unlock();
  std::vector<double> us;
  for (int i = 0; i < args.warmup + args.updates && ws; ++i) {
    const Nanos t0 = Wall().WallNanos();
    ws->Send(fmt::format("seq {}", i));
    lock.lock();
    const bool got = cv.wait_for(lock, std::chrono::milliseconds(500), [&] { return arrived.contains(i); });
    if (got && i >= args.warmup) us.push_back(static_cast<double>(arrived[i] - t0) / 1e3);
    lock.unlock();
    SleepUntil(t0 + args.interval_us * kNanosPerMicro);
  }
  for (auto& r : relays) (void)r->Stop(SIGTERM, 5 * kNanosPerSecond);
  return us;
}

// --- the stack -----------------------------------------------------------------------------------

constexpr std::string_view kMakerAddress = "0x00000000000000000000000000000000000b0b01";
constexpr std::string_view kMakerKey = "bench-maker";

std::string RandomKeyHex() {
  std::random_device rd;
  for (;;) {
    std::array<uint8_t, 32> b{};
    for (auto& x : b) x = static_cast<uint8_t>(rd());
    std::string hex = HexEncode(b, /*prefix=*/false);
    if (crypto::PrivateKey::FromHex(hex).ok()) return hex;
  }
}

class Stack {
 public:
  struct Tick {
    bool active = false;
    Nanos t0 = 0, cancel = 0, post = 0;
  };

  bool Start(const testing::NatsServer& nats, int markets) {
    dir_ = std::filesystem::temp_directory_path() / fmt::format("clobmaker-t2t-{}-{}", getpid(), markets);
    std::filesystem::create_directories(dir_);
    simexchange::SimServerOptions o;
    o.seed = 5;
    o.flow = false;  // the maker below is the market
    // The hot path, not the limiter: the top tier (execution learns it) and no per-IP windows.
    o.rate_limits.default_tier = polymarket::RateTier::kElite;
    o.ip_limits.enabled = false;
    o.markets = simexchange::DefaultMarkets(o.seed, markets, Wall().WallNanos() / kNanosPerSecond);
    o.observe_request = [this](const net::HttpRequest& r, Nanos now) { Observe(r, now); };
    for (size_t m = 0; m < o.markets.size(); ++m) token_market_[o.markets[m].yes_token] = static_cast<int>(m);
    for (size_t m = 0; m < o.markets.size(); ++m) token_market_[o.markets[m].no_token] = static_cast<int>(m);
    markets_ = o.markets;
    ticks_.assign(o.markets.size(), {});
    extra_bid_.assign(o.markets.size(), "");
    auto sim = simexchange::SimServer::Start(o);
    if (!sim.ok()) return false;
    sim_ = std::move(*sim);
    sim_->Mutate([&](simexchange::Exchange& ex, Nanos now) {
      ex.OpenAccount(std::string(kMakerAddress), std::string(kMakerKey));
      (void)now;
      ex.Credit(std::string(kMakerAddress), 1'000'000 * model::kQuantityOne);
    });
    // The tick: a bid two ticks above the best bid (the simulator's own maker ladder sets the top).
    for (const auto& m : markets_) {
      polymarket::BookEvent book;
      for (int i = 0; i < 100 && (book.bids.empty() || book.asks.empty()); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        book = sim_->Book(m.yes_token);
      }
      int64_t best_bid = 0, best_ask = model::kPriceOne;
      for (const auto& l : book.bids) best_bid = std::max(best_bid, l.price.units());
      for (const auto& l : book.asks) best_ask = std::min(best_ask, l.price.units());
      const int64_t tick = m.tick.units();
      if (best_bid + 2 * tick >= best_ask) {
        std::fprintf(stderr, "the book's spread is too narrow for the tick (%lld / %lld)\n",
                     static_cast<long long>(best_bid), static_cast<long long>(best_ask));
        return false;
      }
      toggle_price_.push_back(best_bid + 2 * tick);
    }
    const std::string key_hex = RandomKeyHex();
    key_file_ = (dir_ / "wallet.key").string();
    {
      std::ofstream out(key_file_);
      out << key_hex << "\n";
    }
    chmod(key_file_.c_str(), 0600);
    address_ = crypto::PrivateKey::FromHex(key_hex)->address().ToLower();
    const std::string config = (dir_ / "strategy.yaml").string();
    {
      std::ofstream out(config);
      out << "all_markets: true\ndefaults:\n  half_spread_ticks: 12\n  min_edge_ticks: 0\n  levels: 1\n"
             "  size_per_level_micros: 10000000\n  reward_band: false\n  fair_value_source: mid\n";
    }
    const std::vector<std::string> common = {"--nats",         nats.url(),       "--clob-url",
                                             sim_->base_url(), "--admin-listen", "127.0.0.1:0"};
    auto start = [&](const std::string& name, std::vector<std::string> extra, bool key) {
      std::vector<std::string> args = common;
      if (key) args.insert(args.end(), {"--key-file", key_file_});
      args.insert(args.end(), extra.begin(), extra.end());
      auto p = std::make_unique<ChildProcess>(testing::BinDir() + "/" + name, args);
      if (!p->Start().ok() || !p->WaitForLine("admin API on", 60 * kNanosPerSecond).ok()) {
        std::fprintf(stderr, "%s did not start:\n%s\n", name.c_str(), p->log().c_str());
        return false;
      }
      std::fprintf(stderr, "stack: %s up\n", name.c_str());
      services_.push_back(std::move(p));
      return true;
    };
    if (!start("marketdata", {"--all-markets"}, false) || !start("userstream", {}, true) ||
        !start("positions", {"--no-merge"}, true) ||
        !start("execution", {"--instance", "bench", "--post-rate", "20000", "--metrics-listen", "127.0.0.1:0"}, true) ||
        !start("strategy", {"--config", config}, true)) {
      return false;
    }
    if (std::getenv("T2T_TRACE")) {
      auto conn = nats::Connection::Connect({.url = nats.url(), .name = "trace", .executor = &trace_loop_});
      if (conn.ok()) {
        trace_conn_ = std::move(*conn);
        for (const char* subject : {"cm.md.book.>", "cm.strategy.>", "cm.md.status"}) {
          auto sub = trace_conn_->Subscribe(subject, [](nats::Message m) {
            marketdata::v1::Book b;
            std::string top;
            if (m.subject.rfind("cm.md.book.", 0) == 0 && b.ParseFromString(m.data)) {
              for (const auto& l : b.bids()) top += fmt::format(" b{}", l.price_units());
              for (const auto& l : b.asks()) top += fmt::format(" a{}", l.price_units());
              top += b.resyncing() ? " RESYNC" : "";
            }
            std::fprintf(stderr, "nats %.30s %zu bytes at %lld%s\n", m.subject.c_str(), m.data.size(),
                         static_cast<long long>(Wall().WallNanos() / 1000 % 100'000'000), top.c_str());
          });
          if (sub.ok()) trace_subs_.push_back(std::move(*sub));
        }
      }
    }
    // Quotes live: one bid and one ask per market.
    for (int i = 0; i < 600; ++i) {
      if (sim_->OpenOrders(address_).size() >= 2 * markets_.size()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::fprintf(stderr, "quotes never went live (%zu of %zu)\n", sim_->OpenOrders(address_).size(),
                 2 * markets_.size());
    return false;
  }

  ~Stack() {
    for (auto it = services_.rbegin(); it != services_.rend(); ++it) (void)(*it)->Stop(SIGTERM, 15 * kNanosPerSecond);
    services_.clear();
    sim_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  int markets() const { return static_cast<int>(markets_.size()); }

  // Execution's own view of the same ticks (its /metrics): mean HTTP round trips and tick -> POST.
  std::string ExecutionView() {
    ChildProcess* exec = nullptr;
    for (auto& p : services_) {
      if (p->log().find("execution: metrics on http://") != std::string::npos) exec = p.get();
    }
    if (exec == nullptr) return "no execution metrics";
    const std::string log = exec->log();
    const size_t at = log.find("execution: metrics on http://") + 29;
    const std::string address = log.substr(at, log.find_first_of("/ \n", at) - at);
    net::IoThread io;
    auto client = net::HttpClient::Create(io, {.base_url = "http://" + address});
    if (!client.ok()) return "no execution metrics";
    net::HttpRequest req;
    req.target = "/metrics";
    const net::HttpResult r = (*client)->SendSync(req, 2 * kNanosPerSecond);
    if (!r.response) return "no execution metrics";
    std::map<std::string, double> v;
    std::istringstream in(r.response->body);
    for (std::string line; std::getline(in, line);) {
      const size_t sp = line.rfind(' ');
      if (line.empty() || line[0] == '#' || sp == std::string::npos) continue;
      v[line.substr(0, sp)] = std::atof(line.c_str() + sp + 1);
    }
    auto mean_us = [&](const std::string& name, const std::string& labels = {}) {
      const double n = v[name + "_count" + labels];
      return n > 0 ? v[name + "_sum" + labels] / n * 1e6 : 0.0;
    };
    return fmt::format(
        "execution's view (means): cancel -> answer {:.0f} us, cancel answer -> replacement POST sent {:.0f} us, "
        "post -> answer {:.0f} us, market event at marketdata -> POST sent {:.0f} us",
        mean_us("clobmaker_execution_http_seconds", "{endpoint=\"cancel\"}"),
        mean_us("clobmaker_execution_cancel_answer_to_post_seconds"),
        mean_us("clobmaker_execution_http_seconds", "{endpoint=\"post\"}"), mean_us("clobmaker_tick_to_trade_seconds"));
  }

  // One book change in market m: the extra maker's bid two ticks above the best bid appears or goes away.
  void TickMarket(int m) {
    if (std::getenv("T2T_TRACE"))
      std::fprintf(stderr, "tick %d at %lld\n", m, static_cast<long long>(Wall().WallNanos() / 1000 % 100'000'000));
    sim_->Mutate([&](simexchange::Exchange& ex, Nanos now) {
      const auto& market = markets_[static_cast<size_t>(m)];
      std::string& extra = extra_bid_[static_cast<size_t>(m)];
      {
        std::lock_guard lock(mu_);
        ticks_[static_cast<size_t>(m)] = {.active = true, .t0 = now};
      }
      if (extra.empty()) {
        extra = Place(ex, market.yes_token, model::Side::kBuy, toggle_price_[static_cast<size_t>(m)], now);
      } else {
        (void)ex.Cancel(std::string(kMakerKey), {extra}, now);
        extra.clear();
      }
    });
  }

  // Waits for market m's POST (or the deadline); returns the finished tick, active = false.
  Tick Wait(int m, Nanos deadline) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::nanoseconds(std::max<Nanos>(deadline - Wall().WallNanos(), 0)),
                 [&] { return ticks_[static_cast<size_t>(m)].post != 0; });
    Tick t = ticks_[static_cast<size_t>(m)];
    ticks_[static_cast<size_t>(m)].active = false;
    return t;
  }

  // Non-blocking: market m's tick if it has its POST.
  std::optional<Tick> Poll(int m) {
    std::lock_guard lock(mu_);
    Tick& t = ticks_[static_cast<size_t>(m)];
    if (!t.active || t.post == 0) return std::nullopt;
    t.active = false;
    return t;
  }

 private:
  std::string Place(simexchange::Exchange& ex, const std::string& token, model::Side side, int64_t price, Nanos now) {
    std::array<uint8_t, 32> id{};
    const uint64_t n = ++next_order_;
    for (int i = 0; i < 8; ++i) id[31 - i] = static_cast<uint8_t>(n >> (8 * i));
    id[0] = 0xbe;
    simexchange::NewOrder o{.id = model::OrderId(id),
                            .owner = std::string(kMakerKey),
                            .maker = std::string(kMakerAddress),
                            .token = token,
                            .side = side,
                            .price = model::Price(price),
                            .size = model::Size::FromWhole(1000)};
    (void)ex.Place(o, now);
    return o.id.ToString();
  }

  // On the simulator's IO thread, for every request.
  void Observe(const net::HttpRequest& r, Nanos now) {
    if (std::getenv("T2T_TRACE"))
      std::fprintf(stderr, "req %s %s %.80s\n", r.method.c_str(), r.target.c_str(), r.body.c_str());
    const bool post = r.method == "POST" && (r.target == "/order" || r.target == "/orders");
    const bool cancel = r.method == "DELETE" && (r.target == "/order" || r.target == "/orders");
    if (!post && !cancel) return;
    std::lock_guard lock(mu_);
    if (cancel) {
      // Cancels carry order ids, not tokens: attributed to every active tick without one.
      for (Tick& t : ticks_) {
        if (t.active && t.cancel == 0) t.cancel = now;
      }
      return;
    }
    static constexpr std::string_view kField = "\"tokenId\":\"";
    for (size_t at = r.body.find(kField); at != std::string::npos; at = r.body.find(kField, at + 1)) {
      const size_t start = at + kField.size();
      auto it = token_market_.find(r.body.substr(start, r.body.find('"', start) - start));
      if (it == token_market_.end()) continue;
      Tick& t = ticks_[static_cast<size_t>(it->second)];
      if (t.active && t.post == 0) t.post = now;
    }
    cv_.notify_all();
  }

  std::filesystem::path dir_;
  std::string key_file_;
  std::string address_;
  std::unique_ptr<simexchange::SimServer> sim_;
  std::vector<std::unique_ptr<ChildProcess>> services_;
  std::vector<simexchange::MarketConfig> markets_;
  std::map<std::string, int> token_market_;
  std::vector<std::string> extra_bid_;
  std::vector<int64_t> toggle_price_;  // per market: two ticks above the best bid (the mid moves a tick)
  uint64_t next_order_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Tick> ticks_;
  ThreadExecutor trace_loop_;
  std::unique_ptr<nats::Connection> trace_conn_;
  std::vector<std::unique_ptr<nats::Subscription>> trace_subs_;
};

struct StackResult {
  std::vector<double> cancel_us, post_us;
  int missed = 0;
};

StackResult RunStackClosedLoop(Stack& stack, const Args& args) {
  StackResult out;
  for (int i = 0; i < args.warmup + args.updates; ++i) {
    const Nanos start = Wall().WallNanos();
    stack.TickMarket(0);
    const Stack::Tick t = stack.Wait(0, start + 500 * kNanosPerMilli);
    if (i >= args.warmup) {
      if (t.post == 0) {
        out.missed++;
      } else {
        out.post_us.push_back(static_cast<double>(t.post - t.t0) / 1e3);
        if (t.cancel != 0) out.cancel_us.push_back(static_cast<double>(t.cancel - t.t0) / 1e3);
      }
    }
    // Let the new quotes rest before the next tick.
    SleepUntil(std::max(start + args.interval_us * kNanosPerMicro, Wall().WallNanos() + 2 * kNanosPerMilli));
  }
  return out;
}

// Every market ticks every `interval`, staggered, each waiting for its own POST.
StackResult RunStackOpenLoop(Stack& stack, Nanos interval, Nanos duration) {
  StackResult out;
  const int n = stack.markets();
  const Nanos begin = Wall().WallNanos();
  std::vector<Nanos> next(static_cast<size_t>(n)), started(static_cast<size_t>(n), 0);
  for (int m = 0; m < n; ++m) next[static_cast<size_t>(m)] = begin + interval * m / n;
  while (Wall().WallNanos() < begin + duration) {
    const Nanos now = Wall().WallNanos();
    for (int m = 0; m < n; ++m) {
      auto um = static_cast<size_t>(m);
      if (started[um] != 0) {
        if (auto t = stack.Poll(m)) {
          out.post_us.push_back(static_cast<double>(t->post - t->t0) / 1e3);
          started[um] = 0;
          next[um] = std::max(next[um] + interval, now);
        } else if (now - started[um] > 500 * kNanosPerMilli) {
          out.missed++;
          (void)stack.Wait(m, 0);  // clears it
          started[um] = 0;
          next[um] = now + interval;
        }
      } else if (now >= next[um]) {
        stack.TickMarket(m);
        started[um] = now;
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return out;
}

int Run(const Args& args) {
  std::signal(SIGPIPE, SIG_IGN);
  testing::NatsServer nats;
  if (auto st = nats.Start(); !st.ok()) {
    std::fprintf(stderr, "nats-server: %s\n", std::string(st.message()).c_str());
    return 1;
  }
  std::printf("tick-to-trade on loopback, %d ticks each after %d warm-up, one every >= %d us\n", args.updates,
              args.warmup, args.interval_us);
  const std::vector<double> floor = RunFloor(nats, args, 1);
  const std::vector<double> floor_rt = RunFloor(nats, args, 2);
  std::printf("  floor: ws -> relay -> NATS -> relay -> NATS -> relay -> POST      : %s\n", Line(floor).c_str());
  std::printf("  floor + one HTTP round trip before the POST (cancel, then post)  : %s\n", Line(floor_rt).c_str());
  StackResult stack_result;
  {
    Stack stack;
    if (!stack.Start(nats, 1)) return 1;
    stack_result = RunStackClosedLoop(stack, args);
    std::printf("  %s\n", stack.ExecutionView().c_str());
  }
  std::printf("  stack: book change at the simulator -> first cancel arrives      : %s\n",
              Line(stack_result.cancel_us).c_str());
  std::printf("  stack: book change at the simulator -> signed POST arrives       : %s  missed=%d\n",
              Line(stack_result.post_us).c_str(), stack_result.missed);
  const double p50_ratio = Pct(stack_result.post_us, 0.5) / std::max(Pct(floor, 0.5), 1.0);
  const double p50_ratio_rt = Pct(stack_result.post_us, 0.5) / std::max(Pct(floor_rt, 0.5), 1.0);
  std::printf(
      "  tick-to-trade p50 / floor p50 = %.2f (goal <= 1.5); / floor-with-round-trip p50 = %.2f; "
      "p99 = %.3f ms (goal < 2 ms)\n",
      p50_ratio, p50_ratio_rt, Pct(stack_result.post_us, 0.99) / 1e3);
  if (!args.sweep) return stack_result.post_us.size() > static_cast<size_t>(args.updates / 2) ? 0 : 1;

  std::printf("markets sweep: every market ticks every %d ms, %d s per step\n", args.sweep_interval_ms,
              args.sweep_seconds);
  double base_p99 = 0;
  int doubled_at = 0;
  for (int n : args.sweep_markets) {
    Stack stack;
    if (!stack.Start(nats, n)) {
      std::printf("  markets=%3d: the stack did not start\n", n);
      break;
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const StackResult r =
        RunStackOpenLoop(stack, args.sweep_interval_ms * kNanosPerMilli, args.sweep_seconds * kNanosPerSecond);
    const double p99 = Pct(r.post_us, 0.99);
    if (base_p99 == 0) base_p99 = p99;
    std::printf("  markets=%3d: tick -> POST %s  missed=%d  p99/p99(1)=%.2f\n", n, Line(r.post_us).c_str(), r.missed,
                base_p99 > 0 ? p99 / base_p99 : 0);
    std::fflush(stdout);
    if (doubled_at == 0 && base_p99 > 0 && p99 >= 2 * base_p99) doubled_at = n;
  }
  if (doubled_at > 0) {
    std::printf("  p99 doubled at markets=%d\n", doubled_at);
  } else {
    std::printf("  p99 did not double up to markets=%d\n", args.sweep_markets.back());
  }
  return 0;
}

}  // namespace
}  // namespace clobmaker

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  clobmaker::Args args;
  for (int i = 1; i < argc; ++i) {
    const bool has_value = i + 1 < argc;
    if (std::strcmp(argv[i], "--updates") == 0 && has_value)
      args.updates = std::atoi(argv[++i]);
    else if (std::strcmp(argv[i], "--warmup") == 0 && has_value)
      args.warmup = std::atoi(argv[++i]);
    else if (std::strcmp(argv[i], "--interval-us") == 0 && has_value)
      args.interval_us = std::atoi(argv[++i]);
    else if (std::strcmp(argv[i], "--sweep") == 0)
      args.sweep = true;
    else if (std::strcmp(argv[i], "--sweep-seconds") == 0 && has_value)
      args.sweep_seconds = std::atoi(argv[++i]);
    else if (std::strcmp(argv[i], "--sweep-interval-ms") == 0 && has_value)
      args.sweep_interval_ms = std::atoi(argv[++i]);
    else {
      std::fprintf(stderr,
                   "usage: tick_to_trade [--updates N] [--warmup N] [--interval-us U] [--sweep] "
                   "[--sweep-seconds S] [--sweep-interval-ms M]\n");
      return 2;
    }
  }
  return clobmaker::Run(args);
}
