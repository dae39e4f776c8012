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

std::string OrdersMsgId(const OrderEvent& event, uint64_t incarnation) {
  return fmt::format("{}:{}:{}", event.order.id.ToString(), incarnation, event.sequence);
}

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
    case Phase::kListing:
      return "LISTING";
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
    : config_(config),
      factory_(factory),
      book_(config_, counters_, [this](const std::string& market) { ladders_.MarkDirty(market); }),
      budgets_(config_, counters_),
      heartbeat_(config_, counters_),
      escalation_(config_, counters_),
      reconciler_(config_, counters_),
      ladders_(config_, counters_, book_, budgets_, factory_) {}

// --- lifecycle -----------------------------------------------------------------------------------

void OrderManager::Start(bool adopt, Nanos now) {
  phase_ = Phase::kStarting;
  adopt_ = adopt;
  startup_attempts_ = 0;
  startup_list_attempts_ = 0;
  startup_delay_rounds_ = 0;
  startup_unknown_.clear();
  halt_reason_.clear();
  startup_not_before_ = now;
  if (adopt && config_.mutation != Mutation::kAdoptIgnoresDelay) {  // MUTATION: lists at once
    // An order the previous incarnation sent just before it died may sit in a matching delay,
    // invisible to the listing adopt trusts: list only once the longest delay has passed.
    counters_.adopt_delay_waits++;
    startup_not_before_ = now + reconciler_.LongestDelay();
  }
  heartbeat_.Start(now);
  next_version_try_ = now;
  Step(now);
}

void OrderManager::StartupStep(Nanos now) {
  if (phase_ != Phase::kStarting || !heartbeat_.ok() || now < startup_not_before_) return;
  if (reconciler_.in_flight()) return;  // a periodic listing from before a halt: its answer first
  if (adopt_) {
    phase_ = Phase::kAdopting;
    StartListing(now, /*startup=*/true);
  } else if (config_.mutation == Mutation::kStartupWithoutCancelAll) {
    phase_ = Phase::kReady;  // MUTATION: no cancel-all, no verification
    reconciler_.Done(now);
    ladders_.MarkAllDirty();
  } else {
    // What is open before the cancel-all: orders of an earlier incarnation (a crash) that this
    // one does not know are closed by it, and reported CANCELED once it is verified, so that
    // consumers of CM_ORDERS drop them (no phantom live orders).
    phase_ = Phase::kListing;
    StartListing(now, /*startup=*/true);
  }
}

void OrderManager::NoteStartupListing(const std::map<model::OrderId, const polymarket::OpenOrder*>& open) {
  for (const auto& [id, o] : open) {
    if (!book_.Contains(id)) startup_unknown_.insert_or_assign(id, *o);
  }
}

void OrderManager::ReportStartupUnknown(Nanos now) {
  for (auto& [id, o] : startup_unknown_) {
    if (book_.Contains(id)) continue;  // the cache learnt it meanwhile: its own events tell
    OrderView view;
    view.id = id;
    view.market = o.market;
    view.intent = {.token = o.asset_id, .side = o.side, .level = kAdoptedLevel};
    view.price = o.price;
    view.original = o.original_size;
    view.matched = std::min(o.size_matched, o.original_size);
    view.state = OrderState::kCanceled;
    view.adopted = true;
    view.created = now;
    view.updated = now;
    view.reason = "canceled at start-up: not known to this incarnation";
    counters_.startup_unknown_canceled++;
    book_.EmitUntracked(std::move(view), OrderState::kLive, "start-up:cancel_all");
  }
  startup_unknown_.clear();
}

void OrderManager::Halt(const std::string& reason, Nanos now) {
  if (phase_ == Phase::kHalted) return;
  counters_.halts++;
  phase_ = Phase::kHalted;
  halt_reason_ = reason;
  (void)now;  // the caller steps: everything is cancelled by the diff while halted
  ladders_.MarkAllDirty();
}

// --- requests ------------------------------------------------------------------------------------

uint64_t OrderManager::Issue(Action action, Request request, Nanos now, bool counted) {
  const uint64_t id = next_request_++;
  action.request_id = id;
  request.kind = action.kind;
  request.sent = now;
  if (!counted) {
    for (const model::OrderId& order : request.orders) {
      if (Record* r = book_.Find(order)) r->requests_in_flight++;
    }
  }
  budgets_.InFlight(action.kind, request.cost);
  requests_.emplace(id, std::move(request));
  actions_.push_back(std::move(action));
  return id;
}

void OrderManager::IssueCancelAll(Nanos now, bool startup) {
  if (!startup && cancel_all_in_flight_) return;
  // 1 token up front (the rest is charged per order cancelled, into debt where the tier allows);
  // without it, or inside a 429's wait, it goes as soon as the bucket allows (start-up's always
  // goes: nothing else is spending).
  if (!startup && budgets_.CancelsAffordable(now) < 1) {
    cancel_all_wanted_ = true;  // the step sends it when the bucket allows
    return;
  }
  cancel_all_wanted_ = false;
  cancel_all_in_flight_ = true;
  counters_.cancel_all_requests++;
  budgets_.SpendCancels(1, now);
  Issue({.kind = ActionKind::kCancelAll}, {.kind = ActionKind::kCancelAll, .startup = startup, .cost = 1}, now);
}

void OrderManager::ReleaseRequest(const Request& req) {
  for (const model::OrderId& order : req.orders) {
    if (Record* r = book_.Find(order)) r->requests_in_flight--;
  }
  budgets_.InFlight(req.kind, -req.cost);
}

