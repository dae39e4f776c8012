// execution: the order authority (design.md s1, s3-5). See services/execution/service/.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "common/clob/credentials.h"
#include "common/core/status.h"
#include "common/grpcserver/grpc_server.h"
#include "common/logging/logging.h"
#include "common/signing/keys.h"
#include "common/wallet/wallet.h"
#include "services/execution/service/execution_service.h"

namespace {

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }

using clobmaker::StatusText;
namespace execution = clobmaker::execution;

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"execution: clobmaker's order authority"};
  execution::ExecutionOptions options;
  std::string key_file;
  std::string key_env = "CLOBMAKER_PRIVATE_KEY";
  std::string admin_token_file;
  clobmaker::wallet::WalletSetting wallet;
  int signature_type = 0;
  int64_t lease_ttl_ms = 6000;
  int64_t startup_timeout_s = 60;
  app.add_option("--nats", options.nats_url, "NATS server URL")->capture_default_str();
  app.add_option("--clob-url", options.clob_url, "CLOB REST base URL (the simulator by default)")
      ->capture_default_str();
  app.add_option("--shard", options.shard, "shard name: lease, kill switch and consumer are per shard")
      ->capture_default_str();
  app.add_option("--instance", options.instance, "lease holder name (default host:pid)");
  app.add_option("--admin-listen", options.admin_listen, "gRPC admin address")->capture_default_str();
  app.add_option("--metrics-listen", options.metrics_listen, "Prometheus /metrics address (empty: off)");
  app.add_option("--admin-token-file", admin_token_file,
                 "admin bearer token file (owner-only); else CLOBMAKER_ADMIN_TOKEN");
  app.add_option("--admin-tls-cert", options.admin_tls_cert, "admin API certificate (PEM) for mTLS");
  app.add_option("--admin-tls-key", options.admin_tls_key, "admin API key (PEM) for mTLS");
  app.add_option("--admin-tls-client-ca", options.admin_tls_client_ca, "CA of admin client certificates");
  app.add_flag("--adopt", options.adopt, "seed the cache from the open orders instead of cancelling them");
  app.add_flag(
      "--dry-run", options.dry_run,
      "sign and log every order as it would be sent, send nothing that changes the exchange (implies --adopt)");
  app.add_option("--key-file", key_file, "wallet key file (64 hex digits, owner-only permissions)");
  app.add_option("--key-env", key_env, "environment variable holding the wallet key")->capture_default_str();
  app.add_option("--chain-id", options.signing.chain_id, "137 (Polygon) or 80002 (Amoy)")->capture_default_str();
  app.add_option("--wallet", wallet.wallet,
                 "EOA, POLY_PROXY, POLY_GNOSIS_SAFE or POLY_1271 (default: CLOBMAKER_WALLET, else EOA)");
  auto* signature_type_flag = app.add_option("--signature-type", signature_type,
                                             "the older spelling of --wallet: 0 EOA, 1 POLY_PROXY, "
                                             "2 POLY_GNOSIS_SAFE, 3 POLY_1271");
  app.add_option("--funder", wallet.funder, "the maker (the wallet's address; default: the key's wallet of that kind)");
  app.add_flag("--session-key", wallet.session_key,
               "the key is a session key the deposit wallet's owner authorized (POLY_1271; --funder names the wallet)");
  int64_t session_check_s = 10;
  app.add_option("--session-check-interval-s", session_check_s,
                 "read the session key's authorization on chain this often")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{3600}));
  app.add_option("--rpc-url", options.rpc_url,
                 "Polygon JSON-RPC, where a session key's authorization is read (default: <clob-url>/rpc, the "
                 "simulator's)");
  app.add_option("--lease-ttl-ms", lease_ttl_ms, "single-writer lease time to live")->check(CLI::Range(1000, 600000));
  app.add_option("--startup-timeout-s", startup_timeout_s, "give up start-up after this long")
      ->check(CLI::Range(1, 3600));
  app.add_option("--max-batch", options.core.max_batch, "orders per POST /orders")->check(CLI::Range(1, 15));
  double post_rate = 0;
  app.add_option("--post-rate", post_rate,
                 "cap on orders posted per second (burst: 1.5 s worth), below the signer's tier (0: the tier's)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 100'000.0));
  app.add_option("--rate-share", options.core.rate_share,
                 "share of the tier's rate and burst this process may use (a signer shared with other writers)")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 1.0));

  CLI11_PARSE(app, argc, argv);
  if (signature_type_flag->count() > 0) wallet.signature_type = signature_type;
  if (const char* env = std::getenv(std::string(clobmaker::wallet::kWalletEnv).c_str())) wallet.env_wallet = env;
  if (auto logging = clobmaker::logging::Configure("execution"); !logging.ok()) {
    std::fprintf(stderr, "execution: %s\n", std::string(logging.message()).c_str());
    return 2;
  }
  // The longest it waits before serving (scripts/up waits that plus a margin; docs/operations.md):
  // a lease left by a killed instance expires within one TTL, start-up gives up after
  // --startup-timeout-s, 10 s for NATS and the API key. (A live holder keeps it standby.)
  spdlog::info("execution: start-up bound {} s", (lease_ttl_ms + 999) / 1000 + startup_timeout_s + 10);
  if (post_rate > 0) {
    // Never above the tier's: the core takes the smaller of this and the tier's figures.
    options.core.post_budget = clobmaker::execution::RateBudgetConfig{
        .capacity = std::max(1.0, std::floor(1.5 * post_rate)), .refill_per_second = post_rate};
  }

  auto key = key_file.empty() ? clobmaker::signing::LoadPrivateKeyEnv(key_env)
                              : clobmaker::signing::LoadPrivateKeyFile(key_file);
  if (!key.ok()) {
    std::fprintf(stderr, "execution: wallet key: %s\n", std::string(StatusText(key.status())).c_str());
    return 2;
  }
  spdlog::info("execution: wallet address {}", key->address().ToChecksum());  // public; the key never is
  auto account = clobmaker::wallet::ResolveAccount(wallet, key->address(), options.signing.chain_id);
  if (!account.ok()) {
    std::fprintf(stderr, "execution: %s\n", std::string(StatusText(account.status())).c_str());
    return 2;
  }
  options.signing.signature_type = account->type;
  options.signing.funder = account->funder;
  options.signing.session_key = account->session_key;
  spdlog::info("execution: wallet={} funder={}{}", clobmaker::wallet::WalletName(account->type),
               account->funder.ToChecksum(), account->session_key ? " (signing with a session key)" : "");
  auto token = clobmaker::grpcserver::LoadAdminToken(admin_token_file, "CLOBMAKER_ADMIN_TOKEN");
  if (!token.ok()) {
    std::fprintf(stderr, "execution: %s\n", std::string(StatusText(token.status())).c_str());
    return 2;
  }
  options.admin_token = *token;
  options.session_check_interval = session_check_s * clobmaker::kNanosPerSecond;
  options.lease_ttl = lease_ttl_ms * clobmaker::kNanosPerMilli;
  options.startup_timeout = startup_timeout_s * clobmaker::kNanosPerSecond;
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);

  auto credentials = clobmaker::clob::LoadOrDeriveCredentials(*key, options.clob_url, options.signing.chain_id, g_stop);
  if (!credentials.ok()) {
    std::fprintf(stderr, "execution: %s\n", std::string(StatusText(credentials.status())).c_str());
    return 1;
  }
  auto service = execution::ExecutionService::Create(options, *key, *credentials);
  if (!service.ok()) {
    std::fprintf(stderr, "execution: %s\n", std::string(StatusText(service.status())).c_str());
    return 1;
  }
  if (options.dry_run) {
    spdlog::warn("execution: DRY-RUN: orders are signed and logged, no order, cancel or heartbeat is sent");
  }
  absl::Status run = (*service)->Run(g_stop);
  if (!run.ok()) {
    spdlog::error("execution: {}", StatusText(run));
    return 3;
  }
  spdlog::info("execution: stopped");
  return 0;
}
