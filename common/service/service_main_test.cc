// ServiceMain end to end in process: exit codes, messages that name the flag, variable or file at
// fault (never the key), and the signal policy.
#include "common/service/service_main.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <vector>

namespace clobmaker::service {
namespace {

constexpr char kKeyHex[] = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";

class Trivial final : public HostedService {
 public:
  enum class Then { kServeAndSignal, kExitWithError, kFailStart };
  Trivial(Host& host, Then then) : host_(host), then_(then) {}
  absl::Status Start() override {
    switch (then_) {
      case Then::kFailStart:
        return absl::UnavailableError("cannot start");
      case Then::kExitWithError:
        host_.Exit(absl::AbortedError("lease lost"));
        return absl::OkStatus();
      case Then::kServeAndSignal:
        break;
    }
    if (auto served = host_.ServeAdmin(); !served.ok()) return served;
    kill(getpid(), SIGTERM);  // the loop thread blocks it: the watcher takes it
    return absl::OkStatus();
  }
  void Stop(std::function<void()> done) override {
    stopped = true;
    done();
  }
  static inline bool stopped = false;

 private:
  Host& host_;
  Then then_;
};

struct Outcome {
  int code = -1;
  std::string err;
};

std::optional<wallet::Account> g_account;  // what the last run's service was created with

Outcome RunMain(std::vector<std::string> args, KeyUse key = KeyUse::kNone,
                Trivial::Then then = Trivial::Then::kServeAndSignal, absl::Status configure = absl::OkStatus(),
                bool with_wallet = false) {
  ServiceMain main(
      {.name = "svc", .summary = "a test service", .bus = false, .clob = false, .key = key, .wallet = with_wallet});
  g_account.reset();
  args.insert(args.begin(), "svc");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  ::testing::internal::CaptureStderr();
  Outcome out;
  out.code =
      main.Run(static_cast<int>(argv.size()), argv.data(),
               {.configure = [&](const CommonConfig&) { return configure; },
                .create = [&](Host& host, const Startup& startup) -> absl::StatusOr<std::unique_ptr<HostedService>> {
                  if (startup.account != nullptr) g_account = *startup.account;
                  return std::make_unique<Trivial>(host, then);
                }});
  out.err = ::testing::internal::GetCapturedStderr();
  return out;
}

TEST(ServiceMain, BadValuesExitTwoNamingTheFlagOrVariable) {
  Outcome bad_listen = RunMain({"--metrics-listen", "nope"});
  EXPECT_EQ(bad_listen.code, kExitBadConfig);
  EXPECT_NE(bad_listen.err.find("svc: --metrics-listen: 'nope' is not host:port"), std::string::npos) << bad_listen.err;

  setenv("CLOBMAKER_LOG_LEVEL", "loud", 1);
  Outcome bad_env = RunMain({});
  unsetenv("CLOBMAKER_LOG_LEVEL");
  EXPECT_EQ(bad_env.code, kExitBadConfig);
  EXPECT_NE(bad_env.err.find("svc: CLOBMAKER_LOG_LEVEL: 'loud'"), std::string::npos) << bad_env.err;

  Outcome unknown = RunMain({"--no-such-flag"});
  EXPECT_EQ(unknown.code, kExitBadConfig);
  EXPECT_NE(unknown.err.find("--no-such-flag"), std::string::npos) << unknown.err;

  Outcome own =
      RunMain({}, KeyUse::kNone, Trivial::Then::kServeAndSignal, absl::InvalidArgumentError("--post-rate: too fast"));
  EXPECT_EQ(own.code, kExitBadConfig);
  EXPECT_NE(own.err.find("svc: --post-rate: too fast"), std::string::npos);
}

TEST(ServiceMain, AKeyFileOthersCanReadExitsTwoAndTheKeyIsNeverPrinted) {
  const std::string path = ::testing::TempDir() + "/service-main-key";
  { std::ofstream(path) << kKeyHex << "\n"; }
  chmod(path.c_str(), 0644);
  Outcome loose = RunMain({"--key-file", path}, KeyUse::kRequired);
  EXPECT_EQ(loose.code, kExitBadConfig);
  EXPECT_NE(loose.err.find("svc: wallet key:"), std::string::npos) << loose.err;
  EXPECT_NE(loose.err.find("chmod 600 " + path), std::string::npos) << loose.err;
  EXPECT_EQ(loose.err.find(kKeyHex), std::string::npos);

  unsetenv("CLOBMAKER_SERVICE_MAIN_TEST_KEY");
  Outcome missing = RunMain({"--key-env", "CLOBMAKER_SERVICE_MAIN_TEST_KEY"}, KeyUse::kRequired);
  EXPECT_EQ(missing.code, kExitBadConfig);
  EXPECT_NE(missing.err.find("CLOBMAKER_SERVICE_MAIN_TEST_KEY is not set"), std::string::npos) << missing.err;
  std::remove(path.c_str());
}

TEST(ServiceMain, TheWalletIsResolvedAgainstTheKeyAndABadFunderExitsTwoNamingTheFlag) {
  const std::string path = ::testing::TempDir() + "/service-main-wallet-key";
  { std::ofstream(path) << kKeyHex << "\n"; }
  chmod(path.c_str(), 0600);
  auto owner = crypto::PrivateKey::FromHex(kKeyHex)->address();
  const wallet::Account deposit = *wallet::ResolveAccount(wallet::SignatureType::kPoly1271, owner, "", 137);
  Outcome run = RunMain({"--key-file", path, "--wallet", "POLY_1271"}, KeyUse::kRequired,
                        Trivial::Then::kServeAndSignal, absl::OkStatus(), /*with_wallet=*/true);
  EXPECT_EQ(run.code, kExitStopped) << run.err;
  ASSERT_TRUE(g_account.has_value());
  EXPECT_EQ(g_account->type, wallet::SignatureType::kPoly1271);
  EXPECT_EQ(g_account->funder, deposit.funder);

  setenv("CLOBMAKER_WALLET", "POLY_1271", 1);
  Outcome eoa_funder = RunMain({"--key-file", path, "--funder", owner.ToChecksum()}, KeyUse::kRequired,
                               Trivial::Then::kServeAndSignal, absl::OkStatus(), /*with_wallet=*/true);
  Outcome flag_wins = RunMain({"--key-file", path, "--wallet", "EOA", "--funder", owner.ToChecksum()},
                              KeyUse::kRequired, Trivial::Then::kServeAndSignal, absl::OkStatus(), true);
  unsetenv("CLOBMAKER_WALLET");
  EXPECT_EQ(eoa_funder.code, kExitBadConfig);
  EXPECT_NE(eoa_funder.err.find("svc: --funder " + owner.ToChecksum() + " is not a POLY_1271 wallet"),
            std::string::npos)
      << eoa_funder.err;
  EXPECT_EQ(flag_wins.code, kExitStopped) << flag_wins.err;
  ASSERT_TRUE(g_account.has_value());
  EXPECT_EQ(g_account->funder, owner);
  std::remove(path.c_str());
}

TEST(ServiceMain, SigtermStopsInOrderAndExitsZero) {
  Trivial::stopped = false;
  Outcome run = RunMain({});
  EXPECT_EQ(run.code, kExitStopped) << run.err;
  EXPECT_TRUE(Trivial::stopped) << "SIGTERM runs the service's ordered Stop";
  // Started with SIGTERM ignored (as a shell's background command starts with SIGINT ignored):
  // the signal still stops it.
  Trivial::stopped = false;
  std::signal(SIGTERM, SIG_IGN);
  Outcome ignored = RunMain({});
  std::signal(SIGTERM, SIG_DFL);
  EXPECT_EQ(ignored.code, kExitStopped) << ignored.err;
  EXPECT_TRUE(Trivial::stopped);
}

TEST(ServiceMain, StartFailureExitsOneAndARuntimeFailureThree) {
  Outcome start = RunMain({}, KeyUse::kNone, Trivial::Then::kFailStart);
  EXPECT_EQ(start.code, kExitStartFailed);
  EXPECT_NE(start.err.find("svc: cannot start"), std::string::npos) << start.err;
  EXPECT_EQ(RunMain({}, KeyUse::kNone, Trivial::Then::kExitWithError).code, kExitFailed);
}

TEST(ServiceMain, HelpExitsZeroAndListsTheSharedFlags) {
  ::testing::internal::CaptureStdout();
  Outcome help = RunMain({"--help"}, KeyUse::kRequired);
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(help.code, kExitStopped);
  for (const char* flag : {"--admin-listen", "--admin-token-file", "--metrics-listen", "--key-file", "--key-env",
                           "--log-format", "--log-level"}) {
    EXPECT_NE(out.find(flag), std::string::npos) << flag;
  }
  EXPECT_EQ(out.find("--nats"), std::string::npos) << "a service without a bus has no --nats";
}

}  // namespace
}  // namespace clobmaker::service
