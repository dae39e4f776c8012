// The NATS wrapper against a real nats-server.
#include "common/nats/nats.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "clobmaker/common/v1/common.pb.h"
#include "common/testing/eventually.h"
#include "common/testing/nats_server.h"

namespace clobmaker::nats {
namespace {

using testing::Eventually;

class NatsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start().ok()); }

  std::unique_ptr<Connection> Connect(Executor* executor = nullptr) {
    auto conn = Connection::Connect({.url = server_.url(), .name = "test", .executor = executor ? executor : &loop_});
    EXPECT_TRUE(conn.ok()) << conn.status();
    return conn.ok() ? std::move(*conn) : nullptr;
  }

  testing::NatsServer server_;
  ThreadExecutor loop_;
};

TEST_F(NatsTest, HandlersRunOnTheOwnersExecutorNotOnLibraryThreads) {
  ManualExecutor executor;
  auto conn = Connect(&executor);
  std::vector<std::string> received;
  auto sub = conn->Subscribe("cm.test.>", [&](Message m) { received.push_back(m.subject + "=" + m.data); });
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(conn->Publish("cm.test.a", "1").ok());
  ASSERT_TRUE(conn->Publish("cm.test.b", "2").ok());
  ASSERT_TRUE(conn->Flush(2 * kNanosPerSecond).ok());
  // Delivered to the executor's queue; nothing ran until the owner drained it.
  ASSERT_TRUE(Eventually([&] { return executor.pending() == 2; }));
  EXPECT_TRUE(received.empty());
  executor.RunAll();
  EXPECT_EQ(received, (std::vector<std::string>{"cm.test.a=1", "cm.test.b=2"}));
}

TEST_F(NatsTest, DestroyedSubscriptionDeliversNothingMore) {
  ManualExecutor executor;
  auto conn = Connect(&executor);
  int count = 0;
  auto sub = conn->Subscribe("cm.x", [&](Message) { ++count; });
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(conn->Publish("cm.x", "a").ok());
  ASSERT_TRUE(conn->Flush(2 * kNanosPerSecond).ok());
  ASSERT_TRUE(Eventually([&] { return executor.pending() == 1; }));
  sub->reset();  // queued task must not run the handler
  executor.RunAll();
  EXPECT_EQ(count, 0);
}

TEST_F(NatsTest, RequestReplyAndNoResponders) {
  auto server_conn = Connect();
  auto client = Connect();
  auto sub = server_conn->Subscribe("cm.echo", [&](Message m) { (void)server_conn->Publish(m.reply, "re:" + m.data); });
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(server_conn->Flush(2 * kNanosPerSecond).ok());
  auto reply = client->Request("cm.echo", "hi", 2 * kNanosPerSecond);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->data, "re:hi");
  auto none = client->Request("cm.nobody", "hi", 500 * kNanosPerMilli);
  EXPECT_FALSE(none.ok());
}

TEST_F(NatsTest, PublishesProtobuf) {
  ManualExecutor executor;
  auto conn = Connect(&executor);
  clobmaker::common::v1::Header received;
  auto sub = conn->Subscribe("cm.proto", [&](Message m) { ASSERT_TRUE(received.ParseFromString(m.data)); });
  ASSERT_TRUE(sub.ok());
  clobmaker::common::v1::Header header;
  header.set_source("test");
  header.set_sequence(42);
  ASSERT_TRUE(conn->PublishProto("cm.proto", header).ok());
  ASSERT_TRUE(conn->Flush(2 * kNanosPerSecond).ok());
  ASSERT_TRUE(Eventually([&] { return executor.pending() == 1; }));
  executor.RunAll();
  EXPECT_EQ(received.source(), "test");
  EXPECT_EQ(received.sequence(), 42u);
}

