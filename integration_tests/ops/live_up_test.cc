// scripts/up --live (issue 25) against the simulator's endpoints named in a live configuration
// file, on ports and a run directory of its own:
//  - with --dry-run the whole stack starts (no simulator of its own: the file's endpoints), the
//    doctor passes first, execution signs and logs orders, and nothing ever reaches the exchange
//    (the simulator's truth API: no order placed, none refused) — during the run and after it;
//  - a failing doctor check (a blocked region) stops scripts/up before anything starts.
#include <csignal>

#include "common/testing/eventually.h"
#include "integration_tests/support/stack_fixture.h"

namespace clobmaker {
namespace {

constexpr Nanos kSec = kNanosPerSecond;

class LiveUpTest : public itest::StackTest {
 protected:
  // Three markets, of which the configuration names one.
  std::vector<std::string> SimArgs() const override {
    return {"--listen", "127.0.0.1:0", "--grpc-listen", "127.0.0.1:0", "--markets", "3", "--no-flow", "--seed", "7"};
  }

  // The file an operator writes, pointed at the simulator.
  std::string WriteLiveConfig() {
    const std::string path = (dir_ / "live.yaml").string();
    const std::string ws = "ws" + clob_url_.substr(4);  // http://h:p -> ws://h:p
    std::ofstream out(path);
    out << "endpoints:\n"
        << "  clob: " << clob_url_ << "\n"
        << "  market_ws: " << ws << "/ws/market\n"
        << "  user_ws: " << ws << "/ws/user\n"
        << "  gamma: " << clob_url_ << "/gamma\n"
        << "  geoblock: " << clob_url_ << "\n"
        << "  rpc: " << clob_url_ << "/rpc\n"
        << "wallet:\n"
        << "  chain_id: 137\n"
        << "  signature_type: 0\n"
        << "  key_file: " << key_file_ << "\n"
        << "markets:\n"
        << "  - " << market_.slug() << "\n"
        << "risk:\n"
        << "  order_size: 10\n"
        << "  min_collateral: 1\n";
    return path;
  }

  struct UpRun {
    int exit_code = -1;
    std::string log;
  };
  UpRun RunUp(const std::vector<std::string>& args) {
    const int base = 31'000 + static_cast<int>(getpid() % 300) * 27;  // scripts/up uses base .. base + 26
    std::vector<std::string> argv = {std::string(CLOBMAKER_SOURCE_DIR) + "/scripts/up"};
    argv.insert(argv.end(), args.begin(), args.end());
    const std::string build_dir = std::filesystem::path(testing::BinDir()).parent_path().string();
    itest::ChildProcess up(
        "/bin/bash", argv,
        {"CLOBMAKER_UP_SKIP_BUILD=1", "CLOBMAKER_BUILD_DIR=" + build_dir, "CLOBMAKER_PORT_BASE=" + std::to_string(base),
         "CLOBMAKER_RUN_DIR=" + (dir_ / "run").string()});
    UpRun run;
    EXPECT_TRUE(up.Start().ok());
    // scripts/up ends on its own (--for, or the doctor's refusal); bounded by every start-up bound.
    EXPECT_TRUE(
        testing::Eventually([&] { return !up.running(); }, std::chrono::seconds(240), std::chrono::milliseconds(50)))
        << up.log();
    auto code = up.Stop(SIGTERM, 60 * kSec);
    run.exit_code = code.ok() ? *code : -1;
    run.log = up.log();
    return run;
  }

