// marketdata against the simulator with market-channel faults (dropped connections, duplicated
// and reordered frames) and tick-size changes mid-stream: once the market goes quiet, every book
// marketdata holds (and publishes) equals the simulator's book, level for level.
#include <gtest/gtest.h>

#include <csignal>
#include <map>
#include <mutex>
#include <thread>

#include "clobmaker/marketdata/v1/marketdata.grpc.pb.h"
#include "integration_tests/support/stack_fixture.h"

namespace clobmaker::itest {
namespace {

using Levels = std::vector<std::pair<int64_t, int64_t>>;

Levels ToLevels(const google::protobuf::RepeatedPtrField<common::v1::Level>& levels) {
  Levels out;
  for (const auto& l : levels) out.emplace_back(l.price_units(), l.size_micros());
  return out;
}

class MarketDataBooksTest : public StackTest {
 protected:
  std::vector<std::string> SimArgs() const override {
    return {"--listen", "127.0.0.1:0", "--grpc-listen", "127.0.0.1:0", "--markets", "3", "--seed", "21"};
  }

  std::vector<common::v1::MarketRef> Markets() {
    grpc::ClientContext ctx;
    sim::v1::MarketsResponse markets;
    EXPECT_TRUE(truth_->Markets(&ctx, {}, &markets).ok());
    return {markets.markets().begin(), markets.markets().end()};
  }

  sim::v1::BookResponse Truth(const std::string& token) {
    grpc::ClientContext ctx;
    sim::v1::BookRequest req;
    req.set_token_id(token);
    sim::v1::BookResponse book;
    EXPECT_TRUE(truth_->Book(&ctx, req, &book).ok());
    return book;
  }

  void SetFaults(double duplicate, double reorder, double drop) {
    grpc::ClientContext ctx;
    sim::v1::SetFaultsRequest req;
    req.mutable_faults()->set_ws_duplicate_probability(duplicate);
    req.mutable_faults()->set_ws_reorder_probability(reorder);
    req.mutable_faults()->set_ws_drop_probability(drop);
    sim::v1::SetFaultsResponse resp;
    ASSERT_TRUE(control_->SetFaults(&ctx, req, &resp).ok());
  }

  void SetTick(const std::string& token, int64_t units) {
    grpc::ClientContext ctx;
    sim::v1::SetTickSizeRequest req;
    req.set_token_id(token);
    req.set_tick_units(units);
    sim::v1::SetTickSizeResponse resp;
    ASSERT_TRUE(control_->SetTickSize(&ctx, req, &resp).ok());
  }

