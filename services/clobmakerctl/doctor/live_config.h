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

}  // namespace clobmaker::doctor
