#include "services/execution/core/ladder_diff.h"

#include <algorithm>
#include <cstdint>

namespace clobmaker::execution {

LadderDiff DiffLadder(const std::vector<DesiredQuote>& desired, model::TickSize tick,
                      const std::vector<WorkingOrder>& working, const DiffOptions& options) {
  LadderDiff diff;
  // The wanted quotes, sorted by intent (the last of a repeated intent wins). Sorted vectors of
  // pointers rather than maps: no allocation per order on the decision path.
  std::vector<const DesiredQuote*> wanted;
  wanted.reserve(desired.size());
  for (const DesiredQuote& q : desired) {
    // A quote off the ladder's own grid or outside the valid range is never posted.
    if (tick.IsValidOrderPrice(q.price) && q.size.micros() > 0) wanted.push_back(&q);
  }
  std::stable_sort(wanted.begin(), wanted.end(),
                   [](const DesiredQuote* a, const DesiredQuote* b) { return a->intent < b->intent; });
  {
    std::vector<const DesiredQuote*> unique;
    unique.reserve(wanted.size());
    for (size_t i = 0; i < wanted.size(); ++i) {
      if (i + 1 < wanted.size() && wanted[i + 1]->intent == wanted[i]->intent) continue;  // a later one wins
      unique.push_back(wanted[i]);
    }
    wanted.swap(unique);
  }
  const auto find = [&](const Intent& intent) -> ptrdiff_t {
    auto it = std::lower_bound(wanted.begin(), wanted.end(), intent,
                               [](const DesiredQuote* q, const Intent& i) { return q->intent < i; });
    return it != wanted.end() && (*it)->intent == intent ? it - wanted.begin() : -1;
  };
  // Per wanted intent: is there an order we keep, or one that may still be live and must die first?
  enum : uint8_t { kNone, kKept, kWaiting };
  std::vector<uint8_t> cover(wanted.size(), kNone);
  for (const WorkingOrder& o : working) {
    if (!MayBeLive(o.state)) continue;
    const ptrdiff_t at = find(o.intent);
    const bool already_covered = at >= 0 && cover[static_cast<size_t>(at)] != kNone;
    const bool on_grid = o.tick == tick && tick.IsOnGrid(o.price);
    const model::Size remaining = o.original - o.matched;
    bool keep = at >= 0 && !already_covered && on_grid && o.price == wanted[static_cast<size_t>(at)]->price;
    if (keep && remaining.micros() <
                    static_cast<int64_t>(options.refill_below *
                                         static_cast<double>(wanted[static_cast<size_t>(at)]->size.micros()))) {
      keep = false;  // mostly filled: replace it with a full-size order
    }
    if (keep && o.state != OrderState::kPendingCancel) {
      cover[static_cast<size_t>(at)] = kKept;
      continue;
    }
    // Everything else goes: cancels cover PENDING_SUBMIT and UNKNOWN orders through their ids.
    if (o.state != OrderState::kPendingCancel) diff.cancels.push_back(o.id);
    if (at >= 0 && cover[static_cast<size_t>(at)] != kKept) cover[static_cast<size_t>(at)] = kWaiting;
  }
  for (size_t i = 0; i < wanted.size(); ++i) {
    if (cover[i] == kNone) {
      diff.posts.push_back(*wanted[i]);
    } else if (cover[i] == kWaiting && options.collect_waiting) {
      diff.waiting.push_back(wanted[i]->intent);
    }
  }
  return diff;
}

}  // namespace clobmaker::execution
