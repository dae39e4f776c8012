// Time as an injected dependency.
//
// Decision code (order manager, quote engine, exchange core, ledgers) never reads the system
// clock; it is handed a Clock (or plain timestamps). Services use SystemClock; tests and
// deterministic simulations use ManualClock and advance it explicitly, so any interleaving of
// events and timers can be replayed.
//
// All values are nanoseconds in int64_t: Monotonic for durations and deadlines, Wall (Unix epoch)
// for anything that goes on the wire.
#pragma once

#include <cstdint>

namespace clobmaker {

using Nanos = int64_t;

inline constexpr Nanos kNanosPerMicro = 1'000;
inline constexpr Nanos kNanosPerMilli = 1'000'000;
inline constexpr Nanos kNanosPerSecond = 1'000'000'000;

class Clock {
 public:
  virtual ~Clock() = default;
  // Never decreases; unrelated to calendar time.
  virtual Nanos MonotonicNanos() const = 0;
  // Unix epoch time; may jump.
  virtual Nanos WallNanos() const = 0;

  int64_t WallMillis() const { return WallNanos() / kNanosPerMilli; }
  int64_t WallSeconds() const { return WallNanos() / kNanosPerSecond; }
};

// The process's real clocks (CLOCK_MONOTONIC and CLOCK_REALTIME). Thread-safe.
class SystemClock final : public Clock {
 public:
  Nanos MonotonicNanos() const override;
  Nanos WallNanos() const override;
  // A shared instance for the imperative shell.
  static const SystemClock& Instance();
};

// A clock that moves only when told to. Both readings advance together; Wall starts at the given
// epoch value. Not thread-safe: owned by one test or simulation thread.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Nanos wall_start = 1'780'000'000LL * kNanosPerSecond) : wall_start_(wall_start) {}

  Nanos MonotonicNanos() const override { return monotonic_; }
  Nanos WallNanos() const override { return wall_start_ + monotonic_; }

  // Moves time forward by `delta` (which must be >= 0).
  void Advance(Nanos delta);
  // Moves time to `monotonic` if it is later than now; never backwards.
  void AdvanceTo(Nanos monotonic);

 private:
  Nanos wall_start_;
  Nanos monotonic_ = 0;
};

}  // namespace clobmaker
