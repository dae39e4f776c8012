#include "common/polymarket/encode.h"

#include <cryptopp/sha.h>
#include <fmt/core.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <array>

#include "common/core/hex.h"
#include "common/model/decimal.h"

namespace clobmaker::polymarket {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void Key(Writer& w, std::string_view key) { w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size())); }
void Str(Writer& w, std::string_view key, std::string_view value) {
  Key(w, key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}
void Str(Writer& w, std::string_view key, const std::string& value) { Str(w, key, std::string_view(value)); }
void Str(Writer& w, std::string_view key, const char* value) { Str(w, key, std::string_view(value)); }
void Int(Writer& w, std::string_view key, int64_t value) {
  Key(w, key);
  w.Int64(value);
}
void Bool(Writer& w, std::string_view key, bool value) {
  Key(w, key);
  w.Bool(value);
}
void Strings(Writer& w, std::string_view key, const std::vector<std::string>& values) {
  Key(w, key);
  w.StartArray();
  for (const auto& v : values) w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  w.EndArray();
}
void Levels(Writer& w, std::string_view key, const std::vector<Level>& levels) {
  Key(w, key);
  w.StartArray();
  for (const Level& l : levels) {
    w.StartObject();
    Str(w, "price", l.price.ToString());
    Str(w, "size", l.size.ToString());
    w.EndObject();
  }
  w.EndArray();
}
std::string Ts(int64_t ms) { return std::to_string(ms); }
std::string FormatFraction(int64_t ppm) { return model::FormatScaled(ppm, 6); }
std::string OptPrice(const std::optional<model::Price>& p) { return p ? p->ToString() : ""; }

struct MarketEncoder {
  Writer& w;
  void operator()(const BookEvent& b) const {
    Str(w, "event_type", "book");
    Str(w, "asset_id", b.asset_id);
    Str(w, "market", b.market);
    Levels(w, "bids", b.bids);
    Levels(w, "asks", b.asks);
    Str(w, "timestamp", Ts(b.timestamp_ms));
    Str(w, "hash", b.hash);
    if (b.tick_size) Str(w, "tick_size", b.tick_size->ToString());
    if (b.last_trade_price) Str(w, "last_trade_price", b.last_trade_price->ToString());
  }
  void operator()(const PriceChangeEvent& e) const {
    Str(w, "event_type", "price_change");
    Str(w, "market", e.market);
    Key(w, "price_changes");
    w.StartArray();
    for (const PriceChange& c : e.changes) {
      w.StartObject();
      Str(w, "asset_id", c.asset_id);
      Str(w, "price", c.price.ToString());
      Str(w, "size", c.size.ToString());
      Str(w, "side", model::SideName(c.side));
      Str(w, "hash", c.hash);
      Str(w, "best_bid", c.best_bid ? c.best_bid->ToString() : "0");
      Str(w, "best_ask", c.best_ask ? c.best_ask->ToString() : "1");
      w.EndObject();
    }
    w.EndArray();
    Str(w, "timestamp", Ts(e.timestamp_ms));
  }
  void operator()(const TickSizeChangeEvent& e) const {
    Str(w, "event_type", "tick_size_change");
    Str(w, "asset_id", e.asset_id);
    Str(w, "market", e.market);
    Str(w, "old_tick_size", e.old_tick.ToString());
    Str(w, "new_tick_size", e.new_tick.ToString());
    Str(w, "timestamp", Ts(e.timestamp_ms));
  }
  void operator()(const LastTradePriceEvent& e) const {
    Str(w, "event_type", "last_trade_price");
    Str(w, "asset_id", e.asset_id);
    Str(w, "market", e.market);
    Str(w, "fee_rate_bps", std::to_string(e.fee_rate_bps));
    Str(w, "price", e.price.ToString());
    Str(w, "side", model::SideName(e.side));
    Str(w, "size", e.size.ToString());
    Str(w, "timestamp", Ts(e.timestamp_ms));
    if (!e.transaction_hash.empty()) Str(w, "transaction_hash", e.transaction_hash);
  }
  void operator()(const BestBidAskEvent& e) const {
    Str(w, "event_type", "best_bid_ask");
    Str(w, "market", e.market);
    Str(w, "asset_id", e.asset_id);
    Str(w, "best_bid", OptPrice(e.best_bid));
    Str(w, "best_ask", OptPrice(e.best_ask));
    if (e.best_bid && e.best_ask) Str(w, "spread", model::Price(e.best_ask->units() - e.best_bid->units()).ToString());
    Str(w, "timestamp", Ts(e.timestamp_ms));
  }
  void operator()(const MarketResolvedEvent& e) const {
    Str(w, "event_type", "market_resolved");
    Str(w, "market", e.market);
    Strings(w, "assets_ids", e.asset_ids);
    Str(w, "winning_asset_id", e.winning_asset_id);
    Str(w, "winning_outcome", e.winning_outcome);
    Str(w, "timestamp", Ts(e.timestamp_ms));
  }
  void operator()(const NewMarketEvent& e) const {
    Str(w, "event_type", "new_market");
    Str(w, "market", e.market);
    Strings(w, "assets_ids", e.asset_ids);
    Str(w, "slug", e.slug);
    Str(w, "question", e.question);
    Str(w, "timestamp", Ts(e.timestamp_ms));
    if (!e.clob_token_ids.empty()) Strings(w, "clob_token_ids", e.clob_token_ids);
    Bool(w, "fees_enabled", e.fees_enabled);
    if (e.fee_schedule) {
      Key(w, "fee_schedule");
      w.StartObject();
      Key(w, "rate");
      w.RawValue(FormatFraction(e.fee_schedule->rate_ppm).c_str(),
                 static_cast<rapidjson::SizeType>(FormatFraction(e.fee_schedule->rate_ppm).size()),
                 rapidjson::kNumberType);
      Int(w, "exponent", e.fee_schedule->exponent);
      Bool(w, "taker_only", e.fee_schedule->taker_only);
      Key(w, "rebate_rate");
      w.RawValue(FormatFraction(e.fee_schedule->rebate_ppm).c_str(),
                 static_cast<rapidjson::SizeType>(FormatFraction(e.fee_schedule->rebate_ppm).size()),
                 rapidjson::kNumberType);
      w.EndObject();
    }
  }
};

void WriteTrade(Writer& w, const UserTradeEvent& t, bool websocket) {
  w.StartObject();
  if (websocket) {
    Str(w, "event_type", "trade");
    Str(w, "type", "TRADE");
  }
  Str(w, "id", t.id);
  Str(w, "taker_order_id", t.taker_order_id);
  Str(w, "market", t.market);
  Str(w, "asset_id", t.asset_id);
  Str(w, "side", model::SideName(t.side));
  Str(w, "size", t.size.ToString());
  Str(w, "fee_rate_bps", std::to_string(t.fee_rate_bps));
  Str(w, "price", t.price.ToString());
  Str(w, "status", TradeStatusName(t.status));
  Str(w, "match_time", Ts(t.match_time_ms / 1000));
  Str(w, "last_update", Ts(t.last_update_ms / 1000));
  Str(w, "owner", t.owner);
  Str(w, "trade_owner", t.trade_owner);
  Str(w, "maker_address", t.maker_address);
  Str(w, "transaction_hash", t.transaction_hash);
  Int(w, "bucket_index", t.bucket_index);
  if (!t.trader_side.empty()) Str(w, "trader_side", t.trader_side);
  if (!t.err_msg.empty()) Str(w, "err_msg", t.err_msg);
  Key(w, "maker_orders");
  w.StartArray();
  for (const MakerOrderLeg& m : t.maker_orders) {
    w.StartObject();
    Str(w, "order_id", m.order_id);
    Str(w, "owner", m.owner);
    Str(w, "maker_address", m.maker_address);
    Str(w, "matched_amount", m.matched_amount.ToString());
    Str(w, "price", m.price.ToString());
    Str(w, "fee_rate_bps", std::to_string(m.fee_rate_bps));
    Str(w, "asset_id", m.asset_id);
    Str(w, "outcome", m.outcome);
    if (m.side) Str(w, "side", model::SideName(*m.side));
    w.EndObject();
  }
  w.EndArray();
  if (websocket) Str(w, "timestamp", Ts(t.timestamp_ms));
  w.EndObject();
}

void WriteOpenOrder(Writer& w, const OpenOrder& o) {
  w.StartObject();
  Str(w, "id", o.id);
  Str(w, "status", o.status);
  Str(w, "owner", o.owner);
  Str(w, "maker_address", o.maker_address);
  Str(w, "market", o.market);
  Str(w, "asset_id", o.asset_id);
  Str(w, "side", model::SideName(o.side));
  Str(w, "original_size", o.original_size.ToString());
  Str(w, "size_matched", o.size_matched.ToString());
  Str(w, "price", o.price.ToString());
  Str(w, "outcome", o.outcome);
  Strings(w, "associate_trades", o.associate_trades);
  Int(w, "created_at", o.created_at_s);
  Str(w, "expiration", std::to_string(o.expiration_s));
  Str(w, "order_type", o.order_type);
  w.EndObject();
}

void WritePostResult(Writer& w, const PostOrderResult& r) {
  w.StartObject();
  Bool(w, "success", r.success);
  Str(w, "errorMsg", r.error_msg);
  Str(w, "orderID", r.order_id);
  Str(w, "status", r.status);
  Str(w, "makingAmount", r.making_amount == 0 ? std::string() : std::to_string(r.making_amount));
  Str(w, "takingAmount", r.taking_amount == 0 ? std::string() : std::to_string(r.taking_amount));
  Strings(w, "transactionsHashes", r.transaction_hashes);
  Strings(w, "tradeIDs", r.trade_ids);
  w.EndObject();
}

template <typename F>
std::string Write(F&& body) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  body(w);
  return std::string(buffer.GetString(), buffer.GetSize());
}

