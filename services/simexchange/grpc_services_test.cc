// The control and truth gRPC services over a running simulator, through a real gRPC channel.
#include "services/simexchange/grpc_services.h"

#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

namespace clobmaker::simexchange {
namespace {

namespace pb = clobmaker::sim::v1;

class GrpcServicesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sim = SimServer::Start({.seed = 9, .flow = false});
    ASSERT_TRUE(sim.ok());
    sim_ = std::move(*sim);
    const auto authorizer = grpcserver::Authorizer::Token("");
    control_ = std::make_unique<ControlService>(*sim_, authorizer);
    truth_ = std::make_unique<TruthService>(*sim_, authorizer);
    auto server = grpcserver::GrpcServer::Start({.listen = "127.0.0.1:0", .authorizer = authorizer},
                                                {control_.get(), truth_.get()});
    ASSERT_TRUE(server.ok());
    server_ = std::move(*server);
    auto channel = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
    control_stub_ = pb::SimControl::NewStub(channel);
    truth_stub_ = pb::SimTruth::NewStub(channel);
  }

  std::unique_ptr<SimServer> sim_;
  std::unique_ptr<ControlService> control_;
  std::unique_ptr<TruthService> truth_;
  std::unique_ptr<grpcserver::GrpcServer> server_;
  std::unique_ptr<pb::SimControl::Stub> control_stub_;
  std::unique_ptr<pb::SimTruth::Stub> truth_stub_;
};

TEST_F(GrpcServicesTest, TruthShowsMarketsBooksAndTheEnvironmentsOrders) {
  grpc::ClientContext ctx;
  pb::MarketsResponse markets;
  ASSERT_TRUE(truth_stub_->Markets(&ctx, pb::MarketsRequest(), &markets).ok());
  ASSERT_EQ(markets.markets_size(), 3);
  grpc::ClientContext book_ctx;
  pb::BookRequest book_req;
  book_req.set_token_id(markets.markets(0).yes_token_id());
  pb::BookResponse book;
  ASSERT_TRUE(truth_stub_->Book(&book_ctx, book_req, &book).ok());
  EXPECT_GT(book.bids_size(), 0);
  EXPECT_EQ(book.tick_units(), 100);
  grpc::ClientContext orders_ctx;
  pb::OpenOrdersResponse orders;
  ASSERT_TRUE(truth_stub_->OpenOrders(&orders_ctx, pb::OpenOrdersRequest(), &orders).ok());
  EXPECT_GT(orders.orders_size(), 0);  // the background maker's ladder
}

// Another participant's order moved onto the book through the control API; the truth shows each
// trade's side for the queried address and each order's post-only flag, closed orders too.
TEST_F(GrpcServicesTest, PlacedOrdersTradeAndTheTruthShowsSidesAndPostOnly) {
  grpc::ClientContext ctx;
  pb::MarketsResponse markets;
  ASSERT_TRUE(truth_stub_->Markets(&ctx, pb::MarketsRequest(), &markets).ok());
  const std::string token = markets.markets(0).yes_token_id();
  grpc::ClientContext book_ctx;
  pb::BookRequest book_req;
  book_req.set_token_id(token);
  pb::BookResponse book;
  ASSERT_TRUE(truth_stub_->Book(&book_ctx, book_req, &book).ok());
  ASSERT_GT(book.asks_size(), 0);
  const auto place = [&](common::v1::Side side, int64_t price) {
    grpc::ClientContext c;
    pb::PlaceOrderRequest req;
    req.set_token_id(token);
    req.set_side(side);
    req.set_price_units(price);
    req.set_size_micros(10'000'000);
    pb::PlaceOrderResponse res;
    EXPECT_TRUE(control_stub_->PlaceOrder(&c, req, &res).ok());
    return res;
  };
  const pb::PlaceOrderResponse taken = place(common::v1::SIDE_BUY, book.asks(0).price_units());  // crosses: takes
  ASSERT_TRUE(taken.success()) << taken.error();
  const pb::PlaceOrderResponse resting = place(common::v1::SIDE_SELL, 9900);
  ASSERT_TRUE(resting.success()) << resting.error();
  const auto trades_of = [&](const std::string& address) {
    grpc::ClientContext c;
    pb::TradesRequest req;
    req.set_address(address);
    pb::TradesResponse res;
    EXPECT_TRUE(truth_stub_->Trades(&c, req, &res).ok());
    return res;
  };
  const pb::TradesResponse ours = trades_of(kTestMakerAddress);
  ASSERT_EQ(ours.trades_size(), 1);
  EXPECT_EQ(ours.trades(0).taker_order_id(), taken.order_id());
  EXPECT_EQ(ours.trades(0).trader_side(), "TAKER");
  const pb::TradesResponse flow = trades_of("0x00000000000000000000000000000000000f10a1");  // the background maker
  ASSERT_EQ(flow.trades_size(), 1);
  EXPECT_EQ(flow.trades(0).trader_side(), "MAKER");
  {
    grpc::ClientContext c;
    pb::OpenOrdersRequest req;
    req.set_address(kTestMakerAddress);
    req.set_include_closed(true);
    pb::OpenOrdersResponse res;
    ASSERT_TRUE(truth_stub_->OpenOrders(&c, req, &res).ok());
    ASSERT_EQ(res.orders_size(), 2) << "the matched order too";
    for (const auto& o : res.orders()) EXPECT_FALSE(o.post_only());
  }
  grpc::ClientContext cancel_ctx;
  pb::CancelPlacedOrdersResponse canceled;
  ASSERT_TRUE(control_stub_->CancelPlacedOrders(&cancel_ctx, {}, &canceled).ok());
  EXPECT_EQ(canceled.canceled(), 1u);
}

