// What the replay (or mirror) exchange observed of our trading, for the backtest report: every
// fill of ours with the market's mid then and 1 s / 10 s / 60 s later (recorded time), and a
// sample per market every second of recorded time (the recorded book, fair value, our best
// quotes, our share of the liquidity-reward score). Pure data with a JSON form (served at
// GET /replay/report and read by clobmaker-backtest).
#pragma once

#include <absl/status/statusor.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/core/clock.h"
#include "common/model/types.h"

namespace clobmaker::simexchange::replay {

inline constexpr std::array<Nanos, 3> kMarkoutHorizons = {1 * kNanosPerSecond, 10 * kNanosPerSecond,
                                                          60 * kNanosPerSecond};

struct FillRecord {
  Nanos t = 0;          // recorded time of the fill
  int64_t wall_ms = 0;  // the simulator's clock
  std::string market, token, order_id, owner;
  model::Side side = model::Side::kBuy;            // the order's side on its own token
  int64_t price = 0;                               // the order's price on its own token (units)
  int64_t size = 0;                                // micros
  bool taker = false;                              // we crossed the recorded book (else a recorded trade reached us)
  int64_t trade_seq = -1;                          // the recorded trade that reached it (0-based, journal order)
  std::optional<double> mid;                       // the token's recorded mid at the fill (probability)
  std::array<std::optional<double>, 3> mid_after;  // ... at t + kMarkoutHorizons
};

struct Sample {
  Nanos t = 0;
  std::string market;
  std::optional<double> bid, ask;          // recorded best bid/ask of the YES token
  std::optional<double> fair;              // reference price when the journal has one, else nothing
  std::optional<double> our_bid, our_ask;  // our best quotes, on the YES book (NO orders mirrored)
  int64_t our_bid_size = 0, our_ask_size = 0;
  double score_share = 0;  // ours / (ours + recorded) of the reward score within the band
};

struct MarketRef {
  std::string condition_id, slug, yes_token, no_token;
};

struct ReplayCounters {
  uint64_t records = 0, market_frames = 0, reference_frames = 0, bad_frames = 0, recorded_trades = 0,
           trades_reaching_us = 0, duplicate_trades = 0, fills_refused = 0, tick_changes = 0, cross_through_events = 0,
           explained_decreases = 0, cancels = 0;
  int64_t cross_through_micros = 0;  // recorded size that arrived at or through our price with no trade
};

struct ReplayReport {
  std::string mode;  // "replay" or "mirror"
  bool done = false;
  Nanos first_t = 0, last_t = 0, position_t = 0;
  std::vector<MarketRef> markets;
  std::vector<FillRecord> fills;
  std::vector<Sample> samples;
  ReplayCounters counters;
};

std::string EncodeReport(const ReplayReport& report);
absl::StatusOr<ReplayReport> DecodeReport(std::string_view json);

}  // namespace clobmaker::simexchange::replay
