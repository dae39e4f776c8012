// `clobmakerctl doctor` (issue 25) against the simulator binary on run-time ports: healthy, every
// check passes and the exit code is 0; each failing state set through SimControl (blocked and
// close-only region, skewed clock, missing pUSD allowance and conditional-tokens approval, closed
// or not-accepting market, closed-only account) and each bad configuration (wrong wallet type,
// too little collateral, size below the market's minimum, unknown market, refused credentials)
// turns exactly its check red, with a fix, and the exit code to 1.
#include <csignal>

#include "common/net/http_client.h"
#include "common/net/io_thread.h"
#include "common/relayer/relayer.h"
#include "common/testing/eventually.h"
#include "common/wallet/wallet.h"
#include "integration_tests/support/stack_fixture.h"

namespace clobmaker {
namespace {

constexpr Nanos kSec = kNanosPerSecond;

struct DoctorRun {
  int exit_code = -1;
  std::string log;
  // The line of one check ("pass  geoblock ..."), empty if absent.
  std::string Line(const std::string& check) const {
    size_t pos = 0;
    while ((pos = log.find("  " + check + " ", pos)) != std::string::npos) {
      const size_t start = log.rfind('\n', pos) == std::string::npos ? 0 : log.rfind('\n', pos) + 1;
      const size_t end = log.find('\n', pos);
      std::string line = log.substr(start, end - start);
      if (line.find(check) < 8) return line;  // the name column follows the verdict
      pos = end;
    }
    return "";
  }
};

class DoctorProcessTest : public itest::StackTest {
 protected:
  void SetUp() override {
    StackTest::SetUp();
    // The slug the simulator gives its first market.
    slug_ = "sim-market-0";
    auto key = crypto::PrivateKey::FromHex(key_hex_);
    ASSERT_TRUE(key.ok());
    owner_ = key->address();
    deposit_wallet_ = wallet::DepositWalletOf(owner_, *wallet::FactoriesForChain(137)).ToChecksum();
  }

  // The relayer deploys the key's deposit wallet (WALLET-CREATE, as the simulator's test builder)
  // and answers /deployed true for it.
  void DeployWallet() {
    net::IoThread io;
    auto http = net::HttpClient::Create(io, {.base_url = clob_url_});
    ASSERT_TRUE(http.ok());
    const relayer::BuilderCredentials builder{"0190b317-0000-7000-8000-00000000b1d5",
                                              "Y2xvYm1ha2VyLXNpbXVsYXRvci1idWlsZGVyLWtleSE=", "sim-builder-passphrase"};
    const auto targets = *relayer::CallTargetsForChain(137);
    net::HttpRequest submit;
    submit.method = "POST";
    submit.target = "/submit";
    submit.body = relayer::EncodeSubmit(
        {.type = relayer::SubmitType::kWalletCreate, .from = owner_, .to = targets.deposit_wallet_factory});
    submit.headers =
        relayer::BuilderHeaders(builder, SystemClock::Instance().WallNanos() / kSec, "POST", "/submit", submit.body);
    auto r = (*http)->SendSync(std::move(submit), 5 * kSec);
    ASSERT_TRUE(r.response && r.response->status == 200) << r.error << (r.response ? r.response->body : "");
    ASSERT_TRUE(testing::Eventually(
        [&] {
          net::HttpRequest ask;
          ask.target = "/deployed?address=" + deposit_wallet_ + "&type=WALLET";
          auto a = (*http)->SendSync(std::move(ask), 5 * kSec);
          return a.response && a.response->body.find("true") != std::string::npos;
        },
        std::chrono::seconds(10), std::chrono::milliseconds(50)));
  }

  std::vector<std::string> BaseArgs() const {
    return {"doctor",  "--clob-url",       clob_url_, "--geoblock-url", clob_url_,     "--key-file",
            key_file_, "--market",         slug_,     "--order-size",   "5",           "--min-collateral",
            "100",     "--signature-type", "3",       "--funder",       deposit_wallet_};
  }

