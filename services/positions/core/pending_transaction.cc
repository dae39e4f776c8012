#include "services/positions/core/pending_transaction.h"

namespace clobmaker::positions {

std::string_view VerdictName(TxVerdict v) {
  switch (v) {
    case TxVerdict::kWaiting:
      return "waiting";
    case TxVerdict::kApplied:
      return "applied";
    case TxVerdict::kReverted:
      return "reverted";
    case TxVerdict::kReplaced:
      return "replaced";
    case TxVerdict::kNeverSeen:
      return "never_seen";
  }
  return "unknown";
}

TxVerdict PendingTransaction::Observe(const TxObservation& o, Nanos now) {
  if (IsFinal(verdict_)) return verdict_;
  switch (o.lookup) {
    case TxLookup::kSucceeded:
      return verdict_ = TxVerdict::kApplied;
    case TxLookup::kFailed:
      return verdict_ = TxVerdict::kReverted;
    case TxLookup::kUnavailable:
      return verdict_;  // no evidence either way
    case TxLookup::kUnknown:
    case TxLookup::kPending:
      break;
  }
  // Not final. A nonce read before this lookup that has passed ours: the transaction that took our
  // nonce is final, and it is not ours (ours would have been found final), so ours never will be.
  if (o.final_nonce && *o.final_nonce > nonce_) return verdict_ = TxVerdict::kReplaced;
  if (o.lookup == TxLookup::kPending) {
    unknown_since_.reset();  // known to the node: it may still be mined, however long it takes
    return verdict_;
  }
  if (!unknown_since_) unknown_since_ = now;
  if (now - *unknown_since_ >= params_.unknown_grace &&
      (!executable_until_ || now >= *executable_until_ + params_.unknown_grace)) {
    verdict_ = TxVerdict::kNeverSeen;
  }
  return verdict_;
}

}  // namespace clobmaker::positions
