#include "services/execution/core/ladder_diff.h"

#include <map>

namespace clobmaker::execution {

LadderDiff DiffLadder(const std::vector<DesiredQuote>& desired, model::TickSize tick,
                      const std::vector<WorkingOrder>& working, const DiffOptions& options) {
  LadderDiff diff;
  std::map<Intent, const DesiredQuote*> wanted;
  for (const DesiredQuote& q : desired) {
    // A quote off the ladder's own grid or outside the valid range is never posted.
    if (tick.IsValidOrderPrice(q.price) && q.size.micros() > 0) wanted[q.intent] = &q;
  }
  // Per intent: is there an order we keep, or one that may still be live and must die first?
  std::map<Intent, bool> covered;  // true = kept, false = waiting for a cancel to resolve
  for (const WorkingOrder& o : working) {
    if (!MayBeLive(o.state)) continue;
    const auto it = wanted.find(o.intent);
    const bool already_covered = covered.contains(o.intent);
    const bool on_grid = o.tick == tick && tick.IsOnGrid(o.price);
    const model::Size remaining = o.original - o.matched;
    bool keep = it != wanted.end() && !already_covered && on_grid && o.price == it->second->price;
    if (keep && remaining.micros() <
                    static_cast<int64_t>(options.refill_below * static_cast<double>(it->second->size.micros()))) {
      keep = false;  // mostly filled: replace it with a full-size order
    }
    if (keep && o.state != OrderState::kPendingCancel) {
      covered[o.intent] = true;
      continue;
    }
    // Everything else goes: cancels cover PENDING_SUBMIT and UNKNOWN orders through their ids.
    if (o.state != OrderState::kPendingCancel) diff.cancels.push_back(o.id);
    if (!already_covered || !covered[o.intent]) covered[o.intent] = false;
  }
  for (const auto& [intent, quote] : wanted) {
    const auto it = covered.find(intent);
    if (it == covered.end()) {
      diff.posts.push_back(*quote);
    } else if (!it->second) {
      diff.waiting.push_back(intent);
    }
  }
  return diff;
}

}  // namespace clobmaker::execution
