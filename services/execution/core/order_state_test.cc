#include "services/execution/core/order_state.h"

#include <gtest/gtest.h>

#include "common/core/rng.h"

namespace clobmaker::execution {
namespace {

using S = OrderState;
using I = OrderInput;

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
