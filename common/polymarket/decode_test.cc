// Codecs against every captured frame in shared/testdata/ws and shared/testdata/rest, plus the
// ways a frame can be bad.
#include "common/polymarket/decode.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "common/core/status.h"
#include "common/polymarket/encode.h"

namespace clobmaker::polymarket {
namespace {

using model::Price;
using model::Side;
using model::Size;

std::string Fixture(const std::string& name) {
  const char* env = std::getenv("CLOBMAKER_TESTDATA");
  const std::string dir = env ? env : std::string(CLOBMAKER_SOURCE_DIR) + "/../shared/testdata";
  std::ifstream in(dir + "/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

template <typename T>
T Only(const MarketFrame& f) {
  EXPECT_TRUE(f.errors.empty()) << (f.errors.empty() ? "" : f.errors[0].detail);
  EXPECT_EQ(f.events.size(), 1u);
  return std::get<T>(f.events.at(0));
}
template <typename T>
T Only(const UserFrame& f) {
  EXPECT_TRUE(f.errors.empty()) << (f.errors.empty() ? "" : f.errors[0].detail);
  EXPECT_EQ(f.events.size(), 1u);
  return std::get<T>(f.events.at(0));
}

TEST(MarketDecoder, Book) {
  MarketDecoder d;
  const auto f = d.Decode(Fixture("ws/market_book.json"));
  const auto& b = Only<BookEvent>(f);
  EXPECT_EQ(b.asset_id, "71321045679252212594626385532706912750332728571942532289631379312455583992563");
  EXPECT_EQ(b.timestamp_ms, 1703875200000);
  ASSERT_EQ(b.bids.size(), 2u);
  EXPECT_EQ(b.bids[0], (Level{Price(5000), Size(200'000'000)}));
  EXPECT_EQ(b.asks[1], (Level{Price(5200), Size(250'000'000)}));
}

TEST(MarketDecoder, PriceChangeBatchedShape) {
  MarketDecoder d;
  const auto& pc = Only<PriceChangeEvent>(d.Decode(Fixture("ws/market_price_change.json")));
  ASSERT_EQ(pc.changes.size(), 2u);
  EXPECT_EQ(pc.changes[0].side, Side::kBuy);
  EXPECT_EQ(pc.changes[0].price, Price(5000));
  EXPECT_EQ(pc.changes[0].size, Size(200'000'000));
  EXPECT_EQ(pc.changes[0].best_ask, Price(10000));
  EXPECT_EQ(pc.changes[1].side, Side::kSell);
  EXPECT_EQ(pc.changes[1].best_bid, Price(0));
  EXPECT_EQ(pc.timestamp_ms, 1757908892351);
}

TEST(MarketDecoder, PriceChangeOlderPerAssetShape) {
  MarketDecoder d;
  const auto& pc = Only<PriceChangeEvent>(
      d.Decode(R"({"event_type":"price_change","asset_id":"1","market":"0xm","hash":"h","timestamp":"5",)"
               R"("changes":[{"price":"0.4","side":"SELL","size":"0"},{"price":".41","side":"BUY","size":"3.5"}]})"));
  ASSERT_EQ(pc.changes.size(), 2u);
  EXPECT_EQ(pc.changes[0].asset_id, "1");
  EXPECT_EQ(pc.changes[0].size, Size(0));
  EXPECT_EQ(pc.changes[1].price, Price(4100));
}

TEST(MarketDecoder, TickLastTradeBestBidAskResolvedNewMarket) {
  MarketDecoder d;
  const auto& t = Only<TickSizeChangeEvent>(d.Decode(Fixture("ws/market_tick_size_change.json")));
  EXPECT_EQ(t.old_tick.units(), 1000);
  EXPECT_EQ(t.new_tick.units(), 100);
  const auto& l = Only<LastTradePriceEvent>(d.Decode(Fixture("ws/market_last_trade_price.json")));
  EXPECT_EQ(l.price, Price(5100));
  EXPECT_EQ(l.size, Size(25'000'000));
  const auto& bba = Only<BestBidAskEvent>(d.Decode(Fixture("ws/market_best_bid_ask.json")));
  EXPECT_EQ(bba.best_bid, Price(7300));
  EXPECT_EQ(bba.best_ask, Price(7700));
  const auto& r = Only<MarketResolvedEvent>(d.Decode(Fixture("ws/market_resolved.json")));
  EXPECT_EQ(r.asset_ids.size(), 2u);
  EXPECT_EQ(r.winning_outcome, "Yes");
  const auto& n = Only<NewMarketEvent>(
      d.Decode(R"({"event_type":"new_market","market":"0xm","assets_ids":["1","2"],"slug":"s","timestamp":"1"})"));
  EXPECT_EQ(n.asset_ids.size(), 2u);
  EXPECT_FALSE(n.fee_schedule.has_value());
}

TEST(MarketDecoder, FieldsAddedIn2026) {
  MarketDecoder d;
  // book with last_trade_price and tick_size
  std::string book = Fixture("ws/market_book.json");
  book.insert(book.rfind('}'), R"(,"last_trade_price":"0.52","tick_size":"0.001")");
  const auto b = Only<BookEvent>(d.Decode(book));
  EXPECT_EQ(b.last_trade_price, Price(5200));
  ASSERT_TRUE(b.tick_size.has_value());
  EXPECT_EQ(b.tick_size->units(), 10);
  // last_trade_price with the trade's transaction hash
  std::string ltp = Fixture("ws/market_last_trade_price.json");
  ltp.insert(ltp.rfind('}'), R"(,"transaction_hash":"0xabc")");
  EXPECT_EQ(Only<LastTradePriceEvent>(d.Decode(ltp)).transaction_hash, "0xabc");
  // new_market with its fee schedule and clob_token_ids
  const auto n = Only<NewMarketEvent>(d.Decode(
      R"({"event_type":"new_market","market":"0xm","clob_token_ids":["1","2"],"slug":"s","timestamp":"1",)"
      R"("fees_enabled":true,"fee_schedule":{"rate":0.07,"exponent":1,"taker_only":true,"rebate_rate":0.2}})"));
  EXPECT_EQ(n.clob_token_ids, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(n.asset_ids, n.clob_token_ids);
  ASSERT_TRUE(n.fee_schedule.has_value());
  EXPECT_TRUE(n.fee_schedule->enabled);
  EXPECT_EQ(n.fee_schedule->rate_ppm, 70'000);
  EXPECT_EQ(n.fee_schedule->rebate_ppm, 200'000);
  EXPECT_EQ(n.fee_schedule->exponent, 1);
  // What we write, we read back.
  const auto again = Only<NewMarketEvent>(d.Decode(EncodeMarketEvent(n)));
  EXPECT_EQ(again.fee_schedule, n.fee_schedule);
  EXPECT_EQ(again.clob_token_ids, n.clob_token_ids);
  BookEvent with = b;
  const auto b2 = Only<BookEvent>(d.Decode(EncodeMarketEvent(with)));
  EXPECT_EQ(b2.last_trade_price, b.last_trade_price);
  EXPECT_EQ(b2.tick_size, b.tick_size);
}

TEST(MarketDecoder, UnknownFrameTypesAreCountedNotFatal) {
  MarketDecoder d;
  const auto f = d.Decode(R"([{"event_type":"prices.crypto","seq":1},)" + Fixture("ws/market_book.json") + "]");
  EXPECT_EQ(f.events.size(), 1u);  // the book still decodes
  ASSERT_EQ(f.errors.size(), 1u);
  EXPECT_EQ(f.errors[0].kind, CodecErrorKind::kUnknownEventType);
  uint64_t malformed = 0, unknown = 0, missing = 0, bad = 0;
  CountCodecErrors(f.errors, {&malformed, &unknown, &missing, &bad});
  EXPECT_EQ(unknown, 1u);
}

TEST(MarketDecoder, ArrayFramesDecodeEveryElementAndKeepGoodOnesNextToBadOnes) {
  MarketDecoder d;
  const std::string frame = "[" + Fixture("ws/market_book.json") + R"(,{"event_type":"mystery"},42,)" +
                            Fixture("ws/market_tick_size_change.json") + "]";
  const auto f = d.Decode(frame);
  EXPECT_EQ(f.events.size(), 2u);
  ASSERT_EQ(f.errors.size(), 2u);
  EXPECT_EQ(f.errors[0].kind, CodecErrorKind::kUnknownEventType);
  EXPECT_EQ(f.errors[0].event_type, "mystery");
  EXPECT_EQ(f.errors[1].kind, CodecErrorKind::kMalformedJson);
}

TEST(MarketDecoder, BadInputIsATypedErrorNeverACrash) {
  MarketDecoder d;
  EXPECT_EQ(d.Decode("{not json").errors.at(0).kind, CodecErrorKind::kMalformedJson);
  EXPECT_EQ(d.Decode("").errors.at(0).kind, CodecErrorKind::kMalformedJson);
  EXPECT_EQ(d.Decode(R"({"asset_id":"1"})").errors.at(0).kind, CodecErrorKind::kMissingField);
  EXPECT_EQ(d.Decode(R"({"event_type":"book","asset_id":"1","bids":[{"price":"1.5","size":"1"}],"asks":[]})")
                .errors.at(0)
                .kind,
            CodecErrorKind::kBadValue);
  EXPECT_EQ(d.Decode(R"({"event_type":"book","asset_id":"1","bids":[{"price":"0.5","size":"-1"}],"asks":[]})")
                .errors.at(0)
                .kind,
            CodecErrorKind::kBadValue);
  EXPECT_EQ(
      d.Decode(R"({"event_type":"tick_size_change","asset_id":"1","old_tick_size":"0.01","new_tick_size":"0.02"})")
          .errors.at(0)
          .kind,
      CodecErrorKind::kBadValue);
  EXPECT_TRUE(d.Decode("PONG").pong);
  EXPECT_TRUE(d.Decode("NO NEW ASSETS").control);
  EXPECT_EQ(d.Decode("hello").errors.size(), 1u);
}

TEST(UserDecoder, OrderEventsIncludingReasonSuffixesAndMissingEventType) {
  UserDecoder d;
  const auto& p = Only<UserOrderEvent>(d.Decode(Fixture("ws/user_order_placement.json")));
  EXPECT_EQ(p.type, OrderEventType::kPlacement);
  EXPECT_EQ(p.status_base, "LIVE");
  EXPECT_EQ(p.original_size, Size(100'000'000));
  const auto& u = Only<UserOrderEvent>(d.Decode(Fixture("ws/user_order_update_partial.json")));
  EXPECT_EQ(u.type, OrderEventType::kUpdate);
  EXPECT_EQ(u.size_matched, Size(25'000'000));
  EXPECT_EQ(u.associate_trades, std::vector<std::string>{"trade-0xabcdef1234"});
  const auto& m = Only<UserOrderEvent>(d.Decode(Fixture("ws/user_order_update_matched.json")));
  EXPECT_EQ(m.type, OrderEventType::kUpdate);
  const auto& c = Only<UserOrderEvent>(d.Decode(Fixture("ws/user_order_cancellation.json")));
  EXPECT_EQ(c.type, OrderEventType::kCancellation);
  EXPECT_EQ(c.status_base, "CANCELED");
  const auto& fok = Only<UserOrderEvent>(d.Decode(Fixture("ws/user_order_fok_killed.json")));
  EXPECT_EQ(fok.status_base, "CANCELED");
  EXPECT_EQ(fok.status_reason, "order couldn't be fully filled. FOK orders are fully filled or killed.");
  EXPECT_EQ(fok.size_matched, Size(0));  // "" is zero
  const auto& invalid = Only<UserOrderEvent>(d.Decode(Fixture("ws/user_order_cancellation_invalid.json")));
  EXPECT_EQ(invalid.status_base, "INVALID");
  EXPECT_EQ(invalid.type, OrderEventType::kCancellation);
}

TEST(UserDecoder, TradesWithMakerLegsAndBothTimeFormats) {
  UserDecoder d;
  const auto& t = Only<UserTradeEvent>(d.Decode(Fixture("ws/user_trade_matched.json")));
  EXPECT_EQ(t.status, TradeStatus::kMatched);
  EXPECT_EQ(t.match_time_ms, 1672290701000);  // "matchtime" in seconds
  ASSERT_EQ(t.maker_orders.size(), 1u);
  EXPECT_EQ(t.maker_orders[0].matched_amount, Size(10'000'000));
  const auto& c = Only<UserTradeEvent>(d.Decode(Fixture("ws/user_trade_taker_confirmed.json")));
  EXPECT_EQ(c.status, TradeStatus::kConfirmed);
  EXPECT_EQ(c.match_time_ms, 1704067200000);  // ISO 8601
  EXPECT_EQ(c.trader_side, "TAKER");
  EXPECT_EQ(c.bucket_index, 1);
}

TEST(UserDecoder, UnknownTypesAndStatusesAreErrors) {
  UserDecoder d;
  EXPECT_EQ(d.Decode(R"({"event_type":"order","type":"REJECTION","id":"x"})").errors.at(0).kind,
            CodecErrorKind::kUnknownEventType);
  EXPECT_EQ(d.Decode(R"({"event_type":"wallet"})").errors.at(0).kind, CodecErrorKind::kUnknownEventType);
}

TEST(UserDecoder, NewAndUnknownTradeStatusesAreNotFinal) {
  UserDecoder d;
  std::string trade = Fixture("ws/user_trade_matched.json");
  std::string mnb = trade;
  mnb.replace(mnb.find("\"MATCHED\""), 9, "\"MATCHED_NOT_BROADCASTED\"");
  const auto provisional = Only<UserTradeEvent>(d.Decode(mnb));
  EXPECT_EQ(provisional.status, TradeStatus::kMatchedNotBroadcasted);
  EXPECT_FALSE(IsFinal(provisional.status));
  // A status nobody documented: kept (as text), decoded, never final; the consumer counts it.
  trade.replace(trade.find("\"MATCHED\""), 9, "\"SETTLED\"");
  const auto unknown = Only<UserTradeEvent>(d.Decode(trade));
  EXPECT_EQ(unknown.status, TradeStatus::kUnknown);
  EXPECT_EQ(unknown.status_text, "SETTLED");
  EXPECT_FALSE(IsFinal(unknown.status));
  EXPECT_TRUE(IsFinal(TradeStatus::kConfirmed));
  EXPECT_TRUE(IsFinal(TradeStatus::kFailed));
}

TEST(AttributeFills, TakerMakerAndCrossTokenLegs) {
  UserDecoder d;
  const auto trade = std::get<UserTradeEvent>(
      d.Decode(Fixture("rest/trade_with_maker_orders.json").insert(1, R"("type":"TRADE",)")).events.at(0));
  // We are the taker (API key ...001).
  auto fills = AttributeFills(trade, {.api_keys = {"00000000-0000-0000-0000-000000000001"}});
  ASSERT_EQ(fills.size(), 1u);
  EXPECT_TRUE(fills[0].is_taker);
  EXPECT_EQ(fills[0].side, Side::kBuy);
  EXPECT_EQ(fills[0].size, Size(25'000'000));
  // We are the second maker, recognised by address in any case.
  fills = AttributeFills(trade, {.addresses = {"0x3C44CDDDB6A900FA2B585DD299E03D12FA4293BC"}});
  ASSERT_EQ(fills.size(), 1u);
  EXPECT_FALSE(fills[0].is_taker);
  EXPECT_EQ(fills[0].leg, 1);
  EXPECT_EQ(fills[0].side, Side::kSell);
  EXPECT_EQ(fills[0].size, Size(5'000'000));
  // A YES/NO mint: a maker BUY of the other token matched against a taker BUY.
  UserTradeEvent mint = trade;
  mint.maker_orders[0].asset_id = "999";
  mint.maker_orders[0].side.reset();
  fills = AttributeFills(mint, {.api_keys = {"00000000-0000-0000-0000-000000000002"}});
  ASSERT_EQ(fills.size(), 1u);
  EXPECT_EQ(fills[0].side, Side::kBuy);
  EXPECT_EQ(fills[0].asset_id, "999");
  // Not ours at all.
  EXPECT_TRUE(AttributeFills(trade, {.api_keys = {"nobody"}}).empty());
}

TEST(RestDecoders, PostResultsIncludingTheEmptyIdRejection) {
  auto live = ParsePostOrderResponse(Fixture("rest/post_order_response_live.json"));
  ASSERT_TRUE(live.ok());
  EXPECT_TRUE(live->accepted());
  EXPECT_EQ(live->making_amount, 100000000);
  auto matched = ParsePostOrderResponse(Fixture("rest/post_order_response_matched.json"));
  ASSERT_TRUE(matched.ok());
  EXPECT_EQ(matched->trade_ids, std::vector<std::string>{"trade-123"});
  auto batch = ParsePostOrdersResponse(Fixture("rest/post_orders_batch_response_mock.json"));
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->size(), 2u);
  EXPECT_FALSE((*batch)[0].accepted());
  EXPECT_EQ((*batch)[0].error_msg, "insufficient balance");
  EXPECT_TRUE((*batch)[1].accepted());
  auto empty_id =
      ParsePostOrdersResponse(R"([{"success":true,"orderID":"","errorMsg":"not enough balance / allowance"}])");
  ASSERT_TRUE(empty_id.ok());
  EXPECT_FALSE((*empty_id)[0].accepted());
  EXPECT_FALSE(ParsePostOrdersResponse(R"({"error":"bad"})").ok());
}

TEST(RestDecoders, PlacementClassesOf2026) {
  const auto leg = [](std::string_view json) {
    auto r = ParsePostOrderResponse(json);
    EXPECT_TRUE(r.ok());
    return r.value_or(PostOrderResult{});
  };
  EXPECT_EQ(leg(R"({"success":true,"orderID":"0x1","status":"delayed","errorMsg":""})").Classify(),
            PlacementClass::kAccepted);
  EXPECT_TRUE(leg(R"({"success":true,"orderID":"0x1","status":"delayed"})").delayed());
  // unmatched: accepted with an unknown resting state, not a rejection.
  EXPECT_EQ(leg(R"({"success":true,"orderID":"0x1","status":"unmatched","errorMsg":""})").Classify(),
            PlacementClass::kUnmatched);
  EXPECT_EQ(leg(R"({"success":true,"orderID":"0x1","status":"queued"})").Classify(), PlacementClass::kUnknown);
  // The live post-only-mode batch quirk: success:true with an error and no id.
  EXPECT_EQ(
      leg(R"({"success":true,"orderID":"","status":"","errorMsg":"post-only mode: only post-only orders and cancels are allowed"})")
          .Classify(),
      PlacementClass::kRejected);
  EXPECT_EQ(leg(R"({"success":true,"orderID":"0x1","status":"live","errorMsg":"some error"})").Classify(),
            PlacementClass::kRejected);
}

TEST(RestDecoders, OrderLookupEmptyNullAndOrder) {
  for (std::string_view body : {"", "null", " null\n", "{}"}) {
    auto r = ParseOrderLookup(body);
    ASSERT_TRUE(r.ok()) << body;
    EXPECT_FALSE(r->has_value()) << body;
  }
  const std::string page = Fixture("rest/data_orders_page.json");
  auto orders = ParseOpenOrdersPage(page);
  ASSERT_TRUE(orders.ok());
  auto found = ParseOrderLookup(EncodeOpenOrder(orders->data.at(0)));
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->id, orders->data[0].id);
  EXPECT_FALSE(ParseOrderLookup("[1,2]").ok());
}

TEST(RestDecoders, ClobMarketRebatesTierAndBanStatus) {
  auto m = ParseClobMarketResponse(
      R"({"c":"0xc","t":[{"t":"1","o":"Yes"},null,{"t":"2","o":"No"}],"mts":0.01,"nr":false,"fd":{"r":0.07,"e":1,"to":true},)"
      R"("mos":5,"mbf":0,"tbf":0,"r":null,"ao":true,"sd":3,"itode":true})");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->token_ids, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(m->tick.units(), 100);
  EXPECT_TRUE(m->fees.enabled);
  EXPECT_EQ(m->fees.rate_ppm, 70'000);
  EXPECT_EQ(m->seconds_delay, 3);
  EXPECT_TRUE(m->taker_delay);
  EXPECT_EQ(m->matching_delay_ms(), 3000);
  auto again = ParseClobMarketResponse(EncodeClobMarket(*m));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->fees, m->fees);
  EXPECT_EQ(again->token_ids, m->token_ids);
  EXPECT_EQ(again->taker_delay, true);
  auto quiet =
      ParseClobMarketResponse(R"({"c":"0xc","t":[{"t":"1","o":"Yes"}],"mts":0.01,"fd":{"r":0,"e":0,"to":true}})");
  ASSERT_TRUE(quiet.ok());
  EXPECT_FALSE(quiet->fees.enabled);
  EXPECT_EQ(quiet->matching_delay_ms(), 0);
  EXPECT_FALSE(ParseClobMarketResponse(R"({"c":"0xc","t":[],"mts":0.01})").ok());

  // The live shape (polyoxide's capture): date as an RFC 3339 midnight.
  auto rebates = ParseRebatesResponse(
      R"([{"date":"2026-02-27T00:00:00Z","condition_id":"0xbd","asset_address":"0xC0","maker_address":"0xFe","rebated_fees_usdc":"0.237519"}])");
  ASSERT_TRUE(rebates.ok()) << rebates.status();
  ASSERT_EQ(rebates->size(), 1u);
  EXPECT_EQ((*rebates)[0].rebated_fees_micros, 237'519);
  auto round = ParseRebatesResponse(EncodeRebates(*rebates));
  ASSERT_TRUE(round.ok());
  EXPECT_EQ((*round)[0].rebated_fees_micros, 237'519);
  EXPECT_TRUE(ParseRebatesResponse("null")->empty());
  EXPECT_FALSE(ParseRebatesResponse(R"([{"date":"d","condition_id":"c","rebated_fees_usdc":"-1"}])").ok());

  EXPECT_EQ(*ParseRateLimitTierResponse(R"({"tier":"Gold"})"), RateTier::kGold);
  EXPECT_EQ(*ParseRateLimitTierResponse(R"({"rate_limit_tier":"platinum"})"), RateTier::kPlatinum);
  EXPECT_EQ(*ParseRateLimitTierResponse(R"("Standard")"), RateTier::kStandard);
  EXPECT_FALSE(ParseRateLimitTierResponse(R"({"tier":"Mythril"})").ok());

  EXPECT_TRUE(ParseBanStatusResponse(R"({"closed_only":true})")->closed_only);
  EXPECT_FALSE(ParseBanStatusResponse(R"({"closed_only":false})")->closed_only);
  EXPECT_FALSE(ParseBanStatusResponse(R"({})").ok());
}

TEST(RestDecoders, GeoblockAnswerAsDocumented) {
  auto g = ParseGeoblockResponse(R"({"blocked":true,"ip":"203.0.113.42","country":"US","region":"NY"})");
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_TRUE(g->blocked);
  EXPECT_EQ(g->country, "US");
  EXPECT_EQ(g->region, "NY");
  EXPECT_EQ(g->ip, "203.0.113.42");
  EXPECT_FALSE(ParseGeoblockResponse(R"({"blocked":false,"country":"IE"})")->blocked);
  EXPECT_FALSE(ParseGeoblockResponse(R"({"country":"IE"})").ok()) << "no verdict is not a pass";
  EXPECT_FALSE(ParseGeoblockResponse("<html>").ok());
}

TEST(RestDecoders, TradingRestrictionsAreTyped) {
  EXPECT_EQ(ClassifyRestriction(425, {}), TradingRestriction::kRestarting);
  EXPECT_EQ(ClassifyRestriction(503, ParseErrorBody(Fixture("rest/error_post_only_mode_503.json"))),
            TradingRestriction::kPostOnly);
  EXPECT_EQ(
      ClassifyRestriction(
          503, {.error = "Trading is currently cancel-only. New orders are not accepted, but cancels are allowed."}),
      TradingRestriction::kCancelOnly);
  EXPECT_EQ(ClassifyRestriction(503, {.error = "Trading is currently disabled. Check polymarket.com for updates"}),
            TradingRestriction::kTradingDisabled);
  EXPECT_EQ(ClassifyRestriction(400, {.error = "'0x1234' address in closed only mode"}),
            TradingRestriction::kClosedOnly);
  EXPECT_EQ(ClassifyRestriction(400, {.error = "not enough balance / allowance"}), TradingRestriction::kNone);
}

TEST(ParseGammaMarkets, FeeSchedule) {
  auto markets = ParseGammaMarkets(R"([{"conditionId":"0xc","clobTokenIds":"[\"1\", \"2\"]","feesEnabled":true,)"
                                   R"("feeSchedule":{"rate":0.03,"exponent":2,"takerOnly":true,"rebateRate":0.25}}])");
  ASSERT_TRUE(markets.ok()) << markets.status();
  const FeeSchedule& f = markets->at(0).fees;
  EXPECT_TRUE(f.enabled);
  EXPECT_EQ(f.rate_ppm, 30'000);
  EXPECT_EQ(f.exponent, 2);
  EXPECT_EQ(f.rebate_ppm, 250'000);
  auto off = ParseGammaMarkets(R"([{"conditionId":"0xc","clobTokenIds":["1"],"feesEnabled":false,)"
                               R"("feeSchedule":{"rate":0.03,"exponent":1}}])");
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->at(0).fees.enabled);
}

TEST(RestDecoders, CancelsPagesBookAndSmallEndpoints) {
  auto cancel = ParseCancelResponse(Fixture("rest/cancel_orders_response.json"));
  ASSERT_TRUE(cancel.ok());
  EXPECT_EQ(cancel->canceled.size(), 2u);
  ASSERT_EQ(cancel->not_canceled.size(), 1u);
  EXPECT_EQ(cancel->not_canceled[0].second, "already canceled or matched");
  auto failed = ParseCancelResponse(Fixture("rest/cancel_order_response_failed.json"));
  ASSERT_TRUE(failed.ok());
  EXPECT_TRUE(failed->canceled.empty());

  auto orders = ParseOpenOrdersPage(Fixture("rest/data_orders_page.json"));
  ASSERT_TRUE(orders.ok()) << orders.status();
  ASSERT_EQ(orders->data.size(), 2u);
  EXPECT_TRUE(orders->last());
  EXPECT_EQ(orders->data[1].size_matched, Size(50'000'000));
  EXPECT_EQ(orders->data[1].price, Price(4000));
  EXPECT_EQ(orders->data[0].created_at_s, 1703875200);

  auto trades = ParseTradesPage(Fixture("rest/data_trades_page.json"));
  ASSERT_TRUE(trades.ok()) << trades.status();
  EXPECT_EQ(trades->data.at(0).status, TradeStatus::kMined);

  auto book = ParseBookResponse(Fixture("rest/book_response_pyclob.json"));
  ASSERT_TRUE(book.ok());
  EXPECT_EQ(book->bids.size(), 4u);
  EXPECT_EQ(book->tick_size->units(), 100);
  EXPECT_FALSE(book->last_trade_price.has_value());
  EXPECT_TRUE(ParseBookResponse(Fixture("rest/book_response_nautilus.json")).ok());

  EXPECT_EQ(ParseTickSizeResponse(R"({"minimum_tick_size": 0.01})")->units(), 100);
  EXPECT_EQ(ParseTickSizeResponse(R"({"minimum_tick_size": 0.0025})")->units(), 25);
  EXPECT_FALSE(ParseTickSizeResponse(R"({"minimum_tick_size": 0.02})").ok());
  EXPECT_TRUE(*ParseNegRiskResponse(R"({"neg_risk": true})"));
  EXPECT_EQ(*ParseFeeRateResponse(R"({"base_fee": 150})"), 150);
  EXPECT_EQ(*ParseFeeRateResponse(R"({"base_fee": "150"})"), 150);
  EXPECT_EQ(*ParseVersionResponse(R"({"version": 2})"), 2);
  EXPECT_EQ(*ParseVersionResponse(R"({})"), 2);
  EXPECT_FALSE(ParseVersionResponse(R"({"version": 9})").ok());
  EXPECT_EQ(*ParseServerTimeResponse("1780449126"), 1780449126);
  EXPECT_EQ(*ParseServerTimeResponse(R"({"time": 5})"), 5);
  auto hb = ParseHeartbeatResponse(R"({"error_msg":"Invalid Heartbeat ID","heartbeat_id":"abc"})");
  EXPECT_EQ(hb->error, "Invalid Heartbeat ID");
  EXPECT_EQ(hb->heartbeat_id, "abc");
  EXPECT_TRUE(*ParseOrderScoringResponse(R"({"scoring": true})"));
  EXPECT_EQ(ParseOrdersScoringResponse(R"({"0xa": true, "0xb": false})")->size(), 2u);
  auto bal = ParseBalanceAllowanceResponse(
      R"({"balance":"1500000","allowances":{"0xex":"115792089237316195423570985008687907853269984665640564039457584007913129639935"}})");
  ASSERT_TRUE(bal.ok());
  EXPECT_EQ(bal->balance, 1500000);
  EXPECT_EQ(bal->allowances.size(), 1u);
  auto key = ParseApiKeyResponse(R"({"apiKey":"k","secret":"s","passphrase":"p"})");
  EXPECT_EQ(key->api_key, "k");
  EXPECT_FALSE(ParseApiKeyResponse(R"({"apiKey":"k"})").ok());
}

TEST(RestDecoders, ErrorBodies) {
  const ErrorBody crosses = ParseErrorBody(Fixture("rest/error_post_only_crosses.json"));
  EXPECT_EQ(crosses.error, "invalid post-only order: order crosses book");
  const ErrorBody mode = ParseErrorBody(Fixture("rest/error_post_only_mode_503.json"));
  EXPECT_EQ(mode.code, "post_only_mode");
  EXPECT_EQ(mode.retry_after_seconds, 79);
  EXPECT_EQ(ParseErrorBody("<html>Bad Gateway</html>").error, "<html>Bad Gateway</html>");
}

TEST(ParseTimestampMs, AllFormats) {
  EXPECT_EQ(*ParseTimestampMs("1703875200000"), 1703875200000);
  EXPECT_EQ(*ParseTimestampMs("1703875200"), 1703875200000);
  EXPECT_EQ(*ParseTimestampMs("2024-01-01T00:00:00Z"), 1704067200000);
  EXPECT_EQ(*ParseTimestampMs("2024-01-01T00:00:00.250Z"), 1704067200250);
  EXPECT_FALSE(ParseTimestampMs("yesterday").ok());
  EXPECT_FALSE(ParseTimestampMs("1012-01-01T00:00:00Z").ok());  // found by the user-channel fuzzer
  EXPECT_FALSE(ParseTimestampMs("-5").ok());
}

TEST(ParseGammaMarkets, EncodedListsCentsAndDates) {
  const std::string body =
      R"([{"conditionId":"0xabc","slug":"will-it-rain","question":"Rain?","clobTokenIds":"[\"111\", \"222\"]",)"
      R"("outcomes":"[\"Yes\", \"No\"]","orderPriceMinTickSize":0.001,"orderMinSize":5,"negRisk":true,)"
      R"("active":true,"closed":false,"acceptingOrders":true,"endDate":"2026-12-31T12:00:00Z",)"
      R"("rewardsMinSize":50,"rewardsMaxSpread":4.5}])";
  auto markets = ParseGammaMarkets(body);
  ASSERT_TRUE(markets.ok()) << markets.status();
  ASSERT_EQ(markets->size(), 1u);
  const MarketMetadata& m = markets->front();
  EXPECT_EQ(m.condition_id, "0xabc");
  EXPECT_EQ(m.token_ids, (std::vector<std::string>{"111", "222"}));
  EXPECT_EQ(m.outcomes, (std::vector<std::string>{"Yes", "No"}));
  EXPECT_EQ(m.tick.units(), 10);
  EXPECT_EQ(m.min_order_size.micros(), 5'000'000);
  EXPECT_TRUE(m.neg_risk);
  EXPECT_TRUE(m.accepting_orders);
  EXPECT_EQ(m.end_time_ms, 1798718400000);
  EXPECT_EQ(m.rewards_min_size.micros(), 50'000'000);
  EXPECT_EQ(m.rewards_max_spread.units(), 450);  // 4.5 cents
  // Plain arrays are accepted too; a market without tokens is refused.
  auto plain = ParseGammaMarkets(R"({"conditionId":"0x1","clobTokenIds":["7","8"]})");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(plain->front().token_ids.size(), 2u);
  EXPECT_FALSE(ParseGammaMarkets(R"([{"conditionId":"0x1"}])").ok());
  EXPECT_FALSE(ParseGammaMarkets(R"([{"conditionId":"0x1","clobTokenIds":"[oops"}])").ok());
  EXPECT_FALSE(ParseGammaMarkets("not json").ok());
}

TEST(ParseReferenceFrame, SimulatorAndRealTimeStreamFormats) {
  auto sim = ParseReferenceFrame(R"([{"symbol":"a","price":"0.512345","timestamp":1700000000123},)"
                                 R"({"symbol":"b","price":"0.25","timestamp":1700000000124}])");
  ASSERT_TRUE(sim.ok()) << sim.status();
  ASSERT_EQ(sim->size(), 2u);
  EXPECT_EQ((*sim)[0].symbol, "a");
  EXPECT_EQ((*sim)[0].price_nanos, 512'345'000);
  EXPECT_EQ((*sim)[0].timestamp_ms, 1700000000123);
  auto rtds = ParseReferenceFrame(R"({"topic":"crypto_prices","type":"update","timestamp":1753314064237,)"
                                  R"("payload":{"symbol":"solusdt","timestamp":1753314064213,"value":189.55}})");
  ASSERT_TRUE(rtds.ok()) << rtds.status();
  ASSERT_EQ(rtds->size(), 1u);
  EXPECT_EQ(rtds->front().symbol, "solusdt");
  EXPECT_EQ(rtds->front().price_nanos, 189'550'000'000);
  EXPECT_EQ(rtds->front().timestamp_ms, 1753314064213);
  // Other topics and control text carry nothing; garbage and bad prices are errors.
  EXPECT_TRUE(ParseReferenceFrame(R"({"topic":"comments","type":"comment_created","payload":{}})")->empty());
  EXPECT_TRUE(ParseReferenceFrame("PONG")->empty());
  EXPECT_FALSE(ParseReferenceFrame("{").ok());
  EXPECT_FALSE(ParseReferenceFrame(R"([{"symbol":"a","price":"-1","timestamp":1}])").ok());
  EXPECT_FALSE(ParseReferenceFrame(R"([{"symbol":"a","price":"abc","timestamp":1}])").ok());
  EXPECT_FALSE(ParseReferenceFrame(R"([{"price":"1","timestamp":1}])").ok());
}

// Exact, not through a double: every four-decimal price, as a string and as a JSON number.
TEST(ParseReferenceFrame, EveryFourDecimalPriceIsExact) {
  int wrong = 0;
  for (int k = 1; k <= 9999; ++k) {
    const std::string price = fmt::format("0.{:04d}", k);
    for (const std::string& value : {"\"" + price + "\"", price}) {
      auto ticks = ParseReferenceFrame(fmt::format(R"([{{"symbol":"a","price":{},"timestamp":1}}])", value));
      ASSERT_TRUE(ticks.ok()) << value << ": " << ticks.status();
      if (ticks->front().price_nanos != int64_t{k} * 100'000)
        ++wrong, ADD_FAILURE() << value << " -> " << ticks->front().price_nanos;
    }
  }
  EXPECT_EQ(wrong, 0);
  auto parse = [](std::string_view value) -> absl::StatusOr<int64_t> {
    CM_ASSIGN_OR_RETURN(auto ticks,
                        ParseReferenceFrame(fmt::format(R"([{{"symbol":"a","price":{},"timestamp":1}}])", value)));
    return ticks.front().price_nanos;
  };
  EXPECT_EQ(*parse("118234.56"), 118'234'560'000'000);
  EXPECT_EQ(*parse("\"118234.560000000999\""), 118'234'560'000'000) << "past the ninth decimal: dropped";
  EXPECT_EQ(*parse("1e-5"), 10'000);
  EXPECT_EQ(*parse("\"2.5E3\""), 2'500'000'000'000);
  EXPECT_EQ(*parse("7"), 7'000'000'000);
  EXPECT_EQ(*parse("\"0\""), 0);
  EXPECT_FALSE(parse("\"1.2.3\"").ok());
  EXPECT_FALSE(parse("\"1e\"").ok());
  EXPECT_FALSE(parse("\"\"").ok());
  EXPECT_FALSE(parse("\" 1\"").ok());
  EXPECT_FALSE(parse("\"nan\"").ok());
  EXPECT_FALSE(parse("-0.5").ok());
  EXPECT_FALSE(parse("1e300").ok()) << "out of range";
  EXPECT_FALSE(parse("\"99999999999\"").ok()) << "out of range";
}

}  // namespace
}  // namespace clobmaker::polymarket