// Crypto++, not OpenSSL: the simulator's exchange core hashes books and must not link OpenSSL.
std::string Sha1Hex(std::string_view data) {
  std::array<uint8_t, CryptoPP::SHA1::DIGESTSIZE> digest{};
  CryptoPP::SHA1().CalculateDigest(digest.data(), reinterpret_cast<const uint8_t*>(data.data()), data.size());
  return HexEncode(std::span<const uint8_t>(digest), false);
}

}  // namespace

std::string EncodeMarketEvent(const MarketEvent& event) {
  return Write([&](Writer& w) {
    w.StartObject();
    std::visit(MarketEncoder{w}, event);
    w.EndObject();
  });
}

std::string EncodeMarketFrame(const std::vector<MarketEvent>& events) {
  return Write([&](Writer& w) {
    w.StartArray();
    for (const auto& e : events) {
      w.StartObject();
      std::visit(MarketEncoder{w}, e);
      w.EndObject();
    }
    w.EndArray();
  });
}

std::string EncodeUserEvent(const UserEvent& event) {
  return Write([&](Writer& w) {
    if (const auto* t = std::get_if<UserTradeEvent>(&event)) {
      WriteTrade(w, *t, true);
      return;
    }
    const auto& o = std::get<UserOrderEvent>(event);
    w.StartObject();
    Str(w, "event_type", "order");
    Str(w, "type", OrderEventTypeName(o.type));
    Str(w, "id", o.id);
    Str(w, "owner", o.owner);
    Str(w, "order_owner", o.order_owner);
    Str(w, "market", o.market);
    Str(w, "asset_id", o.asset_id);
    Str(w, "side", model::SideName(o.side));
    Str(w, "price", o.price.ToString());
    Str(w, "original_size", o.original_size.ToString());
    Str(w, "size_matched", o.size_matched.ToString());
    Str(w, "outcome", o.outcome);
    Strings(w, "associate_trades", o.associate_trades);
    Str(w, "order_type", o.order_type);
    Str(w, "expiration", std::to_string(o.expiration_s));
    Str(w, "created_at", std::to_string(o.created_at_ms / 1000));
    Str(w, "maker_address", o.maker_address);
    Str(w, "status", o.status);
    Str(w, "timestamp", Ts(o.timestamp_ms));
    w.EndObject();
  });
}

