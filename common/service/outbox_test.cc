// The durable outbox under a manual clock: in order, retried on the host's timers (no sleep),
// given up after its attempts, drained at shutdown.
#include "common/service/outbox.h"

#include <gtest/gtest.h>

#include "common/service/testing/manual_host.h"

namespace clobmaker::service {
namespace {

std::vector<std::string> Stored(testing::ManualHost& host) {
  std::vector<std::string> out;
  for (const BusMessage& m : host.fake_bus().Published("cm.t.>")) out.push_back(m.data);
  return out;
}

TEST(DurableOutbox, RetriesWithBackoffOnTheHostClockAndKeepsTheOrder) {
  testing::ManualHost host("t");
  DurableOutbox outbox(host, host.Worker("publisher"), {.name = "t", .max_attempts = 5});
  outbox.Add("cm.t.1", "a", "id-a");  // no stream yet: the publish fails
  outbox.Add("cm.t.2", "b", "id-b");
  host.RunFor(kNanosPerMilli);
  EXPECT_EQ(outbox.failures(), 1u);
  EXPECT_EQ(outbox.pending(), 2u);
  ASSERT_TRUE(host.bus().EnsureStream({.name = "T", .subjects = {"cm.t.>"}}).ok());
  host.RunFor(50 * kNanosPerMilli);
  EXPECT_TRUE(Stored(host).empty()) << "the retry waits for its backoff (100 ms)";
  host.RunFor(60 * kNanosPerMilli);
  EXPECT_EQ(Stored(host), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(outbox.pending(), 0u);
  outbox.Add("cm.t.1", "a again", "id-a");  // the same message id: stored once
  host.RunFor(kNanosPerMilli);
  EXPECT_EQ(outbox.duplicates(), 1u);
  EXPECT_EQ(Stored(host).size(), 2u);
}

TEST(DurableOutbox, GivesAMessageUpAfterItsAttemptsAndDrains) {
  testing::ManualHost host("t");
  DurableOutbox outbox(host, host.Worker("publisher"), {.name = "t", .max_attempts = 3});
  outbox.Add("cm.t.1", "a", "id-a");
  bool drained = false;
  outbox.Drain(10 * kNanosPerSecond, [&] { drained = true; });
  EXPECT_TRUE(host.RunUntil([&] { return drained; }, 5 * kNanosPerSecond));
  EXPECT_EQ(outbox.failures(), 3u);
  EXPECT_EQ(outbox.dropped(), 1u);
  EXPECT_EQ(outbox.pending(), 0u);
}

TEST(DurableOutbox, DrainEndsAtItsTimeoutWhenThePublisherNeverAnswers) {
  testing::ManualHost host("t");
  DurableOutbox outbox(host, host.Worker("publisher"),
                       {.name = "t", .max_attempts = 1000, .first_backoff = kNanosPerSecond});
  outbox.Add("cm.t.1", "a", "id-a");
  bool drained = false;
  outbox.Drain(3 * kNanosPerSecond, [&] { drained = true; });
  host.RunFor(2 * kNanosPerSecond);
  EXPECT_FALSE(drained);
  EXPECT_TRUE(host.RunUntil([&] { return drained; }, 2 * kNanosPerSecond));
  EXPECT_EQ(outbox.pending(), 1u);
}

}  // namespace
}  // namespace clobmaker::service
