// The single-writer lease of design.md s5: one KV key per shard, written only by compare-and-set
// on its revision, which is the fencing token. A holder renews well within the TTL; a standby
// takes the key over only once the holder's expiry has passed, and the holder's next renewal
// then fails (FailedPrecondition), so two instances are never both active.
#pragma once

#include <absl/status/statusor.h>

#include <atomic>
#include <string>

#include "common/core/clock.h"
#include "common/nats/nats.h"

namespace clobmaker::execution {

struct LeaseState {
  std::string holder;
  Nanos expires = 0;  // wall ns
};

class Lease {
 public:
  // `kv` and `clock` are borrowed.
  Lease(nats::KeyValue& kv, std::string key, std::string holder, Nanos ttl, const Clock& clock)
      : kv_(kv), key_(std::move(key)), holder_(std::move(holder)), ttl_(ttl), clock_(clock) {}

  // One attempt: true when held afterwards; false while someone else's lease is unexpired.
  absl::StatusOr<bool> TryAcquire();
  // Extends the lease; FailedPrecondition when it was lost (someone else wrote the key).
  absl::Status Renew();
  // Lets a standby take over at once.
  absl::Status Release();
  // Who holds it now, as the bucket says.
  absl::StatusOr<LeaseState> Current();

  // Read from any thread (the service loop's status, the admin API) while the renewal thread
  // acquires, renews or releases.
  bool held() const { return held_.load(std::memory_order_acquire); }
  uint64_t revision() const { return revision_.load(std::memory_order_acquire); }
  const std::string& holder() const { return holder_; }
  Nanos ttl() const { return ttl_; }

 private:
  std::string Encode(Nanos expires) const;

  nats::KeyValue& kv_;
  std::string key_;
  std::string holder_;
  Nanos ttl_;
  const Clock& clock_;
  // Written only by the thread that calls TryAcquire/Renew/Release.
  std::atomic<bool> held_{false};
  std::atomic<uint64_t> revision_{0};
};

absl::StatusOr<LeaseState> DecodeLease(std::string_view value);

}  // namespace clobmaker::execution