std::string EncodePostOrderResult(const PostOrderResult& result) {
  return Write([&](Writer& w) { WritePostResult(w, result); });
}

std::string EncodePostOrdersResponse(const std::vector<PostOrderResult>& results) {
  return Write([&](Writer& w) {
    w.StartArray();
    for (const auto& r : results) WritePostResult(w, r);
    w.EndArray();
  });
}

std::string EncodeCancelResult(const CancelResult& result) {
  return Write([&](Writer& w) {
    w.StartObject();
    Strings(w, "canceled", result.canceled);
    Key(w, "not_canceled");
    w.StartObject();
    for (const auto& [id, reason] : result.not_canceled) Str(w, id, reason);
    w.EndObject();
    w.EndObject();
  });
}

std::string EncodeOpenOrder(const OpenOrder& order) {
  return Write([&](Writer& w) { WriteOpenOrder(w, order); });
}

std::string EncodeOpenOrdersPage(const Page<OpenOrder>& page) {
  return Write([&](Writer& w) {
    w.StartObject();
    Int(w, "limit", 100);
    Int(w, "count", static_cast<int64_t>(page.data.size()));
    Str(w, "next_cursor", page.next_cursor.empty() ? std::string(kEndCursor) : page.next_cursor);
    Key(w, "data");
    w.StartArray();
    for (const auto& o : page.data) WriteOpenOrder(w, o);
    w.EndArray();
    w.EndObject();
  });
}

