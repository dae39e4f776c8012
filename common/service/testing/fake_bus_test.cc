// The in-process bus keeps the promises the shells rely on from nats-server (jetstream_guarantees_test
// checks them against the real server).
#include "common/service/testing/fake_bus.h"

#include <gtest/gtest.h>

namespace clobmaker::service::testing {
namespace {

TEST(SubjectMatches, NatsWildcards) {
  EXPECT_TRUE(SubjectMatches("cm.user.>", "cm.user.order.m.t"));
  EXPECT_FALSE(SubjectMatches("cm.user.>", "cm.user"));
  EXPECT_TRUE(SubjectMatches("cm.*.status", "cm.execution.status"));
  EXPECT_FALSE(SubjectMatches("cm.*.status", "cm.execution.status.default"));
  EXPECT_TRUE(SubjectMatches("a.b", "a.b"));
  EXPECT_FALSE(SubjectMatches("a.b", "a.b.c"));
  EXPECT_FALSE(SubjectMatches("a.b.c", "a.b"));
}

TEST(FakeBus, SubscribersAndStreamsSeeEveryPublishOnTheLoop) {
  ManualExecutor loop;
  FakeBus bus(loop);
  ASSERT_TRUE(bus.EnsureStream({.name = "S", .subjects = {"s.>"}}).ok());
  std::vector<std::string> seen;
  auto sub = bus.Subscribe("s.*", [&](BusMessage m) { seen.push_back(m.data); });
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(bus.Publish("s.core", "1").ok());
  auto ack = bus.PublishDurable("s.js", "2", "id-2");
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack->sequence, 2u) << "the stream captured the core publish too";
  EXPECT_TRUE(seen.empty()) << "handlers run on the loop only";
  loop.RunAll();
  EXPECT_EQ(seen, (std::vector<std::string>{"1", "2"}));
  auto again = bus.PublishDurable("s.js", "2", "id-2");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  EXPECT_FALSE(bus.PublishDurable("nowhere", "x", "").ok());
  sub->reset();
  ASSERT_TRUE(bus.Publish("s.core", "3").ok());
  loop.RunAll();
  EXPECT_EQ(seen.size(), 2u) << "nothing after the subscription ended";
}

TEST(FakeBus, DurableConsumersResumeAfterWhatTheyHandled) {
  ManualExecutor loop;
  FakeBus bus(loop);
  ASSERT_TRUE(bus.EnsureStream({.name = "S", .subjects = {"s.>"}}).ok());
  ASSERT_TRUE(bus.PublishDurable("s.a", "old", "").ok());
  std::vector<std::string> got;
  const ConsumerSpec spec{
      .stream = "S", .durable = "d", .options = {.filter_subject = "s.a", .deliver_new_only = true}};
  auto consumer = bus.Consume(spec, [&](BusMessage m) { got.push_back(m.data); });
  ASSERT_TRUE(consumer.ok());
  ASSERT_TRUE(bus.PublishDurable("s.a", "new1", "").ok());
  ASSERT_TRUE(bus.PublishDurable("s.b", "filtered", "").ok());
  loop.RunAll();
  EXPECT_EQ(got, std::vector<std::string>{"new1"});
  consumer->reset();
  ASSERT_TRUE(bus.PublishDurable("s.a", "while-away", "").ok());
  auto back = bus.Consume(spec, [&](BusMessage m) { got.push_back(m.data); });
  ASSERT_TRUE(back.ok());
  loop.RunAll();
  EXPECT_EQ(got, (std::vector<std::string>{"new1", "while-away"}));
  std::vector<std::string> all;
  auto replay = bus.Consume({.stream = "S", .durable = "all"}, [&](BusMessage m) { all.push_back(m.data); });
  loop.RunAll();
  EXPECT_EQ(all.size(), 4u) << "a new consumer without deliver_new_only reads from the start";
}

TEST(FakeBus, KeyValueCompareAndSet) {
  ManualExecutor loop;
  FakeBus bus(loop);
  auto kv = bus.EnsureKeyValue({.bucket = "B"});
  ASSERT_TRUE(kv.ok());
  auto created = (*kv)->Create("k", "a");
  ASSERT_TRUE(created.ok());
  EXPECT_TRUE(absl::IsAlreadyExists((*kv)->Create("k", "b").status()));
  EXPECT_TRUE(absl::IsFailedPrecondition((*kv)->Update("k", "b", *created + 7).status()));
  auto updated = (*kv)->Update("k", "b", *created);
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ((*kv)->Get("k")->value, "b");
  ASSERT_TRUE((*kv)->Delete("k").ok());
  EXPECT_TRUE(absl::IsNotFound((*kv)->Get("k").status()));
  EXPECT_TRUE((*kv)->Keys()->empty());
  EXPECT_TRUE((*kv)->Create("k", "c").ok()) << "a deleted key can be created again";
  ASSERT_NE(bus.Bucket("B"), nullptr);
  EXPECT_EQ(bus.Bucket("B")->Get("k")->value, "c") << "one bucket behind every handle";
}

}  // namespace
}  // namespace clobmaker::service::testing
