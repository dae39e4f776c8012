// execution signing with a deposit wallet's session key (issue 19, item 5; docs/session-keys.md),
// against the simulator binary: the owner authorizes the key with `clobmakerctl session-key`
// (through the simulator's relayer); execution, holding only the session key, quotes for the
// wallet (orders at the exchange's truth under the wallet, signed by the session key's API key);
// the owner revokes it: the exchange cancels the key's orders, execution reads the revocation on
// chain, says so, and signs nothing more — checked at the exchange's refusals after that event,
// not after a sleep. A key never authorized stops execution's start-up with the reason before
// anything reaches the exchange.
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

class SessionKeyProcessTest : public itest::StackTest {
 protected:
  void SetUp() override {
    StackTest::SetUp();
    if (HasFatalFailure()) return;
    // The fixture's key is the session key (what execution holds); the owner has its own.
    owner_file_ = (dir_ / "owner.key").string();
    {
      std::ofstream out(owner_file_);
      out << owner_hex_ << "\n";
    }
    chmod(owner_file_.c_str(), 0600);
    auto owner = crypto::PrivateKey::FromHex(owner_hex_);
    ASSERT_TRUE(owner.ok());
    owner_ = owner->address();
    wallet_ = wallet::DepositWalletOf(owner_, *wallet::FactoriesForChain(137)).ToLower();
    session_ = crypto::PrivateKey::FromHex(key_hex_)->address().ToChecksum();
    DeployWallet();
  }

  void DeployWallet() {
    net::IoThread io;
    auto http = net::HttpClient::Create(io, {.base_url = clob_url_});
    ASSERT_TRUE(http.ok());
    const auto targets = *relayer::CallTargetsForChain(137);
    net::HttpRequest submit;
    submit.method = "POST";
    submit.target = "/submit";
    submit.body = relayer::EncodeSubmit(
        {.type = relayer::SubmitType::kWalletCreate, .from = owner_, .to = targets.deposit_wallet_factory});
    submit.headers =
        relayer::BuilderHeaders({kBuilderKey, kBuilderSecret, kBuilderPassphrase},
                                SystemClock::Instance().WallNanos() / kSec, "POST", "/submit", submit.body);
    auto r = (*http)->SendSync(std::move(submit), 5 * kSec);
    ASSERT_TRUE(r.response && r.response->status == 200) << r.error << (r.response ? r.response->body : "");
    ASSERT_TRUE(testing::Eventually(
        [&] {
          net::HttpRequest ask;
          ask.target = "/deployed?address=" + wallet_ + "&type=WALLET";
          auto a = (*http)->SendSync(std::move(ask), 5 * kSec);
          return a.response && a.response->body.find("true") != std::string::npos;
        },
        std::chrono::seconds(20), std::chrono::milliseconds(50)));
  }

  struct CtlRun {
    int exit_code = -1;
    std::string log;
  };
  CtlRun SessionKeyCtl(std::vector<std::string> args) {
    args.insert(args.begin(), {"session-key"});
    for (const char* a : {"--key-file", owner_file_.c_str(), "--clob-url", clob_url_.c_str()}) args.emplace_back(a);
    itest::ChildProcess ctl(testing::BinDir() + "/clobmakerctl", std::move(args),
                            {std::string("CLOBMAKER_BUILDER_API_KEY=") + kBuilderKey,
                             std::string("CLOBMAKER_BUILDER_SECRET=") + kBuilderSecret,
                             std::string("CLOBMAKER_BUILDER_PASSPHRASE=") + kBuilderPassphrase});
    CtlRun run;
    EXPECT_TRUE(ctl.Start().ok());
    EXPECT_TRUE(
        testing::Eventually([&] { return !ctl.running(); }, std::chrono::seconds(90), std::chrono::milliseconds(20)))
        << ctl.log();
    auto code = ctl.Stop(SIGKILL, 5 * kSec);
    run.exit_code = code.ok() ? *code : -1;
    run.log = ctl.log();
    return run;
  }

  std::vector<std::string> SessionArgs(const std::string& instance) const {
    return {"--instance", instance,   "--lease-ttl-ms", "2000",          "--wallet",
            "POLY_1271",  "--funder", wallet_,          "--session-key", "--session-check-interval-s",
            "1"};
  }
  std::vector<sim::v1::TruthOrder> Orders(const std::string& address, bool include_closed) {
    grpc::ClientContext ctx;
    sim::v1::OpenOrdersRequest req;
    req.set_address(address);
    req.set_include_closed(include_closed);
    sim::v1::OpenOrdersResponse resp;
    EXPECT_TRUE(truth_->OpenOrders(&ctx, req, &resp).ok());
    return {resp.orders().begin(), resp.orders().end()};
  }
  std::map<std::string, int64_t> Refusals(const std::string& address) {
    grpc::ClientContext ctx;
    sim::v1::RefusalsRequest req;
    req.set_address(address);
    sim::v1::RefusalsResponse resp;
    EXPECT_TRUE(truth_->Refusals(&ctx, req, &resp).ok());
    return {resp.by_error().begin(), resp.by_error().end()};
  }
  static int64_t Counter(const orders::v1::ExecutionStatus& s, const std::string& name) {
    auto it = s.service().counters().find(name);
    return it == s.service().counters().end() ? 0 : it->second;
  }

