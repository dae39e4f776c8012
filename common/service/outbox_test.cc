// The durable outbox under a manual clock: in order, retried on the host's timers (no sleep),
// given up after its attempts, drained at shutdown; AfterPublished only once what came before is
// acked.
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

// What may only follow an ack (userstream's backfill cursor): it runs once everything added
// before it is published, and says so; a message dropped before it makes it false, for good.
TEST(DurableOutbox, AfterPublishedRunsOnceWhatCameBeforeIsAckedAndSaysIfAnyWasDropped) {
  testing::ManualHost host("t");
  ASSERT_TRUE(host.bus().EnsureStream({.name = "T", .subjects = {"cm.t.>"}}).ok());
  DurableOutbox outbox(host, host.Worker("publisher"), {.name = "t", .max_attempts = 2});
  std::vector<std::string> calls;
  outbox.AfterPublished([&](bool all) { calls.push_back(all ? "empty:ok" : "empty:dropped"); });
  EXPECT_EQ(calls, (std::vector<std::string>{"empty:ok"})) << "nothing pending: at once";
  outbox.Add("cm.t.1", "a", "id-a");
  outbox.Add("cm.t.2", "b", "id-b");
  outbox.AfterPublished([&](bool all) {
    calls.push_back(std::string(all ? "ab:ok" : "ab:dropped") + " stored " + std::to_string(Stored(host).size()));
  });
  EXPECT_EQ(calls.size(), 1u) << "not before the acks";
  ASSERT_TRUE(host.RunUntil([&] { return calls.size() == 2; }, 5 * kNanosPerSecond));
  EXPECT_EQ(calls[1], "ab:ok stored 2");
  host.RunFor(10 * kNanosPerMilli);
  EXPECT_EQ(calls.size(), 2u) << "once";

  // A message that is never acked (no stream for its subject) is dropped after its attempts.
  outbox.Add("cm.x.1", "lost", "id-lost");
  outbox.AfterPublished([&](bool all) { calls.push_back(all ? "lost:ok" : "lost:dropped"); });
  ASSERT_TRUE(host.RunUntil([&] { return calls.size() == 3; }, 5 * kNanosPerSecond));
  EXPECT_EQ(calls[2], "lost:dropped");
  EXPECT_EQ(outbox.dropped(), 1u);
  // Later messages are acked, but one before them never was: still false.
  outbox.Add("cm.t.3", "c", "id-c");
  outbox.AfterPublished([&](bool all) { calls.push_back(all ? "c:ok" : "c:dropped"); });
  ASSERT_TRUE(host.RunUntil([&] { return calls.size() == 4; }, 5 * kNanosPerSecond));
  EXPECT_EQ(calls[3], "c:dropped");
  EXPECT_EQ(Stored(host), (std::vector<std::string>{"a", "b", "c"}));
}

}  // namespace
}  // namespace clobmaker::service
