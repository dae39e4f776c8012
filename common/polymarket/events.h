// Typed Polymarket messages: the market and user websocket channels and every REST response
// clobmaker uses, with integer prices and sizes (docs/protocol.md). Decoders (decode.h) build
// these from JSON; encoders (encode.h) write them for the simulator, so both sides share one
// definition. Identifiers (order, trade, market, asset ids) stay strings exactly as sent.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "common/model/types.h"
#include "common/polymarket/fees.h"

namespace clobmaker::polymarket {

struct Level {
  model::Price price;
  model::Size size;
  friend bool operator==(const Level&, const Level&) = default;
};

// ---------------------------------------------------------------------------------------------
// Market channel

// A full book snapshot (websocket `book` or REST GET /book). Levels in the order sent. `hash` is
// advisory only: it can depend on a trade that arrives later (py-clob-client-v2 #117).
struct BookEvent {
  std::string asset_id;
  std::string market;
  int64_t timestamp_ms = 0;
  std::string hash;
  std::vector<Level> bids;
  std::vector<Level> asks;
  // REST /book, and (since 2026) the websocket `book` too: tick_size, last_trade_price.
  std::optional<model::TickSize> tick_size;
  std::optional<model::Size> min_order_size;
  std::optional<bool> neg_risk;
  std::optional<model::Price> last_trade_price;
  // REST /book: the body's hash did not match its content. Advisory only (the hash can depend on
  // a trade that arrives later): the book is used; the consumer re-fetches once and counts it.
  bool hash_mismatch = false;
};

// One level's new aggregate size ("0" removes the level).
struct PriceChange {
  std::string asset_id;
  model::Price price;
  model::Size size;
  model::Side side = model::Side::kBuy;  // BUY = bid level, SELL = ask level
  std::string hash;
  std::optional<model::Price> best_bid;  // after the change
  std::optional<model::Price> best_ask;
};

struct PriceChangeEvent {
  std::string market;
  int64_t timestamp_ms = 0;
  std::vector<PriceChange> changes;
};

struct TickSizeChangeEvent {
  std::string asset_id;
  std::string market;
  model::TickSize old_tick;
  model::TickSize new_tick;
  int64_t timestamp_ms = 0;
};

struct LastTradePriceEvent {
  std::string asset_id;
  std::string market;
  model::Price price;
  model::Size size;
  model::Side side = model::Side::kBuy;
  int64_t fee_rate_bps = 0;
  int64_t timestamp_ms = 0;
  std::string transaction_hash;  // the trade's transaction (sent since 2026; may be empty)
};

struct BestBidAskEvent {
  std::string asset_id;
  std::string market;
  std::optional<model::Price> best_bid;
  std::optional<model::Price> best_ask;
  int64_t timestamp_ms = 0;
};

struct MarketResolvedEvent {
  std::string market;
  std::vector<std::string> asset_ids;
  std::string winning_asset_id;
  std::string winning_outcome;
  int64_t timestamp_ms = 0;
};

struct NewMarketEvent {
  std::string market;
  std::vector<std::string> asset_ids;
  std::string slug;
  std::string question;
  int64_t timestamp_ms = 0;
  std::vector<std::string> clob_token_ids;  // 2026 field; the same tokens as asset_ids when both are sent
  bool fees_enabled = false;
  std::optional<FeeSchedule> fee_schedule;  // `fee_schedule {rate, exponent, taker_only, rebate_rate}`
};

using MarketEvent = std::variant<BookEvent, PriceChangeEvent, TickSizeChangeEvent, LastTradePriceEvent, BestBidAskEvent,
                                 MarketResolvedEvent, NewMarketEvent>;

// ---------------------------------------------------------------------------------------------
// User channel

enum class OrderEventType : uint8_t { kPlacement, kUpdate, kCancellation };
std::string_view OrderEventTypeName(OrderEventType type);

struct UserOrderEvent {
  OrderEventType type = OrderEventType::kPlacement;
  std::string id;
  std::string owner;
  std::string order_owner;
  std::string market;
  std::string asset_id;
  model::Side side = model::Side::kBuy;
  model::Price price;
  model::Size original_size;
  model::Size size_matched;
  std::string outcome;
  std::vector<std::string> associate_trades;
  std::string order_type;
  int64_t expiration_s = 0;
  int64_t created_at_ms = 0;
  std::string maker_address;
  std::string status;         // as sent, e.g. "CANCELED_order couldn't be fully filled. ..."
  std::string status_base;    // "LIVE", "MATCHED", "CANCELED", "INVALID", ...
  std::string status_reason;  // the text after "CANCELED_", if any
  int64_t timestamp_ms = 0;
};

// MATCHED_NOT_BROADCASTED (2026) is provisional like MATCHED; CONFIRMED and FAILED are the only
// terminal statuses. kUnknown: a status string we do not know, kept in `status_text`, never final.
enum class TradeStatus : uint8_t { kMatched, kMined, kConfirmed, kRetrying, kFailed, kMatchedNotBroadcasted, kUnknown };
std::string_view TradeStatusName(TradeStatus status);
bool IsFinal(TradeStatus status);

struct MakerOrderLeg {
  std::string order_id;
  std::string owner;
  std::string maker_address;
  model::Size matched_amount;
  model::Price price;
  std::string asset_id;
  std::string outcome;
  std::optional<model::Side> side;
  int64_t fee_rate_bps = 0;
};

// A trade, from the user channel (`trade`) or GET /data/trades.
struct UserTradeEvent {
  std::string id;
  std::string taker_order_id;
  std::string market;
  std::string asset_id;
  model::Side side = model::Side::kBuy;  // taker side
  model::Size size;
  model::Price price;
  TradeStatus status = TradeStatus::kMatched;
  std::string status_text;  // as sent when status is kUnknown
  int64_t match_time_ms = 0;
  int64_t last_update_ms = 0;
  std::string owner;
  std::string trade_owner;
  std::string maker_address;
  std::string trader_side;  // "TAKER", "MAKER" or empty
  int64_t fee_rate_bps = 0;
  std::string transaction_hash;
  int64_t bucket_index = 0;
  std::string err_msg;
  std::vector<MakerOrderLeg> maker_orders;
  int64_t timestamp_ms = 0;
};

using UserEvent = std::variant<UserOrderEvent, UserTradeEvent>;

// Who "we" are, to find our legs in a trade: our API key(s) and maker/funder addresses.
struct Identity {
  std::vector<std::string> api_keys;
  std::vector<std::string> addresses;  // any case
};

struct OurFill {
  std::string order_id;
  std::string asset_id;
  model::Side side = model::Side::kBuy;
  model::Price price;
  model::Size size;
  bool is_taker = false;
  int leg = -1;              // index into maker_orders, -1 for the taker leg
  int64_t fee_rate_bps = 0;  // the leg's rate as sent (the trade's for the taker leg)
};

// Our legs of a trade: the taker leg when we placed the taker order, and every maker_orders
// entry that is ours. A maker leg on the other outcome token (a YES/NO mint or merge) has the
// taker's side; on the same token, the opposite side (unless the leg states its side).
std::vector<OurFill> AttributeFills(const UserTradeEvent& trade, const Identity& us);

// ---------------------------------------------------------------------------------------------
// REST

// How a placement answer is to be read (ts-sdk's normalisation, docs' order-lifecycle page):
//  kAccepted   success, no error, an id, status live | matched | delayed (delayed: queued behind a
//              matching delay, not yet on the book, never a fill) -- or no status (older shape);
//  kUnmatched  status "unmatched": the docs say placed on the book after its delay expired
//              without a match, the SDKs a rejection. Safe reading: accepted, resting state
//              unknown: resolved by a query or a listing, never a proof of absence;
//  kUnknown    an id and no error but a status we do not know: not final, counted;
//  kRejected   everything else (success:false, an error, an empty id).
enum class PlacementClass : uint8_t { kAccepted, kUnmatched, kUnknown, kRejected };

// POST /order, or one element of POST /orders.
struct PostOrderResult {
  bool success = false;
  std::string order_id;
  std::string status;  // live | matched | delayed | unmatched | ...
  std::string error_msg;
  int64_t making_amount = 0;  // 10^-6 units; "" = 0
  int64_t taking_amount = 0;
  std::vector<std::string> transaction_hashes;
  std::vector<std::string> trade_ids;
  // Accepted = success && errorMsg == "" && orderID != "" && status in {live, matched, delayed}.
  // A success:true leg with an empty id is a rejection (seen live on batches).
  bool accepted() const { return Classify() == PlacementClass::kAccepted; }
  bool delayed() const { return status == "delayed"; }
  PlacementClass Classify() const;
};

struct CancelResult {
  std::vector<std::string> canceled;
  std::vector<std::pair<std::string, std::string>> not_canceled;  // id -> reason
};

struct OpenOrder {
  std::string id;
  std::string status;
  std::string owner;
  std::string maker_address;
  std::string market;
  std::string asset_id;
  model::Side side = model::Side::kBuy;
  model::Size original_size;
  model::Size size_matched;
  model::Price price;
  std::string outcome;
  std::vector<std::string> associate_trades;
  int64_t created_at_s = 0;
  int64_t expiration_s = 0;
  std::string order_type;
};

template <typename T>
struct Page {
  std::vector<T> data;
  std::string next_cursor;  // "LTE=" ends the listing
  bool last() const { return next_cursor.empty() || next_cursor == "LTE="; }
};

inline constexpr std::string_view kFirstCursor = "MA==";
inline constexpr std::string_view kEndCursor = "LTE=";

struct HeartbeatResult {
  std::string heartbeat_id;
  std::string error;  // "Invalid Heartbeat ID" etc.; then heartbeat_id is the one expected
};

struct BalanceAllowance {
  int64_t balance = 0;                            // 10^-6 units
  std::map<std::string, std::string> allowances;  // spender -> amount as sent (may exceed int64)
};

// GET /clob-markets/{condition_id}: the CLOB's compact market record (what the official client
// reads for ticks, neg-risk and fees): `c`, `t` [{t, o}], `mts`, `nr`, `fd {r, e, to}`, `mos`,
// `ao`, `sd` (the sports matching delay, seconds), `itode` (the 250 ms taker delay).
struct ClobMarketInfo {
  std::string condition_id;
  std::vector<std::string> token_ids;
  std::vector<std::string> outcomes;
  model::TickSize tick;
  bool neg_risk = false;
  model::Size min_order_size;
  bool accepting_orders = true;
  FeeSchedule fees;  // enabled when `fd` has a rate
  int64_t seconds_delay = 0;
  bool taker_delay = false;  // itode
  // The matching delay an order of this market may sit in (the longer of the two).
  int64_t matching_delay_ms() const { return std::max<int64_t>(seconds_delay * 1000, taker_delay ? 250 : 0); }
};

// GET /rebates/current?date=YYYY-MM-DD&maker_address=0x...: one entry per market and day.
struct RebateEntry {
  std::string date;  // as sent ("2026-02-27T00:00:00Z" live; the docs say YYYY-MM-DD)
  std::string condition_id;
  std::string asset_address;
  std::string maker_address;
  int64_t rebated_fees_micros = 0;  // rebated_fees_usdc
};

// GET https://polymarket.com/api/geoblock (the web host, not the CLOB): the requesting IP's
// standing. The answer has no close-only flag: close-only is read from the country's code.
struct Geoblock {
  bool blocked = false;
  std::string ip;
  std::string country;  // ISO 3166-1 alpha-2
  std::string region;
};

// GET /auth/ban-status/closed-only.
struct BanStatus {
  bool closed_only = false;
};

// A market as the metadata API (Gamma) describes it: what marketdata resolves a slug or a token
// into. Prices in units of 10^-4, sizes in 10^-6.
struct MarketMetadata {
  std::string condition_id;
  std::string slug;
  std::string question;
  std::vector<std::string> token_ids;  // in outcome order (YES first for binary markets)
  std::vector<std::string> outcomes;
  model::TickSize tick;
  model::Size min_order_size;
  bool neg_risk = false;
  bool active = false;
  bool closed = false;
  bool accepting_orders = false;
  int64_t end_time_ms = 0;  // 0 = none given
  model::Size rewards_min_size;
  model::Price rewards_max_spread;  // the band around the mid within which quotes score
  FeeSchedule fees;                 // feesEnabled + feeSchedule
};

// One reference price (an external price a market is quoted around), from whichever feed.
struct ReferenceTick {
  std::string symbol;
  int64_t price_nanos = 0;  // price x 10^9: reference assets are not on the exchange's tick grid
  int64_t timestamp_ms = 0;
};

struct ApiKeyCreds {
  std::string api_key;
  std::string secret;
  std::string passphrase;
};

// Error bodies: {"error": ..., "code": ..., "retry_after_seconds": ...} (or "error_msg").
struct ErrorBody {
  std::string error;
  std::string code;
  std::optional<int64_t> retry_after_seconds;
};

// Trading restrictions, typed from an answer (ts-sdk's RequestRejectedError.restriction plus the
// two it leaves to the message): posts stop under each of them; cancels go on.
enum class TradingRestriction : uint8_t {
  kNone,
  kRestarting,       // 425: the matching engine restarts
  kPostOnly,         // 503 + code post_only_mode (+ retry_after_seconds): only post-only orders
  kCancelOnly,       // "Trading is currently cancel-only. New orders are not accepted, ..."
  kTradingDisabled,  // 503 "Trading is currently disabled"
  kClosedOnly,       // the account is in closed-only mode ("address in closed only mode")
};
std::string_view TradingRestrictionName(TradingRestriction restriction);
TradingRestriction ClassifyRestriction(int http_status, const ErrorBody& error);
TradingRestriction ClassifyRestrictionText(std::string_view error);

}  // namespace clobmaker::polymarket