  // The simulator's builder credentials (public: docs/simexchange.md).
  static constexpr const char* kBuilderKey = "0190b317-0000-7000-8000-00000000b1d5";
  static constexpr const char* kBuilderSecret = "Y2xvYm1ha2VyLXNpbXVsYXRvci1idWlsZGVyLWtleSE=";
  static constexpr const char* kBuilderPassphrase = "sim-builder-passphrase";
  std::string owner_hex_ = itest::RandomKeyHex();
  std::string owner_file_;
  crypto::Address owner_;
  std::string wallet_;   // lowercase
  std::string session_;  // checksummed
};

TEST_F(SessionKeyProcessTest, AKeyNeverAuthorizedStopsStartUpWithTheReasonAndSendsNothing) {
  auto exec = StartService("execution", SessionArgs("unauthorized"));
  auto line = exec->WaitForLine("is not authorized for the deposit wallet", 30 * kSec);
  ASSERT_TRUE(line.ok()) << exec->log();
  EXPECT_NE(line->find("clobmakerctl session-key authorize"), std::string::npos) << *line;
  ASSERT_TRUE(
      testing::Eventually([&] { return !exec->running(); }, std::chrono::seconds(20), std::chrono::milliseconds(20)))
      << exec->log();
  auto code = exec->Stop(SIGKILL, 5 * kSec);
  ASSERT_TRUE(code.ok());
  EXPECT_NE(*code, 0);
  EXPECT_TRUE(Orders(wallet_, true).empty());
  EXPECT_TRUE(Refusals(wallet_).empty());
  EXPECT_EQ(exec->log().find(key_hex_), std::string::npos) << "never the key";
}

TEST_F(SessionKeyProcessTest, QuotesForTheWalletUntilRevokedThenTheExchangeCancelsAndNothingIsSigned) {
  const CtlRun authorized = SessionKeyCtl({"authorize", "--address", session_});
  ASSERT_EQ(authorized.exit_code, 0) << authorized.log;
  EXPECT_NE(authorized.log.find("session-key: authorized " + session_), std::string::npos) << authorized.log;
  EXPECT_EQ(authorized.log.find(owner_hex_), std::string::npos) << "never the key";
  const CtlRun listed = SessionKeyCtl({"list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.log;
  EXPECT_NE(listed.log.find("session-key: " + session_ + " "), std::string::npos) << listed.log;

  auto exec = StartService("execution", SessionArgs("session"));
  auto admin = Admin(*exec);
  ASSERT_NE(admin, nullptr) << exec->log();
  ASSERT_TRUE(exec->WaitForLine("authorized for wallet", 5 * kSec).ok()) << exec->log();
  uint64_t sequence = 1;
  // Quotes rest at the exchange under the wallet, not under the session key.
  ASSERT_TRUE(testing::Eventually(
      [&] {
        PublishLadder(sequence++, 2);
        return Orders(wallet_, false).size() >= 2;
      },
      std::chrono::seconds(30), std::chrono::milliseconds(250)))
      << exec->log();
  EXPECT_TRUE(Orders(address_, true).empty()) << "the session key is never the maker";
  EXPECT_TRUE(Refusals(wallet_).empty());

  const CtlRun revoked = SessionKeyCtl({"revoke", "--address", session_});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.log;
  // The exchange cancelled the key's orders; execution read the revocation on chain.
  EXPECT_TRUE(Orders(wallet_, false).empty());
  ASSERT_TRUE(exec->WaitForLine("is no longer authorized for wallet", 15 * kSec).ok()) << exec->log();
  // Ladders keep coming and nothing is signed: the counter of refused signatures moves twice (a
  // ladder apart, so that a POST signed before the revocation was read has been answered), then
  // the exchange's truth is taken; from then on it sees nothing new while the counter moves on.
  orders::v1::ExecutionStatus status;
  for (int64_t at_least : {1, 2}) {
    ASSERT_TRUE(testing::Eventually(
        [&] {
          PublishLadder(sequence++, 3);
          status = Status(*admin);
          return Counter(status, "session_key_refusals") >= at_least;
        },
        std::chrono::seconds(30), std::chrono::milliseconds(250)))
        << status.ShortDebugString() << "\n"
        << exec->log();
  }
  const auto refusals_then = Refusals(wallet_);
  const size_t placed_then = Orders(wallet_, true).size();
  const int64_t refused_then = Counter(status, "session_key_refusals");
  ASSERT_TRUE(testing::Eventually(
      [&] {
        PublishLadder(sequence++, 3);
        status = Status(*admin);
        return Counter(status, "session_key_refusals") >= refused_then + 4;
      },
      std::chrono::seconds(30), std::chrono::milliseconds(250)))
      << status.ShortDebugString() << "\n"
      << exec->log();
  EXPECT_EQ(Refusals(wallet_), refusals_then);
  EXPECT_EQ(Orders(wallet_, true).size(), placed_then);
  EXPECT_EQ(exec->log().find(key_hex_), std::string::npos) << "never the key";
  auto code = exec->Stop(SIGTERM, 30 * kSec);
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0) << exec->log();
}

}  // namespace
}  // namespace clobmaker
