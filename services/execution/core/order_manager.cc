#include "services/execution/core/order_manager.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace clobmaker::execution {
namespace {

bool Contains(std::string_view text, std::string_view what) { return text.find(what) != std::string_view::npos; }

bool IsVersionMismatch(std::string_view error) { return Contains(error, "order_version_mismatch"); }

// The exchange already has an order with this hash: it exists, whatever else is true.
bool IsDuplicate(std::string_view error) {
  return Contains(error, "Duplicated") || Contains(error, "already been placed") || Contains(error, "already exists");
}

}  // namespace

std::string_view RejectReasonClass(std::string_view error) {
  struct Rule {
    std::string_view needle, reason;
  };
  static constexpr std::array<Rule, 14> kRules = {{{"post-only", "post_only_cross"},
                                                   {"crosses book", "post_only_cross"},
                                                   {"tick size", "tick_size"},
                                                   {"lower than the minimum", "min_size"},
                                                   {"balance", "balance"},
                                                   {"allowance", "balance"},
                                                   {"expiration", "expiration"},
                                                   {"order_version_mismatch", "version_mismatch"},
                                                   {"resolved", "market_closed"},
                                                   {"not accepting orders", "market_closed"},
                                                   {"restarting", "engine_unavailable"},
                                                   {"Unauthorized", "auth"},
                                                   {"signature", "auth"},
                                                   {"invalid", "invalid_order"}}};
  for (const Rule& r : kRules) {
    if (Contains(error, r.needle)) return r.reason;
  }
  return "other";
}

namespace {

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

}  // namespace

std::string_view ActionKindName(ActionKind kind) {
  switch (kind) {
    case ActionKind::kPost:
      return "post";
    case ActionKind::kCancel:
      return "cancel";
    case ActionKind::kCancelMarket:
      return "cancel_market";
    case ActionKind::kCancelAll:
      return "cancel_all";
    case ActionKind::kQueryOrder:
      return "query_order";
    case ActionKind::kListOpenOrders:
      return "list_open_orders";
    case ActionKind::kHeartbeat:
      return "heartbeat";
    case ActionKind::kGetVersion:
      return "get_version";
    case ActionKind::kGetRateTier:
      return "get_rate_tier";
    case ActionKind::kQueryTrades:
      return "query_trades";
  }
  return "?";
}

std::string_view PhaseName(Phase phase) {
  switch (phase) {
    case Phase::kIdle:
      return "IDLE";
    case Phase::kStarting:
      return "STARTING";
    case Phase::kCancelingAll:
      return "CANCELING_ALL";
    case Phase::kVerifying:
      return "VERIFYING";
    case Phase::kAdopting:
      return "ADOPTING";
    case Phase::kReady:
      return "READY";
    case Phase::kHalted:
      return "HALTED";
  }
  return "?";
}

OrderManager::OrderManager(OrderManagerConfig config, OrderFactory* factory)
    : config_(config), factory_(factory), query_budget_(config.query_budget) {
  ApplyTier(config_.rate_tier, /*confirmed=*/false, 0);
}

// --- rate limits ---------------------------------------------------------------------------------

void OrderManager::ApplyTier(polymarket::RateTier tier, bool confirmed, Nanos now) {
  rate_tier_ = tier;
  rate_tier_confirmed_ = rate_tier_confirmed_ || confirmed;
  const polymarket::TierLimits& l = polymarket::LimitsOf(tier);
  const double share = std::clamp(config_.rate_share, 0.01, 1.0);
  RateBudgetConfig post{.capacity = std::floor(l.order_burst * share), .refill_per_second = l.order_rate * share};
  RateBudgetConfig cancel{.capacity = std::floor(l.cancel_burst * share), .refill_per_second = l.cancel_rate * share};
  // An operator's cap may make them smaller, never larger than the tier's.
  if (!config_.rate_limits) {
    // No limiter in front of us: the buckets as configured (unbounded when not).
    post = config_.post_budget.value_or(RateBudgetConfig{.capacity = 1e12, .refill_per_second = 1e12});
    cancel = config_.cancel_budget.value_or(RateBudgetConfig{.capacity = 1e12, .refill_per_second = 1e12});
  } else if (config_.post_budget) {
    post.capacity = std::min(post.capacity, config_.post_budget->capacity);
    post.refill_per_second = std::min(post.refill_per_second, config_.post_budget->refill_per_second);
  }
  if (config_.rate_limits && config_.cancel_budget) {
    cancel.capacity = std::min(cancel.capacity, config_.cancel_budget->capacity);
    cancel.refill_per_second = std::min(cancel.refill_per_second, config_.cancel_budget->refill_per_second);
  }
  if (now == 0) {
    post_budget_ = RateBudget(post);
    cancel_budget_ = RateBudget(cancel);
  } else {
    post_budget_.Resize(post.capacity, post.refill_per_second, now);
    cancel_budget_.Resize(cancel.capacity, cancel.refill_per_second, now);
  }
}

const RateBudgetConfig& OrderManager::budget_config(ActionKind kind) const {
  switch (kind) {
    case ActionKind::kPost:
      return post_budget_.config();
    case ActionKind::kQueryOrder:
    case ActionKind::kListOpenOrders:
    case ActionKind::kQueryTrades:
      return query_budget_.config();
    default:
      return cancel_budget_.config();
  }
}

void OrderManager::SyncBucket(ActionKind kind, const polymarket::RateLimitHeaders& h, Nanos now) {
  if (!config_.rate_limits || (kind != ActionKind::kPost && !UsesCancelBucket(kind))) return;
  if (h.garbled) counters_.rate_headers_garbled++;  // the tier's own figures stand
  if (!h.present) {
    counters_.rate_headers_missing++;
    return;
  }
  if (h.warning) counters_.rate_warnings++;
  if (h.tier && (*h.tier != rate_tier_ || !rate_tier_confirmed_)) ApplyTier(*h.tier, true, now);
  if (h.remaining) {
    counters_.rate_resyncs++;
    RateBudget& b = kind == ActionKind::kPost ? post_budget_ : cancel_budget_;
    b.Sync(*h.remaining, static_cast<double>(inflight_cost_[kind == ActionKind::kPost ? 0 : 1]), now);
  }
}

void OrderManager::CountThrottled(ActionKind kind) {
  counters_.throttled++;
  counters_.throttled_by_endpoint[std::string(ActionKindName(kind))]++;
}

int64_t OrderManager::OpenOrderCount() const {
  int64_t n = 0;
  for (const auto& [id, market] : markets_) {
    for (const auto& [oid, r] : market.orders) n += MayBeLive(r->view.state) ? 1 : 0;
  }
  return n;
}

void OrderManager::Restrict(polymarket::TradingRestriction restriction, std::optional<Nanos> retry_after, Nanos now) {
  if (restriction == polymarket::TradingRestriction::kNone) return;
  counters_.restrictions++;
  restriction_ = restriction;
  restriction_until_ = std::max(restriction_until_, now + retry_after.value_or(config_.restriction_probe_after));
}

Nanos OrderManager::DelayOf(const std::string& market) const {
  auto it = market_delay_.find(market);
  return it == market_delay_.end() ? 0 : it->second;
}

void OrderManager::SetMarketDelay(const std::string& market, Nanos delay) { market_delay_[market] = delay; }

// --- lifecycle -----------------------------------------------------------------------------------

void OrderManager::Start(bool adopt, Nanos now) {
  phase_ = Phase::kStarting;
  adopt_ = adopt;
  startup_attempts_ = 0;
  halt_reason_.clear();
  next_heartbeat_ = now;
  next_version_try_ = now;
  next_rate_tier_ = now;
  Step(now);
}

void OrderManager::StartupStep(Nanos now) {
  if (phase_ != Phase::kStarting || !heartbeat_ok_ || now < startup_not_before_) return;
  if (adopt_) {
    phase_ = Phase::kAdopting;
    StartListing(now, /*startup=*/true);
  } else {
    phase_ = Phase::kCancelingAll;
    cancel_all_in_flight_ = true;
    counters_.cancel_all_requests++;
    cancel_budget_.TakeForCancel(1, now);  // 1 up front; 1 per order cancelled once that is known
    Issue({.kind = ActionKind::kCancelAll}, {.kind = ActionKind::kCancelAll, .startup = true, .cost = 1}, now);
  }
}

