// The bus as a service shell sees it: core NATS subjects (latest-wins data), JetStream streams
// (events that must not be lost, deduplicated by message id), durable consumers and KeyValue
// buckets. The Host owns one; production talks to nats-server (NatsBus), in-process tests to
// testing::FakeBus. Handlers always run on the host's loop, never on a library thread.
//
// Blocking calls (PublishDurable, EnsureStream, EnsureKeyValue and every KvBucket call) wait for
// the server: run them on a host worker, not on the loop, once the service is up.
#pragma once

#include <absl/status/statusor.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/clock.h"
#include "common/nats/nats.h"

namespace clobmaker::service {

using BusMessage = nats::Message;

// Ends a subscription or consumer when destroyed.
class BusSubscription {
 public:
  virtual ~BusSubscription() = default;
};

// A JetStream KeyValue bucket (design.md s5: leases and kill switches are compare-and-set on a
// key's revision). Same contract as nats::KeyValue.
class KvBucket {
 public:
  virtual ~KvBucket() = default;
  virtual absl::StatusOr<nats::KvEntry> Get(std::string_view key) = 0;  // NotFound
  virtual absl::StatusOr<std::vector<std::string>> Keys() = 0;          // current keys
  virtual absl::StatusOr<uint64_t> Put(std::string_view key, std::string_view value) = 0;
  virtual absl::StatusOr<uint64_t> Create(std::string_view key, std::string_view value) = 0;  // AlreadyExists
  // FailedPrecondition when the key's latest revision is not `last_revision`.
  virtual absl::StatusOr<uint64_t> Update(std::string_view key, std::string_view value, uint64_t last_revision) = 0;
  virtual absl::Status Delete(std::string_view key) = 0;
};

struct ConsumerSpec {
  std::string stream;
  std::string durable;
  nats::ConsumerOptions options;
  int batch = 64;
  // Keep trying to create the consumer in the background instead of failing at once (a service
  // that can run, degraded, before the stream answers).
  bool retry_create = false;
};

class Bus {
 public:
  virtual ~Bus() = default;

  // Core NATS, at most once.
  virtual absl::Status Publish(std::string_view subject, std::string_view data) = 0;
  // Waits until the server has processed everything published so far.
  virtual absl::Status Flush(Nanos timeout) = 0;
  // `handler` runs on the loop.
  virtual absl::StatusOr<std::unique_ptr<BusSubscription>> Subscribe(std::string subject,
                                                                     std::function<void(BusMessage)> handler) = 0;

  // JetStream. Creates the stream or updates it to `config`; idempotent.
  virtual absl::Status EnsureStream(const nats::StreamConfig& config) = 0;
  // Acked publish; a repeated non-empty `msg_id` inside the stream's window is not stored twice.
  virtual absl::StatusOr<nats::PublishAck> PublishDurable(std::string_view subject, std::string_view data,
                                                          std::string_view msg_id) = 0;
  // Creates the durable consumer on the server (it keeps its place from now on) without reading
  // from it yet: a service that must not miss what arrives while it starts, and must not see it
  // before it is ready, calls this first and Consume later.
  virtual absl::Status EnsureConsumer(const ConsumerSpec& spec) = 0;
  // Messages of a durable pull consumer, each handed to `handler` on the loop and acknowledged
  // once the handler has run (nothing acked is unprocessed). `subject` is the message's subject.
  virtual absl::StatusOr<std::unique_ptr<BusSubscription>> Consume(const ConsumerSpec& spec,
                                                                   std::function<void(BusMessage)> handler) = 0;
  // Opens the bucket, creating it if needed.
  virtual absl::StatusOr<std::unique_ptr<KvBucket>> EnsureKeyValue(const nats::KeyValueConfig& config) = 0;
};

}  // namespace clobmaker::service
