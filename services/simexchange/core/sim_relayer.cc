#include "services/simexchange/core/sim_relayer.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <ctime>
#include <utility>

#include "common/chain/ctf.h"
#include "common/core/hex.h"
#include "common/signing/order.h"
#include "common/signing/session_signer.h"
#include "common/wallet/wallet.h"

namespace clobmaker::simexchange {
namespace {

std::string IsoTime(Nanos now) {
  const std::time_t seconds = static_cast<std::time_t>(now / kNanosPerSecond);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z", fmt::gmtime(seconds),
                     static_cast<int>((now / kNanosPerMilli) % 1000));
}

bool StartsWith(const std::vector<uint8_t>& data, uint32_t selector) {
  return data.size() >= 4 && data[0] == (selector >> 24) && data[1] == ((selector >> 16) & 0xff) &&
         data[2] == ((selector >> 8) & 0xff) && data[3] == (selector & 0xff);
}

constexpr uint32_t kApprove = 0x095ea7b3;                 // approve(address,uint256)
constexpr uint32_t kSetApprovalForAll = 0xa22cb465;       // setApprovalForAll(address,bool)
constexpr uint32_t kAuthorizeSessionSigner = 0x24017fae;  // authorizeSessionSigner(address,uint256)
constexpr uint32_t kRevokeSessionSigner = 0xe63f952f;     // revokeSessionSigner(address)

// The relayer refuses a validUntil other than now + the lifetime; a client's clock may be off by
// this much.
constexpr int64_t kValidUntilSlackSeconds = 600;
// "The Relayer requires at least 10 seconds of remaining validity" (docs).
constexpr int64_t kMinDeadlineSeconds = 10;

}  // namespace

SimRelayer::SimRelayer(SimRelayerConfig config) : config_(std::move(config)) {
  targets_ = *relayer::CallTargetsForChain(137);
  auto factories = wallet::FactoriesForChain(config_.chain_id);
  factories_ = factories.ok() ? *factories : *wallet::FactoriesForChain(137);
  if (auto contracts = signing::ContractsForChain(config_.chain_id); contracts.ok()) {
    targets_.collateral = contracts->collateral;
  }
}

Uint256 SimRelayer::WalletNonce(const crypto::Address& owner) const {
  auto it = owner_nonce_.find(owner.ToLower());
  return Uint256(it == owner_nonce_.end() ? 0 : it->second);
}

