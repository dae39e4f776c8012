// marketdata: market websocket -> L2 books in integer ticks, tick-size epochs, trades, market
// metadata and reference prices on the bus (design.md s1).
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <cstdio>

#include "common/core/status.h"
#include "common/grpcserver/grpc_server.h"
#include "common/logging/logging.h"
#include "services/marketdata/service/marketdata_service.h"

namespace {
std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }
}  // namespace

int main(int argc, char** argv) {
  using clobmaker::kNanosPerMilli;
  using clobmaker::StatusText;
  CLI::App app{"marketdata: books, tick sizes, trades and reference prices onto NATS"};
  clobmaker::marketdata::MarketDataOptions options;
  std::string admin_token_file;
  double stale_after_s = 5;
  int64_t verify_quiet_ms = 1000, verify_every_s = 30;
  app.add_option("--nats", options.nats_url, "NATS server URL")->capture_default_str();
  app.add_option("--clob-url", options.clob_url, "CLOB REST base URL (the simulator by default)")
      ->capture_default_str();
  app.add_option("--ws-url", options.market_ws_url, "market channel URL (default: derived from --clob-url)");
  app.add_option("--gamma-url", options.gamma_url,
                 "metadata API base URL (default: <clob-url>/gamma; real: https://gamma-api.polymarket.com)");
  app.add_option("--reference-url", options.reference_url,
                 "reference price websocket (default: the simulator's /ws/reference; 'none' disables)");
  app.add_option("--reference-feed", options.reference_feed, "reference feed name")->capture_default_str();
  app.add_option("--reference-subscribe", options.reference_subscribe,
                 "message sent on every reference (re)connect, e.g. an RTDS crypto_prices subscription");
  app.add_option("--reference-stale-s", stale_after_s, "a reference symbol silent this long is stale")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--market", options.markets, "market slug or token id (repeatable)");
  app.add_flag("--all-markets", options.all_markets, "every market the metadata API lists (first page)");
  app.add_option("--max-assets-per-connection", options.max_assets_per_connection, "market channel sharding")
      ->capture_default_str()
      ->check(CLI::Range(1, 500));
  app.add_option("--snapshot-rate", options.books.snapshot_rate_per_s, "GET /book requests per second")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 1000.0));
  app.add_option("--verify-quiet-ms", verify_quiet_ms, "verify a book against GET /book after this much quiet")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{10}, int64_t{3'600'000}));
  app.add_option("--verify-every-s", verify_every_s, "and at least this often")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{86'400}));
  app.add_option("--admin-listen", options.admin_listen, "gRPC admin address")->capture_default_str();
  app.add_option("--metrics-listen", options.metrics_listen, "Prometheus /metrics address (empty: off)");
  app.add_option("--admin-token-file", admin_token_file, "admin bearer token file; else CLOBMAKER_ADMIN_TOKEN");
  bool no_journal = false;
  double journal_max_age_h = 24, journal_checkpoint_s = 60;
  app.add_flag("--no-journal", no_journal, "do not record raw frames on CM_JOURNAL");
  app.add_option("--journal-max-bytes", options.journal.max_bytes, "CM_JOURNAL's size bound (oldest records go)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1} << 20, int64_t{1} << 50));
  app.add_option("--journal-max-age-h", journal_max_age_h, "CM_JOURNAL's age bound")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 24.0 * 365));
  app.add_option("--journal-checkpoint-s", journal_checkpoint_s, "every market's metadata and book this often")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 3600.0));
  CLI11_PARSE(app, argc, argv);
  options.journal.enabled = !no_journal;
  options.journal.max_age = static_cast<clobmaker::Nanos>(journal_max_age_h * 3600e9);
  options.journal.checkpoint_every = static_cast<clobmaker::Nanos>(journal_checkpoint_s * 1e9);
  if (auto logging = clobmaker::logging::Configure("marketdata"); !logging.ok()) {
    std::fprintf(stderr, "marketdata: %s\n", std::string(logging.message()).c_str());
    return 2;
  }
  // The longest it waits before its first shard is connected (docs/operations.md): the market
  // listing (5 s per request) and the websocket connect and handshake.
  spdlog::info("marketdata: start-up bound 20 s");
  options.reference.stale_after = static_cast<clobmaker::Nanos>(stale_after_s * 1e9);
  options.books.verify_when_quiet = verify_quiet_ms * kNanosPerMilli;
  options.books.verify_every = verify_every_s * 1000 * kNanosPerMilli;
  options.books.snapshot_burst = std::max(options.books.snapshot_burst, options.books.snapshot_rate_per_s);

  if (options.markets.empty() && !options.all_markets) {
    std::fprintf(stderr, "marketdata: no markets: give --market (slug or token id) or --all-markets\n");
    return 2;
  }
  auto token = clobmaker::grpcserver::LoadAdminToken(admin_token_file, "CLOBMAKER_ADMIN_TOKEN");
  if (!token.ok()) {
    std::fprintf(stderr, "marketdata: %s\n", std::string(StatusText(token.status())).c_str());
    return 2;
  }
  options.admin_token = *token;
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  auto service = clobmaker::marketdata::MarketDataService::Create(options);
  if (!service.ok()) {
    std::fprintf(stderr, "marketdata: %s\n", std::string(StatusText(service.status())).c_str());
    return 1;
  }
  absl::Status run = (*service)->Run(g_stop);
  if (!run.ok()) {
    spdlog::error("marketdata: {}", StatusText(run));
    return 3;
  }
  spdlog::info("marketdata: stopped");
  return 0;
}
