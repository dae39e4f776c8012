#include "common/testing/nats_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/core.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

namespace clobmaker::testing {
namespace {

#ifndef CLOBMAKER_NATS_SERVER_DEFAULT
#define CLOBMAKER_NATS_SERVER_DEFAULT "/usr/sbin/nats-server"
#endif

bool CanConnect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

int ReadPortsFile(const std::string& dir, pid_t pid) {
  const std::string path = fmt::format("{}/nats-server_{}.ports", dir, pid);
  std::ifstream in(path);
  if (!in) return -1;
  std::stringstream buffer;
  buffer << in.rdbuf();
  static const std::regex kClientUrl(R"(nats://127\.0\.0\.1:(\d+))");
  std::smatch match;
  const std::string text = buffer.str();
  if (!std::regex_search(text, match, kClientUrl)) return -1;
  return std::atoi(match[1].str().c_str());
}

}  // namespace

NatsServer::NatsServer(std::string binary) : binary_(std::move(binary)) {
  if (binary_.empty()) {
    const char* env = std::getenv("CLOBMAKER_NATS_SERVER");
    binary_ = env != nullptr ? env : CLOBMAKER_NATS_SERVER_DEFAULT;
  }
  std::string templ = (std::filesystem::temp_directory_path() / "clobmaker-nats-XXXXXX").string();
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) != nullptr) dir_ = buf.data();
}

NatsServer::~NatsServer() {
  Stop();
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::string NatsServer::url() const { return fmt::format("nats://127.0.0.1:{}", port_); }

absl::Status NatsServer::Start() {
  if (pid_ > 0) return absl::OkStatus();
  if (dir_.empty()) return absl::InternalError("could not create a temporary directory for nats-server");
  if (access(binary_.c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(
        fmt::format("nats-server not found at {} (run scripts/install-deps)", binary_));
  }
  // JetStream would otherwise claim 75% of memory and disk. The file store is a cap, not an
  // allocation, but streams with a byte bound reserve it: marketdata's CM_JOURNAL reserves 1 GiB
  // by default, so the cap leaves room for the other streams beside it (4 GiB, as scripts/up
  // leaves 1 GiB beside the journal in 2 GiB).
  const std::string config = dir_ + "/nats.conf";
  {
    std::ofstream out(config);
    out << "jetstream {\n  store_dir: \"" << dir_
        << "/js\"\n  max_memory_store: 268435456\n  max_file_store: 4294967296\n}\n";
  }
  const std::string port_arg = port_ > 0 ? std::to_string(port_) : "-1";
  const std::string log = dir_ + "/nats.log";
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    // Dies with the test (a crashed test leaves no server behind), and keeps off the test's
    // stdout/stderr (a server holding them would keep ctest waiting for a crashed test).
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    const int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) {
      dup2(devnull, STDOUT_FILENO);
      dup2(devnull, STDERR_FILENO);
      close(devnull);
    }
    execl(binary_.c_str(), binary_.c_str(), "-c", config.c_str(), "-a", "127.0.0.1", "-p", port_arg.c_str(), "-js",
          "--ports_file_dir", dir_.c_str(), "-l", log.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  pid_ = pid;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::InternalError(fmt::format("nats-server exited at start (see {})", log));
    }
    if (port_ <= 0) port_ = ReadPortsFile(dir_, pid_);
    if (port_ > 0 && CanConnect(port_)) return absl::OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  Stop();
  return absl::DeadlineExceededError("nats-server did not start within 10 s");
}

void NatsServer::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGINT);
  int status = 0;
  for (int i = 0; i < 500; ++i) {  // up to 5 s, then force
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace clobmaker::testing
