#include "common/core/executor.h"

#include <utility>

namespace clobmaker {

void ManualExecutor::Post(Task task) {
  std::lock_guard lock(mu_);
  tasks_.push_back(std::move(task));
}

bool ManualExecutor::RunOne() {
  Task task;
  {
    std::lock_guard lock(mu_);
    if (tasks_.empty()) return false;
    task = std::move(tasks_.front());
    tasks_.pop_front();
  }
  task();
  return true;
}

size_t ManualExecutor::RunAll() {
  size_t ran = 0;
  while (RunOne()) ++ran;
  return ran;
}

size_t ManualExecutor::pending() const {
  std::lock_guard lock(mu_);
  return tasks_.size();
}

ThreadExecutor::ThreadExecutor() : worker_([this] { Run(); }) {}

ThreadExecutor::~ThreadExecutor() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  worker_.join();
}

void ThreadExecutor::Post(Task task) {
  {
    std::lock_guard lock(mu_);
    tasks_.push_back(std::move(task));
  }
  cv_.notify_one();
}

size_t ThreadExecutor::queued() const {
  std::lock_guard lock(mu_);
  return tasks_.size();
}

void ThreadExecutor::Run() {
  for (;;) {
    Task task;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // stopping and drained
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

}  // namespace clobmaker
