#include "services/clobmakerctl/doctor/doctor_shell.h"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <future>

#include "common/clob/rest_client.h"
#include "common/core/executor.h"
#include "common/net/http_client.h"
#include "common/net/io_thread.h"
#include "common/polymarket/decode.h"
#include "common/signing/keys.h"
#include "common/relayer/relayer.h"
#include "common/signing/order.h"
#include "common/wallet/wallet.h"
#include "services/clobmakerctl/doctor/doctor.h"

namespace clobmaker::doctor {
namespace {

// Runs one asynchronous client call and waits for its answer.
template <typename T, typename Start>
clob::Result<T> Await(Start&& start) {
  std::promise<clob::Result<T>> done;
  auto answer = done.get_future();
  start([&done](clob::Result<T> r) { done.set_value(std::move(r)); });
  return answer.get();
}

template <typename T>
absl::StatusOr<T> Value(clob::Result<T> r) {
  if (r.ok()) return std::move(*r.value);
  return absl::UnavailableError(
      fmt::format("HTTP {}{}", r.http_status, r.error.error.empty() ? "" : ": " + r.error.error));
}

absl::StatusOr<std::string> GetBody(net::IoThread& io, const std::string& base, const std::string& target) {
  auto client = net::HttpClient::Create(io, {.base_url = base});
  if (!client.ok()) return client.status();
  net::HttpRequest request;
  request.target = target;
  net::HttpResult r = (*client)->SendSync(std::move(request), 5 * kNanosPerSecond);
  if (r.outcome != net::Outcome::kOk || !r.response) {
    return absl::UnavailableError(
        fmt::format("GET {}{}: HTTP {} {}", base, target, r.response ? r.response->status : 0,
                    r.error.empty() && r.response ? r.response->body.substr(0, 200) : r.error));
  }
  return r.response->body;
}

bool LooksLikeTokenId(const std::string& s) {
  return s.size() >= 10 && s.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

int RunDoctor(const DoctorOptions& opt, bool json) {
  auto key =
      !opt.key_file.empty() ? signing::LoadPrivateKeyFile(opt.key_file) : signing::LoadPrivateKeyEnv(opt.key_env);
  if (!key.ok()) {
    std::fprintf(stderr, "clobmakerctl doctor: wallet key: %s\n", std::string(key.status().message()).c_str());
    return 2;
  }
  auto contracts = signing::ContractsForChain(opt.chain_id);
  if (!contracts.ok()) {
    std::fprintf(stderr, "clobmakerctl doctor: %s\n", std::string(contracts.status().message()).c_str());
    return 2;
  }
  const Clock& clock = SystemClock::Instance();
  net::IoThread io;
  ThreadExecutor loop;
  Observations seen;
  seen.signer = key->address().ToLower();
  seen.signature_type = opt.signature_type;
  for (char c : opt.funder) seen.funder += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // The funder against the signer's own wallets (what the exchange's signature check decides).
  auto type = signing::SignatureTypeFromInt(opt.signature_type);
  auto factories = wallet::FactoriesForChain(opt.chain_id);
  auto funder_address = crypto::Address::Parse(opt.funder.empty() ? key->address().ToChecksum() : opt.funder);
  if (type.ok() && factories.ok() && funder_address.ok()) {
    seen.funder_is_owners_wallet = wallet::IsWalletOf(*type, key->address(), *funder_address, *factories);
  }
  // A deposit wallet: deployed? (the relayer's GET /deployed; the simulator serves it on its port)
  if (opt.signature_type == 3 && funder_address.ok()) {
    auto body = GetBody(io, opt.relayer_url.empty() ? opt.clob_url : opt.relayer_url,
                        "/deployed?address=" + funder_address->ToChecksum() + "&type=WALLET");
    seen.wallet_deployed = body.ok() ? relayer::ParseDeployedAnswer(*body) : absl::StatusOr<bool>(body.status());
  }

  // Geoblock: the web host's answer for this machine's address.
  {
    auto body = GetBody(io, opt.geoblock_url.empty() ? "https://polymarket.com" : opt.geoblock_url, "/api/geoblock");
    seen.geoblock =
        body.ok() ? polymarket::ParseGeoblockResponse(*body) : absl::StatusOr<polymarket::Geoblock>(body.status());
  }

  clob::ClobClientOptions copts;
  copts.http.base_url = opt.clob_url;
  copts.chain_id = opt.chain_id;
  copts.executor = &loop;
  auto pub = clob::ClobRestClient::Create(io, copts, &*key, nullptr);
  if (!pub.ok()) {
    std::fprintf(stderr, "clobmakerctl doctor: clob_url: %s\n", std::string(pub.status().message()).c_str());
    return 2;
  }
  seen.local_before = clock.WallNanos();
  seen.server_time_s = Value(Await<int64_t>([&](auto cb) { (*pub)->GetServerTime(cb); }));
  seen.local_after = clock.WallNanos();
  if (seen.server_time_s.ok()) {
    // Authenticated requests carry the exchange's time, as the services do (a skewed local
    // clock is reported above, not allowed to fail every check below).
    (*pub)->SetServerClockOffset(*seen.server_time_s * kNanosPerSecond - (seen.local_before + seen.local_after) / 2);
  }
  seen.version = Value(Await<int>([&](auto cb) { (*pub)->GetVersion(cb); }));

  // Credentials: the environment's, else derived (nonce 0), else created.
  signing::ApiCredentials creds;
  const char* api_key = std::getenv("CLOBMAKER_API_KEY");
  const char* secret = std::getenv("CLOBMAKER_API_SECRET");
  const char* passphrase = std::getenv("CLOBMAKER_API_PASSPHRASE");
  if (api_key != nullptr && secret != nullptr && passphrase != nullptr) {
    creds = signing::ApiCredentials(api_key, secret, passphrase);
    seen.credentials = std::string("from the environment");
  } else {
    auto derived = Await<polymarket::ApiKeyCreds>([&](auto cb) { (*pub)->DeriveApiKey(0, cb); });
    std::string how = "derived";
    if (!derived.ok()) {
      derived = Await<polymarket::ApiKeyCreds>([&](auto cb) { (*pub)->CreateApiKey(0, cb); });
      how = "created";
    }
    if (derived.ok()) {
      creds = signing::ApiCredentials(derived.value->api_key, derived.value->secret, derived.value->passphrase);
      seen.credentials = how + " (L1, nonce 0)";
    } else {
      seen.credentials =
          absl::UnauthenticatedError("neither derived nor created: " + Value(std::move(derived)).status().ToString());
    }
  }

  // Markets first: a token of the first one is what the conditional-tokens approval is asked for.
  {
    std::string gamma = opt.gamma_url.empty() ? opt.clob_url + "/gamma" : opt.gamma_url;
    for (const std::string& m : opt.markets) {
      MarketSeen ms;
      ms.configured = m;
      auto body = GetBody(io, gamma,
                          LooksLikeTokenId(m) ? "/markets?clob_token_ids=" + clob::UrlEncode(m)
                                              : "/markets?slug=" + clob::UrlEncode(m));
      ms.found = body.ok() ? polymarket::ParseGammaMarkets(*body)
                           : absl::StatusOr<std::vector<polymarket::MarketMetadata>>(body.status());
      seen.markets.push_back(std::move(ms));
    }
  }
  std::string token;
  for (const MarketSeen& m : seen.markets) {
    if (m.found.ok() && !m.found->empty() && !m.found->front().token_ids.empty()) {
      token = m.found->front().token_ids.front();
      break;
    }
  }

  const bool have_credentials = seen.credentials.ok();
  if (have_credentials) {
    auto l2 = clob::ClobRestClient::Create(io, copts, &*key, &creds);
    if (l2.ok()) {
      auto& c = **l2;
      if (seen.server_time_s.ok()) {
        c.SetServerClockOffset(*seen.server_time_s * kNanosPerSecond - (seen.local_before + seen.local_after) / 2);
      }
      seen.ban_status = Value(Await<polymarket::BanStatus>([&](auto cb) { c.GetBanStatus(cb); }));
      seen.rate_tier = Value(Await<polymarket::RateTier>([&](auto cb) { c.GetRateLimitTier(cb); }));
      seen.collateral = Value(Await<polymarket::BalanceAllowance>(
          [&](auto cb) { c.GetBalanceAllowance("COLLATERAL", "", opt.signature_type, cb); }));
      if (token.empty()) {
        seen.conditional = absl::FailedPreconditionError("no configured market to ask for");
      } else {
        seen.conditional = Value(Await<polymarket::BalanceAllowance>(
            [&](auto cb) { c.GetBalanceAllowance("CONDITIONAL", token, opt.signature_type, cb); }));
      }
      if (opt.heartbeat) {
        const Nanos start = clock.MonotonicNanos();
        auto beat = Await<polymarket::HeartbeatResult>([&](auto cb) { c.PostHeartbeat("", cb); });
        seen.heartbeat_rtt = beat.ok() ? absl::StatusOr<Nanos>(clock.MonotonicNanos() - start)
                                       : absl::StatusOr<Nanos>(Value(std::move(beat)).status());
      }
      // Credentials are good when the exchange takes an L2 request signed with them (the
      // environment's may be stale or another wallet's).
      if (!seen.ban_status.ok()) {
        seen.credentials =
            absl::UnauthenticatedError(fmt::format("{}, but the exchange refused an L2 request with them ({})",
                                                   *seen.credentials, std::string(seen.ban_status.status().message())));
      }
    } else {
      seen.ban_status = l2.status();
      seen.rate_tier = l2.status();
    }
  }
  if (!have_credentials) {
    const absl::Status no = absl::FailedPreconditionError("no credentials");
    seen.ban_status = no;
    seen.rate_tier = no;
    seen.collateral = no;
    seen.conditional = no;
    if (opt.heartbeat) seen.heartbeat_rtt = absl::StatusOr<Nanos>(no);
  }

  Requirements need;
  need.max_clock_skew = opt.max_clock_skew;
  need.min_collateral_micros = opt.min_collateral_micros;
  need.order_size_micros = opt.order_size_micros;
  // The spenders of the order version the exchange reports (V2 until it says otherwise).
  const auto version =
      seen.version.ok() && *seen.version == 3 ? signing::OrderVersion::kV3 : signing::OrderVersion::kV2;
  need.spenders["exchange"] = signing::ExchangeFor(*contracts, version, false).ToChecksum();
  need.spenders["neg-risk-exchange"] = signing::ExchangeFor(*contracts, version, true).ToChecksum();

  const auto checks = Diagnose(seen, need);
  int failed = 0;
  for (const Check& c : checks) {
    failed += c.verdict == Verdict::kFail ? 1 : 0;
    std::printf("%s\n", (json ? FormatJson(c) : FormatLine(c)).c_str());
  }
  if (!json) std::printf("doctor: %zu checks, %d failed\n", checks.size(), failed);
  std::fflush(stdout);
  return failed > 0 ? 1 : 0;
}

}  // namespace clobmaker::doctor
