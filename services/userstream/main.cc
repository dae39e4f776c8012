// userstream: the user channel into JetStream CM_USER, nothing lost or doubled (design.md s1, s5).
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <cstdio>

#include "common/clob/credentials.h"
#include "common/core/status.h"
#include "common/grpcserver/grpc_server.h"
#include "common/logging/logging.h"
#include "common/signing/keys.h"
#include "services/userstream/service/user_stream_service.h"

namespace {
std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }
}  // namespace

int main(int argc, char** argv) {
  using clobmaker::StatusText;
  CLI::App app{"userstream: the authenticated user channel into JetStream CM_USER"};
  clobmaker::userstream::UserStreamOptions options;
  std::string key_file;
  std::string key_env = "CLOBMAKER_PRIVATE_KEY";
  std::string admin_token_file;
  app.add_option("--nats", options.nats_url, "NATS server URL")->capture_default_str();
  app.add_option("--clob-url", options.clob_url, "CLOB REST base URL (the simulator by default)")
      ->capture_default_str();
  app.add_option("--ws-url", options.ws_url, "user channel URL (default: derived from --clob-url)");
  app.add_option("--admin-listen", options.admin_listen, "gRPC status address")->capture_default_str();
  app.add_option("--metrics-listen", options.metrics_listen, "Prometheus /metrics address (empty: off)");
  app.add_option("--admin-token-file", admin_token_file, "admin bearer token file; else CLOBMAKER_ADMIN_TOKEN");
  app.add_option("--key-file", key_file, "wallet key file (owner-only), used to derive the API key");
  app.add_option("--key-env", key_env, "environment variable holding the wallet key")->capture_default_str();
  app.add_option("--chain-id", options.chain_id, "137 or 80002")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (auto logging = clobmaker::logging::Configure("userstream"); !logging.ok()) {
    std::fprintf(stderr, "userstream: %s\n", std::string(logging.message()).c_str());
    return 2;
  }
  // The longest it waits before the user channel is connected (docs/operations.md): the API key
  // (5 s per request), NATS, the websocket connect and handshake.
  spdlog::info("userstream: start-up bound 20 s");

  auto key = key_file.empty() ? clobmaker::signing::LoadPrivateKeyEnv(key_env)
                              : clobmaker::signing::LoadPrivateKeyFile(key_file);
  if (!key.ok()) {
    std::fprintf(stderr, "userstream: wallet key: %s\n", std::string(StatusText(key.status())).c_str());
    return 2;
  }
  auto token = clobmaker::grpcserver::LoadAdminToken(admin_token_file, "CLOBMAKER_ADMIN_TOKEN");
  if (!token.ok()) {
    std::fprintf(stderr, "userstream: %s\n", std::string(StatusText(token.status())).c_str());
    return 2;
  }
  options.admin_token = *token;
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  auto credentials = clobmaker::clob::LoadOrDeriveCredentials(*key, options.clob_url, options.chain_id, g_stop);
  if (!credentials.ok()) {
    std::fprintf(stderr, "userstream: %s\n", std::string(StatusText(credentials.status())).c_str());
    return 1;
  }
  auto service = clobmaker::userstream::UserStreamService::Create(options, *key, *credentials);
  if (!service.ok()) {
    std::fprintf(stderr, "userstream: %s\n", std::string(StatusText(service.status())).c_str());
    return 1;
  }
  absl::Status run = (*service)->Run(g_stop);
  if (!run.ok()) {
    spdlog::error("userstream: {}", StatusText(run));
    return 3;
  }
  spdlog::info("userstream: stopped");
  return 0;
}
