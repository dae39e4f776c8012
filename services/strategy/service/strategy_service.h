// strategy's shell on the shared service host: books, reference prices, market metadata,
// positions and execution's status off the bus into the core; desired ladders onto the bus; the
// rewards poll (POST /orders-scoring, when a wallet key is given) and the CM_ORDERS consumer that
// feeds the reward engine; the admin API. Everything runs on the host's loop.
#pragma once

#include <absl/status/statusor.h>

#include <memory>
#include <string>

#include "common/service/service_main.h"
#include "services/strategy/core/quote_params.h"

namespace clobmaker::strategy {

struct StrategyOptions {
  std::string clob_url = "http://127.0.0.1:8080";
  std::string instance = "strategy";
  StrategyConfig config;
  Nanos timer_interval = 100 * kNanosPerMilli;
  Nanos scoring_interval = 3 * kNanosPerSecond;
  uint64_t chain_id = 137;
};

class StrategyService final : public service::HostedService {
 public:
  using Options = StrategyOptions;
  static service::ServiceSpec Spec();
  struct Flags {
    std::string config_file;
    bool all_markets = false;
    std::string instance = "strategy";
    int64_t scoring_interval_s = 3;
    void Declare(CLI::App& app);
    absl::StatusOr<Options> ToOptions(const service::CommonConfig& config) const;
  };
  // The longest it waits before serving (docs/operations.md): the API key, NATS, the KV loads.
  static Nanos StartupBound(const Options&) { return 15 * kNanosPerSecond; }
  static absl::StatusOr<std::unique_ptr<StrategyService>> Create(service::Host& host, const Options& options,
                                                                 const service::Startup& startup);
  ~StrategyService() override;

  absl::Status Start() override;
  // Leaves an empty ladder behind for every market: execution cancels our quotes at once instead
  // of waiting for their validity to run out.
  void Stop(std::function<void()> done) override;

  struct Impl;

 private:
  explicit StrategyService(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace clobmaker::strategy
