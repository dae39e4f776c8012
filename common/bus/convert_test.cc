#include "common/bus/convert.h"

#include <gtest/gtest.h>

namespace clobmaker::bus {
namespace {

TEST(BusConvert, OrderEventRoundTrips) {
  polymarket::UserOrderEvent e{.type = polymarket::OrderEventType::kCancellation,
                               .id = "0xabc",
                               .market = "0xm",
                               .asset_id = "123",
                               .side = model::Side::kSell,
                               .price = model::Price(4800),
                               .original_size = model::Size(10'000'000),
                               .size_matched = model::Size(2'500'000),
                               .status = "CANCELED_market resolved",
                               .status_base = "CANCELED",
                               .status_reason = "market resolved",
                               .timestamp_ms = 1'700'000'000'123};
  auto back = FromProto(ToProto(e));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->type, e.type);
  EXPECT_EQ(back->id, e.id);
  EXPECT_EQ(back->side, e.side);
  EXPECT_EQ(back->price, e.price);
  EXPECT_EQ(back->size_matched, e.size_matched);
  EXPECT_EQ(back->status_base, "CANCELED");
  EXPECT_EQ(back->status_reason, "market resolved");
  EXPECT_EQ(back->timestamp_ms, e.timestamp_ms);
}

TEST(BusConvert, TradeKeepsOurLegsApart) {
  polymarket::UserTradeEvent t{.id = "t-1", .status = polymarket::TradeStatus::kMined};
  std::vector<polymarket::OurFill> ours = {{.order_id = "0xmaker",
                                            .asset_id = "1",
                                            .side = model::Side::kBuy,
                                            .price = model::Price(4700),
                                            .size = model::Size(3'000'000),
                                            .is_taker = false,
                                            .leg = 0},
                                           {.order_id = "0xtaker",
                                            .asset_id = "1",
                                            .side = model::Side::kSell,
                                            .price = model::Price(4700),
                                            .size = model::Size(5'000'000),
                                            .is_taker = true}};
  auto back = FromProto(ToProto(t, ours));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->status, polymarket::TradeStatus::kMined);
  EXPECT_EQ(back->taker_order_id, "0xtaker");
  EXPECT_EQ(back->size, model::Size(5'000'000));
  ASSERT_EQ(back->maker_orders.size(), 1u);
  EXPECT_EQ(back->maker_orders[0].order_id, "0xmaker");
  EXPECT_EQ(back->maker_orders[0].matched_amount, model::Size(3'000'000));
}

TEST(BusConvert, BadMessagesAreErrorsNotCrashes) {
  user::v1::UserOrderEvent no_type;
  no_type.set_order_id("0x1");
  EXPECT_FALSE(FromProto(no_type).ok());
  user::v1::UserTradeEvent no_id;
  EXPECT_FALSE(FromProto(no_id).ok());
  EXPECT_NE(DedupeKey(polymarket::UserTradeEvent{.id = "a", .status = polymarket::TradeStatus::kMatched}),
            DedupeKey(polymarket::UserTradeEvent{.id = "a", .status = polymarket::TradeStatus::kMined}));
}

}  // namespace
}  // namespace clobmaker::bus
