// Runs `fn` on an executor and waits for its result: how a thread off a service's loop (gRPC
// handlers, worker threads) reads or changes state the loop owns. Never call it on that loop.
#pragma once

#include <future>
#include <type_traits>
#include <utility>

#include "common/core/executor.h"

namespace clobmaker {

template <typename F>
auto RunAndWait(Executor& executor, F&& fn) -> decltype(fn()) {
  using R = decltype(fn());
  std::promise<R> done;
  auto result = done.get_future();
  executor.Post([&] {
    if constexpr (std::is_void_v<R>) {
      fn();
      done.set_value();
    } else {
      done.set_value(fn());
    }
  });
  return result.get();
}

}  // namespace clobmaker
