#include "common/signing/order.h"

#include <fmt/core.h>

#include <cstring>

#include "common/core/hex.h"
#include "common/core/int128.h"
#include "common/core/json_text.h"
#include "common/core/status.h"
#include "common/signing/session_signer.h"

namespace clobmaker::signing {
namespace {

using crypto::Address;
using crypto::Hash32;

constexpr std::string_view kOrderTypeV1 =
    "Order(uint256 salt,address maker,address signer,address taker,uint256 tokenId,uint256 makerAmount,"
    "uint256 takerAmount,uint256 expiration,uint256 nonce,uint256 feeRateBps,uint8 side,uint8 signatureType)";
constexpr std::string_view kOrderTypeV2 =
    "Order(uint256 salt,address maker,address signer,uint256 tokenId,uint256 makerAmount,uint256 takerAmount,"
    "uint8 side,uint8 signatureType,uint256 timestamp,bytes32 metadata,bytes32 builder)";
constexpr std::string_view kTypedDataSignPrefix =
    "TypedDataSign(Order contents,string name,string version,uint256 chainId,address verifyingContract,bytes32 salt)";
constexpr uint64_t kMaxJsonSafeInteger = (uint64_t{1} << 53) - 1;

const Hash32& TypeHashV1() {
  static const Hash32 h = crypto::Keccak256(kOrderTypeV1);
  return h;
}
const Hash32& TypeHashV2() {
  static const Hash32 h = crypto::Keccak256(kOrderTypeV2);
  return h;
}
const Hash32& TypedDataSignTypeHash() {
  static const Hash32 h = crypto::Keccak256(std::string(kTypedDataSignPrefix) + std::string(kOrderTypeV2));
  return h;
}

Address MustParse(std::string_view text) {
  auto a = Address::Parse(text);
  CM_CHECK(a.ok());
  return *a;
}

void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  AppendJsonEscaped(out, s);
  out += '"';
}

}  // namespace

absl::StatusOr<OrderVersion> OrderVersionFromInt(int64_t version) {
  if (version >= 1 && version <= 3) return static_cast<OrderVersion>(version);
  return absl::InvalidArgumentError(fmt::format("unsupported order version {} (expected 1, 2 or 3)", version));
}

absl::StatusOr<SignatureType> SignatureTypeFromInt(int64_t type) {
  if (type >= 0 && type <= 3) return static_cast<SignatureType>(type);
  return absl::InvalidArgumentError(fmt::format("unsupported signature type {} (expected 0-3)", type));
}

std::string_view OrderTypeName(OrderType type) {
  switch (type) {
    case OrderType::kGtc:
      return "GTC";
    case OrderType::kGtd:
      return "GTD";
    case OrderType::kFok:
      return "FOK";
    case OrderType::kFak:
      return "FAK";
  }
  return "GTC";
}

absl::StatusOr<OrderType> ParseOrderType(std::string_view text) {
  if (text == "GTC") return OrderType::kGtc;
  if (text == "GTD") return OrderType::kGtd;
  if (text == "FOK") return OrderType::kFok;
  if (text == "FAK") return OrderType::kFak;
  return absl::InvalidArgumentError(fmt::format("unknown order type '{}'", text));
}

