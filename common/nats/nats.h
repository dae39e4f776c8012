// RAII wrapper over the NATS C client (libnats 3.4): core publish/subscribe and request/reply,
// JetStream streams with Nats-Msg-Id deduplication, durable pull consumers with explicit acks,
// and JetStream KeyValue with compare-and-set on revision.
//
// Threading: the C library calls back on its own threads. Nothing runs there but a copy of the
// message and a Post() to the executor given in ConnectOptions, which owns the handler's state.
// Blocking calls (Request, JetStream publish, Fetch, KV) run on the caller's thread.
//
//   ThreadExecutor loop;
//   auto conn = nats::Connection::Connect({.url = url, .name = "execution", .executor = &loop});
//   auto sub = (*conn)->Subscribe("cm.md.book.>", [](nats::Message m) { ... on loop ... });
//   nats::JetStream js(**conn);
//   js.EnsureStream({.name = "CM_ORDERS", .subjects = {"cm.orders.>"}});
//   js.Publish("cm.orders.m.t", bytes, /*msg_id=*/"order:0xab..:LIVE");
#pragma once

#include <absl/status/statusor.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/clock.h"
#include "common/core/executor.h"
#include "common/nats/publisher.h"

// Opaque C types.
struct __natsConnection;
struct __natsSubscription;
struct __natsMsg;
struct __jsCtx;
struct __kvStore;

namespace google::protobuf {
class MessageLite;
}

namespace clobmaker::nats {

struct Message {
  std::string subject;
  std::string reply;
  std::string data;
};

struct ConnectOptions {
  std::string url = "nats://127.0.0.1:4222";
  std::string name;              // shown by the server's monitoring
  Executor* executor = nullptr;  // required when subscribing or using callbacks
  bool send_asap = true;         // libnats batches writes (~1 ms) unless set
  int max_reconnect = -1;        // -1 = forever
  Nanos reconnect_wait = 250 * kNanosPerMilli;
  Nanos connect_timeout = 2 * kNanosPerSecond;
  bool retry_on_failed_connect = false;   // keep trying in the background if the server is down
  std::function<void()> on_disconnected;  // run on executor
  std::function<void()> on_reconnected;   // run on executor
};

class Subscription;

class Connection {
 public:
  // Connects; UnavailableError when the server cannot be reached (unless retrying).
  static absl::StatusOr<std::unique_ptr<Connection>> Connect(ConnectOptions options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  absl::Status Publish(std::string_view subject, std::string_view data);
  absl::Status PublishProto(std::string_view subject, const google::protobuf::MessageLite& message);
  // `handler` runs on the executor, never on a library thread. The subscription ends when the
  // returned object is destroyed.
  absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(std::string subject, std::function<void(Message)> handler,
                                                          std::string queue_group = {});
  // Blocking request/reply. DeadlineExceeded on timeout, Unavailable when nobody listens.
  absl::StatusOr<Message> Request(std::string_view subject, std::string_view data, Nanos timeout);
  // Waits until the server has processed everything published so far.
  absl::Status Flush(Nanos timeout);
  bool IsConnected() const;

  __natsConnection* raw() const { return conn_; }

  struct CallbackState;  // implementation detail, shared with the library's callbacks

 private:
  Connection(ConnectOptions options, std::shared_ptr<CallbackState> state);

  ConnectOptions options_;
  std::shared_ptr<CallbackState> state_;
  __natsConnection* conn_ = nullptr;
  std::mutex keep_alive_mu_;
  std::vector<std::shared_ptr<void>> keep_alive_;  // subscription closures live as long as the connection
};

class Subscription {
 public:
  ~Subscription();
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  struct State;  // implementation detail, shared with the library's callbacks

 private:
  friend class Connection;
  Subscription(__natsSubscription* sub, std::shared_ptr<State> state) : sub_(sub), state_(std::move(state)) {}
  __natsSubscription* sub_;
  std::shared_ptr<State> state_;
};

// Publishes on core NATS (at most once, latest-wins data). Ignores msg_id.
class NatsPublisher final : public Publisher {
 public:
  explicit NatsPublisher(Connection& connection) : connection_(connection) {}
  absl::Status Publish(std::string_view subject, std::string_view data, std::string_view msg_id = {}) override;

 private:
  Connection& connection_;
};

// ---------------------------------------------------------------------------------------------
// JetStream

struct StreamConfig {
  std::string name;
  std::vector<std::string> subjects;
  Nanos duplicate_window = 2 * 60 * kNanosPerSecond;
  int64_t max_bytes = -1;
  Nanos max_age = 0;  // 0 = unlimited
  bool memory_storage = false;
  int replicas = 1;
};

struct PublishAck {
  std::string stream;
  uint64_t sequence = 0;
  bool duplicate = false;  // dropped by the server's duplicate window
};

// A message from a JetStream consumer. Must be acknowledged (or nak'ed/term'ed) explicitly.
class JsMessage {
 public:
  explicit JsMessage(__natsMsg* msg);
  ~JsMessage();
  JsMessage(JsMessage&& other) noexcept;
  JsMessage& operator=(JsMessage&& other) noexcept;
  JsMessage(const JsMessage&) = delete;
  JsMessage& operator=(const JsMessage&) = delete;

