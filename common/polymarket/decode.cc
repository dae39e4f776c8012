// All JSON decoding in one translation unit: simdjson's DOM API (one parser per decoder, its
// buffers reused frame after frame). simdjson.h is large, so it is included nowhere else.
#include "common/polymarket/decode.h"

#include <fmt/core.h>
#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <ctime>

#include "common/core/status.h"
#include "common/model/decimal.h"

namespace clobmaker::polymarket {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\r' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

bool IsControlText(std::string_view s) { return s == "NO NEW ASSETS" || s == "PING" || s == "pong"; }

// Reads fields of one JSON object, remembering the first problem. Numbers are accepted where
// strings are expected (and vice versa) because the exchange is not consistent about it.
class Reader {
 public:
  Reader(object obj, std::string_view type) : obj_(obj), type_(type) {}

  bool ok() const { return !error_.has_value(); }
  CodecError TakeError() { return std::move(*error_); }

  // Field as text: strings as is, numbers printed exactly (shortest round-trip form),
  // booleans as true/false; nullopt when missing or null.
  std::optional<std::string> Text(const char* key) {
    element e;
    if (obj_[key].get(e) != simdjson::SUCCESS || e.is_null()) return std::nullopt;
    switch (e.type()) {
      case simdjson::dom::element_type::STRING:
        return std::string(std::string_view(e.get_string().value_unsafe()));
      case simdjson::dom::element_type::INT64:
        return std::to_string(int64_t(e.get_int64().value_unsafe()));
      case simdjson::dom::element_type::UINT64:
        return std::to_string(uint64_t(e.get_uint64().value_unsafe()));
      case simdjson::dom::element_type::DOUBLE:
        return fmt::format("{}", double(e.get_double().value_unsafe()));
      case simdjson::dom::element_type::BOOL:
        return std::string(bool(e.get_bool().value_unsafe()) ? "true" : "false");
      default:
        Fail(CodecErrorKind::kBadValue, fmt::format("field '{}' has an unexpected type", key));
        return std::nullopt;
    }
  }

  std::string Str(const char* key, bool required = true) {
    auto text = Text(key);
    if (!text) {
      if (required) Fail(CodecErrorKind::kMissingField, fmt::format("missing field '{}'", key));
      return {};
    }
    return std::move(*text);
  }

  std::optional<model::Price> OptPrice(const char* key) {
    auto text = Text(key);
    if (!text || text->empty()) return std::nullopt;
    auto p = model::Price::Parse(*text);
    if (!p.ok()) {
      Fail(CodecErrorKind::kBadValue, fmt::format("field '{}': {}", key, StatusText(p.status())));
      return std::nullopt;
    }
    return *p;
  }
  model::Price Price(const char* key) {
    if (!Has(key)) {
      Fail(CodecErrorKind::kMissingField, fmt::format("missing field '{}'", key));
      return {};
    }
    return OptPrice(key).value_or(model::Price());
  }

  // Sizes: "" and null are zero (the exchange sends both).
  model::Size Size(const char* key, bool required = true) {
    auto text = Text(key);
    if (!text) {
      if (required && !Has(key)) Fail(CodecErrorKind::kMissingField, fmt::format("missing field '{}'", key));
      return {};
    }
    if (text->empty()) return {};
    auto s = model::Size::Parse(*text);
    if (!s.ok()) {
      Fail(CodecErrorKind::kBadValue, fmt::format("field '{}': {}", key, StatusText(s.status())));
      return {};
    }
    return *s;
  }

  model::Side Side(const char* key) {
    const std::string text = Str(key);
    if (!ok()) return model::Side::kBuy;
    auto side = model::ParseSide(text);
    if (!side.ok()) {
      Fail(CodecErrorKind::kBadValue, fmt::format("field '{}': {}", key, StatusText(side.status())));
      return model::Side::kBuy;
    }
    return *side;
  }
  std::optional<model::Side> OptSide(const char* key) {
    auto text = Text(key);
    if (!text || text->empty()) return std::nullopt;
    auto side = model::ParseSide(*text);
    if (!side.ok()) return std::nullopt;
    return *side;
  }

  model::TickSize Tick(const char* key) {
    const std::string text = Str(key);
    if (!ok()) return {};
    auto tick = model::TickSize::Parse(text);
    if (!tick.ok()) {
      Fail(CodecErrorKind::kBadValue, fmt::format("field '{}': {}", key, StatusText(tick.status())));
      return {};
    }
    return *tick;
  }

  int64_t TimestampMs(const char* key, bool required = false) {
    auto text = Text(key);
    if (!text || text->empty()) {
      if (required) Fail(CodecErrorKind::kMissingField, fmt::format("missing field '{}'", key));
      return 0;
    }
    auto ms = ParseTimestampMs(*text);
    if (!ms.ok()) {
      Fail(CodecErrorKind::kBadValue, fmt::format("field '{}': {}", key, StatusText(ms.status())));
      return 0;
    }
    return *ms;
  }

  int64_t Int(const char* key, int64_t fallback = 0) {
    auto text = Text(key);
    if (!text || text->empty()) return fallback;
    int64_t value = 0;
    const auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc() || ptr != text->data() + text->size()) {
      Fail(CodecErrorKind::kBadValue, fmt::format("field '{}' is not an integer: '{}'", key, *text));
      return fallback;
    }
    return value;
  }

  std::vector<std::string> Strings(const char* key) {
    std::vector<std::string> out;
    array arr;
    if (obj_[key].get(arr) != simdjson::SUCCESS) return out;  // missing or null: empty
    for (element e : arr) {
      std::string_view s;
      if (e.get(s) == simdjson::SUCCESS) out.emplace_back(s);
    }
    return out;
  }

  bool Has(const char* key) {
    element e;
    return obj_[key].get(e) == simdjson::SUCCESS;
  }

  object obj() const { return obj_; }
  void Fail(CodecErrorKind kind, std::string detail) {
    if (!error_) error_ = CodecError{kind, std::string(type_), std::move(detail)};
  }

 private:
  object obj_;
  std::string_view type_;
  std::optional<CodecError> error_;
};