void OrderManager::Halt(const std::string& reason, Nanos now) {
  if (phase_ == Phase::kHalted) return;
  counters_.halts++;
  phase_ = Phase::kHalted;
  halt_reason_ = reason;
  (void)now;  // the caller steps: everything is cancelled by the diff while halted
  for (auto& [id, market] : markets_) market.dirty = true;
}

// --- requests ------------------------------------------------------------------------------------

uint64_t OrderManager::Issue(Action action, Request request, Nanos now, bool counted) {
  const uint64_t id = next_request_++;
  action.request_id = id;
  request.kind = action.kind;
  request.sent = now;
  if (!counted) {
    for (const model::OrderId& order : request.orders) {
      if (Record* r = FindRecord(order)) r->requests_in_flight++;
    }
  }
  if (action.kind == ActionKind::kPost) inflight_cost_[0] += request.cost;
  if (UsesCancelBucket(action.kind)) inflight_cost_[1] += request.cost;
  requests_.emplace(id, std::move(request));
  actions_.push_back(std::move(action));
  return id;
}

void OrderManager::ReleaseRequest(const Request& req, Nanos /*now*/) {
  for (const model::OrderId& order : req.orders) {
    if (Record* r = FindRecord(order)) r->requests_in_flight--;
  }
  if (req.kind == ActionKind::kPost) inflight_cost_[0] -= req.cost;
  if (UsesCancelBucket(req.kind)) inflight_cost_[1] -= req.cost;
}

OrderManager::Record* OrderManager::FindRecord(const model::OrderId& id) {
  auto it = orders_.find(id);
  return it == orders_.end() ? nullptr : &it->second;
}

// --- transitions ---------------------------------------------------------------------------------

void OrderManager::Emit(const Record& r, OrderState previous, bool created, std::string_view cause) {
  events_.push_back({.order = r.view, .previous = previous, .created = created, .cause = std::string(cause)});
}

void OrderManager::MarkDirty(const std::string& market) {
  auto it = markets_.find(market);
  if (it != markets_.end()) it->second.dirty = true;
}

void OrderManager::Apply(Record& r, OrderInput input, Nanos now, std::string_view cause, std::string reason) {
  const std::optional<OrderState> next = NextState(r.view.state, input);
  if (!next) {
    counters_.illegal_transitions++;
    return;
  }
  const OrderState previous = r.view.state;
  if (*next == previous) return;
  r.view.state = *next;
  r.view.updated = now;
  if (!reason.empty()) r.view.reason = std::move(reason);
  if (*next == OrderState::kUnknown) r.next_query = now + config_.query_after;
  if (IsTerminal(*next) && !IsTerminal(previous)) Retire(r, now);
  Emit(r, previous, false, cause);
  MarkDirty(r.view.market);
}

void OrderManager::Retire(Record& r, Nanos now) {
  // Terminal for good: out of the market's working set (kept in orders_ for late reports until
  // Collect), so diffs never scan the dead.
  r.needs_send = false;
  auto m = markets_.find(r.view.market);
  if (m != markets_.end()) m->second.orders.erase(r.view.id);
  graveyard_.emplace_back(now, r.view.id);
}

void OrderManager::ReportMatched(Record& r, model::Size total, Nanos now, std::string_view cause) {
  bool overfill = false;
  const bool rose = r.fill.Report(total, &overfill);
  if (overfill) counters_.overfills++;
  if (!rose) return;
  r.view.matched = r.fill.matched;
  const OrderState previous = r.view.state;
  const OrderInput input = r.fill.complete() ? OrderInput::kFullFill : OrderInput::kPartialFill;
  const std::optional<OrderState> next = NextState(previous, input);
  if (!next) {
    counters_.illegal_transitions++;  // e.g. a fill for a REJECTED order: the size is kept, the state not
    return;
  }
  r.view.state = *next;
  r.view.updated = now;
  if (IsTerminal(*next) && !IsTerminal(previous)) Retire(r, now);
  Emit(r, previous, false, cause);  // matched size rose even if the state did not change
  MarkDirty(r.view.market);
}

void OrderManager::OnProvenAbsent(Record& r, Nanos now, std::string_view cause) {
  if (r.view.state == OrderState::kPendingSubmit) return;  // never processed: it is (re)sent as is
  counters_.proven_absent++;
  Apply(r, OrderInput::kProvenAbsent, now, cause, "not open at the exchange");
}

bool OrderManager::AbsentProvable(const Record& r, Nanos as_of) const {
  // A request may land this long after it was sent, and an order may sit in its market's
  // matching delay (invisible to lookups and listings) that long again.
  const Nanos grace = config_.absent_grace +
                      std::max(DelayOf(r.view.market), r.delayed_until > 0 ? r.delayed_until - r.last_sent : Nanos{0});
  return !r.post_in_flight && (r.last_sent == 0 || r.last_sent + grace <= as_of) && as_of >= r.delayed_until;
}

// --- inputs --------------------------------------------------------------------------------------

void OrderManager::OnLadder(MarketLadder ladder, Nanos now) {
  counters_.ladders++;
  Market& market = markets_[ladder.market];
  if (market.ladder && ladder.sequence <= market.ladder->sequence) {
    counters_.ladders_stale++;
    return;
  }
  if (ladder.valid_until != 0 && now > ladder.valid_until) {
    counters_.ladders_expired++;
    return;
  }
  for (const DesiredQuote& q : ladder.quotes) {
    if (std::find(ladder.tokens.begin(), ladder.tokens.end(), q.intent.token) == ladder.tokens.end() ||
        q.intent.level == kAdoptedLevel) {
      counters_.ladders_refused++;  // a quote for a token the market does not have
      return;
    }
  }
  for (const std::string& token : ladder.tokens) {
    if (market.tokens.insert(token).second) token_market_[token] = ladder.market;
  }
  market.ladder = std::move(ladder);
  market.lead_sent = false;
  market.dirty = true;
  Step(now);
}

void OrderManager::OnTickSize(const std::string& token, model::TickSize tick, Nanos now) {
  auto it = token_market_.find(token);
  if (it == token_market_.end()) return;
  Market& market = markets_[it->second];
  if (market.ladder && market.ladder->tick != tick) {
    // The ladder was computed on the old grid: nothing of it is wanted until a new one comes.
    market.ladder->quotes.clear();
    market.lead_sent = false;
  }
  market.dirty = true;
  Step(now);
}