int64_t OrderManager::OpenOrderCount() const {
  int64_t n = 0;
  for (const auto& [market_id, working] : book_.markets()) {
    for (const auto& [id, rp] : working) n += MayBeLive(rp->view.state) ? 1 : 0;
  }
  return n;
}

std::optional<OrderManager::Request> OrderManager::TakeRequest(uint64_t request_id) {
  auto it = requests_.find(request_id);
  if (it == requests_.end()) return std::nullopt;
  Request req = std::move(it->second);
  requests_.erase(it);
  return req;
}

void OrderManager::OnProvenAbsent(Record& r, Nanos now, std::string_view cause) {
  if (r.view.state == OrderState::kPendingSubmit) return;  // never processed: it is (re)sent as is
  counters_.proven_absent++;
  book_.Apply(r, OrderInput::kProvenAbsent, now, cause, "not open at the exchange");
}

// --- inputs --------------------------------------------------------------------------------------

// Every input is a moment in time: whatever it carries, due work (a ladder's deadline, a
// heartbeat, a retry) is done on it (found by the race simulator: a stale ladder after a stall
// returned before the expired ladder's quotes were cancelled).
void OrderManager::OnLadder(MarketLadder ladder, Nanos now) {
  ladders_.Accept(std::move(ladder), now);
  Step(now);
}

void OrderManager::OnTickSize(const std::string& token, model::TickSize tick, Nanos now) {
  ladders_.OnTickSize(token, tick);
  Step(now);
}

void OrderManager::OnPostReply(uint64_t request_id, const PostReply& reply, Nanos now) {
  std::optional<Request> taken = TakeRequest(request_id);
  if (!taken) return Step(now);
  const Request req = std::move(*taken);
  ReleaseRequest(req);
  std::vector<Record*> records;
  for (const model::OrderId& id : req.orders) {
    Record* r = book_.Find(id);
    if (r != nullptr) r->post_in_flight = false;
    records.push_back(r);
  }
  const auto mismatch = [&] {
    counters_.version_mismatches++;
    version_.reset();
    next_version_try_ = now;
  };
  const auto resend_later = [&](bool maybe_processed) {
    for (Record* r : records) {
      if (r != nullptr && r->view.state == OrderState::kPendingSubmit) {
        r->needs_send = true;
        r->maybe_landed |= maybe_processed;
        ladders_.MarkDirty(r->view.market);
      }
    }
  };
  // A refusal proves the order dead only if no earlier send of it may have been processed: after
  // a 429 (which can come after processing) the refusal of the re-send says nothing about the
  // first (found by the race simulator). Such an order is UNKNOWN until a query settles it.
  const auto refused_resend = [&](Record& r, const std::string& reason) {
    if (!r.maybe_landed) return false;
    counters_.ambiguous++;
    book_.Apply(r, OrderInput::kSubmitAmbiguous, now, "submit_ambiguous", "re-send refused (" + reason + ")");
    return true;
  };
  const auto all = [&](OrderInput input, const std::string& reason) {
    for (Record* r : records) {
      if (r != nullptr) book_.Apply(*r, input, now, OrderInputName(input), reason);
    }
  };
  budgets_.Sync(ActionKind::kPost, reply.rate_limit, now);
  // A trading restriction refused the whole request before any order was processed: the same
  // signed orders go again once it lifts (posts stop meanwhile; cancels go on).
  const polymarket::TradingRestriction restriction =
      reply.outcome == net::Outcome::kOk
          ? polymarket::TradingRestriction::kNone
          : polymarket::ClassifyRestriction(reply.http_status, {.error = reply.error, .code = reply.error_code});
  if (restriction != polymarket::TradingRestriction::kNone &&
      restriction != polymarket::TradingRestriction::kRestarting) {
    budgets_.Restrict(restriction, reply.retry_after, now);
    resend_later(/*maybe_processed=*/false);
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
            book_.Apply(*r, OrderInput::kSubmitAmbiguous, now, "submit_ambiguous", "accepted under another order id");
            continue;
          }
          any_accepted = true;
          budgets_.Accepted(r->view.intent);
          if (placement == polymarket::PlacementClass::kUnmatched) {
            // The docs: on the book after its delay without a match; the SDKs: a rejection. Neither
            // proves its state: accepted, resting state unknown, resolved by a query or a listing.
            counters_.unmatched++;
            book_.Apply(*r, OrderInput::kSubmitAmbiguous, now, "submit_unmatched", "unmatched: resting state unknown");
            continue;
          }
          if (placement == polymarket::PlacementClass::kUnknown) {
            counters_.unknown_placement_statuses++;
            book_.Apply(*r, OrderInput::kSubmitAmbiguous, now, "submit_unknown_status",
                        "unknown status '" + leg.status + "'");
            continue;
          }
          counters_.accepted++;
          if (leg.delayed()) {
            // Queued behind the matching delay: in flight, not on the book, never a fill.
            counters_.delayed++;
            r->delayed_until = now + reconciler_.MatchingDelay(r->view.market);
          }
          book_.Apply(*r, OrderInput::kSubmitAccepted, now, leg.delayed() ? "submit_delayed" : "submit_accepted");
          continue;
        }
        if (const auto why = polymarket::ClassifyRestrictionText(leg.error_msg);
            why != polymarket::TradingRestriction::kNone) {
          // Refused by a restriction (post-only mode, cancel-only, closed-only), not on its merits:
          // kept and sent again once the restriction lifts.
          budgets_.Restrict(why, reply.retry_after, now);
          if (r->view.state == OrderState::kPendingSubmit) {
            r->needs_send = true;
            ladders_.MarkDirty(r->view.market);
          }
          continue;
        }
        const std::string reason = leg.error_msg.empty()
                                       ? (leg.success ? "success with an empty order id" : "refused without a reason")
                                       : leg.error_msg;
        if (IsDuplicate(leg.error_msg)) {
          counters_.duplicates++;
          book_.Apply(*r, OrderInput::kSubmitAmbiguous, now, "submit_duplicate", reason);
          continue;
        }
        if (refused_resend(*r, reason)) continue;
        if (config_.mutation == Mutation::kRejectionIgnored) continue;  // MUTATION: the refusal is dropped
        if (IsVersionMismatch(leg.error_msg)) {
          mismatch();
        } else {
          budgets_.Refused(r->view.intent, r->view.price, now);
        }
        counters_.rejected++;
        counters_.rejects_by_reason[std::string(RejectReasonClass(reason))]++;
        book_.Apply(*r, OrderInput::kSubmitRejected, now, "submit_rejected", reason);
      }
      if (any_accepted) budgets_.PostsAccepted();
      break;
    }
    case net::Outcome::kRejected:
      if (IsDuplicate(reply.error)) {
        counters_.duplicates++;
        all(OrderInput::kSubmitAmbiguous, reply.error);
        break;
      }
      {
        const std::string reason = reply.error.empty() ? fmt::format("HTTP {}", reply.http_status) : reply.error;
        if (IsVersionMismatch(reply.error)) mismatch();
        for (Record* r : records) {
          if (r == nullptr || refused_resend(*r, reason)) continue;
          if (!IsVersionMismatch(reply.error)) budgets_.Refused(r->view.intent, r->view.price, now);
          counters_.rejected++;
          counters_.rejects_by_reason[std::string(RejectReasonClass(reply.error))]++;
          if (config_.mutation == Mutation::kRejectionIgnored) continue;  // MUTATION: the refusal is dropped
          book_.Apply(*r, OrderInput::kSubmitRejected, now, "submit_rejected", reason);
        }
        budgets_.BackOff(std::nullopt, now);
        break;
      }
    case net::Outcome::kThrottled:
      // Not processed as far as we can tell (all or nothing; a 429 may still come after
      // processing: maybe_landed): the same signed orders go again after the wait; without a
      // Retry-After (a cost above the burst, or a garbled answer) our own backoff applies.
      budgets_.CountThrottled(ActionKind::kPost);
      resend_later(/*maybe_processed=*/true);
      budgets_.BackOff(reply.retry_after ? reply.retry_after : std::optional<Nanos>(config_.throttle_backoff), now);
      break;
    case net::Outcome::kNotSent:
      resend_later(/*maybe_processed=*/false);
      budgets_.BackOff(std::nullopt, now);
      break;
    case net::Outcome::kAmbiguous:
      if (reply.http_status == 425) {  // the matching engine is restarting: not processed
        counters_.throttled++;
        resend_later(/*maybe_processed=*/false);
        budgets_.BackOff(reply.retry_after ? reply.retry_after : std::optional<Nanos>(2 * kNanosPerSecond), now);
        break;
      }
      counters_.ambiguous += records.size();
      all(OrderInput::kSubmitAmbiguous, reply.error.empty() ? "no trustworthy answer" : reply.error);
      budgets_.BackOff(std::nullopt, now);
      break;
  }
  Step(now);
}

