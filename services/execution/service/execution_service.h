// The execution service's imperative shell around the OrderManager: the REST client, the bus
// (desired ladders and tick changes in, CM_USER through a durable consumer, CM_ORDERS out), the
// single-writer lease, the persisted kill switch and the gRPC admin API.
//
// Threads: one loop (ThreadExecutor) owns the OrderManager; every input is posted to it.
// HTTP runs on an IoThread whose callbacks are posted to the loop; JetStream publishing of order
// events has its own thread (it blocks on acks); the CM_USER fetch loop, the timer and the lease
// renewal each have one. No core state is touched outside the loop.
#pragma once

#include <absl/status/statusor.h>

#include <atomic>
#include <memory>
#include <string>

#include "common/crypto/crypto.h"
#include "common/signing/auth.h"
#include "services/execution/core/order_manager.h"
#include "services/execution/service/signing_factory.h"

namespace clobmaker::execution {

struct ExecutionOptions {
  std::string nats_url = "nats://127.0.0.1:4222";
  std::string clob_url = "http://127.0.0.1:8080";
  std::string shard = "default";  // lease, kill switch and durable consumer are per shard
  std::string instance = "";      // lease holder name (default: host:pid)
  std::string admin_listen = "127.0.0.1:0";
  std::string admin_token;
  std::string metrics_listen;  // Prometheus /metrics; empty: off
  std::string admin_tls_cert, admin_tls_key, admin_tls_client_ca;
  bool adopt = false;
  // Everything but sending (issue 25): orders are signed and logged as they would be sent, then
  // answered locally as refused ("dry-run: not sent"); cancels, cancel-alls and heartbeats are
  // answered locally too; reads still go to the exchange. Start-up adopts instead of cancelling.
  bool dry_run = false;
  Nanos lease_ttl = 6 * kNanosPerSecond;
  Nanos startup_timeout = 60 * kNanosPerSecond;
  Nanos tick_interval = 20 * kNanosPerMilli;
  SigningConfig signing;
  OrderManagerConfig core;
  // A session key (signing.session_key): the wallet's sessionSignerAuthorizedUntil(key) is read
  // through this JSON-RPC node (default <clob_url>/rpc, the simulator's) at start-up — an
  // unauthorized or expired key stops start-up with the reason — and this often after, so that
  // nothing is signed once it is revoked or expires.
  std::string rpc_url;
  Nanos session_check_interval = 10 * kNanosPerSecond;
};

class ExecutionService {
 public:
  // `key` and `credentials` are borrowed and must outlive the service.
  static absl::StatusOr<std::unique_ptr<ExecutionService>> Create(const ExecutionOptions& options,
                                                                  const crypto::PrivateKey& key,
                                                                  const signing::ApiCredentials& credentials);
  ~ExecutionService();

  // Blocks: waits for the lease (standby), runs start-up, serves until `stop` is set, then
  // cancels every order and waits (bounded) for the exchange to confirm. Errors: start-up halted
  // or timed out, lease lost.
  absl::Status Run(const std::atomic<bool>& stop);

  // The admin API's address once serving ("" before).
  std::string admin_address() const;

  struct Impl;

 private:
  explicit ExecutionService(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace clobmaker::execution
