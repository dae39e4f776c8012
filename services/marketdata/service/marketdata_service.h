// marketdata's shell on the shared service host (common/service): the market channel (sharded
// websockets), GET /book snapshots, the metadata API (slug or token -> market), a reference-price
// websocket, the bus out (core subjects, latest-wins; market metadata also in KV CM_MARKETS; raw
// frames on CM_JOURNAL) and the admin routes. The host's loop owns the cores (BookKeeper,
// ReferenceTracker) and ticks them on a host timer; KV writes run on the host's "kv" worker.
#pragma once

#include <absl/status/statusor.h>

#include <memory>
#include <string>
#include <vector>

#include "common/service/service_main.h"
#include "services/marketdata/core/book_keeper.h"
#include "services/marketdata/core/reference_tracker.h"
#include "services/marketdata/service/journal_recorder.h"

namespace clobmaker::marketdata {

struct MarketDataOptions {
  std::string clob_url = "http://127.0.0.1:8080";
  std::string market_ws_url;  // default: the CLOB URL's host, ws(s)://, /ws/market
  std::string gamma_url;      // metadata API; default: <clob_url>/gamma (the simulator's)
  std::string reference_url;  // default: the CLOB URL's host, /ws/reference; "none" disables
  std::string reference_feed = "sim";
  std::string reference_subscribe;   // text sent on every reference (re)connect (e.g. an RTDS subscription)
  std::vector<std::string> markets;  // slugs or token ids
  bool all_markets = false;          // every market the metadata API lists (first page)
  size_t max_assets_per_connection = 200;
  Nanos timer_interval = 100 * kNanosPerMilli;
  BookKeeperConfig books;
  ReferenceConfig reference;
  JournalOptions journal;  // CM_JOURNAL: every raw frame with its receive time
};

class MarketDataService final : public service::HostedService {
 public:
  using Options = MarketDataOptions;
  static service::ServiceSpec Spec();
  struct Flags {
    MarketDataOptions options;  // the defaults --help shows
    double stale_after_s = 5;
    int64_t verify_quiet_ms = 1000, verify_every_s = 30;
    bool no_journal = false;
    double journal_max_age_h = 24, journal_checkpoint_s = 60;
    void Declare(CLI::App& app);
    // No markets (neither --market nor --all-markets) is a bad configuration (exit 2).
    absl::StatusOr<Options> ToOptions(const service::CommonConfig& config) const;
  };
  // The longest it waits before its first shard is connected (docs/operations.md): the market
  // listing (5 s per request) and the websocket connect and handshake.
  static Nanos StartupBound(const Options&) { return 20 * kNanosPerSecond; }
  static absl::StatusOr<std::unique_ptr<MarketDataService>> Create(service::Host& host, const Options& options,
                                                                   const service::Startup& startup);
  ~MarketDataService() override;

  absl::Status Start() override;
  // Stops the feeds and returns once the CM_MARKETS writes queued so far are done (bounded).
  void Stop(std::function<void()> done) override;

  struct Impl;

 private:
  explicit MarketDataService(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace clobmaker::marketdata
