// Book updates per second on one core: 500 subscribed tokens (250 markets), price_change frames
// as the exchange sends them (each level change on a token and its mirror on the complement),
// through the whole in-process path: JSON decode -> BookKeeper (integrity checks, coalescing) ->
// Book protobufs serialized for NATS. One flush per frame (no coalescing help) is the worst case.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "common/core/rng.h"
#include "common/polymarket/decode.h"
#include "services/marketdata/core/book_keeper.h"

namespace clobmaker::marketdata {
namespace {

constexpr int kMarkets = 250;  // 500 tokens
constexpr Nanos kT0 = 1'700'000'000 * kNanosPerSecond;

struct Fixture {
  bus::HeaderStamper stamper{"marketdata"};
  BookKeeper keeper{BookKeeperConfig{}, stamper};
  std::vector<std::string> frames;
  polymarket::MarketDecoder decoder;
  polymarket::MarketFrame frame;
  std::vector<Publication> pubs;

  explicit Fixture(size_t frame_count) {
    std::vector<std::string> tokens;
    for (int m = 0; m < kMarkets; ++m) {
      polymarket::MarketMetadata meta;
      meta.condition_id = fmt::format("0x{:064x}", m + 1);
      meta.token_ids = {fmt::format("{}1{:070}", m + 1, 0), fmt::format("{}2{:070}", m + 1, 0)};
      meta.tick = model::TickSize::Cent();
      auto added = keeper.AddMarket(meta, kT0);
      keeper.OnConnected(added, kT0);
      // 30 levels a side, the mirror on the complement.
      for (int side = 0; side < 2; ++side) {
        std::string book = fmt::format(R"({{"event_type":"book","asset_id":"{}","market":"{}","timestamp":"1000",)",
                                       meta.token_ids[side], meta.condition_id);
        std::string bids, asks;
        for (int l = 0; l < 30; ++l) {
          bids += fmt::format(R"({}{{"price":"0.{:02}","size":"{}"}})", l ? "," : "", 45 - l, 100 + l);
          asks += fmt::format(R"({}{{"price":"0.{:02}","size":"{}"}})", l ? "," : "", 55 + l, 100 + l);
        }
        book += R"("bids":[)" + bids + R"(],"asks":[)" + asks + "]}";
        keeper.OnFrame(decoder.Decode(book), kT0);
        tokens.push_back(meta.token_ids[side]);
      }
    }
    keeper.TakePublications(kT0, pubs);
    // Frames: a random level on a random market, changed on both tokens (bid on one = ask on the
    // other), with the best prices the exchange would report (unchanged: deep levels move). One
    // timestamp for all, so that replaying the list never looks out of order.
    Rng rng(7);
    for (size_t i = 0; i < frame_count; ++i) {
      const int m = static_cast<int>(rng.Between(0, kMarkets - 1));
      const int level = static_cast<int>(rng.Between(1, 29));
      const int size = static_cast<int>(rng.Between(1, 5000));
      frames.push_back(fmt::format(
          R"({{"event_type":"price_change","market":"0x{:064x}","timestamp":"{}","price_changes":[)"
          R"({{"asset_id":"{}","price":"0.{:02}","size":"{}","side":"BUY","hash":"","best_bid":"0.45","best_ask":"0.55"}},)"
          R"({{"asset_id":"{}","price":"0.{:02}","size":"{}","side":"SELL","hash":"","best_bid":"0.45","best_ask":"0.55"}}]}})",
          m + 1, 5000, tokens[2 * m], 45 - level, size, tokens[2 * m + 1], 55 + level, size));
    }
  }
};

void BM_BookUpdates500Tokens(benchmark::State& state) {
  Fixture f(20'000);
  size_t i = 0;
  Nanos now = kT0;
  uint64_t changes = 0;
  for (auto _ : state) {
    const std::string& text = f.frames[i++ % f.frames.size()];
    f.decoder.Decode(text, f.frame);
    f.keeper.OnFrame(f.frame, now += 1000);
    f.pubs.clear();
    f.keeper.TakePublications(now, f.pubs);
    benchmark::DoNotOptimize(f.pubs.data());
    changes += 2;
  }
  if (f.keeper.counters().resyncs != 0) state.SkipWithError("unexpected resync");
  state.counters["book_updates_per_s"] = benchmark::Counter(static_cast<double>(changes), benchmark::Counter::kIsRate);
  state.counters["frames_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_BookUpdates500Tokens)->Unit(benchmark::kMicrosecond)->MinTime(2.0);

// The same without the Book publication (decode + book maintenance only), to show where time goes.
void BM_ApplyOnly500Tokens(benchmark::State& state) {
  Fixture f(20'000);
  size_t i = 0;
  Nanos now = kT0;
  for (auto _ : state) {
    f.decoder.Decode(f.frames[i++ % f.frames.size()], f.frame);
    f.keeper.OnFrame(f.frame, now += 1000);
  }
  state.counters["book_updates_per_s"] =
      benchmark::Counter(static_cast<double>(2 * state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ApplyOnly500Tokens)->Unit(benchmark::kMicrosecond)->MinTime(2.0);

}  // namespace
}  // namespace clobmaker::marketdata

BENCHMARK_MAIN();
