// The shared gRPC server setup every service uses for its admin API:
//  - gRPC health checking (grpc.health.v1, for Kubernetes probes) and server reflection
//    (grpcurl works without .proto files);
//  - loopback by default; binding anywhere else requires an admin token or mutual TLS, and
//    Start() refuses otherwise (docs/security.md);
//  - one Authorizer (admin_server.h), made before the server and handed to the services when
//    they are built, which every handler asks first (grpcserver::Authorize). No authorizer: Start
//    refuses, and a handler asked without one refuses the call (fail-closed: no call can reach a
//    handler in a window where the token is not yet in place).
//
//   auto authorizer = Authorizer::Token(token);
//   AdminService admin_service(..., authorizer);
//   auto server = GrpcServer::Start({.listen = "127.0.0.1:0", .authorizer = authorizer}, {&admin_service});
//   LOG << "admin API on " << (*server)->address();
#pragma once

#include <absl/status/statusor.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/status.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/clock.h"
#include "common/grpcserver/admin_server.h"

namespace grpc {
class Server;
class Service;
}  // namespace grpc

namespace clobmaker::grpcserver {

struct GrpcServerOptions {
  std::string listen = "127.0.0.1:0";  // port 0 picks a free port
  // Who may call (the same object the services ask). Null: Start refuses.
  std::shared_ptr<const Authorizer> authorizer;
  std::string tls_cert_file;  // server certificate and key (PEM) ...
  std::string tls_key_file;
  std::string tls_client_ca_file;  // ... and the CA that client certificates must chain to (mTLS)
};

// True for 127.0.0.0/8, ::1 and "localhost" (with a port).
bool IsLoopbackListen(std::string_view host_port);

// Reads the admin token from `file` (must not be readable by group/others) or, if `file` is
// empty, from environment variable `env_var`. Empty result is OK (no token configured).
absl::StatusOr<std::string> LoadAdminToken(std::string_view file, std::string_view env_var);

// What a handler asks first: `authorizer`'s decision, and a refusal when there is none.
grpc::Status Authorize(const Authorizer* authorizer, const grpc::ServerContextBase& context);

class GrpcServer {
 public:
  // Builds and starts the server with `services` (borrowed: they must outlive it) plus health
  // and reflection. Errors: InvalidArgument for an unsafe or malformed configuration,
  // Unavailable when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(const GrpcServerOptions& options,
                                                           const std::vector<grpc::Service*>& services);
  ~GrpcServer();

  int port() const { return port_; }
  // "host:port" with the port actually bound.
  std::string address() const { return address_; }
  // Health status reported to probes ("" = the whole server).
  void SetServing(bool serving);
  // Stops accepting calls and waits for running ones up to `grace`.
  void Shutdown(Nanos grace = kNanosPerSecond);

 private:
  GrpcServer(std::unique_ptr<grpc::Server> server, int port, std::string address);
  std::unique_ptr<grpc::Server> server_;
  int port_;
  std::string address_;
  bool shut_down_ = false;
};

}  // namespace clobmaker::grpcserver