void OrderManager::OnCancelReply(uint64_t request_id, const CancelReply& reply, Nanos now) {
  std::optional<Request> taken = TakeRequest(request_id);
  if (!taken) return Step(now);
  const Request req = std::move(*taken);
  ReleaseRequest(req);
  budgets_.Sync(req.kind, reply.rate_limit, now);
  if (reply.outcome == net::Outcome::kThrottled) {
    // Not processed: nothing is known about the orders; the cancels wait for the bucket (never a
    // rejection, never an attempt that counts towards escalation).
    budgets_.CountThrottled(req.kind);
    budgets_.CancelsThrottled(reply.retry_after, now);
    if (req.kind == ActionKind::kCancel) {
      for (const model::OrderId& id : req.orders) {
        Record* r = book_.Find(id);
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
        phase_ = Phase::kStarting;  // sent again once the wait is over (not an attempt)
        startup_not_before_ = now + reply.retry_after.value_or(config_.throttle_backoff);
      } else {
        cancel_all_wanted_ = true;
      }
    }
    Step(now);
    return;
  }
  const bool ok = reply.outcome == net::Outcome::kOk;
  if (ok && req.kind != ActionKind::kCancel)
    budgets_.ChargeCancelled(reply.result.canceled.size(), reply.rate_limit, now);
  std::set<model::OrderId> answered;
  if (ok) {
    for (const std::string& raw : reply.result.canceled) {
      auto id = model::OrderId::Parse(raw);
      if (!id.ok()) {
        counters_.malformed_events++;
        continue;
      }
      answered.insert(*id);
      if (Record* r = book_.Find(*id)) {
        book_.Apply(*r, OrderInput::kCancelConfirmed, now, "cancel_confirmed", "canceled");
      } else if (req.kind != ActionKind::kCancel) {
        counters_.orphans_canceled++;  // an order we did not know, gone now
      }
    }
    for (const auto& [raw, why] : reply.result.not_canceled) {
      auto id = model::OrderId::Parse(raw);
      if (!id.ok()) continue;
      answered.insert(*id);
      Record* r = book_.Find(*id);
      if (r == nullptr || !MayBeLive(r->view.state)) continue;
      if (Contains(why, "delay")) {
        // In a matching delay the order cannot be cancelled: it stays PENDING_CANCEL and the
        // cancel goes again once the delay has ended (not an attempt towards escalation).
        counters_.cancels_refused_in_delay++;
        if (r->delayed_until <= now) r->delayed_until = now + reconciler_.MatchingDelay(r->view.market);
        r->cancel_in_flight = false;
        if (r->cancel_attempts > 0) r->cancel_attempts--;
        // The escalation's retry sends it again just after the delay ends.
        r->last_cancel_sent = r->delayed_until + 50 * kNanosPerMilli - config_.cancel_retry_after;
        if (r->view.state != OrderState::kPendingCancel) {
          book_.Apply(*r, OrderInput::kCancelRequested, now, "cancel_delayed");
        }
        continue;
      }
      // "already canceled or matched" / "not found": only a query can tell which.
      book_.Apply(*r, OrderInput::kCancelRefusedAlreadyDone, now, "cancel_refused", why);
      r->next_query = now;
    }
  }
  if (req.kind == ActionKind::kCancel) {
    for (const model::OrderId& id : req.orders) {
      Record* r = book_.Find(id);
      if (r == nullptr) continue;
      r->cancel_in_flight = false;
      if (!answered.contains(id)) book_.Apply(*r, OrderInput::kCancelAmbiguous, now, "cancel_ambiguous");
    }
  } else if (req.kind == ActionKind::kCancelAll) {
    cancel_all_in_flight_ = false;
    if (req.startup && phase_ == Phase::kCancelingAll) {
      // Orders inside a matching delay cannot be cancelled and are invisible to the listing that
      // verifies: an earlier incarnation's would go live after start-up declared the exchange
      // clean (found by the race simulator: two live orders for one intent). Wait the delay out
      // and cancel all again, bounded.
      size_t in_delay = 0;
      if (ok) {
        for (const auto& [raw, why] : reply.result.not_canceled) in_delay += Contains(why, "delay") ? 1 : 0;
      }
      if (config_.mutation == Mutation::kStartupIgnoresDelay) in_delay = 0;  // MUTATION
      if (ok && in_delay > 0 && startup_delay_rounds_ < config_.startup_delay_rounds) {
        ++startup_delay_rounds_;
        counters_.startup_delay_waits++;
        phase_ = Phase::kStarting;  // lists and cancels all again once the delay has passed
        startup_not_before_ = now + reconciler_.LongestDelay() + 50 * kNanosPerMilli;
      } else if (ok) {
        if (in_delay > 0) counters_.startup_delay_gave_up++;
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
      reconciler_.Want();  // verify by listing
    }
  }
  Step(now);
}

void OrderManager::OnQueryReply(uint64_t request_id, const QueryReply& reply, Nanos now) {
  std::optional<Request> taken = TakeRequest(request_id);
  if (!taken) return Step(now);
  const Request req = std::move(*taken);
  ReleaseRequest(req);
  if (req.orders.empty()) return Step(now);
  Record* r = book_.Find(req.orders.front());
  if (r == nullptr) return Step(now);
  r->query_in_flight = false;
  if (reply.outcome == net::Outcome::kThrottled) {
    budgets_.CountThrottled(ActionKind::kQueryOrder);
    r->next_query = now + reply.retry_after.value_or(config_.throttle_backoff);
    Step(now);
    return;
  }
  // 200 with an empty body or null (the live answer), or a 404: not active at the venue -- never
  // "never existed". Resolved through /data/trades once nothing can still land.
  const bool not_active = (reply.outcome == net::Outcome::kOk && !reply.order) || reply.http_status == 404;
  if (reply.outcome == net::Outcome::kOk && reply.order) {
    r->verify = false;
    const polymarket::OpenOrder& o = *reply.order;
    const std::string status = Upper(o.status);
    if (status == "MATCHED" || status == "FILLED") {
      book_.ReportMatched(*r, std::max(o.size_matched, r->view.original), now, "query");
    } else {
      book_.ReportMatched(*r, o.size_matched, now, "query");
    }
    if (status == "LIVE" || status == "OPEN" || status == "DELAYED") {
      book_.Apply(*r, OrderInput::kPlacementSeen, now, "query:live");
    } else if (status.rfind("CANCELED", 0) == 0 || status == "EXPIRED" || status == "INVALID") {
      book_.Apply(*r, OrderInput::kCancelConfirmed, now, "query:" + status, o.status);
    } else if (!IsTerminal(r->view.state)) {
      r->next_query = now + config_.query_after;  // a status we do not act on: ask again
    }
  } else if (not_active) {
    counters_.not_active_lookups++;
    if (reconciler_.AbsentProvable(*r, req.sent)) {
      r->verify = false;
      ResolveNotActive(*r, now);
    } else {
      r->next_query = reconciler_.NextLookup(*r, now);
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
  if (book_.Contains(*id)) return;
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
  Record& rec = *book_.Insert(std::move(r));
  ladders_.Adopted(open.market, open.asset_id, now);
  book_.Emit(rec, OrderState::kPendingSubmit, true, "adopted");
  book_.ReportMatched(rec, open.size_matched, now, "adopted");
  book_.Apply(rec, OrderInput::kPlacementSeen, now, "adopted");
}

void OrderManager::OnListReply(uint64_t request_id, const ListReply& reply, Nanos now) {
  std::optional<Request> taken = TakeRequest(request_id);
  if (!taken) return Step(now);
  const Request req = std::move(*taken);
  reconciler_.Answered();
  if (reply.outcome != net::Outcome::kOk) {
    // A 429 is answered with Retry-After (else the throttle backoff): the listing waits that
    // long, never less than the usual retry, so a listing storm cannot feed itself.
    Nanos retry = config_.request_retry;
    if (reply.outcome == net::Outcome::kThrottled) {
      budgets_.CountThrottled(ActionKind::kListOpenOrders);
      retry = std::max(retry, reply.retry_after.value_or(config_.throttle_backoff));
    } else if (reply.retry_after) {
      retry = std::max(retry, *reply.retry_after);
    }
    if (retry > config_.request_retry) counters_.listings_spaced++;
    reconciler_.Failed(now, /*ask_again=*/!req.startup, retry);
    if (req.startup && phase_ == Phase::kListing) {
      // The cancel-all matters more than knowing what it closes: after the attempts, it goes
      // ahead without (counted; those orders are not reported).
      if (++startup_list_attempts_ >= config_.startup_attempts) {
        counters_.startup_listing_failures++;
        phase_ = Phase::kCancelingAll;
        IssueCancelAll(now, /*startup=*/true);
      } else {
        phase_ = Phase::kStarting;  // StartupStep lists again
        startup_not_before_ = now + retry;
      }
    } else if (req.startup) {
      if (++startup_attempts_ >= config_.startup_attempts) {
        Halt(fmt::format("start-up listing of open orders failed {} times", startup_attempts_), now);
      } else if (retry > config_.request_retry) {
        phase_ = Phase::kStarting;  // after the exchange's wait, start-up goes again from its start
        startup_not_before_ = now + retry;
      } else {
        StartListing(now, true);
      }
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
  if (req.startup && phase_ == Phase::kListing) {
    NoteStartupListing(open);
    phase_ = Phase::kCancelingAll;
    IssueCancelAll(now, /*startup=*/true);
    Step(now);
    return;
  }
  if (req.startup && phase_ == Phase::kAdopting) {
    if (reply.pages > 1) {
      // A listing of more than one page is no snapshot: an order can slip between pages while
      // others close, and an order adopted from it could miss a live twin (found by the race
      // simulator: a second listing can miss the same order). Adopt only from one page; else
      // start up the safe way, cancel-all verified by an empty listing.
      counters_.adopt_fallbacks++;
      adopt_ = false;
      NoteStartupListing(open);  // what the cancel-all closes, as far as this listing saw
      phase_ = Phase::kCancelingAll;
      IssueCancelAll(now, /*startup=*/true);
      Step(now);
      return;
    }
    reconciler_.Done(now);
    for (const auto& [id, o] : open) AdoptOrder(*o, now);
    phase_ = Phase::kReady;
    Step(now);
    return;
  }
  if (req.startup && phase_ == Phase::kVerifying) {
    if (open.empty()) {
      reconciler_.Done(now);
      // Nothing is open: whatever the cache still holds from before (after a halt) is dead.
      for (auto& [id, r] : book_.records()) {
        if (MayBeLive(r.view.state) && reconciler_.AbsentProvable(r, req.sent)) {
          OnProvenAbsent(r, now, "start-up:absent");
        }
      }
      ReportStartupUnknown(now);
      phase_ = Phase::kReady;
      reconciler_.Resynced();
      ladders_.MarkAllDirty();
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
  Reconcile(open, reply.pages, req, now);
  Step(now);
}

// The listing is the exchange's truth as of when it was asked for.
void OrderManager::Reconcile(const std::map<model::OrderId, const polymarket::OpenOrder*>& open, int pages,
                             const Request& req, Nanos now) {
  const Reconciler::Comparison cmp = reconciler_.Compare(open, pages, book_, req.sent);
  for (const auto& [r, o] : cmp.seen) {
    book_.ReportMatched(*r, o->size_matched, now, "listing");
    book_.Apply(*r, OrderInput::kPlacementSeen, now, "listing");
  }
  for (Record* r : cmp.absent) OnProvenAbsent(*r, now, "listing:absent");
  for (Record* r : cmp.verify) {
    r->verify = true;
    r->next_query = std::min(r->next_query, now);
  }
  if (!cmp.strays.empty()) SendCancels(cmp.strays, now, "reconcile");
  for (const auto& [market_id, working] : book_.markets()) {
    if (escalation_.level(market_id) < 3) continue;
    size_t stuck = 0;
    for (const auto& [id, rp] : working) {
      if (rp->view.state == OrderState::kPendingCancel && open.contains(id)) stuck++;
    }
    if (stuck > 0) {
      Halt(fmt::format("cancel escalation exhausted in market {}: {} orders still open after cancel-all", market_id,
                       stuck),
           now);
      escalation_.Restart(market_id, book_);
    }
  }
  if (heartbeat_.ok()) reconciler_.Resynced();
  reconciler_.Done(now);
  // A kill is verified by an empty listing: cancel again and look again shortly.
  if (killed() && !open.empty()) IssueCancelAll(now);
}

void OrderManager::OnHeartbeatReply(uint64_t request_id, const HeartbeatReply& reply, Nanos now) {
  if (!TakeRequest(request_id)) return Step(now);
  if (reply.outcome == net::Outcome::kThrottled) budgets_.CountThrottled(ActionKind::kHeartbeat);
  switch (heartbeat_.OnReply(reply, now)) {
    case HeartbeatChain::Answer::kAcknowledged:
      StartupStep(now);
      break;
    case HeartbeatChain::Answer::kRefused:
      ChainBroken("the exchange refused the heartbeat: " + reply.error, now);
      break;
    case HeartbeatChain::Answer::kFailed:
      if (phase_ == Phase::kStarting && ++startup_attempts_ >= config_.startup_attempts * 4) {
        Halt(fmt::format("start-up: no heartbeat acknowledged after {} attempts", startup_attempts_), now);
      }
      break;
  }
  Step(now);
}

void OrderManager::ChainBroken(const std::string& why, Nanos now) {
  const bool was_ok = heartbeat_.Break(why, now);
  if (phase_ == Phase::kIdle || phase_ == Phase::kStarting) return;
  // The exchange cancels everything when the chain lapses; make sure and resync before posting.
  reconciler_.NeedResync();
  reconciler_.Want();
  std::vector<model::OrderId> ids;
  for (auto& [id, r] : book_.records()) {
    if (MayBeLive(r.view.state)) ids.push_back(id);
  }
  SendCancels(ids, now, "heartbeat");
  if (was_ok) IssueCancelAll(now);
}

void OrderManager::OnVersionReply(uint64_t request_id, const VersionReply& reply, Nanos now) {
  if (!TakeRequest(request_id)) return Step(now);
  version_in_flight_ = false;
  if (reply.outcome == net::Outcome::kOk && reply.version >= 1 && reply.version <= 3) {
    version_ = reply.version;
    ladders_.MarkAllDirty();
  } else {
    next_version_try_ = now + config_.request_retry;
  }
  Step(now);
}

void OrderManager::OnRateTierReply(uint64_t request_id, const RateTierReply& reply, Nanos now) {
  if (!TakeRequest(request_id)) return Step(now);
  budgets_.TierAnswered(reply, now);
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

void OrderManager::AddTradeLeg(Record& r, const std::string& key, model::Size size, Nanos now) {
  if (!r.trade_legs.emplace(key, size.micros()).second) {
    counters_.duplicate_trade_legs++;
    return;
  }
  counters_.fills_from_trades++;
  int64_t total = 0;
  for (const auto& [k, micros] : r.trade_legs) total += micros;
  book_.ReportMatched(r, model::Size(total), now, "trades");
}

void OrderManager::OnTradesReply(uint64_t request_id, const TradesReply& reply, Nanos now) {
  std::optional<Request> taken = TakeRequest(request_id);
  if (!taken) return Step(now);
  const Request req = std::move(*taken);
  ReleaseRequest(req);
  if (reply.outcome == net::Outcome::kThrottled) budgets_.CountThrottled(ActionKind::kQueryTrades);
  for (const model::OrderId& id : req.orders) {
    Record* r = book_.Find(id);
    if (r == nullptr) continue;
    r->trades_in_flight = false;
    if (reply.outcome != net::Outcome::kOk) {
      r->next_query = now + std::max(config_.query_after, reply.retry_after.value_or(0));  // ask again later
      continue;
    }
    for (const auto& [key, size] : Reconciler::LegsOf(id, reply.trades)) AddTradeLeg(*r, key, size, now);
    // Not active, and its fills are what the trades say: filled, or dead with what it matched.
    if (MayBeLive(r->view.state)) OnProvenAbsent(*r, now, "lookup:not_active");
  }
  Step(now);
}

void OrderManager::OnUserOrder(const polymarket::UserOrderEvent& event, Nanos now) {
  auto id = model::OrderId::Parse(event.id);
  if (!id.ok()) {
    counters_.malformed_events++;
    return Step(now);
  }
  Record* r = book_.Find(*id);
  if (r == nullptr) {
    counters_.unknown_order_events++;
    if (event.type != polymarket::OrderEventType::kCancellation) reconciler_.Want();  // a possible orphan
    Step(now);
    return;
  }
  const std::string cause = fmt::format("user:{}", polymarket::OrderEventTypeName(event.type));
  if (r->view.original.micros() == 0) r->view.original = event.original_size;
  book_.ReportMatched(*r, event.size_matched, now, cause);
  switch (event.type) {
    case polymarket::OrderEventType::kPlacement:
    case polymarket::OrderEventType::kUpdate:
      if (event.status_base == "CANCELED" || event.status_base == "INVALID") {
        book_.Apply(*r, OrderInput::kCancelConfirmed, now, cause, event.status);
      } else {
        book_.Apply(*r, OrderInput::kPlacementSeen, now, cause);
      }
      break;
    case polymarket::OrderEventType::kCancellation:
      if (config_.mutation == Mutation::kCancellationIgnored) break;  // MUTATION: not acted on
      book_.Apply(*r, OrderInput::kCancelConfirmed, now, cause,
                  event.status_reason.empty() ? std::string("canceled") : event.status_reason);
      break;
  }
  Step(now);
}

void OrderManager::OnUserTrade(const polymarket::UserTradeEvent& event, Nanos now) {
  const auto add_leg = [&](const std::string& raw_id, const std::string& leg_key, model::Size size) {
    auto id = model::OrderId::Parse(raw_id);
    if (!id.ok()) return;
    Record* r = book_.Find(*id);
    if (r == nullptr) return;
    if (event.status == polymarket::TradeStatus::kFailed) return;  // settlement, not matching: positions' concern
    if (config_.mutation == Mutation::kTradeDedupeRemoved) {
      // MUTATION: no dedupe by trade id and leg: every message adds its fill again.
      counters_.fills_from_trades++;
      book_.ReportMatched(*r, model::Size(r->view.matched.micros() + size.micros()), now, "user:TRADE");
      return;
    }
    const std::string key = event.id + ":" + leg_key;
    if (!r->trade_legs.emplace(key, size.micros()).second) {
      counters_.duplicate_trade_legs++;
      return;
    }
    counters_.fills_from_trades++;
    int64_t total = 0;
    for (const auto& [k, micros] : r->trade_legs) total += micros;
    book_.ReportMatched(*r, model::Size(total), now, "user:TRADE");
  };
  add_leg(event.taker_order_id, "taker", event.size);
  for (size_t i = 0; i < event.maker_orders.size(); ++i) {
    const polymarket::MakerOrderLeg& leg = event.maker_orders[i];
    add_leg(leg.order_id, "maker:" + leg.order_id, leg.matched_amount);
  }
  Step(now);
}

void OrderManager::OnUserStreamReconnected(Nanos now) {
  reconciler_.Want();
  Step(now);
}

void OrderManager::OnTimer(Nanos now) {
  book_.Collect(now);  // housekeeping on the timer, off the path of ladders and answers
  Step(now);
}

// --- admin ---------------------------------------------------------------------------------------

void OrderManager::Kill(const std::string& reason, Nanos now) {
  counters_.kills++;
  kill_reason_ = reason.empty() ? "killed" : reason;
  if (config_.mutation == Mutation::kKillCancelsNothing) {
    Step(now);  // MUTATION: posts stop, nothing is cancelled
    return;
  }
  CancelAll(kill_reason_, now);
}

void OrderManager::Reset(Nanos now) {
  kill_reason_.clear();
  if (phase_ == Phase::kHalted) {
    Start(false, now);
    return;
  }
  ladders_.MarkAllDirty();
  Step(now);
}

void OrderManager::PauseMarket(const std::string& market, Nanos now) {
  paused_.insert(market);
  ladders_.MarkDirty(market);
  Step(now);
}

void OrderManager::ResumeMarket(const std::string& market, Nanos now) {
  paused_.erase(market);
  ladders_.MarkDirty(market);
  Step(now);
}

void OrderManager::CancelAll(const std::string& reason, Nanos now) {
  std::vector<model::OrderId> ids;
  for (auto& [id, r] : book_.records()) {
    if (MayBeLive(r.view.state)) ids.push_back(id);
  }
  SendCancels(ids, now, reason);
  IssueCancelAll(now);
  ladders_.MarkAllDirty();
  Step(now);
}

void OrderManager::ReconcileNow(Nanos now) {
  reconciler_.Want();
  Step(now);
}

// --- the step --------------------------------------------------------------------------------------

bool OrderManager::posting_allowed(Nanos now) const {
  return phase_ == Phase::kReady && !killed() && heartbeat_.ok() && version_.has_value() &&
         !reconciler_.resync_pending() && !budgets_.posts_backed_off(now) && !budgets_.posts_restricted(now);
}

void OrderManager::StartListing(Nanos now, bool startup) {
  if (!reconciler_.Begin()) return;
  budgets_.SpendListing(now);
  Issue({.kind = ActionKind::kListOpenOrders}, {.startup = startup}, now);
}

void OrderManager::Step(Nanos now) {
  pending_work_ = false;
  ladders_.ExpireDeadlines(now);
  StepHeartbeat(now);
  StartupStep(now);
  if (phase_ != Phase::kIdle && !version_ && !version_in_flight_ && now >= next_version_try_) {
    version_in_flight_ = true;
    Issue({.kind = ActionKind::kGetVersion}, {}, now);
  }
  if (phase_ != Phase::kIdle && budgets_.TierDue(now)) Issue({.kind = ActionKind::kGetRateTier}, {}, now);
  if ((phase_ == Phase::kReady || phase_ == Phase::kHalted) && reconciler_.Due(now)) StartListing(now, false);
  // Cancels first: those waiting for tokens, a cancel-all that could not go, then the retries.
  FlushCancelQueue(now);
  if (cancel_all_wanted_) IssueCancelAll(now);
  StepCancels(now);
  StepQueries(now);
  const LadderStepper::StepInputs in{.ready = phase_ == Phase::kReady && !killed(),
                                     .paused = &paused_,
                                     .posting_allowed = posting_allowed(now),
                                     .posts_backed_off = budgets_.posts_backed_off(now),
                                     .version = version_,
                                     .closed_only = budgets_.closed_only(now),
                                     .open_orders = OpenOrderCount(),
                                     .queued_cancels = cancel_queue_.size()};
  ladders_.Step(
      in, now,
      [&](const LadderStepper::CancelTargets& targets, std::string_view cause) { SendCancels(targets, now, cause); },
      [&](std::vector<Record*> batch) { SendPosts(std::move(batch), now); }, pending_work_);
}

void OrderManager::StepHeartbeat(Nanos now) {
  if (phase_ == Phase::kIdle) return;
  if (heartbeat_.Lapsed(now)) ChainBroken("no heartbeat acknowledged within the exchange's timeout", now);
  if (std::optional<std::string> id = heartbeat_.Due(now)) {
    Issue({.kind = ActionKind::kHeartbeat, .heartbeat_id = *id}, {}, now);
  }
}

void OrderManager::SendCancels(std::vector<model::OrderId> ids, Nanos now, std::string_view cause) {
  std::vector<std::pair<model::OrderId, Record*>> targets;
  targets.reserve(ids.size());
  for (const model::OrderId& id : ids) targets.emplace_back(id, book_.Find(id));
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
      book_.Apply(*r, OrderInput::kCancelConfirmed, now, cause, "withdrawn before it was sent");
      continue;
    }
    if (r->view.state == OrderState::kUnknown && now < r->last_cancel_sent + config_.cancel_retry_after) {
      ladders_.MarkDirty(r->view.market);  // just refused as not found: the query settles it, then a retry
      continue;
    }
    if (r->view.state != OrderState::kPendingCancel) book_.Apply(*r, OrderInput::kCancelRequested, now, cause);
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
  const size_t cap = budgets_.CancelChunk();
  size_t at = 0;
  while (at < send.size()) {
    const int64_t affordable = budgets_.CancelsAffordable(now);
    const size_t n = std::min({send.size() - at, cap, static_cast<size_t>(std::max<int64_t>(affordable, 0))});
    if (n == 0) break;
    std::vector<model::OrderId> chunk(send.begin() + static_cast<std::ptrdiff_t>(at),
                                      send.begin() + static_cast<std::ptrdiff_t>(at + n));
    for (size_t i = at; i < at + n; ++i) {
      if (sent_records[i] != nullptr) sent_records[i]->requests_in_flight++;
    }
    budgets_.SpendCancels(static_cast<int64_t>(n), now);
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
    cancel_queue_.push_back(send[at]);  // the step sends it when the bucket allows
  }
}

void OrderManager::FlushCancelQueue(Nanos now) {
  if (cancel_queue_.empty() || budgets_.CancelsAffordable(now) < 1) return;
  std::vector<std::pair<model::OrderId, Record*>> targets;
  std::set<model::OrderId> seen;
  while (!cancel_queue_.empty()) {
    const model::OrderId id = cancel_queue_.front();
    cancel_queue_.pop_front();
    if (!seen.insert(id).second) continue;
    Record* r = book_.Find(id);
    if (r != nullptr) {
      r->cancel_queued = false;
      if (!MayBeLive(r->view.state)) continue;  // settled meanwhile (a fill, the stream, a listing)
    }
    targets.emplace_back(id, r);
  }
  SendCancels(targets, now, "cancel_queued");
}

void OrderManager::StepCancels(Nanos now) {
  const CancelEscalation::Plan plan = escalation_.Due(book_, now);
  for (const auto& [market_id, step] : plan.escalations) {
    switch (step) {
      case CancelEscalation::Step::kCancelMarket:
        counters_.cancel_market_requests++;
        Issue({.kind = ActionKind::kCancelMarket, .market = market_id}, {.market = market_id}, now);
        break;
      case CancelEscalation::Step::kCancelAll:
        IssueCancelAll(now);
        break;
      case CancelEscalation::Step::kVerify:
        reconciler_.Want();
        StartListing(now, false);
        break;
      case CancelEscalation::Step::kHalt: {
        // The listing after cancel-all did not clear them (or could not be had): stop and alert.
        size_t stuck = 0;
        for (const auto& [id, rp] : book_.Working(market_id)) stuck += rp->view.state == OrderState::kPendingCancel;
        Halt(fmt::format("cancel escalation exhausted in market {}: {} orders not proven canceled", market_id, stuck),
             now);
        escalation_.Restart(market_id, book_);
        break;
      }
    }
  }
  for (const model::OrderId& id : plan.retry) book_.Find(id)->cancel_in_flight = false;
  if (!plan.retry.empty()) SendCancels(plan.retry, now, "cancel_retry");
}

void OrderManager::StepQueries(Nanos now) {
  std::vector<model::OrderId> due;
  for (const auto& [market_id, working] : book_.markets()) {
    for (const auto& [id, rp] : working) {
      const Record& r = *rp;
      if ((r.view.state == OrderState::kUnknown || r.verify) && !r.query_in_flight && !r.trades_in_flight &&
          now >= r.next_query) {
        due.push_back(id);
      }
    }
  }
  for (const model::OrderId& id : due) {
    if (!budgets_.TakeQuery(now)) break;
    book_.Find(id)->query_in_flight = true;
    counters_.queries++;
    Issue({.kind = ActionKind::kQueryOrder, .order_ids = {id}}, {.orders = {id}}, now);
  }
}

void OrderManager::SendPosts(std::vector<Record*> batch, Nanos now) {
  Action action{.kind = ActionKind::kPost, .post_only = config_.mutation != Mutation::kPostOnlyDropped};
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
  request.cost = static_cast<int64_t>(batch.size());
  Issue(std::move(action), std::move(request), now, /*counted=*/true);
}

// --- outputs and observation ---------------------------------------------------------------------

std::vector<Action> OrderManager::TakeActions() {
  std::vector<Action> out = std::exchange(actions_, {});
  actions_.reserve(16);
  return out;
}

std::vector<OrderEvent> OrderManager::TakeEvents() { return book_.TakeEvents(); }

double OrderManager::budget_available(ActionKind kind, Nanos now) { return budgets_.available(kind, now); }

std::vector<OrderView> OrderManager::Orders() const {
  std::vector<OrderView> out;
  out.reserve(book_.records().size());
  for (const auto& [id, r] : book_.records()) out.push_back(r.view);
  return out;
}

std::optional<OrderView> OrderManager::Find(const model::OrderId& id) const {
  const Record* r = book_.Find(id);
  if (r == nullptr) return std::nullopt;
  return r->view;
}

}  // namespace clobmaker::execution
