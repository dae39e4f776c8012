// marketdata's shell: the market channel (sharded websockets), GET /book snapshots, the metadata
// API (slug or token -> market), a reference-price websocket, NATS out (core subjects, latest-wins;
// market metadata also in KV CM_MARKETS) and the gRPC admin API. One loop owns the cores
// (BookKeeper, ReferenceTracker); a timer thread ticks them; KV writes have their own thread.
#pragma once

#include <absl/status/statusor.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "services/marketdata/core/book_keeper.h"
#include "services/marketdata/core/reference_tracker.h"
#include "services/marketdata/service/journal_recorder.h"

namespace clobmaker::marketdata {

struct MarketDataOptions {
  std::string nats_url = "nats://127.0.0.1:4222";
  std::string clob_url = "http://127.0.0.1:8080";
  std::string market_ws_url;  // default: the CLOB URL's host, ws(s)://, /ws/market
  std::string gamma_url;      // metadata API; default: <clob_url>/gamma (the simulator's)
  std::string reference_url;  // default: the CLOB URL's host, /ws/reference; "none" disables
  std::string reference_feed = "sim";
  std::string reference_subscribe;  // text sent on every reference (re)connect (e.g. an RTDS subscription)
  std::string admin_listen = "127.0.0.1:0";
  std::string admin_token;
  std::string metrics_listen;        // Prometheus /metrics; empty: off
  std::vector<std::string> markets;  // slugs or token ids
  bool all_markets = false;          // every market the metadata API lists (first page)
  size_t max_assets_per_connection = 200;
  Nanos timer_interval = 100 * kNanosPerMilli;
  BookKeeperConfig books;
  ReferenceConfig reference;
  JournalOptions journal;  // CM_JOURNAL: every raw frame with its receive time
};

class MarketDataService {
 public:
  static absl::StatusOr<std::unique_ptr<MarketDataService>> Create(const MarketDataOptions& options);
  ~MarketDataService();
  // Serves until `stop` is set.
  absl::Status Run(const std::atomic<bool>& stop);
  struct Impl;

 private:
  explicit MarketDataService(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace clobmaker::marketdata