  DoctorRun Run(std::vector<std::string> args, std::vector<std::string> env = {}) {
    itest::ChildProcess ctl(testing::BinDir() + "/clobmakerctl", std::move(args), std::move(env));
    DoctorRun run;
    EXPECT_TRUE(ctl.Start().ok());
    // Bounded wait for the process to finish on its own (it asks each endpoint once).
    EXPECT_TRUE(
        testing::Eventually([&] { return !ctl.running(); }, std::chrono::seconds(60), std::chrono::milliseconds(20)))
        << ctl.log();
    auto code = ctl.Stop(SIGKILL, 5 * kSec);
    run.exit_code = code.ok() ? *code : -1;
    run.log = ctl.log();
    return run;
  }

  void SetPreflight(const std::function<void(sim::v1::SetPreflightRequest&)>& fill) {
    grpc::ClientContext ctx;
    sim::v1::SetPreflightRequest req;
    fill(req);
    sim::v1::SetPreflightResponse resp;
    ASSERT_TRUE(control_->SetPreflight(&ctx, req, &resp).ok());
  }

  // Runs the doctor and expects exactly `check` (and those named in `also`) to fail, with a fix.
  void ExpectOnlyFailure(const std::string& check, std::vector<std::string> args = {},
                         std::vector<std::string> env = {}, std::vector<std::string> also = {}) {
    if (args.empty()) args = BaseArgs();
    const DoctorRun run = Run(args, env);
    EXPECT_EQ(run.exit_code, 1) << run.log;
    const std::string line = run.Line(check);
    EXPECT_NE(line.find("FAIL"), std::string::npos) << check << " in\n" << run.log;
    EXPECT_NE(line.find("-- fix: "), std::string::npos) << line;
    also.push_back(check);
    size_t failed = 0;
    for (size_t pos = 0; (pos = run.log.find("FAIL  ", pos)) != std::string::npos; ++pos) ++failed;
    EXPECT_EQ(failed, also.size()) << "only " << check << " should fail:\n" << run.log;
  }

