#include "services/positions/service/chain_client.h"

#include <fmt/format.h>

#include "common/core/uint256.h"

namespace clobmaker::positions {

namespace {
constexpr Nanos kRpcDeadline = 5 * kNanosPerSecond;
}  // namespace

absl::StatusOr<std::string> ChainClient::Post(std::string_view method, std::string body) {
  net::HttpRequest req;
  req.method = "POST";
  req.target = "";
  req.headers = {{"Content-Type", "application/json"}};
  req.body = std::move(body);
  net::HttpResult r = http_->SendSync(std::move(req), kRpcDeadline);
  if (r.outcome != net::Outcome::kOk || !r.response) {
    return absl::UnavailableError(fmt::format("chain {}: {}", method, r.error));
  }
  return std::move(r.response->body);
}

absl::StatusOr<int64_t> ChainClient::CallUint(const crypto::Address& to, std::string_view data) {
  auto body = Post("eth_call", chain::EthCallRequest(next_id_++, to, data));
  if (!body.ok()) return body.status();
  return chain::ParseUint256Result(*body);
}

absl::StatusOr<uint64_t> ChainClient::Nonce(const crypto::Address& address, std::string_view block_tag) {
  auto body =
      Post("eth_getTransactionCount", chain::RpcRequest(next_id_++, "eth_getTransactionCount",
                                                        fmt::format(R"(["{}","{}"])", address.ToLower(), block_tag)));
  if (!body.ok()) return body.status();
  auto hex = chain::ParseStringResult(*body);
  if (!hex.ok()) return hex.status();
  auto v = Uint256::FromHex(*hex);
  if (!v.ok() || !v->FitsUint64()) return absl::InvalidArgumentError("eth_getTransactionCount: not a quantity");
  return v->Low64();
}

absl::StatusOr<uint64_t> ChainClient::PendingNonce(const crypto::Address& address) { return Nonce(address, "pending"); }

absl::StatusOr<uint64_t> ChainClient::MinedNonce(const crypto::Address& address) { return Nonce(address, "latest"); }

absl::StatusOr<uint64_t> ChainClient::Quantity(std::string_view method) {
  auto body = Post(method, chain::RpcRequest(next_id_++, method, "[]"));
  if (!body.ok()) return body.status();
  auto hex = chain::ParseStringResult(*body);
  if (!hex.ok()) return hex.status();
  auto v = Uint256::FromHex(*hex);
  if (!v.ok() || !v->FitsUint64()) return absl::InvalidArgumentError(fmt::format("{}: not a quantity", method));
  return v->Low64();
}

absl::StatusOr<std::string> ChainClient::SendRawTransaction(std::string_view raw_hex) {
  auto body = Post("eth_sendRawTransaction",
                   chain::RpcRequest(next_id_++, "eth_sendRawTransaction", fmt::format(R"(["{}"])", raw_hex)));
  if (!body.ok()) return body.status();
  return chain::ParseStringResult(*body);
}

absl::StatusOr<chain::Receipt> ChainClient::Receipt(std::string_view tx_hash) {
  auto body = Post("eth_getTransactionReceipt",
                   chain::RpcRequest(next_id_++, "eth_getTransactionReceipt", fmt::format(R"(["{}"])", tx_hash)));
  if (!body.ok()) return body.status();
  return chain::ParseReceiptResult(*body);
}

absl::StatusOr<chain::TransactionInfo> ChainClient::Transaction(std::string_view tx_hash) {
  auto body = Post("eth_getTransactionByHash",
                   chain::RpcRequest(next_id_++, "eth_getTransactionByHash", fmt::format(R"(["{}"])", tx_hash)));
  if (!body.ok()) return body.status();
  return chain::ParseTransactionResult(*body);
}

}  // namespace clobmaker::positions
