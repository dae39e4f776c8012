// Our model of one of the exchange's per-signer token buckets (orders or cancels): the same
// continuous refill and burst capacity as the tier it is sized from, spent when a request is
// sent, re-synchronised from the Poly-RateLimit-Remaining header of every answer. A request is
// only worth sending when the bucket holds its whole cost (the exchange admits a batch whole or
// not at all), so callers ask `Affordable` before they size a batch.
//
// Posts may only spend down to `reserve` (kept for cancels and for what a kill costs); cancels
// spend what is there, and the cancel bucket may go negative after a cancel-all on tiers that
// allow debt (then nothing more is affordable until it refills).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "common/core/clock.h"

namespace clobmaker::execution {

struct RateBudgetConfig {
  double capacity = 500;          // the bucket's burst
  double refill_per_second = 50;  // sustained rate
  double reserve = 0;             // posts leave this much (the order bucket: none)
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
  // Spends `n` whatever the level (cancels, listings): the request goes now.
  void TakeForCancel(double n, Nanos now) {
    Refill(now);
    tokens_ -= n;
  }
  // Gives back tokens taken for a request that did not go.
  void Refund(double n) { tokens_ = std::min(config_.capacity, tokens_ + n); }
  // Whole tokens available above `keep` (never negative).
  int64_t Affordable(Nanos now, double keep = 0) {
    Refill(now);
    return std::max<int64_t>(0, static_cast<int64_t>(std::floor(tokens_ - keep + 1e-9)));
  }
  double available(Nanos now) {
    Refill(now);
    return tokens_;
  }
  // A new size (the tier changed): the level is kept, capped at the new burst.
  void Resize(double capacity, double refill_per_second, Nanos now) {
    Refill(now);
    config_.capacity = capacity;
    config_.refill_per_second = refill_per_second;
    tokens_ = std::min(tokens_, capacity);
  }
  // The exchange said `remaining` tokens were left when it answered; requests of ours it may not
  // have counted yet cost `inflight` more. Our estimate becomes that, never above the burst.
  void Sync(double remaining, double inflight, Nanos now) {
    Refill(now);
    tokens_ = std::min(config_.capacity, remaining - inflight);
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
