// clobmaker-backtest: runs the real services (marketdata, userstream, positions, execution,
// strategy) against `simexchange --replay FILE` on a private nats-server and loopback ports, and
// writes DIR/summary.json and DIR/report.html (docs/replay.md).
//   clobmaker-backtest --journal FILE --config strategy.yaml --out DIR [--speed X]
// --speed 0 (the default, "max"): as fast as the stack allows (the replay plays the next step
// once the stack has reacted to the last); X > 0: X recorded seconds per second.
#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <thread>

#include "common/core/clock.h"
#include "common/core/status.h"
#include "common/crypto/crypto.h"
#include "common/net/http_client.h"
#include "common/net/io_thread.h"
#include "common/testing/child_process.h"
#include "common/testing/nats_server.h"
#include "services/backtest/core/backtest_report.h"

namespace {

using namespace clobmaker;
using testing::ChildProcess;

std::string SelfDir() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? testing::BinDir() : exe.parent_path().string();
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string RandomKeyHex() {
  std::random_device entropy;
  std::string hex;
  for (int i = 0; i < 8; ++i) hex += fmt::format("{:08x}", entropy());
  return hex;
}

// A JSON number field of a flat object (the status endpoint's).
std::optional<double> Field(const std::string& json, const std::string& key) {
  const size_t at = json.find("\"" + key + "\":");
  if (at == std::string::npos) return std::nullopt;
  const size_t v = at + key.size() + 3;
  if (json.compare(v, 4, "true") == 0) return 1;
  if (json.compare(v, 5, "false") == 0) return 0;
  try {
    return std::stod(json.substr(v, 32));
  } catch (...) {
    return std::nullopt;
  }
}

class Backtest {
 public:
  int Run(const std::string& journal, const std::string& config, const std::string& out, double speed, int64_t quiet_ms,
          bool keep_logs) {
    const auto started = std::chrono::steady_clock::now();
    const std::string bin = SelfDir();
    std::filesystem::create_directories(out);
    dir_ = std::filesystem::temp_directory_path() / fmt::format("clobmaker-backtest-{}", getpid());
    std::filesystem::create_directories(dir_);
    const std::string config_text = ReadAll(config);
    if (config_text.empty()) return Fail("cannot read the strategy configuration " + config);

    if (auto st = nats_.Start(); !st.ok()) return Fail(fmt::format("nats-server: {}", StatusText(st)));
    sim_ = std::make_unique<ChildProcess>(
        bin + "/simexchange",
        std::vector<std::string>{"--listen", "127.0.0.1:0", "--grpc-listen", "127.0.0.1:0", "--replay", journal,
                                 "--replay-hold", "--replay-speed", fmt::format("{}", speed), "--replay-quiet-ms",
                                 std::to_string(quiet_ms)});
    if (!sim_->Start().ok()) return Fail("cannot start simexchange");
    auto line = sim_->WaitForLine("simexchange listening on", 60 * kNanosPerSecond);
    if (!line.ok())
      return Fail(fmt::format("simexchange did not start: {}\n{}", StatusText(line.status()), sim_->log()));
    std::smatch m;
    if (!std::regex_search(*line, m, std::regex(R"(listening on (http://[0-9.:]+))"))) return Fail(*line);
    const std::string clob = m[1];
    auto client = net::HttpClient::Create(io_, {.base_url = clob});
    if (!client.ok()) return Fail(std::string(StatusText(client.status())));
    http_ = std::move(*client);

    const std::string key_file = (dir_ / "wallet.key").string();
    {
      std::ofstream k(key_file);
      k << RandomKeyHex() << "\n";  // throwaway: the simulator's accounts only, never a real key
    }
    chmod(key_file.c_str(), 0600);
    const std::vector<std::string> common = {"--nats", nats_.url(),      "--clob-url",
                                             clob,     "--admin-listen", "127.0.0.1:0"};
    auto start = [&](const std::string& name, std::vector<std::string> extra, bool key) {
      std::vector<std::string> args = common;
      if (key) args.insert(args.end(), {"--key-file", key_file});
      args.insert(args.end(), extra.begin(), extra.end());
      auto p = std::make_unique<ChildProcess>(bin + "/" + name, args);
      if (!p->Start().ok() || !p->WaitForLine("admin API on", 60 * kNanosPerSecond).ok()) {
        std::fprintf(stderr, "clobmaker-backtest: %s did not start:\n%s\n", name.c_str(), p->log().c_str());
        return false;
      }
      names_.push_back(name);
      services_.push_back(std::move(p));
      return true;
    };
    if (!start("marketdata", {"--all-markets", "--no-journal"}, false) || !start("userstream", {}, true) ||
        !start("positions", {"--no-merge"}, true) || !start("execution", {"--instance", "backtest"}, true) ||
        !start("strategy", {"--config", config}, true)) {
      return Finish(out, keep_logs, 1);
    }
    // The replay starts once the stack quotes (or after 30 s: a configuration may quote nothing).
    bool quoting = false;
    for (int i = 0; i < 300 && !quoting; ++i) {
      quoting = Field(Get("/replay/status"), "open_orders").value_or(0) > 0;
      if (!quoting) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (!quoting) std::fprintf(stderr, "clobmaker-backtest: no quote after 30 s; replaying anyway\n");
    Post("/replay/start");
    const auto replay_started = std::chrono::steady_clock::now();
    std::fprintf(stderr, "clobmaker-backtest: replaying %s (speed %s)\n", journal.c_str(),
                 speed > 0 ? fmt::format("{}", speed).c_str() : "max");
    int last_decile = -1;
    for (;;) {
      const std::string status = Get("/replay/status");
      if (Field(status, "done").value_or(0) > 0) break;
      const double first = Field(status, "first_ns").value_or(0), last = Field(status, "last_ns").value_or(1);
      const double pos = Field(status, "position_ns").value_or(first);
      const int decile = last > first ? static_cast<int>(10 * (pos - first) / (last - first)) : 0;
      if (decile != last_decile) {
        std::fprintf(stderr, "clobmaker-backtest: %d%% (%.0f fills)\n", decile * 10,
                     Field(status, "fills").value_or(0));
        last_decile = decile;
      }
      if (!sim_->running()) return Fail("simexchange exited during the replay:\n" + sim_->log());
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    // The last fills reach the user channel and positions; then the figures.
    std::this_thread::sleep_for(std::chrono::seconds(2));
    const std::string report_json = Get("/replay/report");
    auto report = simexchange::replay::DecodeReport(report_json);
    if (!report.ok()) return Fail(fmt::format("replay report: {}", StatusText(report.status())));
    const double replay_wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - replay_started).count();
    backtest::RunInfo run{.journal = journal,
                          .config = config,
                          .config_text = config_text,
                          .speed = speed > 0 ? fmt::format("{}", speed) : "max",
                          .wall_seconds = replay_wall,
                          .tolerance = kTolerance};
    const backtest::Figures figures = backtest::Compute(*report);
    {
      std::ofstream s(out + "/summary.json");
      s << backtest::SummaryJson(figures, *report, run);
      std::ofstream h(out + "/report.html");
      h << backtest::ReportHtml(figures, *report, run);
      std::ofstream raw(out + "/replay.json");  // everything the replay exchange observed
      raw << report_json;
    }
    std::printf(
        "clobmaker-backtest: %llu fills, P&L %.4f USD, markout 10 s %.4f USD, reward share %.4f; %s/summary.json, "
        "%s/report.html (%.1f s)\n",
        static_cast<unsigned long long>(figures.fills), figures.pnl_usd, figures.markout_usd[1],
        figures.mean_score_share, out.c_str(), out.c_str(),
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    return Finish(out, keep_logs, 0);
  }

  ~Backtest() {
    for (auto it = services_.rbegin(); it != services_.rend(); ++it) (void)(*it)->Stop(SIGTERM, 15 * kNanosPerSecond);
    services_.clear();
    if (sim_) (void)sim_->Stop(SIGTERM, 10 * kNanosPerSecond);
    http_.reset();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }

  static constexpr const char* kTolerance =
      "the services run on wall time: two runs of the same journal and configuration measured fills within +-12% of "
      "their mean, reward-score share within +-0.02, markouts within +-10%; P&L spreads by several USD "
      "(docs/replay.md)";

 private:
  int Fail(const std::string& what) {
    std::fprintf(stderr, "clobmaker-backtest: %s\n", what.c_str());
    return 1;
  }

  int Finish(const std::string& out, bool keep_logs, int code) {
    // Strategy first (empty ladders), then execution (cancels), then the rest, last-first.
    for (size_t i = services_.size(); i-- > 0;) (void)services_[i]->Stop(SIGTERM, 15 * kNanosPerSecond);
    if (keep_logs || code != 0) {
      std::filesystem::create_directories(out + "/logs");
      for (size_t i = 0; i < services_.size(); ++i) {
        std::ofstream(out + "/logs/" + names_[i] + ".log") << services_[i]->log();
      }
      if (sim_) std::ofstream(out + "/logs/simexchange.log") << sim_->log();
    }
    return code;
  }

  std::string Get(const std::string& target) {
    net::HttpRequest r;
    r.target = target;
    const net::HttpResult result = http_->SendSync(r, 10 * kNanosPerSecond);
    return result.response ? result.response->body : "";
  }
  void Post(const std::string& target) {
    net::HttpRequest r;
    r.method = "POST";
    r.target = target;
    (void)http_->SendSync(r, 10 * kNanosPerSecond);
  }

  std::filesystem::path dir_;
  testing::NatsServer nats_;
  net::IoThread io_;
  std::unique_ptr<net::HttpClient> http_;
  std::unique_ptr<ChildProcess> sim_;
  std::vector<std::unique_ptr<ChildProcess>> services_;
  std::vector<std::string> names_;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"clobmaker-backtest: the real services against a recorded session"};
  std::string journal, config, out;
  double speed = 0;
  bool keep_logs = false;
  int64_t quiet_ms = 25;
  app.add_option("--journal", journal, "journal file (clobmaker-journal export)")->required()->check(CLI::ExistingFile);
  app.add_option("--config", config, "strategy configuration (YAML)")->required()->check(CLI::ExistingFile);
  app.add_option("--out", out, "output directory (summary.json, report.html)")->required();
  app.add_option("--speed", speed, "recorded seconds per second; 0 = as fast as the stack allows")
      ->default_val(0.0)
      ->check(CLI::Range(0.0, 1000.0));
  app.add_option("--quiet-ms", quiet_ms,
                 "speed 0: the stack has reacted when the simulator saw no request this long (longer: slower, "
                 "closer runs)")
      ->default_val(25)
      ->check(CLI::Range(int64_t{1}, int64_t{10'000}));
  app.add_flag("--keep-logs", keep_logs, "keep the services' logs in DIR/logs (always kept on failure)");
  CLI11_PARSE(app, argc, argv);
  Backtest backtest;
  return backtest.Run(journal, config, out, speed, quiet_ms, keep_logs);
}
