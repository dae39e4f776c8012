#include "common/service/host.h"

#include <spdlog/spdlog.h>

#include <future>

#include "common/core/run_and_wait.h"
#include "common/core/status.h"
#include "common/metrics/service_status.h"
#include "common/net/io_thread.h"
#include "common/service/nats_bus.h"

namespace clobmaker::service {

void ClosableExecutor::Post(Task task) {
  if (!open_->load()) return;
  inner_.Post([open = open_, task = std::move(task)] {
    if (open->load()) task();
  });
}

// --- Host ------------------------------------------------------------------------------------------

Host::Host(std::string service, Executor& inner_loop, const Clock& clock)
    : service_(std::move(service)), loop_(inner_loop), clock_(clock), timers_(clock, loop_), routes_(loop_) {}

Host::~Host() = default;

void Host::SetStatus(std::function<void(common::v1::ServiceStatus*)> fill) { status_fill_ = std::move(fill); }

void Host::AddLoopCollector(std::function<void(metrics::Samples&)> collect) {
  registry_.AddCollector([this, collect = std::move(collect)](metrics::Samples& samples) {
    RunAndWait(loop_.inner(), [&] { collect(samples); });
  });
}

void Host::FillStatus(common::v1::ServiceStatus* out) {
  if (status_fill_) status_fill_(out);
  if (out->service().empty()) out->set_service(service_);
}

void Host::Exit(absl::Status why) {
  std::lock_guard lock(stop_mu_);
  if (!exit_status_) exit_status_ = std::move(why);
  stop_cv_.notify_all();
}

void Host::RequestStop() {
  std::lock_guard lock(stop_mu_);
  stop_requested_ = true;
  stop_cv_.notify_all();
}

bool Host::stop_requested() const {
  std::lock_guard lock(stop_mu_);
  return stop_requested_ || exit_status_.has_value();
}

absl::Status Host::WaitForStop() {
  std::unique_lock lock(stop_mu_);
  stop_cv_.wait(lock, [&] { return stop_requested_ || exit_status_.has_value(); });
  return exit_status_.value_or(absl::OkStatus());
}

// --- ProcessHost -------------------------------------------------------------------------------------

struct ProcessHost::Impl {
  ThreadExecutor loop_thread;
  std::mutex workers_mu;
  std::map<std::string, std::unique_ptr<ThreadExecutor>> worker_threads;
  std::map<std::string, std::unique_ptr<ClosableExecutor>> workers;
  std::unique_ptr<net::IoThread> io = std::make_unique<net::IoThread>();
  std::unique_ptr<TimerThread> timer_thread;
  std::unique_ptr<grpcserver::AdminServer> admin;  // the loop's
  std::unique_ptr<metrics::MetricsServer> metrics_server;
  // admin_address() is asked from any thread (tests, status readers) while the loop serves.
  mutable std::mutex admin_address_mu;
  std::string admin_address;
};

std::unique_ptr<ProcessHost> ProcessHost::Create(Options options) {
  auto impl = std::make_unique<Impl>();
  return std::unique_ptr<ProcessHost>(new ProcessHost(std::move(options), std::move(impl)));
}

ProcessHost::ProcessHost(Options options, std::unique_ptr<Impl> impl)
    : Host(options.service, impl->loop_thread, SystemClock::Instance()),
      options_(std::move(options)),
      impl_(std::move(impl)) {
  impl_->timer_thread = std::make_unique<TimerThread>(timers_);
}

ProcessHost::~ProcessHost() {
  // Run() tears down in order; this covers a host that never ran a service.
  Teardown(nullptr);
}

size_t ProcessHost::LoopBacklog() const { return impl_->loop_thread.queued(); }

Executor& ProcessHost::Worker(const std::string& name) {
  std::lock_guard lock(impl_->workers_mu);
  auto it = impl_->workers.find(name);
  if (it != impl_->workers.end()) return *it->second;
  auto& thread = impl_->worker_threads[name];
  thread = std::make_unique<ThreadExecutor>();
  auto& worker = impl_->workers[name];
  worker = std::make_unique<ClosableExecutor>(*thread);
  return *worker;
}

net::IoThread* ProcessHost::io() { return impl_->io.get(); }

absl::Status ProcessHost::ConnectBus(const std::string& client_name) {
  if (bus_ != nullptr) return absl::OkStatus();
  CM_ASSIGN_OR_RETURN(bus_, NatsBus::Connect(options_.nats_url, client_name, loop_));
  return absl::OkStatus();
}

absl::Status ProcessHost::DoServeAdmin(std::string_view log_suffix) {
  if (impl_->admin != nullptr) return absl::FailedPreconditionError("the admin API is already served");
  const AdminOptions& a = options_.admin;
  CM_ASSIGN_OR_RETURN(impl_->admin, grpcserver::AdminServer::Start({.listen = a.listen,
                                                                    .tls_cert_file = a.tls_cert_file,
                                                                    .tls_key_file = a.tls_key_file,
                                                                    .tls_client_ca_file = a.tls_client_ca_file,
                                                                    .authorizer = grpcserver::Authorizer::Token(
                                                                        a.token, !a.tls_client_ca_file.empty())},
                                                                   routes_));
  if (status_fill_) {
    // Scrapes run on the IO thread; the status is filled on the loop.
    metrics::AddServiceStatusCollector(registry_, service_, [this](common::v1::ServiceStatus* st) {
      RunAndWait(loop_.inner(), [&] { FillStatus(st); });
    });
  }
  if (!options_.metrics_listen.empty()) {
    CM_ASSIGN_OR_RETURN(impl_->metrics_server,
                        metrics::MetricsServer::Start(*impl_->io, options_.metrics_listen, registry_));
    spdlog::info("{}: metrics on http://{}/metrics", service_, impl_->metrics_server->address());
  }
  {
    std::lock_guard lock(impl_->admin_address_mu);
    impl_->admin_address = impl_->admin->address();
  }
  spdlog::info("{}: admin API on {}{}", service_, impl_->admin->address(), log_suffix);
  return absl::OkStatus();
}

std::string ProcessHost::admin_address() const {
  std::lock_guard lock(impl_->admin_address_mu);
  return impl_->admin_address;
}

ProcessHost::Result ProcessHost::Run(std::unique_ptr<HostedService> service) {
  Result result;
  const absl::Status started = RunAndWait(loop_.inner(), [&] { return service->Start(); });
  if (!started.ok()) {
    result = {.outcome = Outcome::kStartFailed, .status = started};
  } else {
    absl::Status why = WaitForStop();
    if (!why.ok()) result = {.outcome = Outcome::kExited, .status = why};
    // The ordered shutdown, on the loop, while everything still runs (the admin API included).
    auto stopped = std::make_shared<std::promise<void>>();
    loop_.Post([&service, stopped] { service->Stop([stopped] { stopped->set_value(); }); });
    stopped->get_future().wait();
  }
  Teardown(std::move(service));
  return result;
}

void ProcessHost::Teardown(std::unique_ptr<HostedService> service) {
  // 1. No new calls, scrapes or timer callbacks; running admin calls still answer on the loop.
  if (impl_->admin) impl_->admin->Shutdown();
  impl_->metrics_server.reset();
  impl_->timer_thread.reset();
  timers_.CancelAll();
  // 2. Workers take no new tasks; the running ones may still wait on the loop, which runs.
  {
    std::lock_guard lock(impl_->workers_mu);
    for (auto& [name, worker] : impl_->workers) worker->Close();
    for (auto& [name, thread] : impl_->worker_threads) RunAndWait(*thread, [] {});
  }
  // 3. The service dies on its loop; nothing posted to it after this point runs.
  RunAndWait(impl_->loop_thread, [&] {
    loop_.Close();
    service.reset();
  });
  // 4. Network, bus, threads.
  impl_->io.reset();
  bus_.reset();
  impl_->worker_threads.clear();
}

}  // namespace clobmaker::service
