// JetStream publishing in order, off the loop: what a service must not lose (CM_USER, CM_ORDERS)
// goes through an outbox. Publishes block on the server's ack, so they run on a host worker; a
// failure is retried with backoff on the host's timers (never a sleep), and the message id makes a
// retry after a lost ack harmless. Everything but the publishing itself happens on the loop.
// AfterPublished is the hook for what may only follow an ack (a cursor persisted past what it
// covers).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>

#include "common/core/clock.h"
#include "common/core/executor.h"
#include "common/service/host.h"

namespace clobmaker::service {

class DurableOutbox {
 public:
  struct Options {
    std::string name;                            // for log lines: "userstream: CM_USER"
    int max_attempts = 5;                        // per message; then it is dropped (logged and counted)
    Nanos first_backoff = 100 * kNanosPerMilli;  // doubles each attempt
  };
  // `worker` runs the publishes (FIFO); host and worker are borrowed.
  DurableOutbox(Host& host, Executor& worker, Options options)
      : host_(host), worker_(worker), options_(std::move(options)) {}

  // On the loop.
  void Add(std::string subject, std::string data, std::string msg_id);
  size_t pending() const { return queue_.size(); }
  uint64_t failures() const { return failures_; }      // failed attempts
  uint64_t duplicates() const { return duplicates_; }  // acked as already stored
  uint64_t dropped() const { return dropped_; }        // given up after max_attempts
  // `done` runs on the loop once everything is published (or dropped), or after `timeout`.
  void Drain(Nanos timeout, std::function<void()> done);
  // `then` runs on the loop once every message added before this call is published or dropped
  // (at once when none is pending). `all_published` is false if any message added before it was
  // ever dropped: what follows an ack must not pass over a message that never got one.
  void AfterPublished(std::function<void(bool all_published)> then);

 private:
  struct Item {
    std::string subject, data, msg_id;
  };
  void Pump();
  void OnBatch(size_t published, uint64_t duplicates, const absl::Status& error);
  void CheckDrained();
  void RunWaiters();

  Host& host_;
  Executor& worker_;
  Options options_;
  std::deque<Item> queue_;
  bool in_flight_ = false;
  int attempt_ = 0;
  uint64_t failures_ = 0, duplicates_ = 0, dropped_ = 0;
  std::function<void()> drained_;
  // Messages are numbered in order of Add; `completed_` of them are published or dropped.
  uint64_t added_ = 0, completed_ = 0;
  std::optional<uint64_t> first_dropped_;  // the number of the first message dropped
  struct Waiter {
    uint64_t until;  // runs once completed_ >= until
    std::function<void(bool)> then;
  };
  std::deque<Waiter> waiters_;
  TimerId drain_timer_ = 0;
};

}  // namespace clobmaker::service
