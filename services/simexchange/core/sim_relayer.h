// The simulated Polymarket relayer (docs/deposit-wallets-spec.md s4): owners submit their deposit
// wallets' transactions without gas; the relayer deploys wallets (WALLET-CREATE) and executes
// signed batches (WALLET) through them, sending the chain transaction from its own address while
// the wallet's balances move. Pure: driven by the front end's requests and Advance(now), with the
// exchange core as the chain.
//
// What a batch may do here: approvals (pUSD approve, CTF setApprovalForAll: accepted, no effect,
// the simulator does not model allowances) and at most one conditional-tokens merge or redeem of
// a binary full set on pUSD through the collateral adapter of the market's kind. Anything else is
// refused at submission (the real relayer would execute it; the simulator cannot).
//
// The chain's wallet factories and pUSD are `chain_id`'s (137 or 80002; another id: Polygon's);
// the adapters and the factory are Polygon's on every chain (Amoy's are not in the clients).
//
// States: STATE_NEW at acceptance, STATE_EXECUTED once its chain transaction is sent (after
// `execute_after`), STATE_MINED when the chain mined it, STATE_CONFIRMED `confirm_blocks` blocks
// later; STATE_FAILED when it reverted (error_msg = the revert reason; the wallet's nonce is not
// used up, as in a reverted execute). One transaction per wallet in flight at a time.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/core/clock.h"
#include "common/core/uint256.h"
#include "common/crypto/crypto.h"
#include "common/relayer/relayer.h"
#include "common/wallet/wallet.h"
#include "services/simexchange/core/exchange.h"

namespace clobmaker::simexchange {

struct SimRelayerConfig {
  uint64_t chain_id = 137;
  // The relayer's own EOA: the sender of every chain transaction it makes (its nonces).
  std::string relayer_address = "0x00000000000000000000000000000000000e1a7e";
  Nanos execute_after = 0;
  uint64_t confirm_blocks = 2;
};

// A refused submission: the HTTP status and the relayer's error text.
struct RelayerRefusal {
  int status = 400;
  std::string message;
};

class SimRelayer {
 public:
  explicit SimRelayer(SimRelayerConfig config);

  // GET /nonce?address=OWNER&type=WALLET: the batch nonce of the owner's deposit wallet (keyed by
  // the owner, as the relayer's endpoint is: whichever of its two derivations it uses).
  Uint256 WalletNonce(const crypto::Address& owner) const;
  // GET /deployed?address=WALLET.
  bool Deployed(const crypto::Address& wallet) const { return deployed_.contains(wallet.ToLower()); }
  // Deploys a wallet directly (a simulator setting: accounts that already have their wallet).
  void MarkDeployed(const crypto::Address& wallet) { deployed_.insert(wallet.ToLower()); }

  // POST /submit, authenticated by the front end.
  std::variant<relayer::SubmitAnswer, RelayerRefusal> Submit(const relayer::SubmitRequest& request, Nanos now);
  // Moves transactions on: sends due ones to the chain, follows mining and confirmation.
  void Advance(Exchange& exchange, Nanos now);

  // POST /v1/session-signers/authorizations and /revocations (docs/session-keys.md): the owner's
  // batch of one self-call, checked as /submit checks a batch, recorded as a WALLET transaction.
  // An authorization registers the key when its transaction is mined; a revocation takes the key
  // out of the registry at once (the relayer "fences" it before the chain), and the front end
  // cancels the key's open orders.
  std::variant<relayer::SessionSignerAnswer, RelayerRefusal> SessionSigner(const relayer::SessionSignerRequest& request,
                                                                           Nanos now);
  // GET /v1/user/session-signers: the wallet's keys authorized and unexpired at `now`.
  std::vector<relayer::ActiveSessionSigner> ActiveSessionSigners(const crypto::Address& wallet, Nanos now) const;
  // The CLOB's check of an order a session key signed for `wallet`: the wallet's owner (lowercase)
  // when `signer` is an active key of that wallet whose scopes allow the CLOB; nullopt otherwise.
  std::optional<std::string> SessionKeyOwner(const crypto::Address& wallet, const crypto::Address& signer,
                                             Nanos now) const;

  // DepositWallet.sessionSignerAuthorizedUntil(signer) on chain: set when an authorization is
  // mined, 0 when a revocation is (the registry above is fenced earlier).
  int64_t SessionSignerAuthorizedUntil(const crypto::Address& wallet, const crypto::Address& signer) const;

  const relayer::Transaction* Find(std::string_view id) const;
  // Every transaction, oldest first.
  std::vector<const relayer::Transaction*> All() const;
  uint64_t submitted() const { return next_id_ - 1; }

 private:
  struct Record {
    relayer::Transaction tx;
    uint64_t deadline_s = 0;  // WALLET: the batch's deadline (0: none)
    std::string wallet;       // lowercase
    std::string owner;        // lowercase
    Nanos accepted = 0;
    std::optional<ChainTxSpec> write;                      // the batch's merge or redeem, if any
    std::optional<relayer::SessionSignerRequest> session;  // an authorization, applied when mined
    bool neg_risk_adapter = false;
    std::string chain_hash;
    uint64_t mined_block = 0;
    bool mined = false;
  };
  void Execute(Record& r, Exchange& exchange, Nanos now);
  void Fail(Record& r, std::string reason, Nanos now);

  SimRelayerConfig config_;
  relayer::CallTargets targets_;
  wallet::Factories factories_;
  std::set<std::string> deployed_;                // lowercase wallets
  std::map<std::string, uint64_t> owner_nonce_;   // lowercase owner -> next batch nonce
  std::map<std::string, std::string> in_flight_;  // lowercase wallet -> transaction id
  std::map<std::string, Record> records_;         // by id
  struct SessionKey {
    std::string owner;  // lowercase
    std::vector<std::string> scopes;
    int64_t valid_until_s = 0;
  };
  std::map<std::string, std::map<std::string, SessionKey>> session_keys_;       // wallet -> signer -> key
  std::map<std::pair<std::string, std::string>, int64_t> chain_session_until_;  // (wallet, signer) -> validUntil
  std::vector<std::string> order_;                                              // ids, oldest first
  uint64_t next_id_ = 1;
};

}  // namespace clobmaker::simexchange
