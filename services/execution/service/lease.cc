#include "services/execution/service/lease.h"

#include <fmt/format.h>

#include <charconv>

namespace clobmaker::execution {

absl::StatusOr<LeaseState> DecodeLease(std::string_view value) {
  // "<holder> <expires_ns>"
  const size_t space = value.rfind(' ');
  if (space == std::string_view::npos || space == 0) return absl::InvalidArgumentError("malformed lease value");
  LeaseState state{.holder = std::string(value.substr(0, space))};
  const std::string_view digits = value.substr(space + 1);
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), state.expires);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) {
    return absl::InvalidArgumentError("malformed lease expiry");
  }
  return state;
}

std::string Lease::Encode(Nanos expires) const { return fmt::format("{} {}", holder_, expires); }

absl::StatusOr<LeaseState> Lease::Current() {
  auto entry = kv_.Get(key_);
  if (!entry.ok()) return entry.status();
  return DecodeLease(entry->value);
}

absl::StatusOr<bool> Lease::TryAcquire() {
  const Nanos now = clock_.WallNanos();
  auto entry = kv_.Get(key_);
  if (absl::IsNotFound(entry.status())) {
    auto created = kv_.Create(key_, Encode(now + ttl_));
    if (absl::IsAlreadyExists(created.status())) return false;  // someone was faster
    if (!created.ok()) return created.status();
    held_ = true;
    revision_ = *created;
    return true;
  }
  if (!entry.ok()) return entry.status();
  auto state = DecodeLease(entry->value);
  // An unreadable value is treated as expired: the revision check still fences the write.
  if (state.ok() && state->expires > now) return false;
  auto updated = kv_.Update(key_, Encode(now + ttl_), entry->revision);
  if (absl::IsFailedPrecondition(updated.status())) return false;
  if (!updated.ok()) return updated.status();
  held_ = true;
  revision_ = *updated;
  return true;
}

absl::Status Lease::Renew() {
  if (!held_) return absl::FailedPreconditionError("lease not held");
  auto updated = kv_.Update(key_, Encode(clock_.WallNanos() + ttl_), revision_);
  if (absl::IsFailedPrecondition(updated.status())) {
    held_ = false;
    return absl::FailedPreconditionError("lease lost: another instance took it over");
  }
  if (!updated.ok()) return updated.status();
  revision_ = *updated;
  return absl::OkStatus();
}

absl::Status Lease::Release() {
  if (!held_) return absl::OkStatus();
  held_ = false;
  auto updated = kv_.Update(key_, Encode(0), revision_);
  return updated.ok() || absl::IsFailedPrecondition(updated.status()) ? absl::OkStatus() : updated.status();
}

}  // namespace clobmaker::execution
