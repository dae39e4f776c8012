// Execution's two latency figures (issue 6), with percentiles as counters:
//   BM_DecisionLadderUpdate   OrderManager decision time for a 10-level-a-side ladder update
//                             (every price moves one tick: 20 cancels planned), goal p99 < 20 us;
//   BM_DecisionUnchanged      the same ladder again (nothing to do), the common case;
//   BM_LadderToFirstSignedPost a ladder of 10 new orders in -> the first signed POST /orders
//                             body out (real EIP-712 signing), goal p50 < 100 us; the time until
//                             all 10 are signed and in bodies is reported too.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "common/signing/order.h"
#include "services/execution/core/order_manager.h"
#include "services/execution/service/signing_factory.h"

namespace clobmaker::execution {
namespace {

using Clock = std::chrono::steady_clock;
constexpr char kYes[] = "71321045679252212594626385532706912750332728571942532289631379312455583992563";

class CountingFactory final : public OrderFactory {
 public:
  absl::StatusOr<signing::SignedOrder> Make(const OrderSpec& spec) override {
    signing::SignedOrder s;
    std::array<uint8_t, 32> bytes{};
    const uint64_t n = ++made_;
    for (int i = 0; i < 8; ++i) bytes[static_cast<size_t>(31 - i)] = static_cast<uint8_t>(n >> (8 * i));
    s.id = model::OrderId(bytes);
    s.version = static_cast<signing::OrderVersion>(spec.version);
    return s;
  }

