// marketdata's functional core: decoded market-channel events, REST snapshots and the clock in;
// books, tick-size changes, trades and market metadata out, as bus publications (design.md s1).
//
// No I/O and no clock of its own: every input carries `now`. The shell turns SnapshotRequests into
// GET /book calls and hands Publications to NATS.
//
// What it guarantees:
//  - A book is published as trusted only while its feed is up, it has a snapshot, and nothing has
//    told us it drifted (gap, out-of-order event, crossed book, off-grid level, a best bid/ask the
//    exchange reports that differs from ours). Otherwise it is published with `resyncing` set and
//    a snapshot is fetched (resyncs before verifications, all under one GET /book rate budget).
//  - Deltas that arrive while a snapshot is in flight are buffered and replayed on top of it
//    (those not older than the snapshot), so a resync does not lose the changes around it.
//  - Verification: a token that changed and then went quiet, and every token at least every
//    `verify_every`, is compared with GET /book. A difference (reordered frames with equal
//    timestamps are invisible to every other check) is counted, logged by the shell, and repaired.
//  - A tick-size change starts a new epoch on the new grid (published on cm.md.tick.<token>
//    before any book of the new epoch) and asks for a snapshot.
//  - Books are coalesced: however many events touched a token since the last flush, one Book goes
//    out, and unchanged books are republished every `republish_every` so consumers can tell a quiet
//    market from a dead feed.
#pragma once

#include <absl/container/flat_hash_map.h>
#include <absl/status/statusor.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/book/l2_book.h"
#include "common/bus/header.h"
#include "common/core/clock.h"
#include "common/polymarket/decode.h"
#include "common/polymarket/events.h"

namespace clobmaker::marketdata {

namespace v1 {  // the generated messages (clobmaker/marketdata/v1/marketdata.pb.h)
class Book;
class MarketInfo;
}  // namespace v1

struct Publication {
  std::string subject;
  std::string data;    // serialized protobuf
  std::string kv_key;  // when set, also stored as the latest value under this key (CM_MARKETS)
};

struct BookKeeperConfig {
  Nanos dump_timeout = 3 * kNanosPerSecond;       // after a (re)connect: no snapshot by then -> GET /book
  Nanos verify_when_quiet = 1 * kNanosPerSecond;  // changed, then quiet this long -> verify
  Nanos verify_every = 30 * kNanosPerSecond;      // and at least this often while trusted
  Nanos snapshot_timeout = 5 * kNanosPerSecond;   // an unanswered GET /book is asked again
  double snapshot_rate_per_s = 20;                // GET /book budget shared by all tokens
  double snapshot_burst = 50;
  Nanos republish_every = 1 * kNanosPerSecond;  // unchanged books, so consumers see liveness
  size_t max_buffered_changes = 20'000;         // per token while a snapshot is in flight
};

enum class SnapshotPurpose : uint8_t { kResync, kVerify };

struct SnapshotRequest {
  uint64_t id = 0;
  std::string token_id;
  SnapshotPurpose purpose = SnapshotPurpose::kResync;
};

struct BookKeeperCounters {
  uint64_t frames = 0, events = 0, price_changes = 0, ws_snapshots = 0, rest_snapshots = 0, resyncs = 0,
           verifications = 0, verify_mismatches = 0, tick_changes = 0, trades = 0, best_bid_ask_mismatches = 0,
           unknown_tokens = 0, malformed = 0, unknown_types = 0, missing_fields = 0, bad_values = 0,
           stale_snapshots = 0, snapshot_failures = 0, snapshot_timeouts = 0, buffer_overflows = 0,
           dropped_untrusted = 0, books_published = 0, resolved_markets = 0, ignored_events = 0, superseded = 0,
           verify_overtaken = 0, duplicate_tick_changes = 0, book_hash_mismatches = 0;
};

// One token's state. Read-only outside the keeper.
struct TokenBook {
  std::string token_id;
  std::string condition_id;
  book::BookTracker tracker;
  bool connected = false;      // its websocket shard is up
  bool awaiting_dump = false;  // (re)connected, initial snapshot not seen yet
  Nanos awaiting_since = 0;
  bool resync_queued = false;
  bool verify_queued = false;
  bool hash_refetched = false;       // a REST hash mismatch was followed by one re-fetch already
  std::optional<uint64_t> inflight;  // GET /book request id
  SnapshotPurpose inflight_purpose = SnapshotPurpose::kResync;
  Nanos inflight_since = 0;
  struct Buffered {
    polymarket::PriceChange change;
    int64_t timestamp_ms = 0;
  };
  std::vector<Buffered> buffer;  // changes seen while a snapshot is in flight
  bool buffer_overflowed = false;
  uint64_t verified_sequence = 0;
  Nanos last_verify = 0;
  Nanos last_change = 0;
  Nanos last_receive = 0;
  int64_t last_exchange_ms = 0;
  Nanos last_publish = 0;
  bool dirty = true;
  std::optional<model::Price> last_trade_price;
  std::string exchange_hash;
  uint64_t resyncs = 0;
  std::string last_resync_reason;