void OrderManager::OnPostReply(uint64_t request_id, const PostReply& reply, Nanos now) {
  auto it = requests_.find(request_id);
  if (it == requests_.end()) return;
  const Request req = std::move(it->second);
  requests_.erase(it);
  ReleaseRequest(req, now);
  std::vector<Record*> records;
  for (const model::OrderId& id : req.orders) {
    Record* r = FindRecord(id);
    if (r != nullptr) r->post_in_flight = false;
    records.push_back(r);
  }
  const auto mismatch = [&] {
    counters_.version_mismatches++;
    version_.reset();
    next_version_try_ = now;
  };
  const auto resend_later = [&] {
    for (Record* r : records) {
      if (r != nullptr && r->view.state == OrderState::kPendingSubmit) {
        r->needs_send = true;
        MarkDirty(r->view.market);
      }
    }
  };
  const auto all = [&](OrderInput input, const std::string& reason) {
    for (Record* r : records) {
      if (r != nullptr) Apply(*r, input, now, OrderInputName(input), reason);
    }
  };
  SyncBucket(ActionKind::kPost, reply.rate_limit, now);
  // A trading restriction refused the whole request before any order was processed: the same
  // signed orders go again once it lifts (posts stop meanwhile; cancels go on).
  const polymarket::TradingRestriction restriction =
      reply.outcome == net::Outcome::kOk
          ? polymarket::TradingRestriction::kNone
          : polymarket::ClassifyRestriction(reply.http_status, {.error = reply.error, .code = reply.error_code});
  if (restriction != polymarket::TradingRestriction::kNone &&
      restriction != polymarket::TradingRestriction::kRestarting) {
    Restrict(restriction, reply.retry_after, now);
    resend_later();
    Step(now);
    return;
  }
  switch (reply.outcome) {
    case net::Outcome::kOk: {
      if (reply.legs.size() != records.size()) {
        counters_.ambiguous += records.size();
        all(OrderInput::kSubmitAmbiguous, "batch answer with the wrong number of legs");
        break;
      }
      bool any_accepted = false;
      for (size_t i = 0; i < records.size(); ++i) {
        Record* r = records[i];
        const polymarket::PostOrderResult& leg = reply.legs[i];
        if (r == nullptr) continue;
        const polymarket::PlacementClass placement = leg.Classify();
        if (placement != polymarket::PlacementClass::kRejected) {
          auto id = model::OrderId::Parse(leg.order_id);
          if (!id.ok() || *id != r->view.id) {
            counters_.ambiguous++;
            Apply(*r, OrderInput::kSubmitAmbiguous, now, "submit_ambiguous", "accepted under another order id");
            continue;
          }
          any_accepted = true;
          reject_memo_.erase(r->view.intent);
          if (placement == polymarket::PlacementClass::kUnmatched) {
            // The docs: on the book after its delay without a match; the SDKs: a rejection. Neither
            // proves its state: accepted, resting state unknown, resolved by a query or a listing.
            counters_.unmatched++;
            Apply(*r, OrderInput::kSubmitAmbiguous, now, "submit_unmatched", "unmatched: resting state unknown");
            continue;
          }
          if (placement == polymarket::PlacementClass::kUnknown) {
            counters_.unknown_placement_statuses++;
            Apply(*r, OrderInput::kSubmitAmbiguous, now, "submit_unknown_status",
                  "unknown status '" + leg.status + "'");
            continue;
          }
          counters_.accepted++;
          if (leg.delayed()) {
            // Queued behind the matching delay: in flight, not on the book, never a fill.
            counters_.delayed++;
            const Nanos delay = DelayOf(r->view.market);
            r->delayed_until = now + (delay > 0 ? delay : config_.default_matching_delay);
          }
          Apply(*r, OrderInput::kSubmitAccepted, now, leg.delayed() ? "submit_delayed" : "submit_accepted");
          continue;
        }
        if (const auto why = polymarket::ClassifyRestrictionText(leg.error_msg);
            why != polymarket::TradingRestriction::kNone) {
          // Refused by a restriction (post-only mode, cancel-only, closed-only), not on its merits:
          // kept and sent again once the restriction lifts.
          Restrict(why, reply.retry_after, now);
          if (r->view.state == OrderState::kPendingSubmit) {
            r->needs_send = true;
            MarkDirty(r->view.market);
          }
          continue;
        }
        const std::string reason = leg.error_msg.empty()
                                       ? (leg.success ? "success with an empty order id" : "refused without a reason")
                                       : leg.error_msg;
        if (IsDuplicate(leg.error_msg)) {
          counters_.duplicates++;
          Apply(*r, OrderInput::kSubmitAmbiguous, now, "submit_duplicate", reason);
          continue;
        }
        if (IsVersionMismatch(leg.error_msg)) {
          mismatch();
        } else {
          RememberRejection(*r, now);
        }
        counters_.rejected++;
        counters_.rejects_by_reason[std::string(RejectReasonClass(reason))]++;
        Apply(*r, OrderInput::kSubmitRejected, now, "submit_rejected", reason);
      }
      if (any_accepted) post_backoff_ = 0;
      break;
    }
    case net::Outcome::kRejected:
      if (IsDuplicate(reply.error)) {
        counters_.duplicates++;
        all(OrderInput::kSubmitAmbiguous, reply.error);
        break;
      }
      if (IsVersionMismatch(reply.error)) {
        mismatch();
      } else {
        for (Record* r : records) {
          if (r != nullptr) RememberRejection(*r, now);
        }
      }
      counters_.rejected += records.size();
      counters_.rejects_by_reason[std::string(RejectReasonClass(reply.error))] += records.size();
      all(OrderInput::kSubmitRejected, reply.error.empty() ? fmt::format("HTTP {}", reply.http_status) : reply.error);
      PostBackoff(std::nullopt, now);
      break;
    case net::Outcome::kThrottled:
      // Not processed (all or nothing): the same signed orders go again after the wait; without a
      // Retry-After (a cost above the burst, or a garbled answer) our own backoff applies.
      CountThrottled(ActionKind::kPost);
      resend_later();
      PostBackoff(reply.retry_after ? reply.retry_after : std::optional<Nanos>(config_.throttle_backoff), now);
      break;
    case net::Outcome::kNotSent:
      resend_later();
      PostBackoff(std::nullopt, now);
      break;
    case net::Outcome::kAmbiguous:
      if (reply.http_status == 425) {  // the matching engine is restarting: not processed
        counters_.throttled++;
        resend_later();
        PostBackoff(reply.retry_after ? reply.retry_after : std::optional<Nanos>(2 * kNanosPerSecond), now);
        break;
      }
      counters_.ambiguous += records.size();
      all(OrderInput::kSubmitAmbiguous, reply.error.empty() ? "no trustworthy answer" : reply.error);
      PostBackoff(std::nullopt, now);
      break;
  }
  Step(now);
}

void OrderManager::RememberRejection(const Record& r, Nanos now) {
  RejectMemo& memo = reject_memo_[r.view.intent];
  memo.backoff = memo.backoff == 0 || memo.price != r.view.price
                     ? config_.reject_backoff_initial
                     : std::min(config_.reject_backoff_max, memo.backoff * 2);
  memo.price = r.view.price;
  memo.retry_at = now + memo.backoff;
}

void OrderManager::PostBackoff(std::optional<Nanos> hint, Nanos now) {
  post_backoff_ =
      post_backoff_ == 0 ? config_.post_backoff_initial : std::min(config_.post_backoff_max, post_backoff_ * 2);
  const Nanos wait = hint ? std::max(*hint, post_backoff_) : post_backoff_;
  post_backoff_until_ = std::max(post_backoff_until_, now + wait);
}

