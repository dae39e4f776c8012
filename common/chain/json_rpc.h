// The little of Ethereum JSON-RPC that positions needs, and the simulator answers: eth_call of
// ERC-1155 balanceOf(address,uint256) on the conditional tokens contract, ERC-20 balanceOf(address)
// on the collateral and the CTF's payout reads; and for merge/redeem, eth_getTransactionCount,
// eth_gasPrice, eth_sendRawTransaction, eth_getTransactionByHash and eth_getTransactionReceipt.
// ABI words are 32-byte
// big-endian.
// RapidJSON (not the hot path; simdjson stays in common/polymarket).
#pragma once

#include <absl/status/statusor.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/uint256.h"
#include "common/crypto/crypto.h"

namespace clobmaker::chain {

inline constexpr std::string_view kErc1155BalanceOf = "00fdd58e";  // balanceOf(address,uint256)
inline constexpr std::string_view kErc20BalanceOf = "70a08231";    // balanceOf(address)

// "0x" + selector + ABI-encoded arguments.
std::string Erc1155BalanceOfCall(const crypto::Address& owner, const Uint256& token_id);
std::string Erc20BalanceOfCall(const crypto::Address& owner);
// {"jsonrpc":"2.0","id":N,"method":"eth_call","params":[{"to":..,"data":..},"latest"]}
std::string EthCallRequest(uint64_t id, const crypto::Address& to, std::string_view data);
// The result of an eth_call returning one uint256, as int64 (balances in 10^-6 units fit);
// the JSON-RPC error's message, a malformed answer or a value past int64 are errors.
absl::StatusOr<int64_t> ParseUint256Result(std::string_view body);
// {"jsonrpc":"2.0","id":N,"method":M,"params":PARAMS} with PARAMS already JSON.
std::string RpcRequest(uint64_t id, std::string_view method, std::string_view params_json);
// A string result (a transaction hash, a hex quantity); the JSON-RPC error's message is an error.
absl::StatusOr<std::string> ParseStringResult(std::string_view body);
struct Receipt {
  bool found = false;  // false: still pending (result null)
  bool success = false;
  uint64_t block = 0;
};
absl::StatusOr<Receipt> ParseReceiptResult(std::string_view body);
// eth_getTransactionByHash: null = the node does not know the transaction; an object with a null
// blockNumber = known, not mined yet.
struct TransactionInfo {
  bool found = false;
  bool mined = false;
  uint64_t nonce = 0;
  uint64_t block = 0;
};
absl::StatusOr<TransactionInfo> ParseTransactionResult(std::string_view body);

// Server side (the simulator).
struct RpcCall {
  std::string id_json = "null";  // the request's id, echoed verbatim
  std::string method;
  std::string to;                          // eth_call: params[0].to, lower case
  std::string data;                        // eth_call: params[0].data, lower case
  std::vector<std::string> string_params;  // the other methods: params that are strings, in order
};
absl::StatusOr<RpcCall> ParseRpcCall(std::string_view body);
struct BalanceQuery {
  bool erc1155 = false;
  std::string owner;  // 0x + 40 lower-case hex
  Uint256 token_id;   // erc1155 only
};
absl::StatusOr<BalanceQuery> DecodeBalanceQuery(std::string_view data);
std::string RpcResult(std::string_view id_json, std::string_view result_json);
std::string RpcError(std::string_view id_json, int code, std::string_view message);
std::string Uint256Word(const Uint256& v);  // "0x" + 64 hex digits

}  // namespace clobmaker::chain
