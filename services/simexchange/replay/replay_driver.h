// Plays a journal into the external market at a pace: `speed` recorded seconds per wall second,
// or (speed 0) as fast as the stack allows: the next `step` of recorded time is played once the
// simulator has had no request from a client for `quiet` since the last step (the stack has
// reacted), and at the latest after `max_wait`; recorded stretches with nothing in them are
// skipped. Pure: the shell hands in its clock and the time of the last client request.
#pragma once

#include <optional>
#include <vector>

#include "common/journal/journal.h"
#include "services/simexchange/replay/external_market.h"

namespace clobmaker::simexchange::replay {

struct PacingConfig {
  double speed = 1.0;  // 0: as fast as the stack allows
  Nanos step = 200 * kNanosPerMilli;
  Nanos quiet = 25 * kNanosPerMilli;
  Nanos max_wait = kNanosPerSecond;
  Nanos prime = kNanosPerSecond;  // recorded time played before the start (the initial books)
};

struct ReplayMarkets {
  std::vector<MarketConfig> markets;
  uint64_t bad_market_info = 0;
};

class ReplayDriver {
 public:
  ReplayDriver(std::vector<journal::Record> records, PacingConfig pacing);

  // The journal's markets (the first metadata record of each), end times moved by `shift`
  // (recorded time -> the simulator's clock) so that a past session's markets are still open.
  ReplayMarkets Markets(Nanos shift) const;
  Nanos first_t() const { return first_t_; }
  Nanos last_t() const { return last_t_; }

  // Plays the first `prime` of recorded time (the books before anyone trades).
  void Prime(Exchange& exchange, ExternalMarket& market, Nanos wall);
  // Starts the clock: from now on Step plays records.
  void Start(Nanos wall);
  bool started() const { return started_; }
  bool done() const { return next_ >= records_.size(); }
  // Plays what is due at `wall`; true if anything was played.
  bool Step(Exchange& exchange, ExternalMarket& market, Nanos wall, Nanos last_request_wall);
  Nanos target() const { return target_; }
  size_t played() const { return next_; }
  size_t records() const { return records_.size(); }

 private:
  void PlayUntil(Exchange& exchange, ExternalMarket& market, Nanos t, Nanos wall);

  std::vector<journal::Record> records_;
  PacingConfig pacing_;
  size_t next_ = 0;
  Nanos first_t_ = 0, last_t_ = 0;
  Nanos target_ = 0;
  bool started_ = false;
  Nanos start_wall_ = 0, start_t_ = 0, last_step_wall_ = 0;
};

}  // namespace clobmaker::simexchange::replay