bool ReadLevels(Reader& r, const char* key, std::vector<Level>& out) {
  array arr;
  if (r.obj()[key].get(arr) != simdjson::SUCCESS) {
    element e;
    if (r.obj()[key].get(e) == simdjson::SUCCESS && e.is_null()) return true;
    r.Fail(CodecErrorKind::kMissingField, fmt::format("missing array '{}'", key));
    return false;
  }
  out.reserve(arr.size());
  // Hot path (30-level books): one pass over each level's fields, no allocation.
  for (element e : arr) {
    object level;
    if (e.get(level) != simdjson::SUCCESS) {
      r.Fail(CodecErrorKind::kBadValue, fmt::format("'{}' holds a non-object level", key));
      return false;
    }
    std::string_view price_text, size_text;
    bool has_price = false, has_size = false;
    for (auto field : level) {
      std::string_view text;
      if (field.value.get(text) != simdjson::SUCCESS) {
        r.Fail(CodecErrorKind::kBadValue,
               fmt::format("{} level field '{}' is not a string", key, std::string_view(field.key)));
        return false;
      }
      if (field.key == "price") {
        price_text = text;
        has_price = true;
      } else if (field.key == "size") {
        size_text = text;
        has_size = true;
      }
    }
    if (!has_price || !has_size) {
      r.Fail(CodecErrorKind::kMissingField, fmt::format("{} level without price or size", key));
      return false;
    }
    auto price = model::ParseScaled(price_text, model::kPriceScale, {.max_units = model::kPriceOne});
    auto size = model::ParseScaled(size_text, model::kQuantityScale);
    if (!price.ok() || !size.ok()) {
      r.Fail(CodecErrorKind::kBadValue,
             fmt::format("{} level has a bad price '{}' or size '{}'", key, price_text, size_text));
      return false;
    }
    out.push_back(Level{model::Price(*price), model::Size(*size)});
  }
  return true;
}

// A rate or share written as a decimal fraction ("0.07", 0.2) -> parts per million.
int64_t Ppm(Reader& r, const char* key) {
  auto text = r.Text(key);
  if (!text || text->empty()) return 0;
  auto v = model::ParseScaled(*text, 6);
  if (!v.ok() || *v < 0 || *v > 1'000'000) {
    r.Fail(CodecErrorKind::kBadValue, fmt::format("field '{}' is not a fraction: '{}'", key, *text));
    return 0;
  }
  return *v;
}

// {rate, exponent, takerOnly|taker_only, rebateRate|rebate_rate}
FeeSchedule ReadFeeSchedule(Reader& r, bool enabled) {
  FeeSchedule f;
  f.rate_ppm = Ppm(r, "rate");
  f.exponent = static_cast<int>(r.Int("exponent", 1));
  if (f.exponent < 0 || f.exponent > 8) {
    r.Fail(CodecErrorKind::kBadValue, fmt::format("fee exponent {} out of range", f.exponent));
    f.exponent = 1;
  }
  const auto taker_only = r.Text(r.Has("takerOnly") ? "takerOnly" : "taker_only");
  f.taker_only = taker_only.value_or("true") != "false";
  f.rebate_ppm = Ppm(r, r.Has("rebateRate") ? "rebateRate" : "rebate_rate");
  f.enabled = enabled && f.rate_ppm > 0;
  return f;
}

BookEvent ReadBook(Reader& r) {
  BookEvent book;
  book.asset_id = r.Str("asset_id");
  book.market = r.Str("market", false);
  book.timestamp_ms = r.TimestampMs("timestamp");
  book.hash = r.Str("hash", false);
  // Old docs name the arrays buys/sells.
  ReadLevels(r, r.Has("bids") || !r.Has("buys") ? "bids" : "buys", book.bids);
  ReadLevels(r, r.Has("asks") || !r.Has("sells") ? "asks" : "sells", book.asks);
  if (auto tick = r.Text("tick_size"); tick && !tick->empty()) {
    auto t = model::TickSize::Parse(*tick);
    if (t.ok()) book.tick_size = *t;
  }
  if (auto min = r.Text("min_order_size"); min && !min->empty()) {
    auto s = model::Size::Parse(*min);
    if (s.ok()) book.min_order_size = *s;
  }
  if (auto nr = r.Text("neg_risk")) book.neg_risk = *nr == "true";
  book.last_trade_price = r.OptPrice("last_trade_price");
  return book;
}

std::optional<MarketEvent> ReadMarketEvent(object obj, CodecError& error) {
  std::string_view type;
  if (obj["event_type"].get(type) != simdjson::SUCCESS) {
    error = {CodecErrorKind::kMissingField, "", "missing field 'event_type'"};
    return std::nullopt;
  }
  Reader r(obj, type);
  std::optional<MarketEvent> event;
  if (type == "book") {
    event = ReadBook(r);
  } else if (type == "price_change") {
    PriceChangeEvent pc;
    pc.market = r.Str("market", false);
    pc.timestamp_ms = r.TimestampMs("timestamp");
    array changes;
    if (obj["price_changes"].get(changes) == simdjson::SUCCESS) {
      pc.changes.reserve(changes.size());
      for (element e : changes) {
        object c;
        if (e.get(c) != simdjson::SUCCESS) {
          r.Fail(CodecErrorKind::kBadValue, "price_changes holds a non-object");
          break;
        }
        Reader cr(c, type);
        PriceChange change{cr.Str("asset_id"),    cr.Price("price"),       cr.Size("size"),        cr.Side("side"),
                           cr.Str("hash", false), cr.OptPrice("best_bid"), cr.OptPrice("best_ask")};
        if (!cr.ok()) {
          r.Fail(CodecErrorKind::kBadValue, cr.TakeError().detail);
          break;
        }
        pc.changes.push_back(std::move(change));
      }
    } else {
      // The older shape: one asset per message with a `changes` array.
      const std::string asset = r.Str("asset_id");
      array old;
      if (r.ok() && obj["changes"].get(old) == simdjson::SUCCESS) {
        for (element e : old) {
          object c;
          if (e.get(c) != simdjson::SUCCESS) continue;
          Reader cr(c, type);
          PriceChange change{asset,        cr.Price("price"), cr.Size("size"), cr.Side("side"), r.Str("hash", false),
                             std::nullopt, std::nullopt};
          if (!cr.ok()) {
            r.Fail(CodecErrorKind::kBadValue, cr.TakeError().detail);
            break;
          }
          pc.changes.push_back(std::move(change));
        }
      } else if (r.ok()) {
        r.Fail(CodecErrorKind::kMissingField, "missing 'price_changes' (or 'changes')");
      }
    }
    event = std::move(pc);
  } else if (type == "tick_size_change") {
    event = TickSizeChangeEvent{r.Str("asset_id"), r.Str("market", false), r.Tick("old_tick_size"),
                                r.Tick("new_tick_size"), r.TimestampMs("timestamp")};
  } else if (type == "last_trade_price") {
    event = LastTradePriceEvent{
        r.Str("asset_id"), r.Str("market", false), r.Price("price"),           r.Size("size"),
        r.Side("side"),    r.Int("fee_rate_bps"),  r.TimestampMs("timestamp"), r.Str("transaction_hash", false)};
  } else if (type == "best_bid_ask") {
    event = BestBidAskEvent{r.Str("asset_id"), r.Str("market", false), r.OptPrice("best_bid"), r.OptPrice("best_ask"),
                            r.TimestampMs("timestamp")};
  } else if (type == "market_resolved") {
    event = MarketResolvedEvent{r.Str("market"), r.Strings("assets_ids"), r.Str("winning_asset_id"),
                                r.Str("winning_outcome", false), r.TimestampMs("timestamp")};
  } else if (type == "new_market") {
    NewMarketEvent nm{r.Str("market"), r.Strings("assets_ids"), r.Str("slug", false), r.Str("question", false),
                      r.TimestampMs("timestamp")};
    nm.clob_token_ids = r.Strings("clob_token_ids");
    if (nm.asset_ids.empty()) nm.asset_ids = nm.clob_token_ids;
    nm.fees_enabled = r.Text("fees_enabled").value_or("false") == "true";
    object schedule;
    if (obj["fee_schedule"].get(schedule) == simdjson::SUCCESS) {
      Reader fr(schedule, type);
      nm.fee_schedule = ReadFeeSchedule(fr, nm.fees_enabled);
      if (!fr.ok()) r.Fail(CodecErrorKind::kBadValue, fr.TakeError().detail);
    }
    event = std::move(nm);
  } else {
    error = {CodecErrorKind::kUnknownEventType, std::string(type), fmt::format("unknown market event type '{}'", type)};
    return std::nullopt;
  }
  if (!r.ok()) {
    error = r.TakeError();
    return std::nullopt;
  }
  return event;
}

