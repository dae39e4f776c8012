// The whole stack under chaos, with real processes: nats-server, simexchange (flow, 10% of trades
// failing), marketdata, userstream, positions, execution, strategy quoting tight enough to trade.
// Each cycle does one of: kill -9 of a random service at a random moment and a restart; a
// nats-server restart; a fault storm at the simulator (429 burst, timeouts after accept, refused
// batch legs with the empty-id quirk, websocket drops). After each cycle, once the stack is quiet:
//   invariant 3: execution's live orders equal the simulator's open orders (no orphan, none missing);
//   invariant 4: never two live orders for one (token, side, level) intent.
// At the end: a kill leaves nothing live (invariant 6), and after settlement positions equal the
// simulator's exchange and chain balances (invariant 5).
// Seeded: the seed is printed; CHAOS_SEED=n replays the same choices, CHAOS_CYCLES=n runs more.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <map>
#include <set>
#include <thread>

#include "clobmaker/positions/v1/positions.grpc.pb.h"
#include "common/core/rng.h"
#include "integration_tests/support/stack_fixture.h"

namespace clobmaker::itest {
namespace {

class StackChaosTest : public StackTest {
 protected:
  std::vector<std::string> SimArgs() const override {
    return {"--listen",    "127.0.0.1:0", "--grpc-listen",
            "127.0.0.1:0", "--markets",   "2",
            "--seed",      "13",          "--trade-fail-probability",
            "0.1"};
  }

  struct Service {
    std::string name;
    std::vector<std::string> args;
    std::unique_ptr<ChildProcess> process;
  };

  void Launch(Service& s) {
    s.process = StartService(s.name, s.args);
    ASSERT_TRUE(s.process->WaitForLine("admin API on", 60 * kNanosPerSecond).ok()) << s.name << "\n"
                                                                                   << s.process->log();
  }

  std::vector<sim::v1::TruthOrder> Open() { return OpenAtExchange(); }