  std::string_view subject() const;
  std::string_view data() const;
  // Header value, or nullopt.
  std::optional<std::string> header(const char* name) const;
  uint64_t stream_sequence() const;
  // When the server stored it (ns since the epoch); 0 if unknown.
  Nanos timestamp() const;
  uint64_t deliveries() const;

  // Ack waits for the server's confirmation, so an acked message is never redelivered.
  absl::Status Ack();
  absl::Status Nak();
  absl::Status Term();

 private:
  __natsMsg* msg_;
};

struct ConsumerOptions {
  std::string filter_subject;  // empty = every subject of the stream
  Nanos ack_wait = 30 * kNanosPerSecond;
  int64_t max_deliver = -1;
  bool deliver_new_only = false;  // default: from the start of the stream
  Nanos start_time_ns = 0;        // > 0: from the first message stored at or after this time
  bool ack_none = false;          // readers that only look (an export): no acks, no redeliveries
  // > 0: the server deletes the consumer after this long without a client (per-process readers
  // that rebuild state from the whole stream on every start).
  Nanos inactive_threshold = 0;
};

class PullConsumer {
 public:
  ~PullConsumer();
  PullConsumer(const PullConsumer&) = delete;
  PullConsumer& operator=(const PullConsumer&) = delete;
  // Up to `batch` messages; an empty vector when none arrived before `timeout`.
  absl::StatusOr<std::vector<JsMessage>> Fetch(int batch, Nanos timeout);

 private:
  friend class JetStream;
  explicit PullConsumer(__natsSubscription* sub) : sub_(sub) {}
  __natsSubscription* sub_;
};

struct KeyValueConfig {
  std::string bucket;
  int history = 1;
  Nanos ttl = 0;
  bool memory_storage = false;
  int replicas = 1;
};

struct KvEntry {
  std::string value;
  uint64_t revision = 0;
};

class KeyValue {
 public:
  ~KeyValue();
  KeyValue(const KeyValue&) = delete;
  KeyValue& operator=(const KeyValue&) = delete;

  // NotFound when the key does not exist or was deleted.
  absl::StatusOr<KvEntry> Get(std::string_view key);
  // Every key with a current value (empty when the bucket is empty).
  absl::StatusOr<std::vector<std::string>> Keys();
  // Unconditional write; returns the new revision.
  absl::StatusOr<uint64_t> Put(std::string_view key, std::string_view value);
  // Writes only if the key does not exist: AlreadyExists otherwise.
  absl::StatusOr<uint64_t> Create(std::string_view key, std::string_view value);
  // Compare-and-set: writes only if the key's latest revision is `last_revision`;
  // FailedPrecondition when it is not (someone else wrote first). The lease primitive.
  absl::StatusOr<uint64_t> Update(std::string_view key, std::string_view value, uint64_t last_revision);
  absl::Status Delete(std::string_view key);

 private:
  friend class JetStream;
  explicit KeyValue(__kvStore* kv) : kv_(kv) {}
  __kvStore* kv_;
};

class JetStream {
 public:
  // Borrows the connection, which must outlive this object.
  static absl::StatusOr<std::unique_ptr<JetStream>> Create(Connection& connection,
                                                           Nanos default_wait = 5 * kNanosPerSecond);
  ~JetStream();
  JetStream(const JetStream&) = delete;
  JetStream& operator=(const JetStream&) = delete;

  // Creates the stream, or updates it to `config` if it exists. Idempotent.
  absl::Status EnsureStream(const StreamConfig& config);
  absl::Status DeleteStream(std::string_view name);
  // Acked publish. A non-empty msg_id sets Nats-Msg-Id: a repeat inside the stream's duplicate
  // window is acknowledged with duplicate=true and not stored again.
  absl::StatusOr<PublishAck> Publish(std::string_view subject, std::string_view data, std::string_view msg_id = {},
                                     Nanos timeout = 0);
  // Binds to (creating if needed) a durable pull consumer with explicit acks.
  absl::StatusOr<std::unique_ptr<PullConsumer>> Consumer(std::string_view stream, std::string_view durable,
                                                         const ConsumerOptions& options);
  // Opens the bucket, creating it if needed.
  absl::StatusOr<std::unique_ptr<KeyValue>> EnsureKeyValue(const KeyValueConfig& config);

 private:
  explicit JetStream(__jsCtx* js) : js_(js) {}
  __jsCtx* js_;
};

// Publishes through JetStream with Nats-Msg-Id = msg_id (events that must not be lost).
class JetStreamPublisher final : public Publisher {
 public:
  explicit JetStreamPublisher(JetStream& js) : js_(js) {}
  absl::Status Publish(std::string_view subject, std::string_view data, std::string_view msg_id = {}) override;

 private:
  JetStream& js_;
};

}  // namespace clobmaker::nats
