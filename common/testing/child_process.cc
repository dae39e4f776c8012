#include "common/testing/child_process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace clobmaker::testing {

ChildProcess::ChildProcess(std::string binary, std::vector<std::string> args, std::vector<std::string> env)
    : binary_(std::move(binary)), args_(std::move(args)), env_(std::move(env)) {
  char tmpl[] = "/tmp/clobmaker-child-XXXXXX";
  const int fd = mkstemp(tmpl);
  if (fd >= 0) close(fd);
  log_path_ = tmpl;
}

ChildProcess::~ChildProcess() {
  if (running()) (void)Stop(SIGKILL, 5 * kNanosPerSecond);
  if (std::getenv("CLOBMAKER_KEEP_LOGS") == nullptr) unlink(log_path_.c_str());
}

absl::Status ChildProcess::Start() {
  std::vector<std::string> argv_storage = {binary_};
  argv_storage.insert(argv_storage.end(), args_.begin(), args_.end());
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // dies with the test or tool that started it (no orphans)
    const int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      close(fd);
    }
    for (const std::string& e : env_) putenv(const_cast<char*>(e.c_str()));  // NOLINT: the child's copy
    std::vector<char*> argv;
    for (std::string& a : argv_storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary_.c_str(), argv.data());
    _exit(127);
  }
  pid_ = pid;
  return absl::OkStatus();
}

bool ChildProcess::running() const {
  if (pid_ <= 0 || exit_code_ >= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  return true;
}

std::string ChildProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::StatusOr<std::string> ChildProcess::WaitForLine(std::string_view needle, Nanos timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(timeout);
  for (;;) {
    const std::string text = log();
    const size_t at = text.find(needle);
    if (at != std::string::npos) {
      const size_t begin = text.rfind('\n', at);
      const size_t end = text.find('\n', at);
      return text.substr(begin == std::string::npos ? 0 : begin + 1,
                         (end == std::string::npos ? text.size() : end) - (begin == std::string::npos ? 0 : begin + 1));
    }
    const bool alive = running();
    if (!alive || std::chrono::steady_clock::now() > deadline) {
      const std::string tail = text.size() > 3000 ? text.substr(text.size() - 3000) : text;
      const std::string what = fmt::format("{}: no line with \"{}\"; log tail:\n{}", binary_, needle, tail);
      return alive ? absl::DeadlineExceededError(what) : absl::AbortedError("exited; " + what);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

absl::StatusOr<int> ChildProcess::Stop(int signal, Nanos timeout) {
  if (pid_ <= 0) return absl::FailedPreconditionError("not started");
  if (running()) kill(pid_, signal);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(timeout);
  while (running()) {
    if (std::chrono::steady_clock::now() > deadline) return absl::DeadlineExceededError("still running");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return exit_code_;
}

std::string BinDir() {
#ifdef CLOBMAKER_BIN_DIR
  return CLOBMAKER_BIN_DIR;
#else
  return "build/bin";
#endif
}

}  // namespace clobmaker::testing
