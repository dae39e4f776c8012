// The console binary against a real execution and simulator, without a browser: our resting
// orders reach a websocket client in the pushed document, an unconfirmed action is refused, and a
// confirmed Kill empties our orders at the simulator's truth API. It is also the console's entry in
// the sanitizer set (its HTTP server, websocket pushes, poll worker and bus subscriptions all run).
#include <gtest/gtest.h>

#include <csignal>
#include <mutex>
#include <regex>
#include <set>

#include "common/net/http_client.h"
#include "common/net/io_thread.h"
#include "common/net/ws_client.h"
#include "common/testing/eventually.h"
#include "integration_tests/support/stack_fixture.h"

namespace clobmaker::itest {
namespace {

using clobmaker::testing::Eventually;
using namespace std::chrono_literals;

class ConsoleProcessTest : public StackTest {};

TEST_F(ConsoleProcessTest, PushesOurOrdersAndKillEmptiesThemAtTheExchange) {
  auto execution = StartExecution("console-test");
  const std::string execution_admin = AdminAddress(*execution);
  ASSERT_FALSE(execution_admin.empty());
  ASSERT_TRUE(Eventually(
      [&] {
        PublishLadder(1, 3);
        return OpenAtExchange().size() == 4;
      },
      60s, 500ms))
      << "execution never rested the ladder";
  std::set<std::string> resting;
  for (const auto& o : OpenAtExchange()) resting.insert(o.order_id());

  // marketdata names the market (the console lists our orders under the markets it knows).
  ChildProcess marketdata(testing::BinDir() + "/marketdata",
                          {"--nats", nats_.url(), "--clob-url", clob_url_, "--market", market_.slug(), "--admin-listen",
                           "127.0.0.1:0", "--no-journal"});
  ASSERT_TRUE(marketdata.Start().ok());
  const std::string marketdata_admin = AdminAddress(marketdata);
  ASSERT_FALSE(marketdata_admin.empty());

  ChildProcess console(testing::BinDir() + "/console",
                       {"--nats", nats_.url(), "--admin-listen", "127.0.0.1:0", "--listen", "127.0.0.1:0",
                        "--execution", execution_admin, "--marketdata", marketdata_admin, "--poll-ms", "100"});
  ASSERT_TRUE(console.Start().ok());
  auto line = console.WaitForLine("web console on", 60 * kNanosPerSecond);
  ASSERT_TRUE(line.ok()) << line.status();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(*line, m, std::regex(R"(web console on http://([0-9.]+):([0-9]+))"))) << *line;
  const std::string web = std::string(m[1]) + ":" + std::string(m[2]);

  net::IoThread io;
  ThreadExecutor callbacks;
  std::mutex mu;
  std::string last_push;
  int pushes = 0;
  auto ws = net::WsClient::Create(
      io, {.url = "ws://" + web + "/ws", .executor = &callbacks, .on_message = [&](std::string message) {
             std::lock_guard lock(mu);
             last_push = std::move(message);
             ++pushes;
           }});
  ASSERT_TRUE(ws.ok()) << ws.status();
  (*ws)->Start();
  const auto pushed = [&](const std::function<bool(const std::string&)>& holds) {
    std::lock_guard lock(mu);
    return pushes > 0 && holds(last_push);
  };
  EXPECT_TRUE(Eventually(
      [&] {
        return pushed([&](const std::string& doc) {
          for (const auto& id : resting) {
            if (doc.find("\"order_id\":\"" + id + "\"") == std::string::npos) return false;
          }
          return true;
        });
      },
      30s, 20ms))
      << "the pushed document never listed our 4 resting orders; last push:\n"
      << [&] {
           std::lock_guard lock(mu);
           return last_push;
         }();

  auto client = net::HttpClient::Create(io, {.base_url = "http://" + web});
  ASSERT_TRUE(client.ok()) << client.status();
  net::HttpRequest page;
  page.target = "/";
  const net::HttpResult got = (*client)->SendSync(page, 10 * kNanosPerSecond);
  ASSERT_TRUE(got.response.has_value());
  EXPECT_EQ(got.response->status, 200);
  EXPECT_NE(got.response->body.find("<html"), std::string::npos);

  net::HttpRequest unconfirmed;
  unconfirmed.method = "POST";
  unconfirmed.target = "/api/kill";
  unconfirmed.headers = {{"Content-Type", "application/json"}};
  unconfirmed.body = R"({"reason":"console process test"})";
  const net::HttpResult refused = (*client)->SendSync(unconfirmed, 10 * kNanosPerSecond);
  ASSERT_TRUE(refused.response.has_value());
  EXPECT_EQ(refused.response->status, 400) << refused.response->body;

  net::HttpRequest kill = unconfirmed;
  kill.body = R"({"confirm":true,"reason":"console process test"})";
  const net::HttpResult killed = (*client)->SendSync(kill, 30 * kNanosPerSecond);
  ASSERT_TRUE(killed.response.has_value());
  EXPECT_EQ(killed.response->status, 200) << killed.response->body;
  EXPECT_TRUE(Eventually([&] { return OpenAtExchange().empty(); }, 30s, 100ms))
      << OpenAtExchange().size() << " of our orders still rest at the exchange after Kill";
  EXPECT_TRUE(Eventually(
      [&] { return pushed([](const std::string& doc) { return doc.find("\"killed\":true") != std::string::npos; }); },
      30s, 20ms))
      << "the console never pushed the kill";

  (*ws)->Stop();
  auto console_exit = console.Stop(SIGTERM, 30 * kNanosPerSecond);
  ASSERT_TRUE(console_exit.ok()) << console_exit.status();
  EXPECT_EQ(*console_exit, 0) << "the console did not shut down cleanly:\n" << console.log();
  auto marketdata_exit = marketdata.Stop(SIGTERM, 30 * kNanosPerSecond);
  ASSERT_TRUE(marketdata_exit.ok()) << marketdata_exit.status();
  EXPECT_EQ(*marketdata_exit, 0);
  auto execution_exit = execution->Stop(SIGTERM, 30 * kNanosPerSecond);
  ASSERT_TRUE(execution_exit.ok()) << execution_exit.status();
  EXPECT_EQ(*execution_exit, 0);
}

}  // namespace
}  // namespace clobmaker::itest
