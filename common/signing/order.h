// Polymarket CTF Exchange orders: amounts, EIP-712 hashing, signatures and the POST body, for
// the three order protocol versions (docs/protocol.md):
//   V1 (legacy)  : domain version "1", 12-field struct (taker, expiration, nonce, feeRateBps).
//   V2 (current) : domain version "2", 11-field struct (timestamp ms, metadata, builder), no fees.
//   V3           : the V2 struct under domain version "3" and the single ExchangeV3 contract.
// The order hash is the exchange's order id, known before the order is sent. No I/O.
//
//   auto amounts = LimitOrderAmounts(Side::kBuy, price, size, tick);   // integer arithmetic
//   UnsignedOrder order{...};
//   auto signed_order = SignOrder(order, HashDomain(domain), key);      // id + signature
//   std::string body = PostOrderJson(*signed_order, api_key, OrderType::kGtc, /*post_only=*/true);
#pragma once

#include <absl/status/statusor.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/uint256.h"
#include "common/crypto/crypto.h"
#include "common/model/types.h"

namespace clobmaker::signing {

enum class OrderVersion : uint8_t { kV1 = 1, kV2 = 2, kV3 = 3 };
absl::StatusOr<OrderVersion> OrderVersionFromInt(int64_t version);

enum class SignatureType : uint8_t { kEoa = 0, kPolyProxy = 1, kPolyGnosisSafe = 2, kPoly1271 = 3 };
absl::StatusOr<SignatureType> SignatureTypeFromInt(int64_t type);

enum class OrderType : uint8_t { kGtc, kGtd, kFok, kFak };
std::string_view OrderTypeName(OrderType type);
absl::StatusOr<OrderType> ParseOrderType(std::string_view text);

// Contract addresses per chain (Polygon 137, Amoy 80002).
struct ChainContracts {
  crypto::Address exchange;           // V1
  crypto::Address neg_risk_exchange;  // V1
  crypto::Address exchange_v2;
  crypto::Address neg_risk_exchange_v2;
  crypto::Address exchange_v3;
  crypto::Address collateral;  // pUSD
  crypto::Address conditional_tokens;
};
absl::StatusOr<ChainContracts> ContractsForChain(uint64_t chain_id);
// The verifying contract an order of `version` is signed for.
crypto::Address ExchangeFor(const ChainContracts& contracts, OrderVersion version, bool neg_risk);

// maker/taker amounts in 10^-6 units.
struct OrderAmounts {
  int64_t maker = 0;
  int64_t taker = 0;
};

// Amounts of a limit order, following the official clients' rounding table exactly, in integer
// arithmetic: BUY pays size x price collateral for `size` shares; SELL the reverse. Refuses
// (InvalidArgument) a price off the tick grid or outside [tick, 1 - tick], a zero size, or a
// size with more than 2 decimals.
absl::StatusOr<OrderAmounts> LimitOrderAmounts(model::Side side, model::Price price, model::Size size,
                                               model::TickSize tick);

// Every signed field of an order (a superset of V1 and V2/V3; each version signs its own).
struct UnsignedOrder {
  Uint256 salt;  // must fit 2^53 - 1: it travels as a JSON number
  crypto::Address maker;
  crypto::Address signer;
  Uint256 token_id;
  int64_t maker_amount = 0;
  int64_t taker_amount = 0;
  model::Side side = model::Side::kBuy;
  SignatureType signature_type = SignatureType::kEoa;
  uint64_t expiration = 0;  // unix seconds; signed in V1 only, sent in JSON always
  // V1 only
  crypto::Address taker;  // zero = public order
  uint64_t nonce = 0;
  uint64_t fee_rate_bps = 0;
  // V2/V3 only
  uint64_t timestamp_ms = 0;
  crypto::Hash32 metadata{};
  crypto::Hash32 builder{};
};

struct OrderDomain {
  OrderVersion version = OrderVersion::kV2;
  uint64_t chain_id = 137;
  crypto::Address exchange;
};

// Precomputed per (version, chain, exchange): the domain separator. Cheap to copy.
struct OrderDomainHash {
  OrderDomain domain;
  crypto::Hash32 separator{};
};
OrderDomainHash HashDomain(const OrderDomain& domain);

std::string_view OrderTypeString(OrderVersion version);
crypto::Hash32 OrderStructHash(const UnsignedOrder& order, OrderVersion version);
// The EIP-712 digest = the exchange's order id.
crypto::Hash32 OrderHash(const UnsignedOrder& order, const OrderDomainHash& domain);

struct SignedOrder {
  UnsignedOrder order;
  OrderVersion version = OrderVersion::kV2;
  model::OrderId id;
  std::string signature;  // 0x-hex: 65 bytes, or 317 for POLY_1271 (480 from a session key)
};

// Signs with `key`. For EOA/PROXY/SAFE the key's address must be order.signer; for POLY_1271
// signer and maker must both be the deposit wallet (owned by `key`), and V1 is refused.
absl::StatusOr<SignedOrder> SignOrder(const UnsignedOrder& order, const OrderDomainHash& domain,
                                      const crypto::PrivateKey& key);

// Signs a POLY_1271 order with a session key the deposit wallet's owner authorized
// (session_signer.h): the ERC-7739 wrap signed by the session key, inside the envelope that names
// it (480 bytes for an order). signer and maker are the deposit wallet.
absl::StatusOr<SignedOrder> SignOrderAsSessionKey(const UnsignedOrder& order, const OrderDomainHash& domain,
                                                  const crypto::PrivateKey& session_key);

// The ERC-7739 digest the deposit wallet's owner (or a session key) signs for a POLY_1271 order.
crypto::Hash32 Poly1271Digest(const UnsignedOrder& order, const OrderDomainHash& domain);

// JSON body of POST /order, byte-identical to the official TypeScript clients' JSON.stringify:
//   V2/V3: {"deferExec":..,"postOnly":..,"order":{...},"owner":..,"orderType":..}
//   V1   : the same envelope with the V1 order fields.
std::string PostOrderJson(const SignedOrder& order, std::string_view owner, OrderType type, bool post_only,
                          bool defer_exec = false);
// POST /orders: a JSON array of PostOrderJson objects (at most 15 per request).
std::string PostOrdersJson(const std::vector<const SignedOrder*>& orders, std::string_view owner, OrderType type,
                           bool post_only, bool defer_exec = false);

// Verification for the simulator: checks that the id is the order hash, recovers who signed and
// checks it against maker/signer and the signature type. Returns the externally owned account
// that signed: order.signer for EOA/PROXY/SAFE, the deposit wallet's owner for POLY_1271 (the
// caller checks it owns the wallet). PermissionDenied with the reason otherwise.
absl::StatusOr<crypto::Address> VerifyOrderSignature(const SignedOrder& signed_order, const OrderDomainHash& domain);
// The same, saying whether a POLY_1271 order was signed by a session key (its envelope names the
// key, and the key signed what it wraps): the caller then checks the wallet authorized that key.
struct OrderSigner {
  crypto::Address address;
  bool session_key = false;
};
absl::StatusOr<OrderSigner> VerifyOrderSigner(const SignedOrder& signed_order, const OrderDomainHash& domain);

}  // namespace clobmaker::signing