  void SetFlow(bool enabled) {
    grpc::ClientContext ctx;
    sim::v1::SetFlowRequest req;
    req.set_enabled(enabled);
    sim::v1::SetFlowResponse resp;
    ASSERT_TRUE(control_->SetFlow(&ctx, req, &resp).ok());
  }
};

TEST_F(MarketDataBooksTest, AfterQuietEveryBookEqualsTheSimulatorsDespiteFaults) {
  // What marketdata publishes, latest per token (the coalesced, latest-wins contract).
  std::mutex mu;
  std::map<std::string, marketdata::v1::Book> published;
  std::vector<marketdata::v1::TickSizeChange> ticks;
  auto books_sub = conn_->Subscribe(std::string(bus::kBookWildcard), [&](nats::Message m) {
    marketdata::v1::Book b;
    if (!b.ParseFromString(m.data)) return;
    std::lock_guard lock(mu);
    published[b.token_id()] = b;
  });
  ASSERT_TRUE(books_sub.ok());
  auto ticks_sub = conn_->Subscribe(std::string(bus::kTickWildcard), [&](nats::Message m) {
    marketdata::v1::TickSizeChange t;
    if (!t.ParseFromString(m.data)) return;
    std::lock_guard lock(mu);
    ticks.push_back(t);
  });
  ASSERT_TRUE(ticks_sub.ok());

  ChildProcess md(testing::BinDir() + "/marketdata", {"--nats", nats_.url(), "--clob-url", clob_url_, "--all-markets",
                                                      "--admin-listen", "127.0.0.1:0", "--verify-quiet-ms", "500"});
  ASSERT_TRUE(md.Start().ok());
  const std::string address = AdminAddress(md);
  ASSERT_FALSE(address.empty());
  auto admin =
      marketdata::v1::MarketDataAdmin::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  const auto markets = Markets();
  ASSERT_EQ(markets.size(), 3u);

  // Flow with faults on the market channel, and tick-size changes mid-stream.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  SetFaults(/*duplicate=*/0.05, /*reorder=*/0.05, /*drop=*/0.003);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  SetTick(markets[0].yes_token_id(), 10);  // 0.01 -> 0.001
  std::this_thread::sleep_for(std::chrono::seconds(2));
  SetTick(markets[1].no_token_id(), 10);
  std::this_thread::sleep_for(std::chrono::seconds(3));

  // Quiet: no more flow, no more faults (a frame held back for reordering may never come).
  SetFaults(0, 0, 0);
  SetFlow(false);

  std::vector<std::string> tokens;
  for (const auto& m : markets) {
    tokens.push_back(m.yes_token_id());
    tokens.push_back(m.no_token_id());
  }
  std::string last_difference;
  bool equal = false;
  for (int attempt = 0; attempt < 150 && !equal; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    equal = true;
    for (const std::string& token : tokens) {
      const sim::v1::BookResponse truth = Truth(token);
      grpc::ClientContext ctx;
      marketdata::v1::GetBookRequest req;
      req.set_token_id(token);
      marketdata::v1::Book ours;
      if (!admin->GetBook(&ctx, req, &ours).ok()) {
        equal = false;
        last_difference = "GetBook failed for " + token;
        break;
      }
      marketdata::v1::Book seen;
      {
        std::lock_guard lock(mu);
        seen = published[token];
      }
      const bool same = !ours.resyncing() && ToLevels(ours.bids()) == ToLevels(truth.bids()) &&
                        ToLevels(ours.asks()) == ToLevels(truth.asks()) &&
                        ToLevels(seen.bids()) == ToLevels(truth.bids()) &&
                        ToLevels(seen.asks()) == ToLevels(truth.asks());
      if (!same) {
        equal = false;
        last_difference = fmt::format("token {}: ours {}x{} levels (resyncing {}), published {}x{}, truth {}x{}", token,
                                      ours.bids_size(), ours.asks_size(), ours.resyncing(), seen.bids_size(),
                                      seen.asks_size(), truth.bids_size(), truth.asks_size());
        break;
      }
    }
  }
  grpc::ClientContext ctx;
  common::v1::ServiceStatus status;
  ASSERT_TRUE(admin->Status(&ctx, {}, &status).ok());
  std::string counters;
  for (const char* name :
       {"frames", "price_changes", "ws_snapshots", "rest_snapshots", "resyncs", "verifications", "verify_mismatches",
        "verify_overtaken", "superseded", "tick_changes", "market_ws_reconnects", "books_published"}) {
    counters += fmt::format("{}={} ", name, status.counters().at(name));
  }
  std::printf("marketdata after the faults: %s\n", counters.c_str());
  EXPECT_TRUE(equal) << last_difference << "\n" << counters;
  EXPECT_TRUE(status.ready()) << status.not_ready_reason();
  EXPECT_EQ(status.counters().at("tick_changes"), 4);          // both tokens of each market
  EXPECT_GT(status.counters().at("market_ws_reconnects"), 0);  // the drop fault cut the connection
  std::lock_guard lock(mu);
  EXPECT_EQ(ticks.size(), 4u);
  for (const auto& t : ticks) EXPECT_EQ(t.new_tick_units(), 10);
}

TEST_F(MarketDataBooksTest, SubscribesBySlugOrTokenAndRefusesUnknownMarkets) {
  const auto markets = Markets();
  ChildProcess md(testing::BinDir() + "/marketdata", {"--nats", nats_.url(), "--clob-url", clob_url_, "--market",
                                                      markets[0].slug(), "--admin-listen", "127.0.0.1:0"});
  ASSERT_TRUE(md.Start().ok());
  const std::string address = AdminAddress(md);
  ASSERT_FALSE(address.empty());
  auto admin =
      marketdata::v1::MarketDataAdmin::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  // By token id at run time.
  {
    grpc::ClientContext ctx;
    marketdata::v1::SubscribeMarketRequest req;
    req.set_token_id(markets[1].no_token_id());
    marketdata::v1::SubscribeMarketResponse resp;
    ASSERT_TRUE(admin->SubscribeMarket(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.market().condition_id(), markets[1].condition_id());
  }
  {
    grpc::ClientContext ctx;
    marketdata::v1::SubscribeMarketRequest req;
    req.set_slug("no-such-market");
    marketdata::v1::SubscribeMarketResponse resp;
    const grpc::Status st = admin->SubscribeMarket(&ctx, req, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND) << st.error_message();
  }
  // Both markets' metadata, from the API and from KV CM_MARKETS.
  bool listed = false;
  for (int i = 0; i < 50 && !listed; ++i) {
    grpc::ClientContext ctx;
    marketdata::v1::ListMarketsResponse resp;
    ASSERT_TRUE(admin->ListMarkets(&ctx, {}, &resp).ok());
    listed = resp.markets_size() == 2;
    if (!listed) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(listed);
  auto js = nats::JetStream::Create(*conn_);
  ASSERT_TRUE(js.ok());
  auto kv = (*js)->EnsureKeyValue({.bucket = std::string(bus::kMarketsBucket)});
  ASSERT_TRUE(kv.ok());
  bool stored = false;
  for (int i = 0; i < 50 && !stored; ++i) {
    auto entry = (*kv)->Get(markets[1].condition_id());
    if (entry.ok()) {
      marketdata::v1::MarketInfo info;
      ASSERT_TRUE(info.ParseFromString(entry->value));
      EXPECT_EQ(info.market().no_token_id(), markets[1].no_token_id());
      EXPECT_EQ(info.tick_units(), 100);
      EXPECT_GT(info.end_time_ms(), 0);
      stored = true;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  EXPECT_TRUE(stored);
  // Unsubscribe: the book goes away.
  {
    grpc::ClientContext ctx;
    marketdata::v1::UnsubscribeMarketRequest req;
    req.set_condition_id(markets[1].condition_id());
    marketdata::v1::UnsubscribeMarketResponse resp;
    ASSERT_TRUE(admin->UnsubscribeMarket(&ctx, req, &resp).ok());
    grpc::ClientContext get_ctx;
    marketdata::v1::GetBookRequest get;
    get.set_token_id(markets[1].no_token_id());
    marketdata::v1::Book book;
    EXPECT_EQ(admin->GetBook(&get_ctx, get, &book).error_code(), grpc::StatusCode::NOT_FOUND);
  }
  // A process with no markets configured refuses to start.
  ChildProcess bad(testing::BinDir() + "/marketdata", {"--nats", nats_.url(), "--clob-url", clob_url_});
  ASSERT_TRUE(bad.Start().ok());
  for (int i = 0; i < 100 && bad.running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto code = bad.Stop(SIGTERM, kNanosPerSecond);
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 2);
}

}  // namespace
}  // namespace clobmaker::itest
