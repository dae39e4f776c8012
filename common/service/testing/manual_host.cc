#include "common/service/testing/manual_host.h"

namespace clobmaker::service::testing {

ManualHost::ManualHost(std::string service) : Host(std::move(service), ManualParts::executor, ManualParts::clock) {
  auto bus = std::make_unique<FakeBus>(loop());
  fake_bus_ = bus.get();
  bus_ = std::move(bus);
}

ManualHost::~ManualHost() {
  timers_.CancelAll();
  loop_.Close();
  ManualParts::executor.RunAll();  // dropped tasks: none of them reaches the service
}

Executor& ManualHost::Worker(const std::string&) { return loop(); }

absl::Status ManualHost::ConnectBus(const std::string&) { return absl::OkStatus(); }

absl::Status ManualHost::DoServeAdmin(std::string_view log_suffix) {
  if (served_) return absl::FailedPreconditionError("the admin API is already served");
  if (auto valid = admin().Validate(); !valid.ok()) return valid;
  served_ = true;
  log_suffix_ = std::string(log_suffix);
  return absl::OkStatus();
}

absl::Status ManualHost::Start(HostedService& service) {
  std::optional<absl::Status> started;
  loop().Post([&] { started = service.Start(); });
  ManualParts::executor.RunAll();
  return started.value_or(absl::InternalError("Start did not run"));
}

void ManualHost::RunFor(Nanos d) {
  ManualClock& clock = ManualParts::clock;
  const Nanos target = clock.MonotonicNanos() + d;
  ManualParts::executor.RunAll();
  while (true) {
    const std::optional<Nanos> next = timers_.NextDeadline();
    if (!next || *next > target) break;
    clock.AdvanceTo(*next);
    (void)timers_.PostDue();
    ManualParts::executor.RunAll();
  }
  clock.AdvanceTo(target);
  ManualParts::executor.RunAll();
}

bool ManualHost::RunUntil(const std::function<bool()>& done, Nanos limit, Nanos step) {
  ManualParts::executor.RunAll();
  for (Nanos waited = 0; !done(); waited += step) {
    if (waited >= limit) return false;
    RunFor(step);
  }
  return true;
}

bool ManualHost::Stop(HostedService& service, Nanos limit) {
  auto stopped = std::make_shared<bool>(false);  // done may come after we gave up
  loop().Post([&service, stopped] { service.Stop([stopped] { *stopped = true; }); });
  return RunUntil([&] { return *stopped; }, limit);
}

std::optional<absl::Status> ManualHost::exit_status() const {
  std::lock_guard lock(stop_mu_);
  return exit_status_;
}

}  // namespace clobmaker::service::testing