std::optional<UserEvent> ReadUserEvent(object obj, CodecError& error, std::string_view forced_type = {}) {
  std::string_view type = forced_type;
  if (type.empty() && obj["event_type"].get(type) != simdjson::SUCCESS) {
    std::string_view inner;
    if (obj["type"].get(inner) == simdjson::SUCCESS) {
      if (inner == "TRADE") type = "trade";
      if (inner == "PLACEMENT" || inner == "UPDATE" || inner == "CANCELLATION") type = "order";
    }
    if (type.empty()) {
      error = {CodecErrorKind::kMissingField, "", "missing field 'event_type'"};
      return std::nullopt;
    }
  }
  Reader r(obj, type);
  if (type == "order") {
    UserOrderEvent o;
    const std::string t = r.Str("type");
    if (t == "PLACEMENT") {
      o.type = OrderEventType::kPlacement;
    } else if (t == "UPDATE") {
      o.type = OrderEventType::kUpdate;
    } else if (t == "CANCELLATION") {
      o.type = OrderEventType::kCancellation;
    } else if (r.ok()) {
      error = {CodecErrorKind::kUnknownEventType, "order", fmt::format("unknown order event type '{}'", t)};
      return std::nullopt;
    }
    o.id = r.Str("id");
    o.owner = r.Str("owner", false);
    o.order_owner = r.Str("order_owner", false);
    o.market = r.Str("market", false);
    o.asset_id = r.Str("asset_id");
    o.side = r.Side("side");
    o.price = r.Price("price");
    o.original_size = r.Size("original_size");
    o.size_matched = r.Size("size_matched", false);
    o.outcome = r.Str("outcome", false);
    o.associate_trades = r.Strings("associate_trades");
    o.order_type = r.Str("order_type", false);
    o.expiration_s = r.Int("expiration");
    o.created_at_ms = r.TimestampMs("created_at");
    o.maker_address = r.Str("maker_address", false);
    o.status = r.Str("status", false);
    const size_t underscore = o.status.find('_');
    if (o.status.rfind("CANCELED_", 0) == 0 || o.status.rfind("CANCELLED_", 0) == 0) {
      o.status_base = "CANCELED";
      o.status_reason = o.status.substr(underscore + 1);
    } else {
      o.status_base = o.status;
    }
    o.timestamp_ms = r.TimestampMs("timestamp");
    if (!r.ok()) {
      error = r.TakeError();
      return std::nullopt;
    }
    return o;
  }
  if (type == "trade") {
    UserTradeEvent tr;
    tr.id = r.Str("id");
    tr.taker_order_id = r.Str("taker_order_id", false);
    tr.market = r.Str("market", false);
    tr.asset_id = r.Str("asset_id");
    tr.side = r.Side("side");
    tr.size = r.Size("size");
    tr.price = r.Price("price");
    const std::string status = r.Str("status");
    if (status == "MATCHED") {
      tr.status = TradeStatus::kMatched;
    } else if (status == "MINED") {
      tr.status = TradeStatus::kMined;
    } else if (status == "CONFIRMED") {
      tr.status = TradeStatus::kConfirmed;
    } else if (status == "RETRYING") {
      tr.status = TradeStatus::kRetrying;
    } else if (status == "FAILED") {
      tr.status = TradeStatus::kFailed;
    } else if (status == "MATCHED_NOT_BROADCASTED") {
      tr.status = TradeStatus::kMatchedNotBroadcasted;
    } else if (r.ok()) {
      // Not final, whatever it is: the consumer keeps the trade provisional and counts it.
      tr.status = TradeStatus::kUnknown;
      tr.status_text = status;
    }
    tr.match_time_ms = r.TimestampMs(r.Has("match_time") ? "match_time" : "matchtime");
    tr.last_update_ms = r.TimestampMs("last_update");
    tr.owner = r.Str("owner", false);
    tr.trade_owner = r.Str("trade_owner", false);
    tr.maker_address = r.Str("maker_address", false);
    tr.trader_side = r.Str("trader_side", false);
    tr.fee_rate_bps = r.Int("fee_rate_bps");
    tr.transaction_hash = r.Str("transaction_hash", false);
    tr.bucket_index = r.Int("bucket_index");
    tr.err_msg = r.Str("err_msg", false);
    tr.timestamp_ms = r.TimestampMs("timestamp");
    array legs;
    if (obj["maker_orders"].get(legs) == simdjson::SUCCESS) {
      for (element e : legs) {
        object leg;
        if (e.get(leg) != simdjson::SUCCESS) {
          r.Fail(CodecErrorKind::kBadValue, "maker_orders holds a non-object");
          break;
        }
        Reader lr(leg, "trade");
        MakerOrderLeg m{lr.Str("order_id"),        lr.Str("owner", false), lr.Str("maker_address", false),
                        lr.Size("matched_amount"), lr.Price("price"),      lr.Str("asset_id"),
                        lr.Str("outcome", false),  lr.OptSide("side"),     lr.Int("fee_rate_bps")};
        if (!lr.ok()) {
          r.Fail(CodecErrorKind::kBadValue, fmt::format("maker_orders: {}", lr.TakeError().detail));
          break;
        }
        tr.maker_orders.push_back(std::move(m));
      }
    }
    if (!r.ok()) {
      error = r.TakeError();
      return std::nullopt;
    }
    return tr;
  }
  error = {CodecErrorKind::kUnknownEventType, std::string(type), fmt::format("unknown user event type '{}'", type)};
  return std::nullopt;
}

