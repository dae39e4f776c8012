// The Bus over nats-server: one connection, its JetStream context, and a thread per durable
// consumer that fetches, hands each batch to the loop and acknowledges it once handled.
#pragma once

#include <absl/status/statusor.h>

#include <memory>
#include <string>

#include "common/core/executor.h"
#include "common/nats/nats.h"
#include "common/service/bus.h"

namespace clobmaker::service {

class NatsBus final : public Bus {
 public:
  // Connects as `name` (shown by the server's monitoring); handlers run on `loop`.
  static absl::StatusOr<std::unique_ptr<NatsBus>> Connect(const std::string& url, const std::string& name,
                                                          Executor& loop);
  ~NatsBus() override;

  absl::Status Publish(std::string_view subject, std::string_view data) override;
  absl::Status Flush(Nanos timeout) override;
  absl::StatusOr<std::unique_ptr<BusSubscription>> Subscribe(std::string subject,
                                                             std::function<void(BusMessage)> handler) override;
  absl::Status EnsureStream(const nats::StreamConfig& config) override;
  absl::StatusOr<nats::PublishAck> PublishDurable(std::string_view subject, std::string_view data,
                                                  std::string_view msg_id) override;
  absl::Status EnsureConsumer(const ConsumerSpec& spec) override;
  absl::StatusOr<std::unique_ptr<BusSubscription>> Consume(const ConsumerSpec& spec,
                                                           std::function<void(BusMessage)> handler) override;
  absl::StatusOr<std::unique_ptr<KvBucket>> EnsureKeyValue(const nats::KeyValueConfig& config) override;

 private:
  NatsBus(Executor& loop, std::unique_ptr<nats::Connection> connection, std::unique_ptr<nats::JetStream> js)
      : loop_(loop), connection_(std::move(connection)), js_(std::move(js)) {}
  Executor& loop_;
  std::unique_ptr<nats::Connection> connection_;
  std::unique_ptr<nats::JetStream> js_;
};

}  // namespace clobmaker::service
