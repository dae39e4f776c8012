#include "common/service/service_main.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <mutex>
#include <thread>

#include "common/clob/credentials.h"
#include "common/core/status.h"
#include "common/grpcserver/grpc_server.h"
#include "common/logging/logging.h"
#include "common/signing/keys.h"

namespace clobmaker::service {
namespace {

int Fail(const ServiceSpec& spec, int code, std::string_view what) {
  std::fprintf(stderr, "%s: %.*s\n", spec.name.c_str(), static_cast<int>(what.size()), what.data());
  return code;
}

// SIGTERM and SIGINT, blocked in every thread and taken by one watcher thread: the first begins
// the ordered shutdown, later ones are only logged.
class SignalWatcher {
 public:
  explicit SignalWatcher(std::string service) : service_(std::move(service)) {
    // A background command of a shell starts with SIGINT ignored, and an ignored signal is
    // discarded even while blocked: take the default action back, so that sigwait sees it.
    previous_int_ = std::signal(SIGINT, SIG_DFL);
    previous_term_ = std::signal(SIGTERM, SIG_DFL);
    sigemptyset(&set_);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set_, &previous_);
    thread_ = std::thread([this] { Run(); });
  }
  ~SignalWatcher() {
    done_ = true;
    pthread_kill(thread_.native_handle(), SIGTERM);
    thread_.join();
    // A signal that came after the watcher ended is dropped, not delivered on unblocking.
    sigset_t pending;
    while (sigpending(&pending) == 0 && (sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1)) {
      int sig = 0;
      sigwait(&set_, &sig);
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
    std::signal(SIGINT, previous_int_);
    std::signal(SIGTERM, previous_term_);
  }

  const std::atomic<bool>& stop() const { return stop_; }
  void Attach(Host* host) {
    std::lock_guard lock(mu_);
    host_ = host;
    if (host_ != nullptr && stop_) host_->RequestStop();
  }

 private:
  void Run() {
    while (true) {
      int sig = 0;
      if (sigwait(&set_, &sig) != 0 || done_) return;
      if (stop_.exchange(true)) {
        spdlog::warn("{}: {} again: already stopping", service_, sig == SIGINT ? "SIGINT" : "SIGTERM");
        continue;
      }
      spdlog::info("{}: {}: stopping", service_, sig == SIGINT ? "SIGINT" : "SIGTERM");
      std::lock_guard lock(mu_);
      if (host_ != nullptr) host_->RequestStop();
    }
  }

  std::string service_;
  sigset_t set_{};
  sigset_t previous_{};
  void (*previous_int_)(int) = SIG_DFL;
  void (*previous_term_)(int) = SIG_DFL;
  std::atomic<bool> stop_{false};
  std::atomic<bool> done_{false};
  std::mutex mu_;
  Host* host_ = nullptr;
  std::thread thread_;
};

}  // namespace

ServiceMain::ServiceMain(ServiceSpec spec) : spec_(std::move(spec)), app_(std::make_unique<CLI::App>(spec_.summary)) {
  CLI::App& app = *app_;
  if (spec_.bus) app.add_option("--nats", flags_.nats_url, "NATS server URL")->capture_default_str();
  if (spec_.clob) {
    app.add_option("--clob-url", flags_.clob_url, "CLOB REST base URL (the simulator by default)")
        ->capture_default_str();
  }
  flags_.admin_listen = spec_.admin_default;
  app.add_option(spec_.admin_flag, flags_.admin_listen, spec_.admin_help)->capture_default_str();
  if (spec_.metrics) {
    app.add_option("--metrics-listen", flags_.metrics_listen, "Prometheus /metrics address (empty: off)");
  }
  app.add_option("--admin-token-file", flags_.admin_token_file,
                 "admin bearer token file (owner-only); else CLOBMAKER_ADMIN_TOKEN");
  app.add_option("--admin-tls-cert", flags_.admin_tls_cert, "admin API certificate (PEM) for TLS");
  app.add_option("--admin-tls-key", flags_.admin_tls_key, "admin API key (PEM) for TLS");
  app.add_option("--admin-tls-client-ca", flags_.admin_tls_client_ca, "CA of admin client certificates (mTLS)");
  if (spec_.key != KeyUse::kNone) {
    app.add_option("--key-file", flags_.key_file, "wallet key file (64 hex digits, owner-only permissions)");
    if (spec_.key == KeyUse::kRequired) flags_.key_env = "CLOBMAKER_PRIVATE_KEY";
    auto* env = app.add_option("--key-env", flags_.key_env, "environment variable holding the wallet key");
    if (spec_.key == KeyUse::kRequired) env->capture_default_str();
  }
  if (spec_.chain_id) {
    app.add_option("--chain-id", flags_.chain_id, "137 (Polygon) or 80002 (Amoy)")->capture_default_str();
  }
  if (spec_.wallet) {
    app.add_option("--wallet", flags_.wallet,
                   "EOA, POLY_PROXY, POLY_GNOSIS_SAFE or POLY_1271 (default: CLOBMAKER_WALLET, else EOA)");
    app.add_option("--funder", flags_.funder, "the wallet's address (default: the key's wallet of that kind)");
  }
  app.add_option("--log-format", flags_.log_format, "text or json (default: CLOBMAKER_LOG_FORMAT, else text)");
  app.add_option("--log-level", flags_.log_level,
                 "trace, debug, info, warn, error, critical, off (default: CLOBMAKER_LOG_LEVEL, else info)");
}

ServiceMain::~ServiceMain() = default;

CLI::App& ServiceMain::app() { return *app_; }

int ServiceMain::Run(int argc, char** argv, const Factory& factory) {
  try {
    app_->parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app_->exit(e);  // prints --help, or the error naming the flag
    return code == 0 ? kExitStopped : kExitBadConfig;
  }
  auto config = MakeCommonConfig(spec_, flags_, ProcessEnvironment());
  if (!config.ok()) return Fail(spec_, kExitBadConfig, StatusText(config.status()));
  if (auto logging = logging::Configure(spec_.name, config->log_format, config->log_level); !logging.ok()) {
    return Fail(spec_, kExitBadConfig, StatusText(logging));
  }
  if (auto own = factory.configure(*config); !own.ok()) return Fail(spec_, kExitBadConfig, StatusText(own));
  if (factory.startup_bound) {
    if (const std::optional<Nanos> bound = factory.startup_bound()) {
      spdlog::info("{}: start-up bound {} s", spec_.name, *bound / kNanosPerSecond);
    }
  }

  std::optional<crypto::PrivateKey> key;
  if (config->key_source != KeySource::kNone) {
    auto loaded = config->key_source == KeySource::kFile ? signing::LoadPrivateKeyFile(config->key_file)
                                                         : signing::LoadPrivateKeyEnv(config->key_env);
    if (!loaded.ok()) return Fail(spec_, kExitBadConfig, "wallet key: " + std::string(StatusText(loaded.status())));
    key = std::move(*loaded);
    spdlog::info("{}: wallet address {}", spec_.name, key->address().ToChecksum());  // public; the key never is
  }
  std::optional<wallet::Account> account;
  if (spec_.wallet && key) {
    auto resolved = wallet::ResolveAccount(config->wallet, key->address(), config->funder, config->chain_id);
    if (!resolved.ok()) return Fail(spec_, kExitBadConfig, StatusText(resolved.status()));
    account = *resolved;
    spdlog::info("{}: wallet={} funder={}", spec_.name, wallet::WalletName(account->type),
                 account->funder.ToChecksum());
  }
  auto token = grpcserver::LoadAdminToken(config->admin_token_file, "CLOBMAKER_ADMIN_TOKEN");
  if (!token.ok()) return Fail(spec_, kExitBadConfig, StatusText(token.status()));

  SignalWatcher signals(spec_.name);
  std::optional<signing::ApiCredentials> credentials;
  if (spec_.credentials && key) {
    auto derived = clob::LoadOrDeriveCredentials(*key, config->clob_url, config->chain_id, signals.stop());
    if (!derived.ok()) return Fail(spec_, kExitStartFailed, StatusText(derived.status()));
    credentials = std::move(*derived);
  }
  std::unique_ptr<ProcessHost> host = ProcessHost::Create({.service = spec_.name,
                                                           .admin = {.listen = config->admin_listen,
                                                                     .token = *token,
                                                                     .tls_cert_file = config->admin_tls_cert,
                                                                     .tls_key_file = config->admin_tls_key,
                                                                     .tls_client_ca_file = config->admin_tls_client_ca},
                                                           .metrics_listen = config->metrics_listen,
                                                           .nats_url = config->nats_url});
  signals.Attach(host.get());
  const Startup startup{.config = *config,
                        .key = key ? &*key : nullptr,
                        .credentials = credentials ? &*credentials : nullptr,
                        .account = account ? &*account : nullptr,
                        .admin_token = *token};
  auto service = factory.create(*host, startup);
  if (!service.ok()) {
    signals.Attach(nullptr);
    return Fail(spec_, kExitStartFailed, StatusText(service.status()));
  }
  const ProcessHost::Result result = host->Run(*std::move(service));
  signals.Attach(nullptr);
  host.reset();
  switch (result.outcome) {
    case ProcessHost::Outcome::kStartFailed:
      return Fail(spec_, kExitStartFailed, StatusText(result.status));
    case ProcessHost::Outcome::kExited:
      spdlog::error("{}: {}", spec_.name, StatusText(result.status));
      return kExitFailed;
    case ProcessHost::Outcome::kStopped:
      break;
  }
  spdlog::info("{}: {}", spec_.name, spec_.stopped_line);
  return kExitStopped;
}

}  // namespace clobmaker::service