// Runs `read` on every event object of a frame (an object or an array of objects).
template <typename Frame, typename ReadFn>
void DecodeFrame(simdjson::dom::parser& parser, std::string_view frame, Frame& out, ReadFn read) {
  out.Clear();
  const std::string_view text = Trim(frame);
  if (text == "PONG") {
    out.pong = true;
    return;
  }
  if (IsControlText(text)) {
    out.control = true;
    return;
  }
  element root;
  if (text.empty() || parser.parse(text.data(), text.size()).get(root) != simdjson::SUCCESS) {
    out.errors.push_back({CodecErrorKind::kMalformedJson, "", fmt::format("malformed frame ({} bytes)", frame.size())});
    return;
  }
  const auto handle = [&](element e) {
    object obj;
    if (e.get(obj) != simdjson::SUCCESS) {
      out.errors.push_back({CodecErrorKind::kMalformedJson, "", "frame element is not an object"});
      return;
    }
    CodecError error;
    if (auto event = read(obj, error)) {
      out.events.push_back(std::move(*event));
    } else {
      out.errors.push_back(std::move(error));
    }
  };
  array arr;
  if (root.get(arr) == simdjson::SUCCESS) {
    for (element e : arr) handle(e);
  } else {
    handle(root);
  }
}

// One-shot parsing for REST bodies.
absl::StatusOr<element> ParseRoot(simdjson::dom::parser& parser, std::string_view body) {
  element root;
  if (parser.parse(body.data(), body.size()).get(root) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(fmt::format("malformed JSON body ({} bytes)", body.size()));
  }
  return root;
}

absl::StatusOr<object> ParseObject(simdjson::dom::parser& parser, std::string_view body) {
  CM_ASSIGN_OR_RETURN(element root, ParseRoot(parser, body));
  object obj;
  if (root.get(obj) != simdjson::SUCCESS) return absl::InvalidArgumentError("JSON body is not an object");
  return obj;
}

absl::Status ToStatus(Reader& r) {
  if (r.ok()) return absl::OkStatus();
  return absl::InvalidArgumentError(r.TakeError().detail);
}

int64_t AmountMicros(Reader& r, const char* key) {
  auto text = r.Text(key);
  if (!text || text->empty()) return 0;
  // Amounts come as base-unit integers ("100000000"); tolerate decimals of base units.
  auto v = model::ParseScaled(*text, 0);
  if (!v.ok()) {
    r.Fail(CodecErrorKind::kBadValue, fmt::format("field '{}': {}", key, StatusText(v.status())));
    return 0;
  }
  return *v;
}

PostOrderResult ReadPostOrderResult(Reader& r) {
  PostOrderResult p;
  p.success = r.Str("success", false) == "true";
  p.order_id = r.Str("orderID", false);
  if (p.order_id.empty()) p.order_id = r.Str("orderId", false);
  p.status = r.Str("status", false);
  p.error_msg = r.Str("errorMsg", false);
  if (p.error_msg.empty()) p.error_msg = r.Str("error", false);
  p.making_amount = AmountMicros(r, "makingAmount");
  p.taking_amount = AmountMicros(r, "takingAmount");
  p.transaction_hashes = r.Strings(r.Has("transactionsHashes") ? "transactionsHashes" : "transaction_hashes");
  p.trade_ids = r.Strings("tradeIDs");
  return p;
}

OpenOrder ReadOpenOrder(Reader& r) {
  OpenOrder o;
  o.id = r.Str("id");
  o.status = r.Str("status", false);
  o.owner = r.Str("owner", false);
  o.maker_address = r.Str("maker_address", false);
  o.market = r.Str("market", false);
  o.asset_id = r.Str("asset_id");
  o.side = r.Side("side");
  o.original_size = r.Size("original_size");
  o.size_matched = r.Size("size_matched", false);
  o.price = r.Price("price");
  o.outcome = r.Str("outcome", false);
  o.associate_trades = r.Strings("associate_trades");
  o.created_at_s = r.TimestampMs("created_at") / 1000;
  o.expiration_s = r.Int("expiration");
  o.order_type = r.Str("order_type", false);
  return o;
}

thread_local simdjson::dom::parser rest_parser;

}  // namespace

std::string_view CodecErrorKindName(CodecErrorKind kind) {
  switch (kind) {
    case CodecErrorKind::kMalformedJson:
      return "malformed_json";
    case CodecErrorKind::kUnknownEventType:
      return "unknown_event_type";
    case CodecErrorKind::kMissingField:
      return "missing_field";
    case CodecErrorKind::kBadValue:
      return "bad_value";
  }
  return "unknown";
}

void MarketFrame::Clear() {
  events.clear();
  errors.clear();
  pong = control = false;
}
void UserFrame::Clear() {
  events.clear();
  errors.clear();
  pong = control = false;
}

struct MarketDecoder::Impl {
  simdjson::dom::parser parser;
};
MarketDecoder::MarketDecoder() : impl_(std::make_unique<Impl>()) {}
MarketDecoder::~MarketDecoder() = default;
void MarketDecoder::Decode(std::string_view frame, MarketFrame& out) {
  DecodeFrame(impl_->parser, frame, out, ReadMarketEvent);
}
MarketFrame MarketDecoder::Decode(std::string_view frame) {
  MarketFrame out;
  Decode(frame, out);
  return out;
}

struct UserDecoder::Impl {
  simdjson::dom::parser parser;
};
UserDecoder::UserDecoder() : impl_(std::make_unique<Impl>()) {}
UserDecoder::~UserDecoder() = default;
void UserDecoder::Decode(std::string_view frame, UserFrame& out) {
  DecodeFrame(impl_->parser, frame, out, [](object obj, CodecError& error) { return ReadUserEvent(obj, error); });
}
UserFrame UserDecoder::Decode(std::string_view frame) {
  UserFrame out;
  Decode(frame, out);
  return out;
}

absl::StatusOr<int64_t> ParseTimestampMs(std::string_view text) {
  text = Trim(text);
  if (text.empty()) return absl::InvalidArgumentError("empty timestamp");
  if (text.find('T') != std::string_view::npos) {
    // ISO 8601: YYYY-MM-DDTHH:MM:SS[.fff][Z]
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    const std::string copy(text);
    int consumed = 0;
    if (std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &consumed) != 6) {
      return absl::InvalidArgumentError(fmt::format("malformed timestamp '{}'", text));
    }
    int64_t millis = 0;
    if (static_cast<size_t>(consumed) < copy.size() && copy[static_cast<size_t>(consumed)] == '.') {
      int digits = 0;
      for (size_t i = static_cast<size_t>(consumed) + 1; i < copy.size() && copy[i] >= '0' && copy[i] <= '9'; ++i) {
        if (digits < 3) millis = millis * 10 + (copy[i] - '0');
        ++digits;
      }
      for (; digits < 3; ++digits) millis *= 10;
    }
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    const int64_t seconds = static_cast<int64_t>(timegm(&tm));
    if (seconds < 0 || mo < 1 || mo > 12 || d < 1 || d > 31) {
      return absl::InvalidArgumentError(fmt::format("timestamp '{}' is out of range", text));
    }
    return seconds * 1000 + millis;
  }
  int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value < 0) {
    // Seconds with a fraction ("1703875200.5").
    auto scaled = model::ParseScaled(text, 3);
    if (!scaled.ok()) return absl::InvalidArgumentError(fmt::format("malformed timestamp '{}'", text));
    return *scaled;
  }
  // Below 10^11 it is seconds (that is before 1973 in milliseconds).
  return value < 100'000'000'000LL ? value * 1000 : value;
}