  // Trusted: consumers may quote on it.
  bool trusted() const {
    return connected && tracker.trusted() && !resync_queued &&
           !(inflight && inflight_purpose == SnapshotPurpose::kResync);
  }
};

struct MarketEntry {
  polymarket::MarketMetadata meta;
  bool dirty = true;  // MarketInfo to (re)publish
};

class BookKeeper {
 public:
  BookKeeper(BookKeeperConfig config, bus::HeaderStamper& stamper);

  // Registers a market's tokens (their books need a snapshot before they are trusted). Adding a
  // known market refreshes its metadata. Returns the token ids to subscribe.
  std::vector<std::string> AddMarket(const polymarket::MarketMetadata& market, Nanos now);
  // Returns the token ids to unsubscribe (empty if unknown).
  std::vector<std::string> RemoveMarket(std::string_view condition_id);

  void OnFrame(const polymarket::MarketFrame& frame, Nanos receive_ns);
  // A websocket shard (re)connected and resubscribed `assets` with an initial dump.
  void OnConnected(const std::vector<std::string>& assets, Nanos now);
  void OnDisconnected(const std::vector<std::string>& assets, Nanos now);
  // The answer to SnapshotRequest `id` (GET /book), or the failure.
  // A REST book whose hash does not match is used all the same (the hash is advisory); it is
  // counted and the book fetched once more (a second mismatch in a row: counted only).
  void OnSnapshot(uint64_t id, const absl::StatusOr<polymarket::BookEvent>& result, Nanos now);
  void OnTimer(Nanos now);

  std::vector<SnapshotRequest> TakeSnapshotRequests();
  // Events first (tick changes, trades, market metadata), then one Book per token that changed
  // or is due for republication.
  void TakePublications(Nanos publish_ns, std::vector<Publication>& out);

  const TokenBook* FindToken(std::string_view token_id) const;
  const std::vector<std::unique_ptr<TokenBook>>& tokens() const { return tokens_; }
  const std::vector<MarketEntry>& markets() const { return markets_; }
  const MarketEntry* FindMarket(std::string_view condition_or_token) const;
  const BookKeeperCounters& counters() const { return counters_; }
  // Human-readable reasons of the latest resyncs and verification mismatches, for the shell's log.
  std::vector<std::string> TakeNotices();

  // The Book message of one token (`depth` 0 = every level).
  void FillBook(const TokenBook& token, size_t depth, Nanos publish_ns, v1::Book& out);
  void FillMarketInfo(const MarketEntry& market, Nanos publish_ns, v1::MarketInfo& out);

 private:
  TokenBook* Find(std::string_view token_id);
  void OnEvent(const polymarket::MarketEvent& event, Nanos receive_ns);
  void OnWsBook(const polymarket::BookEvent& book, Nanos receive_ns);
  void OnChange(const polymarket::PriceChange& change, int64_t timestamp_ms, Nanos receive_ns);
  void OnTickChange(const polymarket::TickSizeChangeEvent& event, Nanos receive_ns);
  void OnTrade(const polymarket::LastTradePriceEvent& event, Nanos receive_ns);
  void OnBestBidAsk(const polymarket::BestBidAskEvent& event);
  void RequestResync(TokenBook& token, std::string reason);
  void RequestVerify(TokenBook& token);
  void ApplySnapshot(uint64_t id, const absl::StatusOr<polymarket::BookEvent>& result, Nanos now);
  void Adopt(TokenBook& token, const book::L2Book& candidate, int64_t timestamp_ms, std::string_view hash);
  void Pump(Nanos now);
  void MarkChanged(TokenBook& token, Nanos now);
  void MarkDirty(TokenBook& token);

  BookKeeperConfig config_;
  bus::HeaderStamper& stamper_;
  std::vector<MarketEntry> markets_;
  std::vector<std::unique_ptr<TokenBook>> tokens_;
  absl::flat_hash_map<std::string, TokenBook*> by_id_;
  std::vector<TokenBook*> dirty_;  // tokens with a Book to publish
  std::deque<std::string> resync_queue_;
  std::deque<std::string> verify_queue_;
  absl::flat_hash_map<uint64_t, std::string> inflight_;  // request id -> token
  std::vector<SnapshotRequest> requests_;
  std::vector<Publication> events_;
  std::vector<std::string> notices_;
  BookKeeperCounters counters_;
  uint64_t next_request_id_ = 1;
  double budget_ = 0;
  Nanos budget_at_ = 0;
  Nanos now_ = 0;
};

}  // namespace clobmaker::marketdata
