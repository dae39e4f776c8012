// Signing throughput (issue: >= 20,000 V2 orders/s per core), order-id time, L2 header time.
#include <benchmark/benchmark.h>

#include "common/signing/auth.h"
#include "common/signing/order.h"

namespace clobmaker::signing {
namespace {

const crypto::PrivateKey& Key() {
  static const auto key =
      std::move(*crypto::PrivateKey::FromHex("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"));
  return key;
}

UnsignedOrder Order(uint64_t salt) {
  UnsignedOrder o;
  o.salt = Uint256(salt);
  o.maker = Key().address();
  o.signer = Key().address();
  o.token_id = *Uint256::FromDecimal("71321045679252212594626385532706912750332728571942532289631379312455583992563");
  o.maker_amount = 11'782'400;
  o.taker_amount = 21'040'000;
  o.timestamp_ms = 1'780'449'126'930ULL;
  return o;
}

OrderDomainHash Domain() {
  return HashDomain({.version = OrderVersion::kV2, .chain_id = 137, .exchange = ContractsForChain(137)->exchange_v2});
}

void BM_SignV2Order(benchmark::State& state) {
  const auto domain = Domain();
  uint64_t salt = 1;
  for (auto _ : state) {
    auto s = SignOrder(Order(salt++), domain, Key());
    benchmark::DoNotOptimize(s);
  }
  state.counters["orders_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SignV2Order);

void BM_SignV2OrderAndBody(benchmark::State& state) {
  const auto domain = Domain();
  uint64_t salt = 1;
  for (auto _ : state) {
    auto s = SignOrder(Order(salt++), domain, Key());
    std::string body = PostOrderJson(*s, "00000000-0000-0000-0000-000000000000", OrderType::kGtc, true);
    benchmark::DoNotOptimize(body);
  }
  state.counters["orders_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SignV2OrderAndBody);

void BM_OrderId(benchmark::State& state) {
  const auto domain = Domain();
  uint64_t salt = 1;
  for (auto _ : state) benchmark::DoNotOptimize(OrderHash(Order(salt++), domain));
}
BENCHMARK(BM_OrderId);

void BM_L2Headers(benchmark::State& state) {
  const ApiCredentials creds("00000000-0000-0000-0000-000000000000",
                             "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "pass");
  const auto domain = Domain();
  const std::string body = PostOrderJson(*SignOrder(Order(1), domain, Key()), creds.key(), OrderType::kGtc, true);
  for (auto _ : state)
    benchmark::DoNotOptimize(MakeL2Headers(creds, Key().address(), 1'780'449'126, "POST", "/order", body));
}
BENCHMARK(BM_L2Headers);

}  // namespace
}  // namespace clobmaker::signing

BENCHMARK_MAIN();
