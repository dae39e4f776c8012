// Bounded waiting for tests that involve real processes or threads. Never a timed assertion:
// the bound only stops a broken test from hanging; correctness is asserted on the condition.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace clobmaker::testing {

// Polls `condition` until it holds or `timeout` passes; returns its last value.
inline bool Eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10),
                       std::chrono::milliseconds poll = std::chrono::milliseconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(poll);
  }
  return condition();
}

}  // namespace clobmaker::testing
