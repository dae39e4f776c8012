// A service binary run by a test: stdout and stderr go to a log file the test can wait on.
// Killed (SIGKILL) on destruction if still running.
//
//   ChildProcess sim(bin + "/simexchange", {"--listen", "127.0.0.1:0"});
//   ASSERT_TRUE(sim.Start().ok());
//   auto line = sim.WaitForLine("listening on", 10 * kNanosPerSecond);
#pragma once

#include <absl/status/statusor.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "common/core/clock.h"

namespace clobmaker::testing {

class ChildProcess {
 public:
  ChildProcess(std::string binary, std::vector<std::string> args, std::vector<std::string> env = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  absl::Status Start();
  // The first log line containing `needle` (searching from the start of the log), waiting up to
  // `timeout`. DeadlineExceeded with the log's tail otherwise; Aborted if the process exited.
  absl::StatusOr<std::string> WaitForLine(std::string_view needle, Nanos timeout) const;
  // Sends `signal` and waits up to `timeout` for the exit; returns the exit code (128+n when
  // killed by signal n), or DeadlineExceeded.
  absl::StatusOr<int> Stop(int signal, Nanos timeout);
  bool running() const;
  pid_t pid() const { return pid_; }
  std::string log() const;
  const std::string& log_path() const { return log_path_; }

 private:
  std::string binary_;
  std::vector<std::string> args_;
  std::vector<std::string> env_;
  std::string log_path_;
  pid_t pid_ = -1;
  mutable int exit_code_ = -1;
};

// The directory with the project's binaries (build/bin), from CLOBMAKER_BIN_DIR at compile time.
std::string BinDir();

}  // namespace clobmaker::testing