std::variant<relayer::SubmitAnswer, RelayerRefusal> SimRelayer::Submit(const relayer::SubmitRequest& request,
                                                                       Nanos now) {
  auto refuse = [](std::string message) { return RelayerRefusal{.status = 400, .message = std::move(message)}; };
  if (request.to != factories_.deposit_wallet_factory) return refuse("'to' is not the deposit wallet factory");
  // @polymarket/client caps metadata at 500 characters; the relayer's own limit is unknown.
  if (request.metadata.size() > 500) return refuse("metadata is longer than 500 characters");
  const wallet::Factories& factories = factories_;
  Record r;
  r.owner = request.from.ToLower();
  if (request.type == relayer::SubmitType::kWalletCreate) {
    r.wallet = wallet::DepositWalletOf(request.from, factories).ToLower();
    if (deployed_.contains(r.wallet)) return refuse("wallet already deployed");
    if (in_flight_.contains(r.wallet)) return refuse("wallet has in-flight action");
  } else {
    if (!request.batch.has_value()) return refuse("missing depositWalletParams");
    const relayer::WalletBatch& batch = *request.batch;
    if (batch.wallet != wallet::DepositWalletOf(request.from, factories) &&
        batch.wallet != wallet::LegacyDepositWalletOf(request.from, factories)) {
      return refuse("depositWallet is not a deposit wallet of 'from'");
    }
    r.wallet = batch.wallet.ToLower();
    if (!deployed_.contains(r.wallet)) return refuse("wallet not deployed");
    if (in_flight_.contains(r.wallet)) return refuse("wallet has in-flight action");
    const uint64_t expected = owner_nonce_[r.owner];
    if (batch.nonce != Uint256(expected)) {
      return refuse(fmt::format("batch nonce {} does not match on-chain nonce {}", batch.nonce.ToDecimal(), expected));
    }
    if (static_cast<int64_t>(batch.deadline) < now / kNanosPerSecond) return refuse("batch deadline has passed");
    r.deadline_s = batch.deadline;
    auto signer = relayer::RecoverBatchSigner(batch, config_.chain_id, request.signature);
    if (!signer.ok() || *signer != request.from) return refuse("invalid signature");
    if (batch.calls.empty()) return refuse("a batch has at least one call");
    const auto contracts_collateral = targets_.collateral;
    for (size_t i = 0; i < batch.calls.size(); ++i) {
      const relayer::Call& call = batch.calls[i];
      if (call.target == batch.wallet) {
        // The relayer's text: session keys have their own endpoints (SessionSigner).
        const std::string_view name = StartsWith(call.data, kAuthorizeSessionSigner) ? "authorizeSessionSigner"
                                      : StartsWith(call.data, kRevokeSessionSigner)  ? "revokeSessionSigner"
                                                                                     : "unknown";
        return refuse(fmt::format("call blocked: call[{}] blocked: self-call \"{}\" not allowed", i, name));
      }
      if (call.value != Uint256(0)) return refuse("calls with value are not simulated");
      if (call.target == targets_.collateral && StartsWith(call.data, kApprove)) continue;
      if (call.target == targets_.conditional_tokens && StartsWith(call.data, kSetApprovalForAll)) continue;
      const bool adapter = call.target == targets_.collateral_adapter;
      const bool neg_risk_adapter = call.target == targets_.neg_risk_collateral_adapter;
      if (!adapter && !neg_risk_adapter) return refuse("call target not simulated: " + call.target.ToChecksum());
      auto write = chain::DecodeCtfWrite(call.data);
      if (!write.ok()) return refuse(fmt::format("call not simulated: {}", std::string(write.status().message())));
      if (write->collateral != contracts_collateral || write->parent_collection != crypto::Hash32{} ||
          write->index_sets != std::vector<Uint256>{Uint256(1), Uint256(2)}) {
        return refuse("only binary full-set positions on pUSD are simulated");
      }
      if (write->kind == chain::CtfWrite::Kind::kMerge &&
          (!write->amount.FitsUint64() || write->amount.Low64() > static_cast<uint64_t>(INT64_MAX))) {
        return refuse("amount too large");
      }
      if (r.write.has_value()) return refuse("at most one merge or redeem per batch is simulated");
      r.neg_risk_adapter = neg_risk_adapter;
      r.write =
          ChainTxSpec{.sender = config_.relayer_address,
                      .call = write->kind == chain::CtfWrite::Kind::kMerge ? ChainCall::kMerge : ChainCall::kRedeem,
                      .condition_id = HexEncode(write->condition),
                      .amount = static_cast<int64_t>(write->amount.Low64()),
                      .account = r.wallet};
    }
  }
  const uint64_t n = next_id_++;
  r.tx.id = fmt::format("0190b317-a1d3-7bec-9b91-{:012x}", n);
  r.tx.from = request.from;
  r.tx.to = request.to;
  r.tx.proxy_address = *crypto::Address::Parse(r.wallet);
  r.tx.nonce = request.batch ? request.batch->nonce.ToDecimal() : "0";
  r.tx.state = relayer::TxState::kNew;
  r.tx.type = request.type;
  r.tx.metadata = request.metadata;
  r.tx.created_at = r.tx.updated_at = IsoTime(now);
  r.accepted = now;
  in_flight_[r.wallet] = r.tx.id;
  relayer::SubmitAnswer answer{.transaction_id = r.tx.id, .state = relayer::TxState::kNew};
  order_.push_back(r.tx.id);
  records_.emplace(r.tx.id, std::move(r));
  return answer;
}

void SimRelayer::Fail(Record& r, std::string reason, Nanos now) {
  r.tx.state = relayer::TxState::kFailed;
  r.tx.error = std::move(reason);
  r.tx.updated_at = IsoTime(now);
  in_flight_.erase(r.wallet);
}

