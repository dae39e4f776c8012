// Ladders are state with a deadline (design.md s2): when strategy dies nothing else may keep our
// quotes alive. On a quiet simulator (no background flow: no event but the timers), marketdata,
// execution and strategy quote; then strategy is killed with SIGKILL. Every order of ours must be
// gone from the exchange (its truth API) no later than the last ladder's deadline + 1 s.
#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <mutex>

#include "clobmaker/positions/v1/positions.pb.h"
#include "clobmaker/strategy/v1/strategy.pb.h"
#include "common/testing/eventually.h"
#include "integration_tests/support/stack_fixture.h"

namespace clobmaker::itest {
namespace {

class StrategyLossTest : public StackTest {};

TEST_F(StrategyLossTest, QuotesGoAtTheLastLaddersDeadlineWhenStrategyDies) {
  // Every ladder strategy publishes, and the latest deadline among them.
  std::mutex mu;
  int64_t last_deadline = 0;
  std::atomic<int> ladders{0};
  auto sub = conn_->Subscribe(bus::DesiredSubject(market_.condition_id()), [&](nats::Message m) {
    strategy::v1::DesiredLadder ladder;
    if (!ladder.ParseFromString(m.data)) return;
    std::lock_guard lock(mu);
    last_deadline = std::max(last_deadline, ladder.valid_until_ns());
    ladders++;
  });
  ASSERT_TRUE(sub.ok()) << sub.status();

  auto md = std::make_unique<ChildProcess>(testing::BinDir() + "/marketdata",
                                           std::vector<std::string>{"--nats", nats_.url(), "--clob-url", clob_url_,
                                                                    "--all-markets", "--admin-listen", "127.0.0.1:0"});
  ASSERT_TRUE(md->Start().ok());
  ASSERT_TRUE(md->WaitForLine("admin API on", 30 * kNanosPerSecond).ok());
  auto exec = StartExecution("expiry");
  ASSERT_FALSE(AdminAddress(*exec).empty());
  auto strat = StartService("strategy", {"--all-markets"});
  ASSERT_FALSE(AdminAddress(*strat).empty());
  for (const std::string& token : {market_.yes_token_id(), market_.no_token_id()}) {
    positions::v1::Position p;
    p.set_token_id(token);
    p.set_condition_id(market_.condition_id());
    p.set_provisional_micros(1'000'000'000);
    p.set_settled_micros(1'000'000'000);
    ASSERT_TRUE(conn_->Publish(bus::PositionsSubject(token), p.SerializeAsString()).ok());
  }
  ASSERT_TRUE(testing::Eventually([&] { return OpenAtExchange().size() >= 2; }, std::chrono::seconds(30),
                                  std::chrono::milliseconds(100)))
      << strat->log();
  // A couple of keep-alive ladders more, so that the deadline is the live one.
  const int seen = ladders.load();
  ASSERT_TRUE(testing::Eventually([&] { return ladders.load() >= seen + 2; }, std::chrono::seconds(20),
                                  std::chrono::milliseconds(50)));

  ASSERT_TRUE(strat->Stop(SIGKILL, 5 * kNanosPerSecond).ok());
  ASSERT_FALSE(OpenAtExchange().empty()) << "quotes are live until the deadline";
  // Wait for the event (nothing of ours open), bounded only against a hang; then judge when it
  // happened against the deadline of the last ladder strategy ever published.
  const bool gone = testing::Eventually([&] { return OpenAtExchange().empty(); }, std::chrono::seconds(30),
                                        std::chrono::milliseconds(20));
  const int64_t at = SystemClock::Instance().WallNanos();
  ASSERT_TRUE(gone) << OpenAtExchange().size() << " orders still open 30 s after strategy died";
  int64_t deadline;
  {
    std::lock_guard lock(mu);
    deadline = last_deadline;
  }
  EXPECT_LE(at, deadline + kNanosPerSecond)
      << "our orders went " << (at - deadline) / kNanosPerMilli << " ms after the last ladder's deadline";
  RecordProperty("gone_ms_after_deadline", static_cast<int>((at - deadline) / kNanosPerMilli));
}

}  // namespace
}  // namespace clobmaker::itest
