#include "common/chain/json_rpc.h"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "common/core/hex.h"

namespace clobmaker::chain {

namespace {

std::string Word(const std::array<uint8_t, 32>& bytes) { return HexEncode(bytes, /*prefix=*/false); }

std::string AddressWord(const crypto::Address& a) {
  std::array<uint8_t, 32> w{};
  std::copy(a.bytes().begin(), a.bytes().end(), w.begin() + 12);
  return Word(w);
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string JsonOf(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return buf.GetString();
}

// The document's result member, or the JSON-RPC error as a status.
absl::StatusOr<const rapidjson::Value*> ResultOf(const rapidjson::Document& d) {
  if (d.HasParseError() || !d.IsObject()) return absl::InvalidArgumentError("JSON-RPC answer is not a JSON object");
  if (d.HasMember("error")) {
    const auto& e = d["error"];
    const std::string msg =
        e.IsObject() && e.HasMember("message") && e["message"].IsString() ? e["message"].GetString() : JsonOf(e);
    return absl::UnavailableError("JSON-RPC error: " + msg);
  }
  if (!d.HasMember("result")) return absl::InvalidArgumentError("JSON-RPC answer has no result");
  return &d["result"];
}

absl::StatusOr<uint64_t> Quantity(const rapidjson::Value& v, const char* what) {
  if (!v.IsString()) return absl::InvalidArgumentError(fmt::format("{} is not a hex quantity", what));
  auto q = Uint256::FromHex(v.GetString());
  if (!q.ok() || !q->FitsUint64()) return absl::InvalidArgumentError(fmt::format("{} is not a 64-bit quantity", what));
  return q->Low64();
}

}  // namespace

std::string Erc1155BalanceOfCall(const crypto::Address& owner, const Uint256& token_id) {
  return fmt::format("0x{}{}{}", kErc1155BalanceOf, AddressWord(owner), Word(token_id.ToBigEndian()));
}

std::string Erc20BalanceOfCall(const crypto::Address& owner) {
  return fmt::format("0x{}{}", kErc20BalanceOf, AddressWord(owner));
}

std::string EthCallRequest(uint64_t id, const crypto::Address& to, std::string_view data) {
  return fmt::format(R"({{"jsonrpc":"2.0","id":{},"method":"eth_call","params":[{{"to":"{}","data":"{}"}},"latest"]}})",
                     id, to.ToLower(), data);
}

absl::StatusOr<int64_t> ParseUint256Result(std::string_view body) {
  rapidjson::Document d;
  d.Parse(body.data(), body.size());
  auto result = ResultOf(d);
  if (!result.ok()) return result.status();
  if (!(*result)->IsString()) return absl::InvalidArgumentError("JSON-RPC answer has no result");
  auto v = Uint256::FromHex((*result)->GetString());
  if (!v.ok())
    return absl::InvalidArgumentError(fmt::format("result is not a uint256: {}", std::string(v.status().message())));
  if (!v->FitsUint64() || v->Low64() > static_cast<uint64_t>(INT64_MAX)) {
    return absl::OutOfRangeError("balance does not fit 64 bits");
  }
  return static_cast<int64_t>(v->Low64());
}

std::string RpcRequest(uint64_t id, std::string_view method, std::string_view params_json) {
  return fmt::format(R"({{"jsonrpc":"2.0","id":{},"method":"{}","params":{}}})", id, method, params_json);
}

absl::StatusOr<std::string> ParseStringResult(std::string_view body) {
  rapidjson::Document d;
  d.Parse(body.data(), body.size());
  auto result = ResultOf(d);
  if (!result.ok()) return result.status();
  if (!(*result)->IsString()) return absl::InvalidArgumentError("JSON-RPC result is not a string");
  return std::string((*result)->GetString());
}

absl::StatusOr<Receipt> ParseReceiptResult(std::string_view body) {
  rapidjson::Document d;
  d.Parse(body.data(), body.size());
  auto result = ResultOf(d);
  if (!result.ok()) return result.status();
  Receipt r;
  const rapidjson::Value& v = **result;
  if (v.IsNull()) return r;
  if (!v.IsObject() || !v.HasMember("status") || !v.HasMember("blockNumber")) {
    return absl::InvalidArgumentError("receipt without status or blockNumber");
  }
  auto status = Quantity(v["status"], "receipt status");
  if (!status.ok()) return status.status();
  auto block = Quantity(v["blockNumber"], "receipt blockNumber");
  if (!block.ok()) return block.status();
  r.found = true;
  r.success = *status == 1;
  r.block = *block;
  return r;
}

absl::StatusOr<TransactionInfo> ParseTransactionResult(std::string_view body) {
  rapidjson::Document d;
  d.Parse(body.data(), body.size());
  auto result = ResultOf(d);
  if (!result.ok()) return result.status();
  TransactionInfo t;
  const rapidjson::Value& v = **result;
  if (v.IsNull()) return t;
  if (!v.IsObject() || !v.HasMember("nonce")) return absl::InvalidArgumentError("transaction without nonce");
  auto nonce = Quantity(v["nonce"], "transaction nonce");
  if (!nonce.ok()) return nonce.status();
  t.found = true;
  t.nonce = *nonce;
  if (v.HasMember("blockNumber") && !v["blockNumber"].IsNull()) {
    auto block = Quantity(v["blockNumber"], "transaction blockNumber");
    if (!block.ok()) return block.status();
    t.mined = true;
    t.block = *block;
  }
  return t;
}

absl::StatusOr<RpcCall> ParseRpcCall(std::string_view body) {
  rapidjson::Document d;
  d.Parse(body.data(), body.size());
  if (d.HasParseError() || !d.IsObject()) return absl::InvalidArgumentError("not a JSON-RPC request");
  RpcCall call;
  if (d.HasMember("id")) call.id_json = JsonOf(d["id"]);
  if (!d.HasMember("method") || !d["method"].IsString()) return absl::InvalidArgumentError("missing method");
  call.method = d["method"].GetString();
  if (call.method == "eth_call") {
    if (!d.HasMember("params") || !d["params"].IsArray() || d["params"].Empty() || !d["params"][0].IsObject()) {
      return absl::InvalidArgumentError("eth_call needs params[0] = {to, data}");
    }
    const auto& p = d["params"][0];
    if (!p.HasMember("to") || !p["to"].IsString()) return absl::InvalidArgumentError("eth_call without 'to'");
    const char* data_key = p.HasMember("data") ? "data" : "input";
    if (!p.HasMember(data_key) || !p[data_key].IsString()) return absl::InvalidArgumentError("eth_call without data");
    call.to = Lower(p["to"].GetString());
    call.data = Lower(p[data_key].GetString());
  } else if (d.HasMember("params") && d["params"].IsArray()) {
    for (const auto& p : d["params"].GetArray()) {
      if (p.IsString()) call.string_params.emplace_back(p.GetString());
    }
  }
  return call;
}

absl::StatusOr<BalanceQuery> DecodeBalanceQuery(std::string_view data) {
  if (data.substr(0, 2) == "0x") data.remove_prefix(2);
  if (data.size() < 8) return absl::InvalidArgumentError("calldata shorter than a selector");
  const std::string_view selector = data.substr(0, 8);
  const std::string_view args = data.substr(8);
  BalanceQuery q;
  if (selector == kErc1155BalanceOf && args.size() == 128) {
    q.erc1155 = true;
  } else if (selector == kErc20BalanceOf && args.size() == 64) {
    q.erc1155 = false;
  } else {
    return absl::UnimplementedError(
        fmt::format("unsupported call 0x{} ({} argument bytes)", selector, args.size() / 2));
  }
  q.owner = "0x" + std::string(args.substr(24, 40));
  if (q.erc1155) {
    auto id = Uint256::FromHex(args.substr(64, 64));
    if (!id.ok()) return id.status();
    q.token_id = *id;
  }
  return q;
}

std::string RpcResult(std::string_view id_json, std::string_view result_json) {
  return fmt::format(R"({{"jsonrpc":"2.0","id":{},"result":{}}})", id_json, result_json);
}

std::string RpcError(std::string_view id_json, int code, std::string_view message) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  return fmt::format(R"({{"jsonrpc":"2.0","id":{},"error":{{"code":{},"message":{}}}}})", id_json, code,
                     buf.GetString());
}

std::string Uint256Word(const Uint256& v) { return "0x" + Word(v.ToBigEndian()); }

}  // namespace clobmaker::chain
