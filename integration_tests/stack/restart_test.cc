// scripts/up stopped at any moment and started again on the same run directory (issue #26).
//
// The whole stack through the README's command (scripts/up, headless), on ports and a run
// directory of its own (CLOBMAKER_PORT_BASE, CLOBMAKER_RUN_DIR). Every cycle stops the stack one
// way and starts it again on the same run directory:
//   in-flight    SIGINT to scripts/up a random moment after quotes went live (orders in flight)
//   kill-all     SIGKILL of scripts/up and every process it started, a random moment after
//   merge        a start interrupted with SIGINT while positions' start-up merge is in flight
//   startup      a start interrupted with SIGINT at a random moment of start-up
//   startup-kill a start interrupted by SIGKILL of everything at a random moment of start-up
// and after every start that is not interrupted on purpose:
//   - it reaches live quotes (scripts/up says so within the services' stated bounds);
//   - no orphan: every order open at the simulator is one execution knows;
//   - positions equal the simulator's truth (exchange and chain, collateral and every token) once
//     the simulator's takers pause and every trade has settled;
// and after every SIGINT: scripts/up ends on its own, leaving no order open at the simulator.
// Seeded: the seed is printed; RESTART_SEED=n replays the same choices, RESTART_CYCLES=n runs more
// (10 by default: in-flight, kill-all and merge in a seeded order, then startup and startup-kill,
// then five at random; every kind).
// The cycles run the EOA wallet (CLOBMAKER_WALLET=EOA: the EOA path stays tested, its start-up
// merge sent to the chain by positions itself); the other runs here, scripts/up's default, the
// deposit wallet (POLY_1271). The summary line names it (wallet=NAME).
#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "clobmaker/orders/v1/orders.grpc.pb.h"
#include "clobmaker/positions/v1/positions.grpc.pb.h"
#include "clobmaker/sim/v1/sim.grpc.pb.h"
#include "common/core/rng.h"
#include "common/testing/child_process.h"
#include "common/testing/eventually.h"

