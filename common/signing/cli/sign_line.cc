#include "common/signing/cli/sign_line.h"

#include <fmt/core.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <map>
#include <optional>

#include "common/core/hex.h"
#include "common/core/status.h"
#include "common/signing/order.h"

namespace clobmaker::signing {
namespace {

using rapidjson::Value;

std::string ErrorLine(std::string_view reason) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("error");
  writer.String(reason.data(), static_cast<rapidjson::SizeType>(reason.size()));
  writer.EndObject();
  return buffer.GetString();
}

// With kParseNumbersAsStringsFlag every number arrives as its exact source text.
absl::StatusOr<std::string> Text(const Value& doc, const char* name, bool required = true, std::string fallback = {}) {
  const auto it = doc.FindMember(name);
  if (it == doc.MemberEnd() || it->value.IsNull()) {
    if (required) return absl::InvalidArgumentError(fmt::format("missing field '{}'", name));
    return fallback;
  }
  if (!it->value.IsString())
    return absl::InvalidArgumentError(fmt::format("field '{}' must be a string or number", name));
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

absl::StatusOr<uint64_t> Unsigned(const Value& doc, const char* name, bool required, uint64_t fallback = 0) {
  CM_ASSIGN_OR_RETURN(std::string text, Text(doc, name, required, std::to_string(fallback)));
  uint64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) {
    return absl::InvalidArgumentError(fmt::format("field '{}' must be a non-negative integer, got '{}'", name, text));
  }
  return value;
}

absl::StatusOr<bool> Bool(const Value& doc, const char* name) {
  const auto it = doc.FindMember(name);
  if (it == doc.MemberEnd()) return false;
  if (!it->value.IsBool()) return absl::InvalidArgumentError(fmt::format("field '{}' must be true or false", name));
  return it->value.GetBool();
}

absl::StatusOr<crypto::Address> AddressField(const Value& doc, const char* name, const crypto::Address& fallback) {
  CM_ASSIGN_OR_RETURN(std::string text, Text(doc, name, false));
  if (text.empty()) return fallback;
  auto address = crypto::Address::Parse(text);
  if (!address.ok()) return Annotate(address.status(), name);
  return *address;
}

absl::StatusOr<crypto::Hash32> Bytes32Field(const Value& doc, const char* name) {
  CM_ASSIGN_OR_RETURN(std::string text, Text(doc, name, false));
  crypto::Hash32 out{};
  if (text.empty()) return out;
  if (!HexDecodeInto(text, out).ok())
    return absl::InvalidArgumentError(fmt::format("field '{}' must be 0x + 64 hex digits", name));
  return out;
}

}  // namespace

struct SignerCache::Impl {
  std::map<std::string, crypto::PrivateKey> keys;  // bounded: cleared when it grows past 1024
};
SignerCache::SignerCache() : impl_(new Impl) {}
SignerCache::~SignerCache() {
  for (auto& [hex, key] : impl_->keys) crypto::Wipe(const_cast<char*>(hex.data()), hex.size());
  delete impl_;
}

namespace {

absl::StatusOr<const crypto::PrivateKey*> KeyFor(const std::string& hex, SignerCache* cache,
                                                 std::optional<crypto::PrivateKey>& local) {
  if (cache != nullptr) {
    auto& keys = cache->impl().keys;
    if (auto it = keys.find(hex); it != keys.end()) return &it->second;
    auto key = crypto::PrivateKey::FromHex(hex);
    if (!key.ok()) return key.status();
    if (keys.size() >= 1024) keys.clear();
    return &keys.emplace(hex, std::move(*key)).first->second;
  }
  auto key = crypto::PrivateKey::FromHex(hex);
  if (!key.ok()) return key.status();
  local.emplace(std::move(*key));
  return &*local;
}

absl::StatusOr<std::string> Sign(std::string_view line, SignerCache* cache) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseNumbersAsStringsFlag>(line.data(), line.size());
  if (doc.HasParseError() || !doc.IsObject()) return absl::InvalidArgumentError("input is not a JSON object");

