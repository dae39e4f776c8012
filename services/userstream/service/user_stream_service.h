// userstream's shell: the authenticated user channel in, JetStream CM_USER out (through the
// UserNormalizer core), a trade backfill through GET /data/trades on every (re)connect, and the
// gRPC status API, as a service on the shared host (common/service). The loop owns the core;
// JetStream publishing (it blocks on acks) runs on the host's "publisher" worker, in order. The
// trade backfill cursor is kept in KV (CM_USERSTREAM) across restarts, written on that worker once
// what carried it is acked.
#pragma once

#include <absl/status/statusor.h>

#include <memory>
#include <string>

#include "common/service/service_main.h"

namespace clobmaker::userstream {

struct UserStreamOptions {
  std::string clob_url = "http://127.0.0.1:8080";
  std::string ws_url;  // default: the CLOB URL's host with ws:// and /ws/user
  uint64_t chain_id = 137;
  // A first start (no cursor in KV) backfills trades this far back; later starts, from the cursor.
  Nanos backfill_lookback = 300 * kNanosPerSecond;
};

class UserStreamService final : public service::HostedService {
 public:
  using Options = UserStreamOptions;
  static service::ServiceSpec Spec();
  struct Flags {
    std::string ws_url;
    int64_t backfill_lookback_s = 300;
    void Declare(CLI::App& app);
    absl::StatusOr<Options> ToOptions(const service::CommonConfig& config) const;
  };
  // The longest it waits before the user channel is connected (docs/operations.md): the API key
  // (5 s per request), NATS, the websocket connect and handshake.
  static Nanos StartupBound(const Options&) { return 20 * kNanosPerSecond; }
  // `startup`'s key and credentials must outlive the service.
  static absl::StatusOr<std::unique_ptr<UserStreamService>> Create(service::Host& host, const Options& options,
                                                                   const service::Startup& startup);
  ~UserStreamService() override;

  absl::Status Start() override;
  // Stops the user channel and returns once everything it produced is published.
  void Stop(std::function<void()> done) override;

  struct Impl;

 private:
  explicit UserStreamService(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace clobmaker::userstream
