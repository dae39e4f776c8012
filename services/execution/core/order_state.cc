#include "services/execution/core/order_state.h"

#include <array>

namespace clobmaker::execution {
namespace {

using S = OrderState;
using I = OrderInput;
constexpr std::optional<OrderState> kIllegal = std::nullopt;

// kTable[state][input]
constexpr std::array<std::array<std::optional<OrderState>, kOrderInputCount>, kOrderStateCount> kTable = {{
    // PENDING_SUBMIT
    {S::kLive, S::kRejected, S::kUnknown, S::kLive, S::kPartiallyFilled, S::kFilled, S::kPendingCancel, S::kCanceled,
     kIllegal, S::kUnknown, kIllegal},
    // LIVE
    {S::kLive, kIllegal, S::kLive, S::kLive, S::kPartiallyFilled, S::kFilled, S::kPendingCancel, S::kCanceled, kIllegal,
     S::kUnknown, S::kCanceled},
    // PARTIALLY_FILLED
    {S::kPartiallyFilled, kIllegal, S::kPartiallyFilled, S::kPartiallyFilled, S::kPartiallyFilled, S::kFilled,
     S::kPendingCancel, S::kCanceled, kIllegal, S::kUnknown, S::kCanceled},
    // FILLED (terminal)
    {S::kFilled, kIllegal, S::kFilled, S::kFilled, S::kFilled, S::kFilled, S::kFilled, S::kFilled, S::kFilled,
     S::kFilled, S::kFilled},
    // PENDING_CANCEL
    {S::kPendingCancel, S::kRejected, S::kPendingCancel, S::kPendingCancel, S::kPendingCancel, S::kFilled,
     S::kPendingCancel, S::kCanceled, S::kPendingCancel, S::kUnknown, S::kCanceled},
    // CANCELED (terminal; a late full fill means the fill won the race)
    {S::kCanceled, kIllegal, S::kCanceled, S::kCanceled, S::kCanceled, S::kFilled, S::kCanceled, S::kCanceled,
     S::kCanceled, S::kCanceled, S::kCanceled},
    // REJECTED (terminal; the exchange never had it, so it cannot be seen live or filled)
    {kIllegal, S::kRejected, S::kRejected, kIllegal, kIllegal, kIllegal, S::kRejected, S::kRejected, S::kRejected,
     S::kRejected, S::kRejected},
    // UNKNOWN
    {S::kLive, S::kRejected, S::kUnknown, S::kLive, S::kPartiallyFilled, S::kFilled, S::kPendingCancel, S::kCanceled,
     S::kUnknown, S::kUnknown, S::kCanceled},
}};

}  // namespace

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