 private:
  uint64_t made_ = 0;
};

// The exchange's happy answers, so the manager reaches READY and orders go LIVE.
void AnswerAll(OrderManager& om, Nanos now) {
  for (int round = 0; round < 64; ++round) {
    std::vector<Action> actions = om.TakeActions();
    om.TakeEvents();
    if (actions.empty()) {
      if (!om.HasPendingWork()) return;
      om.OnTimer(now);
      continue;
    }
    for (const Action& a : actions) {
      switch (a.kind) {
        case ActionKind::kHeartbeat:
          om.OnHeartbeatReply(a.request_id, {.outcome = net::Outcome::kOk, .heartbeat_id = "hb"}, now);
          break;
        case ActionKind::kGetVersion:
          om.OnVersionReply(a.request_id, {.outcome = net::Outcome::kOk, .version = 2}, now);
          break;
        case ActionKind::kGetRateTier:
          om.OnRateTierReply(a.request_id, {.outcome = net::Outcome::kOk, .tier = polymarket::RateTier::kStandard},
                             now);
          break;
        case ActionKind::kQueryTrades:
          om.OnTradesReply(a.request_id, {.outcome = net::Outcome::kOk}, now);
          break;
        case ActionKind::kCancelAll:
        case ActionKind::kCancelMarket:
          om.OnCancelReply(a.request_id, {.outcome = net::Outcome::kOk}, now);
          break;
        case ActionKind::kListOpenOrders:
          om.OnListReply(a.request_id, {.outcome = net::Outcome::kOk}, now);
          break;
        case ActionKind::kCancel: {
          CancelReply r{.outcome = net::Outcome::kOk};
          for (const auto& id : a.order_ids) r.result.canceled.push_back(id.ToString());
          om.OnCancelReply(a.request_id, r, now);
          break;
        }
        case ActionKind::kPost: {
          PostReply r{.outcome = net::Outcome::kOk};
          for (const auto& o : a.orders)
            r.legs.push_back({.success = true, .order_id = o->id.ToString(), .status = "live"});
          om.OnPostReply(a.request_id, r, now);
          break;
        }
        case ActionKind::kQueryOrder:
          om.OnQueryReply(a.request_id, {.outcome = net::Outcome::kRejected, .http_status = 404}, now);
          break;
      }
    }
  }
}

MarketLadder Ladder(uint64_t seq, int levels, int64_t shift, Nanos now) {
  MarketLadder l{.market = "0xmarket",
                 .tokens = {kYes},
                 .tick = model::TickSize::Cent(),
                 .sequence = seq,
                 .valid_until = now + 3600 * kNanosPerSecond};
  for (int i = 0; i < levels; ++i) {
    l.quotes.push_back({.intent = {.token = kYes, .side = model::Side::kBuy, .level = static_cast<uint32_t>(i)},
                        .price = model::Price(4500 + shift - 100 * i),
                        .size = model::Size::FromWhole(50)});
    l.quotes.push_back({.intent = {.token = kYes, .side = model::Side::kSell, .level = static_cast<uint32_t>(i)},
                        .price = model::Price(4700 + shift + 100 * i),
                        .size = model::Size::FromWhole(50)});
  }
  return l;
}

void Percentiles(benchmark::State& state, std::vector<double>& us) {
  std::sort(us.begin(), us.end());
  const auto at = [&](double q) {
    return us[std::min(us.size() - 1, static_cast<size_t>(q * static_cast<double>(us.size())))];
  };
  state.counters["p50_us"] = at(0.50);
  state.counters["p90_us"] = at(0.90);
  state.counters["p99_us"] = at(0.99);
  state.counters["max_us"] = us.back();
}

OrderManagerConfig BenchConfig() {
  OrderManagerConfig c;
  c.rate_limits = false;  // the decision path alone: no exchange limiter in front of it
  c.post_budget = RateBudgetConfig{.capacity = 1e12, .refill_per_second = 1e12, .reserve = 0};
  c.reconcile_interval = 1'000'000 * kNanosPerSecond;
  // Steady state: dead orders are dropped as in a long-running process (the default keeps them
  // 10 minutes; the benchmark's clock moves 1 ms per update).
  c.retain_terminal = 2 * kNanosPerSecond;
  return c;
}

void BM_DecisionLadderUpdate(benchmark::State& state) {
  CountingFactory factory;
  OrderManager om(BenchConfig(), &factory);
  Nanos now = 1'700'000'000 * kNanosPerSecond;
  om.Start(false, now);
  AnswerAll(om, now);
  uint64_t seq = 1;
  om.OnLadder(Ladder(seq++, 10, 0, now), now);
  AnswerAll(om, now);
  std::vector<double> us;
  int64_t shift = 0;
  for (auto _ : state) {
    shift = shift == 0 ? 100 : 0;
    MarketLadder ladder = Ladder(seq++, 10, shift, now);
    const auto t0 = Clock::now();
    om.OnLadder(std::move(ladder), now);
    std::vector<Action> actions = om.TakeActions();
    std::vector<OrderEvent> events = om.TakeEvents();
    const auto t1 = Clock::now();
    benchmark::DoNotOptimize(actions);
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    state.PauseTiming();
    // The exchange confirms the cancels; the replacements go out and are accepted.
    for (const Action& a : actions) {
      if (a.kind != ActionKind::kCancel) continue;
      CancelReply r{.outcome = net::Outcome::kOk};
      for (const auto& id : a.order_ids) r.result.canceled.push_back(id.ToString());
      om.OnCancelReply(a.request_id, r, now);
    }
    AnswerAll(om, now);
    now += kNanosPerMilli;
    om.OnTimer(now);  // the shell's ticker (housekeeping runs there)
    AnswerAll(om, now);
    state.ResumeTiming();
  }
  Percentiles(state, us);
}
BENCHMARK(BM_DecisionLadderUpdate)->Iterations(20000);

void BM_DecisionUnchanged(benchmark::State& state) {
  CountingFactory factory;
  OrderManager om(BenchConfig(), &factory);
  Nanos now = 1'700'000'000 * kNanosPerSecond;
  om.Start(false, now);
  AnswerAll(om, now);
  uint64_t seq = 1;
  om.OnLadder(Ladder(seq++, 10, 0, now), now);
  AnswerAll(om, now);
  std::vector<double> us;
  for (auto _ : state) {
    MarketLadder ladder = Ladder(seq++, 10, 0, now);
    const auto t0 = Clock::now();
    om.OnLadder(std::move(ladder), now);
    std::vector<Action> actions = om.TakeActions();
    const auto t1 = Clock::now();
    benchmark::DoNotOptimize(actions);
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  Percentiles(state, us);
}
BENCHMARK(BM_DecisionUnchanged)->Iterations(20000);

void BM_LadderToFirstSignedPost(benchmark::State& state) {
  auto key = crypto::PrivateKey::FromHex("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
  auto factory = SigningOrderFactory::Create(*key, {.chain_id = 137}, 42);
  std::vector<double> first_us, all_us;
  Nanos now = 1'700'000'000 * kNanosPerSecond;
  for (auto _ : state) {
    state.PauseTiming();
    OrderManager om(BenchConfig(), factory->get());
    om.Start(false, now);
    AnswerAll(om, now);
    MarketLadder ladder = Ladder(1, 5, 0, now);  // 10 new orders
    state.ResumeTiming();
    const auto t0 = Clock::now();
    om.OnLadder(std::move(ladder), now);
    std::vector<Action> actions = om.TakeActions();
    std::string body;
    for (const Action& a : actions) {
      if (a.kind != ActionKind::kPost) continue;
      std::vector<const signing::SignedOrder*> orders;
      for (const auto& o : a.orders) orders.push_back(o.get());
      body = signing::PostOrdersJson(orders, "api-key", signing::OrderType::kGtc, true);
      break;
    }
    const auto t1 = Clock::now();
    size_t signed_orders = 0;
    for (const Action& a : actions) signed_orders += a.kind == ActionKind::kPost ? a.orders.size() : 0;
    while (om.HasPendingWork()) {  // the shell's loop: the rest follow at once
      om.OnTimer(now);
      for (const Action& a : om.TakeActions()) {
        if (a.kind != ActionKind::kPost) continue;
        std::vector<const signing::SignedOrder*> orders;
        for (const auto& o : a.orders) orders.push_back(o.get());
        benchmark::DoNotOptimize(signing::PostOrdersJson(orders, "api-key", signing::OrderType::kGtc, true));
        signed_orders += a.orders.size();
      }
    }
    const auto t2 = Clock::now();
    if (body.empty() || signed_orders != 10) state.SkipWithError("expected 10 signed orders");
    first_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    all_us.push_back(std::chrono::duration<double, std::micro>(t2 - t0).count());
    now += kNanosPerMilli;
  }
  Percentiles(state, first_us);
  std::sort(all_us.begin(), all_us.end());
  state.counters["all10_p50_us"] = all_us[all_us.size() / 2];
}
BENCHMARK(BM_LadderToFirstSignedPost)->Iterations(2000);

}  // namespace
}  // namespace clobmaker::execution

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