void SimRelayer::Execute(Record& r, Exchange& exchange, Nanos now) {
  // The wallet checks the deadline when the batch executes, not when the relayer accepted it.
  if (r.deadline_s != 0 && static_cast<int64_t>(r.deadline_s) < now / kNanosPerSecond) {
    return Fail(r, "execution reverted: batch deadline has passed", now);
  }
  r.chain_hash = HexEncode(crypto::Keccak256("clobmaker-sim-relayer:" + r.tx.id));
  r.tx.hash = r.chain_hash;
  r.tx.updated_at = IsoTime(now);
  if (r.write.has_value()) {
    std::optional<bool> neg_risk;
    for (const MarketConfig& m : exchange.Markets()) {
      if (m.condition_id == r.write->condition_id) neg_risk = m.neg_risk;
    }
    // The adapter of the other market kind has no position to move: the call reverts.
    if (neg_risk.has_value() && *neg_risk != r.neg_risk_adapter) {
      return Fail(r, "execution reverted: the market is not the adapter's kind", now);
    }
    r.write->hash = r.chain_hash;
    r.write->nonce = exchange.NextNonce(config_.relayer_address);
    if (auto refused = exchange.SubmitChainTx(*r.write, now)) return Fail(r, *refused, now);
    r.tx.state = relayer::TxState::kExecuted;
    return;
  }
  // Deployments and approvals: nothing the chain view models; mined at the next block.
  r.tx.state = relayer::TxState::kExecuted;
  r.mined_block = exchange.BlockNumber(now) + 1;
}

void SimRelayer::Advance(Exchange& exchange, Nanos now) {
  const uint64_t block = exchange.BlockNumber(now);
  for (const std::string& id : order_) {
    Record& r = records_.at(id);
    if (relayer::Final(r.tx.state)) continue;
    if (r.tx.state == relayer::TxState::kNew) {
      if (now - r.accepted < config_.execute_after) continue;
      Execute(r, exchange, now);
      if (r.tx.state != relayer::TxState::kExecuted) continue;
    }
    if (r.tx.state == relayer::TxState::kExecuted) {
      if (r.write.has_value()) {
        const ChainTx* tx = exchange.FindChainTx(r.chain_hash);
        if (tx == nullptr || !tx->mined) continue;
        if (!tx->success) {
          Fail(r, "execution reverted: " + tx->revert_reason, now);
          continue;
        }
        r.mined_block = tx->block;
      } else if (block < r.mined_block) {
        continue;
      }
      r.tx.state = relayer::TxState::kMined;
      r.tx.updated_at = IsoTime(now);
      if (r.tx.type == relayer::SubmitType::kWalletCreate) {
        deployed_.insert(r.wallet);
      } else {
        ++owner_nonce_[r.owner];
      }
      if (r.session.has_value()) {
        chain_session_until_[{r.wallet, r.session->session_signer.ToLower()}] =
            r.session->revoke ? 0 : static_cast<int64_t>(r.session->valid_until_s);
      }
      if (r.session.has_value() && !r.session->revoke) {
        session_keys_[r.wallet][r.session->session_signer.ToLower()] =
            SessionKey{.owner = r.owner,
                       .scopes = r.session->scopes,
                       .valid_until_s = static_cast<int64_t>(r.session->valid_until_s)};
      }
      in_flight_.erase(r.wallet);
    }
    if (r.tx.state == relayer::TxState::kMined && block >= r.mined_block + config_.confirm_blocks) {
      r.tx.state = relayer::TxState::kConfirmed;
      r.tx.updated_at = IsoTime(now);
    }
  }
}

