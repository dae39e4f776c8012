#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "common/testing/eventually.h"
#include "common/testing/nats_server.h"

namespace clobmaker::testing {
namespace {

TEST(NatsServerFixture, StartsOnAFreePortAndRestartsOnTheSamePort) {
  NatsServer server;
  ASSERT_TRUE(server.Start().ok());
  const int port = server.port();
  EXPECT_GT(port, 0);
  EXPECT_EQ(server.url(), "nats://127.0.0.1:" + std::to_string(port));
  server.Stop();
  EXPECT_FALSE(server.running());
  ASSERT_TRUE(server.Start().ok());
  EXPECT_EQ(server.port(), port);
}

TEST(NatsServerFixture, TwoServersGetDifferentPorts) {
  NatsServer a, b;
  ASSERT_TRUE(a.Start().ok());
  ASSERT_TRUE(b.Start().ok());
  EXPECT_NE(a.port(), b.port());
}

TEST(NatsServerFixture, MissingBinaryIsAClearError) {
  NatsServer server("/nonexistent/nats-server");
  const absl::Status status = server.Start();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
}

TEST(Eventually, ReturnsTrueOnceConditionHoldsAndFalseAtTheBound) {
  std::atomic<bool> flag{false};
  std::thread setter([&] { flag = true; });
  EXPECT_TRUE(Eventually([&] { return flag.load(); }));
  setter.join();
  EXPECT_FALSE(Eventually([] { return false; }, std::chrono::milliseconds(20)));
}

}  // namespace
}  // namespace clobmaker::testing
