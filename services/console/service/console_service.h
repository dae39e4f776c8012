// console's shell: polls the services' admin APIs and execution's /metrics on a worker, follows
// books and our trades on the bus, and serves the page, its state feed (/ws, /api/state) and the
// operator's actions (/api/<action>) over HTTP. It owns no state of the system: the model
// (core/console_model.h) is a view of what the services report, rebuilt from them on a restart.
#pragma once

#include <absl/status/statusor.h>

#include <memory>
#include <string>

#include "common/service/service_main.h"

namespace clobmaker::console {

struct ConsoleOptions {
  std::string listen = "127.0.0.1:9300";  // the web console (HTTP + websocket)
  std::string execution = "127.0.0.1:9101", userstream = "127.0.0.1:9102", marketdata = "127.0.0.1:9103",
              strategy = "127.0.0.1:9104", positions = "127.0.0.1:9105";
  std::string execution_metrics_url;  // e.g. http://127.0.0.1:9201/metrics (empty: no latency panel)
  Nanos poll_interval = 500 * kNanosPerMilli;
  Nanos push_interval = 250 * kNanosPerMilli;  // at most this often to each browser
};

class ConsoleService final : public service::HostedService {
 public:
  using Options = ConsoleOptions;
  static service::ServiceSpec Spec();
  struct Flags {
    ConsoleOptions options;
    int64_t poll_ms = 500;
    void Declare(CLI::App& app);
    absl::StatusOr<Options> ToOptions(const service::CommonConfig& config) const;
  };
  static Nanos StartupBound(const Options&) { return 10 * kNanosPerSecond; }
  static absl::StatusOr<std::unique_ptr<ConsoleService>> Create(service::Host& host, const Options& options,
                                                                const service::Startup& startup);
  ~ConsoleService() override;

  absl::Status Start() override;
  void Stop(std::function<void()> done) override;

  struct Impl;

 private:
  explicit ConsoleService(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace clobmaker::console
