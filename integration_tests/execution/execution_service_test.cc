// The execution binary for real: nats-server with JetStream, simexchange and execution as
// separate processes on loopback ports chosen at run time. Covers the ladder -> signed post-only
// orders path, CM_ORDERS, the kill switch, the single-writer lease with a standby taking over
// after a kill -9 (start-up cancel-all clears what the dead instance left), and shutdown
// cancelling every order.
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>

#include "clobmaker/orders/v1/orders.grpc.pb.h"
#include "clobmaker/sim/v1/sim.grpc.pb.h"
#include "clobmaker/strategy/v1/strategy.pb.h"
#include "clobmaker/user/v1/user.pb.h"
#include "common/bus/subjects.h"
#include "common/core/executor.h"
#include "common/crypto/crypto.h"
#include "common/nats/nats.h"
#include "common/testing/child_process.h"
#include "common/testing/eventually.h"
#include "common/testing/nats_server.h"

namespace clobmaker {
namespace {

using testing::ChildProcess;
constexpr Nanos kSec = kNanosPerSecond;
// A throwaway test key (never funded anywhere real).
constexpr char kTestKey[] = "8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba";

class ExecutionProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(nats_.Start().ok());
    sim_ = std::make_unique<ChildProcess>(
        testing::BinDir() + "/simexchange",
        std::vector<std::string>{"--listen", "127.0.0.1:0", "--grpc-listen", "127.0.0.1:0", "--markets", "1",
                                 "--no-flow", "--seed", "7"});
    ASSERT_TRUE(sim_->Start().ok());
    auto line = sim_->WaitForLine("simexchange listening on", 20 * kSec);
    ASSERT_TRUE(line.ok()) << line.status();
    std::smatch m;
    ASSERT_TRUE(std::regex_search(*line, m, std::regex(R"(listening on (http://[0-9.:]+).*grpc ([0-9.:]+);)")))
        << *line;
    clob_url_ = m[1];
    auto channel = grpc::CreateChannel(m[2], grpc::InsecureChannelCredentials());
    truth_ = sim::v1::SimTruth::NewStub(channel);
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
      out << kTestKey << "\n";
    }
    chmod(key_file_.c_str(), 0600);
    address_ = crypto::PrivateKey::FromHex(kTestKey)->address().ToLower();

    auto conn = nats::Connection::Connect({.url = nats_.url(), .executor = &loop_});
    ASSERT_TRUE(conn.ok());
    conn_ = std::move(*conn);
  }

  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<ChildProcess> StartExecution(const std::string& instance) {
    auto p = std::make_unique<ChildProcess>(
        testing::BinDir() + "/execution",
        std::vector<std::string>{"--nats", nats_.url(), "--clob-url", clob_url_, "--key-file", key_file_,
                                 "--admin-listen", "127.0.0.1:0", "--instance", instance, "--lease-ttl-ms", "2000"});
    EXPECT_TRUE(p->Start().ok());
    return p;
  }

  std::unique_ptr<orders::v1::ExecutionAdmin::Stub> Admin(const ChildProcess& p) {
    auto line = p.WaitForLine("admin API on", 60 * kSec);
    EXPECT_TRUE(line.ok()) << line.status();
    if (!line.ok()) return nullptr;
    const std::string address = line->substr(line->find("admin API on ") + 13);
    return orders::v1::ExecutionAdmin::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  }

  // `away` ticks outside the touch on each side.
  void PublishLadder(uint64_t sequence, int64_t away) {
    strategy::v1::DesiredLadder ladder;
    ladder.set_condition_id(market_.condition_id());
    ladder.set_ladder_sequence(sequence);
    ladder.set_tick_units(100);
    ladder.set_valid_until_ns(SystemClock::Instance().WallNanos() + 120 * kSec);
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
  common::v1::MarketRef market_;
  std::filesystem::path dir_;
  std::string key_file_;
  std::string address_;
  int64_t best_bid_ = 0;
  int64_t best_ask_ = 0;
  ThreadExecutor loop_;
  std::unique_ptr<nats::Connection> conn_;
};

