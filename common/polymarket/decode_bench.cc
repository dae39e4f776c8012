// Parse rates (goals: >= 1,000,000 price_change events/s and >= 200,000 30-level books/s per
// core) and REST request build + sign time.
#include <benchmark/benchmark.h>

#include "common/polymarket/decode.h"
#include "common/polymarket/encode.h"
#include "common/signing/auth.h"
#include "common/signing/order.h"

namespace clobmaker::polymarket {
namespace {

std::string PriceChangeFrame() {
  // The live shape: one order shows on both tokens.
  return R"({"market":"0x5f65177b394277fd294cd75650044e32ba009a95022d88a0c1d565897d72f8f1","price_changes":[)"
         R"({"asset_id":"71321045679252212594626385532706912750332728571942532289631379312455583992563","price":"0.5","size":"200","side":"BUY","hash":"56621a121a47ed9333273e21c83b660cff37ae50","best_bid":"0.5","best_ask":"0.51"},)"
         R"({"asset_id":"52114319501245915516055106046884209969926127482827954674443846427813813222426","price":"0.5","size":"200","side":"SELL","hash":"1895759e4df7a796bf4f1c5a5950b748306923e2","best_bid":"0.49","best_ask":"0.5"}],)"
         R"("timestamp":"1757908892351","event_type":"price_change"})";
}

std::string BookFrame(int levels) {
  BookEvent book{.asset_id = "71321045679252212594626385532706912750332728571942532289631379312455583992563",
                 .market = "0xdd22472e552920b8438158ea7238bfadfa4f736aa4cee91a6b86c39ead110917",
                 .timestamp_ms = 1703875200000,
                 .hash = "0458ea5755c9f73d64a14636fa5c36ed460ec394"};
  for (int i = 0; i < levels; ++i) {
    book.bids.push_back({model::Price(4900 - 100 * (i % 45)), model::Size(1'000'000 * (13 + i) + 250'000)});
    book.asks.push_back({model::Price(5100 + 100 * (i % 45)), model::Size(1'000'000 * (17 + i) + 500'000)});
  }
  return EncodeMarketEvent(book);
}

void BM_DecodePriceChange(benchmark::State& state) {
  const std::string frame = PriceChangeFrame();
  MarketDecoder decoder;
  MarketFrame out;
  size_t events = 0;
  for (auto _ : state) {
    decoder.Decode(frame, out);
    events += std::get<PriceChangeEvent>(out.events[0]).changes.size();
  }
  state.counters["price_change_events_per_s"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DecodePriceChange);

void BM_DecodeBook30(benchmark::State& state) {
  const std::string frame = BookFrame(30);
  MarketDecoder decoder;
  MarketFrame out;
  for (auto _ : state) {
    decoder.Decode(frame, out);
    benchmark::DoNotOptimize(out.events.data());
  }
  state.counters["books_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["bytes"] = static_cast<double>(frame.size());
}
BENCHMARK(BM_DecodeBook30);

void BM_BuildAndSignPostOrderRequest(benchmark::State& state) {
  auto key =
      std::move(*crypto::PrivateKey::FromHex("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"));
  const signing::ApiCredentials creds("00000000-0000-0000-0000-000000000000",
                                      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "p");
  const auto domain = signing::HashDomain({.version = signing::OrderVersion::kV2,
                                           .chain_id = 137,
                                           .exchange = signing::ContractsForChain(137)->exchange_v2});
  signing::UnsignedOrder order;
  order.maker = key.address();
  order.signer = key.address();
  order.token_id =
      *Uint256::FromDecimal("71321045679252212594626385532706912750332728571942532289631379312455583992563");
  order.maker_amount = 11'782'400;
  order.taker_amount = 21'040'000;
  order.timestamp_ms = 1'780'449'126'930ULL;
  uint64_t salt = 1;
  for (auto _ : state) {
    order.salt = Uint256(salt++);
    auto signed_order = signing::SignOrder(order, domain, key);
    std::string body = signing::PostOrderJson(*signed_order, creds.key(), signing::OrderType::kGtc, true);
    auto headers = signing::MakeL2Headers(creds, key.address(), 1'780'449'126, "POST", "/order", body);
    benchmark::DoNotOptimize(headers);
  }
}
BENCHMARK(BM_BuildAndSignPostOrderRequest);

void BM_BuildRequestHeadersOnly(benchmark::State& state) {
  const signing::ApiCredentials creds("00000000-0000-0000-0000-000000000000",
                                      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "p");
  const auto address = *crypto::Address::Parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  const std::string body = R"(["0x1111111111111111111111111111111111111111111111111111111111111111"])";
  for (auto _ : state) {
    auto headers = signing::MakeL2Headers(creds, address, 1'780'449'126, "DELETE", "/orders", body);
    benchmark::DoNotOptimize(headers);
  }
}
BENCHMARK(BM_BuildRequestHeadersOnly);

}  // namespace
}  // namespace clobmaker::polymarket

BENCHMARK_MAIN();
