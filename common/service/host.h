// What every service process is made of, built once: the loop that owns the service's state, the
// clock, timers on that clock, workers for blocking calls, the IO thread of network clients, the
// bus, the gRPC admin API (authorized before it serves) and the /metrics endpoint. A service is a
// small class (HostedService) that the host starts, stops in order and tears down.
//
// Threads: everything a service does runs on loop(), except what it explicitly hands to a
// Worker() (blocking bus and RPC calls), whose results it posts back. Admin routes, bus handlers
// and timers all run on the loop.
//
// ProcessHost is the real one (ServiceMain builds it); testing::ManualHost runs a service in a
// unit test under a ManualClock and a ManualExecutor, with an in-process bus and no sockets.
#pragma once

#include <absl/status/statusor.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "clobmaker/common/v1/common.pb.h"
#include "common/core/clock.h"
#include "common/core/executor.h"
#include "common/grpcserver/admin_server.h"
#include "common/metrics/metrics.h"
#include "common/service/bus.h"
#include "common/service/timers.h"

namespace clobmaker::net {
class IoThread;
}

namespace clobmaker::service {

class Host;

class HostedService {
 public:
  virtual ~HostedService() = default;
  // On the loop: subscribe, schedule timers, register admin routes; call host.ServeAdmin() once
  // ready (now or later). An error ends the process (exit 1).
  virtual absl::Status Start() = 0;
  // On the loop, once: the ordered shutdown. Call `done` (on the loop) when finished.
  virtual void Stop(std::function<void()> done) { done(); }
};

// An executor that drops every task once closed: what services and their clients post to, so
// that nothing reaches a service after it is torn down.
class ClosableExecutor final : public Executor {
 public:
  explicit ClosableExecutor(Executor& inner) : inner_(inner), open_(std::make_shared<std::atomic<bool>>(true)) {}
  void Post(Task task) override;
  void Close() { open_->store(false); }
  bool closed() const { return !open_->load(); }
  Executor& inner() { return inner_; }

 private:
  Executor& inner_;
  std::shared_ptr<std::atomic<bool>> open_;
};

struct AdminOptions {
  std::string listen = "127.0.0.1:0";
  std::string token;  // bearer token (empty: none; loopback only unless mTLS)
  std::string tls_cert_file, tls_key_file, tls_client_ca_file;
};

class Host {
 public:
  virtual ~Host();
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  // The service's name ("execution"): log prefix, metric names.
  const std::string& service() const { return service_; }
  // Where the service's state lives.
  Executor& loop() { return loop_; }
  const Clock& clock() const { return clock_; }
  Nanos Now() const { return clock_.WallNanos(); }
  // Tasks queued on the loop behind the running one (a backlog signal for latest-wins inputs).
  virtual size_t LoopBacklog() const = 0;

  // Blocking work off the loop: one FIFO executor per name.
  virtual Executor& Worker(const std::string& name) = 0;
  // The event loop of network clients; null in process (tests hand the service fakes instead).
  virtual net::IoThread* io() = 0;

  // Connects the bus as `client_name` (shown by the server); bus() is valid after.
  virtual absl::Status ConnectBus(const std::string& client_name) = 0;
  Bus& bus() { return *bus_; }

  // Timers on clock(), run on the loop.
  TimerId Every(Nanos interval, std::function<void()> fn) { return timers_.Add(interval, interval, std::move(fn)); }
  TimerId After(Nanos delay, std::function<void()> fn) { return timers_.Add(delay, 0, std::move(fn)); }
  void CancelTimer(TimerId id) { timers_.Cancel(id); }

  grpcserver::AdminRoutes& admin() { return routes_; }
  metrics::Registry& metrics() { return registry_; }
  // The status every admin API reports (readiness and counters), filled on the loop. Exported on
  // /metrics as clobmaker_ready{service} and clobmaker_<service>_<counter>.
  void SetStatus(std::function<void(common::v1::ServiceStatus*)> fill);
  // A collector of /metrics samples (labelled series), run on the loop at scrape time.
  void AddLoopCollector(std::function<void(metrics::Samples&)> collect);
  // Routes `admin_service`'s Status method (StatusRequest -> common.v1.ServiceStatus) to it.
  template <class StatusRequest>
  void RouteStatus(std::string_view admin_service) {
    routes_.Add<StatusRequest, common::v1::ServiceStatus>(admin_service, "Status",
                                                          [this](const StatusRequest&, common::v1::ServiceStatus* out) {
                                                            FillStatus(out);
                                                            return grpc::Status::OK;
                                                          });
  }
  // On the loop, once the service is ready: serves /metrics (when configured) and the admin API,
  // then logs "<service>: admin API on <address><log_suffix>", the line operators and tests wait for.
  absl::Status ServeAdmin(std::string_view log_suffix = {}) { return DoServeAdmin(log_suffix); }
  // "" before ServeAdmin. Thread-safe.
  virtual std::string admin_address() const = 0;

  // From the loop: the service stops the process with `why` (an error: exit code 3).
  void Exit(absl::Status why);
  // Thread-safe: begin the ordered shutdown (SIGTERM, SIGINT).
  void RequestStop();
  bool stop_requested() const;

 protected:
  Host(std::string service, Executor& inner_loop, const Clock& clock);
  virtual absl::Status DoServeAdmin(std::string_view log_suffix) = 0;
  void FillStatus(common::v1::ServiceStatus* out);
  // Blocks until RequestStop() or Exit(); returns the exit status (OK for a requested stop).
  absl::Status WaitForStop();

  std::string service_;
  ClosableExecutor loop_;
  const Clock& clock_;
  TimerQueue timers_;
  grpcserver::AdminRoutes routes_;
  metrics::Registry registry_;
  std::unique_ptr<Bus> bus_;
  std::function<void(common::v1::ServiceStatus*)> status_fill_;

  mutable std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_requested_ = false;
  std::optional<absl::Status> exit_status_;
};

// The host of a real process: a loop thread, worker threads, an IO thread, the system clock, a
// timer thread, NATS, a gRPC admin server and a metrics server.
class ProcessHost final : public Host {
 public:
  struct Options {
    std::string service;
    AdminOptions admin;
    std::string metrics_listen;  // empty: no /metrics
    std::string nats_url;
  };
  static std::unique_ptr<ProcessHost> Create(Options options);
  ~ProcessHost() override;

  size_t LoopBacklog() const override;
  Executor& Worker(const std::string& name) override;
  net::IoThread* io() override;
  absl::Status ConnectBus(const std::string& client_name) override;
  std::string admin_address() const override;

  enum class Outcome { kStopped, kStartFailed, kExited };
  struct Result {
    Outcome outcome = Outcome::kStopped;
    absl::Status status;
  };
  // Starts `service`, serves until a stop is requested or the service exits, stops it in order
  // and tears everything down (the service is destroyed on the loop).
  Result Run(std::unique_ptr<HostedService> service);

  struct Impl;

 protected:
  absl::Status DoServeAdmin(std::string_view log_suffix) override;

 private:
  ProcessHost(Options options, std::unique_ptr<Impl> impl);
  void Teardown(std::unique_ptr<HostedService> service);
  Options options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace clobmaker::service
