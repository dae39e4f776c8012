// strategy with its real neighbours: nats-server, simexchange (with flow), marketdata, execution
// and strategy binaries. Positions are published by the test (standing in for the positions
// service, which has its own test). Quotes go live at the exchange, post-only, never crossing;
// parameters change at run time (a bad value is refused with its reason); a kill empties the
// ladder and the exchange.
#include <gtest/gtest.h>

#include <csignal>
#include <map>
#include <optional>
#include <thread>

#include "clobmaker/marketdata/v1/marketdata.pb.h"
#include "clobmaker/positions/v1/positions.pb.h"
#include "clobmaker/strategy/v1/strategy.grpc.pb.h"
#include "common/testing/eventually.h"
#include "integration_tests/support/stack_fixture.h"

namespace clobmaker::itest {
namespace {

class StrategyProcessTest : public StackTest {
 protected:
  std::vector<std::string> SimArgs() const override {
    return {"--listen", "127.0.0.1:0", "--grpc-listen", "127.0.0.1:0", "--markets", "1", "--seed", "5"};
  }

  void PublishPositions() {
    for (const std::string& token : {market_.yes_token_id(), market_.no_token_id()}) {
      positions::v1::Position p;
      p.set_token_id(token);
      p.set_condition_id(market_.condition_id());
      p.set_provisional_micros(1'000'000'000);
      p.set_settled_micros(1'000'000'000);
      ASSERT_TRUE(conn_->Publish(bus::PositionsSubject(token), p.SerializeAsString()).ok());
    }
  }

  // Every order of ours the exchange ever had, closed ones too.
  std::vector<sim::v1::TruthOrder> AllOurOrders() {
    grpc::ClientContext ctx;
    sim::v1::OpenOrdersRequest req;
    req.set_address(address_);
    req.set_include_closed(true);
    sim::v1::OpenOrdersResponse resp;
    EXPECT_TRUE(truth_->OpenOrders(&ctx, req, &resp).ok());
    return {resp.orders().begin(), resp.orders().end()};
  }

  // Waits until `pred` holds for our open orders at the exchange.
  bool WaitOrders(const std::function<bool(const std::vector<sim::v1::TruthOrder>&)>& pred, int seconds) {
    for (int i = 0; i < seconds * 10; ++i) {
      if (pred(OpenAtExchange())) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
};

TEST_F(StrategyProcessTest, QuotesGoLiveMakerOnlyFollowParametersAndStopOnKill) {
  std::vector<std::unique_ptr<ChildProcess>> procs;
  auto md = std::make_unique<ChildProcess>(testing::BinDir() + "/marketdata",
                                           std::vector<std::string>{"--nats", nats_.url(), "--clob-url", clob_url_,
                                                                    "--all-markets", "--admin-listen", "127.0.0.1:0"});
  ASSERT_TRUE(md->Start().ok());
  ASSERT_TRUE(md->WaitForLine("admin API on", 30 * kNanosPerSecond).ok());
  auto exec = StartExecution("a");
  auto exec_admin = Admin(*exec);
  ASSERT_NE(exec_admin, nullptr);
  auto strat = StartService("strategy", {"--all-markets"});
  const std::string strat_address = AdminAddress(*strat);
  ASSERT_FALSE(strat_address.empty());
  auto admin =
      strategy::v1::StrategyAdmin::NewStub(grpc::CreateChannel(strat_address, grpc::InsecureChannelCredentials()));

  // Without positions nothing is quoted: once strategy has judged the market (the gate is
  // closed for that reason, an event, not a fixed sleep), nothing was ever posted at the exchange.
  ASSERT_TRUE(testing::Eventually(
      [&] {
        grpc::ClientContext ctx;
        strategy::v1::ListMarketsResponse resp;
        if (!admin->ListMarkets(&ctx, {}, &resp).ok() || resp.markets_size() != 1) return false;
        for (const auto& g : resp.markets(0).gates_closed()) {
          if (g == "positions unknown") return true;
        }
        return false;
      },
      std::chrono::seconds(20), std::chrono::milliseconds(100)));
  EXPECT_TRUE(AllOurOrders().empty()) << "posted without positions";
  PublishPositions();
  // Six quotes (3 levels a side) live at the exchange, all post-only, none crossing the book.
  ASSERT_TRUE(WaitOrders([](const auto& open) { return open.size() == 6; }, 20))
      << "open orders: " << OpenAtExchange().size() << "\n"
      << strat->log();
  {
    // In YES terms (a NO bid is a YES ask at 1 - p), against everyone else's best on the YES book.
    const auto open = OpenAtExchange();
    int64_t our_best_bid = 0, our_best_ask = 10'000;
    std::map<int64_t, int64_t> ours_bid, ours_ask;  // YES price -> our remaining there
    for (const auto& o : open) {
      const bool yes = o.token_id() == market_.yes_token_id();
      const bool bid = (o.side() == common::v1::SIDE_BUY) == yes;
      const int64_t yes_price = yes ? o.price_units() : 10'000 - o.price_units();
      (bid ? ours_bid : ours_ask)[yes_price] += o.original_size_micros() - o.matched_size_micros();
      if (bid) our_best_bid = std::max(our_best_bid, yes_price);
      if (!bid) our_best_ask = std::min(our_best_ask, yes_price);
    }
    grpc::ClientContext ctx;
    sim::v1::BookRequest req;
    req.set_token_id(market_.yes_token_id());
    sim::v1::BookResponse book;
    ASSERT_TRUE(truth_->Book(&ctx, req, &book).ok());
    std::optional<int64_t> others_bid, others_ask;
    for (const auto& l : book.bids()) {
      if (!others_bid && l.size_micros() > ours_bid[l.price_units()]) others_bid = l.price_units();
    }
    for (const auto& l : book.asks()) {
      if (!others_ask && l.size_micros() > ours_ask[l.price_units()]) others_ask = l.price_units();
    }
    EXPECT_LT(our_best_bid, our_best_ask);
    ASSERT_TRUE(others_bid && others_ask) << "the background maker quotes both sides";
    EXPECT_LT(our_best_bid, *others_ask) << "our bid would cross the book";
    EXPECT_GT(our_best_ask, *others_bid) << "our ask would cross the book";
  }
  // Run-time parameters: a bad value is refused with its reason; a good one changes the ladder.
  {
    grpc::ClientContext ctx;
    strategy::v1::SetParamsRequest req;
    req.set_condition_id(market_.condition_id());
    (*req.mutable_values())["levels"] = "99";
    strategy::v1::SetParamsResponse resp;
    const grpc::Status st = admin->SetParams(&ctx, req, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(st.error_message().find("levels"), std::string::npos) << st.error_message();
  }
  {
    grpc::ClientContext ctx;
    strategy::v1::SetParamsRequest req;
    req.set_condition_id(market_.condition_id());
    (*req.mutable_values())["levels"] = "1";
    strategy::v1::SetParamsResponse resp;
    ASSERT_TRUE(admin->SetParams(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.params().levels(), 1u);
  }
  ASSERT_TRUE(WaitOrders([](const auto& open) { return open.size() == 2; }, 20))
      << "open orders: " << OpenAtExchange().size();
  // Every order execution ever posted was post-only, as the exchange received it.
  {
    const auto all = AllOurOrders();
    ASSERT_GT(all.size(), 0u);
    for (const auto& o : all) EXPECT_TRUE(o.post_only()) << o.order_id();
  }
  // Kill: strategy's ladder is gated and nothing stays live.
  {
    grpc::ClientContext ctx;
    orders::v1::KillRequest req;
    req.set_reason("test");
    orders::v1::KillResponse resp;
    ASSERT_TRUE(exec_admin->Kill(&ctx, req, &resp).ok());
  }
  ASSERT_TRUE(WaitOrders([](const auto& open) { return open.empty(); }, 20));
  bool gated = false;
  for (int i = 0; i < 50 && !gated; ++i) {
    grpc::ClientContext ctx;
    strategy::v1::ListMarketsResponse resp;
    ASSERT_TRUE(admin->ListMarkets(&ctx, {}, &resp).ok());
    for (const auto& g : resp.markets(0).gates_closed()) gated |= g == "execution killed";
    if (!gated) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(gated);
  grpc::ClientContext ctx;
  common::v1::ServiceStatus status;
  ASSERT_TRUE(admin->Status(&ctx, {}, &status).ok());
  EXPECT_GT(status.counters().at("order_events"), 0);  // the reward engine read CM_ORDERS
  EXPECT_GT(status.counters().at("ladders"), 0);
  auto code = strat->Stop(SIGTERM, 10 * kNanosPerSecond);
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0);
}

}  // namespace
}  // namespace clobmaker::itest
