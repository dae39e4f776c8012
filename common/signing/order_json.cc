#include "common/signing/order_json.h"

#include <fmt/core.h>
#include <rapidjson/document.h>

#include <charconv>

#include "common/core/hex.h"
#include "common/core/status.h"

namespace clobmaker::signing {
namespace {

using rapidjson::Value;

absl::Status Bad(std::string_view why) {
  return absl::InvalidArgumentError(fmt::format("Invalid order payload: {}", why));
}

absl::StatusOr<std::string> Field(const Value& obj, const char* name, bool required = true) {
  const auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || it->value.IsNull()) {
    if (required) return Bad(fmt::format("missing '{}'", name));
    return std::string();
  }
  if (!it->value.IsString()) return Bad(fmt::format("'{}' has the wrong type", name));
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

absl::StatusOr<uint64_t> U64(const Value& obj, const char* name, bool required = true) {
  CM_ASSIGN_OR_RETURN(std::string text, Field(obj, name, required));
  if (text.empty()) return uint64_t{0};
  uint64_t v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) return Bad(fmt::format("'{}' is not an integer", name));
  return v;
}

absl::StatusOr<crypto::Address> Addr(const Value& obj, const char* name) {
  CM_ASSIGN_OR_RETURN(std::string text, Field(obj, name));
  auto a = crypto::Address::Parse(text);
  if (!a.ok()) return Bad(fmt::format("'{}' is not an address", name));
  return *a;
}

absl::StatusOr<PostedOrder> FromValue(const Value& root) {
  if (!root.IsObject()) return Bad("not an object");
  const auto order_it = root.FindMember("order");
  if (order_it == root.MemberEnd() || !order_it->value.IsObject()) return Bad("missing 'order'");
  const Value& o = order_it->value;
  PostedOrder out;
  CM_ASSIGN_OR_RETURN(out.owner, Field(root, "owner"));
  CM_ASSIGN_OR_RETURN(std::string type, Field(root, "orderType"));
  auto parsed_type = ParseOrderType(type);
  if (!parsed_type.ok()) return Bad("unknown orderType");
  out.type = *parsed_type;
  for (const auto& [name, flag] : {std::pair{"postOnly", &out.post_only}, std::pair{"deferExec", &out.defer_exec}}) {
    const auto it = root.FindMember(name);
    if (it != root.MemberEnd() && !it->value.IsNull()) {
      if (!it->value.IsBool()) return Bad(fmt::format("'{}' must be a boolean", name));
      *flag = it->value.GetBool();
    }
  }
  UnsignedOrder& u = out.order.order;
  CM_ASSIGN_OR_RETURN(std::string salt, Field(o, "salt"));
  auto salt_value = Uint256::FromDecimal(salt);
  if (!salt_value.ok()) return Bad("'salt' is not an integer");
  u.salt = *salt_value;
  CM_ASSIGN_OR_RETURN(u.maker, Addr(o, "maker"));
  CM_ASSIGN_OR_RETURN(u.signer, Addr(o, "signer"));
  CM_ASSIGN_OR_RETURN(std::string token, Field(o, "tokenId"));
  auto token_value = Uint256::FromDecimal(token);
  if (!token_value.ok()) return Bad("'tokenId' is not an integer");
  u.token_id = *token_value;
  CM_ASSIGN_OR_RETURN(const uint64_t maker_amount, U64(o, "makerAmount"));
  CM_ASSIGN_OR_RETURN(const uint64_t taker_amount, U64(o, "takerAmount"));
  if (maker_amount == 0 || taker_amount == 0 || maker_amount > INT64_MAX || taker_amount > INT64_MAX) {
    return Bad("amounts must be positive");
  }
  u.maker_amount = static_cast<int64_t>(maker_amount);
  u.taker_amount = static_cast<int64_t>(taker_amount);
  CM_ASSIGN_OR_RETURN(std::string side, Field(o, "side"));
  if (side == "BUY" || side == "0") {
    u.side = model::Side::kBuy;
  } else if (side == "SELL" || side == "1") {
    u.side = model::Side::kSell;
  } else {
    return Bad("'side' must be BUY or SELL");
  }
  CM_ASSIGN_OR_RETURN(const uint64_t sig_type, U64(o, "signatureType"));
  auto st = SignatureTypeFromInt(static_cast<int64_t>(sig_type));
  if (!st.ok()) return Bad("unknown signatureType");
  u.signature_type = *st;
  CM_ASSIGN_OR_RETURN(u.expiration, U64(o, "expiration", false));
  CM_ASSIGN_OR_RETURN(out.order.signature, Field(o, "signature"));
  out.v1_shape = o.HasMember("nonce") || o.HasMember("feeRateBps") || o.HasMember("taker");
  if (out.v1_shape) {
    out.order.version = OrderVersion::kV1;
    if (o.HasMember("taker")) {
      CM_ASSIGN_OR_RETURN(u.taker, Addr(o, "taker"));
    }
    CM_ASSIGN_OR_RETURN(u.nonce, U64(o, "nonce", false));
    CM_ASSIGN_OR_RETURN(u.fee_rate_bps, U64(o, "feeRateBps", false));
  } else {
    out.order.version = OrderVersion::kV2;
    CM_ASSIGN_OR_RETURN(u.timestamp_ms, U64(o, "timestamp"));
    for (const auto& [name, dest] : {std::pair{"metadata", &u.metadata}, std::pair{"builder", &u.builder}}) {
      CM_ASSIGN_OR_RETURN(std::string text, Field(o, name, false));
      if (!text.empty() && !HexDecodeInto(text, *dest).ok()) return Bad(fmt::format("'{}' must be bytes32", name));
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<PostedOrder> ParsePostOrderJson(std::string_view body) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseNumbersAsStringsFlag>(body.data(), body.size());
  if (doc.HasParseError()) return Bad("malformed JSON");
  return FromValue(doc);
}

absl::StatusOr<std::vector<PostedOrder>> ParsePostOrdersJson(std::string_view body) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseNumbersAsStringsFlag>(body.data(), body.size());
  if (doc.HasParseError()) return Bad("malformed JSON");
  if (!doc.IsArray()) return Bad("a batch must be a JSON array");
  std::vector<PostedOrder> out;
  for (const auto& v : doc.GetArray()) {
    CM_ASSIGN_OR_RETURN(PostedOrder p, FromValue(v));
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace clobmaker::signing