  CM_ASSIGN_OR_RETURN(const uint64_t version_number, Unsigned(doc, "version", false, 1));
  CM_ASSIGN_OR_RETURN(const OrderVersion version, OrderVersionFromInt(static_cast<int64_t>(version_number)));
  CM_ASSIGN_OR_RETURN(std::string key_text, Text(doc, "private_key"));
  std::optional<crypto::PrivateKey> local_key;
  auto key = KeyFor(key_text, cache, local_key);
  crypto::Wipe(key_text.data(), key_text.size());
  if (!key.ok()) return key.status();
  CM_ASSIGN_OR_RETURN(const uint64_t chain_id, Unsigned(doc, "chain_id", true));
  CM_ASSIGN_OR_RETURN(const ChainContracts contracts, ContractsForChain(chain_id));
  CM_ASSIGN_OR_RETURN(const bool neg_risk, Bool(doc, "neg_risk"));

  CM_ASSIGN_OR_RETURN(const std::string tick_text, Text(doc, "tick_size"));
  CM_ASSIGN_OR_RETURN(const model::TickSize tick, model::TickSize::Parse(tick_text));
  CM_ASSIGN_OR_RETURN(const std::string side_text, Text(doc, "side"));
  CM_ASSIGN_OR_RETURN(const model::Side side, model::ParseSide(side_text));
  CM_ASSIGN_OR_RETURN(const std::string price_text, Text(doc, "price"));
  auto price = model::Price::Parse(price_text);
  if (!price.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("price '{}' is not a price in (0, 1) on the {} tick", price_text, tick.ToString()));
  }
  CM_ASSIGN_OR_RETURN(const std::string size_text, Text(doc, "size"));
  auto size = model::Size::Parse(size_text);
  if (!size.ok())
    return absl::InvalidArgumentError(
        fmt::format("size '{}' is not a positive size with at most 2 decimals", size_text));
  CM_ASSIGN_OR_RETURN(const OrderAmounts amounts, LimitOrderAmounts(side, *price, *size, tick));

  CM_ASSIGN_OR_RETURN(const std::string token_text, Text(doc, "token_id"));
  auto token = Uint256::FromDecimal(token_text);
  if (!token.ok()) return Annotate(token.status(), "token_id");
  CM_ASSIGN_OR_RETURN(const uint64_t sig_type_number, Unsigned(doc, "signature_type", false, 0));
  CM_ASSIGN_OR_RETURN(const SignatureType sig_type, SignatureTypeFromInt(static_cast<int64_t>(sig_type_number)));

  UnsignedOrder order;
  CM_ASSIGN_OR_RETURN(const std::string salt_text, Text(doc, "salt"));
  auto salt = Uint256::FromDecimal(salt_text);
  if (!salt.ok()) return Annotate(salt.status(), "salt");
  order.salt = *salt;
  CM_ASSIGN_OR_RETURN(order.signer, AddressField(doc, "signer", (*key)->address()));
  CM_ASSIGN_OR_RETURN(order.maker, AddressField(doc, "maker", order.signer));
  order.token_id = *token;
  order.maker_amount = amounts.maker;
  order.taker_amount = amounts.taker;
  order.side = side;
  order.signature_type = sig_type;
  CM_ASSIGN_OR_RETURN(order.expiration, Unsigned(doc, "expiration", false, 0));
  if (version == OrderVersion::kV1) {
    CM_ASSIGN_OR_RETURN(order.nonce, Unsigned(doc, "nonce", false, 0));
    CM_ASSIGN_OR_RETURN(order.fee_rate_bps, Unsigned(doc, "fee_rate_bps", false, 0));
    CM_ASSIGN_OR_RETURN(order.taker, AddressField(doc, "taker", crypto::Address()));
  } else {
    CM_ASSIGN_OR_RETURN(order.timestamp_ms, Unsigned(doc, "timestamp", true));
    CM_ASSIGN_OR_RETURN(order.metadata, Bytes32Field(doc, "metadata"));
    CM_ASSIGN_OR_RETURN(order.builder, Bytes32Field(doc, "builder"));
  }

  const crypto::Address exchange = ExchangeFor(contracts, version, neg_risk);
  const OrderDomainHash domain = HashDomain({.version = version, .chain_id = chain_id, .exchange = exchange});
  CM_ASSIGN_OR_RETURN(const SignedOrder signed_order, SignOrder(order, domain, **key));

  return fmt::format(
      R"({{"maker_amount":"{}","taker_amount":"{}","exchange":"{}","order_hash":"{}","signature":"{}"}})",
      amounts.maker, amounts.taker, exchange.ToChecksum(), signed_order.id.ToString(), signed_order.signature);
}

}  // namespace

std::string SignLine(std::string_view line, SignerCache* cache) {
  auto result = Sign(line, cache);
  if (!result.ok()) return ErrorLine(StatusText(result.status()));
  return *result;
}

}  // namespace clobmaker::signing
