// The queue model of the replay and mirror exchanges: where our resting orders stand in the
// recorded book's queues, and which recorded trades would have reached them. Pure (no I/O, time
// injected), deterministic.
//
// Everything is on one market's canonical book (the YES token's; a NO order at q is the YES
// order of the opposite side at 1 - q, as the exchange matches it). "Recorded" sizes are the
// other participants' (the journal's or the live feed's), never ours.
//
//  - An order joins its level behind the recorded size there now.
//  - A recorded trade (taker side, price P, size S) walks our orders in priority: prices better
//    than P first (the taker would have taken them first: a trade *through* our price), then P;
//    at each level the recorded size ahead of an order takes the volume first, only what reaches
//    the order fills it, and the orders behind get what is left. Fills never exceed S.
//  - A recorded level that shrinks without a trade is ambiguous: the trade that explains it may
//    arrive just after (the exchange publishes the level change before last_trade_price). Such a
//    decrease waits `explain_window`; a trade at the level within it is taken as its cause (not
//    counted twice); after it, the decrease was cancels, assumed to come from behind our order
//    first (conservative): the size ahead shrinks only to the level's new size. A trade that
//    arrives before its level change is remembered likewise, so that change is not a cancel.
//  - Growth of a level goes behind our orders.
// Left out (docs/replay.md): our fills do not take liquidity from the recorded book (no market
// impact); a recorded order arriving at or through our price without a trade does not fill us.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/core/clock.h"
#include "common/model/types.h"

namespace clobmaker::simexchange::replay {

using model::Side;

struct QueueModelConfig {
  Nanos explain_window = kNanosPerSecond;
};

struct QueuedOrder {
  std::string id;
  Side side = Side::kBuy;  // canonical: kBuy = a bid on the YES book
  int64_t price = 0;       // canonical price units
  int64_t remaining = 0;   // micros
  uint64_t sequence = 0;   // time priority (the exchange core's)
  int64_t ahead = 0;       // recorded size ahead of it (micros)
};

struct QueueFill {
  std::string id;
  int64_t price = 0;  // the order's canonical price
  int64_t size = 0;   // micros
};

struct QueueCounters {
  uint64_t trades = 0, trades_reaching_us = 0, explained_decreases = 0, cancels = 0, early_trades = 0;
};

class QueueModel {
 public:
  explicit QueueModel(QueueModelConfig config = {}) : config_(config) {}

  // The recorded size at a level is now `size` (micros; 0 removes it).
  void SetLevel(Side side, int64_t price, int64_t size, Nanos now);
  int64_t LevelSize(Side side, int64_t price) const;
  // Every recorded level (for a snapshot: set the new ones, zero the rest).
  std::vector<std::pair<int64_t, int64_t>> Levels(Side side) const;

  // An order rests, behind what is recorded at its level now.
  void Join(const std::string& id, Side side, int64_t price, int64_t remaining, uint64_t sequence);
  void Leave(const std::string& id);
  void SetRemaining(const std::string& id, int64_t remaining);

  // A recorded trade: `taker_side` took `size` at `price`. What reaches our orders, in priority.
  // The orders' remaining sizes are reduced by their fills.
  std::vector<QueueFill> OnTrade(Side taker_side, int64_t price, int64_t size, Nanos now);
  // Decreases that no trade explained within the window become cancels.
  void Advance(Nanos now);

  const QueuedOrder* Find(const std::string& id) const;
  std::vector<QueuedOrder> Orders() const;
  const QueueCounters& counters() const { return counters_; }

 private:
  struct Level {
    int64_t size = 0;
    int64_t pending = 0;  // decrease not yet explained by a trade
    Nanos pending_since = 0;
    int64_t expected = 0;  // traded before the level change that will show it
    Nanos expected_since = 0;
  };
  using Book = std::map<int64_t, Level>;
  Book& BookOf(Side side) { return side == Side::kBuy ? bids_ : asks_; }
  const Book& BookOf(Side side) const { return side == Side::kBuy ? bids_ : asks_; }
  void Clamp(Side side, int64_t price, const Level& level);
  void MaybeErase(Side side, int64_t price);

  QueueModelConfig config_;
  Book bids_, asks_;
  std::map<std::string, QueuedOrder> orders_;
  QueueCounters counters_;
};

}  // namespace clobmaker::simexchange::replay