std::string EncodeTradesPage(const Page<UserTradeEvent>& page) {
  return Write([&](Writer& w) {
    w.StartObject();
    Int(w, "limit", 100);
    Int(w, "count", static_cast<int64_t>(page.data.size()));
    Str(w, "next_cursor", page.next_cursor.empty() ? std::string(kEndCursor) : page.next_cursor);
    Key(w, "data");
    w.StartArray();
    for (const auto& t : page.data) WriteTrade(w, t, false);
    w.EndArray();
    w.EndObject();
  });
}

std::string EncodeErrorBody(const ErrorBody& error) {
  return Write([&](Writer& w) {
    w.StartObject();
    Str(w, "error", error.error);
    if (!error.code.empty()) Str(w, "code", error.code);
    if (error.retry_after_seconds) Int(w, "retry_after_seconds", *error.retry_after_seconds);
    w.EndObject();
  });
}

std::string EncodeHeartbeat(const HeartbeatResult& result) {
  return Write([&](Writer& w) {
    w.StartObject();
    if (!result.error.empty()) Str(w, "error_msg", result.error);
    Str(w, "heartbeat_id", result.heartbeat_id);
    w.EndObject();
  });
}

std::string EncodeBalanceAllowance(const BalanceAllowance& balance) {
  return Write([&](Writer& w) {
    w.StartObject();
    Str(w, "balance", std::to_string(balance.balance));
    Key(w, "allowances");
    w.StartObject();
    for (const auto& [spender, amount] : balance.allowances) Str(w, spender, amount);
    w.EndObject();
    w.EndObject();
  });
}

std::string EncodeApiKey(const ApiKeyCreds& creds) {
  return Write([&](Writer& w) {
    w.StartObject();
    Str(w, "apiKey", creds.api_key);
    Str(w, "secret", creds.secret);
    Str(w, "passphrase", creds.passphrase);
    w.EndObject();
  });
}