TEST_F(NatsTest, ConnectToNothingIsUnavailable) {
  auto conn = Connection::Connect({.url = "nats://127.0.0.1:1", .connect_timeout = 200 * kNanosPerMilli});
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(NatsTest, DisconnectAndReconnectCallbacksRunOnTheExecutor) {
  std::atomic<int> disconnected{0}, reconnected{0};
  std::atomic<bool> on_loop{true};
  auto conn = Connection::Connect({.url = server_.url(),
                                   .executor = &loop_,
                                   .reconnect_wait = 50 * kNanosPerMilli,
                                   .on_disconnected =
                                       [&] {
                                         on_loop = on_loop && loop_.InWorkerThread();
                                         ++disconnected;
                                       },
                                   .on_reconnected =
                                       [&] {
                                         on_loop = on_loop && loop_.InWorkerThread();
                                         ++reconnected;
                                       }});
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE(server_.Restart().ok());
  EXPECT_TRUE(Eventually([&] { return reconnected.load() >= 1; }));
  EXPECT_GE(disconnected.load(), 1);
  EXPECT_TRUE(on_loop.load());
  EXPECT_TRUE((*conn)->IsConnected());
}

// Closing a connection makes the library queue a last "disconnected" callback on its own thread;
// it must not reach the owner (whose executor may be gone next) nor freed state. Found as a
// segfault in a test fixture's teardown.
TEST_F(NatsTest, DestroyingAConnectionNeverCallsBackIntoItsOwner) {
  std::atomic<int> called{0};
  for (int i = 0; i < 50; ++i) {
    auto executor = std::make_unique<ThreadExecutor>();
    auto conn = Connection::Connect({.url = server_.url(),
                                     .executor = executor.get(),
                                     .on_disconnected = [&] { ++called; },
                                     .on_reconnected = [&] { ++called; }});
    ASSERT_TRUE(conn.ok());
    conn->reset();
    executor.reset();  // the owner's executor goes right after the connection
  }
  EXPECT_EQ(called.load(), 0);
}

TEST_F(NatsTest, EnsureStreamIsIdempotentAndUpdates) {
  auto conn = Connect();
  auto js = JetStream::Create(*conn);
  ASSERT_TRUE(js.ok());
  StreamConfig config{.name = "CM_T", .subjects = {"cm.t.>"}, .memory_storage = true};
  ASSERT_TRUE((*js)->EnsureStream(config).ok());
  ASSERT_TRUE((*js)->EnsureStream(config).ok());
  config.subjects.push_back("cm.t2.>");
  ASSERT_TRUE((*js)->EnsureStream(config).ok());
  auto ack = (*js)->Publish("cm.t2.x", "payload");
  ASSERT_TRUE(ack.ok()) << ack.status();
  EXPECT_EQ(ack->stream, "CM_T");
  EXPECT_EQ(ack->sequence, 1u);
}

TEST_F(NatsTest, KeyValueBasics) {
  auto conn = Connect();
  auto js = JetStream::Create(*conn);
  ASSERT_TRUE(js.ok());
  auto kv = (*js)->EnsureKeyValue({.bucket = "CM_KV", .history = 1, .memory_storage = true});
  ASSERT_TRUE(kv.ok()) << kv.status();
  EXPECT_EQ((*kv)->Get("missing").status().code(), absl::StatusCode::kNotFound);
  auto empty = (*kv)->Keys();
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE(empty->empty());
  auto r1 = (*kv)->Put("k", "v1");
  ASSERT_TRUE(r1.ok());
  auto entry = (*kv)->Get("k");
  ASSERT_TRUE(entry.ok());
  EXPECT_EQ(entry->value, "v1");
  EXPECT_EQ(entry->revision, *r1);
  EXPECT_EQ((*kv)->Create("k", "v2").status().code(), absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE((*kv)->Delete("k").ok());
  EXPECT_EQ((*kv)->Get("k").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE((*kv)->Create("k", "v3").ok());  // a deleted key can be created again
  ASSERT_TRUE((*kv)->Put("k2", "x").ok());
  auto keys = (*kv)->Keys();
  ASSERT_TRUE(keys.ok()) << keys.status();
  std::sort(keys->begin(), keys->end());
  EXPECT_EQ(*keys, (std::vector<std::string>{"k", "k2"}));
  // Re-opening the bucket finds the same data.
  auto again = (*js)->EnsureKeyValue({.bucket = "CM_KV"});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->Get("k")->value, "v3");
}

}  // namespace
}  // namespace clobmaker::nats
