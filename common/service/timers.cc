#include "common/service/timers.h"

#include <algorithm>
#include <chrono>
#include <vector>

namespace clobmaker::service {

TimerId TimerQueue::Add(Nanos delay, Nanos interval, std::function<void()> fn) {
  std::function<void()> notify;
  TimerId id = 0;
  {
    std::lock_guard lock(mu_);
    id = next_id_++;
    const Nanos deadline = clock_.MonotonicNanos() + std::max<Nanos>(delay, 0);
    bool earliest = true;
    for (const auto& [other, t] : timers_) earliest = earliest && deadline < t.deadline;
    timers_[id] = Timer{.deadline = deadline,
                        .interval = interval,
                        .live = std::make_shared<std::atomic<bool>>(true),
                        .fn = std::make_shared<std::function<void()>>(std::move(fn))};
    if (earliest) notify = on_change_;
  }
  if (notify) notify();
  return id;
}

void TimerQueue::set_on_change(std::function<void()> on_change) {
  std::lock_guard lock(mu_);
  on_change_ = std::move(on_change);
}

void TimerQueue::Cancel(TimerId id) {
  std::lock_guard lock(mu_);
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  it->second.live->store(false);
  timers_.erase(it);
}

void TimerQueue::CancelAll() {
  std::lock_guard lock(mu_);
  for (auto& [id, t] : timers_) t.live->store(false);
  timers_.clear();
}

std::optional<Nanos> TimerQueue::PostDue() {
  std::vector<Timer> due;
  std::optional<Nanos> next;
  {
    std::lock_guard lock(mu_);
    const Nanos now = clock_.MonotonicNanos();
    for (auto it = timers_.begin(); it != timers_.end();) {
      Timer& t = it->second;
      if (t.deadline <= now) {
        due.push_back(t);
        if (t.interval > 0) {
          // The next period from the one due, but never a burst of catch-up calls after a stall.
          t.deadline = std::max(t.deadline + t.interval, now + 1);
        } else {
          it = timers_.erase(it);  // `live` stays true: the posted call still runs
          continue;
        }
      }
      if (!next || t.deadline < *next) next = t.deadline;
      ++it;
    }
  }
  for (const Timer& t : due) {
    executor_.Post([live = t.live, fn = t.fn] {
      if (live->load()) (*fn)();
    });
  }
  return next;
}

std::optional<Nanos> TimerQueue::NextDeadline() const {
  std::lock_guard lock(mu_);
  std::optional<Nanos> next;
  for (const auto& [id, t] : timers_) {
    if (!next || t.deadline < *next) next = t.deadline;
  }
  return next;
}

size_t TimerQueue::size() const {
  std::lock_guard lock(mu_);
  return timers_.size();
}

TimerThread::TimerThread(TimerQueue& queue) : queue_(queue) {
  queue_.set_on_change([this] {
    std::lock_guard lock(mu_);
    changed_ = true;
    cv_.notify_one();
  });
  thread_ = std::thread([this] { Run(); });
}

TimerThread::~TimerThread() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
  queue_.set_on_change(nullptr);
}

void TimerThread::Run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    lock.unlock();
    const std::optional<Nanos> next = queue_.PostDue();
    lock.lock();
    if (stop_) break;
    if (changed_) {
      changed_ = false;
      continue;
    }
    const auto predicate = [this] { return stop_ || changed_; };
    if (next) {
      const Nanos wait = *next - queue_.clock().MonotonicNanos();
      if (wait > 0) cv_.wait_for(lock, std::chrono::nanoseconds(wait), predicate);
    } else {
      cv_.wait(lock, predicate);
    }
    changed_ = false;
  }
}

}  // namespace clobmaker::service
