// A small stack for process tests: a real nats-server with JetStream, simexchange on ports
// chosen at run time, a throwaway wallet key file (owner-only), and helpers to start service
// binaries, publish desired ladders and read the simulator's truth.
#pragma once

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <regex>

#include "clobmaker/orders/v1/orders.grpc.pb.h"
#include "clobmaker/sim/v1/sim.grpc.pb.h"
#include "clobmaker/strategy/v1/strategy.pb.h"
#include "common/bus/subjects.h"
#include "common/core/executor.h"
#include "common/crypto/crypto.h"
#include "common/nats/nats.h"
#include "common/testing/child_process.h"
#include "common/testing/nats_server.h"

namespace clobmaker::itest {

using testing::ChildProcess;
// A fresh throwaway wallet key per test run: no key is ever committed.
inline std::string RandomKeyHex() {
  std::random_device entropy;
  std::string hex;
  for (int i = 0; i < 8; ++i) hex += fmt::format("{:08x}", entropy());
  return hex;
}

class StackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(nats_.Start().ok());
    sim_ = std::make_unique<ChildProcess>(testing::BinDir() + "/simexchange", SimArgs());
    ASSERT_TRUE(sim_->Start().ok());
    auto line = sim_->WaitForLine("simexchange listening on", 20 * kNanosPerSecond);
    ASSERT_TRUE(line.ok()) << line.status();
    std::smatch m;
    ASSERT_TRUE(std::regex_search(*line, m, std::regex(R"(listening on (http://[0-9.:]+).*grpc ([0-9.:]+);)")))
        << *line;
    clob_url_ = m[1];
    auto channel = grpc::CreateChannel(m[2], grpc::InsecureChannelCredentials());
    truth_ = sim::v1::SimTruth::NewStub(channel);
    control_ = sim::v1::SimControl::NewStub(channel);
    grpc::ClientContext ctx;
    sim::v1::MarketsResponse markets;
    ASSERT_TRUE(truth_->Markets(&ctx, {}, &markets).ok());
    ASSERT_GE(markets.markets_size(), 1);
    market_ = markets.markets(0);
    // Quote a few ticks outside the simulator's own book, so that post-only orders rest.
    grpc::ClientContext book_ctx;
    sim::v1::BookRequest book_req;
    book_req.set_token_id(market_.yes_token_id());
    sim::v1::BookResponse book;
    ASSERT_TRUE(truth_->Book(&book_ctx, book_req, &book).ok());
    best_bid_ = 100;
    best_ask_ = 9900;
    for (const auto& l : book.bids()) best_bid_ = std::max(best_bid_, l.price_units());
    for (const auto& l : book.asks()) best_ask_ = std::min(best_ask_, l.price_units());
    ASSERT_GT(best_ask_ - best_bid_, 0);

    dir_ = std::filesystem::temp_directory_path() / ("clobmaker-exec-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    key_file_ = (dir_ / "wallet.key").string();
    {
      std::ofstream out(key_file_);
      out << key_hex_ << "\n";
    }
    chmod(key_file_.c_str(), 0600);
    auto key = crypto::PrivateKey::FromHex(key_hex_);
    ASSERT_TRUE(key.ok());
    address_ = key->address().ToLower();

    auto conn = nats::Connection::Connect({.url = nats_.url(), .executor = &loop_});
    ASSERT_TRUE(conn.ok());
    conn_ = std::move(*conn);
  }

  void TearDown() override { std::filesystem::remove_all(dir_); }

  // The simulator's command line: one market, no background flow unless a test wants fills.
  virtual std::vector<std::string> SimArgs() const {
    return {"--listen", "127.0.0.1:0", "--grpc-listen", "127.0.0.1:0", "--markets", "1", "--no-flow", "--seed", "7"};
  }

  // A service binary with the stack's NATS, CLOB URL and wallet key.
  std::unique_ptr<ChildProcess> StartService(const std::string& name, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--nats",     nats_.url(), "--clob-url",     clob_url_,
                                  "--key-file", key_file_,   "--admin-listen", "127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto p = std::make_unique<ChildProcess>(testing::BinDir() + "/" + name, args);
    EXPECT_TRUE(p->Start().ok());
    return p;
  }

  // The admin address a service logged ("admin API on HOST:PORT").
  static std::string AdminAddress(const ChildProcess& p) {
    auto line = p.WaitForLine("admin API on", 60 * kNanosPerSecond);
    EXPECT_TRUE(line.ok()) << line.status();
    if (!line.ok()) return "";
    std::string rest = line->substr(line->find("admin API on ") + 13);
    return rest.substr(0, rest.find_first_of(" ;"));
  }

  std::unique_ptr<ChildProcess> StartExecution(const std::string& instance) {
    return StartService("execution", {"--instance", instance, "--lease-ttl-ms", "2000"});
  }

  std::unique_ptr<orders::v1::ExecutionAdmin::Stub> Admin(const ChildProcess& p) {
    const std::string address = AdminAddress(p);
    if (address.empty()) return nullptr;
    return orders::v1::ExecutionAdmin::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  }

  // `away` ticks outside the touch on each side.
  void PublishLadder(uint64_t sequence, int64_t away) {
    strategy::v1::DesiredLadder ladder;
    ladder.set_condition_id(market_.condition_id());
    ladder.set_ladder_sequence(sequence);
    ladder.set_tick_units(100);
    ladder.set_valid_until_ns(SystemClock::Instance().WallNanos() + 120 * kNanosPerSecond);
    for (uint32_t level = 0; level < 2; ++level) {
      auto* bid = ladder.add_orders();
      bid->set_token_id(market_.yes_token_id());
      bid->set_side(common::v1::SIDE_BUY);
      bid->set_level(level);
      bid->set_price_units(best_bid_ - 100 * (away + level));
      bid->set_size_micros(10'000'000);
      auto* ask = ladder.add_orders();
      ask->set_token_id(market_.yes_token_id());
      ask->set_side(common::v1::SIDE_SELL);
      ask->set_level(level);
      ask->set_price_units(best_ask_ + 100 * (away + level));
      ask->set_size_micros(10'000'000);
    }
    ASSERT_TRUE(conn_->Publish(bus::DesiredSubject(market_.condition_id()), ladder.SerializeAsString()).ok());
  }

  std::vector<sim::v1::TruthOrder> OpenAtExchange() {
    grpc::ClientContext ctx;
    sim::v1::OpenOrdersRequest req;
    req.set_address(address_);
    sim::v1::OpenOrdersResponse resp;
    EXPECT_TRUE(truth_->OpenOrders(&ctx, req, &resp).ok());
    return {resp.orders().begin(), resp.orders().end()};
  }

  orders::v1::ExecutionStatus Status(orders::v1::ExecutionAdmin::Stub& admin) {
    grpc::ClientContext ctx;
    orders::v1::ExecutionStatus status;
    EXPECT_TRUE(admin.Status(&ctx, {}, &status).ok());
    return status;
  }

  testing::NatsServer nats_;
  std::unique_ptr<ChildProcess> sim_;
  std::string clob_url_;
  std::unique_ptr<sim::v1::SimTruth::Stub> truth_;
  std::unique_ptr<sim::v1::SimControl::Stub> control_;
  common::v1::MarketRef market_;
  std::filesystem::path dir_;
  std::string key_file_;
  std::string key_hex_ = RandomKeyHex();
  std::string address_;
  int64_t best_bid_ = 0;
  int64_t best_ask_ = 0;
  ThreadExecutor loop_;
  std::unique_ptr<nats::Connection> conn_;
};

}  // namespace clobmaker::itest
