// userstream for real, under forced reconnects (issue 7): our quotes rest at the simulator, its
// background flow trades against them, and the user channel is dropped 100 times meanwhile.
// Afterwards every trade the simulator says we were part of is on CM_USER with its final status,
// and no (trade, status) was delivered twice to a consumer.
#include <chrono>
#include <map>
#include <thread>

#include "clobmaker/user/v1/user.grpc.pb.h"
#include "common/testing/eventually.h"
#include "integration_tests/support/stack_fixture.h"

namespace clobmaker {
namespace {

constexpr Nanos kSec = kNanosPerSecond;

class UserStreamProcessTest : public itest::StackTest {
 protected:
  std::vector<std::string> SimArgs() const override {
    return {"--listen", "127.0.0.1:0", "--grpc-listen", "127.0.0.1:0", "--markets", "1", "--seed", "11"};
  }
};

std::string StatusName(user::v1::TradeStatus s) {
  switch (s) {
    case user::v1::TRADE_STATUS_MATCHED:
      return "MATCHED";
    case user::v1::TRADE_STATUS_MINED:
      return "MINED";
    case user::v1::TRADE_STATUS_CONFIRMED:
      return "CONFIRMED";
    case user::v1::TRADE_STATUS_RETRYING:
      return "RETRYING";
    case user::v1::TRADE_STATUS_FAILED:
      return "FAILED";
    default:
      return "?";
  }
}

TEST_F(UserStreamProcessTest, HundredForcedReconnectsLoseAndDoubleNothing) {
  auto execution = StartExecution("only");
  auto userstream = StartService("userstream");
  ASSERT_FALSE(AdminAddress(*execution).empty());
  const std::string us_admin = AdminAddress(*userstream);
  ASSERT_FALSE(us_admin.empty());
  auto status_stub =
      user::v1::UserStreamAdmin::NewStub(grpc::CreateChannel(us_admin, grpc::InsecureChannelCredentials()));

  auto js = nats::JetStream::Create(*conn_);
  ASSERT_TRUE(js.ok());
  ASSERT_TRUE((*js)
                  ->EnsureStream({.name = "CM_USER",
                                  .subjects = {"cm.user.>"},
                                  .duplicate_window = bus::kUserDuplicateWindowSeconds * kSec})
                  .ok());
  auto consumer = (*js)->Consumer(bus::kUserStream, "reconnect-test", {.filter_subject = "cm.user.trade.>"});
  ASSERT_TRUE(consumer.ok());
  std::map<std::string, int> delivered;  // trade id + status -> deliveries
  const auto drain = [&] {
    auto batch = (*consumer)->Fetch(256, 50 * kNanosPerMilli);
    if (!batch.ok()) return;
    for (auto& m : *batch) {
      user::v1::UserTradeEvent e;
      ASSERT_TRUE(e.ParseFromString(std::string(m.data())));
      delivered[e.trade_id() + ":" + StatusName(e.status())]++;
      (void)m.Ack();
    }
  };

  // Quote inside the spread (top of the book), so the simulator's takers trade with us.
  const int64_t spread_ticks = (best_ask_ - best_bid_) / 100;
  const int64_t inside = spread_ticks >= 3 ? -1 : 0;
  uint64_t sequence = 1;
  const auto connected = [&] {
    grpc::ClientContext ctx;
    common::v1::ServiceStatus st;
    return status_stub->Status(&ctx, {}, &st).ok() && st.ready();
  };
  const auto reconnects = [&]() -> int64_t {
    grpc::ClientContext ctx;
    common::v1::ServiceStatus st;
    if (!status_stub->Status(&ctx, {}, &st).ok()) return -1;
    auto it = st.counters().find("reconnects");
    return it == st.counters().end() ? 0 : it->second;
  };
  int empty_drops = 0;
  for (int drop = 0; drop < 100; ++drop) {
    ASSERT_TRUE(testing::Eventually(connected, std::chrono::seconds(10), std::chrono::milliseconds(10)));
    const int64_t before = reconnects();
    PublishLadder(sequence++, inside);
    grpc::ClientContext ctx;
    sim::v1::DropConnectionsRequest req;
    req.set_user(true);
    sim::v1::DropConnectionsResponse resp;
    ASSERT_TRUE(control_->DropConnections(&ctx, req, &resp).ok());
    drain();
    if (resp.dropped() == 0 && ++empty_drops < 50) {  // the socket was between connections: again
      --drop;
      continue;
    }
    // The next drop only once userstream has reconnected after this one: "ready" alone can still
    // describe the connection just dropped (seen on a loaded 2-core run: 99 reconnects for 100
    // drops, two drops landing on one connection).
    ASSERT_TRUE(testing::Eventually([&] { return reconnects() > before; }, std::chrono::seconds(15),
                                    std::chrono::milliseconds(10)))
        << "drop " << drop << ": no reconnect";
  }
  ASSERT_TRUE(testing::Eventually(connected, std::chrono::seconds(10), std::chrono::milliseconds(10)));
  // Stop quoting; let every trade settle (MATCHED -> MINED -> CONFIRMED takes ~5 s) and arrive.
  {
    grpc::ClientContext ctx;
    orders::v1::KillRequest req;
    req.set_reason("test over");
    orders::v1::KillResponse resp;
    auto admin = Admin(*execution);
    ASSERT_TRUE(admin->Kill(&ctx, req, &resp).ok());
  }
  std::vector<sim::v1::TruthTrade> truth;
  EXPECT_TRUE(testing::Eventually(
      [&] {
        drain();
        grpc::ClientContext ctx;
        sim::v1::TradesRequest req;
        req.set_address(address_);
        sim::v1::TradesResponse resp;
        if (!truth_->Trades(&ctx, req, &resp).ok()) return false;
        truth.assign(resp.trades().begin(), resp.trades().end());
        for (const auto& t : truth) {
          if (t.status() != "CONFIRMED" && t.status() != "FAILED") return false;
          if (!delivered.contains(t.trade_id() + ":" + t.status())) return false;
        }
        return true;
      },
      std::chrono::seconds(40), std::chrono::milliseconds(200)));
  EXPECT_GT(truth.size(), 0u) << "the flow should have traded with our quotes";
  for (const auto& t : truth) {
    EXPECT_TRUE(delivered.contains(t.trade_id() + ":" + t.status())) << "lost: " << t.trade_id() << " " << t.status();
  }
  for (const auto& [key, count] : delivered) EXPECT_EQ(count, 1) << "delivered twice: " << key;

  grpc::ClientContext ctx;
  common::v1::ServiceStatus status;
  ASSERT_TRUE(status_stub->Status(&ctx, {}, &status).ok());
  EXPECT_GE(status.counters().at("reconnects"), 100) << status.DebugString();
  std::printf(
      "userstream reconnect test: %zu trades at the simulator, %zu (trade, status) events delivered once each, "
      "%lld reconnects, %lld backfilled, %lld local duplicates dropped\n",
      truth.size(), delivered.size(), static_cast<long long>(status.counters().at("reconnects")),
      static_cast<long long>(status.counters().at("backfilled")),
      static_cast<long long>(status.counters().at("duplicates")));
}

}  // namespace
}  // namespace clobmaker
