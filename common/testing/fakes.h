// Fakes for unit tests of service cores and shells (stubs over mocks).
#pragma once

#include <absl/status/status.h>

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/clock.h"  // IWYU pragma: export (ManualClock is the fake clock)
#include "common/nats/publisher.h"

namespace clobmaker::testing {

// Records every publish; can be told to fail the next N publishes. Thread-safe.
class FakePublisher final : public nats::Publisher {
 public:
  struct Published {
    std::string subject;
    std::string data;
    std::string msg_id;
  };

  absl::Status Publish(std::string_view subject, std::string_view data, std::string_view msg_id = {}) override {
    std::lock_guard lock(mu_);
    if (fail_next_ > 0) {
      --fail_next_;
      return absl::UnavailableError("fake publisher told to fail");
    }
    published_.push_back({std::string(subject), std::string(data), std::string(msg_id)});
    return absl::OkStatus();
  }

  void FailNext(int n) {
    std::lock_guard lock(mu_);
    fail_next_ = n;
  }
  std::vector<Published> published() const {
    std::lock_guard lock(mu_);
    return published_;
  }
  // Messages published on subjects starting with `prefix`.
  std::vector<Published> On(std::string_view prefix) const {
    std::lock_guard lock(mu_);
    std::vector<Published> out;
    for (const auto& p : published_) {
      if (std::string_view(p.subject).substr(0, prefix.size()) == prefix) out.push_back(p);
    }
    return out;
  }
  void Clear() {
    std::lock_guard lock(mu_);
    published_.clear();
  }

 private:
  mutable std::mutex mu_;
  std::vector<Published> published_;
  int fail_next_ = 0;
};

}  // namespace clobmaker::testing
