// The execution binary for real: nats-server with JetStream, simexchange and execution as
// separate processes on loopback ports chosen at run time. Covers the ladder -> signed post-only
// orders path, CM_ORDERS, CM_USER through the durable consumer, the kill switch, the single-writer
// lease with a standby taking over after a kill -9 (start-up cancel-all clears what the dead
// instance left), and shutdown cancelling every order.
#include <csignal>

#include "clobmaker/user/v1/user.pb.h"
#include "common/testing/eventually.h"
#include "integration_tests/support/stack_fixture.h"

namespace clobmaker {
namespace {

using itest::ChildProcess;
constexpr Nanos kSec = kNanosPerSecond;

class ExecutionProcessTest : public itest::StackTest {
 protected:
  // Every order of ours the exchange ever had (closed ones too) and every placement it refused:
  // together, everything we ever posted.
  std::vector<sim::v1::TruthOrder> AllOurOrders() {
    grpc::ClientContext ctx;
    sim::v1::OpenOrdersRequest req;
    req.set_address(address_);
    req.set_include_closed(true);
    sim::v1::OpenOrdersResponse resp;
    EXPECT_TRUE(truth_->OpenOrders(&ctx, req, &resp).ok());
    return {resp.orders().begin(), resp.orders().end()};
  }
  int64_t Refused() {
    grpc::ClientContext ctx;
    sim::v1::RefusalsRequest req;
    req.set_address(address_);
    sim::v1::RefusalsResponse resp;
    EXPECT_TRUE(truth_->Refusals(&ctx, req, &resp).ok());
    int64_t n = 0;
    for (const auto& [error, count] : resp.by_error()) n += count;
    return n;
  }
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
    const auto all = AllOurOrders();
    ASSERT_GE(all.size(), 4u);
    for (const auto& o : all) EXPECT_TRUE(o.post_only()) << "as the exchange received it: " << o.order_id();
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
  EXPECT_FALSE(Status(*admin).service().ready());
  EXPECT_TRUE(Status(*admin).killed());
  // No post until reset, judged at the exchange once execution has taken the new ladder in (an
  // event: its ladder counter rose), not after a fixed sleep.
  {
    const size_t placed = AllOurOrders().size();
    const int64_t refused = Refused();
    const int64_t ladders = Status(*admin).service().counters().at("ladders");
    PublishLadder(sequence++, 3);
    ASSERT_TRUE(testing::Eventually([&] { return Status(*admin).service().counters().at("ladders") > ladders; },
                                    std::chrono::seconds(10), std::chrono::milliseconds(50)));
    // A heartbeat sent after that and answered: a post made with the ladder would have been sent
    // before it, and has landed by now.
    const int64_t heartbeats = Status(*admin).service().counters().at("heartbeats_ok");
    ASSERT_TRUE(
        testing::Eventually([&] { return Status(*admin).service().counters().at("heartbeats_ok") > heartbeats; },
                            std::chrono::seconds(15), std::chrono::milliseconds(100)));
    EXPECT_EQ(AllOurOrders().size(), placed) << "an order reached the exchange while killed";
    EXPECT_EQ(Refused(), refused) << "a post reached the exchange while killed";
  }
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
  EXPECT_EQ(log.find(key_hex_), std::string::npos) << "the key is never printed";
}

}  // namespace
}  // namespace clobmaker
