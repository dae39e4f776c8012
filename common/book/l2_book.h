// An L2 order book for one token in integer prices and sizes, with the integrity checks that
// tell its owner to resync (GET /book) instead of trusting a book that has drifted.
//
// Pure: no I/O, no clock. Used by marketdata (books from the websocket), the simulator's
// market-data publisher and tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/model/types.h"
#include "common/polymarket/events.h"

namespace clobmaker::book {

using polymarket::Level;

class L2Book {
 public:
  explicit L2Book(model::TickSize tick = model::TickSize::Cent()) : tick_(tick) {}

  // Replaces the whole book. Levels may arrive in any order (the exchange's order has varied);
  // zero-size levels are dropped, duplicates keep the last.
  void ApplySnapshot(const std::vector<Level>& bids, const std::vector<Level>& asks);
  // Sets one level's aggregate size; zero removes it. Side kBuy = bids.
  void SetLevel(model::Side side, model::Price price, model::Size size);
  void Clear();

  std::optional<Level> BestBid() const;
  std::optional<Level> BestAsk() const;
  // Best first; depth 0 = all.
  std::vector<Level> Bids(size_t depth = 0) const;
  std::vector<Level> Asks(size_t depth = 0) const;
  size_t bid_levels() const { return bids_.size(); }
  size_t ask_levels() const { return asks_.size(); }
  std::optional<model::Size> SizeAt(model::Side side, model::Price price) const;

  model::TickSize tick() const { return tick_; }
  // A tick-size change starts a new epoch: the old grid's levels are kept until the next
  // snapshot, but OffGridLevels() reports them.
  void SetTick(model::TickSize tick) { tick_ = tick; }

  bool Crossed() const;  // best bid > best ask
  bool Locked() const;   // best bid == best ask
  size_t OffGridLevels() const;

  friend bool operator==(const L2Book& a, const L2Book& b) { return a.bids_ == b.bids_ && a.asks_ == b.asks_; }

 private:
  model::TickSize tick_;
  std::vector<Level> bids_;  // descending price
  std::vector<Level> asks_;  // ascending price
};

// kSuperseded: the change is older than the last out-of-stream snapshot (GET /book answers can
// overtake websocket frames): it is already in the book and was not applied.
enum class Verdict : uint8_t { kOk, kResync, kSuperseded };

struct IntegrityResult {
  Verdict verdict = Verdict::kOk;
  std::string reason;
  bool ok() const { return verdict != Verdict::kResync; }
};

// Tracks one token's feed and judges whether its book can still be trusted:
//  - a delta before any snapshot, or after a tick-size change until a new snapshot (gap);
//  - an event older than the last one applied (out of order);
//  - a crossed or locked book, or levels off the tick grid;
//  - the best bid/ask the exchange reports with each price change disagreeing with ours.
// After kResync the owner fetches a snapshot and calls OnSnapshot.
class BookTracker {
 public:
  explicit BookTracker(model::TickSize tick = model::TickSize::Cent()) : book_(tick) {}

  // `in_stream`: the snapshot came on the websocket, in order with the changes (its timestamp
  // orders later changes); otherwise (GET /book) changes older than it are superseded.
  IntegrityResult OnSnapshot(const polymarket::BookEvent& snapshot, bool in_stream = true);
  // One change for this token (from a price_change event with timestamp `timestamp_ms`).
  IntegrityResult OnPriceChange(const polymarket::PriceChange& change, int64_t timestamp_ms);
  // Starts a new epoch on the new grid; the book needs a snapshot before it is trusted again.
  void OnTickSizeChange(model::TickSize new_tick);
  // Distrusts the book until the next snapshot (feed lost, or a snapshot must replace it even if
  // it is older than the last change applied).
  void RequireSnapshot() { needs_snapshot_ = true; }

  const L2Book& book() const { return book_; }
  bool trusted() const { return has_snapshot_ && !needs_snapshot_; }
  uint64_t epoch() const { return epoch_; }
  uint64_t sequence() const { return sequence_; }
  int64_t last_timestamp_ms() const { return last_timestamp_ms_; }

 private:
  IntegrityResult Resync(std::string reason);
  L2Book book_;
  bool has_snapshot_ = false;
  bool needs_snapshot_ = false;
  uint64_t epoch_ = 0;
  uint64_t sequence_ = 0;
  int64_t last_timestamp_ms_ = 0;    // the newest timestamp the book reflects
  int64_t stream_timestamp_ms_ = 0;  // the last in-stream timestamp applied (ordering check)
  int64_t snapshot_floor_ms_ = 0;    // changes older than this are in the book already
};

}  // namespace clobmaker::book
