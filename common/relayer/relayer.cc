#include "common/relayer/relayer.h"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <array>

#include "common/core/hex.h"
#include "common/core/json_text.h"

namespace clobmaker::relayer {
namespace {

using crypto::Address;
using crypto::Hash32;

constexpr std::array<std::pair<TxState, std::string_view>, 6> kStates = {{
    {TxState::kNew, "STATE_NEW"},
    {TxState::kExecuted, "STATE_EXECUTED"},
    {TxState::kMined, "STATE_MINED"},
    {TxState::kConfirmed, "STATE_CONFIRMED"},
    {TxState::kInvalid, "STATE_INVALID"},
    {TxState::kFailed, "STATE_FAILED"},
}};

constexpr std::string_view kCallType = "Call(address target,uint256 value,bytes data)";
constexpr std::string_view kBatchType =
    "Batch(address wallet,uint256 nonce,uint256 deadline,Call[] calls)Call(address target,uint256 value,bytes data)";

Address AddressConstant(std::string_view text) { return *Address::Parse(text); }

// --- JSON reading helpers (rapidjson) -----------------------------------------------------------

absl::StatusOr<rapidjson::Document> ParseObject(std::string_view body, std::string_view what) {
  rapidjson::Document d;
  d.Parse(body.data(), body.size());
  if (d.HasParseError() || !d.IsObject()) {
    return absl::InvalidArgumentError(fmt::format("{} is not a JSON object", what));
  }
  return d;
}

absl::StatusOr<std::string> StringMember(const rapidjson::Value& v, const char* name, bool required = true) {
  if (!v.HasMember(name) || v[name].IsNull()) {
    if (!required) return std::string();
    return absl::InvalidArgumentError(fmt::format("missing field '{}'", name));
  }
  if (!v[name].IsString()) return absl::InvalidArgumentError(fmt::format("field '{}' is not a string", name));
  return std::string(v[name].GetString(), v[name].GetStringLength());
}

absl::StatusOr<Address> AddressMember(const rapidjson::Value& v, const char* name) {
  auto text = StringMember(v, name);
  if (!text.ok()) return text.status();
  auto a = Address::Parse(*text);
  if (!a.ok())
    return absl::InvalidArgumentError(fmt::format("field '{}': {}", name, std::string(a.status().message())));
  return *a;
}

// A decimal string, or a JSON number (clients differ).
absl::StatusOr<Uint256> DecimalMember(const rapidjson::Value& v, const char* name) {
  if (!v.HasMember(name)) return absl::InvalidArgumentError(fmt::format("missing field '{}'", name));
  const auto& m = v[name];
  if (m.IsUint64()) return Uint256(m.GetUint64());
  if (!m.IsString()) return absl::InvalidArgumentError(fmt::format("field '{}' is not a decimal string", name));
  auto u = Uint256::FromDecimal(std::string_view(m.GetString(), m.GetStringLength()));
  if (!u.ok()) return absl::InvalidArgumentError(fmt::format("field '{}' is not a decimal string", name));
  return *u;
}

std::string Quoted(std::string_view text) { return "\"" + JsonEscape(text) + "\""; }

std::string AddressWordHex(const Address& a) {
  std::array<uint8_t, 32> w{};
  std::copy(a.bytes().begin(), a.bytes().end(), w.begin() + 12);
  return HexEncode(w, /*prefix=*/false);
}

std::optional<SubmitType> SubmitTypeOf(std::string_view name) {
  if (name == "WALLET") return SubmitType::kWallet;
  if (name == "WALLET-CREATE") return SubmitType::kWalletCreate;
  return std::nullopt;
}

absl::StatusOr<Transaction> TransactionFrom(const rapidjson::Value& v, bool snake) {
  if (!v.IsObject()) return absl::InvalidArgumentError("a relayer transaction is not a JSON object");
  Transaction t;
  auto id = StringMember(v, snake ? "transaction_id" : "transactionID");
  if (!id.ok()) return id.status();
  t.id = *id;
  auto state = StringMember(v, "state");
  if (!state.ok()) return state.status();
  auto parsed = ParseState(*state);
  if (!parsed.ok()) return parsed.status();
  t.state = *parsed;
  auto hash = StringMember(v, snake ? "transaction_hash" : "transactionHash", /*required=*/false);
  if (!hash.ok()) return hash.status();
  t.hash = *hash;
  if (snake) {
    auto error = StringMember(v, "error_msg", false);
    if (!error.ok()) return error.status();
    t.error = *error;
    return t;
  }
  for (const auto& [field, out] :
       {std::pair{"from", &t.from}, std::pair{"to", &t.to}, std::pair{"proxyAddress", &t.proxy_address}}) {
    auto text = StringMember(v, field, false);
    if (!text.ok()) return text.status();
    if (text->empty()) continue;
    auto a = Address::Parse(*text);
    if (!a.ok())
      return absl::InvalidArgumentError(fmt::format("field '{}': {}", field, std::string(a.status().message())));
    *out = *a;
  }
  auto nonce = StringMember(v, "nonce", false);
  auto type = StringMember(v, "type", false);
  auto metadata = StringMember(v, "metadata", false);
  auto created = StringMember(v, "createdAt", false);
  auto updated = StringMember(v, "updatedAt", false);
  for (const auto* s : {&nonce, &type, &metadata, &created, &updated}) {
    if (!s->ok()) return s->status();
  }
  t.nonce = *nonce;
  if (auto kind = SubmitTypeOf(*type)) t.type = *kind;
  t.metadata = *metadata;
  t.created_at = *created;
  t.updated_at = *updated;
  return t;
}

}  // namespace

std::string_view StateName(TxState state) {
  for (const auto& [s, name] : kStates) {
    if (s == state) return name;
  }
  return "STATE_UNKNOWN";
}

absl::StatusOr<TxState> ParseState(std::string_view name) {
  for (const auto& [s, text] : kStates) {
    if (text == name) return s;
  }
  return absl::InvalidArgumentError(fmt::format("unknown relayer transaction state '{}'", name));
}

bool Succeeded(TxState state) { return state == TxState::kMined || state == TxState::kConfirmed; }
bool Final(TxState state) {
  return state == TxState::kConfirmed || state == TxState::kFailed || state == TxState::kInvalid;
}

Hash32 BatchDigest(const WalletBatch& batch, uint64_t chain_id) {
  std::vector<uint8_t> call_hashes;
  call_hashes.reserve(32 * batch.calls.size());
  const Hash32 call_typehash = crypto::Keccak256(kCallType);
  for (const Call& c : batch.calls) {
    crypto::AbiEncoder e;
    e.Word(call_typehash).Addr(c.target).Uint(c.value).Word(crypto::Keccak256(std::span<const uint8_t>(c.data)));
    const Hash32 h = e.Keccak();
    call_hashes.insert(call_hashes.end(), h.begin(), h.end());
  }
  crypto::AbiEncoder batch_struct;
  batch_struct.Word(crypto::Keccak256(kBatchType))
      .Addr(batch.wallet)
      .Uint(batch.nonce)
      .Uint(batch.deadline)
      .Word(crypto::Keccak256(std::span<const uint8_t>(call_hashes)));
  const Hash32 separator = crypto::DomainSeparator(
      {.name = "DepositWallet", .version = "1", .chain_id = chain_id, .verifying_contract = batch.wallet});
  return crypto::Eip712Digest(separator, batch_struct.Keccak());
}

std::string SignBatch(const WalletBatch& batch, uint64_t chain_id, const crypto::PrivateKey& owner) {
  return owner.Sign(BatchDigest(batch, chain_id)).ToHex();
}

absl::StatusOr<Address> RecoverBatchSigner(const WalletBatch& batch, uint64_t chain_id,
                                           std::string_view signature_hex) {
  auto sig = crypto::Signature::Parse(signature_hex);
  if (!sig.ok())
    return absl::InvalidArgumentError(fmt::format("invalid signature: {}", std::string(sig.status().message())));
  auto signer = crypto::RecoverAddress(BatchDigest(batch, chain_id), *sig);
  if (!signer.ok())
    return absl::InvalidArgumentError(fmt::format("invalid signature: {}", std::string(signer.status().message())));
  return *signer;
}

std::string_view SubmitTypeName(SubmitType type) {
  return type == SubmitType::kWalletCreate ? "WALLET-CREATE" : "WALLET";
}

std::string EncodeSubmit(const SubmitRequest& r) {
  std::string out = fmt::format(R"({{"type":"{}","from":"{}","to":"{}")", SubmitTypeName(r.type), r.from.ToChecksum(),
                                r.to.ToChecksum());
  if (r.type == SubmitType::kWallet && r.batch.has_value()) {
    const WalletBatch& b = *r.batch;
    out += fmt::format(
        R"(,"nonce":"{}","signature":"{}","depositWalletParams":{{"depositWallet":"{}","deadline":"{}","calls":[)",
        b.nonce.ToDecimal(), JsonEscape(r.signature), b.wallet.ToChecksum(), b.deadline);
    for (size_t i = 0; i < b.calls.size(); ++i) {
      const Call& c = b.calls[i];
      out += fmt::format(R"({}{{"target":"{}","value":"{}","data":"{}"}})", i == 0 ? "" : ",", c.target.ToChecksum(),
                         c.value.ToDecimal(), HexEncode(c.data));
    }
    out += "]}";
  }
  if (!r.metadata.empty()) out += ",\"metadata\":" + Quoted(r.metadata);
  out += "}";
  return out;
}

absl::StatusOr<SubmitRequest> ParseSubmit(std::string_view body) {
  auto d = ParseObject(body, "the submit body");
  if (!d.ok()) return d.status();
  SubmitRequest r;
  auto type = StringMember(*d, "type");
  if (!type.ok()) return type.status();
  auto kind = SubmitTypeOf(*type);
  if (!kind) return absl::InvalidArgumentError(fmt::format("unsupported transaction type '{}'", *type));
  r.type = *kind;
  auto from = AddressMember(*d, "from");
  if (!from.ok()) return from.status();
  r.from = *from;
  auto to = AddressMember(*d, "to");
  if (!to.ok()) return to.status();
  r.to = *to;
  auto metadata = StringMember(*d, "metadata", false);
  if (!metadata.ok()) return metadata.status();
  r.metadata = *metadata;
  if (r.type == SubmitType::kWalletCreate) return r;
  auto signature = StringMember(*d, "signature");
  if (!signature.ok()) return signature.status();
  r.signature = *signature;
  auto nonce = DecimalMember(*d, "nonce");
  if (!nonce.ok()) return nonce.status();
  if (!d->HasMember("depositWalletParams") || !(*d)["depositWalletParams"].IsObject()) {
    return absl::InvalidArgumentError("missing field 'depositWalletParams'");
  }
  const auto& p = (*d)["depositWalletParams"];
  WalletBatch b;
  b.nonce = *nonce;
  auto wallet = AddressMember(p, "depositWallet");
  if (!wallet.ok()) return wallet.status();
  b.wallet = *wallet;
  auto deadline = DecimalMember(p, "deadline");
  if (!deadline.ok()) return deadline.status();
  if (!deadline->FitsUint64()) return absl::InvalidArgumentError("field 'deadline' is out of range");
  b.deadline = deadline->Low64();
  if (!p.HasMember("calls") || !p["calls"].IsArray()) return absl::InvalidArgumentError("missing field 'calls'");
  for (const auto& c : p["calls"].GetArray()) {
    if (!c.IsObject()) return absl::InvalidArgumentError("a call is not a JSON object");
    Call call;
    auto target = AddressMember(c, "target");
    if (!target.ok()) return target.status();
    call.target = *target;
    auto value = DecimalMember(c, "value");
    if (!value.ok()) return value.status();
    call.value = *value;
    auto data = StringMember(c, "data");
    if (!data.ok()) return data.status();
    auto bytes = HexDecode(*data);
    if (!bytes.ok()) return absl::InvalidArgumentError("field 'data' is not hex");
    call.data = std::move(*bytes);
    b.calls.push_back(std::move(call));
  }
  r.batch = std::move(b);
  return r;
}

std::string EncodeSubmitAnswer(const SubmitAnswer& a) {
  std::string out = fmt::format(R"({{"transactionID":{},"state":"{}")", Quoted(a.transaction_id), StateName(a.state));
  if (!a.transaction_hash.empty()) out += ",\"transactionHash\":" + Quoted(a.transaction_hash);
  return out + "}";
}

absl::StatusOr<SubmitAnswer> ParseSubmitAnswer(std::string_view body) {
  auto d = ParseObject(body, "the submit answer");
  if (!d.ok()) return d.status();
  SubmitAnswer a;
  auto id = StringMember(*d, "transactionID");
  if (!id.ok()) return id.status();
  if (id->empty()) return absl::InvalidArgumentError("the submit answer has an empty transactionID");
  a.transaction_id = *id;
  auto state = StringMember(*d, "state");
  if (!state.ok()) return state.status();
  auto parsed = ParseState(*state);
  if (!parsed.ok()) return parsed.status();
  a.state = *parsed;
  auto hash = StringMember(*d, "transactionHash", false);
  if (!hash.ok()) return hash.status();
  a.transaction_hash = *hash;
  return a;
}

std::string EncodeTransactionList(const std::vector<Transaction>& transactions) {
  std::string out = "[";
  for (size_t i = 0; i < transactions.size(); ++i) {
    const Transaction& t = transactions[i];
    out += fmt::format(
        R"({}{{"transactionID":{},"transactionHash":{},"from":"{}","to":"{}","proxyAddress":"{}","data":"0x",)"
        R"("nonce":{},"value":"0","state":"{}","type":"{}","metadata":{},"createdAt":{},"updatedAt":{}}})",
        i == 0 ? "" : ",", Quoted(t.id), Quoted(t.hash), t.from.ToChecksum(), t.to.ToChecksum(),
        t.proxy_address.ToChecksum(), Quoted(t.nonce), StateName(t.state), SubmitTypeName(t.type), Quoted(t.metadata),
        Quoted(t.created_at), Quoted(t.updated_at));
  }
  return out + "]";
}

absl::StatusOr<std::vector<Transaction>> ParseTransactionList(std::string_view body) {
  rapidjson::Document d;
  d.Parse(body.data(), body.size());
  if (d.HasParseError() || !d.IsArray())
    return absl::InvalidArgumentError("the transaction answer is not a JSON array");
  std::vector<Transaction> out;
  for (const auto& v : d.GetArray()) {
    auto t = TransactionFrom(v, /*snake=*/false);
    if (!t.ok()) return t.status();
    out.push_back(std::move(*t));
  }
  return out;
}

std::string EncodeTransactionV1(const Transaction& t) {
  std::string out = fmt::format(R"({{"transaction_id":{},"state":"{}","transaction_hash":{})", Quoted(t.id),
                                StateName(t.state), Quoted(t.hash));
  if (!t.error.empty()) out += ",\"error_msg\":" + Quoted(t.error);
  return out + "}";
}

absl::StatusOr<Transaction> ParseTransactionV1(std::string_view body) {
  auto d = ParseObject(body, "the transaction answer");
  if (!d.ok()) return d.status();
  return TransactionFrom(*d, /*snake=*/true);
}

absl::StatusOr<Uint256> ParseNonceAnswer(std::string_view body) {
  auto d = ParseObject(body, "the nonce answer");
  if (!d.ok()) return d.status();
  return DecimalMember(*d, "nonce");
}

absl::StatusOr<bool> ParseDeployedAnswer(std::string_view body) {
  auto d = ParseObject(body, "the deployed answer");
  if (!d.ok()) return d.status();
  if (!d->HasMember("deployed") || !(*d)["deployed"].IsBool()) {
    return absl::InvalidArgumentError("the deployed answer has no boolean 'deployed'");
  }
  return (*d)["deployed"].GetBool();
}

absl::StatusOr<std::vector<std::string>> ParseRelayerApiKeys(std::string_view body) {
  rapidjson::Document d;
  d.Parse(body.data(), body.size());
  if (d.HasParseError() || !(d.IsArray() || d.IsObject())) {
    return absl::InvalidArgumentError("the relayer api key answer is not JSON");
  }
  std::vector<std::string> keys;
  auto one = [&](const rapidjson::Value& v) -> absl::Status {
    if (!v.IsObject() || !v.HasMember("apiKey") || !v["apiKey"].IsString() || v["apiKey"].GetStringLength() == 0) {
      return absl::InvalidArgumentError("a relayer api key without 'apiKey'");
    }
    keys.emplace_back(v["apiKey"].GetString(), v["apiKey"].GetStringLength());
    return absl::OkStatus();
  };
  if (d.IsObject()) {
    if (auto s = one(d); !s.ok()) return s;
  } else {
    for (const auto& v : d.GetArray()) {
      if (auto s = one(v); !s.ok()) return s;
    }
  }
  return keys;
}

absl::StatusOr<std::string> BuilderSignature(std::string_view secret, int64_t timestamp_s, std::string_view method,
                                             std::string_view path, std::string_view body) {
  return BuilderSignature(secret, std::string_view(std::to_string(timestamp_s)), method, path, body);
}

absl::StatusOr<std::string> BuilderSignature(std::string_view secret, std::string_view timestamp,
                                             std::string_view method, std::string_view path, std::string_view body) {
  auto key = crypto::Base64Decode(secret);
  if (!key.ok()) return absl::InvalidArgumentError("the builder secret is not base64");
  const std::string message = fmt::format("{}{}{}{}", timestamp, method, path, body);
  const Hash32 mac = crypto::HmacSha256(*key, message);
  crypto::Wipe(key->data(), key->size());
  return crypto::Base64UrlEncode(mac);
}

std::vector<std::pair<std::string, std::string>> BuilderHeaders(const BuilderCredentials& c, int64_t timestamp_s,
                                                                std::string_view method, std::string_view path,
                                                                std::string_view body) {
  auto signature = BuilderSignature(c.secret, timestamp_s, method, path, body);
  return {{"POLY_BUILDER_API_KEY", c.key},
          {"POLY_BUILDER_PASSPHRASE", c.passphrase},
          {"POLY_BUILDER_TIMESTAMP", std::to_string(timestamp_s)},
          {"POLY_BUILDER_SIGNATURE", signature.ok() ? *signature : std::string()}};
}

absl::StatusOr<CallTargets> CallTargetsForChain(uint64_t chain_id) {
  if (chain_id != 137) {
    return absl::InvalidArgumentError(
        fmt::format("the relayer's call targets are known for chain 137 only, not {}", chain_id));
  }
  return CallTargets{.collateral = AddressConstant("0xC011a7E12a19f7B1f670d46F03B03f3342E82DFB"),
                     .conditional_tokens = AddressConstant("0x4D97DCd97eC945f40cF65F87097ACe5EA0476045"),
                     .collateral_adapter = AddressConstant("0xAdA100Db00Ca00073811820692005400218FcE1f"),
                     .neg_risk_collateral_adapter = AddressConstant("0xadA2005600Dec949baf300f4C6120000bDB6eAab"),
                     .deposit_wallet_factory = AddressConstant("0x00000000000Fb5C9ADea0298D729A0CB3823Cc07")};
}

std::vector<uint8_t> ApproveCall(const Address& spender, const Uint256& amount) {
  // approve(address,uint256) = 0x095ea7b3
  return *HexDecode("0x095ea7b3" + AddressWordHex(spender) + HexEncode(amount.ToBigEndian(), false));
}

std::vector<uint8_t> SetApprovalForAllCall(const Address& operator_address, bool approved) {
  // setApprovalForAll(address,bool) = 0xa22cb465
  return *HexDecode(fmt::format("0xa22cb465{}{:064x}", AddressWordHex(operator_address), approved ? 1 : 0));
}

// --- session keys -------------------------------------------------------------------------------

std::vector<uint8_t> AuthorizeSessionSignerCall(const Address& signer, uint64_t valid_until_s) {
  // authorizeSessionSigner(address,uint256) = 0x24017fae
  return *HexDecode(fmt::format("0x24017fae{}{:064x}", AddressWordHex(signer), valid_until_s));
}

std::vector<uint8_t> RevokeSessionSignerCall(const Address& signer) {
  // revokeSessionSigner(address) = 0xe63f952f
  return *HexDecode(fmt::format("0xe63f952f{}", AddressWordHex(signer)));
}

WalletBatch SessionSignerBatch(const SessionSignerRequest& r) {
  WalletBatch b;
  b.wallet = r.wallet;
  b.nonce = r.nonce;
  b.deadline = r.deadline_s;
  b.calls.push_back(Call{.target = r.wallet,
                         .value = Uint256(0),
                         .data = r.revoke ? RevokeSessionSignerCall(r.session_signer)
                                          : AuthorizeSessionSignerCall(r.session_signer, r.valid_until_s)});
  return b;
}

std::string EncodeSessionSignerRequest(const SessionSignerRequest& r) {
  std::string out = fmt::format(R"({{"deadline":"{}","nonce":"{}",)", r.deadline_s, r.nonce.ToDecimal());
  if (!r.revoke) {
    out += "\"scopes\":[";
    for (size_t i = 0; i < r.scopes.size(); ++i) out += (i == 0 ? "" : ",") + Quoted(r.scopes[i]);
    out += "],";
  }
  out +=
      fmt::format(R"("sessionSignerAddress":"{}","signature":{},)", r.session_signer.ToChecksum(), Quoted(r.signature));
  if (!r.revoke) out += fmt::format(R"("validUntil":"{}",)", r.valid_until_s);
  out += fmt::format(R"("walletAddress":"{}"}})", r.wallet.ToChecksum());
  return out;
}

absl::StatusOr<SessionSignerRequest> ParseSessionSignerRequest(std::string_view body, bool revoke) {
  auto d = ParseObject(body, "the session signer request");
  if (!d.ok()) return d.status();
  SessionSignerRequest r;
  r.revoke = revoke;
  auto wallet = AddressMember(*d, "walletAddress");
  if (!wallet.ok()) return wallet.status();
  r.wallet = *wallet;
  auto signer = AddressMember(*d, "sessionSignerAddress");
  if (!signer.ok()) return signer.status();
  r.session_signer = *signer;
  auto nonce = DecimalMember(*d, "nonce");
  if (!nonce.ok()) return nonce.status();
  r.nonce = *nonce;
  auto deadline = DecimalMember(*d, "deadline");
  if (!deadline.ok()) return deadline.status();
  if (!deadline->FitsUint64()) return absl::InvalidArgumentError("field 'deadline' is out of range");
  r.deadline_s = deadline->Low64();
  auto signature = StringMember(*d, "signature");
  if (!signature.ok()) return signature.status();
  r.signature = *signature;
  if (revoke) return r;
  auto valid_until = DecimalMember(*d, "validUntil");
  if (!valid_until.ok()) return valid_until.status();
  if (!valid_until->FitsUint64()) return absl::InvalidArgumentError("field 'validUntil' is out of range");
  r.valid_until_s = valid_until->Low64();
  if (!d->HasMember("scopes") || !(*d)["scopes"].IsArray()) return absl::InvalidArgumentError("missing field 'scopes'");
  for (const auto& scope : (*d)["scopes"].GetArray()) {
    if (!scope.IsString()) return absl::InvalidArgumentError("a scope is not a string");
    r.scopes.emplace_back(scope.GetString(), scope.GetStringLength());
  }
  return r;
}

std::string EncodeSessionSignerAnswer(const SessionSignerAnswer& a, bool revoke) {
  if (revoke) {
    return fmt::format(R"({{"fenced":{},"operationId":{},"status":{},"transactionId":{}}})", a.fenced,
                       Quoted(a.operation_id), Quoted(a.status), Quoted(a.transaction_id));
  }
  return fmt::format(R"({{"operationId":{},"status":{},"transactionHash":{},"transactionId":{}}})",
                     Quoted(a.operation_id), Quoted(a.status),
                     a.transaction_hash.empty() ? std::string("null") : Quoted(a.transaction_hash),
                     Quoted(a.transaction_id));
}

absl::StatusOr<SessionSignerAnswer> ParseSessionSignerAnswer(std::string_view body) {
  auto d = ParseObject(body, "the session signer answer");
  if (!d.ok()) return d.status();
  SessionSignerAnswer a;
  auto status = StringMember(*d, "status");
  if (!status.ok()) return status.status();
  a.status = *status;
  for (const auto& [field, out] :
       {std::pair{"operationId", &a.operation_id}, std::pair{"transactionId", &a.transaction_id},
        std::pair{"transactionHash", &a.transaction_hash}}) {
    auto text = StringMember(*d, field, false);
    if (!text.ok()) return text.status();
    *out = *text;
  }
  a.fenced = d->HasMember("fenced") && (*d)["fenced"].IsBool() && (*d)["fenced"].GetBool();
  return a;
}

bool SessionSignerAccepted(std::string_view status, bool revoke) {
  if (revoke) {
    return status == "PENDING" || status == "FENCED" || status == "SWEPT" || status == "CHAIN_SUBMITTED" ||
           status == "CONFIRMED";
  }
  return status == "SUBMITTED" || status == "REGISTRY_PENDING" || status == "REGISTERED";
}

absl::StatusOr<Uint256> ParseTransactionParamsNonce(std::string_view body) {
  auto d = ParseObject(body, "the transaction params answer");
  if (!d.ok()) return d.status();
  return DecimalMember(*d, "nonce");
}

std::string EncodeSessionSigners(const Address& wallet, const std::vector<ActiveSessionSigner>& signers) {
  std::string out = fmt::format(R"({{"wallet":"{}","signers":[)", wallet.ToChecksum());
  for (size_t i = 0; i < signers.size(); ++i) {
    const ActiveSessionSigner& s = signers[i];
    out += fmt::format(R"({}{{"address":"{}","scopes":[)", i == 0 ? "" : ",", s.address.ToChecksum());
    for (size_t j = 0; j < s.scopes.size(); ++j) out += (j == 0 ? "" : ",") + Quoted(s.scopes[j]);
    out += fmt::format(R"(],"valid_until":{}}})", s.valid_until_s);
  }
  out += "]}";
  return out;
}

absl::StatusOr<std::vector<ActiveSessionSigner>> ParseSessionSigners(std::string_view body) {
  auto d = ParseObject(body, "the session signers answer");
  if (!d.ok()) return d.status();
  if (!d->HasMember("signers") || !(*d)["signers"].IsArray())
    return absl::InvalidArgumentError("missing field 'signers'");
  std::vector<ActiveSessionSigner> out;
  for (const auto& v : (*d)["signers"].GetArray()) {
    if (!v.IsObject()) return absl::InvalidArgumentError("a session signer is not a JSON object");
    ActiveSessionSigner s;
    auto address = AddressMember(v, "address");
    if (!address.ok()) return address.status();
    s.address = *address;
    if (!v.HasMember("valid_until") || !v["valid_until"].IsInt64()) {
      return absl::InvalidArgumentError("field 'valid_until' is not an integer");
    }
    s.valid_until_s = v["valid_until"].GetInt64();
    if (v.HasMember("scopes") && v["scopes"].IsArray()) {
      for (const auto& scope : v["scopes"].GetArray()) {
        if (scope.IsString()) s.scopes.emplace_back(scope.GetString(), scope.GetStringLength());
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace clobmaker::relayer
