// Polymarket's relayer: owners submit their wallets' transactions (approvals, conditional-tokens
// merges and redeems) without gas; the relayer executes them through the wallet and mines them.
// The wire protocol as the official clients speak it (docs/deposit-wallets-spec.md s4):
//   GET  /nonce?address=OWNER&type=WALLET          -> {"nonce":"7"}
//   GET  /deployed?address=WALLET&type=WALLET      -> {"deployed":true}
//   POST /submit  (WALLET-CREATE | WALLET body)    -> {"transactionID","state":"STATE_NEW"}
//   GET  /transaction?id=ID                        -> [RelayerTransaction] (camelCase)
//   GET  /v1/account/transactions/ID               -> {"transaction_id","state",...} (snake_case)
// A WALLET body carries the deposit wallet's EIP-712 Batch signed by the owner:
//   domain {name:"DepositWallet", version:"1", chainId, verifyingContract: wallet}
//   Batch(address wallet,uint256 nonce,uint256 deadline,Call[] calls)
//   Call(address target,uint256 value,bytes data)
// Builder authentication: POLY_BUILDER_{API_KEY,PASSPHRASE,TIMESTAMP,SIGNATURE}, the signature
// base64url(HMAC-SHA256(base64decode(secret), timestamp + METHOD + path + body)).
#pragma once

#include <absl/status/statusor.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/core/uint256.h"
#include "common/crypto/crypto.h"

