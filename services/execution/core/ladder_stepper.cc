#include "services/execution/core/ladder_stepper.h"

#include <algorithm>
#include <cstdlib>

namespace clobmaker::execution {

LadderStepper::LadderStepper(const OrderManagerConfig& config, Counters& counters, OrderBook& book, Budgets& budgets,
                             OrderFactory* factory)
    : config_(config), counters_(counters), book_(book), budgets_(budgets), factory_(factory) {}

LadderStepper::Verdict LadderStepper::Accept(MarketLadder ladder, Nanos now) {
  counters_.ladders++;
  Market& market = markets_[ladder.market];
  if (market.ladder && ladder.sequence <= market.ladder->sequence &&
      config_.mutation != Mutation::kStaleLadderAccepted) {  // MUTATION: an older ladder wins
    counters_.ladders_stale++;
    return Verdict::kStale;
  }
  if (ladder.valid_until != 0 && now > ladder.valid_until) {
    counters_.ladders_expired++;
    return Verdict::kExpired;
  }
  for (const DesiredQuote& q : ladder.quotes) {
    if (std::find(ladder.tokens.begin(), ladder.tokens.end(), q.intent.token) == ladder.tokens.end() ||
        q.intent.level == kAdoptedLevel) {
      counters_.ladders_refused++;  // a quote for a token the market does not have
      return Verdict::kRefused;
    }
  }
  for (const std::string& token : ladder.tokens) {
    if (market.tokens.insert(token).second) token_market_[token] = ladder.market;
  }
  if (market.ladder && market.ladder->valid_until != 0) deadlines_.erase({market.ladder->valid_until, ladder.market});
  if (ladder.valid_until != 0) deadlines_.emplace(ladder.valid_until, ladder.market);
  if (config_.mutation == Mutation::kTickInferredFromPrices) InferTick(ladder, market);
  market.ladder = std::move(ladder);
  market.lead_sent = false;
  market.dirty = true;
  return Verdict::kAccepted;
}

// MUTATION (review H2): the ladder's own tick is ignored and inferred from the spacing of its
// prices; with one level per side it cannot be, and then nothing is repriced.
void LadderStepper::InferTick(MarketLadder& ladder, Market& market) {
  int64_t gap = 0;
  for (const DesiredQuote& a : ladder.quotes) {
    for (const DesiredQuote& b : ladder.quotes) {
      if (a.intent.token != b.intent.token || a.intent.side != b.intent.side || a.intent.level + 1 != b.intent.level) {
        continue;
      }
      const int64_t d = std::abs(a.price.units() - b.price.units());
      if (d > 0 && (gap == 0 || d < gap)) gap = d;
    }
  }
  auto inferred = model::TickSize::FromUnits(gap);
  market.no_reprice = !inferred.ok();
  if (inferred.ok()) ladder.tick = *inferred;
}

bool LadderStepper::OnTickSize(const std::string& token, model::TickSize tick) {
  auto it = token_market_.find(token);
  if (it == token_market_.end()) return false;
  Market& market = markets_[it->second];
  if (market.ladder && market.ladder->tick != tick) {
    // The ladder was computed on the old grid: nothing of it is wanted until a new one comes.
    market.ladder->quotes.clear();
    market.lead_sent = false;
  }
  market.dirty = true;
  return true;
}

void LadderStepper::Adopted(const std::string& market_id, const std::string& token, Nanos now) {
  Market& market = markets_[market_id];
  market.tokens.insert(token);
  token_market_[token] = market_id;
  if (!market.ladder) market.diff_not_before = now + config_.adopt_grace;
}

void LadderStepper::MarkDirty(const std::string& market) {
  auto it = markets_.find(market);
  if (it != markets_.end()) it->second.dirty = true;
}

void LadderStepper::MarkAllDirty() {
  for (auto& [id, market] : markets_) market.dirty = true;
}

void LadderStepper::ExpireDeadlines(Nanos now) {
  // A ladder is state with a deadline: past it the market wants nothing, even if no other input
  // ever marks it dirty again (strategy dead or cut off).
  if (config_.mutation == Mutation::kLadderExpiryInert) return;  // MUTATION: the deadline does nothing
  while (!deadlines_.empty() && now > deadlines_.begin()->first) {
    counters_.ladders_lapsed++;
    MarkDirty(deadlines_.begin()->second);
    deadlines_.erase(deadlines_.begin());
  }
}

std::optional<Nanos> LadderStepper::next_deadline() const {
  if (deadlines_.empty()) return std::nullopt;
  return deadlines_.begin()->first;
}

void LadderStepper::Step(const StepInputs& in, Nanos now,
                         absl::FunctionRef<void(const CancelTargets&, std::string_view cause)> send_cancels,
                         absl::FunctionRef<void(std::vector<Record*>)> send_posts, bool& more_work) {
  bool signed_batch = false;
  for (auto& [id, market] : markets_)
    StepMarket(id, market, in, now, send_cancels, send_posts, signed_batch, more_work);
}

void LadderStepper::Claim(const WorkingSet& working, const std::vector<DesiredQuote>& desired, model::TickSize tick,
                          Nanos now) {
  // Adopted orders take over the intents of desired quotes at their exact prices -- all the
  // adopted orders of a token and side at once, or none of them: a partial claim could bind an
  // order to the level another, still live, adopted order was made for (invariant 4).
  std::map<std::pair<std::string, model::Side>, std::vector<Record*>> groups;
  for (const auto& [id, rp] : working) {
    Record& r = *rp;
    if (r.view.intent.level == kAdoptedLevel && MayBeLive(r.view.state)) {
      groups[{r.view.intent.token, r.view.intent.side}].push_back(&r);
    }
  }
  for (auto& [key, group] : groups) {
    std::set<Intent> held;
    for (const auto& [other, op] : working) {
      const Record& o = *op;
      if (o.view.intent.level != kAdoptedLevel && MayBeLive(o.view.state)) held.insert(o.view.intent);
    }
    std::vector<const DesiredQuote*> claims;
    for (Record* r : group) {
      const DesiredQuote* claim = nullptr;
      for (const DesiredQuote& q : desired) {
        if (q.intent.token == key.first && q.intent.side == key.second && q.price == r->view.price &&
            !held.contains(q.intent)) {
          claim = &q;
          break;
        }
      }
      if (claim == nullptr) break;
      held.insert(claim->intent);
      claims.push_back(claim);
    }
    if (claims.size() != group.size()) continue;
    for (size_t i = 0; i < group.size(); ++i) {
      group[i]->view.intent = claims[i]->intent;
      group[i]->view.tick = tick;
      group[i]->view.updated = now;
      book_.Emit(*group[i], group[i]->view.state, false, "adopted:claimed");
    }
  }
}

void LadderStepper::StepMarket(const std::string& market_id, Market& market, const StepInputs& in, Nanos now,
                               absl::FunctionRef<void(const CancelTargets&, std::string_view cause)> send_cancels,
                               absl::FunctionRef<void(std::vector<Record*>)> send_posts, bool& signed_batch,
                               bool& more_work) {
  if (!market.dirty) return;
  // Adopted orders wait for their ladder -- only while execution may quote: killed or halted,
  // they are cancelled at once (found by the race simulator: a killed execution restarted in
  // adopt mode left them live for the whole adopt grace).
  if (!market.ladder && now < market.diff_not_before && in.ready) return;
  if (config_.mutation == Mutation::kCancelsGatedByBackoff && in.posts_backed_off) return;  // MUTATION
  const bool expired = market.ladder && market.ladder->valid_until != 0 && now > market.ladder->valid_until;
  const bool quoting = in.ready && !in.paused->contains(market_id) && market.ladder && !expired;
  static const std::vector<DesiredQuote> kNothing;
  const std::vector<DesiredQuote>& desired = quoting ? market.ladder->quotes : kNothing;
  const model::TickSize tick = market.ladder ? market.ladder->tick : model::TickSize::Cent();
  const WorkingSet& working = book_.Working(market_id);
  std::vector<DesiredQuote> unrepriced;
  if (quoting && market.no_reprice) {
    // MUTATION (tick inferred from prices, none inferable): an order already out for an intent
    // is never repriced.
    unrepriced = desired;
    for (DesiredQuote& q : unrepriced) {
      for (const auto& [id, rp] : working) {
        if (rp->view.intent == q.intent && MayBeLive(rp->view.state)) q.price = rp->view.price;
      }
    }
  }
  const std::vector<DesiredQuote>& wanted = quoting && market.no_reprice ? unrepriced : desired;

  if (quoting) Claim(working, wanted, tick, now);

  std::vector<WorkingOrder> orders;
  orders.reserve(working.size());
  for (const auto& [id, rp] : working) {
    const Record& r = *rp;
    if (!MayBeLive(r.view.state)) continue;
    orders.push_back({.id = id,
                      .intent = r.view.intent,
                      .price = r.view.price,
                      .original = r.view.original,
                      .matched = r.view.matched,
                      .state = r.view.state,
                      .tick = r.view.tick});
  }
  LadderDiff diff = DiffLadder(wanted, tick, orders, {.refill_below = config_.refill_below, .collect_waiting = false});
  market.dirty = false;
  if (!diff.cancels.empty()) {
    CancelTargets targets;
    targets.reserve(diff.cancels.size());
    for (const model::OrderId& id : diff.cancels) targets.emplace_back(id, working.at(id));
    send_cancels(targets, expired ? "ladder_expired" : "diff");
  }
  // An adopted order no ladder claimed may have been made for any level of its token and side:
  // nothing new goes on that side until it is dead (invariant 4 across restarts).
  std::set<std::pair<std::string, model::Side>> blocked;
  for (const auto& [id, rp] : working) {
    const Record& r = *rp;
    if (r.view.intent.level == kAdoptedLevel && MayBeLive(r.view.state) &&
        config_.mutation != Mutation::kAdoptWithoutBlocking) {  // MUTATION: nothing held back
      blocked.emplace(r.view.intent.token, r.view.intent.side);
    }
  }
  if (!blocked.empty() || budgets_.any_held()) {
    std::erase_if(diff.posts, [&](const DesiredQuote& q) {
      const bool held = budgets_.Held(q.intent, q.price, now);
      if (!held && !blocked.contains({q.intent.token, q.intent.side})) return false;
      market.dirty = true;  // looked at again when the hold ends
      return true;
    });
  }

  // Closed-only: only what reduces a position may go (our sells).
  if (in.closed_only) {
    std::erase_if(diff.posts, [&](const DesiredQuote& q) {
      if (q.intent.side != model::Side::kBuy) return false;
      market.dirty = true;
      return true;
    });
  }
  // Posts: re-sends of kept orders that were never processed, then new intents.
  std::vector<Record*> resend;
  for (const auto& [id, rp] : working) {
    Record& r = *rp;
    if (r.view.state == OrderState::kPendingSubmit && r.needs_send && !r.post_in_flight && r.signed_order &&
        !(in.closed_only && r.view.intent.side == model::Side::kBuy)) {
      resend.push_back(&r);
    }
  }
  const size_t want = resend.size() + diff.posts.size();
  if (want == 0) return;
  if (!in.posting_allowed) {
    market.dirty = true;  // looked at again on the next step
    return;
  }
  if (signed_batch) {
    market.dirty = true;
    more_work = true;
    return;
  }
  const size_t limit = static_cast<size_t>(market.lead_sent ? config_.max_batch : config_.lead_batch);
  // The order bucket admits a batch whole or not at all: it is sized to what the bucket holds and
  // to the cancel reserve (Budgets::TakePosts); what does not fit is shed, deepest levels first.
  const size_t take = budgets_.TakePosts(std::min(want, limit), in.open_orders, in.queued_cancels, now);
  if (take == 0) {
    market.dirty = true;
    return;
  }
  std::vector<Record*> batch;
  for (Record* r : resend) {
    if (batch.size() >= take) break;
    counters_.posts_resent++;
    batch.push_back(r);
  }
  // Top of the ladder first: lowest level of each side.
  std::stable_sort(diff.posts.begin(), diff.posts.end(),
                   [](const DesiredQuote& a, const DesiredQuote& b) { return a.intent.level < b.intent.level; });
  for (const DesiredQuote& q : diff.posts) {
    if (batch.size() >= take) break;
    OrderSpec spec{.market = market_id,
                   .intent = q.intent,
                   .price = q.price,
                   .size = q.size,
                   .tick = tick,
                   .neg_risk = market.ladder ? market.ladder->neg_risk : false,
                   .version = *in.version,
                   .now = now};
    absl::StatusOr<signing::SignedOrder> made = factory_->Make(spec);
    if (!made.ok()) {
      counters_.sign_failures++;
      continue;
    }
    counters_.orders_created++;
    auto signed_order = std::make_shared<const signing::SignedOrder>(*std::move(made));
    Record r;
    r.signed_order = signed_order;
    r.view.id = signed_order->id;
    r.view.market = market_id;
    r.view.intent = q.intent;
    r.view.price = q.price;
    r.view.original = q.size;
    r.view.tick = tick;
    r.view.version = *in.version;
    r.view.created = now;
    r.view.updated = now;
    r.fill = {.original = q.size, .matched = model::Size(0)};
    Record* slot = book_.Insert(std::move(r));
    if (slot == nullptr) {
      counters_.sign_failures++;  // the same hash twice: refuse rather than track two intents on it
      continue;
    }
    book_.Emit(*slot, OrderState::kPendingSubmit, true, "created");
    batch.push_back(slot);
  }
  if (batch.size() < take) budgets_.RefundPosts(take - batch.size());  // not signed
  if (want > batch.size()) {
    market.dirty = true;
    more_work = true;
  }
  if (batch.empty()) return;
  signed_batch = true;
  market.lead_sent = true;
  send_posts(std::move(batch));
}

}  // namespace clobmaker::execution
