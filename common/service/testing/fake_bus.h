// An in-process Bus for unit tests of service shells: subjects with NATS wildcards, streams with
// message-id deduplication, durable consumers that remember what they acknowledged, and KeyValue
// buckets with revisions — the behaviour the shells rely on, with no server and no sockets.
// Handlers run on the executor given at construction (a ManualExecutor in ManualHost).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/core/executor.h"
#include "common/service/bus.h"

namespace clobmaker::service::testing {

// NATS subject matching: '*' one token, '>' the rest (one token or more).
bool SubjectMatches(std::string_view pattern, std::string_view subject);

class FakeBus final : public Bus {
 public:
  explicit FakeBus(Executor& loop);
  ~FakeBus() override;

  absl::Status Publish(std::string_view subject, std::string_view data) override;
  absl::Status Flush(Nanos) override { return absl::OkStatus(); }
  absl::StatusOr<std::unique_ptr<BusSubscription>> Subscribe(std::string subject,
                                                             std::function<void(BusMessage)> handler) override;
  absl::Status EnsureStream(const nats::StreamConfig& config) override;
  absl::StatusOr<nats::PublishAck> PublishDurable(std::string_view subject, std::string_view data,
                                                  std::string_view msg_id) override;
  absl::Status EnsureConsumer(const ConsumerSpec& spec) override;
  absl::StatusOr<std::unique_ptr<BusSubscription>> Consume(const ConsumerSpec& spec,
                                                           std::function<void(BusMessage)> handler) override;
  absl::StatusOr<std::unique_ptr<KvBucket>> EnsureKeyValue(const nats::KeyValueConfig& config) override;

  // What tests look at: every message published on a subject matching `pattern` (core and
  // JetStream, in order), and the contents of a bucket.
  std::vector<BusMessage> Published(std::string_view pattern) const;
  KvBucket* Bucket(const std::string& name);

  struct State;

 private:
  Executor& loop_;
  std::shared_ptr<State> state_;
  std::vector<std::unique_ptr<KvBucket>> keep_;  // what Bucket() handed out
};

}  // namespace clobmaker::service::testing