namespace clobmaker::relayer {

// --- transaction states -------------------------------------------------------------------------

// STATE_NEW (accepted) -> STATE_EXECUTED (sent to the chain) -> STATE_MINED -> STATE_CONFIRMED;
// STATE_FAILED (reverted) and STATE_INVALID (refused after acceptance) end it too.
enum class TxState : uint8_t { kNew, kExecuted, kMined, kConfirmed, kInvalid, kFailed };
std::string_view StateName(TxState state);
absl::StatusOr<TxState> ParseState(std::string_view name);
// Whether the transaction's effects are on chain (MINED or CONFIRMED: what the relayer client's
// wait() takes as success), and whether it can still change.
bool Succeeded(TxState state);
bool Final(TxState state);

// --- the deposit wallet's batch -----------------------------------------------------------------

struct Call {
  crypto::Address target;
  Uint256 value;
  std::vector<uint8_t> data;
  bool operator==(const Call&) const = default;
};

struct WalletBatch {
  crypto::Address wallet;
  Uint256 nonce;
  uint64_t deadline = 0;  // unix seconds
  std::vector<Call> calls;
  bool operator==(const WalletBatch&) const = default;
};

// The EIP-712 digest the owner signs (plain ECDSA, no ERC-7739 wrap).
crypto::Hash32 BatchDigest(const WalletBatch& batch, uint64_t chain_id);
// 0x-prefixed 65-byte signature (v 27/28).
std::string SignBatch(const WalletBatch& batch, uint64_t chain_id, const crypto::PrivateKey& owner);
// Who signed the batch.
absl::StatusOr<crypto::Address> RecoverBatchSigner(const WalletBatch& batch, uint64_t chain_id,
                                                   std::string_view signature_hex);

// --- /submit ------------------------------------------------------------------------------------

enum class SubmitType : uint8_t { kWalletCreate, kWallet };
std::string_view SubmitTypeName(SubmitType type);  // "WALLET-CREATE", "WALLET"

struct SubmitRequest {
  SubmitType type = SubmitType::kWallet;
  crypto::Address from;              // the owner
  crypto::Address to;                // the DepositWalletFactory
  std::optional<WalletBatch> batch;  // WALLET only (depositWalletParams)
  std::string signature;             // WALLET only
  std::string metadata;
};
std::string EncodeSubmit(const SubmitRequest& request);
// Parses a body as the relayer does: JSON whatever the content type (the official client sends
// it form-encoded); unknown types, missing fields and malformed values are errors.
absl::StatusOr<SubmitRequest> ParseSubmit(std::string_view body);

struct SubmitAnswer {
  std::string transaction_id;
  TxState state = TxState::kNew;
  std::string transaction_hash;  // empty until executed
};
std::string EncodeSubmitAnswer(const SubmitAnswer& answer);
absl::StatusOr<SubmitAnswer> ParseSubmitAnswer(std::string_view body);

// --- transactions -------------------------------------------------------------------------------

struct Transaction {
  std::string id;
  std::string hash;  // empty until executed
  crypto::Address from;
  crypto::Address to;
  crypto::Address proxy_address;  // the wallet
  std::string nonce;              // decimal
  TxState state = TxState::kNew;
  SubmitType type = SubmitType::kWallet;
  std::string metadata;
  std::string error;       // FAILED / INVALID: why
  std::string created_at;  // ISO-8601
  std::string updated_at;
};
// GET /transaction?id= answers an array (builder-relayer-client), camelCase.
std::string EncodeTransactionList(const std::vector<Transaction>& transactions);
absl::StatusOr<std::vector<Transaction>> ParseTransactionList(std::string_view body);
// GET /v1/account/transactions/{id} answers one object (@polymarket/client), snake_case.
std::string EncodeTransactionV1(const Transaction& transaction);
absl::StatusOr<Transaction> ParseTransactionV1(std::string_view body);

// {"nonce":"7"} and {"deployed":true}.
absl::StatusOr<Uint256> ParseNonceAnswer(std::string_view body);
absl::StatusOr<bool> ParseDeployedAnswer(std::string_view body);

// Relayer API keys (POST /relayer/api/keys answers {"apiKey","address"}, GET an array of them):
// the keys, in the relayer's order. Sent as RELAYER_API_KEY with RELAYER_API_KEY_ADDRESS.
absl::StatusOr<std::vector<std::string>> ParseRelayerApiKeys(std::string_view body);

// --- builder authentication ---------------------------------------------------------------------

struct BuilderCredentials {
  std::string key;
  std::string secret;  // base64 (standard or url-safe)
  std::string passphrase;
};
// base64url (padding kept) of HMAC-SHA256(base64decode(secret), timestamp + method + path + body);
// `path` without its query.
absl::StatusOr<std::string> BuilderSignature(std::string_view secret, int64_t timestamp_s, std::string_view method,
                                             std::string_view path, std::string_view body);
// The same over the timestamp header's text as received (a server checks what was signed).
absl::StatusOr<std::string> BuilderSignature(std::string_view secret, std::string_view timestamp,
                                             std::string_view method, std::string_view path, std::string_view body);
std::vector<std::pair<std::string, std::string>> BuilderHeaders(const BuilderCredentials& credentials,
                                                                int64_t timestamp_s, std::string_view method,
                                                                std::string_view path, std::string_view body);

// --- what a batch does --------------------------------------------------------------------------

// The contracts a wallet's calls may target on a chain (Polygon only: the adapters are unknown
// elsewhere).
struct CallTargets {
  crypto::Address collateral;                   // pUSD (approve)
  crypto::Address conditional_tokens;           // setApprovalForAll
  crypto::Address collateral_adapter;           // merge/redeem, standard markets
  crypto::Address neg_risk_collateral_adapter;  // merge/redeem, neg-risk markets
  crypto::Address deposit_wallet_factory;       // the WALLET bodies' `to`
};
absl::StatusOr<CallTargets> CallTargetsForChain(uint64_t chain_id);

// The calldata of an ERC-20 approve(spender, amount) and an ERC-1155 setApprovalForAll.
std::vector<uint8_t> ApproveCall(const crypto::Address& spender, const Uint256& amount);
std::vector<uint8_t> SetApprovalForAllCall(const crypto::Address& operator_address, bool approved);

// --- session keys (docs/session-keys.md) --------------------------------------------------------
// The owner authorizes (or revokes) a session key by signing a batch of one call from the wallet
// to itself, sent to the relayer's own endpoints, not /submit (which refuses self-calls):
//   POST /v1/session-signers/authorizations  {deadline,nonce,scopes,sessionSignerAddress,
//                                              signature,validUntil,walletAddress}  (builder HMAC)
//     -> {"operationId","status":"SUBMITTED","transactionHash","transactionId"}
//   POST /v1/session-signers/revocations     {deadline,nonce,sessionSignerAddress,signature,
//                                              walletAddress}  (builder HMAC or relayer key)
//     -> {"fenced":true,"operationId","status":"FENCED","transactionId"}
//   GET  /v1/account/transactions/params?address=OWNER&type=WALLET -> {"address","nonce"}
// and the CLOB lists the active ones to the owner (L2):
//   GET  /v1/user/session-signers -> {"wallet","signers":[{"address","scopes","valid_until"}]}

// authorizeSessionSigner(address,uint256) and revokeSessionSigner(address) on the wallet.
std::vector<uint8_t> AuthorizeSessionSignerCall(const crypto::Address& signer, uint64_t valid_until_s);
std::vector<uint8_t> RevokeSessionSignerCall(const crypto::Address& signer);

struct SessionSignerRequest {
  bool revoke = false;
  crypto::Address wallet;
  crypto::Address session_signer;
  std::vector<std::string> scopes;  // authorizations only
  uint64_t valid_until_s = 0;       // authorizations only
  Uint256 nonce;                    // the owner's batch nonce
  uint64_t deadline_s = 0;
  std::string signature;  // the owner's, over SessionSignerBatch()
};
// The batch the owner signs: one call from the wallet to itself.
WalletBatch SessionSignerBatch(const SessionSignerRequest& request);
// Keys in alphabetical order, numbers as decimal strings (as py-sdk sends them).
std::string EncodeSessionSignerRequest(const SessionSignerRequest& request);
absl::StatusOr<SessionSignerRequest> ParseSessionSignerRequest(std::string_view body, bool revoke);

struct SessionSignerAnswer {
  std::string operation_id;
  std::string status;  // SUBMITTED | REGISTRY_PENDING | REGISTERED; revocations PENDING | FENCED | ...
  std::string transaction_id;
  std::string transaction_hash;
  bool fenced = false;  // revocations
};
std::string EncodeSessionSignerAnswer(const SessionSignerAnswer& answer, bool revoke);
absl::StatusOr<SessionSignerAnswer> ParseSessionSignerAnswer(std::string_view body);
// Whether a status means the relayer took the request (the official clients' sets).
bool SessionSignerAccepted(std::string_view status, bool revoke);

// GET /transactions/params: {"address":RELAYER,"nonce":"N"}.
absl::StatusOr<Uint256> ParseTransactionParamsNonce(std::string_view body);

struct ActiveSessionSigner {
  crypto::Address address;
  std::vector<std::string> scopes;
  int64_t valid_until_s = 0;
};
std::string EncodeSessionSigners(const crypto::Address& wallet, const std::vector<ActiveSessionSigner>& signers);
absl::StatusOr<std::vector<ActiveSessionSigner>> ParseSessionSigners(std::string_view body);

}  // namespace clobmaker::relayer
