// The seam between decision code and the bus.
//
// Service cores emit (subject, payload, dedupe key) triples; the shell hands them to a Publisher.
// Production uses NatsPublisher (core NATS, latest-wins data) or JetStreamPublisher (events that
// must not be lost, with Nats-Msg-Id); tests use testing::FakePublisher.
#pragma once

#include <absl/status/status.h>

#include <string_view>

namespace clobmaker::nats {

class Publisher {
 public:
  virtual ~Publisher() = default;
  // Publishes `data` on `subject`. `msg_id`, when not empty, is the deduplication key
  // (Nats-Msg-Id) for publishers that support it; others ignore it.
  virtual absl::Status Publish(std::string_view subject, std::string_view data, std::string_view msg_id = {}) = 0;
};

}  // namespace clobmaker::nats
