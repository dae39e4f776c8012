#include "common/core/clock.h"

#include <ctime>

#include "common/core/status.h"

namespace clobmaker {
namespace {
Nanos Read(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<Nanos>(ts.tv_sec) * kNanosPerSecond + ts.tv_nsec;
}
}  // namespace

Nanos SystemClock::MonotonicNanos() const { return Read(CLOCK_MONOTONIC); }
Nanos SystemClock::WallNanos() const { return Read(CLOCK_REALTIME); }

const SystemClock& SystemClock::Instance() {
  static const SystemClock clock;
  return clock;
}

void ManualClock::Advance(Nanos delta) {
  CM_CHECK(delta >= 0);
  monotonic_ += delta;
}

void ManualClock::AdvanceTo(Nanos monotonic) {
  if (monotonic > monotonic_) monotonic_ = monotonic;
}

}  // namespace clobmaker
