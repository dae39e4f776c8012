#include "common/service/config.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>

#include "common/net/http.h"
#include "common/wallet/wallet.h"

namespace clobmaker::service {
namespace {

absl::Status Bad(std::string_view source, std::string_view what) {
  return absl::InvalidArgumentError(fmt::format("{}: {}", source, what));
}

bool IsPort(std::string_view text) {
  if (text.empty() || text.size() > 5) return false;
  unsigned port = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  return ec == std::errc() && ptr == text.data() + text.size() && port <= 65535;
}

// One server of a NATS URL list: scheme://[user[:pass]@]host[:port].
bool IsNatsServer(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return false;
  const std::string_view scheme = url.substr(0, scheme_end);
  if (scheme != "nats" && scheme != "tls" && scheme != "ws" && scheme != "wss") return false;
  std::string_view authority = url.substr(scheme_end + 3);
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  if (!authority.empty() && authority.back() == '/') authority.remove_suffix(1);
  if (authority.empty()) return false;
  if (authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    const std::string_view rest = authority.substr(close + 1);
    return rest.empty() || (rest.front() == ':' && IsPort(rest.substr(1)));
  }
  const size_t colon = authority.rfind(':');
  if (colon == std::string_view::npos) return authority.find('/') == std::string_view::npos;
  return colon > 0 && IsPort(authority.substr(colon + 1));
}

// A value from the flag when given, else from the environment variable; says which it was.
std::pair<std::string, std::string> FlagOrEnv(const std::string& flag_value, std::string_view flag,
                                              std::string_view variable, const EnvLookup& env) {
  if (!flag_value.empty()) return {flag_value, std::string(flag)};
  return {env(variable).value_or(""), std::string(variable)};
}

constexpr std::array<std::string_view, 7> kLevels = {"trace", "debug", "info", "warn", "error", "critical", "off"};

}  // namespace

EnvLookup ProcessEnvironment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

bool IsListenAddress(std::string_view text) {
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    return close != std::string_view::npos && close > 1 && close + 1 < text.size() && text[close + 1] == ':' &&
           IsPort(text.substr(close + 2));
  }
  const size_t colon = text.rfind(':');
  return colon != std::string_view::npos && colon > 0 && text.substr(0, colon).find(':') == std::string_view::npos &&
         IsPort(text.substr(colon + 1));
}

absl::StatusOr<CommonConfig> MakeCommonConfig(const ServiceSpec& spec, const CommonFlags& flags, const EnvLookup& env) {
  CommonConfig out;
  if (spec.bus) {
    if (flags.nats_url.empty()) return Bad("--nats", "empty");
    std::string_view rest = flags.nats_url;
    while (true) {
      const size_t comma = rest.find(',');
      const std::string_view one = rest.substr(0, comma);
      if (!IsNatsServer(one)) return Bad("--nats", fmt::format("'{}' is not a NATS URL (nats://host:port)", one));
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    out.nats_url = flags.nats_url;
  }
  if (spec.clob) {
    auto url = net::ParseUrl(flags.clob_url);
    if (!url.ok() || (url->scheme != "http" && url->scheme != "https")) {
      return Bad("--clob-url", fmt::format("'{}' is not an http(s) URL", flags.clob_url));
    }
    out.clob_url = flags.clob_url;
  }
  out.admin_listen = flags.admin_listen.empty() ? spec.admin_default : flags.admin_listen;
  if (!IsListenAddress(out.admin_listen)) {
    return Bad(spec.admin_flag, fmt::format("'{}' is not host:port", out.admin_listen));
  }
  if (spec.metrics && !flags.metrics_listen.empty()) {
    if (!IsListenAddress(flags.metrics_listen)) {
      return Bad("--metrics-listen", fmt::format("'{}' is not host:port", flags.metrics_listen));
    }
    out.metrics_listen = flags.metrics_listen;
  }
  out.admin_token_file = flags.admin_token_file;
  if (flags.admin_tls_cert.empty() != flags.admin_tls_key.empty()) {
    return Bad(flags.admin_tls_cert.empty() ? "--admin-tls-cert" : "--admin-tls-key",
               "TLS needs both a certificate and a key");
  }
  if (!flags.admin_tls_client_ca.empty() && flags.admin_tls_cert.empty()) {
    return Bad("--admin-tls-client-ca", "mutual TLS needs --admin-tls-cert and --admin-tls-key");
  }
  out.admin_tls_cert = flags.admin_tls_cert;
  out.admin_tls_key = flags.admin_tls_key;
  out.admin_tls_client_ca = flags.admin_tls_client_ca;

  if (spec.key != KeyUse::kNone) {
    if (!flags.key_file.empty()) {
      out.key_source = KeySource::kFile;
      out.key_file = flags.key_file;
    } else if (!flags.key_env.empty()) {
      out.key_source = KeySource::kEnvironment;
      out.key_env = flags.key_env;
    } else if (spec.key == KeyUse::kRequired) {
      return Bad("--key-env", "give --key-file or the name of the variable holding the wallet key");
    }
  }
  if (spec.chain_id) {
    if (flags.chain_id != 137 && flags.chain_id != 80002) return Bad("--chain-id", "must be 137 or 80002");
    out.chain_id = flags.chain_id;
  }

  if (spec.wallet) {
    // The names are checked here; --funder against the key once it is loaded (ServiceMain).
    auto type = wallet::WalletTypeOf({.wallet = flags.wallet, .env_wallet = env(wallet::kWalletEnv)});
    if (!type.ok()) return type.status();
    out.wallet = *type;
    out.funder = flags.funder;
  }

  const auto [format, format_source] = FlagOrEnv(flags.log_format, "--log-format", "CLOBMAKER_LOG_FORMAT", env);
  if (!format.empty() && format != "text" && format != "json") {
    return Bad(format_source, fmt::format("'{}' is not 'text' or 'json'", format));
  }
  out.log_format = format.empty() ? "text" : format;
  const auto [level, level_source] = FlagOrEnv(flags.log_level, "--log-level", "CLOBMAKER_LOG_LEVEL", env);
  if (!level.empty() && std::find(kLevels.begin(), kLevels.end(), level) == kLevels.end()) {
    return Bad(level_source, fmt::format("'{}' is not one of trace, debug, info, warn, error, critical, off", level));
  }
  out.log_level = level;
  return out;
}

}  // namespace clobmaker::service