namespace {
void Number(Writer& w, std::string_view key, const std::string& text) {
  Key(w, key);
  w.RawValue(text.c_str(), static_cast<rapidjson::SizeType>(text.size()), rapidjson::kNumberType);
}
}  // namespace

std::string EncodeClobMarket(const ClobMarketInfo& m) {
  return Write([&](Writer& w) {
    w.StartObject();
    Str(w, "c", m.condition_id);
    Key(w, "t");
    w.StartArray();
    for (size_t i = 0; i < m.token_ids.size(); ++i) {
      w.StartObject();
      Str(w, "t", m.token_ids[i]);
      Str(w, "o", i < m.outcomes.size() ? m.outcomes[i] : "");
      w.EndObject();
    }
    w.EndArray();
    Number(w, "mts", m.tick.ToString());
    Bool(w, "nr", m.neg_risk);
    Key(w, "fd");
    w.StartObject();
    Number(w, "r", FormatFraction(m.fees.enabled ? m.fees.rate_ppm : 0));
    Int(w, "e", m.fees.exponent);
    Bool(w, "to", m.fees.taker_only);
    w.EndObject();
    Number(w, "mos", m.min_order_size.ToString());
    Bool(w, "ao", m.accepting_orders);
    Int(w, "sd", m.seconds_delay);
    Bool(w, "itode", m.taker_delay);
    w.EndObject();
  });
}

std::string EncodeRebates(const std::vector<RebateEntry>& entries) {
  return Write([&](Writer& w) {
    w.StartArray();
    for (const RebateEntry& e : entries) {
      w.StartObject();
      Str(w, "date", e.date);
      Str(w, "condition_id", e.condition_id);
      Str(w, "asset_address", e.asset_address);
      Str(w, "maker_address", e.maker_address);
      Str(w, "rebated_fees_usdc", model::FormatScaled(e.rebated_fees_micros, 6));
      w.EndObject();
    }
    w.EndArray();
  });
}

std::string MarketSubscribeMessage(const std::vector<std::string>& asset_ids, bool initial_dump) {
  return Write([&](Writer& w) {
    w.StartObject();
    Strings(w, "assets_ids", asset_ids);
    Str(w, "type", "market");
    Bool(w, "initial_dump", initial_dump);
    Bool(w, "custom_feature_enabled", true);
    w.EndObject();
  });
}

std::string MarketSubscriptionUpdate(const std::vector<std::string>& asset_ids, bool subscribe) {
  return Write([&](Writer& w) {
    w.StartObject();
    Strings(w, "assets_ids", asset_ids);
    Str(w, "operation", subscribe ? "subscribe" : "unsubscribe");
    w.EndObject();
  });
}

std::string UserSubscriptionUpdate(const std::vector<std::string>& markets, bool subscribe) {
  return Write([&](Writer& w) {
    w.StartObject();
    Strings(w, "markets", markets);
    Str(w, "operation", subscribe ? "subscribe" : "unsubscribe");
    w.EndObject();
  });
}

std::string UserSubscribeMessage(const ApiKeyCreds& creds, const std::vector<std::string>& markets) {
  return Write([&](Writer& w) {
    w.StartObject();
    Key(w, "auth");
    w.StartObject();
    Str(w, "apiKey", creds.api_key);
    Str(w, "secret", creds.secret);
    Str(w, "passphrase", creds.passphrase);
    w.EndObject();
    Str(w, "type", "user");
    Strings(w, "markets", markets);
    Strings(w, "assets_ids", {});
    Bool(w, "initial_dump", true);
    w.EndObject();
  });
}

