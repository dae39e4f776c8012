// userstream's shell: the authenticated user channel in, JetStream CM_USER out (through the
// UserNormalizer core), a trade backfill through GET /data/trades on every (re)connect, and the
// gRPC status API. One loop owns the core; JetStream publishing (it blocks on acks) has its own
// thread, in order.
#pragma once

#include <absl/status/statusor.h>

#include <atomic>
#include <memory>
#include <string>

#include "common/crypto/crypto.h"
#include "common/signing/auth.h"

namespace clobmaker::userstream {

struct UserStreamOptions {
  std::string nats_url = "nats://127.0.0.1:4222";
  std::string clob_url = "http://127.0.0.1:8080";
  std::string ws_url;  // default: the CLOB URL's host with ws:// and /ws/user
  std::string admin_listen = "127.0.0.1:0";
  std::string admin_token;
  std::string metrics_listen;  // Prometheus /metrics; empty: off
  uint64_t chain_id = 137;
};

class UserStreamService {
 public:
  // `key` and `credentials` are borrowed and must outlive the service.
  static absl::StatusOr<std::unique_ptr<UserStreamService>> Create(const UserStreamOptions& options,
                                                                   const crypto::PrivateKey& key,
                                                                   const signing::ApiCredentials& credentials);
  ~UserStreamService();
  // Serves until `stop` is set.
  absl::Status Run(const std::atomic<bool>& stop);
  struct Impl;

 private:
  explicit UserStreamService(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace clobmaker::userstream