absl::StatusOr<PostOrderResult> ParsePostOrderResponse(std::string_view body) {
  CM_ASSIGN_OR_RETURN(object obj, ParseObject(rest_parser, body));
  Reader r(obj, "post_order");
  PostOrderResult result = ReadPostOrderResult(r);
  CM_RETURN_IF_ERROR(ToStatus(r));
  return result;
}

absl::StatusOr<std::vector<PostOrderResult>> ParsePostOrdersResponse(std::string_view body) {
  CM_ASSIGN_OR_RETURN(element root, ParseRoot(rest_parser, body));
  array arr;
  if (root.get(arr) != simdjson::SUCCESS) return absl::InvalidArgumentError("batch response is not an array");
  std::vector<PostOrderResult> out;
  for (element e : arr) {
    object obj;
    if (e.get(obj) != simdjson::SUCCESS) return absl::InvalidArgumentError("batch response element is not an object");
    Reader r(obj, "post_orders");
    out.push_back(ReadPostOrderResult(r));
    CM_RETURN_IF_ERROR(ToStatus(r));
  }
  return out;
}

absl::StatusOr<CancelResult> ParseCancelResponse(std::string_view body) {
  CM_ASSIGN_OR_RETURN(object obj, ParseObject(rest_parser, body));
  Reader r(obj, "cancel");
  CancelResult result;
  result.canceled = r.Strings("canceled");
  object not_canceled;
  if (obj["not_canceled"].get(not_canceled) == simdjson::SUCCESS ||
      obj["notCanceled"].get(not_canceled) == simdjson::SUCCESS) {
    for (auto field : not_canceled) {
      std::string_view reason;
      if (field.value.get(reason) != simdjson::SUCCESS) reason = "";
      result.not_canceled.emplace_back(std::string(field.key), std::string(reason));
    }
  }
  return result;
}

absl::StatusOr<OpenOrder> ParseOpenOrder(std::string_view body) {
  CM_ASSIGN_OR_RETURN(object obj, ParseObject(rest_parser, body));
  Reader r(obj, "open_order");
  OpenOrder o = ReadOpenOrder(r);
  CM_RETURN_IF_ERROR(ToStatus(r));
  return o;
}

absl::StatusOr<std::optional<OpenOrder>> ParseOrderLookup(std::string_view body) {
  const std::string_view text = Trim(body);
  if (text.empty() || text == "null" || text == "{}") return std::optional<OpenOrder>();
  CM_ASSIGN_OR_RETURN(OpenOrder o, ParseOpenOrder(text));
  return std::optional<OpenOrder>(std::move(o));
}

absl::StatusOr<Page<OpenOrder>> ParseOpenOrdersPage(std::string_view body) {
  CM_ASSIGN_OR_RETURN(element root, ParseRoot(rest_parser, body));
  Page<OpenOrder> page;
  array data;
  object obj;
  if (root.get(obj) == simdjson::SUCCESS) {
    std::string_view cursor;
    if (obj["next_cursor"].get(cursor) == simdjson::SUCCESS) page.next_cursor = std::string(cursor);
    if (obj["data"].get(data) != simdjson::SUCCESS) return absl::InvalidArgumentError("orders page has no data array");
  } else if (root.get(data) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("orders page is neither an object nor an array");
  }
  for (element e : data) {
    object o;
    if (e.get(o) != simdjson::SUCCESS) return absl::InvalidArgumentError("orders page element is not an object");
    Reader r(o, "open_order");
    page.data.push_back(ReadOpenOrder(r));
    CM_RETURN_IF_ERROR(ToStatus(r));
  }
  return page;
}

absl::StatusOr<Page<UserTradeEvent>> ParseTradesPage(std::string_view body) {
  CM_ASSIGN_OR_RETURN(object obj, ParseObject(rest_parser, body));
  Page<UserTradeEvent> page;
  std::string_view cursor;
  if (obj["next_cursor"].get(cursor) == simdjson::SUCCESS) page.next_cursor = std::string(cursor);
  array data;
  if (obj["data"].get(data) != simdjson::SUCCESS) return absl::InvalidArgumentError("trades page has no data array");
  for (element e : data) {
    object t;
    if (e.get(t) != simdjson::SUCCESS) return absl::InvalidArgumentError("trades page element is not an object");
    CodecError error;
    // REST trades carry no event_type: read them as user-channel trades.
    auto event = ReadUserEvent(t, error, "trade");
    if (!event) return absl::InvalidArgumentError(error.detail);
    page.data.push_back(std::get<UserTradeEvent>(std::move(*event)));
  }
  return page;
}

absl::StatusOr<BookEvent> ParseBookResponse(std::string_view body) {
  CM_ASSIGN_OR_RETURN(object obj, ParseObject(rest_parser, body));
  Reader r(obj, "book");
  BookEvent book = ReadBook(r);
  CM_RETURN_IF_ERROR(ToStatus(r));
  return book;
}

absl::StatusOr<model::TickSize> ParseTickSizeResponse(std::string_view body) {
  CM_ASSIGN_OR_RETURN(object obj, ParseObject(rest_parser, body));
  Reader r(obj, "tick_size");
  const std::string text = r.Str("minimum_tick_size");
  CM_RETURN_IF_ERROR(ToStatus(r));
  return model::TickSize::Parse(text);
}

absl::StatusOr<bool> ParseNegRiskResponse(std::string_view body) {
  CM_ASSIGN_OR_RETURN(object obj, ParseObject(rest_parser, body));
  bool value = false;
  if (obj["neg_risk"].get(value) != simdjson::SUCCESS) return absl::InvalidArgumentError("missing boolean 'neg_risk'");
  return value;
}

absl::StatusOr<int64_t> ParseFeeRateResponse(std::string_view body) {
  CM_ASSIGN_OR_RETURN(object obj, ParseObject(rest_parser, body));
  Reader r(obj, "fee_rate");
  if (!r.Has("base_fee")) return absl::InvalidArgumentError("missing field 'base_fee'");
  const int64_t fee = r.Int("base_fee");
  CM_RETURN_IF_ERROR(ToStatus(r));
  return fee;
}

absl::StatusOr<int> ParseVersionResponse(std::string_view body) {
  CM_ASSIGN_OR_RETURN(object obj, ParseObject(rest_parser, body));
  Reader r(obj, "version");
  const int64_t version = r.Int("version", 2);
  CM_RETURN_IF_ERROR(ToStatus(r));
  if (version < 1 || version > 3)
    return absl::InvalidArgumentError(fmt::format("unsupported order version {}", version));
  return static_cast<int>(version);
}

absl::StatusOr<int64_t> ParseServerTimeResponse(std::string_view body) {
  CM_ASSIGN_OR_RETURN(element root, ParseRoot(rest_parser, body));
  int64_t value = 0;
  if (root.get(value) == simdjson::SUCCESS) return value;
  object obj;
  if (root.get(obj) == simdjson::SUCCESS) {
    Reader r(obj, "time");
    const int64_t t = r.Int(r.Has("time") ? "time" : "timestamp", -1);
    CM_RETURN_IF_ERROR(ToStatus(r));
    if (t >= 0) return t;
  }
  return absl::InvalidArgumentError("server time is not a number");
}

