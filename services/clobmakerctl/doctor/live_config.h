// The live configuration file (issue 25; example: docs/samples/live.example.yaml): endpoints,
// wallet, key source, markets to quote, risk limits. Parsed from text (no I/O): unknown keys are
// refused, and a key is never accepted from the file itself, only a key file or an environment
// variable's name.
#pragma once

#include <absl/status/statusor.h>

#include <string>
#include <string_view>
#include <vector>

#include "services/clobmakerctl/doctor/doctor_shell.h"

namespace clobmaker::doctor {

struct LiveConfig {
  std::string clob_url;
  std::string market_ws_url;
  std::string user_ws_url;
  std::string gamma_url;
  std::string geoblock_url;
  // Polymarket's relayer (deposit wallets merge and redeem through it; the doctor asks it whether
  // the wallet is deployed). Empty: the CLOB URL (the simulator serves both on one port).
  std::string relayer_url;
  std::string rpc_url;  // Polygon JSON-RPC for positions (optional for the doctor, needed by scripts/up --live)
  uint64_t chain_id = 137;
  int signature_type = 3;
  std::string funder;
  std::string key_file;  // "~/" expanded with `home`
  std::string key_env;
  std::vector<std::string> markets;
  int64_t order_size_micros = 0;
  int64_t min_collateral_micros = 0;
  int64_t max_clock_skew_ms = 2000;
};

// `home`: what "~/" in key_file stands for.
absl::StatusOr<LiveConfig> ParseLiveConfig(std::string_view yaml_text, std::string_view home);

// The doctor's options from a live configuration.
DoctorOptions DoctorOptionsFrom(const LiveConfig& config);

// What `scripts/up --live` reads (`clobmakerctl live-env`): one NAME=value line per setting
// (LIVE_CLOB_URL, LIVE_MARKET_WS, LIVE_USER_WS, LIVE_GAMMA_URL, LIVE_RPC_URL, LIVE_CHAIN_ID,
// LIVE_SIGNATURE_TYPE, LIVE_FUNDER, LIVE_KEY_FILE, LIVE_KEY_ENV, LIVE_MARKETS space-separated,
// LIVE_ORDER_SIZE_MICROS). Values are checked to be shell-inert (letters, digits and . _ : / ~ @
// % + = , -), so the script assigns them without evaluating anything; InvalidArgument names the
// setting that is not.
absl::StatusOr<std::string> LiveEnvironment(const LiveConfig& config);

}  // namespace clobmaker::doctor
