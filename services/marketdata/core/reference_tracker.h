// marketdata's reference prices: frames from a reference feed in (the simulator's, or Polymarket's
// real-time data stream; see polymarket::ParseReferenceFrame), ReferencePrice publications on
// cm.ref.<symbol> out, and the staleness of every symbol. Pure: every input carries `now`.
//
// An update older than the last one seen for its symbol is dropped (feeds replay after a
// reconnect); malformed frames are counted, never fatal. Consumers decide staleness from the
// header's exchange timestamp; this tracker reports it in the service status.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/bus/header.h"
#include "common/core/clock.h"
#include "services/marketdata/core/book_keeper.h"

namespace clobmaker::marketdata {

struct ReferenceConfig {
  std::string feed = "sim";                 // name carried in every ReferencePrice
  Nanos stale_after = 5 * kNanosPerSecond;  // no update for this long: stale
};

struct ReferenceCounters {
  uint64_t frames = 0, prices = 0, malformed = 0, out_of_order = 0, connects = 0, disconnects = 0;
};

struct ReferenceSymbol {
  int64_t price_nanos = 0;
  int64_t timestamp_ms = 0;
  Nanos received = 0;
  uint64_t updates = 0;
};

class ReferenceTracker {
 public:
  ReferenceTracker(ReferenceConfig config, bus::HeaderStamper& stamper);

  // Returns false (and counts) for a malformed frame; the error text goes to `error`.
  bool OnFrame(std::string_view frame, Nanos receive_ns, std::string* error = nullptr);
  void OnConnected(Nanos now);
  void OnDisconnected(Nanos now);

  void TakePublications(Nanos publish_ns, std::vector<Publication>& out);
  bool connected() const { return connected_; }
  bool stale(std::string_view symbol, Nanos now) const;
  std::vector<std::string> StaleSymbols(Nanos now) const;
  const std::map<std::string, ReferenceSymbol, std::less<>>& symbols() const { return symbols_; }
  const ReferenceCounters& counters() const { return counters_; }
  const ReferenceConfig& config() const { return config_; }

 private:
  ReferenceConfig config_;
  bus::HeaderStamper& stamper_;
  std::map<std::string, ReferenceSymbol, std::less<>> symbols_;
  std::vector<Publication> pending_;
  ReferenceCounters counters_;
  bool connected_ = false;
};

}  // namespace clobmaker::marketdata