absl::StatusOr<ChainContracts> ContractsForChain(uint64_t chain_id) {
  // Source: @polymarket/clob-client-v2 1.1.0 config (docs/protocol.md).
  if (chain_id == 137) {
    return ChainContracts{.exchange = MustParse("0x4bFb41d5B3570DeFd03C39a9A4D8dE6Bd8B8982E"),
                          .neg_risk_exchange = MustParse("0xC5d563A36AE78145C45a50134d48A1215220f80a"),
                          .exchange_v2 = MustParse("0xE111180000d2663C0091e4f400237545B87B996B"),
                          .neg_risk_exchange_v2 = MustParse("0xe2222d279d744050d28e00520010520000310F59"),
                          .exchange_v3 = MustParse("0xe3333700cA9d93003F00f0F71f8515005F6c00Aa"),
                          .collateral = MustParse("0xC011a7E12a19f7B1f670d46F03B03f3342E82DFB"),
                          .conditional_tokens = MustParse("0x4D97DCd97eC945f40cF65F87097ACe5EA0476045")};
  }
  if (chain_id == 80002) {
    return ChainContracts{.exchange = MustParse("0xdFE02Eb6733538f8Ea35D585af8DE5958AD99E40"),
                          .neg_risk_exchange = MustParse("0xC5d563A36AE78145C45a50134d48A1215220f80a"),
                          .exchange_v2 = MustParse("0xE111180000d2663C0091e4f400237545B87B996B"),
                          .neg_risk_exchange_v2 = MustParse("0xe2222d279d744050d28e00520010520000310F59"),
                          .exchange_v3 = MustParse("0x9fE6e61422AdB6F610d8597F9684b16912D50C3D"),
                          .collateral = MustParse("0xC011a7E12a19f7B1f670d46F03B03f3342E82DFB"),
                          .conditional_tokens = MustParse("0x69308FB512518e39F9b16112fA8d994F4e2Bf8bB")};
  }
  return absl::InvalidArgumentError(fmt::format("unsupported chain id {} (expected 137 or 80002)", chain_id));
}

Address ExchangeFor(const ChainContracts& contracts, OrderVersion version, bool neg_risk) {
  switch (version) {
    case OrderVersion::kV1:
      return neg_risk ? contracts.neg_risk_exchange : contracts.exchange;
    case OrderVersion::kV2:
      return neg_risk ? contracts.neg_risk_exchange_v2 : contracts.exchange_v2;
    case OrderVersion::kV3:
      return contracts.exchange_v3;
  }
  return contracts.exchange_v2;
}

absl::StatusOr<OrderAmounts> LimitOrderAmounts(model::Side side, model::Price price, model::Size size,
                                               model::TickSize tick) {
  if (price.units() <= 0 || price.units() >= model::kPriceOne) {
    return absl::InvalidArgumentError(fmt::format("price {} is outside (0, 1)", price.ToString()));
  }
  if (!tick.IsOnGrid(price)) {
    return absl::InvalidArgumentError(
        fmt::format("price {} is not on the {} tick grid", price.ToString(), tick.ToString()));
  }
  if (!tick.IsValidOrderPrice(price)) {
    return absl::InvalidArgumentError(
        fmt::format("price {} is outside [{}, {}]", price.ToString(), tick.ToString(), tick.MaxPrice().ToString()));
  }
  if (size.micros() <= 0) return absl::InvalidArgumentError("size must be positive");
  constexpr int64_t kSizeStep = model::kQuantityOne / 100;  // 2 decimals
  if (size.micros() % kSizeStep != 0) {
    return absl::InvalidArgumentError(fmt::format("size {} has more than 2 decimals", size.ToString()));
  }
  // size (2 dp) x price (price-decimals dp) has exactly the "amount" decimals of the official
  // rounding table, so the clients' round-up/round-down steps never change the exact product.
  const Int128 notional_e10 = static_cast<Int128>(size.micros()) * price.units();  // 10^-10 units
  CM_CHECK(notional_e10 % model::kPriceOne == 0);  // 2-decimal size x 4-decimal price fits 10^-6
  const Int128 notional = notional_e10 / model::kPriceOne;
  if (notional > INT64_MAX) return absl::InvalidArgumentError("order notional out of range");
  const auto collateral = static_cast<int64_t>(notional);
  if (side == model::Side::kBuy) return OrderAmounts{.maker = collateral, .taker = size.micros()};
  return OrderAmounts{.maker = size.micros(), .taker = collateral};
}

OrderDomainHash HashDomain(const OrderDomain& domain) {
  crypto::Eip712Domain d{.name = "Polymarket CTF Exchange",
                         .version = std::to_string(static_cast<int>(domain.version)),
                         .chain_id = domain.chain_id,
                         .verifying_contract = domain.exchange};
  return OrderDomainHash{.domain = domain, .separator = crypto::DomainSeparator(d)};
}