  // Every order the simulator ever saw from our wallet (closed ones too).
  int EverPlaced() {
    grpc::ClientContext ctx;
    sim::v1::OpenOrdersRequest req;
    req.set_address(address_);
    req.set_include_closed(true);
    sim::v1::OpenOrdersResponse resp;
    EXPECT_TRUE(truth_->OpenOrders(&ctx, req, &resp).ok());
    return resp.orders_size();
  }
  int64_t Refused() {
    grpc::ClientContext ctx;
    sim::v1::RefusalsRequest req;
    req.set_address(address_);
    sim::v1::RefusalsResponse resp;
    EXPECT_TRUE(truth_->Refusals(&ctx, req, &resp).ok());
    int64_t n = 0;
    for (const auto& [error, count] : resp.by_error()) n += count;
    return n;
  }
};

TEST_F(LiveUpTest, DryRunAgainstTheConfiguredEndpointsPostsNothing) {
  const std::string config = WriteLiveConfig();
  const UpRun run = RunUp({"--live", "--dry-run", "--config", config, "--for", "8"});
  ASSERT_EQ(run.exit_code, 0) << run.log;
  EXPECT_NE(run.log.find("doctor: "), std::string::npos) << "the doctor ran first:\n" << run.log;
  EXPECT_EQ(run.log.find("up: simexchange on"), std::string::npos) << "no simulator of its own:\n" << run.log;
  EXPECT_NE(run.log.find("execution ready in DRY-RUN"), std::string::npos) << run.log;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(run.log, m, std::regex(R"(up: DRY-RUN: ([0-9]+) orders signed and logged)")))
      << run.log;
  EXPECT_GT(std::stoi(m[1]), 0);
  ASSERT_TRUE(std::regex_search(run.log, m, std::regex(R"(up: summary .* mode=live-dry-run dry_run_orders=([0-9]+))")))
      << run.log;
  EXPECT_GT(std::stoi(m[1]), 0) << "orders were signed and logged";
  // The file's wallet.signature_type 0, by name (scripts/up's default, POLY_1271, is not used live).
  EXPECT_TRUE(std::regex_search(run.log, std::regex(R"(up: summary [^\n]*\bwallet=EOA\b)"))) << run.log;
  // Where it lands: the exchange never saw an order of ours, nor refused one.
  EXPECT_EQ(EverPlaced(), 0);
  EXPECT_EQ(Refused(), 0);
  EXPECT_EQ(run.log.find(key_hex_), std::string::npos) << "never the key";
  // marketdata resolved the configured market and no other of the simulator's three.
  std::ifstream md_now(dir_ / "run" / "marketdata" / "marketdata.log");
  std::stringstream md;
  md << md_now.rdbuf();
  int resolved = 0;
  for (size_t pos = 0; (pos = md.str().find("marketdata: market 0x", pos)) != std::string::npos; ++pos) ++resolved;
  EXPECT_EQ(resolved, 1) << md.str();
  EXPECT_NE(md.str().find("(" + market_.slug() + ")"), std::string::npos) << md.str();
}

TEST_F(LiveUpTest, AFailingDoctorCheckStartsNothing) {
  {
    grpc::ClientContext ctx;
    sim::v1::SetPreflightRequest req;
    req.set_geo_blocked(true);
    req.set_geo_country("US");
    sim::v1::SetPreflightResponse resp;
    ASSERT_TRUE(control_->SetPreflight(&ctx, req, &resp).ok());
  }
  const std::string config = WriteLiveConfig();
  const UpRun run = RunUp({"--live", "--dry-run", "--config", config, "--for", "8"});
  EXPECT_EQ(run.exit_code, 1) << run.log;
  EXPECT_NE(run.log.find("FAIL  geoblock"), std::string::npos) << run.log;
  EXPECT_NE(run.log.find("nothing was started"), std::string::npos) << run.log;
  EXPECT_EQ(run.log.find("up: nats-server"), std::string::npos) << run.log;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "run" / "execution" / "execution.log"));
  EXPECT_EQ(EverPlaced(), 0);
}

TEST_F(LiveUpTest, ABadLiveConfigurationIsRefusedBeforeAnything) {
  const std::string path = (dir_ / "bad.yaml").string();
  {
    std::ofstream out(path);
    out << "endpoints: {clob: 'http://x; touch /tmp/pwned'}\nmarkets: [m]\nwallet: {key_env: K}\n";
  }
  const UpRun run = RunUp({"--live", "--config", path, "--for", "5"});
  EXPECT_EQ(run.exit_code, 2) << run.log;
  EXPECT_NE(run.log.find("endpoints.clob"), std::string::npos) << run.log;
  EXPECT_NE(run.log.find("nothing was started"), std::string::npos) << run.log;
}

}  // namespace
}  // namespace clobmaker
