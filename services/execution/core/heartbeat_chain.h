// The exchange's heartbeat chain (the dead-man switch): each heartbeat carries the id the
// previous answer returned ("" starts a chain), one every `heartbeat_interval`. A refused id
// ("Invalid Heartbeat ID") or no acknowledgement within the exchange's timeout breaks the chain:
// the exchange has cancelled (or will cancel) everything, and the manager must act on that.
#pragma once

#include <optional>
#include <string>

#include "services/execution/core/types.h"

namespace clobmaker::execution {

class HeartbeatChain {
 public:
  HeartbeatChain(const OrderManagerConfig& config, Counters& counters) : config_(config), counters_(counters) {}

  // The first heartbeat is due at once.
  void Start(Nanos now) { next_ = now; }
  // The id to send if a heartbeat is due now (it is then in flight), else nullopt.
  std::optional<std::string> Due(Nanos now);
  // An acknowledged chain has gone without an acknowledgement for longer than the exchange waits.
  bool Lapsed(Nanos now) const { return ok_ && now - last_ok_ > config_.heartbeat_timeout; }

  enum class Answer { kAcknowledged, kRefused, kFailed };
  // kRefused: the exchange refused the id (call Break); kFailed: no answer worth trusting (the
  // next try is scheduled).
  Answer OnReply(const HeartbeatReply& reply, Nanos now);
  // The chain is gone: a new one starts at once. Returns whether it had been acknowledged.
  bool Break(std::string reason, Nanos now);

  bool ok() const { return ok_; }
  const std::string& id() const { return id_; }
  Nanos last_ok() const { return last_ok_; }
  const std::string& break_reason() const { return break_reason_; }

 private:
  const OrderManagerConfig& config_;
  Counters& counters_;
  bool ok_ = false;
  bool in_flight_ = false;
  std::string id_;
  Nanos last_ok_ = 0;
  Nanos next_ = 0;
  std::string break_reason_;
};

}  // namespace clobmaker::execution
