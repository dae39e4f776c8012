// execution --dry-run (issue 25, item 3): every order is signed and logged as it would be sent,
// and nothing reaches the exchange. The negative assertion follows an event (the dry-run order
// was logged, and execution has taken the local answer for it), never a fixed sleep; it is
// checked at the simulator's truth API (every order the address ever placed, every refusal).
// The same ladders without --dry-run do reach the exchange (the test can fail).
#include <csignal>

#include "common/testing/eventually.h"
#include "integration_tests/support/stack_fixture.h"

namespace clobmaker {
namespace {

constexpr Nanos kSec = kNanosPerSecond;

class DryRunProcessTest : public itest::StackTest {
 protected:
  std::vector<sim::v1::TruthOrder> EverPlaced() {
    grpc::ClientContext ctx;
    sim::v1::OpenOrdersRequest req;
    req.set_address(address_);
    req.set_include_closed(true);
    sim::v1::OpenOrdersResponse resp;
    EXPECT_TRUE(truth_->OpenOrders(&ctx, req, &resp).ok());
    return {resp.orders().begin(), resp.orders().end()};
  }
  size_t Refusals() {
    grpc::ClientContext ctx;
    sim::v1::RefusalsRequest req;
    req.set_address(address_);
    sim::v1::RefusalsResponse resp;
    EXPECT_TRUE(truth_->Refusals(&ctx, req, &resp).ok());
    return static_cast<size_t>(resp.by_error_size());
  }
  static int64_t Counter(const orders::v1::ExecutionStatus& s, const std::string& name) {
    auto it = s.service().counters().find(name);
    return it == s.service().counters().end() ? 0 : it->second;
  }
};

TEST_F(DryRunProcessTest, OrdersAreSignedAndLoggedAndNothingReachesTheExchange) {
  auto exec = StartService("execution", {"--instance", "dry", "--lease-ttl-ms", "2000", "--dry-run"});
  auto admin = Admin(*exec);
  ASSERT_NE(admin, nullptr);
  orders::v1::ExecutionStatus status;
  ASSERT_TRUE(testing::Eventually(
      [&] {
        status = Status(*admin);
        return status.phase() == "READY";
      },
      std::chrono::seconds(30), std::chrono::milliseconds(100)))
      << status.ShortDebugString() << "\n"
      << exec->log();
  EXPECT_TRUE(status.dry_run());

  // Ladders go in until execution has logged a dry-run order and taken its local answer.
  uint64_t sequence = 1;
  ASSERT_TRUE(testing::Eventually(
      [&] {
        PublishLadder(sequence++, 2);
        status = Status(*admin);
        // Answered, whichever way: the truth check below decides whether it was sent.
        return Counter(status, "dry_run_orders") >= 4 && Counter(status, "rejected") + Counter(status, "accepted") >= 4;
      },
      std::chrono::seconds(30), std::chrono::milliseconds(250)))
      << status.ShortDebugString() << "\n"
      << exec->log();
  auto line = exec->WaitForLine("DRY-RUN order", 5 * kSec);
  ASSERT_TRUE(line.ok()) << exec->log();
  // Signed as it would be sent, the wallet key nowhere in the log.
  EXPECT_NE(line->find("\"signature\":\"0x"), std::string::npos) << *line;
  EXPECT_NE(line->find(market_.yes_token_id()), std::string::npos) << *line;
  EXPECT_EQ(exec->log().find(key_hex_), std::string::npos);

  // Nothing reached the exchange: no order ever placed there, none refused.
  EXPECT_TRUE(EverPlaced().empty());
  EXPECT_EQ(Refusals(), 0u);

  // clobmakerctl status says DRY-RUN.
  itest::ChildProcess ctl(testing::BinDir() + "/clobmakerctl",
                          {"--execution", AdminAddress(*exec), "--marketdata", "127.0.0.1:1", "--strategy",
                           "127.0.0.1:1", "--positions", "127.0.0.1:1", "--userstream", "127.0.0.1:1", "status"});
  ASSERT_TRUE(ctl.Start().ok());
  auto status_line = ctl.WaitForLine("phase=", 30 * kSec);
  ASSERT_TRUE(status_line.ok()) << ctl.log();
  EXPECT_NE(status_line->find("DRY-RUN"), std::string::npos) << *status_line;

  // A clean stop: the shutdown cancel-all is answered locally too; still nothing at the exchange.
  auto code = exec->Stop(SIGTERM, 30 * kSec);
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0) << exec->log();
  EXPECT_TRUE(EverPlaced().empty());
  EXPECT_EQ(Refusals(), 0u);
}

// The control: the same ladders without --dry-run reach the exchange (so the test above can fail).
TEST_F(DryRunProcessTest, WithoutDryRunTheSameLaddersReachTheExchange) {
  auto exec = StartService("execution", {"--instance", "live", "--lease-ttl-ms", "2000"});
  auto admin = Admin(*exec);
  ASSERT_NE(admin, nullptr);
  uint64_t sequence = 1;
  EXPECT_TRUE(testing::Eventually(
      [&] {
        PublishLadder(sequence++, 2);
        return !EverPlaced().empty();
      },
      std::chrono::seconds(30), std::chrono::milliseconds(250)))
      << exec->log();
  EXPECT_FALSE(Status(*admin).dry_run());
  ASSERT_TRUE(exec->Stop(SIGTERM, 30 * kSec).ok());
}

}  // namespace
}  // namespace clobmaker