absl::StatusOr<HeartbeatResult> ParseHeartbeatResponse(std::string_view body) {
  CM_ASSIGN_OR_RETURN(object obj, ParseObject(rest_parser, body));
  Reader r(obj, "heartbeat");
  HeartbeatResult result{r.Str("heartbeat_id", false), r.Str("error_msg", false)};
  if (result.error.empty()) result.error = r.Str("error", false);
  CM_RETURN_IF_ERROR(ToStatus(r));
  return result;
}

absl::StatusOr<bool> ParseOrderScoringResponse(std::string_view body) {
  CM_ASSIGN_OR_RETURN(object obj, ParseObject(rest_parser, body));
  bool value = false;
  if (obj["scoring"].get(value) != simdjson::SUCCESS) return absl::InvalidArgumentError("missing boolean 'scoring'");
  return value;
}

absl::StatusOr<std::map<std::string, bool>> ParseOrdersScoringResponse(std::string_view body) {
  CM_ASSIGN_OR_RETURN(object obj, ParseObject(rest_parser, body));
  std::map<std::string, bool> out;
  for (auto field : obj) {
    bool value = false;
    if (field.value.get(value) != simdjson::SUCCESS) {
      return absl::InvalidArgumentError(fmt::format("scoring of {} is not a boolean", std::string_view(field.key)));
    }
    out.emplace(std::string(field.key), value);
  }
  return out;
}

absl::StatusOr<BalanceAllowance> ParseBalanceAllowanceResponse(std::string_view body) {
  CM_ASSIGN_OR_RETURN(object obj, ParseObject(rest_parser, body));
  Reader r(obj, "balance_allowance");
  BalanceAllowance out;
  out.balance = AmountMicros(r, "balance");
  object allowances;
  if (obj["allowances"].get(allowances) == simdjson::SUCCESS) {
    for (auto field : allowances) {
      std::string_view text;
      uint64_t number = 0;
      if (field.value.get(text) == simdjson::SUCCESS) {
        out.allowances.emplace(std::string(field.key), std::string(text));
      } else if (field.value.get(number) == simdjson::SUCCESS) {
        out.allowances.emplace(std::string(field.key), std::to_string(number));
      }
    }
  } else if (auto single = r.Text("allowance")) {
    out.allowances.emplace("", *single);
  }
  CM_RETURN_IF_ERROR(ToStatus(r));
  return out;
}

absl::StatusOr<ApiKeyCreds> ParseApiKeyResponse(std::string_view body) {
  CM_ASSIGN_OR_RETURN(object obj, ParseObject(rest_parser, body));
  Reader r(obj, "api_key");
  ApiKeyCreds creds{r.Str("apiKey"), r.Str("secret"), r.Str("passphrase")};
  CM_RETURN_IF_ERROR(ToStatus(r));
  return creds;
}

absl::StatusOr<ClobMarketInfo> ParseClobMarketResponse(std::string_view body) {
  CM_ASSIGN_OR_RETURN(object obj, ParseObject(rest_parser, body));
  Reader r(obj, "clob_market");
  ClobMarketInfo m;
  m.condition_id = r.Str("c");
  array tokens;
  if (obj["t"].get(tokens) == simdjson::SUCCESS) {
    for (element e : tokens) {
      object t;
      if (e.get(t) != simdjson::SUCCESS) continue;  // the official client skips null entries too
      Reader tr(t, "clob_market");
      m.token_ids.push_back(tr.Str("t"));
      m.outcomes.push_back(tr.Str("o", false));
      if (!tr.ok()) return absl::InvalidArgumentError(tr.TakeError().detail);
    }
  }
  if (m.token_ids.empty()) return absl::InvalidArgumentError("clob market has no tokens ('t')");
  m.tick = r.Tick("mts");
  m.neg_risk = r.Text("nr").value_or("false") == "true";
  m.min_order_size = r.Size("mos", false);
  m.accepting_orders = r.Text("ao").value_or("true") != "false";
  object fd;
  if (obj["fd"].get(fd) == simdjson::SUCCESS) {
    Reader fr(fd, "fd");
    m.fees.rate_ppm = Ppm(fr, "r");
    m.fees.exponent = static_cast<int>(fr.Int("e", 1));
    m.fees.taker_only = fr.Text("to").value_or("true") != "false";
    m.fees.enabled = m.fees.rate_ppm > 0;
    if (m.fees.exponent < 0 || m.fees.exponent > 8) fr.Fail(CodecErrorKind::kBadValue, "fee exponent out of range");
    if (!fr.ok()) return absl::InvalidArgumentError(fr.TakeError().detail);
  }
  m.seconds_delay = r.Int("sd");
  m.taker_delay = r.Text("itode").value_or("false") == "true";
  CM_RETURN_IF_ERROR(ToStatus(r));
  if (m.seconds_delay < 0 || m.seconds_delay > 3600) {
    return absl::InvalidArgumentError(fmt::format("seconds delay {} out of range", m.seconds_delay));
  }
  return m;
}

absl::StatusOr<std::vector<RebateEntry>> ParseRebatesResponse(std::string_view body) {
  CM_ASSIGN_OR_RETURN(element root, ParseRoot(rest_parser, body));
  array arr;
  object obj;
  if (root.get(obj) == simdjson::SUCCESS) {
    if (obj["data"].get(arr) != simdjson::SUCCESS) return absl::InvalidArgumentError("rebates object has no data");
  } else if (root.get(arr) != simdjson::SUCCESS) {
    if (root.is_null()) return std::vector<RebateEntry>{};
    return absl::InvalidArgumentError("rebates answer is neither an array nor an object");
  }
  std::vector<RebateEntry> out;
  for (element e : arr) {
    object o;
    if (e.get(o) != simdjson::SUCCESS) return absl::InvalidArgumentError("rebate entry is not an object");
    Reader r(o, "rebate");
    RebateEntry entry{r.Str("date"), r.Str("condition_id"), r.Str("asset_address", false),
                      r.Str("maker_address", false), 0};
    auto amount = r.Text("rebated_fees_usdc");
    if (!amount) r.Fail(CodecErrorKind::kMissingField, "missing field 'rebated_fees_usdc'");
    if (amount && !amount->empty()) {
      auto micros = model::ParseScaled(*amount, 6);
      if (!micros.ok() || *micros < 0) {
        r.Fail(CodecErrorKind::kBadValue, fmt::format("rebated_fees_usdc '{}' is not an amount", *amount));
      } else {
        entry.rebated_fees_micros = *micros;
      }
    }
    CM_RETURN_IF_ERROR(ToStatus(r));
    out.push_back(std::move(entry));
  }
  return out;
}

