// positions' adapter to an Ethereum JSON-RPC node (the simulator's /rpc by default): balance and
// payout reads, nonces, fees, raw transactions and receipts. Blocking calls for the service's
// worker threads (never its loop); every failure is a status naming the method.
#pragma once

#include <absl/status/statusor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/chain/json_rpc.h"
#include "common/core/clock.h"
#include "common/crypto/crypto.h"
#include "common/net/http_client.h"

namespace clobmaker::positions {

class ChainClient {
 public:
  explicit ChainClient(std::unique_ptr<net::HttpClient> http) : http_(std::move(http)) {}

  absl::StatusOr<int64_t> CallUint(const crypto::Address& to, std::string_view data);
  absl::StatusOr<uint64_t> PendingNonce(const crypto::Address& address);
  // How many of the address's transactions are mined (eth_getTransactionCount(address, "latest")).
  absl::StatusOr<uint64_t> MinedNonce(const crypto::Address& address);
  absl::StatusOr<uint64_t> Quantity(std::string_view method);  // eth_gasPrice, eth_maxPriorityFeePerGas
  // The transaction hash the node reports.
  absl::StatusOr<std::string> SendRawTransaction(std::string_view raw_hex);
  absl::StatusOr<chain::Receipt> Receipt(std::string_view tx_hash);
  absl::StatusOr<chain::TransactionInfo> Transaction(std::string_view tx_hash);  // eth_getTransactionByHash

 private:
  absl::StatusOr<std::string> Post(std::string_view method, std::string body);
  absl::StatusOr<uint64_t> Nonce(const crypto::Address& address, std::string_view block_tag);
  std::unique_ptr<net::HttpClient> http_;
  uint64_t next_id_ = 1;
};

}  // namespace clobmaker::positions
