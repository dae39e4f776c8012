// The preflight doctor's decisions (issue 25): what the shell observed of the venue and the account
// in, one verdict per check out, each failure with the fix to apply. Pure: no I/O, no clock (the
// shell measures the local time around GET /time and passes it in), so every verdict is unit-tested.
#pragma once

#include <absl/status/statusor.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/core/clock.h"
#include "common/polymarket/events.h"
#include "common/polymarket/rate_limits.h"

namespace clobmaker::doctor {

enum class Verdict : uint8_t {
  kPass,
  kWarn,  // works, but not as recommended (does not fail the run)
  kFail,
  kSkip,  // cannot be checked here; the detail says why
};
std::string_view VerdictName(Verdict v);  // "pass", "warn", "FAIL", "skip"

struct Check {
  std::string name;  // "geoblock", "clock", "market:<id>", ...
  Verdict verdict = Verdict::kFail;
  std::string detail;
  std::string fix;  // what to do; empty on a pass
};

// Not asked (a check switched off) is an absent optional; asked and failed is a non-OK status.
struct MarketSeen {
  std::string configured;  // slug or token id, as configured
  absl::StatusOr<std::vector<polymarket::MarketMetadata>> found = absl::UnknownError("not asked");
};

struct Observations {
  absl::StatusOr<polymarket::Geoblock> geoblock = absl::UnknownError("not asked");
  // GET /time, with the local wall clock read just before the request and just after the answer.
  absl::StatusOr<int64_t> server_time_s = absl::UnknownError("not asked");
  Nanos local_before = 0;
  Nanos local_after = 0;
  absl::StatusOr<int> version = absl::UnknownError("not asked");
  // How the API credentials were obtained ("environment", "derived", "created"), or why not.
  absl::StatusOr<std::string> credentials = absl::UnknownError("not asked");
  absl::StatusOr<polymarket::RateTier> rate_tier = absl::UnknownError("not asked");
  absl::StatusOr<polymarket::BanStatus> ban_status = absl::UnknownError("not asked");
  int signature_type = 0;  // 0 EOA, 1 POLY_PROXY, 2 POLY_GNOSIS_SAFE, 3 POLY_1271
  std::string signer;      // the key's address, lower case
  std::string funder;      // the configured maker address, lower case (empty: the signer)
  // Whether the funder is the signer's own wallet of the signature type (Polymarket's CREATE2
  // derivations, common/wallet); nullopt when it could not be derived (unknown chain).
  std::optional<bool> funder_is_owners_wallet;
  // Deposit wallets: the relayer's GET /deployed for the funder.
  absl::StatusOr<bool> wallet_deployed = absl::UnknownError("not asked");
  absl::StatusOr<polymarket::BalanceAllowance> collateral = absl::UnknownError("not asked");
  // asset_type=CONDITIONAL for one configured market's token: the conditional-tokens contract's
  // approvals (setApprovalForAll) per spender.
  absl::StatusOr<polymarket::BalanceAllowance> conditional = absl::UnknownError("not asked");
  std::vector<MarketSeen> markets;
  std::optional<absl::StatusOr<Nanos>> heartbeat_rtt;  // nullopt: --no-heartbeat
};

struct Requirements {
  Nanos max_clock_skew = 2 * kNanosPerSecond;
  std::set<int> supported_versions = {2, 3};
  int64_t min_collateral_micros = 1;  // pUSD the configured quoting needs at least
  int64_t order_size_micros = 0;      // the configured order size (0: not checked)
  // Spender name ("exchange", "neg-risk exchange") -> checksummed address, for the order version
  // the exchange reports; the shell fills it from the chain's contracts.
  std::map<std::string, std::string> spenders;
  // Countries whose users may only close positions (docs.polymarket.com api-reference/geoblock):
  // a maker cannot quote from there, so they fail like a block.
  std::set<std::string> close_only_countries = {"PL", "SG", "TH", "TW"};
};

std::vector<Check> Diagnose(const Observations& seen, const Requirements& need);

bool AnyFailed(const std::vector<Check>& checks);
// "pass  geoblock          not blocked (IE/L, 127.0.0.1)" / "FAIL ... -- fix: ...".
std::string FormatLine(const Check& check);
// {"check":"geoblock","result":"pass","ok":true,"detail":"...","fix":""}
std::string FormatJson(const Check& check);

}  // namespace clobmaker::doctor
