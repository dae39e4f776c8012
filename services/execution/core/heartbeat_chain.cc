#include "services/execution/core/heartbeat_chain.h"

#include <utility>

namespace clobmaker::execution {

std::optional<std::string> HeartbeatChain::Due(Nanos now) {
  if (in_flight_ || now < next_) return std::nullopt;
  in_flight_ = true;
  return id_;
}

HeartbeatChain::Answer HeartbeatChain::OnReply(const HeartbeatReply& reply, Nanos now) {
  in_flight_ = false;
  if (reply.outcome == net::Outcome::kOk && reply.error.empty() && !reply.heartbeat_id.empty()) {
    counters_.heartbeats_ok++;
    id_ = reply.heartbeat_id;
    ok_ = true;
    last_ok_ = now;
    next_ = now + config_.heartbeat_interval;
    return Answer::kAcknowledged;
  }
  counters_.heartbeat_failures++;
  if (!reply.error.empty() && (reply.outcome == net::Outcome::kOk || reply.outcome == net::Outcome::kRejected)) {
    return Answer::kRefused;
  }
  next_ = now + config_.heartbeat_retry;
  return Answer::kFailed;
}

bool HeartbeatChain::Break(std::string reason, Nanos now) {
  counters_.heartbeat_chain_breaks++;
  const bool was_ok = ok_;
  ok_ = false;
  id_.clear();
  next_ = now;
  break_reason_ = std::move(reason);
  return was_ok;
}

}  // namespace clobmaker::execution
