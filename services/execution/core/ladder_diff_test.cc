#include "services/execution/core/ladder_diff.h"

#include <gtest/gtest.h>

namespace clobmaker::execution {
namespace {

using model::Price;
using model::Side;
using model::Size;

const model::TickSize kCent = model::TickSize::Cent();

model::OrderId Id(uint8_t n) {
  std::array<uint8_t, 32> b{};
  b[31] = n;
  return model::OrderId(b);
}

Intent Bid(uint32_t level) { return {"YES", Side::kBuy, level}; }

WorkingOrder Working(uint8_t id, Intent intent, int64_t price, OrderState state = OrderState::kLive,
                     int64_t matched_shares = 0, model::TickSize tick = kCent) {
  return {Id(id), intent, Price(price), Size::FromWhole(10), Size::FromWhole(matched_shares), state, tick};
}

TEST(DiffLadder, PostsWhatIsMissingAndKeepsWhatMatches) {
  const std::vector<DesiredQuote> desired = {{Bid(0), Price(4900), Size::FromWhole(10)},
                                             {Bid(1), Price(4800), Size::FromWhole(10)}};
  const auto diff = DiffLadder(desired, kCent, {Working(1, Bid(0), 4900)});
  EXPECT_TRUE(diff.cancels.empty());
  ASSERT_EQ(diff.posts.size(), 1u);
  EXPECT_EQ(diff.posts[0].intent, Bid(1));
}

TEST(DiffLadder, RepriceIsCancelFirstAndPostOnlyOnceDead) {
  const std::vector<DesiredQuote> desired = {{Bid(0), Price(5000), Size::FromWhole(10)}};
  const auto first = DiffLadder(desired, kCent, {Working(1, Bid(0), 4900)});
  EXPECT_EQ(first.cancels, std::vector<model::OrderId>{Id(1)});
  EXPECT_TRUE(first.posts.empty());  // never two live orders for one intent
  EXPECT_EQ(first.waiting, std::vector<Intent>{Bid(0)});
  const auto pending = DiffLadder(desired, kCent, {Working(1, Bid(0), 4900, OrderState::kPendingCancel)});
  EXPECT_TRUE(pending.cancels.empty());  // already being cancelled
  EXPECT_TRUE(pending.posts.empty());
  const auto dead = DiffLadder(desired, kCent, {Working(1, Bid(0), 4900, OrderState::kCanceled)});
  ASSERT_EQ(dead.posts.size(), 1u);
}

TEST(DiffLadder, UnknownAndInFlightOrdersBlockTheirIntentAndAreCancelledByTheirIds) {
  const std::vector<DesiredQuote> desired = {{Bid(0), Price(5000), Size::FromWhole(10)}};
  const auto unknown = DiffLadder(desired, kCent, {Working(1, Bid(0), 4900, OrderState::kUnknown)});
  EXPECT_EQ(unknown.cancels, std::vector<model::OrderId>{Id(1)});
  EXPECT_TRUE(unknown.posts.empty());
  const auto in_flight = DiffLadder(desired, kCent, {Working(1, Bid(0), 5000, OrderState::kPendingSubmit)});
  EXPECT_TRUE(in_flight.cancels.empty());  // the right order is on its way
  EXPECT_TRUE(in_flight.posts.empty());
}

TEST(DiffLadder, TickSizeChangeCancelsEverythingOnTheOldGrid) {
  const auto milli = *model::TickSize::Parse("0.001");
  const std::vector<DesiredQuote> desired = {{Bid(0), Price(4900), Size::FromWhole(10)}};
  const auto diff = DiffLadder(desired, milli, {Working(1, Bid(0), 4900, OrderState::kLive, 0, kCent)});
  EXPECT_EQ(diff.cancels, std::vector<model::OrderId>{Id(1)});
  EXPECT_TRUE(diff.posts.empty());
  // A desired price off the ladder's grid is never posted.
  const auto off = DiffLadder({{Bid(0), Price(4950), Size::FromWhole(10)}}, kCent, {});
  EXPECT_TRUE(off.posts.empty());
}

TEST(DiffLadder, EmptyLadderCancelsEverythingLive) {
  const auto diff = DiffLadder({}, kCent,
                               {Working(1, Bid(0), 4900), Working(2, Bid(1), 4800, OrderState::kPartiallyFilled, 3),
                                Working(3, Bid(2), 4700, OrderState::kFilled)});
  EXPECT_EQ(diff.cancels, (std::vector<model::OrderId>{Id(1), Id(2)}));
  EXPECT_TRUE(diff.posts.empty());
}

TEST(DiffLadder, MostlyFilledOrdersAreReplacedDuplicatesCancelled) {
  const std::vector<DesiredQuote> desired = {{Bid(0), Price(4900), Size::FromWhole(10)}};
  const auto refill = DiffLadder(desired, kCent, {Working(1, Bid(0), 4900, OrderState::kPartiallyFilled, 8)});
  EXPECT_EQ(refill.cancels, std::vector<model::OrderId>{Id(1)});
  const auto keep = DiffLadder(desired, kCent, {Working(1, Bid(0), 4900, OrderState::kPartiallyFilled, 3)});
  EXPECT_TRUE(keep.cancels.empty());
  const auto dup = DiffLadder(desired, kCent, {Working(1, Bid(0), 4900), Working(2, Bid(0), 4900)});
  EXPECT_EQ(dup.cancels, std::vector<model::OrderId>{Id(2)});
  EXPECT_TRUE(dup.posts.empty());
}

}  // namespace
}  // namespace clobmaker::execution
