#include "services/clobmakerctl/doctor/doctor.h"

#include <gtest/gtest.h>

namespace clobmaker::doctor {
namespace {

constexpr char kExchange[] = "0xE111180000d2663C0091e4f400237545B87B996B";
constexpr char kNegRisk[] = "0xe2222d279d744050d28e00520010520000310F59";
constexpr char kMax[] = "115792089237316195423570985008687907853269984665640564039457584007913129639935";

// Everything healthy: a deposit wallet in Ireland, one open market, every spender approved.
Observations Healthy() {
  Observations o;
  o.geoblock = polymarket::Geoblock{false, "127.0.0.1", "IE", "L"};
  o.local_before = 1'000 * kNanosPerSecond;
  o.local_after = 1'000 * kNanosPerSecond + 40 * kNanosPerMilli;
  o.server_time_s = 1'000;
  o.version = 2;
  o.credentials = std::string("derived");
  o.rate_tier = polymarket::RateTier::kStandard;
  o.ban_status = polymarket::BanStatus{false};
  o.signature_type = 3;
  o.signer = "0x1111111111111111111111111111111111111111";
  o.funder = "0x2222222222222222222222222222222222222222";
  o.funder_is_owners_wallet = true;
  o.wallet_deployed = true;
  polymarket::BalanceAllowance b;
  b.balance = 500 * 1'000'000;
  b.allowances = {{kExchange, kMax}, {kNegRisk, kMax}};
  o.collateral = b;
  o.conditional = b;
  polymarket::MarketMetadata md;
  md.condition_id = "0xabc";
  md.active = true;
  md.accepting_orders = true;
  md.min_order_size = model::Size::FromWhole(5);
  o.markets.push_back({"sim-market-0", std::vector{md}});
  o.heartbeat_rtt = absl::StatusOr<Nanos>(12 * kNanosPerMilli);
  return o;
}

Requirements Need() {
  Requirements r;
  r.min_collateral_micros = 100 * 1'000'000;
  r.order_size_micros = 5 * 1'000'000;
  r.spenders = {{"exchange", kExchange}, {"neg-risk-exchange", kNegRisk}};
  return r;
}

const Check& Find(const std::vector<Check>& checks, const std::string& name) {
  for (const Check& c : checks) {
    if (c.name == name) return c;
  }
  static const Check missing{"<missing>", Verdict::kSkip, "", ""};
  ADD_FAILURE() << "no check " << name;
  return missing;
}

TEST(Doctor, HealthyPassesEveryCheckAndSaysWhatItCouldNotCheck) {
  const auto checks = Diagnose(Healthy(), Need());
  EXPECT_FALSE(AnyFailed(checks));
  for (const Check& c : checks) EXPECT_EQ(c.verdict, Verdict::kPass) << FormatLine(c);
  EXPECT_EQ(Find(checks, "allowance:exchange").verdict, Verdict::kPass);
  EXPECT_EQ(Find(checks, "ctf-approval:neg-risk-exchange").verdict, Verdict::kPass);
}

TEST(Doctor, BlockedAndCloseOnlyRegionsFail) {
  auto o = Healthy();
  o.geoblock = polymarket::Geoblock{true, "203.0.113.42", "US", "NY"};
  auto c = Find(Diagnose(o, Need()), "geoblock");
  EXPECT_EQ(c.verdict, Verdict::kFail);
  EXPECT_NE(c.detail.find("US/NY"), std::string::npos) << c.detail;
  EXPECT_FALSE(c.fix.empty());
  o.geoblock = polymarket::Geoblock{false, "203.0.113.42", "PL", ""};  // close-only, not "blocked"
  c = Find(Diagnose(o, Need()), "geoblock");
  EXPECT_EQ(c.verdict, Verdict::kFail);
  EXPECT_NE(c.detail.find("close-only"), std::string::npos);
  o.geoblock = absl::UnavailableError("connection refused");  // no answer is not a pass
  EXPECT_EQ(Find(Diagnose(o, Need()), "geoblock").verdict, Verdict::kFail);
}

TEST(Doctor, ClockSkewBeyondTheLimitFailsEitherWay) {
  auto o = Healthy();
  o.server_time_s = 1'000 + 3;  // the exchange 3 s ahead
  EXPECT_EQ(Find(Diagnose(o, Need()), "clock").verdict, Verdict::kFail);
  o.server_time_s = 1'000 - 4;  // 3 s behind (the answer's second covers [996, 997))
  EXPECT_EQ(Find(Diagnose(o, Need()), "clock").verdict, Verdict::kFail);
  o.server_time_s = 1'000 - 2;  // 1 s behind: within 2 s
  EXPECT_EQ(Find(Diagnose(o, Need()), "clock").verdict, Verdict::kPass);
  o.server_time_s = 1'000 + 2;  // 2 s ahead minus the round trip: within 2 s
  EXPECT_EQ(Find(Diagnose(o, Need()), "clock").verdict, Verdict::kPass);
  o.server_time_s = absl::UnavailableError("timeout");
  EXPECT_EQ(Find(Diagnose(o, Need()), "clock").verdict, Verdict::kFail);
}

TEST(Doctor, VersionCredentialsTierAndClosedOnly) {
  auto o = Healthy();
  o.version = 4;
  EXPECT_EQ(Find(Diagnose(o, Need()), "version").verdict, Verdict::kFail);
  o = Healthy();
  o.credentials = absl::UnauthenticatedError("Invalid L1 Request headers");
  EXPECT_EQ(Find(Diagnose(o, Need()), "credentials").verdict, Verdict::kFail);
  o = Healthy();
  o.rate_tier = polymarket::RateTier::kGold;
  EXPECT_NE(Find(Diagnose(o, Need()), "rate-tier").detail.find("Gold: orders 400/s"), std::string::npos);
  o.rate_tier = absl::UnauthenticatedError("401");
  EXPECT_EQ(Find(Diagnose(o, Need()), "rate-tier").verdict, Verdict::kFail);
  o = Healthy();
  o.ban_status = polymarket::BanStatus{true};
  EXPECT_EQ(Find(Diagnose(o, Need()), "closed-only").verdict, Verdict::kFail);
}

TEST(Doctor, WalletTypeMustMatchTheMaker) {
  auto o = Healthy();
  o.funder = o.signer;  // a deposit wallet signing for itself: the wrong maker
  EXPECT_EQ(Find(Diagnose(o, Need()), "wallet").verdict, Verdict::kFail);
  o.funder.clear();
  EXPECT_EQ(Find(Diagnose(o, Need()), "wallet").verdict, Verdict::kFail);
  o.signature_type = 0;  // an EOA is its own maker: works for old accounts, warned
  EXPECT_EQ(Find(Diagnose(o, Need()), "wallet").verdict, Verdict::kWarn);
  o.funder = "0x3333333333333333333333333333333333333333";
  EXPECT_EQ(Find(Diagnose(o, Need()), "wallet").verdict, Verdict::kFail);
  o.signature_type = 7;
  EXPECT_EQ(Find(Diagnose(o, Need()), "wallet").verdict, Verdict::kFail);
}

TEST(Doctor, BalanceAllowancesAndApprovals) {
  auto o = Healthy();
  o.collateral->balance = 99 * 1'000'000;
  EXPECT_EQ(Find(Diagnose(o, Need()), "collateral").verdict, Verdict::kFail);

  o = Healthy();
  o.collateral->allowances[kNegRisk] = "0";
  auto checks = Diagnose(o, Need());
  EXPECT_EQ(Find(checks, "allowance:neg-risk-exchange").verdict, Verdict::kFail);
  EXPECT_NE(Find(checks, "allowance:neg-risk-exchange").fix.find(kNegRisk), std::string::npos);
  EXPECT_EQ(Find(checks, "allowance:exchange").verdict, Verdict::kPass);

  o = Healthy();
  o.collateral->allowances[kExchange] = "5000000";  // 5 pUSD approved, 100 needed
  EXPECT_EQ(Find(Diagnose(o, Need()), "allowance:exchange").verdict, Verdict::kFail);

  o = Healthy();
  o.conditional->allowances.erase(kExchange);  // no approval listed at all
  EXPECT_EQ(Find(Diagnose(o, Need()), "ctf-approval:exchange").verdict, Verdict::kFail);

  o = Healthy();  // spender addresses compare case-insensitively
  o.collateral->allowances = {{"0xe111180000d2663c0091e4f400237545b87b996b", kMax}, {kNegRisk, kMax}};
  EXPECT_EQ(Find(Diagnose(o, Need()), "allowance:exchange").verdict, Verdict::kPass);

  o = Healthy();
  o.collateral = absl::UnauthenticatedError("401");
  checks = Diagnose(o, Need());
  EXPECT_EQ(Find(checks, "collateral").verdict, Verdict::kFail);
  EXPECT_EQ(Find(checks, "allowance:exchange").verdict, Verdict::kFail);
}

TEST(Doctor, EveryConfiguredMarketMustBeOpenAndAcceptOurSize) {
  const auto market = [](Observations& o) -> polymarket::MarketMetadata& { return (*o.markets[0].found)[0]; };
  auto o = Healthy();
  market(o).closed = true;
  EXPECT_EQ(Find(Diagnose(o, Need()), "market:sim-market-0").verdict, Verdict::kFail);
  o = Healthy();
  market(o).accepting_orders = false;
  EXPECT_EQ(Find(Diagnose(o, Need()), "market:sim-market-0").verdict, Verdict::kFail);
  o = Healthy();
  market(o).min_order_size = model::Size::FromWhole(10);  // we quote 5
  EXPECT_EQ(Find(Diagnose(o, Need()), "market:sim-market-0").verdict, Verdict::kFail);
  o = Healthy();
  o.markets[0].found = std::vector<polymarket::MarketMetadata>{};
  EXPECT_EQ(Find(Diagnose(o, Need()), "market:sim-market-0").verdict, Verdict::kFail);
  o = Healthy();
  o.markets.clear();
  EXPECT_TRUE(AnyFailed(Diagnose(o, Need())));
}

TEST(Doctor, HeartbeatRoundTrip) {
  auto o = Healthy();
  o.heartbeat_rtt = absl::StatusOr<Nanos>(absl::UnauthenticatedError("401"));
  EXPECT_EQ(Find(Diagnose(o, Need()), "heartbeat").verdict, Verdict::kFail);
  o.heartbeat_rtt.reset();
  EXPECT_EQ(Find(Diagnose(o, Need()), "heartbeat").verdict, Verdict::kSkip);
}

TEST(Doctor, LinesAndJsonSayTheVerdictAndTheFix) {
  const Check c{"geoblock", Verdict::kFail, "blocked (\"US\")", "move"};
  EXPECT_EQ(FormatLine(c).substr(0, 4), "FAIL");
  EXPECT_NE(FormatLine(c).find("-- fix: move"), std::string::npos);
  EXPECT_EQ(FormatJson(c),
            R"j({"check":"geoblock","result":"fail","ok":false,"detail":"blocked (\"US\")","fix":"move"})j");
}

TEST(Doctor, ADepositWalletNotDeployedWarnsAndAnUnreachableRelayerFails) {
  auto o = Healthy();
  o.wallet_deployed = false;
  auto c = Find(Diagnose(o, Need()), "deposit-wallet");
  EXPECT_EQ(c.verdict, Verdict::kWarn);
  EXPECT_FALSE(c.fix.empty());
  o.wallet_deployed = absl::UnavailableError("connection refused");
  c = Find(Diagnose(o, Need()), "deposit-wallet");
  EXPECT_EQ(c.verdict, Verdict::kFail);
  EXPECT_NE(c.detail.find("connection refused"), std::string::npos) << c.detail;
  o.signature_type = 0;
  o.funder = "";
  EXPECT_EQ(Find(Diagnose(o, Need()), "deposit-wallet").verdict, Verdict::kSkip);
}

TEST(Doctor, AFunderThatIsNotTheSignersWalletFails) {
  auto o = Healthy();
  o.funder_is_owners_wallet = false;
  const auto c = Find(Diagnose(o, Need()), "wallet");
  EXPECT_EQ(c.verdict, Verdict::kFail);
  EXPECT_NE(c.detail.find("is not the"), std::string::npos) << c.detail;
  o.funder_is_owners_wallet = std::nullopt;  // not derivable here: not judged
  EXPECT_EQ(Find(Diagnose(o, Need()), "wallet").verdict, Verdict::kPass);
}

}  // namespace
}  // namespace clobmaker::doctor