TEST_F(GrpcServicesTest, ControlValidatesAndApplies) {
  {
    grpc::ClientContext ctx;
    pb::SetFaultsRequest req;
    req.mutable_faults()->set_http_429_probability(1.5);
    pb::SetFaultsResponse res;
    EXPECT_EQ(control_stub_->SetFaults(&ctx, req, &res).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  {
    grpc::ClientContext ctx;
    pb::SetFaultsRequest req;
    req.mutable_faults()->set_timeout_after_accept_probability(0.25);
    auto* latency = req.mutable_faults()->add_latency();
    latency->set_endpoint("POST /order");
    latency->set_median_us(500);
    pb::SetFaultsResponse res;
    ASSERT_TRUE(control_stub_->SetFaults(&ctx, req, &res).ok());
    const Faults f = sim_->faults();
    EXPECT_DOUBLE_EQ(f.timeout_after_accept, 0.25);
    EXPECT_EQ(f.latency_median.at("POST /order"), 500 * kNanosPerMicro);
  }
  {
    grpc::ClientContext ctx;
    pb::SetTickSizeRequest req;
    req.set_token_id(sim_->Markets().at(0).yes_token);
    req.set_tick_units(7);
    pb::SetTickSizeResponse res;
    EXPECT_EQ(control_stub_->SetTickSize(&ctx, req, &res).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  {
    grpc::ClientContext ctx;
    pb::SetTickSizeRequest req;
    req.set_token_id(sim_->Markets().at(0).yes_token);
    req.set_tick_units(10);
    pb::SetTickSizeResponse res;
    ASSERT_TRUE(control_stub_->SetTickSize(&ctx, req, &res).ok());
    EXPECT_EQ(sim_->Book(sim_->Markets().at(0).yes_token).tick_size->units(), 10);
  }
  {
    grpc::ClientContext ctx;
    pb::BurstRequest req;
    req.set_http_status(418);
    pb::BurstResponse res;
    EXPECT_EQ(control_stub_->Burst(&ctx, req, &res).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  {
    grpc::ClientContext ctx;
    pb::SetOrderVersionRequest req;
    req.set_version(3);
    pb::SetOrderVersionResponse res;
    ASSERT_TRUE(control_stub_->SetOrderVersion(&ctx, req, &res).ok());
    int version = 0;
    sim_->WithExchange([&](Exchange& ex) { version = ex.config().order_version; });
    EXPECT_EQ(version, 3);
  }
  for (const auto& [policy, owner] :
       {std::pair{"deposit", "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"}, std::pair{"deposit-only", "0x7E5F45"}}) {
    grpc::ClientContext ctx;
    pb::SetWalletPolicyRequest req;
    req.set_policy(policy);
    req.add_legacy_owners(owner);
    pb::SetWalletPolicyResponse res;
    EXPECT_EQ(control_stub_->SetWalletPolicy(&ctx, req, &res).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(sim_->wallet_policy(), WalletPolicy::kLegacy) << "a refused request changes nothing";
  }
  {
    grpc::ClientContext ctx;
    pb::SetWalletPolicyRequest req;
    req.set_policy("deposit-only");
    req.add_legacy_owners("0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf");
    pb::SetWalletPolicyResponse res;
    ASSERT_TRUE(control_stub_->SetWalletPolicy(&ctx, req, &res).ok());
    EXPECT_EQ(sim_->wallet_policy(), WalletPolicy::kDepositOnly);
    EXPECT_EQ(sim_->legacy_owners(), std::set<std::string>{"0x7e5f4552091a69125d5dfcb7b8c2659029395bdf"});
  }
}

}  // namespace
}  // namespace clobmaker::simexchange