  std::string slug_;
  crypto::Address owner_;
  std::string deposit_wallet_;  // the key's (beacon) deposit wallet
};

TEST_F(DoctorProcessTest, HealthyPassesEveryCheckAndExitsZero) {
  DeployWallet();
  const DoctorRun run = Run(BaseArgs());
  EXPECT_EQ(run.exit_code, 0) << run.log;
  for (const std::string& check : std::vector<std::string>{
           "geoblock", "clock", "version", "credentials", "closed-only", "rate-tier", "wallet", "collateral",
           "allowance:exchange", "allowance:neg-risk-exchange", "ctf-approval:exchange",
           "ctf-approval:neg-risk-exchange", "market:" + slug_, "heartbeat"}) {
    EXPECT_EQ(run.Line(check).substr(0, 4), "pass") << check << " in\n" << run.log;
  }
  EXPECT_EQ(run.Line("deposit-wallet").substr(0, 4), "pass") << run.log;
  EXPECT_NE(run.Line("rate-tier").find("Standard"), std::string::npos) << run.log;
  EXPECT_NE(run.log.find("doctor: "), std::string::npos);
  EXPECT_EQ(run.log.find(key_hex_), std::string::npos) << "never the key";

  // --json: one object per check, the same verdicts.
  auto args = BaseArgs();
  args.insert(args.begin(), "--json");
  const DoctorRun json = Run(args);
  EXPECT_EQ(json.exit_code, 0) << json.log;
  EXPECT_NE(json.log.find(R"({"check":"geoblock","result":"pass","ok":true)"), std::string::npos) << json.log;
  EXPECT_NE(json.log.find(R"({"check":"heartbeat","result":"pass","ok":true)"), std::string::npos) << json.log;
}

TEST_F(DoctorProcessTest, BlockedAndCloseOnlyRegionsFailTheGeoblockCheck) {
  SetPreflight([](auto& r) {
    r.set_geo_blocked(true);
    r.set_geo_country("US");
    r.set_geo_region("NY");
  });
  ExpectOnlyFailure("geoblock");
  SetPreflight([](auto& r) { r.set_geo_country("PL"); });  // close-only: not "blocked", still no quoting
  ExpectOnlyFailure("geoblock");
  SetPreflight([](auto&) {});
  EXPECT_EQ(Run(BaseArgs()).exit_code, 0);
}

TEST_F(DoctorProcessTest, ASkewedClockFailsTheClockCheckOnly) {
  SetPreflight([](auto& r) { r.set_clock_skew_ms(10'000); });
  ExpectOnlyFailure("clock");
  SetPreflight([](auto& r) { r.set_clock_skew_ms(-10'000); });
  ExpectOnlyFailure("clock");
  auto args = BaseArgs();  // within a wider allowance it passes
  args.insert(args.end(), {"--max-clock-skew-ms", "15000"});
  EXPECT_EQ(Run(args).exit_code, 0);
}

TEST_F(DoctorProcessTest, AnOrderVersionClobmakerDoesNotSignFailsTheVersionCheck) {
  {
    grpc::ClientContext ctx;
    sim::v1::SetOrderVersionRequest req;
    req.set_version(1);
    sim::v1::SetOrderVersionResponse resp;
    ASSERT_TRUE(control_->SetOrderVersion(&ctx, req, &resp).ok());
  }
  ExpectOnlyFailure("version");
  {
    grpc::ClientContext ctx;
    sim::v1::SetOrderVersionRequest req;
    req.set_version(3);  // V3: signed too, and its spenders are the ones asked for
    sim::v1::SetOrderVersionResponse resp;
    ASSERT_TRUE(control_->SetOrderVersion(&ctx, req, &resp).ok());
  }
  const DoctorRun run = Run(BaseArgs());
  EXPECT_EQ(run.exit_code, 0) << run.log;
  EXPECT_NE(run.Line("version").find("order version 3"), std::string::npos) << run.log;
}

TEST_F(DoctorProcessTest, MissingAllowancesAndApprovalsFailTheirSpendersChecks) {
  SetPreflight([](auto& r) { r.add_revoked_approvals("COLLATERAL:exchange"); });
  ExpectOnlyFailure("allowance:exchange");
  SetPreflight([](auto& r) { r.add_revoked_approvals("COLLATERAL:neg_risk_exchange"); });
  ExpectOnlyFailure("allowance:neg-risk-exchange");
  SetPreflight([](auto& r) { r.add_revoked_approvals("CONDITIONAL:exchange"); });
  ExpectOnlyFailure("ctf-approval:exchange");
  SetPreflight([](auto& r) { r.add_revoked_approvals("CONDITIONAL:neg_risk_exchange"); });
  ExpectOnlyFailure("ctf-approval:neg-risk-exchange");
}

TEST_F(DoctorProcessTest, ClosedOrNotAcceptingMarketsFailTheirMarketCheck) {
  const std::string condition = market_.condition_id();
  SetPreflight([&](auto& r) { r.add_closed_markets(condition); });
  ExpectOnlyFailure("market:" + slug_);
  SetPreflight([&](auto& r) { r.add_not_accepting_markets(condition); });
  ExpectOnlyFailure("market:" + slug_);
  SetPreflight([](auto&) {});
  auto args = BaseArgs();
  args.insert(args.end(), {"--market", "no-such-market"});
  ExpectOnlyFailure("market:no-such-market", args);
  args = BaseArgs();
  args[std::find(args.begin(), args.end(), "--order-size") - args.begin() + 1] = "4";  // minimum is 5
  ExpectOnlyFailure("market:" + slug_, args);
}

TEST_F(DoctorProcessTest, AccountStandingWalletAndCollateral) {
  {
    grpc::ClientContext ctx;
    sim::v1::SetClosedOnlyRequest req;
    req.set_address(address_);
    req.set_closed_only(true);
    sim::v1::SetClosedOnlyResponse resp;
    ASSERT_TRUE(control_->SetClosedOnly(&ctx, req, &resp).ok());
  }
  ExpectOnlyFailure("closed-only");
  {
    grpc::ClientContext ctx;
    sim::v1::SetClosedOnlyRequest req;
    req.set_address(address_);
    req.set_closed_only(false);
    sim::v1::SetClosedOnlyResponse resp;
    ASSERT_TRUE(control_->SetClosedOnly(&ctx, req, &resp).ok());
  }
  auto args = BaseArgs();
  args.resize(args.size() - 2);  // a deposit wallet without its address: the signer is no maker
  ExpectOnlyFailure("wallet", args);
  args = BaseArgs();
  args[std::find(args.begin(), args.end(), "--min-collateral") - args.begin() + 1] = "20000";  // 10,000 held
  ExpectOnlyFailure("collateral", args);  // the allowances are unlimited: they cover it

  // The rate tier is the exchange's (SimControl), not assumed.
  {
    grpc::ClientContext ctx;
    sim::v1::SetRateTierRequest req;
    req.set_address(address_);
    req.set_tier("Gold");
    sim::v1::SetRateTierResponse resp;
    ASSERT_TRUE(control_->SetRateTier(&ctx, req, &resp).ok());
  }
  const DoctorRun run = Run(BaseArgs());
  EXPECT_EQ(run.exit_code, 0) << run.log;
  EXPECT_NE(run.Line("rate-tier").find("Gold"), std::string::npos) << run.log;
}

// The live configuration file gives the doctor the same settings; a flag overrides it; a key file
// others can read is refused (exit 2, nothing asked).
TEST_F(DoctorProcessTest, TheLiveConfigFileDrivesTheDoctorAndAKeyFileOthersCanReadIsRefused) {
  const std::string config = (dir_ / "live.yaml").string();
  {
    std::ofstream out(config);
    out << "endpoints:\n  clob: " << clob_url_ << "\n  gamma: " << clob_url_ << "/gamma\n  geoblock: " << clob_url_
        << "\nwallet:\n  signature_type: 3\n  funder: \"" << deposit_wallet_ << "\"\n  key_file: " << key_file_
        << "\nmarkets:\n  - " << slug_ << "\nrisk:\n  order_size: 5\n  min_collateral: 100\n";
  }
  DoctorRun run = Run({"doctor", "--config", config});
  EXPECT_EQ(run.exit_code, 0) << run.log;
  EXPECT_EQ(run.Line("market:" + slug_).substr(0, 4), "pass") << run.log;
  run = Run({"doctor", "--config", config, "--order-size", "4"});  // the flag wins: below the minimum
  EXPECT_EQ(run.exit_code, 1) << run.log;
  EXPECT_EQ(run.Line("market:" + slug_).substr(0, 4), "FAIL") << run.log;

  chmod(key_file_.c_str(), 0644);
  run = Run({"doctor", "--config", config});
  chmod(key_file_.c_str(), 0600);
  EXPECT_EQ(run.exit_code, 2) << run.log;
  EXPECT_EQ(run.log.find("pass "), std::string::npos) << "nothing checked with a loose key file:\n" << run.log;
  EXPECT_EQ(run.log.find(key_hex_), std::string::npos);
}

TEST_F(DoctorProcessTest, RefusedCredentialsFailAndNothingSignedWithThemPasses) {
  ExpectOnlyFailure("credentials", {},
                    {"CLOBMAKER_API_KEY=00000000-0000-0000-0000-000000000000", "CLOBMAKER_API_SECRET=c2VjcmV0",
                     "CLOBMAKER_API_PASSPHRASE=nope"},
                    {"closed-only", "rate-tier", "collateral", "allowance:exchange", "allowance:neg-risk-exchange",
                     "ctf-approval:exchange", "ctf-approval:neg-risk-exchange", "heartbeat"});
}

// A deposit wallet the relayer has not deployed warns (positions deploys it); a funder that is not
// the key's wallet of the type fails the wallet check (the exchange's signature check would).
TEST_F(DoctorProcessTest, AnUndeployedDepositWalletWarnsAndAFunderNotTheKeysFails) {
  DoctorRun run = Run(BaseArgs());
  EXPECT_EQ(run.exit_code, 0) << run.log;
  EXPECT_EQ(run.Line("deposit-wallet").substr(0, 4), "warn") << run.log;
  EXPECT_NE(run.Line("deposit-wallet").find("not deployed"), std::string::npos) << run.log;
  auto args = BaseArgs();
  args.back() = "0x00000000000000000000000000000000000d0d01";
  ExpectOnlyFailure("wallet", args, {}, {});
  DeployWallet();
  run = Run(BaseArgs());
  EXPECT_EQ(run.Line("deposit-wallet").substr(0, 4), "pass") << run.log;
}

}  // namespace
}  // namespace clobmaker
