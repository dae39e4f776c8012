// Decoders from Polymarket JSON into typed events (events.h).
//
// Bad input never crashes and is never dropped silently: a malformed frame, an unknown event
// type, a missing field or a bad value becomes a CodecError in the result (one per offending
// event; the frame's other events still decode), which the caller counts and logs.
// Decoders reuse their parser buffers: keep one per connection; not thread-safe.
#pragma once

#include <absl/status/statusor.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/polymarket/events.h"
#include "common/polymarket/rate_limits.h"

namespace clobmaker::polymarket {

enum class CodecErrorKind : uint8_t { kMalformedJson, kUnknownEventType, kMissingField, kBadValue };
std::string_view CodecErrorKindName(CodecErrorKind kind);

struct CodecError {
  CodecErrorKind kind = CodecErrorKind::kMalformedJson;
  std::string event_type;
  std::string detail;
};

// Adds each error to the counter of its kind (every consumer of the decoders counts them).
struct CodecErrorCounters {
  uint64_t* malformed = nullptr;
  uint64_t* unknown_types = nullptr;
  uint64_t* missing_fields = nullptr;
  uint64_t* bad_values = nullptr;
};
void CountCodecErrors(const std::vector<CodecError>& errors, const CodecErrorCounters& counters);

struct MarketFrame {
  std::vector<MarketEvent> events;
  std::vector<CodecError> errors;
  bool pong = false;     // text "PONG"
  bool control = false;  // other plain-text server notices ("NO NEW ASSETS", ...)
  void Clear();
};

struct UserFrame {
  std::vector<UserEvent> events;
  std::vector<CodecError> errors;
  bool pong = false;
  bool control = false;
  void Clear();
};

class MarketDecoder {
 public:
  MarketDecoder();
  ~MarketDecoder();
  // A frame holds one event object or an array of them.
  void Decode(std::string_view frame, MarketFrame& out);
  MarketFrame Decode(std::string_view frame);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class UserDecoder {
 public:
  UserDecoder();
  ~UserDecoder();
  // Events lacking `event_type` are recognised by `type` (PLACEMENT/UPDATE/CANCELLATION/TRADE).
  void Decode(std::string_view frame, UserFrame& out);
  UserFrame Decode(std::string_view frame);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// REST bodies. InvalidArgument with the reason on malformed input.
absl::StatusOr<PostOrderResult> ParsePostOrderResponse(std::string_view body);
absl::StatusOr<std::vector<PostOrderResult>> ParsePostOrdersResponse(std::string_view body);
absl::StatusOr<CancelResult> ParseCancelResponse(std::string_view body);
absl::StatusOr<OpenOrder> ParseOpenOrder(std::string_view body);
// GET /data/order/{id}: the exchange returns only *active* orders; for an unknown or inactive id it
// answers 200 with an empty body or the literal `null` (NautilusTrader's send_get_optional). Those
// are nullopt ("not active at the venue", never "never existed"); an order object is the order.
absl::StatusOr<std::optional<OpenOrder>> ParseOrderLookup(std::string_view body);
absl::StatusOr<Page<OpenOrder>> ParseOpenOrdersPage(std::string_view body);
absl::StatusOr<Page<UserTradeEvent>> ParseTradesPage(std::string_view body);
absl::StatusOr<BookEvent> ParseBookResponse(std::string_view body);
absl::StatusOr<model::TickSize> ParseTickSizeResponse(std::string_view body);
absl::StatusOr<bool> ParseNegRiskResponse(std::string_view body);
absl::StatusOr<int64_t> ParseFeeRateResponse(std::string_view body);
// {"version": N}; a missing field means 2 (as the official clients assume).
absl::StatusOr<int> ParseVersionResponse(std::string_view body);
// A bare number of seconds, or {"time"|"timestamp": N}.
absl::StatusOr<int64_t> ParseServerTimeResponse(std::string_view body);
absl::StatusOr<HeartbeatResult> ParseHeartbeatResponse(std::string_view body);
absl::StatusOr<bool> ParseOrderScoringResponse(std::string_view body);
absl::StatusOr<std::map<std::string, bool>> ParseOrdersScoringResponse(std::string_view body);
absl::StatusOr<BalanceAllowance> ParseBalanceAllowanceResponse(std::string_view body);
absl::StatusOr<ApiKeyCreds> ParseApiKeyResponse(std::string_view body);
absl::StatusOr<ClobMarketInfo> ParseClobMarketResponse(std::string_view body);
// An array of entries (or {"data": [...]}; null = none).
absl::StatusOr<std::vector<RebateEntry>> ParseRebatesResponse(std::string_view body);
// GET /v1/user/rate-limit-tier. The body's shape is not documented: {"tier": "Standard"} (or
// "rate_limit_tier" / "rateLimitTier" / "name"), or a bare string, are accepted.
absl::StatusOr<RateTier> ParseRateLimitTierResponse(std::string_view body);
absl::StatusOr<BanStatus> ParseBanStatusResponse(std::string_view body);
// GET /api/geoblock: {"blocked": bool, "ip", "country", "region"}; `blocked` is required.
absl::StatusOr<Geoblock> ParseGeoblockResponse(std::string_view body);
// The metadata API's market list (Gamma `GET /markets?slug=...|clob_token_ids=...`): an array of
// markets, or one market object. `clobTokenIds` and `outcomes` are JSON arrays encoded as strings
// there; both forms are accepted. The rewards spread is in cents, as Gamma writes it.
absl::StatusOr<std::vector<MarketMetadata>> ParseGammaMarkets(std::string_view body);
// Reference-price frames. Two formats are recognised:
//  - the simulator's: [{"symbol":"s","price":"0.5","timestamp":ms}, ...] (or one object);
//  - Polymarket's real-time data stream: {"topic":"crypto_prices","type":"update",
//    "payload":{"symbol":"btcusdt","value":67234.5,"timestamp":ms}}.
// Other topics, pongs and subscription acknowledgements give an empty list; malformed input is
// InvalidArgument. Prices are truncated to 10^-9 (reference prices are not order prices).
absl::StatusOr<std::vector<ReferenceTick>> ParseReferenceFrame(std::string_view frame);

// Never fails: an unparseable body becomes ErrorBody{error = the raw text (truncated)}.
ErrorBody ParseErrorBody(std::string_view body);

// A client's websocket subscription message (what the simulator receives).
struct SubscribeRequest {
  std::string type;       // "market", "user" or "" for an update
  std::string operation;  // "subscribe", "unsubscribe" or "" for the initial message
  std::vector<std::string> asset_ids;
  std::vector<std::string> markets;
  std::optional<ApiKeyCreds> auth;
  bool initial_dump = true;
};
absl::StatusOr<SubscribeRequest> ParseSubscribeRequest(std::string_view message);

// Timestamps as the exchange writes them: ms or s digits (numbers or strings), or ISO 8601
// "2024-01-01T00:00:00Z". Returns milliseconds; InvalidArgument otherwise.
absl::StatusOr<int64_t> ParseTimestampMs(std::string_view text);

}  // namespace clobmaker::polymarket
