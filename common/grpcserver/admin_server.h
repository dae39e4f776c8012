// Every service's gRPC admin API, served one way:
//  - handlers are routes (service, method, typed request and response) that run on the service's
//    loop, never on a gRPC thread, and answer when they are done (at once or later);
//  - who may call is decided by one Authorizer, built into the server before it binds, for every
//    call, before the request reaches a route; without an Authorizer every call is refused
//    (fail-closed), so no call can slip in while a service is starting;
//  - gRPC health checking (for probes) and server reflection (grpcurl) stay open;
//  - loopback by default; binding anywhere else needs a token or mutual TLS (docs/security.md).
//
//   AdminRoutes routes(loop);
//   routes.Add(kService, "Kill", [&](const KillRequest& in, KillResponse* out) { ...; return grpc::Status::OK; });
//   routes.AddAsync(kService, "Reconcile", [&](const ReconcileRequest&, ReconcileResponse* out, Reply done) {...});
//   auto server = AdminServer::Start({.listen = "127.0.0.1:0", .authorizer = Authorizer::Token(token)}, routes);
#pragma once

#include <absl/status/statusor.h>
#include <google/protobuf/descriptor.h>
#include <grpcpp/support/status.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/core/clock.h"
#include "common/core/executor.h"

namespace grpc {
class Server;
class ServerContextBase;
}  // namespace grpc

namespace clobmaker::grpcserver {

// Decides whether one admin call may proceed. Immutable and thread-safe.
class Authorizer {
 public:
  // Requires "authorization: Bearer <token>" (compared in constant time); an empty token admits
  // every caller, which AdminServer::Start allows on loopback only. `require_peer_certificate`:
  // the caller must also have presented a verified client certificate (mutual TLS).
  static std::shared_ptr<const Authorizer> Token(std::string token, bool require_peer_certificate = false);

  grpc::Status Check(const grpc::ServerContextBase& context) const;
  bool open() const { return token_.empty() && !require_peer_certificate_; }

 private:
  Authorizer(std::string token, bool require_peer_certificate)
      : token_(std::move(token)), require_peer_certificate_(require_peer_certificate) {}
  std::string token_;
  bool require_peer_certificate_;
};

// Answers an admin call: call it exactly once, from any thread.
using Reply = std::function<void(grpc::Status)>;

// The admin methods of one process. Handlers run on the executor given here (the service's loop).
class AdminRoutes {
 public:
  explicit AdminRoutes(Executor& executor) : executor_(executor) {}
  AdminRoutes(const AdminRoutes&) = delete;
  AdminRoutes& operator=(const AdminRoutes&) = delete;

  // A method that answers before it returns. `service` and `method` are the .proto's names
  // ("clobmaker.orders.v1.ExecutionAdmin", "Kill"); Req and Resp must be that method's types.
  template <class Req, class Resp>
  void Add(std::string_view service, std::string_view method, std::function<grpc::Status(const Req&, Resp*)> handler) {
    AddAsync<Req, Resp>(service, method, [handler = std::move(handler)](const Req& in, Resp* out, Reply done) {
      done(handler(in, out));
    });
  }
  // A member function that answers before it returns: grpc::Status T::fn(const Req*, Resp*).
  template <class T, class Req, class Resp>
  void Add(std::string_view service, std::string_view method, T* object, grpc::Status (T::*fn)(const Req*, Resp*)) {
    Add<Req, Resp>(service, method, [object, fn](const Req& in, Resp* out) { return (object->*fn)(&in, out); });
  }
  // A method that answers later (`done`); `out` stays valid until then.
  template <class Req, class Resp>
  void AddAsync(std::string_view service, std::string_view method,
                std::function<void(const Req&, Resp*, Reply)> handler) {
    Insert(service, method, Req::descriptor(), Resp::descriptor(),
           [handler = std::move(handler)](const std::string& bytes, ByteReply done) {
             auto in = std::make_shared<Req>();
             if (!in->ParseFromString(bytes)) {
               done({grpc::StatusCode::INVALID_ARGUMENT, "unreadable request"}, {});
               return;
             }
             auto out = std::make_shared<Resp>();
             handler(*in, out.get(), [in, out, done = std::move(done)](grpc::Status status) {
               done(status, status.ok() ? out->SerializeAsString() : std::string());
             });
           });
  }

  // Runs a method as a call would (on the executor), without the network or authorization: for
  // in-process tests. `done` gets the status and the answer.
  template <class Req, class Resp>
  void Invoke(std::string_view service, std::string_view method, const Req& in,
              std::function<void(grpc::Status, Resp)> done) const {
    Call(std::string(service) + "/" + std::string(method), in.SerializeAsString(),
         [done = std::move(done)](grpc::Status status, std::string bytes) {
           Resp out;
           if (status.ok() && !out.ParseFromString(bytes)) status = {grpc::StatusCode::INTERNAL, "unreadable answer"};
           done(status, std::move(out));
         });
  }

  // Every route names a method of a compiled-in .proto service with the same request and answer
  // types, and every method of the services routed to has a route. FailedPrecondition naming
  // the first mismatch otherwise (a programming error: start-up fails).
  absl::Status Validate() const;
  // The services routed to, by full name.
  std::vector<std::string> Services() const;

  using ByteReply = std::function<void(grpc::Status, std::string)>;
  // Posts the route for "service/method" to the executor (internal: the server and Invoke).
  void Call(const std::string& path, std::string request, ByteReply done) const;

 private:
  struct Route {
    const google::protobuf::Descriptor* request = nullptr;
    const google::protobuf::Descriptor* response = nullptr;
    std::function<void(const std::string&, ByteReply)> handler;
  };
  void Insert(std::string_view service, std::string_view method, const google::protobuf::Descriptor* request,
              const google::protobuf::Descriptor* response, std::function<void(const std::string&, ByteReply)> handler);

  Executor& executor_;
  std::map<std::string, Route> routes_;  // "service/method" -> route
  std::vector<std::string> errors_;      // from Insert, reported by Validate
};

struct AdminServerOptions {
  std::string listen = "127.0.0.1:0";  // port 0 picks a free port
  std::string tls_cert_file;           // server certificate and key (PEM) ...
  std::string tls_key_file;
  std::string tls_client_ca_file;  // ... and the CA that client certificates must chain to (mTLS)
  // Who may call. Null: nobody (every call is refused).
  std::shared_ptr<const Authorizer> authorizer;
};

class AdminServer {
 public:
  // Validates `routes` (borrowed: they must outlive the server), then builds and starts the
  // server. Errors: InvalidArgument for an unsafe or malformed configuration, FailedPrecondition
  // for routes that do not match the .proto, Unavailable when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<AdminServer>> Start(const AdminServerOptions& options,
                                                            const AdminRoutes& routes);
  ~AdminServer();

  int port() const { return port_; }
  // "host:port" with the port actually bound.
  std::string address() const { return address_; }
  // Health status reported to probes ("" = the whole server).
  void SetServing(bool serving);
  // Stops accepting calls and waits up to `grace` for running ones (their routes' executor must
  // still run, so that they can answer).
  void Shutdown(Nanos grace = kNanosPerSecond);

  struct Impl;

 private:
  explicit AdminServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
  std::string address_;
  bool shut_down_ = false;
};

}  // namespace clobmaker::grpcserver
