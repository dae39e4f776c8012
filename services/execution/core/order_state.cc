#include "services/execution/core/order_state.h"

#include <array>
#include <span>

namespace clobmaker::execution {
namespace {

using S = OrderState;
using I = OrderInput;

// Every allowed transition, one entry each: in state `from`, input `input` moves the order to
// `to`. A pair that is not listed is illegal. Entries whose `to` equals `from` are legal no-ops
// (a late or repeated report): they are applied (nothing changes) rather than counted.
constexpr Transition kTransitions[] = {
    // PENDING_SUBMIT: signed, id known, its POST not (yet) answered.
    {S::kPendingSubmit, I::kSubmitAccepted, S::kLive},
    {S::kPendingSubmit, I::kSubmitRejected, S::kRejected},
    {S::kPendingSubmit, I::kSubmitAmbiguous, S::kUnknown},
    {S::kPendingSubmit, I::kPlacementSeen, S::kLive},  // the user stream beat the HTTP answer
    {S::kPendingSubmit, I::kPartialFill, S::kPartiallyFilled},
    {S::kPendingSubmit, I::kFullFill, S::kFilled},
    {S::kPendingSubmit, I::kCancelRequested, S::kPendingCancel},
    {S::kPendingSubmit, I::kCancelConfirmed, S::kCanceled},  // also: withdrawn before it was sent
    {S::kPendingSubmit, I::kCancelRefusedAlreadyDone, S::kUnknown},
    // (no kCancelAmbiguous: no cancel was sent; no kProvenAbsent: a PENDING_SUBMIT order that is
    // absent was never processed and is re-sent as it is)

    // LIVE
    {S::kLive, I::kSubmitAccepted, S::kLive},   // the HTTP answer after the user stream
    {S::kLive, I::kSubmitAmbiguous, S::kLive},  // a late timeout: it is known live
    {S::kLive, I::kPlacementSeen, S::kLive},
    {S::kLive, I::kPartialFill, S::kPartiallyFilled},
    {S::kLive, I::kFullFill, S::kFilled},
    {S::kLive, I::kCancelRequested, S::kPendingCancel},
    {S::kLive, I::kCancelConfirmed, S::kCanceled},  // CANCELLATION, expiry, the dead-man switch
    {S::kLive, I::kCancelRefusedAlreadyDone, S::kUnknown},
    {S::kLive, I::kProvenAbsent, S::kCanceled},
    // (no kSubmitRejected: it is live, a refusal contradicts that; no kCancelAmbiguous)

    // PARTIALLY_FILLED
    {S::kPartiallyFilled, I::kSubmitAccepted, S::kPartiallyFilled},
    {S::kPartiallyFilled, I::kSubmitAmbiguous, S::kPartiallyFilled},
    {S::kPartiallyFilled, I::kPlacementSeen, S::kPartiallyFilled},
    {S::kPartiallyFilled, I::kPartialFill, S::kPartiallyFilled},
    {S::kPartiallyFilled, I::kFullFill, S::kFilled},
    {S::kPartiallyFilled, I::kCancelRequested, S::kPendingCancel},
    {S::kPartiallyFilled, I::kCancelConfirmed, S::kCanceled},
    {S::kPartiallyFilled, I::kCancelRefusedAlreadyDone, S::kUnknown},
    {S::kPartiallyFilled, I::kProvenAbsent, S::kCanceled},

    // FILLED (terminal): every late report is a no-op; a refusal contradicts the fills.
    {S::kFilled, I::kSubmitAccepted, S::kFilled},
    {S::kFilled, I::kSubmitAmbiguous, S::kFilled},
    {S::kFilled, I::kPlacementSeen, S::kFilled},
    {S::kFilled, I::kPartialFill, S::kFilled},
    {S::kFilled, I::kFullFill, S::kFilled},
    {S::kFilled, I::kCancelRequested, S::kFilled},
    {S::kFilled, I::kCancelConfirmed, S::kFilled},
    {S::kFilled, I::kCancelAmbiguous, S::kFilled},
    {S::kFilled, I::kCancelRefusedAlreadyDone, S::kFilled},
    {S::kFilled, I::kProvenAbsent, S::kFilled},

    // PENDING_CANCEL: a cancel is out (by id, market or all).
    {S::kPendingCancel, I::kSubmitAccepted, S::kPendingCancel},
    {S::kPendingCancel, I::kSubmitRejected, S::kRejected},  // the POST's refusal arrives after our cancel
    {S::kPendingCancel, I::kSubmitAmbiguous, S::kPendingCancel},
    {S::kPendingCancel, I::kPlacementSeen, S::kPendingCancel},
    {S::kPendingCancel, I::kPartialFill, S::kPendingCancel},
    {S::kPendingCancel, I::kFullFill, S::kFilled},
    {S::kPendingCancel, I::kCancelRequested, S::kPendingCancel},
    {S::kPendingCancel, I::kCancelConfirmed, S::kCanceled},
    {S::kPendingCancel, I::kCancelAmbiguous, S::kPendingCancel},  // retried, then escalated
    {S::kPendingCancel, I::kCancelRefusedAlreadyDone, S::kUnknown},
    {S::kPendingCancel, I::kProvenAbsent, S::kCanceled},

    // CANCELED (terminal): late reports are no-ops, except a full fill: the fill won the race.
    {S::kCanceled, I::kSubmitAccepted, S::kCanceled},
    // A delayed order refused when its delay ended: the exchange's CANCELLATION can beat the
    // held answer that reports the refusal (found by the race simulator).
    {S::kCanceled, I::kSubmitRejected, S::kCanceled},
    {S::kCanceled, I::kSubmitAmbiguous, S::kCanceled},
    {S::kCanceled, I::kPlacementSeen, S::kCanceled},
    {S::kCanceled, I::kPartialFill, S::kCanceled},
    {S::kCanceled, I::kFullFill, S::kFilled},
    {S::kCanceled, I::kCancelRequested, S::kCanceled},
    {S::kCanceled, I::kCancelConfirmed, S::kCanceled},
    {S::kCanceled, I::kCancelAmbiguous, S::kCanceled},
    {S::kCanceled, I::kCancelRefusedAlreadyDone, S::kCanceled},
    {S::kCanceled, I::kProvenAbsent, S::kCanceled},

    // REJECTED (terminal): the exchange never had it, so it cannot be seen live or filled.
    {S::kRejected, I::kSubmitRejected, S::kRejected},
    {S::kRejected, I::kSubmitAmbiguous, S::kRejected},
    {S::kRejected, I::kCancelRequested, S::kRejected},
    {S::kRejected, I::kCancelConfirmed, S::kRejected},
    {S::kRejected, I::kCancelAmbiguous, S::kRejected},
    {S::kRejected, I::kCancelRefusedAlreadyDone, S::kRejected},
    {S::kRejected, I::kProvenAbsent, S::kRejected},

    // UNKNOWN: the submit's or a cancel's outcome is not known; a query, the stream or a
    // listing resolves it.
    {S::kUnknown, I::kSubmitAccepted, S::kLive},
    {S::kUnknown, I::kSubmitRejected, S::kRejected},  // a query proves refusal
    {S::kUnknown, I::kSubmitAmbiguous, S::kUnknown},
    {S::kUnknown, I::kPlacementSeen, S::kLive},
    {S::kUnknown, I::kPartialFill, S::kPartiallyFilled},
    {S::kUnknown, I::kFullFill, S::kFilled},
    {S::kUnknown, I::kCancelRequested, S::kPendingCancel},  // cancels cover it through its id
    {S::kUnknown, I::kCancelConfirmed, S::kCanceled},
    {S::kUnknown, I::kCancelAmbiguous, S::kUnknown},
    {S::kUnknown, I::kCancelRefusedAlreadyDone, S::kUnknown},
    {S::kUnknown, I::kProvenAbsent, S::kCanceled},  // dead, not "rejected"
};

using Table = std::array<std::array<std::optional<OrderState>, kOrderInputCount>, kOrderStateCount>;

// The lookup table built from the entries at compile time; a pair listed twice, or a state or
// input out of range, fails the build.
consteval Table BuildTable() {
  Table table{};
  for (const Transition& t : kTransitions) {
    const auto from = static_cast<size_t>(t.from);
    const auto input = static_cast<size_t>(t.input);
    if (from >= kOrderStateCount || input >= kOrderInputCount || table[from][input].has_value()) {
      throw "order_state.cc: a transition is listed twice or out of range";
    }
    table[from][input] = t.to;
  }
  return table;
}
constexpr Table kTable = BuildTable();

}  // namespace

std::span<const Transition> Transitions() { return kTransitions; }

std::string_view OrderStateName(OrderState state) {
  switch (state) {
    case S::kPendingSubmit:
      return "PENDING_SUBMIT";
    case S::kLive:
      return "LIVE";
    case S::kPartiallyFilled:
      return "PARTIALLY_FILLED";
    case S::kFilled:
      return "FILLED";
    case S::kPendingCancel:
      return "PENDING_CANCEL";
    case S::kCanceled:
      return "CANCELED";
    case S::kRejected:
      return "REJECTED";
    case S::kUnknown:
      return "UNKNOWN";
  }
  return "?";
}

std::string_view OrderInputName(OrderInput input) {
  switch (input) {
    case I::kSubmitAccepted:
      return "submit_accepted";
    case I::kSubmitRejected:
      return "submit_rejected";
    case I::kSubmitAmbiguous:
      return "submit_ambiguous";
    case I::kPlacementSeen:
      return "placement_seen";
    case I::kPartialFill:
      return "partial_fill";
    case I::kFullFill:
      return "full_fill";
    case I::kCancelRequested:
      return "cancel_requested";
    case I::kCancelConfirmed:
      return "cancel_confirmed";
    case I::kCancelAmbiguous:
      return "cancel_ambiguous";
    case I::kCancelRefusedAlreadyDone:
      return "cancel_refused_already_done";
    case I::kProvenAbsent:
      return "proven_absent";
  }
  return "?";
}

bool IsTerminal(OrderState state) { return state == S::kFilled || state == S::kCanceled || state == S::kRejected; }

bool MayBeLive(OrderState state) { return !IsTerminal(state); }

std::optional<OrderState> NextState(OrderState state, OrderInput input) {
  return kTable[static_cast<size_t>(state)][static_cast<size_t>(input)];
}

bool FillProgress::Report(model::Size total_matched, bool* overfill) {
  if (overfill != nullptr) *overfill = total_matched > original;
  const model::Size capped = total_matched > original ? original : total_matched;
  if (capped <= matched) return false;
  matched = capped;
  return true;
}

}  // namespace clobmaker::execution
