// Where the replay and mirror exchanges get the other participants from (the imperative side of
// services/simexchange/replay): a journal file played at a pace (simexchange --replay), or a live
// market feed (simexchange --mirror: paper trading on real books). Both feed one
// replay::ExternalMarket on the simulator's IO thread, and serve:
//   GET  /replay/status  {"mode","started","done","position_ns","first_ns","last_ns","played","records","fills",
//                         "frames","open_orders"}
//   POST /replay/start   starts a journal held with --replay-hold (the backtest starts it once the
//                        stack quotes)
//   GET  /replay/report  the report data (replay_report.h)
#pragma once

#include <absl/status/statusor.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/net/http.h"
#include "common/net/io_thread.h"
#include "services/simexchange/core/exchange.h"
#include "services/simexchange/replay/external_market.h"
#include "services/simexchange/replay/replay_driver.h"

namespace clobmaker::simexchange {

struct ReplaySourceOptions {
  std::string journal_path;
  replay::PacingConfig pacing;
  bool hold = false;  // wait for POST /replay/start
};

struct MirrorSourceOptions {
  std::string ws_url = "wss://ws-subscriptions-clob.polymarket.com/ws/market";
  std::string gamma_url = "https://gamma-api.polymarket.com";
  std::vector<std::string> markets;  // slugs or token ids
  bool all_markets = false;          // the metadata API's first page of active markets
  std::string ca_file;               // extra trusted CA for the feed (tests)
};

class ExternalSource {
 public:
  // Reads the journal; the markets' end times are moved to the simulator's clock (`now`).
  static absl::StatusOr<std::shared_ptr<ExternalSource>> Replay(const ReplaySourceOptions& options, Nanos now);
  // Resolves the markets through the metadata API (blocking, at start-up).
  static absl::StatusOr<std::shared_ptr<ExternalSource>> Mirror(const MirrorSourceOptions& options);
  ~ExternalSource();

  const std::vector<MarketConfig>& markets() const { return markets_; }
  replay::ExternalMarket& market() { return *market_; }
  const replay::ExternalMarket& market() const { return *market_; }

  // On the simulator's IO thread: after the markets were added to the core. `dispatch` sends
  // what the external market produced (a mirror frame arrives between ticks).
  absl::Status Start(Exchange& exchange, net::IoThread& io, std::function<void()> dispatch, Nanos now);
  void Tick(Exchange& exchange, Nanos now, Nanos last_client_request);
  std::optional<net::HttpResponse> Route(const std::string& method, const std::string& path, Nanos now);
  void Stop();

  struct Impl;

 private:
  ExternalSource();
  std::vector<MarketConfig> markets_;
  std::unique_ptr<replay::ExternalMarket> market_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace clobmaker::simexchange
