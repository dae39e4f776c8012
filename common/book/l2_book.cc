#include "common/book/l2_book.h"

#include <fmt/core.h>

#include <algorithm>

namespace clobmaker::book {
namespace {

// Bids descending, asks ascending: "better" comes first.
bool Better(model::Side side, model::Price a, model::Price b) { return side == model::Side::kBuy ? a > b : a < b; }

void Set(std::vector<Level>& levels, model::Side side, model::Price price, model::Size size) {
  auto it = std::lower_bound(levels.begin(), levels.end(), price,
                             [side](const Level& l, model::Price p) { return Better(side, l.price, p); });
  const bool exists = it != levels.end() && it->price == price;
  if (size.micros() <= 0) {
    if (exists) levels.erase(it);
    return;
  }
  if (exists) {
    it->size = size;
  } else {
    levels.insert(it, Level{price, size});
  }
}

std::vector<Level> Top(const std::vector<Level>& levels, size_t depth) {
  if (depth == 0 || depth >= levels.size()) return levels;
  return std::vector<Level>(levels.begin(), levels.begin() + static_cast<std::ptrdiff_t>(depth));
}

}  // namespace

void L2Book::ApplySnapshot(const std::vector<Level>& bids, const std::vector<Level>& asks) {
  Clear();
  for (const Level& l : bids) Set(bids_, model::Side::kBuy, l.price, l.size);
  for (const Level& l : asks) Set(asks_, model::Side::kSell, l.price, l.size);
}

void L2Book::SetLevel(model::Side side, model::Price price, model::Size size) {
  Set(side == model::Side::kBuy ? bids_ : asks_, side, price, size);
}

void L2Book::Clear() {
  bids_.clear();
  asks_.clear();
}

std::optional<Level> L2Book::BestBid() const {
  if (bids_.empty()) return std::nullopt;
  return bids_.front();
}
std::optional<Level> L2Book::BestAsk() const {
  if (asks_.empty()) return std::nullopt;
  return asks_.front();
}
std::vector<Level> L2Book::Bids(size_t depth) const { return Top(bids_, depth); }
std::vector<Level> L2Book::Asks(size_t depth) const { return Top(asks_, depth); }

std::optional<model::Size> L2Book::SizeAt(model::Side side, model::Price price) const {
  const auto& levels = side == model::Side::kBuy ? bids_ : asks_;
  for (const Level& l : levels) {
    if (l.price == price) return l.size;
  }
  return std::nullopt;
}

bool L2Book::Crossed() const { return !bids_.empty() && !asks_.empty() && bids_.front().price > asks_.front().price; }
bool L2Book::Locked() const { return !bids_.empty() && !asks_.empty() && bids_.front().price == asks_.front().price; }

size_t L2Book::OffGridLevels() const {
  size_t n = 0;
  for (const Level& l : bids_) n += tick_.IsOnGrid(l.price) ? 0 : 1;
  for (const Level& l : asks_) n += tick_.IsOnGrid(l.price) ? 0 : 1;
  return n;
}

IntegrityResult BookTracker::Resync(std::string reason) {
  needs_snapshot_ = true;
  return {Verdict::kResync, std::move(reason)};
}

IntegrityResult BookTracker::OnSnapshot(const polymarket::BookEvent& snapshot, bool in_stream) {
  if (has_snapshot_ && snapshot.timestamp_ms != 0 && snapshot.timestamp_ms < last_timestamp_ms_ && !needs_snapshot_) {
    // An older snapshot than what we applied: ignore it rather than go back in time.
    return {Verdict::kOk, "stale snapshot ignored"};
  }
  if (snapshot.tick_size && !(*snapshot.tick_size == book_.tick())) {
    book_.SetTick(*snapshot.tick_size);
    ++epoch_;
  }
  book_.ApplySnapshot(snapshot.bids, snapshot.asks);
  has_snapshot_ = true;
  needs_snapshot_ = false;
  ++sequence_;
  if (snapshot.timestamp_ms != 0) {
    last_timestamp_ms_ = snapshot.timestamp_ms;
    if (in_stream) {
      stream_timestamp_ms_ = snapshot.timestamp_ms;
    } else {
      snapshot_floor_ms_ = snapshot.timestamp_ms;
    }
  }
  if (book_.Crossed()) return Resync("snapshot is crossed");
  if (const size_t off = book_.OffGridLevels(); off > 0) {
    return Resync(fmt::format("snapshot has {} levels off the {} grid", off, book_.tick().ToString()));
  }
  return {};
}

IntegrityResult BookTracker::OnPriceChange(const polymarket::PriceChange& change, int64_t timestamp_ms) {
  if (!has_snapshot_) return Resync("price change before any snapshot");
  if (needs_snapshot_) return Resync("waiting for a snapshot");
  if (timestamp_ms != 0 && timestamp_ms < stream_timestamp_ms_) {
    return Resync(fmt::format("out-of-order event: {} ms after {} ms", timestamp_ms, stream_timestamp_ms_));
  }
  if (timestamp_ms != 0 && timestamp_ms < snapshot_floor_ms_) return {Verdict::kSuperseded, "older than the snapshot"};
  if (!book_.tick().IsOnGrid(change.price)) {
    return Resync(fmt::format("level {} is off the {} grid", change.price.ToString(), book_.tick().ToString()));
  }
  book_.SetLevel(change.side, change.price, change.size);
  ++sequence_;
  if (timestamp_ms != 0) {
    last_timestamp_ms_ = std::max(last_timestamp_ms_, timestamp_ms);
    stream_timestamp_ms_ = timestamp_ms;
  }
  if (book_.Crossed()) return Resync("book crossed");
  // The exchange states its best prices after each change: "0" / "1" mean an empty side.
  if (change.best_bid) {
    const int64_t ours = book_.BestBid() ? book_.BestBid()->price.units() : 0;
    if (ours != change.best_bid->units()) {
      return Resync(fmt::format("best bid drifted: ours {} exchange {}", model::Price(ours).ToString(),
                                change.best_bid->ToString()));
    }
  }
  if (change.best_ask) {
    const int64_t ours = book_.BestAsk() ? book_.BestAsk()->price.units() : model::kPriceOne;
    if (ours != change.best_ask->units()) {
      return Resync(fmt::format("best ask drifted: ours {} exchange {}", model::Price(ours).ToString(),
                                change.best_ask->ToString()));
    }
  }
  return {};
}

void BookTracker::OnTickSizeChange(model::TickSize new_tick) {
  book_.SetTick(new_tick);
  ++epoch_;
  needs_snapshot_ = true;
}

}  // namespace clobmaker::book
