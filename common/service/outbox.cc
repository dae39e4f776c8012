#include "common/service/outbox.h"

#include <spdlog/spdlog.h>

#include <vector>

#include "common/core/status.h"

namespace clobmaker::service {

namespace {
constexpr size_t kBatch = 64;
}  // namespace

void DurableOutbox::Add(std::string subject, std::string data, std::string msg_id) {
  queue_.push_back({std::move(subject), std::move(data), std::move(msg_id)});
  added_++;
  Pump();
}

void DurableOutbox::Pump() {
  if (in_flight_ || queue_.empty()) return;
  in_flight_ = true;
  std::vector<Item> batch(queue_.begin(),
                          queue_.begin() + static_cast<std::ptrdiff_t>(std::min(kBatch, queue_.size())));
  worker_.Post([this, batch = std::move(batch)] {
    size_t published = 0;
    uint64_t duplicates = 0;
    absl::Status error;
    for (const Item& item : batch) {
      auto ack = host_.bus().PublishDurable(item.subject, item.data, item.msg_id);
      if (!ack.ok()) {
        error = ack.status();
        break;
      }
      duplicates += ack->duplicate ? 1 : 0;
      ++published;
    }
    host_.loop().Post([this, published, duplicates, error] { OnBatch(published, duplicates, error); });
  });
}

void DurableOutbox::OnBatch(size_t published, uint64_t duplicates, const absl::Status& error) {
  queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(published));
  completed_ += published;
  duplicates_ += duplicates;
  if (published > 0) attempt_ = 0;
  if (error.ok()) {
    in_flight_ = false;
    Pump();
    RunWaiters();
    CheckDrained();
    return;
  }
  failures_++;
  if (++attempt_ >= options_.max_attempts) {
    spdlog::error("{} publish failed: {}; dropped after {} attempts", options_.name, StatusText(error), attempt_);
    queue_.pop_front();
    if (!first_dropped_) first_dropped_ = completed_;
    completed_++;
    dropped_++;
    attempt_ = 0;
    in_flight_ = false;
    Pump();
    RunWaiters();
    CheckDrained();
    return;
  }
  spdlog::warn("{} publish failed: {}; retrying", options_.name, StatusText(error));
  RunWaiters();  // what the batch published before the failure
  host_.After(options_.first_backoff << (attempt_ - 1), [this] {
    in_flight_ = false;
    Pump();
  });
}

void DurableOutbox::Drain(Nanos timeout, std::function<void()> done) {
  drained_ = std::move(done);
  drain_timer_ = host_.After(timeout, [this] {
    if (!drained_) return;
    spdlog::warn("{}: {} messages not published at shutdown", options_.name, queue_.size());
    auto then = std::move(drained_);
    drained_ = nullptr;
    then();
  });
  CheckDrained();
}

void DurableOutbox::AfterPublished(std::function<void(bool all_published)> then) {
  waiters_.push_back({.until = added_, .then = std::move(then)});
  RunWaiters();
}

void DurableOutbox::RunWaiters() {
  while (!waiters_.empty() && waiters_.front().until <= completed_) {
    Waiter w = std::move(waiters_.front());
    waiters_.pop_front();
    w.then(!first_dropped_ || *first_dropped_ >= w.until);
  }
}

void DurableOutbox::CheckDrained() {
  if (!drained_ || !queue_.empty() || in_flight_) return;
  host_.CancelTimer(drain_timer_);
  auto done = std::move(drained_);
  drained_ = nullptr;
  done();
}

}  // namespace clobmaker::service