std::string_view OrderTypeString(OrderVersion version) {
  return version == OrderVersion::kV1 ? kOrderTypeV1 : kOrderTypeV2;
}

Hash32 OrderStructHash(const UnsignedOrder& o, OrderVersion version) {
  crypto::AbiEncoder enc;
  const auto amount = [](int64_t v) { return Uint256(static_cast<uint64_t>(v)); };
  if (version == OrderVersion::kV1) {
    enc.Word(TypeHashV1())
        .Uint(o.salt)
        .Addr(o.maker)
        .Addr(o.signer)
        .Addr(o.taker)
        .Uint(o.token_id)
        .Uint(amount(o.maker_amount))
        .Uint(amount(o.taker_amount))
        .Uint(o.expiration)
        .Uint(o.nonce)
        .Uint(o.fee_rate_bps)
        .Uint(static_cast<uint64_t>(o.side))
        .Uint(static_cast<uint64_t>(o.signature_type));
  } else {
    enc.Word(TypeHashV2())
        .Uint(o.salt)
        .Addr(o.maker)
        .Addr(o.signer)
        .Uint(o.token_id)
        .Uint(amount(o.maker_amount))
        .Uint(amount(o.taker_amount))
        .Uint(static_cast<uint64_t>(o.side))
        .Uint(static_cast<uint64_t>(o.signature_type))
        .Uint(o.timestamp_ms)
        .Word(o.metadata)
        .Word(o.builder);
  }
  return enc.Keccak();
}

Hash32 OrderHash(const UnsignedOrder& order, const OrderDomainHash& domain) {
  return crypto::Eip712Digest(domain.separator, OrderStructHash(order, domain.domain.version));
}

Hash32 Poly1271Digest(const UnsignedOrder& order, const OrderDomainHash& domain) {
  const Hash32 contents = OrderStructHash(order, domain.domain.version);
  crypto::AbiEncoder enc;
  enc.Word(TypedDataSignTypeHash())
      .Word(contents)
      .StringHash("DepositWallet")
      .StringHash("1")
      .Uint(domain.domain.chain_id)
      .Addr(order.signer)
      .Word(Hash32{});
  return crypto::Eip712Digest(domain.separator, enc.Keccak());
}

namespace {
absl::Status ValidateForSigning(const UnsignedOrder& order, OrderVersion version) {
  if (order.salt > Uint256(kMaxJsonSafeInteger)) {
    return absl::InvalidArgumentError("salt exceeds 2^53 - 1 (it is sent as a JSON number)");
  }
  if (order.maker_amount <= 0 || order.taker_amount <= 0) return absl::InvalidArgumentError("amounts must be positive");
  if (order.signature_type == SignatureType::kPoly1271) {
    if (version == OrderVersion::kV1) {
      return absl::InvalidArgumentError("signature type POLY_1271 is not supported for v1 orders");
    }
    if (order.maker != order.signer) {
      return absl::InvalidArgumentError("POLY_1271 orders need signer == maker (the deposit wallet)");
    }
  }
  return absl::OkStatus();
}
}  // namespace

namespace {
// ERC-7739 wrapped signature: ecdsa(65) || appDomainSeparator(32) || contentsHash(32) ||
// contentsType (ASCII) || uint16 big-endian length of contentsType.
std::vector<uint8_t> Poly1271Wrap(const UnsignedOrder& order, const OrderDomainHash& domain,
                                  const crypto::PrivateKey& key) {
  const Hash32 contents = OrderStructHash(order, domain.domain.version);
  const crypto::Signature inner = key.Sign(Poly1271Digest(order, domain));
  const std::string_view type = OrderTypeString(domain.domain.version);
  std::vector<uint8_t> wrapped;
  wrapped.reserve(65 + 64 + type.size() + 2);
  wrapped.insert(wrapped.end(), inner.bytes.begin(), inner.bytes.end());
  wrapped.insert(wrapped.end(), domain.separator.begin(), domain.separator.end());
  wrapped.insert(wrapped.end(), contents.begin(), contents.end());
  wrapped.insert(wrapped.end(), type.begin(), type.end());
  wrapped.push_back(static_cast<uint8_t>(type.size() >> 8));
  wrapped.push_back(static_cast<uint8_t>(type.size() & 0xff));
  return wrapped;
}
}  // namespace