absl::StatusOr<RateTier> ParseRateLimitTierResponse(std::string_view body) {
  CM_ASSIGN_OR_RETURN(element root, ParseRoot(rest_parser, body));
  std::string_view text;
  if (root.get(text) == simdjson::SUCCESS) {
    if (auto tier = ParseRateTier(text)) return *tier;
    return absl::InvalidArgumentError(fmt::format("unknown rate-limit tier '{}'", text));
  }
  object obj;
  if (root.get(obj) != simdjson::SUCCESS) return absl::InvalidArgumentError("rate-limit tier is not an object");
  Reader r(obj, "rate_limit_tier");
  std::string name;
  for (const char* key : {"tier", "rate_limit_tier", "rateLimitTier", "name"}) {
    if (r.Has(key)) {
      name = r.Str(key, false);
      break;
    }
  }
  CM_RETURN_IF_ERROR(ToStatus(r));
  if (auto tier = ParseRateTier(name)) return *tier;
  return absl::InvalidArgumentError(fmt::format("unknown rate-limit tier '{}'", name));
}

absl::StatusOr<Geoblock> ParseGeoblockResponse(std::string_view body) {
  CM_ASSIGN_OR_RETURN(object obj, ParseObject(rest_parser, body));
  Reader r(obj, "geoblock");
  if (!r.Has("blocked")) return absl::InvalidArgumentError("missing field 'blocked'");
  Geoblock out;
  out.blocked = r.Text("blocked").value_or("false") == "true";
  out.ip = r.Text("ip").value_or("");
  out.country = r.Text("country").value_or("");
  out.region = r.Text("region").value_or("");
  CM_RETURN_IF_ERROR(ToStatus(r));
  return out;
}

absl::StatusOr<BanStatus> ParseBanStatusResponse(std::string_view body) {
  CM_ASSIGN_OR_RETURN(object obj, ParseObject(rest_parser, body));
  Reader r(obj, "ban_status");
  if (!r.Has("closed_only")) return absl::InvalidArgumentError("missing field 'closed_only'");
  BanStatus out{r.Text("closed_only").value_or("false") == "true"};
  CM_RETURN_IF_ERROR(ToStatus(r));
  return out;
}

absl::StatusOr<SubscribeRequest> ParseSubscribeRequest(std::string_view message) {
  CM_ASSIGN_OR_RETURN(object obj, ParseObject(rest_parser, message));
  Reader r(obj, "subscribe");
  SubscribeRequest out;
  out.type = r.Str("type", false);
  out.operation = r.Str("operation", false);
  out.asset_ids = r.Strings("assets_ids");
  out.markets = r.Strings("markets");
  if (auto dump = r.Text("initial_dump")) out.initial_dump = *dump != "false";
  object auth;
  if (obj["auth"].get(auth) == simdjson::SUCCESS) {
    Reader ar(auth, "auth");
    out.auth = ApiKeyCreds{ar.Str("apiKey"), ar.Str("secret"), ar.Str("passphrase")};
    if (!ar.ok()) return absl::InvalidArgumentError(ar.TakeError().detail);
  }
  CM_RETURN_IF_ERROR(ToStatus(r));
  if (out.type.empty() && out.operation.empty()) {
    return absl::InvalidArgumentError("subscription message has neither 'type' nor 'operation'");
  }
  return out;
}

namespace {

thread_local simdjson::dom::parser nested_parser;

// Gamma writes some arrays as JSON text inside a string ("[\"1\", \"2\"]"); accept both forms.
std::vector<std::string> StringList(Reader& r, const char* key) {
  std::vector<std::string> out = r.Strings(key);
  if (!out.empty()) return out;
  auto text = r.Text(key);
  if (!text || text->empty()) return out;
  array arr;
  if (nested_parser.parse(text->data(), text->size()).get(arr) != simdjson::SUCCESS) {
    r.Fail(CodecErrorKind::kBadValue, fmt::format("field '{}' is not a list", key));
    return out;
  }
  for (element e : arr) {
    std::string_view s;
    if (e.get(s) == simdjson::SUCCESS) out.emplace_back(s);
  }
  return out;
}

bool Flag(Reader& r, const char* key) { return r.Text(key).value_or("false") == "true"; }

absl::StatusOr<MarketMetadata> ReadGammaMarket(object obj) {
  Reader r(obj, "market");
  MarketMetadata m;
  m.condition_id = r.Str("conditionId");
  m.slug = r.Str("slug", false);
  m.question = r.Str("question", false);
  m.token_ids = StringList(r, "clobTokenIds");
  m.outcomes = StringList(r, "outcomes");
  if (r.Has("orderPriceMinTickSize")) m.tick = r.Tick("orderPriceMinTickSize");
  m.min_order_size = r.Size("orderMinSize", false);
  m.neg_risk = Flag(r, "negRisk");
  m.active = Flag(r, "active");
  m.closed = Flag(r, "closed");
  m.accepting_orders = Flag(r, "acceptingOrders");
  m.end_time_ms = r.TimestampMs("endDate");
  m.rewards_min_size = r.Size("rewardsMinSize", false);
  if (auto cents = r.Text("rewardsMaxSpread"); cents && !cents->empty()) {
    // Cents with up to two decimals: units of 10^-4 are cents x 100.
    auto units = model::ParseScaled(*cents, 2);
    if (!units.ok()) {
      r.Fail(CodecErrorKind::kBadValue, fmt::format("field 'rewardsMaxSpread': {}", StatusText(units.status())));
    } else {
      m.rewards_max_spread = model::Price(*units);
    }
  }
  const bool fees_enabled = Flag(r, "feesEnabled");
  object schedule;
  if (obj["feeSchedule"].get(schedule) == simdjson::SUCCESS) {
    Reader fr(schedule, "feeSchedule");
    m.fees = ReadFeeSchedule(fr, fees_enabled);
    if (!fr.ok()) r.Fail(CodecErrorKind::kBadValue, fr.TakeError().detail);
  }
  CM_RETURN_IF_ERROR(ToStatus(r));
  if (m.token_ids.empty()) return absl::InvalidArgumentError(fmt::format("market {} has no token ids", m.condition_id));
  return m;
}

// A non-negative decimal text (digits, an optional point, an optional exponent) in units of
// 10^-9, exactly: no double in between (0.0001 x k through a double came out one unit low for 167
// of the 9,999 four-decimal prices). Digits past the ninth decimal are dropped, toward zero.
absl::StatusOr<int64_t> DecimalNanos(std::string_view text) {
  std::string digits;
  int64_t fraction_digits = 0;
  bool point = false;
  size_t i = 0;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.' && !point) {
      point = true;
    } else if (c >= '0' && c <= '9') {
      digits.push_back(c);
      fraction_digits += point ? 1 : 0;
    } else {
      break;
    }
  }
  int64_t exponent = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && text[i] == '+') ++i;
    const auto [ptr, ec] = std::from_chars(text.data() + i, text.data() + text.size(), exponent);
    if (ec != std::errc() || ptr == text.data() + i || exponent < -400 || exponent > 400) {
      return absl::InvalidArgumentError(fmt::format("price '{}' is not a number", text));
    }
    i = static_cast<size_t>(ptr - text.data());
  }
  if (digits.empty() || i != text.size()) {
    if (!text.empty() && text.front() == '-')
      return absl::InvalidArgumentError(fmt::format("price {} is out of range", text));
    return absl::InvalidArgumentError(fmt::format("price '{}' is not a number", text));
  }
  digits.erase(0, std::min(digits.find_first_not_of('0'), digits.size()));
  int64_t shift = exponent - fraction_digits + 9;  // nanos = digits x 10^shift
  if (shift < 0) {
    if (static_cast<int64_t>(digits.size()) <= -shift) return 0;
    digits.resize(digits.size() - static_cast<size_t>(-shift));
    shift = 0;
  }
  if (static_cast<int64_t>(digits.size()) + shift > 19) {
    return absl::InvalidArgumentError(fmt::format("price {} is out of range", text));
  }
  uint64_t nanos = 0;  // under 10^19: fits
  for (char c : digits) nanos = nanos * 10 + static_cast<uint64_t>(c - '0');
  for (int64_t k = 0; k < shift; ++k) nanos *= 10;
  if (nanos > static_cast<uint64_t>(INT64_MAX)) {
    return absl::InvalidArgumentError(fmt::format("price {} is out of range", text));
  }
  return static_cast<int64_t>(nanos);
}

