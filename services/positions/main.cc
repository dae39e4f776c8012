// positions: the only authority on inventory (design.md s1): provisional and settled buckets per
// token, collateral, P&L, reconciled against the exchange and the chain.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "common/clob/credentials.h"
#include "common/core/status.h"
#include "common/grpcserver/grpc_server.h"
#include "common/logging/logging.h"
#include "common/signing/keys.h"
#include "common/wallet/wallet.h"
#include "services/positions/service/positions_service.h"

namespace {
std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }
}  // namespace

int main(int argc, char** argv) {
  using clobmaker::StatusText;
  CLI::App app{"positions: inventory, collateral and P&L, reconciled with the exchange and the chain"};
  clobmaker::positions::PositionsOptions options;
  std::string key_file, key_env = "CLOBMAKER_PRIVATE_KEY", admin_token_file;
  int64_t reconcile_s = 10;
  int64_t rebates_s = 60;
  app.add_option("--nats", options.nats_url, "NATS server URL")->capture_default_str();
  app.add_option("--clob-url", options.clob_url, "CLOB REST base URL (the simulator by default)")
      ->capture_default_str();
  app.add_option("--rpc-url", options.rpc_url, "Ethereum JSON-RPC URL (default: the simulator's <clob-url>/rpc)");
  app.add_option("--relayer-url", options.relayer_url,
                 "Polymarket's relayer, for deposit-wallet merges and redeems (default: <clob-url>, the simulator's; "
                 "live: https://relayer-v2.polymarket.com)");
  app.add_option("--key-file", key_file, "wallet key file (owner-only)");
  app.add_option("--key-env", key_env, "environment variable holding the wallet key")->capture_default_str();
  app.add_option("--chain-id", options.chain_id, "137 or 80002")->capture_default_str();
  clobmaker::wallet::WalletSetting wallet;
  int signature_type = 0;
  app.add_option("--wallet", wallet.wallet,
                 "EOA, POLY_PROXY, POLY_GNOSIS_SAFE or POLY_1271 (default: CLOBMAKER_WALLET, else EOA)");
  auto* signature_type_flag = app.add_option("--signature-type", signature_type,
                                             "the older spelling of --wallet: 0 EOA, 1 POLY_PROXY, "
                                             "2 POLY_GNOSIS_SAFE, 3 POLY_1271");
  app.add_option("--funder", wallet.funder,
                 "the address holding the funds (the wallet's; default: the key's wallet of that kind)");
  app.add_option("--reconcile-interval-s", reconcile_s, "compare with the exchange and the chain this often")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{3600}));
  app.add_option("--rebates-interval-s", rebates_s, "read our maker rebates (GET /rebates/current) this often")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{86400}));
  int64_t merge_min_shares = options.chain.merge_min_micros / 1'000'000;
  int64_t merge_keep_shares = options.chain.merge_keep_micros / 1'000'000;
  bool no_merge = false, no_redeem = false;
  app.add_option("--merge-min-shares", merge_min_shares,
                 "merge a market's two outcomes when at least this many full sets are free")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1'000'000'000}));
  app.add_option("--merge-keep-shares", merge_keep_shares, "of each outcome, never merged (kept for quoting asks)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{1'000'000'000}));
  app.add_flag("--no-merge", no_merge, "never merge");
  app.add_flag("--no-redeem", no_redeem, "never redeem resolved markets");
  app.add_option("--chain-gas-limit", options.chain_gas_limit, "gas limit of merge/redeem transactions")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{21'000}, uint64_t{10'000'000}));
  app.add_option("--admin-listen", options.admin_listen, "gRPC admin address")->capture_default_str();
  app.add_option("--metrics-listen", options.metrics_listen, "Prometheus /metrics address (empty: off)");
  app.add_option("--admin-token-file", admin_token_file, "admin bearer token file; else CLOBMAKER_ADMIN_TOKEN");
  CLI11_PARSE(app, argc, argv);
  if (signature_type_flag->count() > 0) wallet.signature_type = signature_type;
  if (const char* env = std::getenv(std::string(clobmaker::wallet::kWalletEnv).c_str())) wallet.env_wallet = env;
  if (auto logging = clobmaker::logging::Configure("positions"); !logging.ok()) {
    std::fprintf(stderr, "positions: %s\n", std::string(logging.message()).c_str());
    return 2;
  }
  spdlog::info("positions: start-up bound {} s",
               clobmaker::positions::StartupBound(options) / clobmaker::kNanosPerSecond);
  options.reconcile_interval = reconcile_s * clobmaker::kNanosPerSecond;
  options.rebates_interval = rebates_s * clobmaker::kNanosPerSecond;
  options.chain.merge = !no_merge;
  options.chain.redeem = !no_redeem;
  options.chain.merge_min_micros = merge_min_shares * 1'000'000;
  options.chain.merge_keep_micros = merge_keep_shares * 1'000'000;

  auto key = key_file.empty() ? clobmaker::signing::LoadPrivateKeyEnv(key_env)
                              : clobmaker::signing::LoadPrivateKeyFile(key_file);
  if (!key.ok()) {
    std::fprintf(stderr, "positions: wallet key: %s\n", std::string(StatusText(key.status())).c_str());
    return 2;
  }
  auto account = clobmaker::wallet::ResolveAccount(wallet, key->address(), options.chain_id);
  if (!account.ok()) {
    std::fprintf(stderr, "positions: %s\n", std::string(StatusText(account.status())).c_str());
    return 2;
  }
  options.signature_type = static_cast<int>(account->type);
  options.funder = account->funder.ToChecksum();
  spdlog::info("positions: wallet={} funder={}", clobmaker::wallet::WalletName(account->type),
               account->funder.ToChecksum());
  auto token = clobmaker::grpcserver::LoadAdminToken(admin_token_file, "CLOBMAKER_ADMIN_TOKEN");
  if (!token.ok()) {
    std::fprintf(stderr, "positions: %s\n", std::string(StatusText(token.status())).c_str());
    return 2;
  }
  options.admin_token = *token;
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  auto credentials = clobmaker::clob::LoadOrDeriveCredentials(*key, options.clob_url, options.chain_id, g_stop);
  if (!credentials.ok()) {
    std::fprintf(stderr, "positions: %s\n", std::string(StatusText(credentials.status())).c_str());
    return 1;
  }
  auto service = clobmaker::positions::PositionsService::Create(options, *key, *credentials);
  if (!service.ok()) {
    std::fprintf(stderr, "positions: %s\n", std::string(StatusText(service.status())).c_str());
    return 1;
  }
  absl::Status run = (*service)->Run(g_stop);
  if (!run.ok()) {
    spdlog::error("positions: {}", StatusText(run));
    return 3;
  }
  spdlog::info("positions: stopped");
  return 0;
}
