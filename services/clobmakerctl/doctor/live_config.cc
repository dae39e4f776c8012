#include "services/clobmakerctl/doctor/live_config.h"

#include <yaml-cpp/yaml.h>

#include <set>
#include <tuple>
#include <vector>

#include "common/model/decimal.h"

namespace clobmaker::doctor {
namespace {

absl::Status Only(const YAML::Node& node, const std::string& where, const std::set<std::string>& keys) {
  if (!node) return absl::OkStatus();
  if (!node.IsMap()) return absl::InvalidArgumentError(where + ": not a mapping");
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (!keys.contains(key)) return absl::InvalidArgumentError("unknown key '" + where + "." + key + "'");
  }
  return absl::OkStatus();
}

std::string Text(const YAML::Node& node, const char* key) {
  return node && node[key] ? node[key].as<std::string>() : "";
}

absl::StatusOr<int64_t> Micros(const YAML::Node& node, const char* key, int64_t fallback) {
  if (!node || !node[key]) return fallback;
  auto v = model::ParseScaled(node[key].as<std::string>(), 6);
  if (!v.ok()) return absl::InvalidArgumentError(std::string("risk.") + key + ": not a decimal");
  return *v;
}

}  // namespace

absl::StatusOr<LiveConfig> ParseLiveConfig(std::string_view yaml_text, std::string_view home) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(std::string("live config: ") + e.what());
  }
  if (!root.IsMap()) return absl::InvalidArgumentError("live config: not a mapping");
  LiveConfig c;
  try {
    if (auto s = Only(root, "live config", {"endpoints", "wallet", "markets", "risk"}); !s.ok()) return s;
    const YAML::Node ep = root["endpoints"], wallet = root["wallet"], risk = root["risk"];
    if (auto s = Only(ep, "endpoints", {"clob", "market_ws", "user_ws", "gamma", "geoblock", "rpc", "relayer"}); !s.ok()) return s;
    if (auto s = Only(wallet, "wallet", {"chain_id", "signature_type", "funder", "key_file", "key_env"}); !s.ok()) {
      return absl::InvalidArgumentError(std::string(s.message()) +
                                        " (a key is never read from this file: key_file or key_env)");
    }
    if (auto s = Only(risk, "risk", {"order_size", "min_collateral", "max_clock_skew_ms"}); !s.ok()) return s;
    c.clob_url = Text(ep, "clob");
    if (c.clob_url.empty()) return absl::InvalidArgumentError("endpoints.clob is required");
    c.market_ws_url = Text(ep, "market_ws");
    c.user_ws_url = Text(ep, "user_ws");
    c.gamma_url = Text(ep, "gamma");
    c.geoblock_url = Text(ep, "geoblock");
    c.rpc_url = Text(ep, "rpc");
    c.relayer_url = Text(ep, "relayer");
    if (wallet && wallet["chain_id"]) c.chain_id = wallet["chain_id"].as<uint64_t>();
    if (wallet && wallet["signature_type"]) c.signature_type = wallet["signature_type"].as<int>();
    c.funder = Text(wallet, "funder");
    c.key_file = Text(wallet, "key_file");
    c.key_env = Text(wallet, "key_env");
    if (c.key_file.empty() == c.key_env.empty()) {
      return absl::InvalidArgumentError("wallet: exactly one of key_file and key_env");
    }
    if (c.key_file.rfind("~/", 0) == 0) c.key_file = std::string(home) + c.key_file.substr(1);
    if (const YAML::Node m = root["markets"]; m) {
      if (!m.IsSequence()) return absl::InvalidArgumentError("markets: a list of slugs or token ids");
      for (const auto& e : m) c.markets.push_back(e.as<std::string>());
    }
    if (c.markets.empty()) return absl::InvalidArgumentError("markets: at least one (never all of them)");
    auto size = Micros(risk, "order_size", 0);
    if (!size.ok()) return size.status();
    c.order_size_micros = *size;
    auto collateral = Micros(risk, "min_collateral", 1);
    if (!collateral.ok()) return collateral.status();
    c.min_collateral_micros = *collateral;
    if (risk && risk["max_clock_skew_ms"]) c.max_clock_skew_ms = risk["max_clock_skew_ms"].as<int64_t>();
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(std::string("live config: ") + e.what());
  }
  return c;
}

DoctorOptions DoctorOptionsFrom(const LiveConfig& c) {
  DoctorOptions o;
  o.clob_url = c.clob_url;
  o.geoblock_url = c.geoblock_url;
  o.gamma_url = c.gamma_url;
  o.relayer_url = c.relayer_url;
  o.chain_id = c.chain_id;
  o.key_file = c.key_file;
  if (!c.key_env.empty()) o.key_env = c.key_env;
  o.signature_type = c.signature_type;
  o.funder = c.funder;
  o.markets = c.markets;
  o.order_size_micros = c.order_size_micros;
  o.min_collateral_micros = c.min_collateral_micros;
  o.max_clock_skew = c.max_clock_skew_ms * kNanosPerMilli;
  return o;
}

namespace {
bool ShellInert(std::string_view v) {
  for (const char ch : v) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                    std::string_view("._:/~@%+=,-").find(ch) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}
}  // namespace

absl::StatusOr<std::string> LiveEnvironment(const LiveConfig& c) {
  std::string out;
  const auto put = [&out](std::string_view name, std::string_view what, const std::string& value) -> absl::Status {
    if (!ShellInert(value)) {
      return absl::InvalidArgumentError(std::string(what) + ": only letters, digits and . _ : / ~ @ % + = , - (got \"" +
                                        value + "\")");
    }
    out += std::string(name) + "=" + value + "\n";
    return absl::OkStatus();
  };
  std::string markets;
  for (const std::string& m : c.markets) {
    if (m.empty() || !ShellInert(m)) return absl::InvalidArgumentError("markets: \"" + m + "\" is no slug or token id");
    markets += (markets.empty() ? "" : " ") + m;
  }
  for (const auto& [name, what, value] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"LIVE_CLOB_URL", "endpoints.clob", c.clob_url},
           {"LIVE_MARKET_WS", "endpoints.market_ws", c.market_ws_url},
           {"LIVE_USER_WS", "endpoints.user_ws", c.user_ws_url},
           {"LIVE_GAMMA_URL", "endpoints.gamma", c.gamma_url},
           {"LIVE_RPC_URL", "endpoints.rpc", c.rpc_url},
           {"LIVE_RELAYER_URL", "endpoints.relayer", c.relayer_url},
           {"LIVE_CHAIN_ID", "wallet.chain_id", std::to_string(c.chain_id)},
           {"LIVE_SIGNATURE_TYPE", "wallet.signature_type", std::to_string(c.signature_type)},
           {"LIVE_FUNDER", "wallet.funder", c.funder},
           {"LIVE_KEY_FILE", "wallet.key_file", c.key_file},
           {"LIVE_KEY_ENV", "wallet.key_env", c.key_env},
           {"LIVE_ORDER_SIZE_MICROS", "risk.order_size", std::to_string(c.order_size_micros)}}) {
    if (auto st = put(name, what, value); !st.ok()) return st;
  }
  out += "LIVE_MARKETS=" + markets + "\n";
  return out;
}

}  // namespace clobmaker::doctor
