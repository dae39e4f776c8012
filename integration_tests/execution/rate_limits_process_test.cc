// The per-signer rate limits end to end (issue 18, item 1): the execution binary against a
// simulator started with --rate-tier Gold. Execution learns the tier at start-up (Standard is only
// assumed until the exchange says), sizes its budgets from it, and shows the tier, the buckets and
// the 429s it got per endpoint in its status, in `clobmakerctl status` and in its metrics; the
// simulator's truth counts 429s for our signer; a tier changed at the exchange (SimControl) reaches
// execution through the answers' Poly-RateLimit-Tier.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <numeric>

#include "common/testing/eventually.h"
#include "integration_tests/support/stack_fixture.h"

namespace clobmaker {
namespace {

constexpr Nanos kSec = kNanosPerSecond;

// GET http://HOST:PORT/metrics, blocking, the whole body (HTTP/1.0: the server closes).
std::string FetchMetrics(const std::string& host_port) {
  const size_t colon = host_port.rfind(':');
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(std::stoi(host_port.substr(colon + 1))));
  inet_pton(AF_INET, host_port.substr(0, colon).c_str(), &a.sin_addr);
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{.tv_sec = 5, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string out;
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0) {
    const std::string request = "GET /metrics HTTP/1.0\r\nHost: " + host_port + "\r\n\r\n";
    if (send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size())) {
      char buf[8192];
      for (ssize_t n; (n = recv(fd, buf, sizeof(buf), 0)) > 0;) out.append(buf, static_cast<size_t>(n));
    }
  }
  close(fd);
  return out;
}

class RateLimitsProcessTest : public itest::StackTest {
 protected:
  std::vector<std::string> SimArgs() const override {
    auto args = StackTest::SimArgs();
    args.insert(args.end(), {"--rate-tier", "Gold"});
    return args;
  }

  uint64_t TruthThrottled() {
    grpc::ClientContext ctx;
    sim::v1::RateLimitsRequest req;
    req.set_address(address_);
    sim::v1::RateLimitsResponse resp;
    EXPECT_TRUE(truth_->RateLimits(&ctx, req, &resp).ok());
    return resp.throttled();
  }
};