void OrderManager::OnCancelReply(uint64_t request_id, const CancelReply& reply, Nanos now) {
  auto it = requests_.find(request_id);
  if (it == requests_.end()) return;
  const Request req = std::move(it->second);
  requests_.erase(it);
  ReleaseRequest(req, now);
  SyncBucket(req.kind, reply.rate_limit, now);
  if (reply.outcome == net::Outcome::kThrottled) {
    // Not processed: nothing is known about the orders; the cancels wait for the bucket (never a
    // rejection, never an attempt that counts towards escalation).
    CountThrottled(req.kind);
    cancel_not_before_ = std::max(cancel_not_before_, now + reply.retry_after.value_or(config_.throttle_backoff));
    if (req.kind == ActionKind::kCancel) {
      for (const model::OrderId& id : req.orders) {
        Record* r = FindRecord(id);
        if (r != nullptr) {
          r->cancel_in_flight = false;
          if (r->cancel_attempts > 0) r->cancel_attempts--;
          if (!MayBeLive(r->view.state)) continue;
          r->cancel_queued = true;
        }
        cancel_queue_.push_back(id);
      }
    } else if (req.kind == ActionKind::kCancelAll) {
      cancel_all_in_flight_ = false;
      if (req.startup && phase_ == Phase::kCancelingAll) {
        phase_ = Phase::kStarting;  // sent again once the bucket allows (not an attempt)
        startup_not_before_ = cancel_not_before_;
      } else {
        cancel_all_wanted_ = true;
      }
    }
    Step(now);
    return;
  }
  const bool ok = reply.outcome == net::Outcome::kOk;
  if (ok && req.kind != ActionKind::kCancel && !reply.rate_limit.remaining) {
    cancel_budget_.TakeForCancel(static_cast<double>(reply.result.canceled.size()), now);
  }
  std::set<model::OrderId> answered;
  if (ok) {
    for (const std::string& raw : reply.result.canceled) {
      auto id = model::OrderId::Parse(raw);
      if (!id.ok()) {
        counters_.malformed_events++;
        continue;
      }
      answered.insert(*id);
      if (Record* r = FindRecord(*id)) {
        Apply(*r, OrderInput::kCancelConfirmed, now, "cancel_confirmed", "canceled");
      } else if (req.kind != ActionKind::kCancel) {
        counters_.orphans_canceled++;  // an order we did not know, gone now
      }
    }
    for (const auto& [raw, why] : reply.result.not_canceled) {
      auto id = model::OrderId::Parse(raw);
      if (!id.ok()) continue;
      answered.insert(*id);
      Record* r = FindRecord(*id);
      if (r == nullptr || !MayBeLive(r->view.state)) continue;
      if (Contains(why, "delay")) {
        // In a matching delay the order cannot be cancelled: it stays PENDING_CANCEL and the
        // cancel goes again once the delay has ended (not an attempt towards escalation).
        counters_.cancels_refused_in_delay++;
        const Nanos delay = DelayOf(r->view.market) > 0 ? DelayOf(r->view.market) : config_.default_matching_delay;
        if (r->delayed_until <= now) r->delayed_until = now + delay;  // a delay we had not been told of
        r->cancel_in_flight = false;
        if (r->cancel_attempts > 0) r->cancel_attempts--;
        // StepCancels sends it again just after the delay ends.
        r->last_cancel_sent = r->delayed_until + 50 * kNanosPerMilli - config_.cancel_retry_after;
        if (r->view.state != OrderState::kPendingCancel) Apply(*r, OrderInput::kCancelRequested, now, "cancel_delayed");
        continue;
      }
      // "already canceled or matched" / "not found": only a query can tell which.
      Apply(*r, OrderInput::kCancelRefusedAlreadyDone, now, "cancel_refused", why);
      r->next_query = now;
    }
  }
  if (req.kind == ActionKind::kCancel) {
    for (const model::OrderId& id : req.orders) {
      Record* r = FindRecord(id);
      if (r == nullptr) continue;
      r->cancel_in_flight = false;
      if (!answered.contains(id)) Apply(*r, OrderInput::kCancelAmbiguous, now, "cancel_ambiguous");
    }
  } else if (req.kind == ActionKind::kCancelAll) {
    cancel_all_in_flight_ = false;
    if (req.startup && phase_ == Phase::kCancelingAll) {
      if (ok) {
        phase_ = Phase::kVerifying;
        StartListing(now, /*startup=*/true);
      } else if (++startup_attempts_ >= config_.startup_attempts) {
        Halt(
            fmt::format("start-up cancel-all failed {} times ({})", startup_attempts_, net::OutcomeName(reply.outcome)),
            now);
      } else {
        phase_ = Phase::kStarting;  // StartupStep sends it again
        startup_not_before_ = now + config_.request_retry;
      }
    } else {
      listing_wanted_ = true;  // verify by listing
    }
  }
  Step(now);
}

void OrderManager::OnQueryReply(uint64_t request_id, const QueryReply& reply, Nanos now) {
  auto it = requests_.find(request_id);
  if (it == requests_.end()) return;
  const Request req = std::move(it->second);
  requests_.erase(it);
  ReleaseRequest(req, now);
  if (req.orders.empty()) return;
  Record* r = FindRecord(req.orders.front());
  if (r == nullptr) return;
  r->query_in_flight = false;
  if (reply.outcome == net::Outcome::kThrottled) {
    CountThrottled(ActionKind::kQueryOrder);
    r->next_query = now + reply.retry_after.value_or(config_.throttle_backoff);
    Step(now);
    return;
  }
  // 200 with an empty body or null (the live answer), or a 404: not active at the venue -- never
  // "never existed". Resolved through /data/trades once nothing can still land.
  const bool not_active = (reply.outcome == net::Outcome::kOk && !reply.order) || reply.http_status == 404;
  if (reply.outcome == net::Outcome::kOk && reply.order) {
    const polymarket::OpenOrder& o = *reply.order;
    const std::string status = Upper(o.status);
    if (status == "MATCHED" || status == "FILLED") {
      ReportMatched(*r, std::max(o.size_matched, r->view.original), now, "query");
    } else {
      ReportMatched(*r, o.size_matched, now, "query");
    }
    if (status == "LIVE" || status == "OPEN" || status == "DELAYED") {
      Apply(*r, OrderInput::kPlacementSeen, now, "query:live");
    } else if (status.rfind("CANCELED", 0) == 0 || status == "EXPIRED" || status == "INVALID") {
      Apply(*r, OrderInput::kCancelConfirmed, now, "query:" + status, o.status);
    } else if (!IsTerminal(r->view.state)) {
      r->next_query = now + config_.query_after;  // a status we do not act on: ask again
    }
  } else if (not_active) {
    counters_.not_active_lookups++;
    if (AbsentProvable(*r, req.sent)) {
      ResolveNotActive(*r, now);
    } else {
      r->next_query = std::max(
          {now + config_.query_after, r->last_sent + config_.absent_grace + DelayOf(r->view.market), r->delayed_until});
    }
  } else {
    r->next_query = now + config_.query_after;
  }
  Step(now);
}

void OrderManager::AdoptOrder(const polymarket::OpenOrder& open, Nanos now) {
  auto id = model::OrderId::Parse(open.id);
  if (!id.ok()) {
    counters_.malformed_events++;
    return;
  }
  if (orders_.contains(*id)) return;
  Record r;
  r.view.id = *id;
  r.view.market = open.market;
  r.view.intent = {.token = open.asset_id, .side = open.side, .level = kAdoptedLevel};
  r.view.price = open.price;
  r.view.original = open.original_size;
  r.view.adopted = true;
  r.view.created = now;
  r.view.updated = now;
  r.fill = {.original = open.original_size, .matched = model::Size(0)};
  auto [slot, inserted] = orders_.emplace(*id, std::move(r));
  Record& rec = slot->second;
  Market& market = markets_[open.market];
  market.orders.emplace(*id, &rec);
  market.tokens.insert(open.asset_id);
  token_market_[open.asset_id] = open.market;
  if (!market.ladder) market.diff_not_before = now + config_.adopt_grace;
  Emit(rec, OrderState::kPendingSubmit, true, "adopted");
  ReportMatched(rec, open.size_matched, now, "adopted");
  Apply(rec, OrderInput::kPlacementSeen, now, "adopted");
}

void OrderManager::OnListReply(uint64_t request_id, const ListReply& reply, Nanos now) {
  auto it = requests_.find(request_id);
  if (it == requests_.end()) return;
  const Request req = std::move(it->second);
  requests_.erase(it);
  listing_in_flight_ = false;
  if (reply.outcome != net::Outcome::kOk) {
    if (reply.outcome == net::Outcome::kThrottled) CountThrottled(ActionKind::kListOpenOrders);
    next_listing_try_ = now + std::max(config_.request_retry, reply.retry_after.value_or(0));
    if (req.startup) {
      if (++startup_attempts_ >= config_.startup_attempts) {
        Halt(fmt::format("start-up listing of open orders failed {} times", startup_attempts_), now);
      } else {
        StartListing(now, true);
      }
    } else {
      listing_wanted_ = true;
    }
    Step(now);
    return;
  }
  counters_.reconciles++;
  std::map<model::OrderId, const polymarket::OpenOrder*> open;
  for (const polymarket::OpenOrder& o : reply.orders) {
    auto id = model::OrderId::Parse(o.id);
    if (!id.ok()) {
      counters_.malformed_events++;
      continue;
    }
    open.emplace(*id, &o);
  }
  if (req.startup && phase_ == Phase::kAdopting) {
    for (const auto& [id, o] : open) AdoptOrder(*o, now);
    phase_ = Phase::kReady;
    next_reconcile_ = now + config_.reconcile_interval;
    Step(now);
    return;
  }
  if (req.startup && phase_ == Phase::kVerifying) {
    if (open.empty()) {
      // Nothing is open: whatever the cache still holds from before (after a halt) is dead.
      for (auto& [id, r] : orders_) {
        if (MayBeLive(r.view.state) && AbsentProvable(r, req.sent)) OnProvenAbsent(r, now, "start-up:absent");
      }
      phase_ = Phase::kReady;
      resync_pending_ = false;
      next_reconcile_ = now + config_.reconcile_interval;
      for (auto& [id, market] : markets_) market.dirty = true;
    } else if (++startup_attempts_ >= config_.startup_attempts) {
      Halt(fmt::format("start-up cancel-all could not be verified: {} orders still open after {} attempts", open.size(),
                       startup_attempts_),
           now);
    } else {
      phase_ = Phase::kStarting;  // cancel-all again
      startup_not_before_ = now + config_.request_retry;
    }
    Step(now);
    return;
  }
  // Reconciliation: the listing is the exchange's truth as of when it was asked for.
  std::vector<model::OrderId> strays;
  for (const auto& [id, o] : open) {
    Record* r = FindRecord(id);
    if (r == nullptr) {
      strays.push_back(id);  // not ours from this incarnation: an orphan
      counters_.orphans_canceled++;
      continue;
    }
    if (IsTerminal(r->view.state)) {
      // Never revived (invariant 2), but it is open: cancel it like an orphan.
      counters_.terminal_seen_open++;
      strays.push_back(id);
      continue;
    }
    ReportMatched(*r, o->size_matched, now, "listing");
    Apply(*r, OrderInput::kPlacementSeen, now, "listing");
  }
  for (auto& [id, r] : orders_) {
    if (!MayBeLive(r.view.state) || open.contains(id)) continue;
    if (AbsentProvable(r, req.sent)) OnProvenAbsent(r, now, "listing:absent");
  }
  if (!strays.empty()) SendCancels(strays, now, "reconcile");
  for (auto& [market_id, market] : markets_) {
    if (market.escalation < 3) continue;
    size_t stuck = 0;
    for (const auto& [id, rp] : market.orders) {
      const Record& r = *rp;
      if (r.view.state == OrderState::kPendingCancel && open.contains(id)) stuck++;
    }
    if (stuck > 0) {
      Halt(fmt::format("cancel escalation exhausted in market {}: {} orders still open after cancel-all", market_id,
                       stuck),
           now);
      RestartCancelLadder(market);
    }
  }
  if (heartbeat_ok_) resync_pending_ = false;
  next_reconcile_ = now + config_.reconcile_interval;
  if (killed() && !open.empty()) {
    // A kill is verified by an empty listing: cancel again and look again shortly.
    SendCancelAll(now);
  }
  Step(now);
}

