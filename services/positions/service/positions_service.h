// positions' shell: seeds the Ledger from the exchange (GET /balance-allowance) and the chain
// (JSON-RPC balanceOf), then consumes CM_USER trades through the durable consumer "positions";
// reconciles periodically against both sources; publishes positions to KV CM_POSITIONS and
// cm.positions.<token>, discrepancies to cm.positions.discrepancy; serves gRPC PositionsAdmin.
#pragma once

#include <absl/status/statusor.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "common/core/clock.h"
#include "common/crypto/crypto.h"
#include "common/relayer/relayer.h"
#include "common/signing/auth.h"
#include "services/positions/core/chain_planner.h"
#include "services/positions/core/pending_transaction.h"

namespace clobmaker::positions {

struct PositionsOptions {
  std::string nats_url = "nats://127.0.0.1:4222";
  std::string clob_url = "http://127.0.0.1:8080";
  std::string rpc_url;  // Ethereum JSON-RPC; default <clob_url>/rpc (the simulator's node)
  std::string admin_listen = "127.0.0.1:0";
  std::string admin_token;
  std::string metrics_listen;  // Prometheus /metrics; empty: off
  uint64_t chain_id = 137;
  int signature_type = 0;
  std::string funder;  // the address holding the funds (default: the key's)
  // Polymarket's relayer, through which a deposit wallet (signature type 3) merges and redeems;
  // default <clob_url> (the simulator serves it on its own port). Builder credentials when given
  // (CLOBMAKER_BUILDER_API_KEY, _SECRET, _PASSPHRASE), else a relayer API key of the owner's.
  std::string relayer_url;
  std::optional<relayer::BuilderCredentials> relayer_builder;
  Nanos relayer_deadline = 240 * kNanosPerSecond;  // a batch cannot execute after sent + this
  Nanos reconcile_interval = 10 * kNanosPerSecond;
  Nanos republish_interval = 5 * kNanosPerSecond;
  Nanos seed_lookback = 10 * 60 * kNanosPerSecond;  // recent trades already inside the seeded balances
  // Merge and redeem: EOA wallets (signature type 0) send transactions to the conditional-tokens
  // contract; deposit wallets (3) submit batches to the relayer.
  ChainParams chain;
  uint64_t chain_gas_limit = 300'000;
  Nanos chain_interval = 1 * kNanosPerSecond;             // plan this often
  Nanos chain_resolution_interval = 5 * kNanosPerSecond;  // read payouts of unresolved markets this often
  // A transaction an earlier run left in flight is decided before the seed (PendingTransaction):
  // start-up waits for the decision at most this long, then carries the record on. Longer than
  // pending_tx.unknown_grace, so one the chain does not know is always decided within start-up.
  Nanos chain_startup_wait = 15 * kNanosPerSecond;
  PendingTxParams pending_tx;
  Nanos chain_retry_after = 30 * kNanosPerSecond;  // a market whose transaction failed or reverted
  // Maker rebates: GET /rebates/current for today's and yesterday's UTC date, this often.
  Nanos rebates_interval = 60 * kNanosPerSecond;
};

// The longest start-up takes before the admin API serves (scripts/up waits that plus a margin;
// docs/operations.md): the API key and NATS (10 s), a transaction an earlier run left in flight
// (chain_startup_wait, plus one round of its three JSON-RPC reads, 5 s each), the seed (10 s).
inline Nanos StartupBound(const PositionsOptions& o) {
  return 10 * kNanosPerSecond + o.chain_startup_wait + 15 * kNanosPerSecond + 10 * kNanosPerSecond;
}

class PositionsService {
 public:
  static absl::StatusOr<std::unique_ptr<PositionsService>> Create(const PositionsOptions& options,
                                                                  const crypto::PrivateKey& key,
                                                                  const signing::ApiCredentials& credentials);
  ~PositionsService();
  absl::Status Run(const std::atomic<bool>& stop);
  struct Impl;

 private:
  explicit PositionsService(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace clobmaker::positions
