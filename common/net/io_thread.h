// One event-loop thread (a Boost.Asio io_context) that runs network clients and servers. All
// network work of the objects bound to it happens on this thread, so they need no locks; results
// are handed to the owners' executors. Asio is not visible from this header.
#pragma once

#include <functional>
#include <memory>

#include "common/core/clock.h"
#include "common/core/executor.h"

namespace clobmaker::net {

class IoThread final : public Executor {
 public:
  IoThread();
  ~IoThread() override;  // stops the loop and joins
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;

  // Runs `task` on the loop thread.
  void Post(Task task) override;
  // Runs `task` on the loop thread after `delay`.
  void PostAfter(Nanos delay, Task task);
  bool InLoopThread() const;

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace clobmaker::net