void OrderManager::OnHeartbeatReply(uint64_t request_id, const HeartbeatReply& reply, Nanos now) {
  auto it = requests_.find(request_id);
  if (it == requests_.end()) return;
  requests_.erase(it);
  heartbeat_in_flight_ = false;
  if (reply.outcome == net::Outcome::kOk && reply.error.empty() && !reply.heartbeat_id.empty()) {
    counters_.heartbeats_ok++;
    heartbeat_id_ = reply.heartbeat_id;
    heartbeat_ok_ = true;
    last_heartbeat_ok_ = now;
    next_heartbeat_ = now + config_.heartbeat_interval;
    StartupStep(now);
  } else if (!reply.error.empty() && (reply.outcome == net::Outcome::kOk || reply.outcome == net::Outcome::kRejected)) {
    counters_.heartbeat_failures++;
    ChainBroken("the exchange refused the heartbeat: " + reply.error, now);
  } else {
    counters_.heartbeat_failures++;
    if (reply.outcome == net::Outcome::kThrottled) CountThrottled(ActionKind::kHeartbeat);
    next_heartbeat_ = now + config_.heartbeat_retry;
    if (phase_ == Phase::kStarting && ++startup_attempts_ >= config_.startup_attempts * 4) {
      Halt(fmt::format("start-up: no heartbeat acknowledged after {} attempts", startup_attempts_), now);
    }
  }
  Step(now);
}

void OrderManager::ChainBroken(const std::string& why, Nanos now) {
  counters_.heartbeat_chain_breaks++;
  const bool was_ok = heartbeat_ok_;
  heartbeat_ok_ = false;
  heartbeat_id_.clear();
  next_heartbeat_ = now;
  if (phase_ == Phase::kIdle || phase_ == Phase::kStarting) return;
  // The exchange cancels everything when the chain lapses; make sure and resync before posting.
  resync_pending_ = true;
  listing_wanted_ = true;
  std::vector<model::OrderId> ids;
  for (auto& [id, r] : orders_) {
    if (MayBeLive(r.view.state)) ids.push_back(id);
  }
  SendCancels(ids, now, "heartbeat");
  if (was_ok) SendCancelAll(now);
  (void)why;
}

void OrderManager::OnVersionReply(uint64_t request_id, const VersionReply& reply, Nanos now) {
  auto it = requests_.find(request_id);
  if (it == requests_.end()) return;
  requests_.erase(it);
  version_in_flight_ = false;
  if (reply.outcome == net::Outcome::kOk && reply.version >= 1 && reply.version <= 3) {
    version_ = reply.version;
    for (auto& [id, market] : markets_) market.dirty = true;
  } else {
    next_version_try_ = now + config_.request_retry;
  }
  Step(now);
}

void OrderManager::OnRateTierReply(uint64_t request_id, const RateTierReply& reply, Nanos now) {
  auto it = requests_.find(request_id);
  if (it == requests_.end()) return;
  requests_.erase(it);
  rate_tier_in_flight_ = false;
  if (reply.outcome == net::Outcome::kOk && reply.tier) {
    ApplyTier(*reply.tier, true, now);
    next_rate_tier_ = now + config_.rate_tier_refresh;
  } else {
    // Until the exchange says, the configured (by default the tightest) tier stands.
    if (reply.outcome == net::Outcome::kThrottled) CountThrottled(ActionKind::kGetRateTier);
    next_rate_tier_ = now + 10 * config_.request_retry;
  }
  Step(now);
}

void OrderManager::ResolveNotActive(Record& r, Nanos now) {
  if (r.trades_in_flight) return;
  r.trades_in_flight = true;
  counters_.trade_queries++;
  // Every trade of the market since a minute before the order was made: its fills, if any.
  const int64_t after_s = std::max<int64_t>(0, r.view.created / kNanosPerSecond - 60);
  Issue({.kind = ActionKind::kQueryTrades, .market = r.view.market, .after_s = after_s},
        {.orders = {r.view.id}, .market = r.view.market}, now);
}

void OrderManager::AddTradeLeg(Record& r, const std::string& trade_id, const std::string& leg_key, model::Size size,
                               Nanos now) {
  if (!r.trade_legs.emplace(trade_id + ":" + leg_key, size.micros()).second) {
    counters_.duplicate_trade_legs++;
    return;
  }
  counters_.fills_from_trades++;
  int64_t total = 0;
  for (const auto& [k, micros] : r.trade_legs) total += micros;
  ReportMatched(r, model::Size(total), now, "trades");
}

void OrderManager::OnTradesReply(uint64_t request_id, const TradesReply& reply, Nanos now) {
  auto it = requests_.find(request_id);
  if (it == requests_.end()) return;
  const Request req = std::move(it->second);
  requests_.erase(it);
  ReleaseRequest(req, now);
  if (reply.outcome == net::Outcome::kThrottled) CountThrottled(ActionKind::kQueryTrades);
  for (const model::OrderId& id : req.orders) {
    Record* r = FindRecord(id);
    if (r == nullptr) continue;
    r->trades_in_flight = false;
    if (reply.outcome != net::Outcome::kOk) {
      r->next_query = now + std::max(config_.query_after, reply.retry_after.value_or(0));  // ask again later
      continue;
    }
    const std::string own = id.ToString();
    for (const polymarket::UserTradeEvent& t : reply.trades) {
      if (t.status == polymarket::TradeStatus::kFailed) continue;
      auto taker = model::OrderId::Parse(t.taker_order_id);
      if (taker.ok() && *taker == id) AddTradeLeg(*r, t.id, "taker", t.size, now);
      for (const polymarket::MakerOrderLeg& leg : t.maker_orders) {
        auto maker = model::OrderId::Parse(leg.order_id);
        if (maker.ok() && *maker == id) AddTradeLeg(*r, t.id, "maker:" + leg.order_id, leg.matched_amount, now);
      }
    }
    // Not active, and its fills are what the trades say: filled, or dead with what it matched.
    if (MayBeLive(r->view.state)) OnProvenAbsent(*r, now, "lookup:not_active");
  }
  Step(now);
}