namespace clobmaker::itest {
namespace {

using testing::ChildProcess;
using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// 27 consecutive free loopback ports (scripts/up uses BASE..BASE+26).
int FreePortBase() {
  for (int attempt = 0; attempt < 200; ++attempt) {
    // Below the kernel's ephemeral range (32768+), where other tests' port-0 listeners land.
    const int base = 20000 + static_cast<int>((static_cast<unsigned>(getpid()) * 7919u + attempt * 131u) % 12000u);
    bool free = true;
    for (int p = base; p < base + 27 && free; ++p) {
      const int fd = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<uint16_t>(p));
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      free = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
      close(fd);
    }
    if (free) return base;
  }
  return 0;
}

enum class Stop { kInFlight, kKillAll, kMerge, kStartup, kStartupKill };
const char* Name(Stop s) {
  switch (s) {
    case Stop::kInFlight:
      return "in-flight";
    case Stop::kKillAll:
      return "kill-all";
    case Stop::kMerge:
      return "merge";
    case Stop::kStartup:
      return "startup";
    case Stop::kStartupKill:
      return "startup-kill";
  }
  return "?";
}

class RestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = FreePortBase();
    ASSERT_GT(base_, 0);
    run_dir_ = std::filesystem::temp_directory_path() / ("clobmaker-restart-" + std::to_string(getpid()));
    std::filesystem::remove_all(run_dir_);
    std::filesystem::create_directories(run_dir_);
    sim_ = sim::v1::SimTruth::NewStub(Channel(3));
    control_ = sim::v1::SimControl::NewStub(Channel(3));
    exec_ = orders::v1::ExecutionAdmin::NewStub(Channel(11));
    positions_ = positions::v1::PositionsAdmin::NewStub(Channel(15));
  }

  void TearDown() override {
    KillEverything();
    if (HasFailure()) {
      std::printf("restart test: run directory kept for a look: %s\n", run_dir_.c_str());
    } else {
      std::filesystem::remove_all(run_dir_);
    }
  }

  std::shared_ptr<grpc::Channel> Channel(int offset) const {
    return grpc::CreateChannel(fmt::format("127.0.0.1:{}", base_ + offset), grpc::InsecureChannelCredentials());
  }

  // Processes scripts/up started for this run directory (they carry it in their environment).
  std::vector<pid_t> Marked() const {
    std::vector<pid_t> out;
    const std::string marker = "CLOBMAKER_UP_RUN_DIR=" + run_dir_.string();
    for (const auto& e : std::filesystem::directory_iterator("/proc")) {
      const std::string name = e.path().filename();
      if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
      std::ifstream in(e.path() / "environ", std::ios::binary);
      std::string env((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      std::stringstream vars(env);
      for (std::string v; std::getline(vars, v, '\0');) {
        if (v == marker) out.push_back(static_cast<pid_t>(std::stoi(name)));
      }
    }
    return out;
  }

  // Nothing scripts/up started is left (bounded: one started in the instant of the stop is sent
  // SIGTERM by the kernel as scripts/up ends, and stops by itself).
  bool NoneLeft() const {
    for (int i = 0; i < 300; ++i) {
      if (Marked().empty()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  // SIGKILL of scripts/up and of everything it started, all at once.
  void KillEverything() {
    const std::vector<pid_t> marked = Marked();
    if (up_ && up_->running()) kill(up_->pid(), SIGKILL);
    for (pid_t p : marked) kill(p, SIGKILL);
    for (int i = 0; i < 100 && !Marked().empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (up_) (void)up_->Stop(SIGKILL, 5 * kNanosPerSecond);
    up_.reset();
  }

  void StartUp() {
    up_ = std::make_unique<ChildProcess>(
        "/bin/bash", std::vector<std::string>{std::string(CLOBMAKER_SOURCE_DIR) + "/scripts/up", "--for", "3600"},
        std::vector<std::string>{"CLOBMAKER_RUN_DIR=" + run_dir_.string(),
                                 "CLOBMAKER_PORT_BASE=" + std::to_string(base_), "CLOBMAKER_UP_SKIP_BUILD=1",
                                 std::string("CLOBMAKER_BUILD_DIR=") + CLOBMAKER_BINARY_DIR, "CLOBMAKER_MARKETS=2",
                                 "CLOBMAKER_WALLET=EOA"});
    ASSERT_TRUE(up_->Start().ok());
    started_ = Clock::now();
  }

  // The start reaches live quotes: scripts/up's own line. Bounded by the services' stated
  // start-up bounds (scripts/up fails a service that overruns its own).
  void ExpectLiveQuotes() {
    auto live = up_->WaitForLine("up: quotes are live", 240 * kNanosPerSecond);
    ASSERT_TRUE(live.ok()) << live.status() << "\n" << ServiceLogs();
    std::smatch m;
    ASSERT_TRUE(std::regex_search(*live, m, std::regex("wallet (0x[0-9a-fA-F]{40})"))) << *live;
    address_ = m[1];
    std::transform(address_.begin(), address_.end(), address_.begin(), ::tolower);
    live_after_s_ = Since(started_);
  }

  std::string ServiceLogs() const {
    std::string out;
    for (const char* s : {"positions", "execution", "strategy"}) {
      std::string log = Slurp(run_dir_ / s / (std::string(s) + ".log"));
      if (log.size() > 2000) log = log.substr(log.size() - 2000);
      out += fmt::format("--- {} (tail)\n{}\n", s, log);
    }
    return out;
  }

  // Every order open at the simulator is one execution knows (execution records an order before it
  // is sent, so the exchange's snapshot is taken first). A true orphan fails every attempt.
  std::string Orphans() {
    std::string why = "no attempt";
    for (int attempt = 0; attempt < 40; ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(250));
      grpc::ClientContext sctx;
      sim::v1::OpenOrdersRequest sreq;
      sreq.set_address(address_);
      sim::v1::OpenOrdersResponse open;
      if (!sim_->OpenOrders(&sctx, sreq, &open).ok()) {
        why = "simulator unreachable";
        continue;
      }
      grpc::ClientContext ectx;
      orders::v1::ListOrdersRequest ereq;
      ereq.set_include_terminal(true);
      orders::v1::ListOrdersResponse known;
      if (!exec_->ListOrders(&ectx, ereq, &known).ok()) {
        why = "execution unreachable";
        continue;
      }
      std::set<std::string> ids;
      for (const auto& o : known.orders()) ids.insert(o.order_id());
      why.clear();
      for (const auto& o : open.orders()) {
        if (!ids.contains(o.order_id())) why = "orphan " + o.order_id();
      }
      if (why.empty()) return "";
    }
    return why;
  }

  void SetFlow(bool on) {
    grpc::ClientContext ctx;
    sim::v1::SetFlowRequest req;
    req.set_enabled(on);
    sim::v1::SetFlowResponse resp;
    ASSERT_TRUE(control_->SetFlow(&ctx, req, &resp).ok());
  }

  // Empty when positions' buckets equal the simulator's balances (provisional = exchange, settled
  // = chain) for collateral and every token; otherwise the first difference.
  std::string DifferenceFromTruth() {
    grpc::ClientContext tctx;
    sim::v1::BalancesRequest treq;
    treq.set_address(address_);
    sim::v1::BalancesResponse tresp;
    if (!sim_->Balances(&tctx, treq, &tresp).ok() || tresp.balances_size() == 0) return "no truth";
    const sim::v1::TruthBalance& truth = tresp.balances(0);
    grpc::ClientContext pctx;
    positions::v1::GetPositionsResponse ours;
    if (!positions_->GetPositions(&pctx, {}, &ours).ok()) return "GetPositions failed";
    if (ours.collateral().provisional_micros() != truth.collateral_micros() ||
        ours.collateral().settled_micros() != truth.chain_collateral_micros()) {
      return fmt::format("collateral ours {}/{} truth {}/{}", ours.collateral().provisional_micros(),
                         ours.collateral().settled_micros(), truth.collateral_micros(),
                         truth.chain_collateral_micros());
    }
    for (const auto& [token, amount] : truth.tokens_micros()) {
      int64_t prov = 0, settled = 0;
      for (const auto& p : ours.positions()) {
        if (p.token_id() == token) {
          prov = p.provisional_micros();
          settled = p.settled_micros();
        }
      }
      const int64_t chain = truth.chain_tokens_micros().count(token) ? truth.chain_tokens_micros().at(token) : 0;
      if (prov != amount || settled != chain) {
        return fmt::format("token {}… ours {}/{} truth {}/{}", token.substr(0, 12), prov, settled, amount, chain);
      }
    }
    return "";
  }

  // With the simulator's takers paused, every trade settles (MATCHED -> CONFIRMED is seconds) and
  // positions must equal the truth; then the takers resume.
  std::string PositionsAgainstTruth() {
    SetFlow(false);
    std::string difference = "not compared";
    for (int attempt = 0; attempt < 200; ++attempt) {  // ~40 s
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      difference = DifferenceFromTruth();
      if (difference.empty()) break;
    }
    SetFlow(true);
    return difference;
  }

  void CheckStart(int cycle) {
    ExpectLiveQuotes();
    if (HasFatalFailure()) return;
    const std::string orphans = Orphans();
    EXPECT_EQ(orphans, "") << "cycle " << cycle;
    const std::string positions = PositionsAgainstTruth();
    EXPECT_EQ(positions, "") << "cycle " << cycle << ": positions differ from the simulator's truth\n" << ServiceLogs();
    if (!orphans.empty() || !positions.empty()) violations_++;
  }

  // SIGINT to scripts/up (what Ctrl-C or `kill -INT` gives it): it stops everything in order and
  // ends by itself; after quotes were live, it leaves no order open at the simulator.
  void Interrupt(bool after_live) {
    ASSERT_TRUE(up_);
    const auto t0 = Clock::now();
    const pid_t pid = up_->pid();
    auto code = up_->Stop(SIGINT, 120 * kNanosPerSecond);
    ASSERT_TRUE(code.ok()) << "scripts/up did not end within 120 s of SIGINT\n" << SignalState(pid) << up_->log();
    stop_s_ = Since(t0);
    std::smatch m;
    const std::string log = up_->log();
    if (after_live) {
      ASSERT_TRUE(std::regex_search(log, m, std::regex("up: summary .*open_after_stop=([0-9?]+)"))) << log;
      EXPECT_EQ(m[1], "0") << "orders left open at the simulator by a SIGINT stop";
      if (m[1] != "0") violations_++;
      EXPECT_TRUE(std::regex_search(log, std::regex(R"(up: summary [^\n]*\bwallet=EOA\b)"))) << log;
    }
    EXPECT_TRUE(NoneLeft()) << "processes left running 30 s after scripts/up stopped";
    up_.reset();
  }

  // What a process does with its signals, and where it waits (for a stop that did not happen).
  static std::string SignalState(pid_t pid) {
    std::string out = fmt::format("pid {}:", pid);
    std::stringstream status(Slurp(fmt::format("/proc/{}/status", pid)));
    for (std::string line; std::getline(status, line);) {
      if (line.rfind("Sig", 0) == 0 || line.rfind("ShdPnd", 0) == 0 || line.rfind("State", 0) == 0) {
        out += " " + line;
      }
    }
    out += " wchan=" + Slurp(fmt::format("/proc/{}/wchan", pid)) + "\n";
    if (std::getenv("RESTART_STRACE") != nullptr) {  // a look at what it does meanwhile (debugging)
      const std::string file = fmt::format("/tmp/cm-restart-strace-{}", pid);
      (void)std::system(fmt::format("timeout 4 strace -tt -p {} -o {} >/dev/null 2>&1", pid, file).c_str());
      out += Slurp(file);
    }
    return out;
  }

  bool WaitForLog(const std::string& service, const std::string& needle, Nanos timeout) {
    const auto deadline = Clock::now() + std::chrono::nanoseconds(timeout);
    while (Clock::now() < deadline) {
      if (Slurp(run_dir_ / service / (service + ".log")).find(needle) != std::string::npos) return true;
      if (!up_->running()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  int base_ = 0;
  std::filesystem::path run_dir_;
  std::unique_ptr<ChildProcess> up_;
  Clock::time_point started_;
  std::string address_;
  double live_after_s_ = 0;
  double stop_s_ = 0;  // the last SIGINT's: until scripts/up ended
  int violations_ = 0;
  std::unique_ptr<sim::v1::SimTruth::Stub> sim_;
  std::unique_ptr<sim::v1::SimControl::Stub> control_;
  std::unique_ptr<orders::v1::ExecutionAdmin::Stub> exec_;
  std::unique_ptr<positions::v1::PositionsAdmin::Stub> positions_;
};

// 10 cycles in the default run (~1.5 min). (It was DISABLED_ while a SIGINT scripts/up sometimes
// did not act on was not understood: bash drops an INT trap while a foreground child runs and
// exits normally, and leaves one pending in a `read -t` it lands in as it starts; scripts/up now
// works in a child shell it sends SIGTERM, and naps in slices: see ScriptsUpNap below.)
TEST_F(RestartTest, ScriptsUpStoppedAtAnyMomentStartsAgainOnTheSameRunDirectory) {
  const char* seed_env = std::getenv("RESTART_SEED");
  const char* cycles_env = std::getenv("RESTART_CYCLES");
  const uint64_t seed = seed_env ? std::strtoull(seed_env, nullptr, 10) : 20261201;
  const int cycles = cycles_env ? std::atoi(cycles_env) : 10;
  Rng rng(seed);
  std::printf(
      "restart test: seed %llu, %d cycles, ports %d..%d, run dir %s (replay: RESTART_SEED=%llu "
      "RESTART_CYCLES=%d)\n",
      static_cast<unsigned long long>(seed), cycles, base_, base_ + 25, run_dir_.c_str(),
      static_cast<unsigned long long>(seed), cycles);
  // The first three cycles are in-flight, kill-all and merge in a seeded order, the next two
  // startup and startup-kill; later ones are drawn at random.
  std::vector<Stop> plan = {Stop::kInFlight, Stop::kKillAll, Stop::kMerge};
  for (size_t i = plan.size() - 1; i > 0; --i) std::swap(plan[i], plan[rng.Below(i + 1)]);
  if (rng.Chance(0.5)) {
    plan.insert(plan.end(), {Stop::kStartup, Stop::kStartupKill});
  } else {
    plan.insert(plan.end(), {Stop::kStartupKill, Stop::kStartup});
  }
  while (static_cast<int>(plan.size()) < cycles) plan.push_back(static_cast<Stop>(rng.Below(5)));

  const auto test_start = Clock::now();
  StartUp();
  CheckStart(0);
  ASSERT_FALSE(HasFatalFailure());
  std::printf("restart start 0: live quotes after %.1f s\n", live_after_s_);
  for (int cycle = 1; cycle <= cycles; ++cycle) {
    const Stop kind = plan[static_cast<size_t>(cycle - 1)];
    const auto cycle_start = Clock::now();
    std::string what;
    switch (kind) {
      case Stop::kInFlight: {
        const int ms = static_cast<int>(rng.Between(0, 3000));
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
        Interrupt(/*after_live=*/true);
        what = fmt::format("SIGINT {} ms into quoting, stopped in {:.1f} s", ms, stop_s_);
        break;
      }
      case Stop::kKillAll: {
        const int ms = static_cast<int>(rng.Between(0, 3000));
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
        KillEverything();
        what = fmt::format("SIGKILL of everything {} ms into quoting", ms);
        break;
      }
      case Stop::kMerge:
      case Stop::kStartup:
      case Stop::kStartupKill: {
        Interrupt(/*after_live=*/true);
        ASSERT_FALSE(HasFatalFailure());
        StartUp();
        if (kind == Stop::kMerge) {
          // positions merges both outcomes' overlap right after its seed, while execution and
          // strategy are still starting.
          const bool sent = WaitForLog("positions", "sent merge", 120 * kNanosPerSecond);
          EXPECT_TRUE(sent) << "no start-up merge to interrupt\n" << ServiceLogs();
          const int ms = static_cast<int>(rng.Between(0, 400));
          std::this_thread::sleep_for(std::chrono::milliseconds(ms));
          Interrupt(/*after_live=*/false);
          what = fmt::format("SIGINT {} ms after positions sent its start-up merge", ms);
        } else {
          // A moment inside the last start's time to live quotes.
          const int ms = static_cast<int>(rng.Between(0, static_cast<int64_t>(live_after_s_ * 1000)));
          std::this_thread::sleep_for(std::chrono::milliseconds(ms));
          if (kind == Stop::kStartup) {
            Interrupt(/*after_live=*/false);
            what = fmt::format("SIGINT {} ms into start-up", ms);
          } else {
            KillEverything();
            what = fmt::format("SIGKILL of everything {} ms into start-up", ms);
          }
        }
        break;
      }
    }
    ASSERT_FALSE(HasFatalFailure()) << "cycle " << cycle << " (" << Name(kind) << ")";
    StartUp();
    CheckStart(cycle);
    ASSERT_FALSE(HasFatalFailure()) << "cycle " << cycle << " (" << Name(kind) << ")";
    std::printf(
        "restart cycle %d (%s): %s; started again: live quotes after %.1f s, no orphan, positions = truth "
        "(cycle %.1f s)\n",
        cycle, Name(kind), what.c_str(), live_after_s_, Since(cycle_start));
    std::fflush(stdout);
  }
  Interrupt(/*after_live=*/true);
  std::printf("restart test: %d cycles, seed %llu, violations=%d, %.0f s\n", cycles,
              static_cast<unsigned long long>(seed), violations_, Since(test_start));
  EXPECT_EQ(violations_, 0);
}

// A service that does not come up is named with the reason and its own last log lines, and the
// rest is stopped; --fresh starts from nothing.
TEST_F(RestartTest, AServiceThatDoesNotComeUpIsReportedWithTheReasonAndItsLastLines) {
  std::filesystem::create_directories(run_dir_ / "execution");
  { std::ofstream(run_dir_ / "execution" / "wallet.key") << "left by an earlier run\n"; }
  const std::string config = run_dir_.string() + "-strategy.yaml";
  { std::ofstream(config) << "defaults: [this is not a mapping\n"; }
  up_ = std::make_unique<ChildProcess>(
      "/bin/bash",
      std::vector<std::string>{std::string(CLOBMAKER_SOURCE_DIR) + "/scripts/up", "--fresh", "--for", "60"},
      std::vector<std::string>{"CLOBMAKER_RUN_DIR=" + run_dir_.string(), "CLOBMAKER_PORT_BASE=" + std::to_string(base_),
                               "CLOBMAKER_UP_SKIP_BUILD=1", std::string("CLOBMAKER_BUILD_DIR=") + CLOBMAKER_BINARY_DIR,
                               "CLOBMAKER_MARKETS=1", "CLOBMAKER_STRATEGY_CONFIG=" + config});
  ASSERT_TRUE(up_->Start().ok());
  auto code = up_->Stop(0, 240 * kNanosPerSecond);  // signal 0: only waits for the end
  ASSERT_TRUE(code.ok()) << up_->log();
  const std::string log = up_->log();
  EXPECT_EQ(*code, 1) << log;
  // --fresh: the earlier run's (bad) key is gone, so execution and everything before it came up.
  EXPECT_NE(log.find("up: --fresh: deleting everything under"), std::string::npos) << log;
  EXPECT_NE(log.find("up: execution ready"), std::string::npos) << log;
  EXPECT_NE(log.find("up: strategy did not start: it exited with code 2"), std::string::npos) << log;
  // Its own last lines, quoted, with what it said.
  EXPECT_NE(log.find("up:   strategy: " + config), std::string::npos) << log;
  EXPECT_EQ(log.find("up: quotes are live"), std::string::npos) << log;
  EXPECT_TRUE(NoneLeft()) << "processes left running 30 s after a failed start";
  std::filesystem::remove(config);
  up_.reset();
}

// Issue 18, item 8: the summary's throttled=N is the 429s our signer got during the run, as the
// simulator counted them: a storm of 429s in the middle of a run shows up in it. Issue 19, item 4:
// scripts/up runs a deposit wallet by default (wallet=POLY_1271): the wallet is the maker of our
// orders, the key the signer the 429s are counted for, and positions equal the wallet's truth.
TEST_F(RestartTest, TheSummaryCountsThe429sOurSignerGot) {
  up_ = std::make_unique<ChildProcess>(
      "/bin/bash",
      std::vector<std::string>{std::string(CLOBMAKER_SOURCE_DIR) + "/scripts/up", "--fresh", "--for", "30"},
      std::vector<std::string>{"CLOBMAKER_RUN_DIR=" + run_dir_.string(), "CLOBMAKER_PORT_BASE=" + std::to_string(base_),
                               "CLOBMAKER_UP_SKIP_BUILD=1", std::string("CLOBMAKER_BUILD_DIR=") + CLOBMAKER_BINARY_DIR,
                               "CLOBMAKER_MARKETS=1"});
  ASSERT_TRUE(up_->Start().ok());
  started_ = Clock::now();
  ExpectLiveQuotes();
  if (HasFatalFailure()) return;
  std::smatch w;
  const std::string started = up_->log();
  ASSERT_TRUE(std::regex_search(
      started, w, std::regex(R"(up: wallet POLY_1271 (0x[0-9a-fA-F]{40}) \(signer (0x[0-9a-fA-F]{40})\))")))
      << started;
  std::string signer = w[2];
  std::transform(signer.begin(), signer.end(), signer.begin(), ::tolower);
  std::string wallet = w[1];
  std::transform(wallet.begin(), wallet.end(), wallet.begin(), ::tolower);
  EXPECT_EQ(wallet, address_) << "our orders' maker is the deposit wallet";
  EXPECT_NE(signer, address_);
  {
    grpc::ClientContext ctx;
    sim::v1::BurstRequest burst;
    burst.set_http_status(429);
    burst.set_duration_ms(3000);
    sim::v1::BurstResponse resp;
    ASSERT_TRUE(control_->Burst(&ctx, burst, &resp).ok());
  }
  uint64_t seen = 0;
  EXPECT_TRUE(testing::Eventually(
      [&] {
        grpc::ClientContext ctx;
        sim::v1::RateLimitsRequest req;
        req.set_address(signer);
        sim::v1::RateLimitsResponse resp;
        if (sim_->RateLimits(&ctx, req, &resp).ok()) seen = resp.throttled();
        return seen > 0;
      },
      std::chrono::seconds(20), std::chrono::milliseconds(100)))
      << "no 429 reached our signer during the storm";
  EXPECT_EQ(Orphans(), "");
  EXPECT_EQ(PositionsAgainstTruth(), "") << "positions differ from the deposit wallet's truth\n" << ServiceLogs();
  auto code = up_->Stop(0, 240 * kNanosPerSecond);  // signal 0: only waits for the end
  ASSERT_TRUE(code.ok()) << up_->log();
  EXPECT_EQ(*code, 0) << up_->log();
  const std::string log = up_->log();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(log, m, std::regex(R"(up: summary [^\n]*\bthrottled=([0-9]+))"))) << log;
  EXPECT_GE(std::stoull(m[1]), seen) << m[0];
  EXPECT_TRUE(std::regex_search(log, std::regex(R"(up: summary [^\n]*\bopen_after_stop=0\b)"))) << log;
  EXPECT_TRUE(std::regex_search(log, std::regex(R"(up: summary [^\n]*\bwallet=POLY_1271\b)"))) << log;
  up_.reset();
}

// scripts/up's nap (scripts/lib/nap.bash) acts on a SIGINT that lands just as it starts to wait.
// bash 5.2 leaves such a trap pending while `read -t` waits on: a whole-length `read -t 3600` lost
// about 7 of 1,000 of these SIGINTs (the restart cycles above saw it as a stop that never began).
// With slices of one second the trap runs when the slice ends.
TEST(ScriptsUpNap, ActsOnASignalThatLandsJustAsItStartsToWait) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / fmt::format("cm-nap-{}", getpid());
  std::filesystem::create_directories(dir);
  const std::string script = (dir / "nap-test.bash").string();
  {
    std::ofstream(script) << "source '" << CLOBMAKER_SOURCE_DIR << "/scripts/lib/nap.bash'\n"
                          << "nap_open \"$1\"\n"
                          << "trap 'exit 130' INT\n"
                          << "echo ready\n"
                          << "nap 3600\n"
                          << "exit 3\n";
  }
  Rng rng(20261201);
  constexpr int kSignals = 1500;
  int not_acted_on = 0, acted_on_late = 0, wrong_end = 0;
  for (int i = 0; i < kSignals; ++i) {
    int out[2];
    ASSERT_EQ(pipe(out), 0);
    const std::string fifo = (dir / fmt::format("fifo-{}", i % 4)).string();
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      close(out[1]);
      execl("/bin/bash", "bash", script.c_str(), fifo.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    char buf[16];
    ASSERT_GT(read(out[0], buf, sizeof buf), 0);  // "ready": the next thing it does is nap
    const auto spin_until = Clock::now() + std::chrono::microseconds(rng.Between(0, 300));
    while (Clock::now() < spin_until) {
    }
    kill(pid, SIGINT);
    const auto sent = Clock::now();
    int status = 0;
    bool ended = false;
    while (Since(sent) < 3.0) {
      if (waitpid(pid, &status, WNOHANG) == pid) {
        ended = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    close(out[0]);
    if (!ended) {
      not_acted_on++;
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      continue;
    }
    if (Since(sent) > 0.5) acted_on_late++;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 130) wrong_end++;
  }
  std::filesystem::remove_all(dir);
  std::printf("nap: %d SIGINTs within 0.3 ms of a nap: %d not acted on within 3 s, %d acted on after a slice\n",
              kSignals, not_acted_on, acted_on_late);
  EXPECT_EQ(not_acted_on, 0);
  EXPECT_EQ(wrong_end, 0) << "a SIGINT must end it through its trap (exit 130)";
}

}  // namespace
}  // namespace clobmaker::itest
