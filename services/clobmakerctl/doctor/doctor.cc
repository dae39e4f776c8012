#include "services/clobmakerctl/doctor/doctor.h"

#include <fmt/format.h>

#include <cstdlib>

#include "common/core/json_text.h"
#include "common/core/uint256.h"
#include "common/model/decimal.h"

namespace clobmaker::doctor {
namespace {

Check Pass(std::string name, std::string detail) { return {std::move(name), Verdict::kPass, std::move(detail), ""}; }
Check Fail(std::string name, std::string detail, std::string fix) {
  return {std::move(name), Verdict::kFail, std::move(detail), std::move(fix)};
}
std::string Why(const absl::Status& s) { return std::string(s.message()); }
std::string Usd(int64_t micros) { return model::FormatScaled(micros, 6); }

Check Geoblock(const Observations& o, const Requirements& need) {
  if (!o.geoblock.ok()) {
    return Fail("geoblock", "could not ask: " + Why(o.geoblock.status()),
                "reach https://polymarket.com/api/geoblock from this host (or set geoblock_url)");
  }
  const auto& g = *o.geoblock;
  const std::string where = fmt::format("{}/{}, {}", g.country.empty() ? "?" : g.country, g.region, g.ip);
  const std::string fix = "run from a region where Polymarket allows trading (its servers: eu-west-2)";
  if (g.blocked) return Fail("geoblock", "blocked (" + where + ")", fix);
  if (need.close_only_countries.contains(g.country)) {
    return Fail("geoblock", "close-only region (" + where + "): positions can be closed, none opened", fix);
  }
  return Pass("geoblock", "not blocked (" + where + ")");
}

Check Clock(const Observations& o, const Requirements& need) {
  if (!o.server_time_s.ok()) {
    return Fail("clock", "GET /time failed: " + Why(o.server_time_s.status()), "check clob_url and the network");
  }
  // The exchange stamped its second somewhere between our two readings: the skew is the distance
  // from that second to the interval (a whole second of uncertainty is the answer's resolution).
  const Nanos server = *o.server_time_s * kNanosPerSecond;
  Nanos skew = 0;
  if (server + kNanosPerSecond < o.local_before) skew = o.local_before - (server + kNanosPerSecond);
  if (server > o.local_after) skew = -(server - o.local_after);
  const std::string detail = fmt::format("{} ms off the exchange's clock (round trip {} ms)", skew / kNanosPerMilli,
                                         (o.local_after - o.local_before) / kNanosPerMilli);
  if (std::llabs(skew) > need.max_clock_skew) {
    return Fail("clock", detail + fmt::format(", more than {} ms", need.max_clock_skew / kNanosPerMilli),
                "synchronise the system clock (chronyc makestep / timedatectl set-ntp true)");
  }
  return Pass("clock", detail);
}

Check Version(const Observations& o, const Requirements& need) {
  if (!o.version.ok()) return Fail("version", "GET /version failed: " + Why(o.version.status()), "check clob_url");
  if (!need.supported_versions.contains(*o.version)) {
    return Fail("version", fmt::format("the exchange wants order version {}, clobmaker signs 2 and 3", *o.version),
                "upgrade clobmaker before trading");
  }
  return Pass("version", fmt::format("order version {}", *o.version));
}

Check Credentials(const Observations& o) {
  if (!o.credentials.ok()) {
    return Fail("credentials", Why(o.credentials.status()),
                "check the wallet key (key_file, owner-only) or CLOBMAKER_API_KEY/SECRET/PASSPHRASE");
  }
  return Pass("credentials", "API key " + *o.credentials);
}

Check BanStatus(const Observations& o) {
  if (!o.ban_status.ok()) {
    return Fail("closed-only", "GET /auth/ban-status/closed-only failed: " + Why(o.ban_status.status()),
                "fix the credentials first");
  }
  if (o.ban_status->closed_only) {
    return Fail("closed-only", "the account is in closed-only mode: no new orders",
                "contact Polymarket support; the account cannot quote");
  }
  return Pass("closed-only", "account may open positions");
}

Check RateTier(const Observations& o) {
  if (!o.rate_tier.ok()) {
    return Fail("rate-tier", "GET /v1/user/rate-limit-tier failed: " + Why(o.rate_tier.status()),
                "fix the credentials first");
  }
  const auto& l = polymarket::LimitsOf(*o.rate_tier);
  return Pass("rate-tier",
              fmt::format("{}: orders {}/s burst {}, cancels {}/s burst {}", polymarket::RateTierName(*o.rate_tier),
                          l.order_rate, l.order_burst, l.cancel_rate, l.cancel_burst));
}

Check Wallet(const Observations& o) {
  static constexpr const char* kNames[] = {"EOA", "POLY_PROXY", "POLY_GNOSIS_SAFE", "POLY_1271 (deposit wallet)"};
  if (o.signature_type < 0 || o.signature_type > 3) {
    return Fail("wallet", fmt::format("unknown signature type {}", o.signature_type),
                "signature_type: 0 EOA, 1 POLY_PROXY, 2 POLY_GNOSIS_SAFE, 3 POLY_1271");
  }
  const std::string funder = o.funder.empty() ? o.signer : o.funder;
  const std::string name = kNames[o.signature_type];
  if (o.signature_type == 0) {
    if (funder != o.signer) {
      return Fail("wallet", "EOA signing for another maker " + funder,
                  "an EOA is its own maker: drop funder, or set the signature type of the funder's wallet");
    }
    return {"wallet", Verdict::kWarn, "EOA " + o.signer + ": its own maker",
            "accounts created since 2026-05-04 are deposit wallets: signature_type 3 and funder = the deposit "
            "wallet (the exchange answers 400 'maker address not allowed' otherwise)"};
  }
  if (funder == o.signer) {
    return Fail("wallet", name + " needs the wallet's address as the maker, got the signer's own",
                "set funder to the address Polymarket shows for the account (the proxy/Safe/deposit wallet)");
  }
  if (o.funder_is_owners_wallet.has_value() && !*o.funder_is_owners_wallet) {
    // The exchange's signature check fails such an order ("invalid signature").
    return Fail("wallet", fmt::format("{} {} is not the {} of the signer {}", name, funder, name, o.signer),
                "set funder to the address Polymarket shows for the account, and key_file to its owner's key "
                "(clobmakerctl wallet-address prints the key's wallets)");
  }
  if (o.signature_type != 3) {
    return {"wallet", Verdict::kWarn, name + " " + funder + " signed by " + o.signer,
            "proxy and Safe wallets are legacy; new accounts use deposit wallets (signature_type 3)"};
  }
  return Pass("wallet", name + " " + funder + " signed by " + o.signer);
}

Check DepositWallet(const Observations& o) {
  if (o.signature_type != 3) return {"deposit-wallet", Verdict::kSkip, "not a deposit wallet", ""};
  if (!o.wallet_deployed.ok()) {
    return Fail("deposit-wallet",
                fmt::format("the relayer could not say whether it is deployed: {}",
                            std::string(o.wallet_deployed.status().message())),
                "check relayer_url (https://relayer-v2.polymarket.com) and the network");
  }
  if (!*o.wallet_deployed) {
    // Not a failure: positions deploys it through the relayer (gasless) at start-up; until then
    // the exchange's signature check refuses orders for it.
    return {"deposit-wallet", Verdict::kWarn, "not deployed yet",
            "positions deploys it through the relayer at start-up (WALLET-CREATE); orders are refused until then"};
  }
  return Pass("deposit-wallet", "deployed (the relayer's /deployed)");
}

// An allowance is enough when it covers `need` (allowances are uint256 decimals; "max" is 2^256-1).
bool Covers(const std::string& allowance, int64_t need) {
  auto a = Uint256::FromDecimal(allowance);
  if (!a.ok()) return false;
  return *a >= Uint256(static_cast<uint64_t>(std::max<int64_t>(need, 1)));
}

Check Collateral(const Observations& o, const Requirements& need) {
  if (!o.collateral.ok()) {
    return Fail("collateral", "GET /balance-allowance failed: " + Why(o.collateral.status()),
                "fix the credentials first");
  }
  if (o.collateral->balance < need.min_collateral_micros) {
    return Fail("collateral",
                fmt::format("pUSD balance {} below the {} the configuration needs", Usd(o.collateral->balance),
                            Usd(need.min_collateral_micros)),
                "deposit pUSD to the maker address (or lower the risk limits)");
  }
  return Pass("collateral", fmt::format("pUSD balance {}", Usd(o.collateral->balance)));
}

// One check per spender: pUSD allowance (COLLATERAL) or the conditional-tokens approval.
void Approvals(const absl::StatusOr<polymarket::BalanceAllowance>& seen, const Requirements& need,
               const std::string& what, int64_t amount, const std::string& fix, std::vector<Check>& out) {
  for (const auto& [name, address] : need.spenders) {
    const std::string check = what + ":" + name;
    if (!seen.ok()) {
      out.push_back(Fail(check, "GET /balance-allowance failed: " + Why(seen.status()), "fix the credentials first"));
      continue;
    }
    auto it = seen->allowances.find(address);
    if (it == seen->allowances.end()) {
      // Addresses compare case-insensitively; the exchange sends them checksummed.
      for (auto j = seen->allowances.begin(); j != seen->allowances.end(); ++j) {
        if (j->first.size() == address.size() &&
            std::equal(j->first.begin(), j->first.end(), address.begin(),
                       [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
          it = j;
        }
      }
    }
    if (it == seen->allowances.end() || !Covers(it->second, amount)) {
      out.push_back(Fail(check,
                         fmt::format("{} ({}) not approved: allowance {}", name, address,
                                     it == seen->allowances.end() ? "none" : it->second),
                         fix + " for " + address));
    } else {
      out.push_back(Pass(check, fmt::format("{} ({}) approved", name, address)));
    }
  }
}

Check Market(const MarketSeen& m, const Requirements& need) {
  const std::string name = "market:" + m.configured;
  if (!m.found.ok()) {
    return Fail(name, "metadata lookup failed: " + Why(m.found.status()), "check gamma_url and the market's slug");
  }
  if (m.found->empty()) return Fail(name, "no such market", "check the slug or token id in markets");
  if (m.found->size() > 1) {
    return Fail(name, fmt::format("{} markets match", m.found->size()), "name the market by its token id");
  }
  const auto& md = m.found->front();
  const std::string terms = fmt::format(
      "{}: tick {}, minimum size {}, rewards {}",
      md.condition_id.substr(0, std::min<size_t>(md.condition_id.size(), 12)), md.tick.ToString(),
      md.min_order_size.ToString(),
      md.rewards_min_size.micros() > 0 ? fmt::format("from size {} within {} of the mid",
                                                     md.rewards_min_size.ToString(), md.rewards_max_spread.ToString())
                                       : std::string("none"));
  if (md.closed || !md.active) return Fail(name, "closed (" + terms + ")", "remove it from markets");
  if (!md.accepting_orders) {
    return Fail(name, "not accepting orders (" + terms + ")", "wait until it accepts orders, or remove it");
  }
  if (need.order_size_micros > 0 && need.order_size_micros < md.min_order_size.micros()) {
    return Fail(name,
                fmt::format("order size {} below the market's minimum {} ({})", Usd(need.order_size_micros),
                            md.min_order_size.ToString(), terms),
                "raise order_size to at least " + md.min_order_size.ToString());
  }
  return Pass(name, "open, accepting orders (" + terms + ")");
}

Check Heartbeat(const absl::StatusOr<Nanos>& rtt) {
  if (!rtt.ok()) {
    return Fail("heartbeat", "POST /v1/heartbeats failed: " + Why(rtt.status()),
                "fix the credentials first; without heartbeats the exchange cancels every order after 10-15 s");
  }
  return Pass("heartbeat", fmt::format("round trip {} ms", *rtt / kNanosPerMilli));
}

}  // namespace

std::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kPass:
      return "pass";
    case Verdict::kWarn:
      return "warn";
    case Verdict::kFail:
      return "FAIL";
    case Verdict::kSkip:
      return "skip";
  }
  return "?";
}

std::vector<Check> Diagnose(const Observations& o, const Requirements& need) {
  std::vector<Check> out;
  out.push_back(Geoblock(o, need));
  out.push_back(Clock(o, need));
  out.push_back(Version(o, need));
  out.push_back(Credentials(o));
  out.push_back(BanStatus(o));
  out.push_back(RateTier(o));
  out.push_back(Wallet(o));
  out.push_back(DepositWallet(o));
  out.push_back(Collateral(o, need));
  Approvals(o.collateral, need, "allowance", need.min_collateral_micros,
            "approve pUSD (setAllowance from polymarket.com, or the relayer)", out);
  Approvals(o.conditional, need, "ctf-approval", 1,
            "approve the conditional-tokens contract (setApprovalForAll) for the exchange", out);
  if (o.markets.empty()) out.push_back(Fail("markets", "no market configured", "list at least one in markets"));
  for (const MarketSeen& m : o.markets) out.push_back(Market(m, need));
  if (o.heartbeat_rtt) {
    out.push_back(Heartbeat(*o.heartbeat_rtt));
  } else {
    out.push_back({"heartbeat", Verdict::kSkip, "not sent (--no-heartbeat)", ""});
  }
  return out;
}

bool AnyFailed(const std::vector<Check>& checks) {
  for (const Check& c : checks) {
    if (c.verdict == Verdict::kFail) return true;
  }
  return false;
}

std::string FormatLine(const Check& c) {
  std::string line = fmt::format("{:<4}  {:<31} {}", VerdictName(c.verdict), c.name, c.detail);
  if (!c.fix.empty()) line += " -- fix: " + c.fix;
  return line;
}

std::string FormatJson(const Check& c) {
  return fmt::format(R"({{"check":"{}","result":"{}","ok":{},"detail":"{}","fix":"{}"}})", JsonEscape(c.name),
                     VerdictName(c.verdict) == "FAIL" ? "fail" : VerdictName(c.verdict), c.verdict != Verdict::kFail,
                     JsonEscape(c.detail), JsonEscape(c.fix));
}

}  // namespace clobmaker::doctor
