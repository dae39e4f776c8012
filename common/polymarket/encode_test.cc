#include "common/polymarket/encode.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <fstream>
#include <sstream>

#include "common/polymarket/decode.h"

namespace clobmaker::polymarket {
namespace {

using model::Price;
using model::Side;
using model::Size;

TEST(Encode, MarketEventsRoundTrip) {
  BookEvent book{.asset_id = "1",
                 .market = "0xm",
                 .timestamp_ms = 1700000000123,
                 .hash = "h",
                 .bids = {{Price(4900), Size(1'500'000)}},
                 .asks = {{Price(5100), Size(2'000'000)}}};
  PriceChangeEvent pc{.market = "0xm",
                      .timestamp_ms = 5,
                      .changes = {{"1", Price(5000), Size(0), Side::kSell, "x", Price(4900), Price(5100)}}};
  TickSizeChangeEvent tick{"1", "0xm", *model::TickSize::Parse("0.01"), *model::TickSize::Parse("0.001"), 7};
  LastTradePriceEvent last{"1", "0xm", Price(5000), Size(3'000'000), Side::kBuy, 0, 8};
  MarketDecoder d;
  const auto f = d.Decode(EncodeMarketFrame({book, pc, tick, last}));
  ASSERT_TRUE(f.errors.empty()) << f.errors[0].detail;
  ASSERT_EQ(f.events.size(), 4u);
  const auto& b = std::get<BookEvent>(f.events[0]);
  EXPECT_EQ(b.bids, book.bids);
  EXPECT_EQ(b.asks, book.asks);
  EXPECT_EQ(b.timestamp_ms, book.timestamp_ms);
  const auto& p = std::get<PriceChangeEvent>(f.events[1]);
  EXPECT_EQ(p.changes[0].side, Side::kSell);
  EXPECT_EQ(p.changes[0].best_bid, Price(4900));
  EXPECT_EQ(std::get<TickSizeChangeEvent>(f.events[2]).new_tick.units(), 10);
  EXPECT_EQ(std::get<LastTradePriceEvent>(f.events[3]).size, Size(3'000'000));
}

TEST(Encode, UserEventsRoundTrip) {
  UserOrderEvent o{.type = OrderEventType::kCancellation,
                   .id = "0xabc",
                   .owner = "k",
                   .asset_id = "1",
                   .side = Side::kSell,
                   .price = Price(6100),
                   .original_size = Size(10'000'000),
                   .size_matched = Size(2'500'000),
                   .status = "CANCELED_market resolved",
                   .timestamp_ms = 9};
  UserTradeEvent t{.id = "t1",
                   .taker_order_id = "0xt",
                   .asset_id = "1",
                   .side = Side::kBuy,
                   .size = Size(5'000'000),
                   .price = Price(6100),
                   .status = TradeStatus::kFailed,
                   .match_time_ms = 1'700'000'000'000,
                   .owner = "k",
                   .maker_orders = {{"0xm", "k2", "0xaddr", Size(5'000'000), Price(6100), "1", "Yes", Side::kSell, 0}}};
  UserDecoder d;
  const auto f1 = d.Decode(EncodeUserEvent(o));
  ASSERT_TRUE(f1.errors.empty()) << f1.errors[0].detail;
  const auto& o2 = std::get<UserOrderEvent>(f1.events.at(0));
  EXPECT_EQ(o2.type, OrderEventType::kCancellation);
  EXPECT_EQ(o2.status_reason, "market resolved");
  EXPECT_EQ(o2.size_matched, Size(2'500'000));
  const auto f2 = d.Decode(EncodeUserEvent(t));
  ASSERT_TRUE(f2.errors.empty()) << f2.errors[0].detail;
  const auto& t2 = std::get<UserTradeEvent>(f2.events.at(0));
  EXPECT_EQ(t2.status, TradeStatus::kFailed);
  EXPECT_EQ(t2.match_time_ms, 1'700'000'000'000);
  EXPECT_EQ(t2.maker_orders.at(0).side, Side::kSell);
}

TEST(Encode, RestBodiesRoundTrip) {
  PostOrderResult ok{.success = true, .order_id = "0xid", .status = "live", .making_amount = 5};
  PostOrderResult rejected{.success = false, .error_msg = "invalid post-only order: order crosses book"};
  auto batch = ParsePostOrdersResponse(EncodePostOrdersResponse({ok, rejected}));
  ASSERT_TRUE(batch.ok());
  EXPECT_TRUE((*batch)[0].accepted());
  EXPECT_EQ((*batch)[1].error_msg, rejected.error_msg);
  auto cancel = ParseCancelResponse(EncodeCancelResult({{"0xa"}, {{"0xb", "already canceled or matched"}}}));
  ASSERT_TRUE(cancel.ok());
  EXPECT_EQ(cancel->canceled, std::vector<std::string>{"0xa"});
  EXPECT_EQ(cancel->not_canceled.at(0).second, "already canceled or matched");
  Page<OpenOrder> page{{OpenOrder{.id = "0xo",
                                  .status = "LIVE",
                                  .asset_id = "1",
                                  .side = Side::kBuy,
                                  .original_size = Size(7'000'000),
                                  .price = Price(300),
                                  .created_at_s = 17}},
                       "MTAw"};
  auto orders = ParseOpenOrdersPage(EncodeOpenOrdersPage(page));
  ASSERT_TRUE(orders.ok()) << orders.status();
  EXPECT_EQ(orders->next_cursor, "MTAw");
  EXPECT_EQ(orders->data.at(0).original_size, Size(7'000'000));
  EXPECT_EQ(orders->data.at(0).created_at_s, 17);
  const ErrorBody err = ParseErrorBody(EncodeErrorBody({"Too Many Requests", "rate_limited", 2}));
  EXPECT_EQ(err.retry_after_seconds, 2);
}

TEST(BookHash, MatchesThePublishedVectors) {
  const char* env = std::getenv("CLOBMAKER_TESTDATA");
  std::ifstream in((env ? std::string(env) : std::string(CLOBMAKER_SOURCE_DIR) + "/../shared/testdata") +
                   "/polymarket-vectors.json");
  std::stringstream buffer;
  buffer << in.rdbuf();
  rapidjson::Document doc;
  doc.Parse(buffer.str().c_str());
  int checked = 0;
  for (const auto& c : doc["orderbook_hash_sha1"]["cases"].GetArray()) {
    const auto& i = c["input"];
    BookSummaryText s{i["market"].GetString(), i["asset_id"].GetString(), i["timestamp"].GetString()};
    for (const auto& l : i["bids"].GetArray()) s.bids.emplace_back(l["price"].GetString(), l["size"].GetString());
    for (const auto& l : i["asks"].GetArray()) s.asks.emplace_back(l["price"].GetString(), l["size"].GetString());
    s.min_order_size = i["min_order_size"].GetString();
    s.tick_size = i["tick_size"].GetString();
    s.neg_risk = i["neg_risk"].GetBool();
    s.last_trade_price = i["last_trade_price"].GetString();
    EXPECT_EQ(BookSummaryHash(s), c["sha1"].GetString());
    ++checked;
  }
  EXPECT_GE(checked, 1);
}

TEST(BookHash, SimulatorBooksVerifyAndTamperingIsCaught) {
  BookEvent book{.asset_id = "1",
                 .market = "0xm",
                 .timestamp_ms = 123,
                 .bids = {{Price(4900), Size(1'500'000)}},
                 .asks = {{Price(5100), Size(2'000'000)}},
                 .tick_size = model::TickSize::Cent(),
                 .min_order_size = Size(5'000'000),
                 .neg_risk = false};
  const std::string body = EncodeRestBook(book);
  EXPECT_EQ(VerifyRestBookHash(body), BookHashVerdict::kMatch);
  std::string tampered = body;
  tampered.replace(tampered.find("\"1.5\""), 5, "\"1.6\"");
  EXPECT_EQ(VerifyRestBookHash(tampered), BookHashVerdict::kMismatch);
  EXPECT_EQ(VerifyRestBookHash(R"({"bids":[],"asks":[]})"), BookHashVerdict::kUncheckable);
  EXPECT_TRUE(ParseBookResponse(body).ok());
}

}  // namespace
}  // namespace clobmaker::polymarket
