// A seeded, platform-independent random number generator.
//
// Deterministic simulations print their seed and must replay bit for bit on any machine, so the
// generator is xoshiro256** seeded through SplitMix64, and every distribution below is written
// out here rather than taken from <random> (whose distributions differ between standard
// libraries). Not thread-safe; each simulation owns its own.
#pragma once

#include <cstdint>

namespace clobmaker {

class Rng {
 public:
  explicit Rng(uint64_t seed);

  uint64_t seed() const { return seed_; }

  // 64 uniformly random bits.
  uint64_t Next();
  // Uniform in [0, bound); bound > 0. Unbiased (rejection sampling).
  uint64_t Below(uint64_t bound);
  // Uniform in [lo, hi] inclusive; lo <= hi.
  int64_t Between(int64_t lo, int64_t hi);
  // Uniform double in [0, 1), 53 bits of precision.
  double Unit();
  // True with probability p (p outside [0, 1] is clamped).
  bool Chance(double p);
  // Standard normal variate (Box-Muller, one value per call, deterministic).
  double Normal();
  // Exponential variate with the given mean (> 0).
  double Exponential(double mean);
  // An independent generator derived from this one (for sub-simulations).
  Rng Fork();

 private:
  uint64_t seed_;
  uint64_t s_[4];
};

}  // namespace clobmaker
