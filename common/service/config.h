// The settings every service shares, as typed on the command line (CommonFlags) and as the
// service gets them (CommonConfig), and the pure function between the two. A bad value is an
// InvalidArgument naming the flag or environment variable it came from; ServiceMain prints it and
// exits with kExitBadConfig.
#pragma once

#include <absl/status/statusor.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/signing/order.h"

namespace clobmaker::service {

enum class KeyUse : uint8_t {
  kNone,      // no wallet key
  kOptional,  // used when --key-file or --key-env is given
  kRequired,  // --key-file, else the variable --key-env names (CLOBMAKER_PRIVATE_KEY by default)
};

// What a service takes from the shared set (ServiceMain declares only these flags).
struct ServiceSpec {
  std::string name;     // "execution": binary, log prefix, metric names
  std::string summary;  // the first line of --help
  bool bus = true;      // --nats
  bool clob = true;     // --clob-url
  KeyUse key = KeyUse::kNone;
  bool credentials = false;  // API credentials (environment, else derived from the key through L1)
  bool chain_id = false;     // --chain-id (137 or 80002)
  // --wallet NAME (else CLOBMAKER_WALLET, else EOA) and --funder ADDR: the account the key trades
  // through (common/wallet), resolved once the key is loaded (Startup::account). Needs a key.
  bool wallet = false;
  bool metrics = true;  // --metrics-listen
  std::string admin_flag = "--admin-listen";
  std::string admin_default = "127.0.0.1:0";
  std::string admin_help = "gRPC admin address";
  std::string stopped_line = "stopped";  // logged as "<name>: <stopped_line>" after a clean stop
};

struct CommonFlags {
  std::string nats_url = "nats://127.0.0.1:4222";
  std::string clob_url = "http://127.0.0.1:8080";
  std::string admin_listen;  // ServiceSpec::admin_default unless given
  std::string metrics_listen;
  std::string admin_token_file;
  std::string admin_tls_cert, admin_tls_key, admin_tls_client_ca;
  std::string key_file;
  std::string key_env;                // ServiceMain's default: CLOBMAKER_PRIVATE_KEY when required
  std::string log_format, log_level;  // empty: CLOBMAKER_LOG_FORMAT, CLOBMAKER_LOG_LEVEL
  uint64_t chain_id = 137;
  std::string wallet, funder;  // ServiceSpec::wallet
};

enum class KeySource : uint8_t { kNone, kFile, kEnvironment };

struct CommonConfig {
  std::string nats_url;
  std::string clob_url;
  std::string admin_listen;
  std::string metrics_listen;  // empty: no /metrics
  std::string admin_token_file;
  std::string admin_tls_cert, admin_tls_key, admin_tls_client_ca;
  KeySource key_source = KeySource::kNone;
  std::string key_file;  // kFile
  std::string key_env;   // kEnvironment: the variable's name
  std::string log_format = "text";
  std::string log_level;  // empty: spdlog's default (info)
  uint64_t chain_id = 137;
  signing::SignatureType wallet = signing::SignatureType::kEoa;  // ServiceSpec::wallet
  std::string funder;                                            // as given ("": the owner's wallet of that kind)
};

// Reads one environment variable (nullopt: unset). Injected, so the function stays pure.
using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;
EnvLookup ProcessEnvironment();

absl::StatusOr<CommonConfig> MakeCommonConfig(const ServiceSpec& spec, const CommonFlags& flags, const EnvLookup& env);

// "host:port" (IPv6 as "[::1]:port"), port 0..65535.
bool IsListenAddress(std::string_view text);

}  // namespace clobmaker::service
