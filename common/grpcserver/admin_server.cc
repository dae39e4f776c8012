#include "common/grpcserver/admin_server.h"

#include <fmt/core.h>
#include <google/protobuf/descriptor.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/impl/codegen/server_callback_handlers.h>
#include <grpcpp/impl/rpc_service_method.h>
#include <grpcpp/impl/service_type.h>
#include <grpcpp/security/auth_context.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/byte_buffer.h>

#include <chrono>
#include <set>

#include "common/core/status.h"
#include "common/grpcserver/server_setup.h"

namespace clobmaker::grpcserver {

// --- Authorizer ------------------------------------------------------------------------------------

std::shared_ptr<const Authorizer> Authorizer::Token(std::string token, bool require_peer_certificate) {
  return std::shared_ptr<const Authorizer>(new Authorizer(std::move(token), require_peer_certificate));
}

grpc::Status Authorizer::Check(const grpc::ServerContextBase& context) const {
  if (require_peer_certificate_) {
    const std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
    if (auth == nullptr || !auth->IsPeerAuthenticated()) {
      return {grpc::StatusCode::UNAUTHENTICATED, "a verified client certificate is required"};
    }
  }
  if (token_.empty()) return grpc::Status::OK;
  return internal::CheckBearerToken(context.client_metadata(), token_);
}

// --- AdminRoutes -------------------------------------------------------------------------------

void AdminRoutes::Insert(std::string_view service, std::string_view method, const google::protobuf::Descriptor* request,
                         const google::protobuf::Descriptor* response,
                         std::function<void(const std::string&, ByteReply)> handler) {
  const std::string path = fmt::format("{}/{}", service, method);
  const google::protobuf::ServiceDescriptor* s =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(std::string(service));
  const google::protobuf::MethodDescriptor* m = s == nullptr ? nullptr : s->FindMethodByName(std::string(method));
  if (m == nullptr) {
    errors_.push_back(fmt::format("admin route {}: no such method in the compiled-in .proto files", path));
  } else if (m->input_type() != request || m->output_type() != response || m->client_streaming() ||
             m->server_streaming()) {
    errors_.push_back(fmt::format("admin route {}: types differ from the .proto ({} -> {})", path,
                                  m->input_type()->full_name(), m->output_type()->full_name()));
  }
  if (!routes_.emplace(path, Route{request, response, std::move(handler)}).second) {
    errors_.push_back(fmt::format("admin route {} registered twice", path));
  }
}

absl::Status AdminRoutes::Validate() const {
  if (!errors_.empty()) return absl::FailedPreconditionError(errors_.front());
  for (const std::string& name : Services()) {
    const google::protobuf::ServiceDescriptor* s =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    for (int i = 0; i < s->method_count(); ++i) {
      if (!routes_.contains(fmt::format("{}/{}", name, s->method(i)->name()))) {
        return absl::FailedPreconditionError(fmt::format("admin method {} has no route", s->method(i)->full_name()));
      }
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> AdminRoutes::Services() const {
  std::set<std::string> names;
  for (const auto& [path, route] : routes_) names.insert(path.substr(0, path.find('/')));
  return {names.begin(), names.end()};
}

void AdminRoutes::Call(const std::string& path, std::string request, ByteReply done) const {
  const auto it = routes_.find(path);
  if (it == routes_.end()) {
    done({grpc::StatusCode::UNIMPLEMENTED, "no admin method " + path}, {});
    return;
  }
  const Route* route = &it->second;
  executor_.Post([route, request = std::move(request), done = std::move(done)]() mutable {
    route->handler(request, std::move(done));
  });
}

// --- AdminServer -------------------------------------------------------------------------------

namespace {

std::string ToString(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

// One .proto service, every method a raw (bytes in, bytes out) callback handler: the request is
// authorized, then handed to its route. Registered like a generated service, so reflection lists
// it and unknown methods are answered UNIMPLEMENTED by gRPC itself.
class RoutedService final : public grpc::Service {
 public:
  RoutedService(const google::protobuf::ServiceDescriptor& service, const AdminRoutes& routes,
                std::shared_ptr<const Authorizer> authorizer)
      : routes_(routes), authorizer_(std::move(authorizer)) {
    paths_.reserve(static_cast<size_t>(service.method_count()));  // RpcServiceMethod keeps the char*
    for (int i = 0; i < service.method_count(); ++i) {
      paths_.push_back(fmt::format("/{}/{}", service.full_name(), service.method(i)->name()));
    }
    for (size_t i = 0; i < paths_.size(); ++i) {
      AddMethod(
          new grpc::internal::RpcServiceMethod(paths_[i].c_str(), grpc::internal::RpcMethod::NORMAL_RPC, nullptr));
      const std::string route = paths_[i].substr(1);
      MarkMethodRawCallback(
          static_cast<int>(i),
          new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
              [this, route](grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
                            grpc::ByteBuffer* response) { return Handle(route, context, request, response); }));
    }
  }

 private:
  grpc::ServerUnaryReactor* Handle(const std::string& route, grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request, grpc::ByteBuffer* response) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    // Fail-closed: no authorizer, no call.
    const grpc::Status allowed = authorizer_ == nullptr
                                     ? grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "admin API not authorized yet")
                                     : authorizer_->Check(*context);
    if (!allowed.ok()) {
      reactor->Finish(allowed);
      return reactor;
    }
    routes_.Call(route, ToString(*request), [reactor, response](grpc::Status status, std::string bytes) {
      if (status.ok()) {
        grpc::Slice slice(bytes);
        *response = grpc::ByteBuffer(&slice, 1);
      }
      reactor->Finish(status);
    });
    return reactor;
  }

  const AdminRoutes& routes_;
  std::shared_ptr<const Authorizer> authorizer_;
  std::vector<std::string> paths_;
};

}  // namespace

struct AdminServer::Impl {
  std::vector<std::unique_ptr<RoutedService>> services;
  std::unique_ptr<grpc::Server> server;
};

AdminServer::AdminServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

AdminServer::~AdminServer() { Shutdown(); }

absl::StatusOr<std::unique_ptr<AdminServer>> AdminServer::Start(const AdminServerOptions& options,
                                                                const AdminRoutes& routes) {
  CM_RETURN_IF_ERROR(routes.Validate());
  const bool open = options.authorizer != nullptr && options.authorizer->open();
  auto credentials = internal::ServerCredentialsFor(options.listen, open, options.tls_cert_file, options.tls_key_file,
                                                    options.tls_client_ca_file);
  if (!credentials.ok()) return credentials.status();

  auto impl = std::make_unique<Impl>();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen, *credentials, &port);
  for (const std::string& name : routes.Services()) {
    const auto* descriptor = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    impl->services.push_back(std::make_unique<RoutedService>(*descriptor, routes, options.authorizer));
    builder.RegisterService(impl->services.back().get());
  }
  impl->server = builder.BuildAndStart();
  if (impl->server == nullptr || port == 0) {
    return absl::UnavailableError(fmt::format("cannot serve gRPC on {}", options.listen));
  }
  auto result = std::unique_ptr<AdminServer>(new AdminServer(std::move(impl)));
  result->port_ = port;
  result->address_ = internal::BoundAddress(options.listen, port);
  result->SetServing(true);
  return result;
}

void AdminServer::SetServing(bool serving) {
  if (auto* health = impl_->server->GetHealthCheckService()) health->SetServingStatus(serving);
}

void AdminServer::Shutdown(Nanos grace) {
  if (shut_down_) return;
  shut_down_ = true;
  SetServing(false);
  impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::nanoseconds(grace));
  impl_->server->Wait();
}

}  // namespace clobmaker::grpcserver