TEST_F(RateLimitsProcessTest, TheTierIsLearntBudgetsFollowItAnd429sAreCountedPerEndpointEverywhere) {
  auto exec =
      StartService("execution", {"--instance", "rl", "--lease-ttl-ms", "2000", "--metrics-listen", "127.0.0.1:0"});
  auto admin = Admin(*exec);
  ASSERT_NE(admin, nullptr);
  auto metrics_line = exec->WaitForLine("metrics on http://", 30 * kSec);
  ASSERT_TRUE(metrics_line.ok()) << metrics_line.status();
  std::string metrics_address = metrics_line->substr(metrics_line->find("http://") + 7);
  metrics_address = metrics_address.substr(0, metrics_address.find('/'));

  // The tier the exchange gives (not the Standard it assumes before asking) sizes the budgets:
  // Gold's order burst is 600, ten times Standard's 60.
  orders::v1::ExecutionStatus status;
  ASSERT_TRUE(testing::Eventually(
      [&] {
        status = Status(*admin);
        return status.rate_tier() == "Gold" && status.rate_tier_confirmed();
      },
      std::chrono::seconds(20), std::chrono::milliseconds(100)))
      << status.ShortDebugString();
  int64_t post_capacity = 0;
  for (const auto& b : status.budgets()) {
    if (b.endpoint() == "post") post_capacity = b.capacity();
  }
  EXPECT_GT(post_capacity, 60) << "budgets sized from the tier learnt, not from Standard's";
  EXPECT_LE(post_capacity, 600) << "never a burst above the tier's";

  // Quotes go out; then a storm of 429s while the ladder keeps moving (every requote posts and
  // cancels). Execution counts each 429 per endpoint and never takes one for a rejection.
  uint64_t sequence = 1;
  ASSERT_TRUE(testing::Eventually(
      [&] {
        PublishLadder(sequence++, 2);
        return OpenAtExchange().size() == 4;
      },
      std::chrono::seconds(20), std::chrono::milliseconds(250)));
  {
    grpc::ClientContext ctx;
    sim::v1::BurstRequest burst;
    burst.set_http_status(429);
    burst.set_duration_ms(1500);
    sim::v1::BurstResponse resp;
    ASSERT_TRUE(control_->Burst(&ctx, burst, &resp).ok());
  }
  const auto ours = [&] {
    const auto s = Status(*admin);
    return std::accumulate(s.throttled_by_endpoint().begin(), s.throttled_by_endpoint().end(), uint64_t{0},
                           [](uint64_t sum, const auto& kv) { return sum + kv.second; });
  };
  int64_t away = 2;
  EXPECT_TRUE(testing::Eventually(
      [&] {
        PublishLadder(sequence++, away = away == 2 ? 3 : 2);
        return ours() > 0 && TruthThrottled() > 0;
      },
      std::chrono::seconds(20), std::chrono::milliseconds(100)))
      << "ours " << ours() << ", the simulator's " << TruthThrottled();
  // After the storm the quotes are back: nothing was lost to the 429s.
  EXPECT_TRUE(testing::Eventually(
      [&] {
        PublishLadder(sequence++, 4);
        return OpenAtExchange().size() == 4;
      },
      std::chrono::seconds(30), std::chrono::milliseconds(250)));

  status = Status(*admin);
  ASSERT_FALSE(status.throttled_by_endpoint().empty());
  const auto& [endpoint, count] = *status.throttled_by_endpoint().begin();

  // The same figures in the metrics: 429s by endpoint, the tier in force, the bucket levels.
  const std::string metrics = FetchMetrics(metrics_address);
  EXPECT_NE(metrics.find("clobmaker_execution_throttled_total{endpoint=\"" + endpoint + "\"}"), std::string::npos)
      << metrics.substr(0, 2000);
  EXPECT_NE(metrics.find("clobmaker_execution_rate_tier{tier=\"Gold\",confirmed=\"true\"} 1"), std::string::npos);
  EXPECT_NE(metrics.find("clobmaker_execution_rate_tokens{bucket=\"orders\"}"), std::string::npos);
  EXPECT_NE(metrics.find("clobmaker_execution_rate_tokens{bucket=\"cancels\"}"), std::string::npos);

  // And in `clobmakerctl status` (the other services are not running: their lines say so).
  itest::ChildProcess ctl(testing::BinDir() + "/clobmakerctl",
                          {"--execution", AdminAddress(*exec), "--marketdata", "127.0.0.1:1", "--strategy",
                           "127.0.0.1:1", "--positions", "127.0.0.1:1", "--userstream", "127.0.0.1:1", "status"});
  ASSERT_TRUE(ctl.Start().ok());
  auto line = ctl.WaitForLine("tier=", 30 * kSec);
  ASSERT_TRUE(line.ok()) << ctl.log();
  EXPECT_NE(line->find("tier=Gold "), std::string::npos) << *line;
  EXPECT_NE(line->find(" post="), std::string::npos) << *line;
  EXPECT_NE(line->find(fmt::format(" {}:", endpoint)), std::string::npos) << *line;
  (void)count;

  // A tier set at the exchange (SimControl) reaches execution through the answers' headers.
  {
    grpc::ClientContext ctx;
    sim::v1::SetRateTierRequest req;
    req.set_address(address_);
    req.set_tier("Silver");
    sim::v1::SetRateTierResponse resp;
    ASSERT_TRUE(control_->SetRateTier(&ctx, req, &resp).ok());
  }
  EXPECT_TRUE(testing::Eventually(
      [&] {
        PublishLadder(sequence++, away = away == 2 ? 3 : 2);
        return Status(*admin).rate_tier() == "Silver";
      },
      std::chrono::seconds(20), std::chrono::milliseconds(200)))
      << Status(*admin).ShortDebugString();

  ASSERT_TRUE(exec->Stop(SIGTERM, 30 * kSec).ok());
}

}  // namespace
}  // namespace clobmaker