TEST_F(ExecutionProcessTest, QuotesKillsFailsOverAndCancelsOnShutdown) {
  auto first = StartExecution("first");
  auto admin = Admin(*first);
  ASSERT_NE(admin, nullptr);
  ASSERT_TRUE(Status(*admin).service().ready());

  // A ladder in -> four post-only orders at the exchange, all known to execution.
  uint64_t sequence = 1;
  EXPECT_TRUE(testing::Eventually(
      [&] {
        PublishLadder(sequence++, 2);
        return OpenAtExchange().size() == 4;
      },
      std::chrono::seconds(20), std::chrono::milliseconds(250)));
  {
    grpc::ClientContext ctx;
    orders::v1::ListOrdersResponse live;
    ASSERT_TRUE(admin->ListOrders(&ctx, {}, &live).ok());
    EXPECT_EQ(live.orders_size(), 4);
    for (const auto& o : live.orders()) EXPECT_TRUE(o.post_only());
  }

  // Every transition is on CM_ORDERS.
  auto js = nats::JetStream::Create(*conn_);
  ASSERT_TRUE(js.ok());
  auto consumer = (*js)->Consumer(bus::kOrdersStream, "test", {});
  ASSERT_TRUE(consumer.ok());
  size_t events = 0;
  for (int i = 0; i < 10 && events < 8; ++i) {
    auto batch = (*consumer)->Fetch(100, kSec);
    if (batch.ok()) {
      for (auto& m : *batch) {
        orders::v1::OrderEvent e;
        EXPECT_TRUE(e.ParseFromString(std::string(m.data())));
        (void)m.Ack();
        ++events;
      }
    }
  }
  EXPECT_GE(events, 8u) << "created and LIVE for each of the four orders";

  // CM_USER through the durable consumer: an order event moves the order, a reconnect notice
  // makes execution reconcile with the exchange.
  {
    grpc::ClientContext ctx;
    orders::v1::ListOrdersResponse live;
    ASSERT_TRUE(admin->ListOrders(&ctx, {}, &live).ok());
    ASSERT_FALSE(live.orders().empty());
    const orders::v1::Order& target = live.orders(0);
    user::v1::UserOrderEvent update;
    update.set_type(user::v1::ORDER_EVENT_TYPE_UPDATE);
    update.set_order_id(target.order_id());
    update.set_token_id(target.token_id());
    update.set_condition_id(target.condition_id());
    update.set_side(target.side());
    update.set_price_units(target.price_units());
    update.set_original_size_micros(target.original_size_micros());
    update.set_size_matched_micros(1'000'000);
    update.set_status("LIVE");
    ASSERT_TRUE((*js)->Publish(bus::UserOrderSubject(target.token_id()), update.SerializeAsString(), "t:1").ok());
    const uint64_t reconciles_before = Status(*admin).service().counters().at("reconciles");
    ASSERT_TRUE((*js)->Publish(std::string(bus::kUserConnectedSubject), "", "t:2").ok());
    EXPECT_TRUE(testing::Eventually(
        [&] {
          grpc::ClientContext c;
          orders::v1::ListOrdersRequest req;
          req.set_include_terminal(true);
          orders::v1::ListOrdersResponse all;
          if (!admin->ListOrders(&c, req, &all).ok()) return false;
          for (const auto& o : all.orders()) {
            if (o.order_id() == target.order_id()) return o.matched_size_micros() == 1'000'000;
          }
          return false;
        },
        std::chrono::seconds(10), std::chrono::milliseconds(50)));
    EXPECT_TRUE(testing::Eventually(
        [&] { return Status(*admin).service().counters().at("reconciles") > static_cast<int64_t>(reconciles_before); },
        std::chrono::seconds(10), std::chrono::milliseconds(50)));
    user::v1::UserOrderEvent garbage;  // no type: refused and counted, never a crash
    garbage.set_order_id("0x01");
    ASSERT_TRUE((*js)->Publish(bus::UserOrderSubject("1"), garbage.SerializeAsString(), "t:3").ok());
    ASSERT_TRUE((*js)->Publish(bus::UserTradeSubject("1"), "not a protobuf \xff\xff", "t:4").ok());
    EXPECT_TRUE(testing::Eventually([&] { return Status(*admin).service().counters().at("bad_bus_messages") >= 1; },
                                    std::chrono::seconds(10), std::chrono::milliseconds(50)));
  }

  // Kill: nothing live, and no post until reset.
  {
    grpc::ClientContext ctx;
    orders::v1::KillRequest req;
    req.set_reason("integration test");
    orders::v1::KillResponse resp;
    ASSERT_TRUE(admin->Kill(&ctx, req, &resp).ok());
  }
  EXPECT_TRUE(testing::Eventually([&] { return OpenAtExchange().empty(); }, std::chrono::seconds(10),
                                  std::chrono::milliseconds(200)));
  PublishLadder(sequence++, 3);
  EXPECT_FALSE(Status(*admin).service().ready());
  EXPECT_TRUE(Status(*admin).killed());
  {
    grpc::ClientContext ctx;
    orders::v1::ResetResponse resp;
    ASSERT_TRUE(admin->Reset(&ctx, {}, &resp).ok());
  }
  EXPECT_TRUE(testing::Eventually(
      [&] {
        PublishLadder(sequence++, 3);
        return OpenAtExchange().size() == 4;
      },
      std::chrono::seconds(20), std::chrono::milliseconds(250)))
      << [&] {
           grpc::ClientContext ctx;
           orders::v1::ListOrdersRequest req;
           req.set_include_terminal(true);
           orders::v1::ListOrdersResponse all;
           (void)admin->ListOrders(&ctx, req, &all);
           std::string out;
           for (int i = 0; i < std::min(all.orders_size(), 12); ++i) out += all.orders(i).ShortDebugString() + "\n";
           return out;
         }();

  // A second instance waits as standby while the first holds the lease.
  auto second = StartExecution("second");
  ASSERT_TRUE(second->WaitForLine("standby", 30 * kSec).ok());
  // kill -9 the first: its orders stay at the exchange until the standby takes over, cancels
  // everything and verifies the book is empty.
  ASSERT_TRUE(first->Stop(SIGKILL, 5 * kSec).ok());
  auto admin2 = Admin(*second);
  ASSERT_NE(admin2, nullptr);
  EXPECT_TRUE(second->WaitForLine("lease of shard default taken", kSec).ok());
  EXPECT_TRUE(OpenAtExchange().empty()) << "start-up cancel-all verified before serving";
  EXPECT_TRUE(testing::Eventually(
      [&] {
        PublishLadder(sequence++, 4);
        return OpenAtExchange().size() == 4;
      },
      std::chrono::seconds(20), std::chrono::milliseconds(250)));
  {
    grpc::ClientContext ctx;
    orders::v1::ListOrdersResponse live;
    ASSERT_TRUE(admin2->ListOrders(&ctx, {}, &live).ok());
    std::set<std::string> ours;
    for (const auto& o : live.orders()) ours.insert(o.order_id());
    for (const auto& o : OpenAtExchange()) EXPECT_TRUE(ours.contains(o.order_id())) << "no orphan";
  }

  // SIGTERM: every order cancelled before the process exits.
  auto code = second->Stop(SIGTERM, 20 * kSec);
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0) << second->log();
  EXPECT_TRUE(OpenAtExchange().empty());
}

TEST_F(ExecutionProcessTest, RefusesAKeyFileOthersCanRead) {
  chmod(key_file_.c_str(), 0644);
  auto p = StartExecution("loose");
  auto code = p->Stop(0, 10 * kSec);  // signal 0: just wait
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 2);
  const std::string log = p->log();
  EXPECT_NE(log.find("chmod"), std::string::npos) << log;
  EXPECT_EQ(log.find(kTestKey), std::string::npos) << "the key is never printed";
}

}  // namespace
}  // namespace clobmaker
