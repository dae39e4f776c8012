// Timers on an injected clock: each due callback is posted to an executor (the service's loop).
// Nothing here sleeps: production has one thread that waits for the next deadline (TimerThread),
// in-process tests move a ManualClock and fire what is due (testing::ManualHost).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "common/core/clock.h"
#include "common/core/executor.h"

namespace clobmaker::service {

using TimerId = uint64_t;

class TimerQueue {
 public:
  // Deadlines are on `clock`'s monotonic reading; callbacks go to `executor`.
  TimerQueue(const Clock& clock, Executor& executor) : clock_(clock), executor_(executor) {}

  // Runs `fn` after `delay`, then every `interval` when it is > 0. Thread-safe.
  TimerId Add(Nanos delay, Nanos interval, std::function<void()> fn);
  // No call of the timer starts after this returns (one already running finishes). Thread-safe.
  void Cancel(TimerId id);
  void CancelAll();
  // Posts what is due now; returns the next deadline, if any.
  std::optional<Nanos> PostDue();
  std::optional<Nanos> NextDeadline() const;
  size_t size() const;

  // Called when a deadline earlier than every other is added (wakes a waiting TimerThread).
  void set_on_change(std::function<void()> on_change);
  const Clock& clock() const { return clock_; }

 private:
  struct Timer {
    Nanos deadline = 0;
    Nanos interval = 0;
    std::shared_ptr<std::atomic<bool>> live;
    std::shared_ptr<std::function<void()>> fn;
  };
  const Clock& clock_;
  Executor& executor_;
  mutable std::mutex mu_;
  std::map<TimerId, Timer> timers_;
  TimerId next_id_ = 1;
  std::function<void()> on_change_;
};

// The production driver: one thread waiting for the next deadline of a queue on the system clock.
class TimerThread {
 public:
  explicit TimerThread(TimerQueue& queue);
  ~TimerThread();  // stops and joins
  TimerThread(const TimerThread&) = delete;
  TimerThread& operator=(const TimerThread&) = delete;

 private:
  void Run();
  TimerQueue& queue_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool changed_ = false;
  std::thread thread_;
};

}  // namespace clobmaker::service