  bool WaitQuotes() {
    for (int i = 0; i < 300; ++i) {
      if (!Open().empty()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  bool List(orders::v1::ExecutionAdmin::Stub& exec, bool terminal, orders::v1::ListOrdersResponse* out) {
    grpc::ClientContext ctx;
    orders::v1::ListOrdersRequest req;
    req.set_include_terminal(terminal);
    return exec.ListOrders(&ctx, req, out).ok();
  }

  // Invariants 3 and 4 while the stack keeps quoting (orders churn, so snapshots are taken in an
  // order that makes every verdict sound): execution's view (t1), the exchange's (t2), execution's
  // again (t3). An order open at t2 that execution does not know at t3, even as terminal, is an
  // orphan. An order execution held LIVE at both t1 and t3 but absent at t2 is a live order the
  // exchange does not have. Two orders open at t2 for one intent break invariant 4. A difference
  // may be events in flight: it must persist for 15 s to count.
  bool CheckLiveSets(orders::v1::ExecutionAdmin::Stub& exec, std::string* why) {
    for (int attempt = 0; attempt < 60; ++attempt) {
      orders::v1::ListOrdersResponse t1, t3;
      if (!List(exec, false, &t1)) {
        *why = "execution unreachable";
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
        continue;
      }
      const std::vector<sim::v1::TruthOrder> t2 = Open();
      if (!List(exec, true, &t3)) continue;
      std::set<std::string> open, live1, live3;
      for (const auto& o : t2) open.insert(o.order_id());
      const auto is_live = [](const orders::v1::Order& o) {
        return o.state() == orders::v1::ORDER_STATE_LIVE || o.state() == orders::v1::ORDER_STATE_PARTIALLY_FILLED;
      };
      for (const auto& o : t1.orders()) {
        if (is_live(o)) live1.insert(o.order_id());
      }
      std::map<std::string, std::string> intent_of;
      for (const auto& o : t3.orders()) {
        if (is_live(o)) live3.insert(o.order_id());
        intent_of[o.order_id()] = fmt::format("{}/{}/{}", o.token_id(), static_cast<int>(o.side()), o.level());
      }
      size_t orphans = 0, missing = 0;
      std::map<std::string, int> per_intent;
      for (const std::string& id : open) {
        if (!intent_of.contains(id)) {
          orphans++;
        } else if (++per_intent[intent_of[id]] > 1) {
          *why = "invariant 4: two orders open at the exchange for one intent " + intent_of[id];
          return false;  // never acceptable, even transiently
        }
      }
      for (const std::string& id : live1) {
        if (live3.contains(id) && !open.contains(id)) missing++;
      }
      if (orphans == 0 && missing == 0) return true;
      *why = fmt::format("invariant 3: {} orphans at the exchange, {} live in execution but not at the exchange",
                         orphans, missing);
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return false;
  }
};

TEST_F(StackChaosTest, KillsRestartsAndFaultStormsKeepTheInvariants) {
  const char* seed_env = std::getenv("CHAOS_SEED");
  const char* cycles_env = std::getenv("CHAOS_CYCLES");
  const uint64_t seed = seed_env ? std::strtoull(seed_env, nullptr, 10) : 20261124;
  const int cycles = cycles_env ? std::atoi(cycles_env) : 6;
  Rng rng(seed);
  std::printf("stack chaos: seed %llu, %d cycles (replay: CHAOS_SEED=%llu)\n", static_cast<unsigned long long>(seed),
              cycles, static_cast<unsigned long long>(seed));

  const std::string config = (dir_ / "strategy.yaml").string();
  {
    std::ofstream out(config);
    out << "all_markets: true\ndefaults:\n  half_spread_ticks: 1\n  min_edge_ticks: 0\n  levels: 2\n"
           "  size_per_level_micros: 20000000\n  reward_band: false\n  fair_value_source: mid\n";
  }
  std::vector<Service> services;
  services.push_back({"marketdata", {"--all-markets"}, nullptr});
  services.push_back({"userstream", {}, nullptr});
  services.push_back({"positions", {"--reconcile-interval-s", "3"}, nullptr});
  services.push_back({"execution", {"--instance", "chaos", "--lease-ttl-ms", "2000"}, nullptr});
  services.push_back({"strategy", {"--config", config}, nullptr});
  for (Service& s : services) {
    // marketdata takes no key: StartService adds --key-file, which it does not know.
    if (s.name == "marketdata") {
      s.process =
          std::make_unique<ChildProcess>(testing::BinDir() + "/marketdata",
                                         std::vector<std::string>{"--nats", nats_.url(), "--clob-url", clob_url_,
                                                                  "--all-markets", "--admin-listen", "127.0.0.1:0"});
      ASSERT_TRUE(s.process->Start().ok());
      ASSERT_TRUE(s.process->WaitForLine("admin API on", 60 * kNanosPerSecond).ok());
      continue;
    }
    Launch(s);
  }
  const auto exec_admin = [&] { return Admin(*services[3].process); };
  ASSERT_TRUE(WaitQuotes());

  int violations = 0, kills = 0, nats_restarts = 0, storms = 0;
  for (int cycle = 0; cycle < cycles; ++cycle) {
    const int what = static_cast<int>(rng.Between(0, 9));
    std::this_thread::sleep_for(std::chrono::milliseconds(rng.Between(500, 3000)));
    std::string action;
    if (what <= 5) {
      Service& s = services[static_cast<size_t>(rng.Between(0, static_cast<int64_t>(services.size()) - 1))];
      action = "kill -9 " + s.name;
      ASSERT_TRUE(s.process->Stop(SIGKILL, 5 * kNanosPerSecond).ok());
      std::this_thread::sleep_for(std::chrono::milliseconds(rng.Between(0, 1500)));
      if (s.name == "marketdata") {
        ASSERT_TRUE(s.process->Start().ok());
        ASSERT_TRUE(s.process->WaitForLine("admin API on", 60 * kNanosPerSecond).ok());
      } else {
        Launch(s);  // execution: start-up cancel-all verified before it quotes again
      }
      kills++;
    } else if (what <= 7) {
      action = "nats-server restart";
      ASSERT_TRUE(nats_.Restart().ok());
      nats_restarts++;
    } else {
      action = "fault storm";
      grpc::ClientContext ctx;
      sim::v1::SetFaultsRequest req;
      req.mutable_faults()->set_timeout_after_accept_probability(0.2);
      req.mutable_faults()->set_batch_leg_reject_probability(0.2);
      req.mutable_faults()->set_batch_empty_id_probability(0.5);
      req.mutable_faults()->set_ws_drop_probability(0.02);
      req.mutable_faults()->set_trade_fail_probability(0.1);
      sim::v1::SetFaultsResponse resp;
      ASSERT_TRUE(control_->SetFaults(&ctx, req, &resp).ok());
      grpc::ClientContext bctx;
      sim::v1::BurstRequest burst;
      burst.set_http_status(429);
      burst.set_duration_ms(1500);
      sim::v1::BurstResponse bresp;
      ASSERT_TRUE(control_->Burst(&bctx, burst, &bresp).ok());
      std::this_thread::sleep_for(std::chrono::seconds(3));
      grpc::ClientContext cctx;
      sim::v1::SetFaultsRequest clear;
      clear.mutable_faults()->set_trade_fail_probability(0.1);
      ASSERT_TRUE(control_->SetFaults(&cctx, clear, &resp).ok());
      storms++;
    }
    auto exec = exec_admin();
    ASSERT_NE(exec, nullptr);
    std::string why;
    const bool ok = CheckLiveSets(*exec, &why);
    std::printf("cycle %d: %s -> %s\n", cycle, action.c_str(), ok ? "invariants hold" : why.c_str());
    if (!ok) violations++;
  }

  // Invariant 6: a kill leaves nothing live, and nothing is posted until reset.
  auto exec = exec_admin();
  ASSERT_NE(exec, nullptr);
  {
    grpc::ClientContext ctx;
    orders::v1::KillRequest req;
    req.set_reason("end of chaos");
    orders::v1::KillResponse resp;
    ASSERT_TRUE(exec->Kill(&ctx, req, &resp).ok());
  }
  bool empty = false;
  for (int i = 0; i < 100 && !empty; ++i) {
    empty = Open().empty();
    if (!empty) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!empty) violations++;
  EXPECT_TRUE(empty) << "invariant 6: orders still live 10 s after the kill";

  // Invariant 5: after settlement, positions equal the simulator's balances.
  std::this_thread::sleep_for(std::chrono::seconds(6));  // MATCHED -> CONFIRMED is 5 s
  auto pos = positions::v1::PositionsAdmin::NewStub(
      grpc::CreateChannel(AdminAddress(*services[2].process), grpc::InsecureChannelCredentials()));
  bool equal = false;
  std::string difference;
  for (int attempt = 0; attempt < 50 && !equal; ++attempt) {
    grpc::ClientContext bctx;
    sim::v1::BalancesRequest breq;
    breq.set_address(address_);
    sim::v1::BalancesResponse truth;
    ASSERT_TRUE(truth_->Balances(&bctx, breq, &truth).ok());
    grpc::ClientContext pctx;
    positions::v1::GetPositionsResponse ours;
    if (!pos->GetPositions(&pctx, {}, &ours).ok() || truth.balances_size() == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    const auto& t = truth.balances(0);
    equal = ours.collateral().provisional_micros() == t.collateral_micros();
    difference =
        fmt::format("collateral ours {} truth {}", ours.collateral().provisional_micros(), t.collateral_micros());
    for (const auto& [token, amount] : t.tokens_micros()) {
      int64_t mine = 0;
      for (const auto& p : ours.positions()) {
        if (p.token_id() == token) mine = p.provisional_micros();
      }
      if (mine != amount) {
        equal = false;
        difference = fmt::format("token {} ours {} truth {}", token, mine, amount);
      }
    }
    if (!equal) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (!equal) violations++;
  EXPECT_TRUE(equal) << "invariant 5: " << difference;
  grpc::ClientContext tctx;
  sim::v1::TradesRequest treq;
  treq.set_address(address_);
  sim::v1::TradesResponse trades;
  ASSERT_TRUE(truth_->Trades(&tctx, treq, &trades).ok());
  std::printf("stack chaos: %d cycles (%d kills, %d nats restarts, %d fault storms), %d trades, violations=%d\n",
              cycles, kills, nats_restarts, storms, trades.trades_size(), violations);
  EXPECT_EQ(violations, 0);
}

}  // namespace
}  // namespace clobmaker::itest
