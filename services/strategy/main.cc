// strategy: desired maker-only quote ladders per market, from books, reference prices, positions
// and execution's status (design.md s1, s2).
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "common/clob/credentials.h"
#include "common/core/status.h"
#include "common/grpcserver/grpc_server.h"
#include "common/logging/logging.h"
#include "common/signing/keys.h"
#include "services/strategy/service/strategy_service.h"

namespace {
std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }
}  // namespace

int main(int argc, char** argv) {
  using clobmaker::StatusText;
  CLI::App app{"strategy: maker-only quote ladders onto NATS"};
  clobmaker::strategy::StrategyOptions options;
  std::string config_file, admin_token_file, key_file, key_env;
  bool all_markets = false;
  int64_t scoring_interval_s = 3;
  app.add_option("--nats", options.nats_url, "NATS server URL")->capture_default_str();
  app.add_option("--clob-url", options.clob_url, "CLOB REST base URL (for /orders-scoring)")->capture_default_str();
  app.add_option("--config", config_file, "YAML file of markets and parameters (docs/strategy.md)");
  app.add_flag("--all-markets", all_markets, "without --config: quote every market marketdata publishes, defaults");
  app.add_option("--instance", options.instance, "instance name")->capture_default_str();
  app.add_option("--admin-listen", options.admin_listen, "gRPC admin address")->capture_default_str();
  app.add_option("--metrics-listen", options.metrics_listen, "Prometheus /metrics address (empty: off)");
  app.add_option("--admin-token-file", admin_token_file, "admin bearer token file; else CLOBMAKER_ADMIN_TOKEN");
  app.add_option("--key-file", key_file, "wallet key file (owner-only): enables the reward scoring poll");
  app.add_option("--key-env", key_env, "environment variable holding the wallet key (instead of --key-file)");
  app.add_option("--chain-id", options.chain_id, "137 or 80002")->capture_default_str();
  app.add_option("--scoring-interval-s", scoring_interval_s, "POST /orders-scoring period")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{3600}));
  CLI11_PARSE(app, argc, argv);
  if (auto logging = clobmaker::logging::Configure("strategy"); !logging.ok()) {
    std::fprintf(stderr, "strategy: %s\n", std::string(logging.message()).c_str());
    return 2;
  }
  // The longest it waits before serving (docs/operations.md): the API key, NATS, the KV loads.
  spdlog::info("strategy: start-up bound 15 s");
  options.scoring_interval = scoring_interval_s * clobmaker::kNanosPerSecond;

  if (!config_file.empty()) {
    std::ifstream in(config_file);
    if (!in) {
      std::fprintf(stderr, "strategy: cannot read %s\n", config_file.c_str());
      return 2;
    }
    std::stringstream text;
    text << in.rdbuf();
    auto config = clobmaker::strategy::ParseStrategyConfig(text.str());
    if (!config.ok()) {
      std::fprintf(stderr, "strategy: %s: %s\n", config_file.c_str(), std::string(StatusText(config.status())).c_str());
      return 2;
    }
    options.config = *config;
  } else if (all_markets) {
    options.config.all_markets = true;
  } else {
    std::fprintf(stderr, "strategy: give --config FILE or --all-markets\n");
    return 2;
  }
  auto token = clobmaker::grpcserver::LoadAdminToken(admin_token_file, "CLOBMAKER_ADMIN_TOKEN");
  if (!token.ok()) {
    std::fprintf(stderr, "strategy: %s\n", std::string(StatusText(token.status())).c_str());
    return 2;
  }
  options.admin_token = *token;
  std::optional<clobmaker::crypto::PrivateKey> key;
  if (!key_file.empty() || !key_env.empty()) {
    auto loaded = key_file.empty() ? clobmaker::signing::LoadPrivateKeyEnv(key_env)
                                   : clobmaker::signing::LoadPrivateKeyFile(key_file);
    if (!loaded.ok()) {
      std::fprintf(stderr, "strategy: wallet key: %s\n", std::string(StatusText(loaded.status())).c_str());
      return 2;
    }
    key = std::move(*loaded);
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::optional<clobmaker::signing::ApiCredentials> credentials;
  if (key) {
    auto derived = clobmaker::clob::LoadOrDeriveCredentials(*key, options.clob_url, options.chain_id, g_stop);
    if (!derived.ok()) {
      std::fprintf(stderr, "strategy: %s\n", std::string(StatusText(derived.status())).c_str());
      return 1;
    }
    credentials = std::move(*derived);
  }
  auto service = clobmaker::strategy::StrategyService::Create(options, key ? &*key : nullptr,
                                                              credentials ? &*credentials : nullptr);
  if (!service.ok()) {
    std::fprintf(stderr, "strategy: %s\n", std::string(StatusText(service.status())).c_str());
    return 1;
  }
  absl::Status run = (*service)->Run(g_stop);
  if (!run.ok()) {
    spdlog::error("strategy: {}", StatusText(run));
    return 3;
  }
  spdlog::info("strategy: stopped (empty ladders published)");
  return 0;
}
