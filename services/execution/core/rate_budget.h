// A token bucket per exchange endpoint class, with a lane kept for cancels: posts may only spend
// down to `reserve`, cancels may always spend (and may drive the bucket negative, which delays
// posts further). Cancels are never refused by a budget (design.md s4); posts are shed.
#pragma once

#include <algorithm>
#include <cstdint>

#include "common/core/clock.h"

namespace clobmaker::execution {

struct RateBudgetConfig {
  double capacity = 500;          // requests
  double refill_per_second = 50;  // sustained rate
  double reserve = 100;           // kept for cancels
};

class RateBudget {
 public:
  RateBudget() = default;
  explicit RateBudget(RateBudgetConfig config) : config_(config), tokens_(config.capacity) {}

  // Takes `n` for a post-like request if that leaves at least the reserve; false = shed it.
  bool TryTake(double n, Nanos now) {
    Refill(now);
    if (tokens_ - n < config_.reserve) return false;
    tokens_ -= n;
    return true;
  }
  // Cancels always go; they only spend.
  void TakeForCancel(double n, Nanos now) {
    Refill(now);
    tokens_ -= n;
  }
  double available(Nanos now) {
    Refill(now);
    return tokens_;
  }
  const RateBudgetConfig& config() const { return config_; }

 private:
  void Refill(Nanos now) {
    if (last_ != 0 && now > last_) {
      tokens_ = std::min(config_.capacity,
                         tokens_ + config_.refill_per_second * static_cast<double>(now - last_) / kNanosPerSecond);
    }
    if (now > last_) last_ = now;
  }

  RateBudgetConfig config_;
  double tokens_ = config_.capacity;
  Nanos last_ = 0;
};

}  // namespace clobmaker::execution
