// Encoders for every message the simulator emits (and tests replay), the inverse of decode.h:
// what Encode* writes, the decoders read back to equal values. Prices and sizes are written as
// their shortest exact decimal ("0.5", "25.1"), amounts as base-unit integers.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/polymarket/events.h"

namespace clobmaker::polymarket {

std::string EncodeMarketEvent(const MarketEvent& event);
// A frame of several events: a JSON array.
std::string EncodeMarketFrame(const std::vector<MarketEvent>& events);
std::string EncodeUserEvent(const UserEvent& event);

std::string EncodePostOrderResult(const PostOrderResult& result);
std::string EncodePostOrdersResponse(const std::vector<PostOrderResult>& results);
std::string EncodeCancelResult(const CancelResult& result);
std::string EncodeOpenOrder(const OpenOrder& order);
std::string EncodeOpenOrdersPage(const Page<OpenOrder>& page);
std::string EncodeTradesPage(const Page<UserTradeEvent>& page);
std::string EncodeErrorBody(const ErrorBody& error);
std::string EncodeHeartbeat(const HeartbeatResult& result);
std::string EncodeBalanceAllowance(const BalanceAllowance& balance);
std::string EncodeApiKey(const ApiKeyCreds& creds);
std::string EncodeClobMarket(const ClobMarketInfo& market);
std::string EncodeRebates(const std::vector<RebateEntry>& entries);

// Websocket subscription messages (client -> exchange).
// Market: {"assets_ids":[...],"type":"market","initial_dump":true,"custom_feature_enabled":true}
std::string MarketSubscribeMessage(const std::vector<std::string>& asset_ids, bool initial_dump = true);
// Later changes on the same connection: {"assets_ids":[...],"operation":"subscribe"|"unsubscribe"}
std::string MarketSubscriptionUpdate(const std::vector<std::string>& asset_ids, bool subscribe);
// User: {"auth":{"apiKey","secret","passphrase"},"type":"user","markets":[...],"assets_ids":[],"initial_dump":true}
std::string UserSubscribeMessage(const ApiKeyCreds& creds, const std::vector<std::string>& markets);
// Later changes on an open user connection: {"markets":[...],"operation":"subscribe"|"unsubscribe"}
std::string UserSubscriptionUpdate(const std::vector<std::string>& markets, bool subscribe);

// GET /book body, with `hash` computed as the exchange does (BookSummaryHash) when `book.hash`
// is empty. Levels are written best last (bids ascending, asks descending), as the exchange does.
std::string EncodeRestBook(const BookEvent& book);

// The REST book hash: SHA-1 hex of the compact JSON {market, asset_id, timestamp, hash: "",
// bids, asks, min_order_size, tick_size, neg_risk, last_trade_price} with every value as text
// exactly as in the body (py-clob-client generate_orderbook_summary_hash).
struct BookSummaryText {
  std::string market;
  std::string asset_id;
  std::string timestamp;
  std::vector<std::pair<std::string, std::string>> bids;  // price, size as written
  std::vector<std::pair<std::string, std::string>> asks;
  std::string min_order_size;
  std::string tick_size;
  bool neg_risk = false;
  std::string last_trade_price;
};
std::string BookSummaryHash(const BookSummaryText& summary);

enum class BookHashVerdict { kMatch, kMismatch, kUncheckable };
// Checks the hash of a raw GET /book body (the text as received, so number formatting is
// exactly the exchange's). Uncheckable when the body lacks a hash or any summary field.
BookHashVerdict VerifyRestBookHash(std::string_view body);

}  // namespace clobmaker::polymarket
