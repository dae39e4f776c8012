// Identifier helpers: UUIDs (API keys, heartbeat ids in the simulator), per-source sequence
// numbers for message headers, and the deduplication keys of design.md section 2.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/core/rng.h"

namespace clobmaker {

// An RFC 4122 version-4 UUID in canonical lowercase form, drawn from `rng` (deterministic).
std::string MakeUuidV4(Rng& rng);

// True when `text` is a canonical 8-4-4-4-12 hex UUID (either case).
bool IsUuid(std::string_view text);

// Monotonic per-source sequence for message headers; starts at 1. Thread-safe.
class SequenceGenerator {
 public:
  explicit SequenceGenerator(uint64_t start = 1) : next_(start) {}
  uint64_t Next() { return next_.fetch_add(1, std::memory_order_relaxed); }
  uint64_t Peek() const { return next_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> next_;
};

// Nats-Msg-Id for a user-channel trade event: the exchange's trade id plus its status, so each
// status step is delivered once and replays of the same step are dropped.
std::string TradeDedupeKey(std::string_view trade_id, std::string_view status);

// Nats-Msg-Id for a user-channel order event: order id + event type + matched size (base units).
std::string OrderDedupeKey(std::string_view order_id, std::string_view event_type, int64_t size_matched);

}  // namespace clobmaker
