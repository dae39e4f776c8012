// marketdata's journal: every raw market-channel frame (and reference frame, and the metadata of
// every market subscribed) with its receive time, published on the JetStream stream CM_JOURNAL
// (cm.journal.<kind>), which the server bounds by size and age (docs/replay.md says why a stream
// and not files). Core-NATS publishes from the loop (no wait for an ack on the hot path; the
// stream captures them): a frame lost while NATS is down is counted, never retried.
#pragma once

#include <absl/status/statusor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/core/clock.h"
#include "common/journal/journal.h"
#include "common/polymarket/events.h"
#include "common/service/bus.h"
#include "services/marketdata/core/book_keeper.h"

namespace clobmaker::marketdata {

struct JournalOptions {
  bool enabled = true;
  int64_t max_bytes = int64_t{1} << 30;  // 1 GiB: the oldest records go first
  Nanos max_age = 24 * 3600 * kNanosPerSecond;
  int replicas = 1;
  Nanos checkpoint_every = 60 * kNanosPerSecond;
};

struct JournalCounters {
  uint64_t records = 0, bytes = 0, publish_failures = 0;
};

class JournalRecorder {
 public:
  // Creates or updates CM_JOURNAL with the limits.
  static absl::StatusOr<std::unique_ptr<JournalRecorder>> Create(service::Bus& bus, const JournalOptions& options);
  void MarketFrame(size_t shard, std::string_view frame, Nanos receive);
  void ReferenceFrame(std::string_view feed, std::string_view frame, Nanos receive);
  void MarketInfo(const polymarket::MarketMetadata& market, Nanos now);
  // Every market's metadata and every trusted book (a span cut from the middle of the journal
  // starts from the last checkpoint before it).
  void Checkpoint(const BookKeeper& keeper, Nanos now);
  const JournalCounters& counters() const { return counters_; }

 private:
  explicit JournalRecorder(service::Bus& bus) : bus_(bus) {}
  void Publish(journal::Record record);
  service::Bus& bus_;
  JournalCounters counters_;
};

}  // namespace clobmaker::marketdata
