// How every service binary starts and stops (its main() is one call: RunService<S>):
//  1. the flags every service shares (ServiceSpec says which) and the service's own, then the
//     shared ones checked by a pure function (config.h);
//  2. logging (text or JSON), the wallet key (an owner-only file or an environment variable; the
//     key is never printed, its public address is), the admin token;
//  3. one signal policy: SIGTERM or SIGINT begins an ordered shutdown (the service's Stop: e.g.
//     execution cancels every order); later signals are logged and ignored;
//  4. API credentials when the service needs them, the host, the service, and Host::Run.
//
// The exit codes are below (kExit*; docs/operations.md lists them for operators).
//
// A service S provides:
//   static ServiceSpec Spec();
//   struct Flags { void Declare(CLI::App&); absl::StatusOr<Options> ToOptions(const CommonConfig&) const; };
//   static absl::StatusOr<std::unique_ptr<S>> Create(Host&, const Options&, const Startup&);
//   static Nanos StartupBound(const Options&);  // optional: logged first as "<name>: start-up bound N s"
#pragma once

#include <absl/status/statusor.h>

#include <functional>
#include <memory>
#include <optional>

#include "common/crypto/crypto.h"
#include "common/service/config.h"
#include "common/service/host.h"
#include "common/signing/auth.h"
#include "common/wallet/wallet.h"

namespace CLI {
class App;
}

namespace clobmaker::service {

inline constexpr int kExitStopped = 0;      // stopped on SIGTERM/SIGINT after an ordered shutdown
inline constexpr int kExitStartFailed = 1;  // could not start: credentials, bus, address in use, ...
inline constexpr int kExitBadConfig = 2;    // a flag, variable, key file or token file is wrong (named)
inline constexpr int kExitFailed = 3;       // stopped itself on a failure (lease lost, start-up halted)

// What a service is created with besides its options.
struct Startup {
  const CommonConfig& config;
  const crypto::PrivateKey* key = nullptr;               // KeyUse::kNone: null
  const signing::ApiCredentials* credentials = nullptr;  // ServiceSpec::credentials: set
  const wallet::Account* account = nullptr;              // ServiceSpec::wallet and a key: set
  std::string admin_token;
};

class ServiceMain {
 public:
  explicit ServiceMain(ServiceSpec spec);
  ~ServiceMain();
  CLI::App& app();

  struct Factory {
    // The service's own flags, checked (an error: exit 2).
    std::function<absl::Status(const CommonConfig&)> configure;
    // The longest the service takes to serve once started (scripts/up waits that plus a margin;
    // docs/operations.md), if it states one.
    std::function<std::optional<Nanos>()> startup_bound;
    // The service on its host (an error: exit 1).
    std::function<absl::StatusOr<std::unique_ptr<HostedService>>(Host&, const Startup&)> create;
  };
  int Run(int argc, char** argv, const Factory& factory);

 private:
  ServiceSpec spec_;
  CommonFlags flags_;
  std::unique_ptr<CLI::App> app_;
};

template <class S>
int RunService(int argc, char** argv) {
  ServiceMain main(S::Spec());
  typename S::Flags flags;
  flags.Declare(main.app());
  std::optional<typename S::Options> options;
  return main.Run(argc, argv,
                  {.configure = [&](const CommonConfig& config) -> absl::Status {
                     auto made = flags.ToOptions(config);
                     if (!made.ok()) return made.status();
                     options = *std::move(made);
                     return absl::OkStatus();
                   },
                   .startup_bound = [&]() -> std::optional<Nanos> {
                     if constexpr (requires(const typename S::Options& o) { S::StartupBound(o); }) {
                       return S::StartupBound(*options);
                     } else {
                       return std::nullopt;
                     }
                   },
                   .create = [&](Host& host, const Startup& startup) -> absl::StatusOr<std::unique_ptr<HostedService>> {
                     auto made = S::Create(host, *options, startup);
                     if (!made.ok()) return made.status();
                     return std::unique_ptr<HostedService>(std::move(*made));
                   }});
}

}  // namespace clobmaker::service
