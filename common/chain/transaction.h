// Ethereum transactions for the few writes positions makes on chain (merge and redeem through
// the conditional-tokens contract): RLP, EIP-1559 (type 2) signing, and decoding with signer
// recovery for the simulator's node. Hashing and signatures come from common/crypto
// (Crypto++ Keccak, libsecp256k1); no I/O.
#pragma once

#include <absl/status/statusor.h>

#include <cstdint>
#include <span>
#include <vector>

#include "common/core/uint256.h"
#include "common/crypto/crypto.h"

namespace clobmaker::chain {

using Bytes = std::vector<uint8_t>;

// --- RLP -------------------------------------------------------------------------------------
Bytes RlpBytes(std::span<const uint8_t> bytes);
// An unsigned integer as its minimal big-endian bytes (zero is the empty string).
Bytes RlpUint(const Uint256& value);
// Concatenates already-encoded items under a list prefix.
Bytes RlpList(std::span<const Bytes> encoded_items);

struct RlpItem {
  bool is_list = false;
  Bytes bytes;                 // a string item
  std::vector<RlpItem> items;  // a list item
};
// Strict: non-canonical lengths, trailing bytes and truncation are InvalidArgument.
absl::StatusOr<RlpItem> RlpDecode(std::span<const uint8_t> encoded);

// --- EIP-1559 transactions -------------------------------------------------------------------
struct Eip1559Transaction {
  uint64_t chain_id = 137;
  uint64_t nonce = 0;
  Uint256 max_priority_fee_per_gas;
  Uint256 max_fee_per_gas;
  uint64_t gas_limit = 0;
  crypto::Address to;
  Uint256 value;
  Bytes data;  // calldata; the access list is always empty
  friend bool operator==(const Eip1559Transaction&, const Eip1559Transaction&) = default;
};

// keccak256(0x02 || rlp([chainId, nonce, maxPriorityFee, maxFee, gas, to, value, data, []])).
crypto::Hash32 SigningHash(const Eip1559Transaction& tx);
// The raw signed transaction: 0x02 || rlp([..., yParity, r, s]) (what eth_sendRawTransaction takes).
Bytes SignTransaction(const Eip1559Transaction& tx, const crypto::PrivateKey& key);
// keccak256 of the raw signed transaction: the transaction hash.
crypto::Hash32 TransactionHash(std::span<const uint8_t> raw);

struct SignedTransaction {
  Eip1559Transaction tx;
  crypto::Address sender;  // recovered from the signature
  crypto::Hash32 hash;
};
// Decodes a raw type-2 transaction and recovers its sender (non-empty access lists, contract
// creation and malformed signatures are refused).
absl::StatusOr<SignedTransaction> DecodeSignedTransaction(std::span<const uint8_t> raw);

}  // namespace clobmaker::chain
