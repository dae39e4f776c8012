// positions' decision about a transaction it recorded as in flight (pure): did it take effect, or
// will it never? A merge or redeem is written to KV before it is sent, so a restart finds it; the
// node it is asked about may not know it at all (never broadcast, dropped from the mempool,
// replaced, or a fresh simulator whose chain never saw it). Waiting for its receipt forever would
// block start-up and keep reconciliation deferred; applying it would invent a merge.
//
// The decision is made on evidence only:
//   - a receipt (or a final answer): it took effect (success) or it did not (reverted);
//   - the account's nonce has passed the transaction's and the transaction is not final: another
//     transaction used that nonce (ours was dropped or replaced), so ours can never execute;
//   - it stayed unknown, with its nonce still free, for a bounded wait: it is given up. Its nonce
//     is then still free, so the next transaction sent takes it and a stray copy can never execute
//     after a newer transaction.
// The same holds for a batch handed to Polymarket's relayer (deposit wallets): the relayer's
// lookup (by id, or its listing by the record's metadata) is the lookup, the owner's batch nonce
// the nonce, and "never seen" waits for the batch's deadline too (docs/positions.md, "Through the
// relayer").
//
// Ordering matters: the final nonce must be read BEFORE the lookup. Had our transaction been the
// one that consumed the nonce, a lookup made after that read finds it final; read the other way
// round, a transaction mined between the two reads would be called replaced.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/core/clock.h"

namespace clobmaker::positions {

// What a lookup of the transaction itself said.
enum class TxLookup {
  kUnavailable,  // the node (relayer) could not be asked or gave no usable answer: no evidence
  kUnknown,      // it does not know the transaction (eth_getTransactionByHash null)
  kPending,      // it knows it, not final yet (in the mempool; the relayer has not executed it)
  kSucceeded,    // final and applied (receipt status 1)
  kFailed,       // final and not applied (receipt status 0, reverted; the relayer's FAILED)
};

struct TxObservation {
  // How many of the account's transactions are final (eth_getTransactionCount(address, "latest");
  // a Safe's nonce()), read before `lookup`; nullopt when it could not be read.
  std::optional<uint64_t> final_nonce;
  TxLookup lookup = TxLookup::kUnavailable;
};

enum class TxVerdict {
  kWaiting,    // no decision yet: keep the record and ask again
  kApplied,    // it took effect on chain
  kReverted,   // it executed and failed: nothing moved
  kReplaced,   // not applied: its nonce was used by another transaction (dropped or replaced)
  kNeverSeen,  // not applied: unknown for the whole bounded wait with its nonce still free
};

std::string_view VerdictName(TxVerdict v);
// kApplied, kReverted, kReplaced and kNeverSeen are final; only kApplied moved anything.
inline bool IsFinal(TxVerdict v) { return v != TxVerdict::kWaiting; }

struct PendingTxParams {
  // How long a transaction may stay unknown, with its nonce still free, before it is given up.
  // Generous against a node that has not seen a just-broadcast transaction yet; well inside
  // positions' start-up bound (PositionsOptions::chain_startup_wait).
  Nanos unknown_grace = 10 * kNanosPerSecond;
};

class PendingTransaction {
 public:
  explicit PendingTransaction(uint64_t nonce, PendingTxParams params = {}) : nonce_(nonce), params_(params) {}
  // A transaction that carries a deadline (a relayer batch: it cannot execute after
  // `executable_until`) is never seen only once that deadline, plus the grace, has passed too: a
  // relayer that does not list it yet may still hold it until then.
  PendingTransaction(uint64_t nonce, Nanos executable_until, PendingTxParams params)
      : nonce_(nonce), params_(params), executable_until_(executable_until) {}

  // Folds one observation in; returns the verdict, which never changes once final.
  TxVerdict Observe(const TxObservation& o, Nanos now);

  TxVerdict verdict() const { return verdict_; }
  uint64_t nonce() const { return nonce_; }
  // Since when it has been unknown with its nonce free (nullopt: not unknown now).
  std::optional<Nanos> unknown_since() const { return unknown_since_; }

 private:
  uint64_t nonce_;
  PendingTxParams params_;
  TxVerdict verdict_ = TxVerdict::kWaiting;
  std::optional<Nanos> unknown_since_;
  std::optional<Nanos> executable_until_;
};

}  // namespace clobmaker::positions