absl::StatusOr<int64_t> PriceNanos(element e) {
  std::string_view text;
  if (e.get(text) == simdjson::SUCCESS) return DecimalNanos(text);
  switch (e.type()) {
    case simdjson::dom::element_type::INT64:
      return DecimalNanos(std::to_string(int64_t(e.get_int64().value_unsafe())));
    case simdjson::dom::element_type::UINT64:
      return DecimalNanos(std::to_string(uint64_t(e.get_uint64().value_unsafe())));
    case simdjson::dom::element_type::DOUBLE:
      // A JSON number: its shortest round-trip text is the decimal the sender wrote (up to 17
      // significant digits), e.g. 189.55 and not 189.549999999999997.
      return DecimalNanos(fmt::format("{}", double(e.get_double().value_unsafe())));
    default:
      return absl::InvalidArgumentError("price is neither a number nor a string");
  }
}

absl::StatusOr<ReferenceTick> ReadReferenceTick(object obj, const char* price_key) {
  Reader r(obj, "reference");
  ReferenceTick t;
  t.symbol = r.Str("symbol");
  t.timestamp_ms = r.TimestampMs("timestamp");
  CM_RETURN_IF_ERROR(ToStatus(r));
  element price;
  if (obj[price_key].get(price) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(fmt::format("missing field '{}'", price_key));
  }
  CM_ASSIGN_OR_RETURN(t.price_nanos, PriceNanos(price));
  if (t.symbol.empty()) return absl::InvalidArgumentError("empty symbol");
  return t;
}

}  // namespace

absl::StatusOr<std::vector<MarketMetadata>> ParseGammaMarkets(std::string_view body) {
  CM_ASSIGN_OR_RETURN(element root, ParseRoot(rest_parser, body));
  std::vector<MarketMetadata> out;
  array arr;
  object obj;
  if (root.get(arr) == simdjson::SUCCESS) {
    for (element e : arr) {
      if (e.get(obj) != simdjson::SUCCESS) return absl::InvalidArgumentError("market list holds a non-object");
      CM_ASSIGN_OR_RETURN(MarketMetadata m, ReadGammaMarket(obj));
      out.push_back(std::move(m));
    }
    return out;
  }
  if (root.get(obj) != simdjson::SUCCESS) return absl::InvalidArgumentError("market list is neither array nor object");
  CM_ASSIGN_OR_RETURN(MarketMetadata m, ReadGammaMarket(obj));
  out.push_back(std::move(m));
  return out;
}

absl::StatusOr<std::vector<ReferenceTick>> ParseReferenceFrame(std::string_view frame) {
  std::vector<ReferenceTick> out;
  const std::string_view trimmed = Trim(frame);
  if (trimmed.empty() || IsControlText(trimmed) || trimmed == "PONG") return out;
  CM_ASSIGN_OR_RETURN(element root, ParseRoot(rest_parser, trimmed));
  array arr;
  object obj;
  if (root.get(arr) == simdjson::SUCCESS) {
    for (element e : arr) {
      if (e.get(obj) != simdjson::SUCCESS) return absl::InvalidArgumentError("reference list holds a non-object");
      CM_ASSIGN_OR_RETURN(ReferenceTick t, ReadReferenceTick(obj, "price"));
      out.push_back(std::move(t));
    }
    return out;
  }
  if (root.get(obj) != simdjson::SUCCESS) return absl::InvalidArgumentError("reference frame is not JSON object/array");
  std::string_view topic;
  if (obj["topic"].get(topic) == simdjson::SUCCESS) {
    // Real-time data stream: only price updates carry a price; everything else is ignored.
    object payload;
    if (topic != "crypto_prices" && topic != "crypto_prices_chainlink") return out;
    if (obj["payload"].get(payload) != simdjson::SUCCESS) return absl::InvalidArgumentError("update without payload");
    if (payload["value"].error() != simdjson::SUCCESS) return out;  // e.g. a subscription snapshot header
    CM_ASSIGN_OR_RETURN(ReferenceTick t, ReadReferenceTick(payload, "value"));
    out.push_back(std::move(t));
    return out;
  }
  CM_ASSIGN_OR_RETURN(ReferenceTick t, ReadReferenceTick(obj, "price"));
  out.push_back(std::move(t));
  return out;
}

void CountCodecErrors(const std::vector<CodecError>& errors, const CodecErrorCounters& counters) {
  for (const CodecError& e : errors) {
    switch (e.kind) {
      case CodecErrorKind::kMalformedJson:
        ++*counters.malformed;
        break;
      case CodecErrorKind::kUnknownEventType:
        ++*counters.unknown_types;
        break;
      case CodecErrorKind::kMissingField:
        ++*counters.missing_fields;
        break;
      case CodecErrorKind::kBadValue:
        ++*counters.bad_values;
        break;
    }
  }
}

ErrorBody ParseErrorBody(std::string_view body) {
  ErrorBody out;
  auto obj = ParseObject(rest_parser, body);
  if (obj.ok()) {
    Reader r(*obj, "error");
    out.error = r.Str("error", false);
    if (out.error.empty()) out.error = r.Str("error_msg", false);
    if (out.error.empty()) out.error = r.Str("errorMsg", false);
    out.code = r.Str("code", false);
    if (r.Has("retry_after_seconds")) out.retry_after_seconds = r.Int("retry_after_seconds");
    if (!out.error.empty() || !out.code.empty()) return out;
  }
  std::string_view raw = Trim(body);
  if (raw.size() > 200) raw = raw.substr(0, 200);
  out.error = std::string(raw);
  return out;
}

}  // namespace clobmaker::polymarket