absl::StatusOr<SignedOrder> SignOrder(const UnsignedOrder& order, const OrderDomainHash& domain,
                                      const crypto::PrivateKey& key) {
  const OrderVersion version = domain.domain.version;
  CM_RETURN_IF_ERROR(ValidateForSigning(order, version));
  SignedOrder out{.order = order, .version = version};
  const Hash32 contents = OrderStructHash(order, version);
  const Hash32 digest = crypto::Eip712Digest(domain.separator, contents);
  out.id = model::OrderId(digest);
  if (order.signature_type != SignatureType::kPoly1271) {
    if (key.address() != order.signer) {
      return absl::InvalidArgumentError(fmt::format("signer {} does not match the key's address {}",
                                                    order.signer.ToChecksum(), key.address().ToChecksum()));
    }
    out.signature = key.Sign(digest).ToHex();
    return out;
  }
  out.signature = HexEncode(Poly1271Wrap(order, domain, key));
  return out;
}

absl::StatusOr<SignedOrder> SignOrderAsSessionKey(const UnsignedOrder& order, const OrderDomainHash& domain,
                                                  const crypto::PrivateKey& session_key) {
  const OrderVersion version = domain.domain.version;
  if (order.signature_type != SignatureType::kPoly1271) {
    return absl::InvalidArgumentError("session keys sign only POLY_1271 (deposit wallet) orders");
  }
  CM_RETURN_IF_ERROR(ValidateForSigning(order, version));
  SignedOrder out{.order = order, .version = version};
  out.id = model::OrderId(crypto::Eip712Digest(domain.separator, OrderStructHash(order, version)));
  out.signature =
      HexEncode(WrapSessionSignerSignature(session_key.address(), Poly1271Wrap(order, domain, session_key)));
  return out;
}

absl::StatusOr<crypto::Address> VerifyOrderSignature(const SignedOrder& signed_order, const OrderDomainHash& domain) {
  auto signer = VerifyOrderSigner(signed_order, domain);
  if (!signer.ok()) return signer.status();
  return signer->address;
}

absl::StatusOr<OrderSigner> VerifyOrderSigner(const SignedOrder& signed_order, const OrderDomainHash& domain) {
  const UnsignedOrder& o = signed_order.order;
  if (signed_order.version != domain.domain.version) {
    return absl::PermissionDeniedError("order version does not match the exchange's domain");
  }
  const Hash32 contents = OrderStructHash(o, domain.domain.version);
  const Hash32 digest = crypto::Eip712Digest(domain.separator, contents);
  if (model::OrderId(digest) != signed_order.id) return absl::PermissionDeniedError("order id is not the order hash");
  auto bytes = HexDecode(signed_order.signature);
  if (!bytes.ok()) return absl::PermissionDeniedError("invalid signature encoding");
  crypto::Signature sig;
  if (o.signature_type != SignatureType::kPoly1271) {
    if (bytes->size() != 65) return absl::PermissionDeniedError("invalid signature length");
    std::memcpy(sig.bytes.data(), bytes->data(), 65);
    auto recovered = crypto::RecoverAddress(digest, sig);
    if (!recovered.ok())
      return absl::PermissionDeniedError(fmt::format("invalid signature: {}", StatusText(recovered.status())));
    if (*recovered != o.signer) return absl::PermissionDeniedError("invalid signature: signer does not match");
    if (o.signature_type == SignatureType::kEoa && o.maker != o.signer) {
      return absl::PermissionDeniedError("EOA orders need maker == signer");
    }
    return OrderSigner{.address = *recovered};
  }
  // A session key's signature: the envelope names it; what it wraps must be its own signature.
  auto envelope = UnwrapSessionSignerSignature(*bytes);
  if (!envelope.ok()) {
    return absl::PermissionDeniedError(fmt::format("invalid signature: {}", std::string(envelope.status().message())));
  }
  if (envelope->has_value()) bytes = (*envelope)->inner;
  const std::string_view type = OrderTypeString(domain.domain.version);
  if (bytes->size() != 65 + 64 + type.size() + 2)
    return absl::PermissionDeniedError("invalid POLY_1271 signature length");
  if (o.maker != o.signer) return absl::PermissionDeniedError("POLY_1271 orders need maker == signer");
  if (std::memcmp(bytes->data() + 65, domain.separator.data(), 32) != 0 ||
      std::memcmp(bytes->data() + 97, contents.data(), 32) != 0 ||
      std::memcmp(bytes->data() + 129, type.data(), type.size()) != 0) {
    return absl::PermissionDeniedError("POLY_1271 signature does not wrap this order");
  }
  std::memcpy(sig.bytes.data(), bytes->data(), 65);
  auto who = crypto::RecoverAddress(Poly1271Digest(o, domain), sig);
  if (!who.ok()) return absl::PermissionDeniedError(fmt::format("invalid signature: {}", StatusText(who.status())));
  if (envelope->has_value()) {
    if (*who != (*envelope)->signer) {
      return absl::PermissionDeniedError("invalid signature: not signed by the session key the envelope names");
    }
    return OrderSigner{.address = *who, .session_key = true};
  }
  return OrderSigner{.address = *who};
}