void OrderManager::OnUserOrder(const polymarket::UserOrderEvent& event, Nanos now) {
  auto id = model::OrderId::Parse(event.id);
  if (!id.ok()) {
    counters_.malformed_events++;
    return;
  }
  Record* r = FindRecord(*id);
  if (r == nullptr) {
    counters_.unknown_order_events++;
    if (event.type != polymarket::OrderEventType::kCancellation) listing_wanted_ = true;  // a possible orphan
    Step(now);
    return;
  }
  const std::string cause = fmt::format("user:{}", polymarket::OrderEventTypeName(event.type));
  if (r->view.original.micros() == 0) r->view.original = event.original_size;
  ReportMatched(*r, event.size_matched, now, cause);
  switch (event.type) {
    case polymarket::OrderEventType::kPlacement:
    case polymarket::OrderEventType::kUpdate:
      if (event.status_base == "CANCELED" || event.status_base == "INVALID") {
        Apply(*r, OrderInput::kCancelConfirmed, now, cause, event.status);
      } else {
        Apply(*r, OrderInput::kPlacementSeen, now, cause);
      }
      break;
    case polymarket::OrderEventType::kCancellation:
      Apply(*r, OrderInput::kCancelConfirmed, now, cause,
            event.status_reason.empty() ? std::string("canceled") : event.status_reason);
      break;
  }
  Step(now);
}

void OrderManager::OnUserTrade(const polymarket::UserTradeEvent& event, Nanos now) {
  const auto add_leg = [&](const std::string& raw_id, const std::string& leg_key, model::Size size) {
    auto id = model::OrderId::Parse(raw_id);
    if (!id.ok()) return;
    Record* r = FindRecord(*id);
    if (r == nullptr) return;
    if (event.status == polymarket::TradeStatus::kFailed) return;  // settlement, not matching: positions' concern
    const std::string key = event.id + ":" + leg_key;
    if (!r->trade_legs.emplace(key, size.micros()).second) {
      counters_.duplicate_trade_legs++;
      return;
    }
    counters_.fills_from_trades++;
    int64_t total = 0;
    for (const auto& [k, micros] : r->trade_legs) total += micros;
    ReportMatched(*r, model::Size(total), now, "user:TRADE");
  };
  add_leg(event.taker_order_id, "taker", event.size);
  for (size_t i = 0; i < event.maker_orders.size(); ++i) {
    const polymarket::MakerOrderLeg& leg = event.maker_orders[i];
    add_leg(leg.order_id, "maker:" + leg.order_id, leg.matched_amount);
  }
  Step(now);
}

void OrderManager::OnUserStreamReconnected(Nanos now) {
  listing_wanted_ = true;
  Step(now);
}

void OrderManager::OnTimer(Nanos now) {
  Collect(now);  // housekeeping on the timer, off the path of ladders and answers
  Step(now);
}

// --- admin ---------------------------------------------------------------------------------------

void OrderManager::Kill(const std::string& reason, Nanos now) {
  counters_.kills++;
  kill_reason_ = reason.empty() ? "killed" : reason;
  CancelAll(kill_reason_, now);
}

void OrderManager::Reset(Nanos now) {
  kill_reason_.clear();
  if (phase_ == Phase::kHalted) {
    Start(false, now);
    return;
  }
  for (auto& [id, market] : markets_) market.dirty = true;
  Step(now);
}

void OrderManager::PauseMarket(const std::string& market, Nanos now) {
  paused_.insert(market);
  MarkDirty(market);
  Step(now);
}

void OrderManager::ResumeMarket(const std::string& market, Nanos now) {
  paused_.erase(market);
  MarkDirty(market);
  Step(now);
}

void OrderManager::CancelAll(const std::string& reason, Nanos now) {
  std::vector<model::OrderId> ids;
  for (auto& [id, r] : orders_) {
    if (MayBeLive(r.view.state)) ids.push_back(id);
  }
  SendCancels(ids, now, reason);
  SendCancelAll(now);
  for (auto& [id, market] : markets_) market.dirty = true;
  Step(now);
}

void OrderManager::SendCancelAll(Nanos now) {
  if (cancel_all_in_flight_) return;
  // 1 token up front (the rest is charged per order cancelled, into debt where the tier allows);
  // without it, or inside a 429's wait, it goes as soon as the bucket allows.
  if (now < cancel_not_before_ || cancel_budget_.Affordable(now) < 1) {
    cancel_all_wanted_ = true;  // the timer sends it when the bucket allows
    return;
  }
  cancel_all_wanted_ = false;
  cancel_all_in_flight_ = true;
  counters_.cancel_all_requests++;
  cancel_budget_.TakeForCancel(1, now);
  Issue({.kind = ActionKind::kCancelAll}, {.cost = 1}, now);
}

void OrderManager::ReconcileNow(Nanos now) {
  listing_wanted_ = true;
  Step(now);
}

// --- the step --------------------------------------------------------------------------------------

bool OrderManager::posting_allowed(Nanos now) const {
  // Cancel-only and disabled trading stop every post (post-only mode does not: ours are
  // post-only; closed-only stops the buys, in StepMarket).
  const polymarket::TradingRestriction r = restriction(now);
  const bool restricted =
      r == polymarket::TradingRestriction::kCancelOnly || r == polymarket::TradingRestriction::kTradingDisabled;
  return phase_ == Phase::kReady && !killed() && heartbeat_ok_ && version_.has_value() && !resync_pending_ &&
         now >= post_backoff_until_ && !restricted;
}

void OrderManager::StartListing(Nanos now, bool startup) {
  if (listing_in_flight_) return;
  listing_in_flight_ = true;
  listing_wanted_ = false;
  counters_.listings++;
  query_budget_.TakeForCancel(1, now);
  Issue({.kind = ActionKind::kListOpenOrders}, {.startup = startup}, now);
}

void OrderManager::Step(Nanos now) {
  pending_work_ = false;
  StepHeartbeat(now);
  StartupStep(now);
  if (phase_ != Phase::kIdle && !version_ && !version_in_flight_ && now >= next_version_try_) {
    version_in_flight_ = true;
    Issue({.kind = ActionKind::kGetVersion}, {}, now);
  }
  if (phase_ != Phase::kIdle && !rate_tier_in_flight_ && now >= next_rate_tier_) {
    // The signer's tier sizes both buckets (it follows the maker wallet's 30-day volume).
    rate_tier_in_flight_ = true;
    next_rate_tier_ = now + config_.rate_tier_refresh;
    Issue({.kind = ActionKind::kGetRateTier}, {}, now);
  }
  if (phase_ == Phase::kReady || phase_ == Phase::kHalted) {
    if (now >= next_reconcile_) listing_wanted_ = true;
    if (listing_wanted_ && !listing_in_flight_ && now >= next_listing_try_) StartListing(now, false);
  }
  // Cancels first: those waiting for tokens, a cancel-all that could not go, then the retries.
  FlushCancelQueue(now);
  if (cancel_all_wanted_) SendCancelAll(now);
  StepCancels(now);
  StepQueries(now);
  bool signed_batch = false;
  open_orders_ = OpenOrderCount();
  for (auto& [id, market] : markets_) StepMarket(id, market, now, signed_batch);
}

void OrderManager::StepHeartbeat(Nanos now) {
  if (phase_ == Phase::kIdle) return;
  if (heartbeat_ok_ && now - last_heartbeat_ok_ > config_.heartbeat_timeout) {
    ChainBroken("no heartbeat acknowledged within the exchange's timeout", now);
  }
  if (!heartbeat_in_flight_ && now >= next_heartbeat_) {
    heartbeat_in_flight_ = true;
    Issue({.kind = ActionKind::kHeartbeat, .heartbeat_id = heartbeat_id_}, {}, now);
  }
}

void OrderManager::SendCancels(std::vector<model::OrderId> ids, Nanos now, std::string_view cause) {
  std::vector<std::pair<model::OrderId, Record*>> targets;
  targets.reserve(ids.size());
  for (const model::OrderId& id : ids) targets.emplace_back(id, FindRecord(id));
  SendCancels(targets, now, cause);
}

