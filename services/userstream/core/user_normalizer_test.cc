#include "services/userstream/core/user_normalizer.h"

#include <gtest/gtest.h>

#include "clobmaker/user/v1/user.pb.h"
#include "common/polymarket/encode.h"

namespace clobmaker::userstream {
namespace {

constexpr Nanos kNow = 1'700'000'000 * kNanosPerSecond;
constexpr char kOurKey[] = "our-api-key";
constexpr char kOrderId[] = "0x00000000000000000000000000000000000000000000000000000000000000aa";

NormalizerConfig Config() { return {.identity = {.api_keys = {kOurKey}, .addresses = {"0xabc"}}}; }

polymarket::UserOrderEvent Order(polymarket::OrderEventType type, int64_t matched) {
  return {.type = type,
          .id = kOrderId,
          .owner = kOurKey,
          .market = "0xm",
          .asset_id = "123",
          .side = model::Side::kBuy,
          .price = model::Price(4800),
          .original_size = model::Size(10'000'000),
          .size_matched = model::Size(matched),
          .status = "LIVE",
          .status_base = "LIVE",
          .timestamp_ms = 1'700'000'000'000};
}

polymarket::UserTradeEvent Trade(const std::string& id, polymarket::TradeStatus status, const std::string& owner) {
  polymarket::UserTradeEvent t{.id = id,
                               .taker_order_id = "0x00000000000000000000000000000000000000000000000000000000000000bb",
                               .market = "0xm",
                               .asset_id = "123",
                               .side = model::Side::kSell,
                               .size = model::Size(2'000'000),
                               .price = model::Price(4800),
                               .status = status,
                               .match_time_ms = 1'700'000'100'000,
                               .last_update_ms = 1'700'000'100'000,
                               .owner = "someone-else",
                               .trader_side = "TAKER"};
  t.maker_orders.push_back({.order_id = kOrderId,
                            .owner = owner,
                            .maker_address = owner == kOurKey ? "0xabc" : "0xdef",
                            .matched_amount = model::Size(2'000'000),
                            .price = model::Price(4800),
                            .asset_id = "123",
                            .side = model::Side::kBuy});
  return t;
}

TEST(UserNormalizer, OrderEventsArePublishedOnceKeyedByTheExchangesIdentifiers) {
  UserNormalizer n(Config());
  const std::string placement = polymarket::EncodeUserEvent(Order(polymarket::OrderEventType::kPlacement, 0));
  n.OnFrame(placement, kNow);
  n.OnFrame(placement, kNow);  // a replay after a reconnect
  n.OnFrame(polymarket::EncodeUserEvent(Order(polymarket::OrderEventType::kUpdate, 3'000'000)), kNow);
  auto out = n.TakePublications();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].subject, "cm.user.order.123");
  EXPECT_NE(out[0].msg_id, out[1].msg_id);
  EXPECT_EQ(n.counters().duplicates, 1u);
  user::v1::UserOrderEvent e;
  ASSERT_TRUE(e.ParseFromString(out[1].data));
  EXPECT_EQ(e.size_matched_micros(), 3'000'000);
  EXPECT_EQ(e.header().sequence(), 2u);
}

