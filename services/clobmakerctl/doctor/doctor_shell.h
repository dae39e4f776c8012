// The doctor's imperative shell: asks the venue (geoblock host, CLOB, metadata API) what
// doctor::Diagnose needs, prints one line per check (or one JSON object per line), and returns
// the exit code: 0 every check passed (warnings and skips allowed), 1 any failed, 2 bad usage.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/core/clock.h"

namespace clobmaker::doctor {

struct DoctorOptions {
  std::string clob_url = "http://127.0.0.1:8080";
  std::string geoblock_url;  // empty: https://polymarket.com (its /api/geoblock)
  std::string gamma_url;     // empty: <clob_url>/gamma (the simulator's); live: https://gamma-api.polymarket.com
  std::string relayer_url;   // empty: <clob_url> (the simulator's); live: https://relayer-v2.polymarket.com
  uint64_t chain_id = 137;
  std::string key_file;  // owner-only file; else the environment variable key_env names
  std::string key_env = "CLOBMAKER_PRIVATE_KEY";
  int signature_type = 0;
  std::string funder;
  std::vector<std::string> markets;  // slugs or token ids
  int64_t order_size_micros = 0;
  int64_t min_collateral_micros = 1;
  Nanos max_clock_skew = 2 * kNanosPerSecond;
  bool heartbeat = true;
};

int RunDoctor(const DoctorOptions& options, bool json);

}  // namespace clobmaker::doctor
