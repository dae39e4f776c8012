#include "services/execution/core/order_state.h"

#include <gtest/gtest.h>

#include <array>
#include <string_view>

#include "common/core/rng.h"

namespace clobmaker::execution {
namespace {

using S = OrderState;
using I = OrderInput;

// Every (state, input) cell pinned, written out independently of order_state.cc's entries.
// Columns, in OrderInput order: accepted, rejected, ambiguous, placement seen, partial fill,
// full fill, cancel requested, cancel confirmed, cancel ambiguous, cancel refused (already done),
// proven absent. "--" = illegal.
TEST(OrderStateMachine, EveryCellIsPinned) {
  //                                   acc rej amb see prt ful crq ccf cam crf abs
  const std::array<std::string_view, kOrderStateCount> kGrid = {
      /* PENDING_SUBMIT   */ "LV RJ UN LV PF FI PC CA -- UN --",
      /* LIVE             */ "LV -- LV LV PF FI PC CA -- UN CA",
      /* PARTIALLY_FILLED */ "PF -- PF PF PF FI PC CA -- UN CA",
      /* FILLED           */ "FI -- FI FI FI FI FI FI FI FI FI",
      /* PENDING_CANCEL   */ "PC RJ PC PC PC FI PC CA PC UN CA",
      /* CANCELED         */ "CA CA CA CA CA FI CA CA CA CA CA",
      /* REJECTED         */ "-- RJ RJ -- -- -- RJ RJ RJ RJ RJ",
      /* UNKNOWN          */ "LV RJ UN LV PF FI PC CA UN UN CA",
  };
  const auto code = [](std::optional<S> s) -> std::string_view {
    if (!s) return "--";
    switch (*s) {
      case S::kPendingSubmit:
        return "PS";
      case S::kLive:
        return "LV";
      case S::kPartiallyFilled:
        return "PF";
      case S::kFilled:
        return "FI";
      case S::kPendingCancel:
        return "PC";
      case S::kCanceled:
        return "CA";
      case S::kRejected:
        return "RJ";
      case S::kUnknown:
        return "UN";
    }
    return "??";
  };
  size_t legal = 0;
  for (int state = 0; state < kOrderStateCount; ++state) {
    for (int input = 0; input < kOrderInputCount; ++input) {
      const std::string_view want = kGrid[static_cast<size_t>(state)].substr(static_cast<size_t>(input) * 3, 2);
      const auto got = NextState(static_cast<S>(state), static_cast<I>(input));
      EXPECT_EQ(code(got), want) << OrderStateName(static_cast<S>(state)) << " + "
                                 << OrderInputName(static_cast<I>(input));
      legal += got.has_value();
    }
  }
  // The entries are exactly the legal cells: none listed twice (the build refuses that), none
  // missing from the grid.
  EXPECT_EQ(Transitions().size(), legal);
  for (const Transition& t : Transitions()) EXPECT_EQ(NextState(t.from, t.input), t.to);
}

TEST(OrderStateMachine, HappyPathAndCancel) {
  S s = S::kPendingSubmit;
  s = *NextState(s, I::kSubmitAccepted);
  EXPECT_EQ(s, S::kLive);
  s = *NextState(s, I::kPartialFill);
  EXPECT_EQ(s, S::kPartiallyFilled);
  s = *NextState(s, I::kCancelRequested);
  EXPECT_EQ(s, S::kPendingCancel);
  s = *NextState(s, I::kCancelConfirmed);
  EXPECT_EQ(s, S::kCanceled);
}

TEST(OrderStateMachine, AmbiguousSubmitIsUnknownUntilProven) {
  EXPECT_EQ(*NextState(S::kPendingSubmit, I::kSubmitAmbiguous), S::kUnknown);
  EXPECT_EQ(*NextState(S::kUnknown, I::kPlacementSeen), S::kLive);             // the user stream resolves it
  EXPECT_EQ(*NextState(S::kUnknown, I::kSubmitRejected), S::kRejected);        // a query proves refusal
  EXPECT_EQ(*NextState(S::kUnknown, I::kProvenAbsent), S::kCanceled);          // dead, not "rejected"
  EXPECT_EQ(*NextState(S::kUnknown, I::kCancelRequested), S::kPendingCancel);  // cancels cover it
}

TEST(OrderStateMachine, PlacementBeforeTheHttpAnswerAndLateAmbiguity) {
  S s = *NextState(S::kPendingSubmit, I::kPlacementSeen);
  EXPECT_EQ(s, S::kLive);
  EXPECT_EQ(*NextState(s, I::kSubmitAccepted), S::kLive);      // the HTTP answer arrives later
  EXPECT_EQ(*NextState(s, I::kSubmitAmbiguous), S::kLive);     // or times out: still known live
  EXPECT_FALSE(NextState(s, I::kSubmitRejected).has_value());  // contradiction: counted, not applied
}

TEST(OrderStateMachine, TerminalStatesNeverComeBack) {
  for (S terminal : {S::kFilled, S::kCanceled, S::kRejected}) {
    for (int i = 0; i < kOrderInputCount; ++i) {
      const auto next = NextState(terminal, static_cast<I>(i));
      if (!next) continue;  // illegal: refused
      EXPECT_TRUE(IsTerminal(*next)) << OrderStateName(terminal) << " + " << OrderInputName(static_cast<I>(i));
    }
  }
  EXPECT_EQ(*NextState(S::kCanceled, I::kFullFill), S::kFilled);  // the fill won the cancel race
  EXPECT_EQ(*NextState(S::kCanceled, I::kPlacementSeen), S::kCanceled);
  EXPECT_FALSE(NextState(S::kRejected, I::kPartialFill).has_value());
}

TEST(OrderStateMachine, CancelOutcomes) {
  EXPECT_EQ(*NextState(S::kPendingCancel, I::kCancelAmbiguous), S::kPendingCancel);  // escalate
  EXPECT_EQ(*NextState(S::kPendingCancel, I::kCancelRefusedAlreadyDone), S::kUnknown);
  EXPECT_EQ(*NextState(S::kPendingCancel, I::kFullFill), S::kFilled);
  EXPECT_EQ(*NextState(S::kPendingCancel, I::kPartialFill), S::kPendingCancel);
  EXPECT_EQ(*NextState(S::kPendingCancel, I::kSubmitRejected), S::kRejected);
  EXPECT_FALSE(NextState(S::kLive, I::kCancelAmbiguous).has_value());  // no cancel was sent
}

TEST(OrderStateMachine, PropertyRandomSequencesKeepTheInvariants) {
  // Invariant 2 of design.md: once terminal, never live again; invariant 1 for FillProgress.
  for (uint64_t seed = 1; seed <= 2000; ++seed) {
    Rng rng(seed);
    S s = S::kPendingSubmit;
    FillProgress fill{model::Size::FromWhole(10), model::Size(0)};
    bool terminal_seen = false;
    for (int step = 0; step < 40; ++step) {
      const auto input = static_cast<I>(rng.Below(kOrderInputCount));
      if (auto next = NextState(s, input)) s = *next;
      if (IsTerminal(s)) terminal_seen = true;
      ASSERT_FALSE(terminal_seen && !IsTerminal(s)) << "seed " << seed;
      const model::Size before = fill.matched;
      fill.Report(model::Size(static_cast<int64_t>(rng.Below(12'000'001))));
      ASSERT_GE(fill.matched, before) << "seed " << seed;
      ASSERT_GE(fill.remaining().micros(), 0) << "seed " << seed;
    }
  }
}

TEST(FillProgress, MonotonicAndCapped) {
  FillProgress f{model::Size::FromWhole(10), model::Size(0)};
  EXPECT_TRUE(f.Report(model::Size::FromWhole(4)));
  EXPECT_FALSE(f.Report(model::Size::FromWhole(3)));  // an older report cannot lower it
  bool overfill = false;
  EXPECT_TRUE(f.Report(model::Size::FromWhole(11), &overfill));
  EXPECT_TRUE(overfill);
  EXPECT_EQ(f.remaining(), model::Size(0));
  EXPECT_TRUE(f.complete());
}

}  // namespace
}  // namespace clobmaker::execution
