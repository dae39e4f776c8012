// The order state machine of design.md section 3: every allowed (state, input) -> state is one
// named entry in order_state.cc. Anything not listed is illegal: the caller counts it and leaves
// the order unchanged.
// Pure and allocation-free; the OrderManager (execution's core) applies it to every order.
//
//   PENDING_SUBMIT --accepted--> LIVE --fill--> PARTIALLY_FILLED --full fill--> FILLED
//        |  \--ambiguous--> UNKNOWN (resolved by query, user stream or listing)
//        \--rejected--> REJECTED            any live state --cancel sent--> PENDING_CANCEL
//   PENDING_CANCEL --confirmed--> CANCELED
// Terminal states (FILLED, CANCELED, REJECTED) never become live again; a late report may only
// raise the matched size (and a late full fill turns CANCELED into FILLED: the fill won the race).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "common/model/types.h"

namespace clobmaker::execution {

enum class OrderState : uint8_t {
  kPendingSubmit,
  kLive,
  kPartiallyFilled,
  kFilled,
  kPendingCancel,
  kCanceled,
  kRejected,
  kUnknown,
};
inline constexpr int kOrderStateCount = 8;

enum class OrderInput : uint8_t {
  kSubmitAccepted,            // HTTP: success with the order id (live, matched or delayed)
  kSubmitRejected,            // proof of refusal: success:false / errorMsg / empty id / 4xx
  kSubmitAmbiguous,           // timeout after sending, reset, 5xx, 425, unreadable answer
  kPlacementSeen,             // user channel PLACEMENT, or the exchange lists it as open
  kPartialFill,               // matched size rose and some size remains
  kFullFill,                  // matched size reached the original size
  kCancelRequested,           // we sent a cancel (by id, market or all)
  kCancelConfirmed,           // the exchange says canceled (HTTP, CANCELLATION, expiry)
  kCancelAmbiguous,           // the cancel's outcome is unknown
  kCancelRefusedAlreadyDone,  // "already canceled or matched": the truth needs a query
  kProvenAbsent,              // a targeted query or a full listing: not open at the exchange
};
inline constexpr int kOrderInputCount = 11;

std::string_view OrderStateName(OrderState state);
std::string_view OrderInputName(OrderInput input);
bool IsTerminal(OrderState state);
// Live at the exchange as far as we know (or possibly so): what a cancel must cover.
bool MayBeLive(OrderState state);

// One allowed transition: in state `from`, `input` moves the order to `to`.
struct Transition {
  OrderState from;
  OrderInput input;
  OrderState to;
};

// Every allowed transition, as written in order_state.cc (for tests and documentation).
std::span<const Transition> Transitions();

// The next state, or nullopt for an illegal transition (a pair not in Transitions()).
std::optional<OrderState> NextState(OrderState state, OrderInput input);

// Matched size is monotonic (the maximum of every report) and never exceeds the original size.
struct FillProgress {
  model::Size original;
  model::Size matched;

  // Applies a report of the total matched size; returns whether it rose. A report above the
  // original size is clamped and flagged through `overfill`.
  bool Report(model::Size total_matched, bool* overfill = nullptr);
  model::Size remaining() const { return original - matched; }
  bool complete() const { return matched >= original; }
};

}  // namespace clobmaker::execution
