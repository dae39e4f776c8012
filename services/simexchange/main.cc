// simexchange: a local Polymarket CLOB (REST + websockets) with a market environment, faults on
// demand (gRPC SimControl) and a truth API (gRPC SimTruth). The embedded default for running and
// testing clobmaker with no internet and no credentials.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/crypto/crypto.h"
#include "common/grpcserver/grpc_server.h"
#include "common/logging/logging.h"
#include "services/simexchange/grpc_services.h"
#include "services/simexchange/server/external_source.h"
#include "services/simexchange/server/sim_server.h"

namespace {

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

bool ReadFile(const std::string& path, std::string& out) {
  std::ifstream in(path);
  if (!in) return false;
  std::stringstream buffer;
  buffer << in.rdbuf();
  out = buffer.str();
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace clobmaker;
  CLI::App app{"simexchange: a faithful local Polymarket CLOB simulator"};
  simexchange::SimServerOptions options;
  std::string grpc_listen = "127.0.0.1:9090";
  std::string admin_token_file;
  std::string tls_cert, tls_key;
  int markets = 3;
  bool no_flow = false;
  double starting_collateral = 10'000, starting_tokens = 1'000, trade_fail = 0;
  std::string rate_tier = "Standard", rate_limit_mode = "enforce", order_lookup = "null";
  double fee_rate = 0.07, rebate_rate = 0.20, not_broadcasted = 0;
  int64_t rebate_day_seconds = 24 * 3600;
  int taker_delay_markets = 0;
  app.add_option("--listen", options.listen, "REST and websocket address (host:port)")->default_val("127.0.0.1:8080");
  app.add_option("--grpc-listen", grpc_listen, "control/truth gRPC address")->default_val("127.0.0.1:9090");
  app.add_option("--seed", options.seed, "seed for everything random")->default_val(1);
  app.add_option("--markets", markets, "number of simulated markets")->default_val(3)->check(CLI::Range(1, 500));
  app.add_option("--order-version", options.order_version, "order version the exchange accepts (1, 2, 3)")
      ->default_val(2)
      ->check(CLI::Range(1, 3));
  app.add_option("--chain-id", options.chain_id, "EIP-712 chain id (137 or 80002)")->default_val(137);
  app.add_option("--starting-collateral", starting_collateral, "pUSD credited to a new account")->default_val(10'000);
  app.add_option("--starting-tokens", starting_tokens, "shares of every outcome credited to a new account")
      ->default_val(1'000);
  app.add_option("--trade-fail-probability", trade_fail, "share of trades that end FAILED")
      ->default_val(0)
      ->check(CLI::Range(0.0, 1.0));
  app.add_flag("--no-flow", no_flow, "no background makers/takers (a quiet market)");
  app.add_option("--rate-tier", rate_tier, "every signer's default rate-limit tier (Standard ... Elite)")
      ->default_val("Standard");
  app.add_option("--rate-limit-mode", rate_limit_mode, "per-signer limiter: enforce, warning or off")
      ->default_val("enforce")
      ->check(CLI::IsMember({"enforce", "warning", "off"}));
  app.add_option("--order-lookup", order_lookup, "GET /data/order for an inactive id: null, empty or 404")
      ->default_val("null")
      ->check(CLI::IsMember({"null", "empty", "404"}));
  int64_t relayer_execute_after_ms = 0;
  app.add_option("--relayer-execute-after-ms", relayer_execute_after_ms,
                 "how long the relayer holds an accepted transaction before sending it")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{600'000}));
  std::string wallet_policy = "legacy";
  std::vector<std::string> legacy_owners;
  app.add_option("--wallet-policy", wallet_policy,
                 "legacy: any of the owner's wallets; deposit-only: new accounts trade only as POLY_1271")
      ->capture_default_str()
      ->check(CLI::IsMember({"legacy", "deposit-only"}));
  app.add_option("--legacy-owner", legacy_owners,
                 "deposit-only: this owner (EOA) keeps its EOA, proxy or Safe (repeatable)");
  app.add_option("--fee-rate", fee_rate, "taker fee rate of every market (0 = no fees)")
      ->default_val(0.07)
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--rebate-rate", rebate_rate, "share of taker fees rebated to makers")
      ->default_val(0.20)
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--rebate-day-seconds", rebate_day_seconds, "length of a rebate day (tests shorten it)")
      ->default_val(24 * 3600)
      ->check(CLI::Range(int64_t{1}, int64_t{7 * 24 * 3600}));
  app.add_option("--taker-delay-markets", taker_delay_markets, "the first N markets have the 250 ms taker delay")
      ->default_val(0);
  app.add_option("--matched-not-broadcasted", not_broadcasted, "share of trades first MATCHED_NOT_BROADCASTED")
      ->default_val(0)
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--tls-cert", tls_cert, "serve TLS with this PEM certificate");
  app.add_option("--tls-key", tls_key, "... and this PEM key");
  app.add_option("--admin-token-file", admin_token_file, "token required on the gRPC control API off loopback");
  // Replay and mirror (paper trading): docs/replay.md.
  simexchange::ReplaySourceOptions replay;
  simexchange::MirrorSourceOptions mirror;
  bool mirror_mode = false;
  int64_t replay_step_ms = 200, replay_quiet_ms = 25;
  app.add_option("--replay", replay.journal_path, "drive the markets from a journal (clobmaker-journal export)");
  app.add_option("--replay-speed", replay.pacing.speed, "recorded seconds per second; 0 = as fast as the stack allows")
      ->default_val(1.0)
      ->check(CLI::Range(0.0, 10'000.0));
  app.add_flag("--replay-hold", replay.hold, "load the journal and wait for POST /replay/start");
  app.add_option("--replay-step-ms", replay_step_ms, "speed 0: recorded time played per step")->default_val(200);
  app.add_option("--replay-quiet-ms", replay_quiet_ms, "speed 0: no client request this long = the stack has reacted")
      ->default_val(25);
  app.add_flag("--mirror", mirror_mode,
               "paper trading: books and trades from a live market feed, our orders queued in them");
  app.add_option("--mirror-ws-url", mirror.ws_url, "the feed's market channel")->capture_default_str();
  app.add_option("--mirror-gamma-url", mirror.gamma_url, "the feed's metadata API")->capture_default_str();
  app.add_option("--mirror-market", mirror.markets, "market slug or token id to mirror (repeatable)");
  app.add_flag("--mirror-all-markets", mirror.all_markets, "every market of the metadata API's first page");
  app.add_option("--mirror-ca-file", mirror.ca_file, "extra trusted CA (PEM) for the feed");
  CLI11_PARSE(app, argc, argv);
  if (auto logging = clobmaker::logging::Configure("simexchange"); !logging.ok()) {
    std::fprintf(stderr, "simexchange: %s\n", std::string(logging.message()).c_str());
    return 2;
  }

  if (options.chain_id != 137 && options.chain_id != 80002) {
    std::fprintf(stderr, "simexchange: --chain-id must be 137 or 80002\n");
    return 2;
  }
  if (!tls_cert.empty() || !tls_key.empty()) {
    if (!ReadFile(tls_cert, options.tls_cert_pem) || !ReadFile(tls_key, options.tls_key_pem)) {
      std::fprintf(stderr, "simexchange: cannot read --tls-cert/--tls-key\n");
      return 2;
    }
  }
  options.flow = !no_flow;
  options.starting_collateral = static_cast<int64_t>(starting_collateral * model::kQuantityOne);
  options.starting_tokens = static_cast<int64_t>(starting_tokens * model::kQuantityOne);
  options.exchange.trade_fail_probability = trade_fail;
  options.markets = simexchange::DefaultMarkets(options.seed, markets, SystemClock::Instance().WallSeconds());
  const auto tier = polymarket::ParseRateTier(rate_tier);
  if (!tier) {
    std::fprintf(stderr, "simexchange: --rate-tier: unknown tier '%s'\n", rate_tier.c_str());
    return 2;
  }
  options.rate_limits.default_tier = *tier;
  options.rate_limits.enabled = rate_limit_mode != "off";
  options.rate_limits.warning_mode = rate_limit_mode == "warning";
  options.order_lookup = order_lookup == "404"     ? simexchange::OrderLookupAnswer::kNotFound
                         : order_lookup == "empty" ? simexchange::OrderLookupAnswer::kEmpty
                                                   : simexchange::OrderLookupAnswer::kNull;
  options.wallet_policy = *simexchange::ParseWalletPolicy(wallet_policy);  // checked by CLI11 above
  options.relayer_execute_after = relayer_execute_after_ms * (kNanosPerSecond / 1000);
  for (const auto& owner : legacy_owners) {
    auto address = crypto::Address::Parse(owner);
    if (!address.ok()) {
      std::fprintf(stderr, "simexchange: --legacy-owner: %s\n", std::string(address.status().message()).c_str());
      return 2;
    }
    options.legacy_owners.insert(address->ToLower());
  }
  options.exchange.rebate_day = rebate_day_seconds * kNanosPerSecond;
  options.exchange.matched_not_broadcasted_share = not_broadcasted;
  for (size_t i = 0; i < options.markets.size(); ++i) {
    auto& m = options.markets[i];
    m.fees = {.enabled = fee_rate > 0,
              .rate_ppm = static_cast<int64_t>(std::llround(fee_rate * 1e6)),
              .exponent = 1,
              .taker_only = true,
              .rebate_ppm = static_cast<int64_t>(std::llround(rebate_rate * 1e6))};
    if (static_cast<int>(i) < taker_delay_markets) m.taker_delay = 250 * kNanosPerMilli;
  }
  if (!replay.journal_path.empty() && mirror_mode) {
    std::fprintf(stderr, "simexchange: --replay and --mirror exclude each other\n");
    return 2;
  }
  if (!replay.journal_path.empty()) {
    replay.pacing.step = replay_step_ms * kNanosPerMilli;
    replay.pacing.quiet = replay_quiet_ms * kNanosPerMilli;
    auto source = simexchange::ExternalSource::Replay(replay, SystemClock::Instance().WallNanos());
    if (!source.ok()) {
      std::fprintf(stderr, "simexchange: %s\n", std::string(source.status().message()).c_str());
      return 2;
    }
    options.external = *source;
  } else if (mirror_mode) {
    auto source = simexchange::ExternalSource::Mirror(mirror);
    if (!source.ok()) {
      std::fprintf(stderr, "simexchange: %s\n", std::string(source.status().message()).c_str());
      return mirror.markets.empty() && !mirror.all_markets ? 2 : 1;
    }
    options.external = *source;
  }

  auto server = simexchange::SimServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "simexchange: %s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  auto token = grpcserver::LoadAdminToken(admin_token_file, "CLOBMAKER_ADMIN_TOKEN");
  if (!token.ok()) {
    std::fprintf(stderr, "simexchange: %s\n", std::string(token.status().message()).c_str());
    return 2;
  }
  const auto authorizer = grpcserver::Authorizer::Token(*token);  // in place before the server serves
  simexchange::ControlService control(**server, authorizer);
  simexchange::TruthService truth(**server, authorizer);
  auto grpc = grpcserver::GrpcServer::Start({.listen = grpc_listen, .authorizer = authorizer}, {&control, &truth});
  if (!grpc.ok()) {
    std::fprintf(stderr, "simexchange: %s\n", std::string(grpc.status().message()).c_str());
    return 1;
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::printf(
      "simexchange listening on %s (websockets %s/ws/market, /ws/user, /ws/reference; grpc %s; %d markets, seed "
      "%llu; rate tier %s)\n",
      (*server)->base_url().c_str(), (*server)->ws_url().c_str(), (*grpc)->address().c_str(),
      static_cast<int>((*server)->Markets().size()), static_cast<unsigned long long>(options.seed), rate_tier.c_str());
  std::fflush(stdout);
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  spdlog::info("simexchange: shutting down");
  (*grpc)->Shutdown();
  return 0;
}
