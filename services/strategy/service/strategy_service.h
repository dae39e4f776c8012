// strategy's shell: market metadata (KV CM_MARKETS + cm.md.market.*), books, reference prices,
// positions (KV CM_POSITIONS + cm.positions.*) and execution's status in; desired ladders out on
// cm.strategy.desired.<market>; the reward loop (CM_ORDERS replayed from the start into the
// RewardEngine, POST /orders-scoring on a timer); the gRPC StrategyAdmin API.
//
// One loop owns the cores. Books and reference prices are coalesced per subject before the core
// sees them: a loop that falls behind quotes on the latest book, not on a backlog.
#pragma once

#include <absl/status/statusor.h>

#include <atomic>
#include <memory>
#include <string>

#include "common/core/clock.h"
#include "common/crypto/crypto.h"
#include "common/signing/auth.h"
#include "services/strategy/core/quote_params.h"

namespace clobmaker::strategy {

struct StrategyOptions {
  std::string nats_url = "nats://127.0.0.1:4222";
  std::string clob_url = "http://127.0.0.1:8080";
  std::string admin_listen = "127.0.0.1:0";
  std::string admin_token;
  std::string metrics_listen;  // Prometheus /metrics; empty: off
  std::string instance = "strategy";
  StrategyConfig config;
  Nanos timer_interval = 100 * kNanosPerMilli;
  Nanos scoring_interval = 3 * kNanosPerSecond;
  uint64_t chain_id = 137;
};

class StrategyService {
 public:
  // `key` and `credentials` may be null: the scoring poll is then off (it needs the API key).
  static absl::StatusOr<std::unique_ptr<StrategyService>> Create(const StrategyOptions& options,
                                                                 const crypto::PrivateKey* key,
                                                                 const signing::ApiCredentials* credentials);
  ~StrategyService();
  absl::Status Run(const std::atomic<bool>& stop);
  struct Impl;

 private:
  explicit StrategyService(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace clobmaker::strategy