namespace {
void AppendOrderJson(std::string& out, const SignedOrder& s) {
  const UnsignedOrder& o = s.order;
  out += "{\"salt\":";
  out += o.salt.ToDecimal();
  out += ",\"maker\":\"" + o.maker.ToChecksum() + "\",\"signer\":\"" + o.signer.ToChecksum() + "\"";
  if (s.version == OrderVersion::kV1) out += ",\"taker\":\"" + o.taker.ToChecksum() + "\"";
  out += ",\"tokenId\":\"" + o.token_id.ToDecimal() + "\"";
  out += fmt::format(",\"makerAmount\":\"{}\",\"takerAmount\":\"{}\",\"side\":\"{}\"", o.maker_amount, o.taker_amount,
                     model::SideName(o.side));
  if (s.version == OrderVersion::kV1) {
    out += fmt::format(",\"expiration\":\"{}\",\"nonce\":\"{}\",\"feeRateBps\":\"{}\",\"signatureType\":{}",
                       o.expiration, o.nonce, o.fee_rate_bps, static_cast<int>(o.signature_type));
  } else {
    out += fmt::format(
        ",\"signatureType\":{},\"timestamp\":\"{}\",\"expiration\":\"{}\",\"metadata\":\"{}\",\"builder\":\"{}\"",
        static_cast<int>(o.signature_type), o.timestamp_ms, o.expiration, HexEncode(o.metadata), HexEncode(o.builder));
  }
  out += ",\"signature\":\"" + s.signature + "\"}";
}
}  // namespace

std::string PostOrderJson(const SignedOrder& order, std::string_view owner, OrderType type, bool post_only,
                          bool defer_exec) {
  std::string out;
  out.reserve(900);
  out += defer_exec ? "{\"deferExec\":true" : "{\"deferExec\":false";
  out += post_only ? ",\"postOnly\":true" : ",\"postOnly\":false";
  out += ",\"order\":";
  AppendOrderJson(out, order);
  out += ",\"owner\":";
  AppendJsonString(out, owner);
  out += ",\"orderType\":\"";
  out += OrderTypeName(type);
  out += "\"}";
  return out;
}

std::string PostOrdersJson(const std::vector<const SignedOrder*>& orders, std::string_view owner, OrderType type,
                           bool post_only, bool defer_exec) {
  std::string out = "[";
  for (size_t i = 0; i < orders.size(); ++i) {
    if (i > 0) out += ',';
    out += PostOrderJson(*orders[i], owner, type, post_only, defer_exec);
  }
  out += ']';
  return out;
}

}  // namespace clobmaker::signing
