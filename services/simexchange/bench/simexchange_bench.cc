// Orders per second the exchange core matches, and the REST front serves on loopback.
#include <benchmark/benchmark.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "common/net/http_client.h"
#include "common/signing/auth.h"
#include "common/signing/order.h"
#include "services/simexchange/core/exchange.h"
#include "services/simexchange/server/sim_server.h"

namespace clobmaker::simexchange {
namespace {

model::OrderId Id(uint64_t n) {
  std::array<uint8_t, 32> b{};
  for (int i = 0; i < 8; ++i) b[31 - i] = static_cast<uint8_t>(n >> (8 * i));
  return model::OrderId(b);
}

// A mixed flow around 0.50: resting orders and crossing orders on both tokens (mints, merges).
void BM_CoreMatching(benchmark::State& state) {
  Exchange ex{ExchangeConfig{.seed = 1}};
  ex.AddMarket({.condition_id = "0xm", .yes_token = "YES", .no_token = "NO"});
  for (int k = 0; k < 8; ++k) {
    const std::string who = "k" + std::to_string(k);
    ex.OpenAccount("0x" + who, who);
    ex.Credit("0x" + who, 1'000'000'000 * model::kQuantityOne, "YES", 1'000'000'000 * model::kQuantityOne);
    ex.Credit("0x" + who, 0, "NO", 1'000'000'000 * model::kQuantityOne);
  }
  Rng rng(7);
  uint64_t n = 0;
  uint64_t trades_before = 0;
  Nanos now = 1'780'000'000LL * kNanosPerSecond;
  for (auto _ : state) {
    const std::string who = "k" + std::to_string(rng.Below(8));
    const bool yes = rng.Chance(0.5);
    const Side side = rng.Chance(0.5) ? Side::kBuy : Side::kSell;
    NewOrder o{.id = Id(++n),
               .owner = who,
               .maker = "0x" + who,
               .token = yes ? "YES" : "NO",
               .side = side,
               .price = Price(100 * rng.Between(45, 55)),
               .size = Size::FromWhole(rng.Between(5, 50))};
    benchmark::DoNotOptimize(ex.Place(o, now));
    now += kNanosPerMicro;
    if ((n & 1023) == 0) {
      (void)ex.TakeEvents();
      ex.CancelAll(who, now);
    }
  }
  state.counters["orders_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["trades"] = static_cast<double>(ex.trades_count() - trades_before);
}
BENCHMARK(BM_CoreMatching);

// POST /order through the whole front end (HTTP, L2 check, signature recovery, matching),
// `outstanding` requests in flight on keep-alive connections.
void BM_RestFront(benchmark::State& state) {
  const int outstanding = static_cast<int>(state.range(0));
  auto server = SimServer::Start({.seed = 3,
                                  .starting_collateral = 1'000'000'000LL * model::kQuantityOne,
                                  .flow = false,
                                  // The front end's own throughput: no rate limiter in front of it.
                                  .rate_limits = {.enabled = false},
                                  .ip_limits = {.enabled = false}});
  auto key =
      std::move(*crypto::PrivateKey::FromHex("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"));
  const MarketConfig market = (*server)->Markets().at(0);
  net::IoThread io;
  auto http = std::move(*net::HttpClient::Create(io, {.base_url = (*server)->base_url(), .max_idle_connections = 16}));
  // An API key through L1.
  const auto l1 = signing::MakeL1Headers(key, 137, SystemClock::Instance().WallSeconds());
  auto creds_response = http->SendSync({.method = "GET",
                                        .target = "/auth/derive-api-key",
                                        .headers = {{"POLY_ADDRESS", l1.address},
                                                    {"POLY_SIGNATURE", l1.signature},
                                                    {"POLY_TIMESTAMP", l1.timestamp},
                                                    {"POLY_NONCE", l1.nonce}}},
                                       5 * kNanosPerSecond);
  const std::string& body = creds_response.response->body;
  const auto field = [&](const std::string& name) {
    const size_t at = body.find("\"" + name + "\":\"") + name.size() + 4;
    return body.substr(at, body.find('"', at) - at);
  };
  const signing::ApiCredentials creds(field("apiKey"), field("secret"), field("passphrase"));
  const auto contracts = *signing::ContractsForChain(137);
  const auto domain =
      signing::HashDomain({.version = signing::OrderVersion::kV2, .chain_id = 137, .exchange = contracts.exchange_v2});
  uint64_t salt = 1;
  const auto make_request = [&]() {
    signing::UnsignedOrder o;
    o.salt = Uint256(salt++);
    o.maker = key.address();
    o.signer = key.address();
    o.token_id = *Uint256::FromDecimal(market.yes_token);
    o.maker_amount = 1'000'000;  // 5 shares at 0.20: rests below the book
    o.taker_amount = 5'000'000;
    o.timestamp_ms = salt;
    const auto signed_order = *signing::SignOrder(o, domain, key);
    net::HttpRequest r{.method = "POST",
                       .target = "/order",
                       .body = signing::PostOrderJson(signed_order, creds.key(), signing::OrderType::kGtc, true)};
    const auto h =
        *signing::MakeL2Headers(creds, key.address(), SystemClock::Instance().WallSeconds(), "POST", "/order", r.body);
    r.headers = {{"POLY_ADDRESS", h.address},
                 {"POLY_SIGNATURE", h.signature},
                 {"POLY_TIMESTAMP", h.timestamp},
                 {"POLY_API_KEY", h.api_key},
                 {"POLY_PASSPHRASE", h.passphrase}};
    return r;
  };
  std::mutex mu;
  std::condition_variable cv;
  int in_flight = 0;
  std::atomic<int64_t> ok{0};
  for (auto _ : state) {
    state.PauseTiming();
    net::HttpRequest request = make_request();  // client-side signing is not the server's cost
    state.ResumeTiming();
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return in_flight < outstanding; });
    ++in_flight;
    lock.unlock();
    http->Send(std::move(request), 5 * kNanosPerSecond, [&](net::HttpResult r) {
      if (r.outcome == net::Outcome::kOk) ++ok;
      std::lock_guard l(mu);
      --in_flight;
      cv.notify_one();
    });
  }
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return in_flight == 0; });
  state.counters["orders_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["accepted"] = static_cast<double>(ok.load());
}
BENCHMARK(BM_RestFront)->Arg(1)->Arg(8)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace clobmaker::simexchange

BENCHMARK_MAIN();