// The records are passed in (the diff's callers have them at hand): no lookups on the hot path.
void OrderManager::SendCancels(const std::vector<std::pair<model::OrderId, Record*>>& targets, Nanos now,
                               std::string_view cause) {
  std::vector<model::OrderId> send;
  std::vector<Record*> sent_records;
  send.reserve(targets.size());
  sent_records.reserve(targets.size());
  for (const auto& [id, r] : targets) {
    if (r == nullptr || IsTerminal(r->view.state)) {
      // An orphan, or seen open although terminal: the cancel is sent by id, the state stays.
      send.push_back(id);
      sent_records.push_back(r);
      continue;
    }
    if (r->view.state == OrderState::kPendingSubmit && !r->post_in_flight && r->last_sent == 0) {
      // Signed but never sent: nothing at the exchange to cancel.
      Apply(*r, OrderInput::kCancelConfirmed, now, cause, "withdrawn before it was sent");
      continue;
    }
    if (r->view.state == OrderState::kUnknown && now < r->last_cancel_sent + config_.cancel_retry_after) {
      MarkDirty(r->view.market);  // just refused as not found: the query settles it, then a retry
      continue;
    }
    if (r->view.state != OrderState::kPendingCancel) Apply(*r, OrderInput::kCancelRequested, now, cause);
    if (r->cancel_in_flight || r->cancel_queued) continue;
    r->cancel_in_flight = true;
    r->cancel_attempts++;
    r->last_cancel_sent = now;
    send.push_back(id);
    sent_records.push_back(r);
  }
  // DELETE /orders costs one cancel token per id, admitted whole or not at all: chunks fit the
  // bucket's burst (and 1,000 ids) and what it holds now; the rest wait for tokens, queued ahead
  // of everything (posts never wait in front of a cancel; a cancel never waits behind a post).
  const size_t cap = static_cast<size_t>(std::clamp<double>(std::floor(cancel_budget_.config().capacity), 1.0, 1000.0));
  size_t at = 0;
  while (at < send.size()) {
    const int64_t affordable = now < cancel_not_before_ ? 0 : cancel_budget_.Affordable(now);
    const size_t n = std::min({send.size() - at, cap, static_cast<size_t>(std::max<int64_t>(affordable, 0))});
    if (n == 0) break;
    std::vector<model::OrderId> chunk(send.begin() + static_cast<std::ptrdiff_t>(at),
                                      send.begin() + static_cast<std::ptrdiff_t>(at + n));
    for (size_t i = at; i < at + n; ++i) {
      if (sent_records[i] != nullptr) sent_records[i]->requests_in_flight++;
    }
    cancel_budget_.TakeForCancel(static_cast<double>(n), now);
    counters_.cancel_requests++;
    counters_.cancels_sent += chunk.size();
    Request request{.orders = chunk, .cost = static_cast<int64_t>(n)};
    Issue({.kind = ActionKind::kCancel, .order_ids = std::move(chunk)}, std::move(request), now, /*counted=*/true);
    at += n;
  }
  for (; at < send.size(); ++at) {
    counters_.cancels_waiting_tokens++;
    if (Record* r = sent_records[at]) {
      r->cancel_in_flight = false;
      r->cancel_attempts--;
      r->cancel_queued = true;
    }
    cancel_queue_.push_back(send[at]);  // the timer sends it when the bucket allows
  }
}

void OrderManager::FlushCancelQueue(Nanos now) {
  if (cancel_queue_.empty() || now < cancel_not_before_ || cancel_budget_.Affordable(now) < 1) return;
  std::vector<std::pair<model::OrderId, Record*>> targets;
  std::set<model::OrderId> seen;
  while (!cancel_queue_.empty()) {
    const model::OrderId id = cancel_queue_.front();
    cancel_queue_.pop_front();
    if (!seen.insert(id).second) continue;
    Record* r = FindRecord(id);
    if (r != nullptr) {
      r->cancel_queued = false;
      if (!MayBeLive(r->view.state)) continue;  // settled meanwhile (a fill, the stream, a listing)
    }
    targets.emplace_back(id, r);
  }
  SendCancels(targets, now, "cancel_queued");
}

void OrderManager::StepCancels(Nanos now) {
  std::vector<model::OrderId> retry;
  for (auto& [market_id, market] : markets_) {
    bool stuck = false;
    bool escalate = false;
    for (const auto& [id, rp] : market.orders) {
      Record& r = *rp;
      if (r.view.state != OrderState::kPendingCancel) continue;
      stuck = true;
      if (r.cancel_queued) continue;  // waiting for tokens: not a failed attempt
      if (r.cancel_in_flight || now < r.last_cancel_sent + config_.cancel_retry_after) continue;
      if (r.cancel_attempts < config_.cancel_by_id_attempts) {
        retry.push_back(id);
      } else {
        escalate = true;
      }
    }
    if (!stuck) {
      market.escalation = 0;
    } else if (escalate && now >= market.next_escalation) {
      Escalate(market_id, market, now);
    }
  }
  for (const model::OrderId& id : retry) orders_.at(id).cancel_in_flight = false;
  if (!retry.empty()) SendCancels(retry, now, "cancel_retry");
}

void OrderManager::Escalate(const std::string& market_id, Market& market, Nanos now) {
  counters_.escalations++;
  market.escalation++;
  market.next_escalation = now + config_.escalation_step;
  switch (market.escalation) {
    case 1:
      counters_.cancel_market_requests++;
      Issue({.kind = ActionKind::kCancelMarket, .market = market_id}, {.market = market_id}, now);
      break;
    case 2:
      SendCancelAll(now);
      break;
    case 3:
      listing_wanted_ = true;
      if (!listing_in_flight_) StartListing(now, false);
      break;
    default: {
      // The listing after cancel-all did not clear them (or could not be had): stop and alert.
      size_t stuck = 0;
      for (const auto& [id, rp] : market.orders) stuck += rp->view.state == OrderState::kPendingCancel;
      Halt(fmt::format("cancel escalation exhausted in market {}: {} orders not proven canceled", market_id, stuck),
           now);
      RestartCancelLadder(market);
      break;
    }
  }
}

void OrderManager::RestartCancelLadder(Market& market) {
  // Halted, execution keeps trying: by id at the base cadence, escalating again.
  for (const auto& [id, rp] : market.orders) rp->cancel_attempts = 0;
  market.escalation = 0;
}

void OrderManager::StepQueries(Nanos now) {
  std::vector<model::OrderId> due;
  for (auto& [market_id, market] : markets_) {
    for (const auto& [id, rp] : market.orders) {
      const Record& r = *rp;
      if (r.view.state == OrderState::kUnknown && !r.query_in_flight && !r.trades_in_flight && now >= r.next_query) {
        due.push_back(id);
      }
    }
  }
  for (const model::OrderId& id : due) {
    if (!query_budget_.TryTake(1, now)) break;
    orders_.at(id).query_in_flight = true;
    counters_.queries++;
    Issue({.kind = ActionKind::kQueryOrder, .order_ids = {id}}, {.orders = {id}}, now);
  }
}

