#include "services/simexchange/replay/queue_model.h"

#include <algorithm>

namespace clobmaker::simexchange::replay {

void QueueModel::SetLevel(Side side, int64_t price, int64_t size, Nanos now) {
  Level& level = BookOf(side)[price];
  if (size < level.size) {
    int64_t decrease = level.size - size;
    const int64_t explained = std::min(decrease, level.expected);  // a trade we already saw
    level.expected -= explained;
    decrease -= explained;
    if (decrease > 0) {
      if (level.pending == 0) level.pending_since = now;
      level.pending += decrease;
    }
  }
  level.size = size;
  if (level.pending == 0 && level.expected == 0) Clamp(side, price, level);
  MaybeErase(side, price);
}

int64_t QueueModel::LevelSize(Side side, int64_t price) const {
  const Book& book = BookOf(side);
  auto it = book.find(price);
  return it == book.end() ? 0 : it->second.size;
}

std::vector<std::pair<int64_t, int64_t>> QueueModel::Levels(Side side) const {
  std::vector<std::pair<int64_t, int64_t>> out;
  for (const auto& [price, level] : BookOf(side)) {
    if (level.size > 0) out.emplace_back(price, level.size);
  }
  return out;
}

void QueueModel::Join(const std::string& id, Side side, int64_t price, int64_t remaining, uint64_t sequence) {
  int64_t ahead = 0;
  const Book& book = BookOf(side);
  if (auto it = book.find(price); it != book.end()) {
    // Behind what is there, counting a decrease a trade may still explain (it happened before
    // we arrived) and not a trade whose level change is still to come.
    ahead = std::max<int64_t>(0, it->second.size + it->second.pending - it->second.expected);
  }
  orders_[id] =
      QueuedOrder{.id = id, .side = side, .price = price, .remaining = remaining, .sequence = sequence, .ahead = ahead};
}

void QueueModel::Leave(const std::string& id) { orders_.erase(id); }

void QueueModel::SetRemaining(const std::string& id, int64_t remaining) {
  auto it = orders_.find(id);
  if (it == orders_.end()) return;
  if (remaining <= 0) {
    orders_.erase(it);
  } else {
    it->second.remaining = remaining;
  }
}

std::vector<QueueFill> QueueModel::OnTrade(Side taker_side, int64_t price, int64_t size, Nanos now) {
  ++counters_.trades;
  // The maker side: a taker BUY takes asks at prices <= P (best = lowest first); a SELL bids >= P.
  const Side maker = model::Opposite(taker_side);
  std::vector<QueuedOrder*> eligible;
  for (auto& [id, o] : orders_) {
    if (o.side != maker || o.remaining <= 0) continue;
    if (maker == Side::kSell ? o.price <= price : o.price >= price) eligible.push_back(&o);
  }
  std::sort(eligible.begin(), eligible.end(), [maker](const QueuedOrder* a, const QueuedOrder* b) {
    if (a->price != b->price) return maker == Side::kSell ? a->price < b->price : a->price > b->price;
    return a->sequence < b->sequence;
  });

  std::vector<QueueFill> fills;
  int64_t volume = size;
  for (size_t i = 0; i < eligible.size() && volume > 0;) {
    const int64_t level_price = eligible[i]->price;
    int64_t filled_here = 0;
    size_t j = i;
    for (; j < eligible.size() && eligible[j]->price == level_price; ++j) {
      QueuedOrder& o = *eligible[j];
      const int64_t available = volume - filled_here;  // for the recorded size ahead, then us
      const int64_t reach = available - o.ahead;
      // The recorded orders ahead were consumed by the recorded trade at its own level (the
      // book goes on as recorded, whatever we took); through a better level, by what got there.
      o.ahead -= std::clamp<int64_t>(level_price == price ? size : available, 0, o.ahead);
      if (reach <= 0) continue;
      const int64_t fill = std::min(reach, o.remaining);
      o.remaining -= fill;
      filled_here += fill;
      fills.push_back({o.id, o.price, fill});
    }
    // The taker cannot pass one of our orders it did not fill: nothing goes on to worse levels
    // (this keeps the fills a prefix of the priority order, which is how the core matches).
    bool passed = true;
    for (size_t k = i; k < j; ++k) passed &= eligible[k]->remaining == 0;
    if (!passed) break;
    // What goes on to worse levels: past our fills and the recorded size at this level.
    volume -= filled_here + std::min(volume - filled_here, LevelSize(maker, level_price));
    i = j;
  }
  if (!fills.empty()) ++counters_.trades_reaching_us;
  for (const QueueFill& f : fills) {
    if (orders_.at(f.id).remaining <= 0) orders_.erase(f.id);
  }

  // The recorded level at P: this trade explains a decrease already seen, or one still to come.
  Level& level = BookOf(maker)[price];
  const int64_t explained = std::min(size, level.pending);
  level.pending -= explained;
  if (explained > 0) ++counters_.explained_decreases;
  if (size > explained) {
    if (level.expected == 0) level.expected_since = now;
    level.expected += size - explained;
    ++counters_.early_trades;
  }
  if (level.pending == 0 && level.expected == 0) Clamp(maker, price, level);
  MaybeErase(maker, price);
  return fills;
}

void QueueModel::Advance(Nanos now) {
  for (Side side : {Side::kBuy, Side::kSell}) {
    Book& book = BookOf(side);
    std::vector<int64_t> touched;
    for (auto& [price, level] : book) {
      bool changed = false;
      if (level.pending > 0 && now - level.pending_since >= config_.explain_window) {
        level.pending = 0;  // cancels
        ++counters_.cancels;
        changed = true;
      }
      if (level.expected > 0 && now - level.expected_since >= config_.explain_window) {
        level.expected = 0;  // the level change never came: the recorded size stands
        changed = true;
      }
      if (changed) touched.push_back(price);
    }
    for (int64_t price : touched) {
      Clamp(side, price, book.at(price));
      MaybeErase(side, price);
    }
  }
}

void QueueModel::Clamp(Side side, int64_t price, const Level& level) {
  // Cancels come from behind us first: the size ahead shrinks only when the level is smaller.
  for (auto& [id, o] : orders_) {
    if (o.side == side && o.price == price) o.ahead = std::min(o.ahead, level.size);
  }
}

void QueueModel::MaybeErase(Side side, int64_t price) {
  Book& book = BookOf(side);
  auto it = book.find(price);
  if (it != book.end() && it->second.size == 0 && it->second.pending == 0 && it->second.expected == 0) book.erase(it);
}

const QueuedOrder* QueueModel::Find(const std::string& id) const {
  auto it = orders_.find(id);
  return it == orders_.end() ? nullptr : &it->second;
}

std::vector<QueuedOrder> QueueModel::Orders() const {
  std::vector<QueuedOrder> out;
  for (const auto& [id, o] : orders_) out.push_back(o);
  return out;
}

}  // namespace clobmaker::simexchange::replay
