// positions after a chaos session: the whole quoting stack (marketdata, userstream, execution,
// strategy, positions) against the simulator with background takers filling our quotes, 20% of
// trades FAILING, duplicated and reordered user frames and forced user-channel drops. Once the
// quoting stops and every trade has settled, positions' provisional and settled buckets equal the
// simulator's exchange and chain balances for collateral and every token. Then an external
// deposit the ledger cannot know about is provoked: reconciliation reports it from both sources,
// and the ledger's own numbers are kept.
#include <gtest/gtest.h>

#include <csignal>
#include <set>
#include <thread>

#include "clobmaker/positions/v1/positions.grpc.pb.h"
#include "integration_tests/support/stack_fixture.h"

namespace clobmaker::itest {
namespace {

class PositionsChaosTest : public StackTest {
 protected:
  std::vector<std::string> SimArgs() const override {
    return {"--listen",    "127.0.0.1:0", "--grpc-listen",
            "127.0.0.1:0", "--markets",   "2",
            "--seed",      "9",           "--trade-fail-probability",
            "0.2"};
  }
  sim::v1::TruthBalance Truth() {
    grpc::ClientContext ctx;
    sim::v1::BalancesRequest req;
    req.set_address(address_);
    sim::v1::BalancesResponse resp;
    EXPECT_TRUE(truth_->Balances(&ctx, req, &resp).ok());
    return resp.balances_size() > 0 ? resp.balances(0) : sim::v1::TruthBalance{};
  }
  size_t TradesUnsettled(size_t* total) {
    grpc::ClientContext ctx;
    sim::v1::TradesRequest req;
    req.set_address(address_);
    sim::v1::TradesResponse resp;
    EXPECT_TRUE(truth_->Trades(&ctx, req, &resp).ok());
    size_t open = 0;
    for (const auto& t : resp.trades()) open += t.status() != "CONFIRMED" && t.status() != "FAILED";
    *total = static_cast<size_t>(resp.trades_size());
    return open;
  }
};

TEST_F(PositionsChaosTest, AfterChaosPositionsEqualTheSimulatorsTruthAndDiscrepanciesAreCaught) {
  auto md = std::make_unique<ChildProcess>(testing::BinDir() + "/marketdata",
                                           std::vector<std::string>{"--nats", nats_.url(), "--clob-url", clob_url_,
                                                                    "--all-markets", "--admin-listen", "127.0.0.1:0"});
  ASSERT_TRUE(md->Start().ok());
  ASSERT_TRUE(md->WaitForLine("admin API on", 30 * kNanosPerSecond).ok());
  auto us = StartService("userstream");
  ASSERT_TRUE(us->WaitForLine("admin API on", 30 * kNanosPerSecond).ok());
  auto pos = StartService("positions", {"--reconcile-interval-s", "2"});
  const std::string pos_address = AdminAddress(*pos);
  ASSERT_FALSE(pos_address.empty());
  auto admin =
      positions::v1::PositionsAdmin::NewStub(grpc::CreateChannel(pos_address, grpc::InsecureChannelCredentials()));
  auto exec = StartExecution("a");
  auto exec_admin = Admin(*exec);
  ASSERT_NE(exec_admin, nullptr);
  // Tight quotes so that the simulator's takers trade with them often.
  const std::string config = (dir_ / "strategy.yaml").string();
  {
    std::ofstream out(config);
    out << "all_markets: true\ndefaults:\n  half_spread_ticks: 1\n  min_edge_ticks: 0\n  levels: 2\n"
           "  size_per_level_micros: 20000000\n  reward_band: false\n  fair_value_source: mid\n";
  }
  auto strat = StartService("strategy", {"--config", config});
  ASSERT_TRUE(strat->WaitForLine("admin API on", 30 * kNanosPerSecond).ok());

  // Chaos on the user channel while the stack trades.
  {
    grpc::ClientContext ctx;
    sim::v1::SetFaultsRequest req;
    req.mutable_faults()->set_ws_duplicate_probability(0.1);
    req.mutable_faults()->set_ws_reorder_probability(0.1);
    req.mutable_faults()->set_trade_fail_probability(0.2);
    sim::v1::SetFaultsResponse resp;
    ASSERT_TRUE(control_->SetFaults(&ctx, req, &resp).ok());
  }
  for (int i = 0; i < 8; ++i) {
    std::this_thread::sleep_for(std::chrono::seconds(2));
    grpc::ClientContext ctx;
    sim::v1::DropConnectionsRequest req;
    req.set_user(true);
    sim::v1::DropConnectionsResponse resp;
    ASSERT_TRUE(control_->DropConnections(&ctx, req, &resp).ok());
  }
  // Stop quoting, clear the faults, let every trade settle (CONFIRMED or FAILED).
  {
    grpc::ClientContext ctx;
    orders::v1::KillRequest req;
    req.set_reason("end of the chaos session");
    orders::v1::KillResponse resp;
    ASSERT_TRUE(exec_admin->Kill(&ctx, req, &resp).ok());
    grpc::ClientContext fctx;
    sim::v1::SetFaultsRequest freq;
    freq.mutable_faults()->set_trade_fail_probability(0.2);
    sim::v1::SetFaultsResponse fresp;
    ASSERT_TRUE(control_->SetFaults(&fctx, freq, &fresp).ok());
  }
  size_t trades = 0;
  for (int i = 0; i < 100; ++i) {
    if (TradesUnsettled(&trades) == 0 && OpenAtExchange().empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_GT(trades, 0u) << "the session produced no trade: nothing was tested";

  // Positions converge on the truth: both buckets, collateral and every token.
  std::string difference;
  bool equal = false;
  for (int attempt = 0; attempt < 100 && !equal; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const sim::v1::TruthBalance truth = Truth();
    grpc::ClientContext ctx;
    positions::v1::GetPositionsRequest req;
    positions::v1::GetPositionsResponse ours;
    ASSERT_TRUE(admin->GetPositions(&ctx, req, &ours).ok());
    equal = ours.collateral().provisional_micros() == truth.collateral_micros() &&
            ours.collateral().settled_micros() == truth.chain_collateral_micros();
    difference =
        fmt::format("collateral ours {}/{} truth {}/{}", ours.collateral().provisional_micros(),
                    ours.collateral().settled_micros(), truth.collateral_micros(), truth.chain_collateral_micros());
    for (const auto& [token, amount] : truth.tokens_micros()) {
      const positions::v1::Position* p = nullptr;
      for (const auto& candidate : ours.positions()) {
        if (candidate.token_id() == token) p = &candidate;
      }
      const int64_t prov = p ? p->provisional_micros() : 0, settled = p ? p->settled_micros() : 0;
      const int64_t chain = truth.chain_tokens_micros().count(token) ? truth.chain_tokens_micros().at(token) : 0;
      if (prov != amount || settled != chain) {
        equal = false;
        difference = fmt::format("token {} ours {}/{} truth {}/{}", token, prov, settled, amount, chain);
      }
    }
  }
  grpc::ClientContext sctx;
  common::v1::ServiceStatus status;
  ASSERT_TRUE(admin->Status(&sctx, {}, &status).ok());
  std::printf(
      "chaos session: %zu trades; positions legs=%lld applied=%lld settled=%lld reversed=%lld "
      "duplicates=%lld discrepancies=%lld\n",
      trades, static_cast<long long>(status.counters().at("legs")),
      static_cast<long long>(status.counters().at("applied")), static_cast<long long>(status.counters().at("settled")),
      static_cast<long long>(status.counters().at("reversed")),
      static_cast<long long>(status.counters().at("duplicates")),
      static_cast<long long>(status.counters().at("discrepancies")));
  EXPECT_TRUE(equal) << difference;
  EXPECT_EQ(status.counters().at("discrepancies"), 0);  // nothing but trades moved the balances

  // Provoked: an external deposit of 25 pUSD. Both sources now differ from the ledger, persistently.
  {
    grpc::ClientContext ctx;
    sim::v1::CreditRequest req;
    req.set_address(address_);
    req.set_collateral_micros(25'000'000);
    sim::v1::CreditResponse resp;
    ASSERT_TRUE(control_->Credit(&ctx, req, &resp).ok());
  }
  grpc::ClientContext rctx;
  positions::v1::ReconcileResponse rresp;
  ASSERT_TRUE(admin->Reconcile(&rctx, {}, &rresp).ok());
  grpc::ClientContext lctx;
  positions::v1::ListDiscrepanciesRequest lreq;
  positions::v1::ListDiscrepanciesResponse list;
  ASSERT_TRUE(admin->ListDiscrepancies(&lctx, lreq, &list).ok());
  std::set<std::string> sources;
  for (const auto& d : list.discrepancies()) {
    EXPECT_TRUE(d.token_id().empty()) << d.detail();
    EXPECT_EQ(d.theirs_micros() - d.ours_micros(), 25'000'000) << d.detail();
    sources.insert(d.source());
  }
  EXPECT_EQ(sources, (std::set<std::string>{"exchange", "chain"}));
  // The ledger kept its own number: it is the truth minus the deposit it never saw.
  grpc::ClientContext gctx;
  positions::v1::GetPositionsResponse after;
  ASSERT_TRUE(admin->GetPositions(&gctx, {}, &after).ok());
  EXPECT_EQ(after.collateral().provisional_micros(), Truth().collateral_micros() - 25'000'000);
  EXPECT_EQ(*pos->Stop(SIGTERM, 10 * kNanosPerSecond), 0);
}

}  // namespace
}  // namespace clobmaker::itest