void OrderManager::StepMarket(const std::string& market_id, Market& market, Nanos now, bool& signed_batch) {
  if (!market.dirty) return;
  if (!market.ladder && now < market.diff_not_before) return;  // adopted orders wait for their ladder
  const bool quoting = phase_ == Phase::kReady && !killed() && !paused_.contains(market_id) && market.ladder &&
                       (market.ladder->valid_until == 0 || now <= market.ladder->valid_until);
  static const std::vector<DesiredQuote> kNothing;
  const std::vector<DesiredQuote>& desired = quoting ? market.ladder->quotes : kNothing;
  const model::TickSize tick = market.ladder ? market.ladder->tick : model::TickSize::Cent();

  // Adopted orders take over the intents of desired quotes at their exact prices -- all the
  // adopted orders of a token and side at once, or none of them: a partial claim could bind an
  // order to the level another, still live, adopted order was made for (invariant 4).
  if (quoting) {
    std::map<std::pair<std::string, model::Side>, std::vector<Record*>> groups;
    for (const auto& [id, rp] : market.orders) {
      Record& r = *rp;
      if (r.view.intent.level == kAdoptedLevel && MayBeLive(r.view.state)) {
        groups[{r.view.intent.token, r.view.intent.side}].push_back(&r);
      }
    }
    for (auto& [key, group] : groups) {
      std::set<Intent> held;
      for (const auto& [other, op] : market.orders) {
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
        Emit(*group[i], group[i]->view.state, false, "adopted:claimed");
      }
    }
  }

  std::vector<WorkingOrder> working;
  working.reserve(market.orders.size());
  for (const auto& [id, rp] : market.orders) {
    const Record& r = *rp;
    if (!MayBeLive(r.view.state)) continue;
    working.push_back({.id = id,
                       .intent = r.view.intent,
                       .price = r.view.price,
                       .original = r.view.original,
                       .matched = r.view.matched,
                       .state = r.view.state,
                       .tick = r.view.tick});
  }
  LadderDiff diff =
      DiffLadder(desired, tick, working, {.refill_below = config_.refill_below, .collect_waiting = false});
  market.dirty = false;
  if (!diff.cancels.empty()) {
    std::vector<std::pair<model::OrderId, Record*>> targets;
    targets.reserve(diff.cancels.size());
    for (const model::OrderId& id : diff.cancels) targets.emplace_back(id, market.orders.at(id));
    SendCancels(targets, now, "diff");
  }
  // An adopted order no ladder claimed may have been made for any level of its token and side:
  // nothing new goes on that side until it is dead (invariant 4 across restarts).
  std::set<std::pair<std::string, model::Side>> blocked;
  for (const auto& [id, rp] : market.orders) {
    const Record& r = *rp;
    if (r.view.intent.level == kAdoptedLevel && MayBeLive(r.view.state)) {
      blocked.emplace(r.view.intent.token, r.view.intent.side);
    }
  }
  if (!blocked.empty() || !reject_memo_.empty()) {
    std::erase_if(diff.posts, [&](const DesiredQuote& q) {
      auto memo = reject_memo_.find(q.intent);
      const bool held = memo != reject_memo_.end() && memo->second.price == q.price && now < memo->second.retry_at;
      if (held) counters_.posts_held_after_reject++;
      if (!held && !blocked.contains({q.intent.token, q.intent.side})) return false;
      market.dirty = true;  // looked at again when the hold ends
      return true;
    });
  }

  // Closed-only: only what reduces a position may go (our sells).
  const bool closed_only = restriction(now) == polymarket::TradingRestriction::kClosedOnly;
  if (closed_only) {
    std::erase_if(diff.posts, [&](const DesiredQuote& q) {
      if (q.intent.side != model::Side::kBuy) return false;
      market.dirty = true;
      return true;
    });
  }
  // Posts: re-sends of kept orders that were never processed, then new intents.
  std::vector<Record*> resend;
  for (const auto& [id, rp] : market.orders) {
    Record& r = *rp;
    if (r.view.state == OrderState::kPendingSubmit && r.needs_send && !r.post_in_flight && r.signed_order &&
        !(closed_only && r.view.intent.side == model::Side::kBuy)) {
      resend.push_back(&r);
    }
  }
  const size_t want = resend.size() + diff.posts.size();
  if (want == 0) return;
  if (!posting_allowed(now)) {
    market.dirty = true;  // looked at again on the next step
    return;
  }
  if (signed_batch) {
    market.dirty = true;
    pending_work_ = true;
    return;
  }
  const size_t limit = static_cast<size_t>(market.lead_sent ? config_.max_batch : config_.lead_batch);
  const size_t wanted_now = std::min(want, limit);
  // The order bucket: a batch is admitted whole or not at all, so it is sized to what the bucket
  // holds (and never above its burst). The cancel bucket: after these posts it must still cover
  // cancelling every order that may be live plus a cancel-all's token (a kill costs 1 + n), and
  // 1 + n must fit its burst. What does not fit is shed, deepest levels first.
  const int64_t orders_room = std::min<int64_t>(post_budget_.Affordable(now, post_budget_.config().reserve),
                                                static_cast<int64_t>(post_budget_.config().capacity));
  const int64_t cancel_tokens =
      std::min<int64_t>(cancel_budget_.Affordable(now), static_cast<int64_t>(cancel_budget_.config().capacity));
  const int64_t cancel_room = cancel_tokens - 1 - open_orders_ - static_cast<int64_t>(cancel_queue_.size());
  const size_t take =
      static_cast<size_t>(std::max<int64_t>(0, std::min({static_cast<int64_t>(wanted_now), orders_room, cancel_room})));
  if (take < wanted_now) {
    counters_.posts_shed += wanted_now - take;
    if (cancel_room < static_cast<int64_t>(wanted_now) && cancel_room <= orders_room) {
      counters_.posts_shed_cancel_reserve += wanted_now - take;
    }
  }
  if (take == 0) {
    market.dirty = true;
    return;
  }
  post_budget_.TakeForCancel(static_cast<double>(take), now);  // checked above: spend it
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
                   .version = *version_,
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
    r.view.version = *version_;
    r.view.created = now;
    r.view.updated = now;
    r.fill = {.original = q.size, .matched = model::Size(0)};
    auto [slot, inserted] = orders_.emplace(signed_order->id, std::move(r));
    if (!inserted) {
      counters_.sign_failures++;  // the same hash twice: refuse rather than track two intents on it
      continue;
    }
    market.orders.emplace(signed_order->id, &slot->second);
    Emit(slot->second, OrderState::kPendingSubmit, true, "created");
    batch.push_back(&slot->second);
  }
  if (batch.size() < take) post_budget_.Refund(static_cast<double>(take - batch.size()));  // not signed
  if (want > batch.size()) {
    market.dirty = true;
    pending_work_ = true;
  }
  if (batch.empty()) return;
  signed_batch = true;
  open_orders_ += static_cast<int64_t>(batch.size());
  SendPosts(market, std::move(batch), now);
}

void OrderManager::SendPosts(Market& market, std::vector<Record*> batch, Nanos now) {
  Action action{.kind = ActionKind::kPost, .post_only = true};
  Request request;
  for (Record* r : batch) {
    action.orders.push_back(r->signed_order);
    request.orders.push_back(r->view.id);
    r->requests_in_flight++;
    r->post_in_flight = true;
    r->needs_send = false;
    r->last_sent = now;
  }
  counters_.post_requests++;
  counters_.posts_sent += batch.size();
  market.lead_sent = true;
  request.cost = static_cast<int64_t>(batch.size());
  Issue(std::move(action), std::move(request), now, /*counted=*/true);
}

void OrderManager::Collect(Nanos now) {
  // Incremental, oldest first, bounded per step: no pause on the hot path however many died.
  for (int budget = 256; budget > 0 && !graveyard_.empty(); --budget) {
    const auto& [retired, id] = graveyard_.front();
    if (retired + config_.retain_terminal >= now) break;
    auto it = orders_.find(id);
    if (it != orders_.end() && it->second.requests_in_flight > 0) {
      graveyard_.emplace_back(now, id);  // an answer is still due: keep it a while longer
    } else if (it != orders_.end()) {
      orders_.erase(it);
    }
    graveyard_.pop_front();
  }
}

// --- outputs and observation ---------------------------------------------------------------------

std::vector<Action> OrderManager::TakeActions() {
  std::vector<Action> out = std::exchange(actions_, {});
  actions_.reserve(16);
  return out;
}
std::vector<OrderEvent> OrderManager::TakeEvents() {
  std::vector<OrderEvent> out = std::exchange(events_, {});
  events_.reserve(64);  // a ladder update emits one per order: no growth on the hot path
  return out;
}

double OrderManager::budget_available(ActionKind kind, Nanos now) {
  switch (kind) {
    case ActionKind::kPost:
      return post_budget_.available(now);
    case ActionKind::kQueryOrder:
    case ActionKind::kListOpenOrders:
      return query_budget_.available(now);
    default:
      return cancel_budget_.available(now);
  }
}

std::vector<OrderView> OrderManager::Orders() const {
  std::vector<OrderView> out;
  out.reserve(orders_.size());
  for (const auto& [id, r] : orders_) out.push_back(r.view);
  return out;
}

std::optional<OrderView> OrderManager::Find(const model::OrderId& id) const {
  auto it = orders_.find(id);
  if (it == orders_.end()) return std::nullopt;
  return it->second.view;
}

}  // namespace clobmaker::execution