namespace {
// The summary object in the exchange's key order; `hash` is "" when hashing.
void WriteSummary(Writer& w, const BookSummaryText& s, std::string_view hash) {
  w.StartObject();
  Str(w, "market", s.market);
  Str(w, "asset_id", s.asset_id);
  Str(w, "timestamp", s.timestamp);
  Str(w, "hash", hash);
  for (const auto* side : {"bids", "asks"}) {
    Key(w, side);
    w.StartArray();
    for (const auto& [price, size] : std::string_view(side) == "bids" ? s.bids : s.asks) {
      w.StartObject();
      Str(w, "price", price);
      Str(w, "size", size);
      w.EndObject();
    }
    w.EndArray();
  }
  Str(w, "min_order_size", s.min_order_size);
  Str(w, "tick_size", s.tick_size);
  Bool(w, "neg_risk", s.neg_risk);
  Str(w, "last_trade_price", s.last_trade_price);
  w.EndObject();
}
}  // namespace

std::string BookSummaryHash(const BookSummaryText& s) {
  return Sha1Hex(Write([&](Writer& w) { WriteSummary(w, s, ""); }));
}

std::string EncodeRestBook(const BookEvent& book) {
  BookSummaryText s;
  s.market = book.market;
  s.asset_id = book.asset_id;
  s.timestamp = std::to_string(book.timestamp_ms);
  // The REST book lists best prices last (bids ascending, asks descending): the official
  // clients' market-price helpers walk the arrays from the end.
  std::vector<Level> bids = book.bids, asks = book.asks;
  std::sort(bids.begin(), bids.end(), [](const Level& a, const Level& b) { return a.price < b.price; });
  std::sort(asks.begin(), asks.end(), [](const Level& a, const Level& b) { return a.price > b.price; });
  for (const Level& l : bids) s.bids.emplace_back(l.price.ToString(), l.size.ToString());
  for (const Level& l : asks) s.asks.emplace_back(l.price.ToString(), l.size.ToString());
  s.min_order_size = book.min_order_size ? book.min_order_size->ToString() : "5";
  s.tick_size = book.tick_size ? book.tick_size->ToString() : "0.01";
  s.neg_risk = book.neg_risk.value_or(false);
  s.last_trade_price = book.last_trade_price ? book.last_trade_price->ToString() : "";
  const std::string hash = book.hash.empty() ? BookSummaryHash(s) : book.hash;
  return Write([&](Writer& w) { WriteSummary(w, s, hash); });
}

BookHashVerdict VerifyRestBookHash(std::string_view body) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseNumbersAsStringsFlag>(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return BookHashVerdict::kUncheckable;
  const auto text = [&](const char* key, std::string& out) {
    auto it = doc.FindMember(key);
    if (it == doc.MemberEnd() || !it->value.IsString()) return false;
    out.assign(it->value.GetString(), it->value.GetStringLength());
    return true;
  };
  BookSummaryText s;
  std::string hash;
  if (!text("hash", hash) || hash.empty() || !text("market", s.market) || !text("asset_id", s.asset_id) ||
      !text("timestamp", s.timestamp) || !text("min_order_size", s.min_order_size) || !text("tick_size", s.tick_size) ||
      !text("last_trade_price", s.last_trade_price)) {
    return BookHashVerdict::kUncheckable;
  }
  auto nr = doc.FindMember("neg_risk");
  if (nr == doc.MemberEnd() || !nr->value.IsBool()) return BookHashVerdict::kUncheckable;
  s.neg_risk = nr->value.GetBool();
  for (const char* side : {"bids", "asks"}) {
    auto it = doc.FindMember(side);
    if (it == doc.MemberEnd() || !it->value.IsArray()) return BookHashVerdict::kUncheckable;
    for (const auto& level : it->value.GetArray()) {
      if (!level.IsObject() || !level.HasMember("price") || !level.HasMember("size") || !level["price"].IsString() ||
          !level["size"].IsString()) {
        return BookHashVerdict::kUncheckable;
      }
      (std::string_view(side) == "bids" ? s.bids : s.asks)
          .emplace_back(level["price"].GetString(), level["size"].GetString());
    }
  }
  return BookSummaryHash(s) == hash ? BookHashVerdict::kMatch : BookHashVerdict::kMismatch;
}

}  // namespace clobmaker::polymarket
