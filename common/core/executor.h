// Executors: where a core's work runs.
//
// Each service core (order manager, book builder, ...) is owned by exactly one executor, so the
// core needs no locks. Adapters (NATS callbacks, gRPC handlers, websocket readers) never touch a
// core on their own thread: they copy what they received and Post() it to the owner's executor.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace clobmaker {

class Executor {
 public:
  using Task = std::function<void()>;
  virtual ~Executor() = default;
  // Queues `task` to run later on the executor. Thread-safe. Never runs it inline.
  virtual void Post(Task task) = 0;
};

// Queues tasks until the owner drains them explicitly: for deterministic tests, where the test
// decides when callbacks run. Thread-safe to Post() into; drain from one thread.
class ManualExecutor final : public Executor {
 public:
  void Post(Task task) override;
  // Runs queued tasks (including ones they post) until the queue is empty; returns how many ran.
  size_t RunAll();
  // Runs at most one task; returns whether one ran.
  bool RunOne();
  size_t pending() const;

 private:
  mutable std::mutex mu_;
  std::deque<Task> tasks_;
};

// One worker thread that runs tasks in FIFO order. The destructor finishes queued tasks and joins.
class ThreadExecutor final : public Executor {
 public:
  ThreadExecutor();
  ~ThreadExecutor() override;
  ThreadExecutor(const ThreadExecutor&) = delete;
  ThreadExecutor& operator=(const ThreadExecutor&) = delete;

  void Post(Task task) override;
  // True when called from the worker thread.
  bool InWorkerThread() const { return std::this_thread::get_id() == worker_.get_id(); }
  // Tasks waiting behind the running one (a backlog signal for latest-wins consumers).
  size_t queued() const;

 private:
  void Run();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> tasks_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace clobmaker
