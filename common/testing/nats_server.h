// Starts a real nats-server with JetStream on a free loopback port, with a temporary store,
// for tests. The server is stopped (SIGINT, then waitpid) and its store removed on destruction.
//
//   testing::NatsServer server;            // aborts the test with a clear message on failure
//   ASSERT_TRUE(server.Start().ok());
//   auto conn = nats::Connection::Connect({.url = server.url(), ...});
//   server.Restart();                      // same port and store: JetStream state survives
#pragma once

#include <absl/status/status.h>
#include <sys/types.h>

#include <string>

namespace clobmaker::testing {

class NatsServer {
 public:
  // `binary` defaults to the nats-server found at configure time (CLOBMAKER_NATS_SERVER) or
  // /usr/sbin/nats-server.
  explicit NatsServer(std::string binary = {});
  ~NatsServer();
  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;

  // Starts on a free port (first start) or on the same port as before (after Stop()). Waits
  // until the server accepts connections, at most ~10 s.
  absl::Status Start();
  // SIGINT and wait; the store directory is kept.
  void Stop();
  absl::Status Restart() {
    Stop();
    return Start();
  }
  bool running() const { return pid_ > 0; }
  int port() const { return port_; }
  std::string url() const;
  const std::string& store_dir() const { return dir_; }

 private:
  std::string binary_;
  std::string dir_;
  pid_t pid_ = -1;
  int port_ = -1;
};

}  // namespace clobmaker::testing