std::variant<relayer::SessionSignerAnswer, RelayerRefusal> SimRelayer::SessionSigner(
    const relayer::SessionSignerRequest& request, Nanos now) {
  auto refuse = [](std::string message) { return RelayerRefusal{.status = 400, .message = std::move(message)}; };
  const int64_t now_s = now / kNanosPerSecond;
  if (request.session_signer.IsZero()) return refuse("Session key address must not be the zero address.");
  const relayer::WalletBatch batch = relayer::SessionSignerBatch(request);
  auto owner = relayer::RecoverBatchSigner(batch, config_.chain_id, request.signature);
  if (!owner.ok()) return refuse("invalid signature");
  if (request.wallet != wallet::DepositWalletOf(*owner, factories_) &&
      request.wallet != wallet::LegacyDepositWalletOf(*owner, factories_)) {
    // Whoever signed does not own the wallet (or signed another request).
    return refuse("invalid signature");
  }
  if (request.session_signer == *owner || request.session_signer == request.wallet) {
    return refuse("session signer must differ from the owner and the deposit wallet");
  }
  Record r;
  r.owner = owner->ToLower();
  r.wallet = request.wallet.ToLower();
  if (!deployed_.contains(r.wallet)) return refuse("wallet not deployed");
  if (in_flight_.contains(r.wallet)) return refuse("wallet has in-flight action");
  const uint64_t expected = owner_nonce_[r.owner];
  if (request.nonce != Uint256(expected)) {
    return refuse(fmt::format("batch nonce {} does not match on-chain nonce {}", request.nonce.ToDecimal(), expected));
  }
  if (static_cast<int64_t>(request.deadline_s) < now_s + kMinDeadlineSeconds) {
    return refuse("deadline must be at least 10 seconds in the future");
  }
  if (!request.revoke) {
    if (auto scopes = signing::CheckSessionScopes(request.scopes); !scopes.ok()) {
      return refuse(std::string(scopes.message()));
    }
    const int64_t want = now_s + signing::kSessionKeyLifetimeSeconds;
    const auto valid_until = static_cast<int64_t>(request.valid_until_s);
    if (valid_until < want - kValidUntilSlackSeconds || valid_until > want + kValidUntilSlackSeconds) {
      return refuse(
          fmt::format("validUntil must be the current time plus {} seconds", signing::kSessionKeyLifetimeSeconds));
    }
  }
  r.deadline_s = request.deadline_s;
  const uint64_t n = next_id_++;
  r.tx.id = fmt::format("0190b317-a1d3-7bec-9b91-{:012x}", n);
  r.tx.from = *owner;
  r.tx.to = factories_.deposit_wallet_factory;
  r.tx.proxy_address = request.wallet;
  r.tx.nonce = request.nonce.ToDecimal();
  r.tx.state = relayer::TxState::kNew;
  r.tx.type = relayer::SubmitType::kWallet;
  r.tx.metadata = request.revoke ? "session-signer:revoke" : "session-signer:authorize";
  r.tx.created_at = r.tx.updated_at = IsoTime(now);
  r.accepted = now;
  r.session = request;
  relayer::SessionSignerAnswer answer{.operation_id = fmt::format("op-{:012x}", n), .transaction_id = r.tx.id};
  if (request.revoke) {
    // Fenced: out of the registry before the chain hears of it.
    if (auto it = session_keys_.find(r.wallet); it != session_keys_.end()) {
      it->second.erase(request.session_signer.ToLower());
    }
    answer.status = "FENCED";
    answer.fenced = true;
  } else {
    answer.status = "SUBMITTED";
  }
  in_flight_[r.wallet] = r.tx.id;
  order_.push_back(r.tx.id);
  records_.emplace(r.tx.id, std::move(r));
  return answer;
}

std::vector<relayer::ActiveSessionSigner> SimRelayer::ActiveSessionSigners(const crypto::Address& wallet,
                                                                           Nanos now) const {
  std::vector<relayer::ActiveSessionSigner> out;
  auto it = session_keys_.find(wallet.ToLower());
  if (it == session_keys_.end()) return out;
  for (const auto& [signer, key] : it->second) {
    if (key.valid_until_s <= now / kNanosPerSecond) continue;  // expired: the wallet refuses it too
    out.push_back(
        {.address = *crypto::Address::Parse(signer), .scopes = key.scopes, .valid_until_s = key.valid_until_s});
  }
  return out;
}

std::optional<std::string> SimRelayer::SessionKeyOwner(const crypto::Address& wallet, const crypto::Address& signer,
                                                       Nanos now) const {
  auto it = session_keys_.find(wallet.ToLower());
  if (it == session_keys_.end()) return std::nullopt;
  auto key = it->second.find(signer.ToLower());
  if (key == it->second.end()) return std::nullopt;
  // DepositWallet: a key is invalid once block.timestamp >= validUntil.
  if (now / kNanosPerSecond >= key->second.valid_until_s) return std::nullopt;
  if (!signing::ScopesAllowClob(key->second.scopes)) return std::nullopt;
  return key->second.owner;
}

int64_t SimRelayer::SessionSignerAuthorizedUntil(const crypto::Address& wallet, const crypto::Address& signer) const {
  auto it = chain_session_until_.find({wallet.ToLower(), signer.ToLower()});
  return it == chain_session_until_.end() ? 0 : it->second;
}

const relayer::Transaction* SimRelayer::Find(std::string_view id) const {
  auto it = records_.find(std::string(id));
  return it == records_.end() ? nullptr : &it->second.tx;
}

std::vector<const relayer::Transaction*> SimRelayer::All() const {
  std::vector<const relayer::Transaction*> out;
  out.reserve(order_.size());
  for (const std::string& id : order_) out.push_back(&records_.at(id).tx);
  return out;
}

}  // namespace clobmaker::simexchange
