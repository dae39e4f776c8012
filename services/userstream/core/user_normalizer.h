// userstream's functional core: raw user-channel frames and backfilled trades in, publications
// for JetStream CM_USER out (subject, protobuf bytes, Nats-Msg-Id), with nothing lost and nothing
// doubled (design.md s2, s5).
//
//  - Order events go to cm.user.order.<token>, trades (only our legs, AttributeFills) to
//    cm.user.trade.<token>, each keyed by the exchange's identifiers (order id + event type +
//    matched size + status; trade id + status), so the server's duplicate window drops replays.
//  - A local window of recent keys drops duplicates before they cost a publish (counted).
//  - Every (re)connect is announced on cm.user.connected and asks for a backfill of trades since
//    the last one seen (minus a margin): the overlap is harmless, a gap is not.
//  - The last trade seen is the backfill cursor. It outlives the process: the shell persists it
//    (KV) once the publications that carried it were acked, and restores it at start, so a
//    restart after any outage backfills from it; only a first start ever uses the look-back.
//  - Malformed frames and unknown event types are counted, never fatal; the rest of a frame is
//    still used.
#pragma once

#include <absl/status/status.h>

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "common/core/clock.h"
#include "common/polymarket/decode.h"
#include "common/polymarket/events.h"

namespace clobmaker::userstream {

struct Publication {
  std::string subject;
  std::string data;    // serialized protobuf
  std::string msg_id;  // Nats-Msg-Id
};

struct NormalizerConfig {
  polymarket::Identity identity;  // our API key(s) and address(es)
  std::string source = "userstream";
  size_t dedupe_window = 100'000;                     // recent keys remembered locally
  Nanos backfill_margin = 60 * kNanosPerSecond;       // asked for again before the last trade seen
  Nanos startup_lookback = 5 * 60 * kNanosPerSecond;  // nothing seen yet (a fresh process): this far back
};

struct NormalizerCounters {
  uint64_t frames = 0, order_events = 0, trade_events = 0, published = 0, duplicates = 0, malformed = 0,
           unknown_types = 0, missing_fields = 0, bad_values = 0, not_ours = 0, connects = 0, reconnects = 0,
           backfilled = 0;
};

class UserNormalizer {
 public:
  explicit UserNormalizer(NormalizerConfig config);

  // A text frame from the user channel; `now` is the local receive time (wall ns).
  void OnFrame(std::string_view frame, Nanos now);
  // The channel (re)connected. Returns the `after` bound (unix seconds) for GET /data/trades.
  int64_t OnConnected(bool reconnect, Nanos now);
  // Trades from GET /data/trades after a reconnect.
  void OnBackfill(const std::vector<polymarket::UserTradeEvent>& trades, Nanos now);

  std::vector<Publication> TakePublications();
  // The cursor to persist once everything taken so far is published (acked), if it advanced
  // since the last call: the newest trade time (unix ms) as decimal text.
  std::optional<std::string> TakeCursor();
  // At start, the persisted cursor. A value that is no cursor is an error (the look-back applies).
  absl::Status RestoreCursor(std::string_view value);
  int64_t cursor_ms() const { return last_trade_ms_; }
  const NormalizerCounters& counters() const { return counters_; }
  uint64_t connection_epoch() const { return epoch_; }

 private:
  void Order(const polymarket::UserOrderEvent& event, Nanos now);
  void Trade(const polymarket::UserTradeEvent& event, Nanos now, bool backfill);
  bool Fresh(const std::string& key);
  uint64_t NextSequence() { return ++sequence_; }

  NormalizerConfig config_;
  NormalizerCounters counters_;
  polymarket::UserDecoder decoder_;
  polymarket::UserFrame frame_;
  std::unordered_set<std::string> seen_;
  std::deque<std::string> seen_order_;
  std::vector<Publication> out_;
  uint64_t sequence_ = 0;
  uint64_t epoch_ = 0;
  int64_t last_trade_ms_ = 0;
  int64_t saved_trade_ms_ = 0;  // the cursor as last taken (or restored)
};

}  // namespace clobmaker::userstream
