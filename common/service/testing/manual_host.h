// A Host for unit tests: one ManualExecutor is the loop and every worker, a ManualClock drives
// the timers, the bus is a FakeBus, and nothing listens on a socket (admin methods are invoked
// in process). Time moves only in RunFor/RunUntil, so a shell's run is deterministic.
//
//   testing::ManualHost host("execution");
//   auto service = ExecutionService::Create(host, options, startup);
//   ASSERT_TRUE(host.Start(**service).ok());
//   host.RunUntil([&] { return host.served(); }, 10 * kNanosPerSecond);
//   auto killed = host.Call<KillRequest, KillResponse>(kExecutionAdmin, "Kill", {});
#pragma once

#include <absl/status/statusor.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/core/clock.h"
#include "common/core/executor.h"
#include "common/service/host.h"
#include "common/service/testing/fake_bus.h"

namespace clobmaker::service::testing {

struct ManualParts {
  ManualClock clock;
  ManualExecutor executor;
};

class ManualHost final : private ManualParts, public Host {
 public:
  explicit ManualHost(std::string service = "test");
  ~ManualHost() override;

  ManualClock& manual_clock() { return ManualParts::clock; }
  FakeBus& fake_bus() { return *fake_bus_; }

  size_t LoopBacklog() const override { return ManualParts::executor.pending(); }
  Executor& Worker(const std::string& name) override;
  net::IoThread* io() override { return nullptr; }
  absl::Status ConnectBus(const std::string& client_name) override;
  std::string admin_address() const override { return served_ ? "in-process" : ""; }

  // Runs the service's Start on the loop (and whatever it posts).
  absl::Status Start(HostedService& service);
  // Moves the clock by `d`, firing every timer due on the way in deadline order, running the
  // loop after each.
  void RunFor(Nanos d);
  // RunFor in `step`s until `done` holds (true) or `limit` has passed (false).
  bool RunUntil(const std::function<bool()>& done, Nanos limit, Nanos step = kNanosPerMilli);
  // The service's ordered shutdown, run until it calls done (true) or `limit` passes (false).
  bool Stop(HostedService& service, Nanos limit);
  // An admin method, as a client would call it, answered within `limit` of clock time.
  template <class Req, class Resp>
  absl::StatusOr<Resp> Call(std::string_view admin_service, std::string_view method, const Req& request,
                            Nanos limit = 30 * kNanosPerSecond) {
    // Shared: the answer may come after we gave up.
    auto answer = std::make_shared<std::optional<std::pair<grpc::Status, Resp>>>();
    admin().Invoke<Req, Resp>(admin_service, method, request,
                              [answer](grpc::Status status, Resp out) { answer->emplace(status, std::move(out)); });
    if (!RunUntil([&] { return answer->has_value(); }, limit)) {
      return absl::DeadlineExceededError(std::string(method) + " did not answer");
    }
    auto& [status, out] = **answer;
    if (!status.ok()) return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
    return std::move(out);
  }

  bool served() const { return served_; }
  std::string log_suffix() const { return log_suffix_; }
  // The status the service asked to exit with (Host::Exit), if it did.
  std::optional<absl::Status> exit_status() const;

 protected:
  absl::Status DoServeAdmin(std::string_view log_suffix) override;

 private:
  FakeBus* fake_bus_ = nullptr;
  bool served_ = false;
  std::string log_suffix_;
};

}  // namespace clobmaker::service::testing