TEST(UserNormalizer, TradesKeepEveryStatusOnlyOurLegsAndBackfillOverlapsHarmlessly) {
  UserNormalizer n(Config());
  n.OnFrame(polymarket::EncodeUserEvent(Trade("t1", polymarket::TradeStatus::kMatched, kOurKey)), kNow);
  n.OnFrame(polymarket::EncodeUserEvent(Trade("t1", polymarket::TradeStatus::kMined, kOurKey)), kNow);
  n.OnFrame(polymarket::EncodeUserEvent(Trade("t2", polymarket::TradeStatus::kMatched, "not-us")), kNow);
  auto live = n.TakePublications();
  ASSERT_EQ(live.size(), 2u) << "MATCHED and MINED are both kept; a trade without our legs is not";
  EXPECT_EQ(live[0].subject, "cm.user.trade.123");
  EXPECT_EQ(n.counters().not_ours, 1u);
  // Reconnect: a notice, and a backfill from before the last trade seen.
  const int64_t after = n.OnConnected(true, kNow);
  EXPECT_EQ(after, 1'700'000'100 - 60);
  auto notice = n.TakePublications();
  ASSERT_EQ(notice.size(), 1u);
  EXPECT_EQ(notice[0].subject, "cm.user.connected");
  n.OnBackfill({Trade("t1", polymarket::TradeStatus::kMined, kOurKey),
                Trade("t3", polymarket::TradeStatus::kConfirmed, kOurKey)},
               kNow);
  auto backfilled = n.TakePublications();
  ASSERT_EQ(backfilled.size(), 1u) << "t1 MINED was already published";
  user::v1::UserTradeEvent t;
  ASSERT_TRUE(t.ParseFromString(backfilled[0].data));
  EXPECT_EQ(t.trade_id(), "t3");
  EXPECT_TRUE(t.from_backfill());
  ASSERT_EQ(t.fills_size(), 1);
  EXPECT_FALSE(t.fills(0).is_taker());
}

TEST(UserNormalizer, BadFramesAreCountedAndTheRestOfTheFrameIsUsed) {
  UserNormalizer n(Config());
  n.OnFrame("{not json", kNow);
  n.OnFrame(R"({"event_type":"mystery","id":"1"})", kNow);
  const std::string good = polymarket::EncodeUserEvent(Order(polymarket::OrderEventType::kPlacement, 0));
  n.OnFrame("[" + good + R"(,{"event_type":"order","type":"PLACEMENT"}])", kNow);
  EXPECT_EQ(n.counters().malformed, 1u);
  EXPECT_EQ(n.counters().unknown_types, 1u);
  EXPECT_GE(n.counters().missing_fields + n.counters().bad_values, 1u);
  EXPECT_EQ(n.TakePublications().size(), 1u);
}

TEST(UserNormalizer, AFreshProcessBackfillsALookbackWindow) {
  UserNormalizer n(Config());
  EXPECT_EQ(n.OnConnected(false, kNow), 1'700'000'000 - 300);
  EXPECT_EQ(n.connection_epoch(), 1u);
}

// Issue 17 item 4: the cursor outlives the process. A restart after an outage longer than the
// look-back backfills from the persisted cursor, not from `now - lookback`.
TEST(UserNormalizer, ARestartBackfillsFromThePersistedCursorWhateverTheOutage) {
  std::string persisted;
  {
    UserNormalizer n(Config());
    EXPECT_FALSE(n.TakeCursor().has_value()) << "no trade seen: nothing to persist";
    n.OnFrame(polymarket::EncodeUserEvent(Trade("t1", polymarket::TradeStatus::kMatched, kOurKey)), kNow);
    ASSERT_EQ(n.TakePublications().size(), 1u);
    auto cursor = n.TakeCursor();
    ASSERT_TRUE(cursor.has_value());
    EXPECT_EQ(*cursor, "1700000100000");
    EXPECT_FALSE(n.TakeCursor().has_value()) << "taken once until it advances";
    n.OnFrame(polymarket::EncodeUserEvent(Trade("t2", polymarket::TradeStatus::kMatched, "not-us")), kNow);
    EXPECT_FALSE(n.TakeCursor().has_value()) << "a trade without our legs does not move it";
    persisted = *cursor;
  }
  // An hour later (the look-back is 5 minutes): a new process, the cursor restored.
  const Nanos later = kNow + 3600 * kNanosPerSecond;
  UserNormalizer n(Config());
  ASSERT_TRUE(n.RestoreCursor(persisted).ok());
  EXPECT_EQ(n.OnConnected(false, later), 1'700'000'100 - 60) << "from the cursor, minus the margin";
  EXPECT_FALSE(n.TakeCursor().has_value()) << "restored, not advanced";
  // Without it, the look-back: the trades of the outage before it would be missed.
  UserNormalizer fresh(Config());
  EXPECT_EQ(fresh.OnConnected(false, later), 1'700'003'600 - 300);
  // A value that is no cursor is refused; the look-back applies.
  UserNormalizer bad(Config());
  EXPECT_FALSE(bad.RestoreCursor("yesterday").ok());
  EXPECT_FALSE(bad.RestoreCursor("-5").ok());
  EXPECT_EQ(bad.OnConnected(false, later), 1'700'003'600 - 300);
}

}  // namespace
}  // namespace clobmaker::userstream
