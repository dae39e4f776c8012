#include "common/grpcserver/grpc_server.h"

#include <fmt/core.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>

#include "common/grpcserver/server_setup.h"

namespace clobmaker::grpcserver {

using internal::ReadFile;

absl::StatusOr<std::string> LoadAdminToken(std::string_view file, std::string_view env_var) {
  if (!file.empty()) {
    const std::string path(file);
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) return absl::NotFoundError(fmt::format("admin token file {} not found", path));
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
      return absl::PermissionDeniedError(
          fmt::format("admin token file {} is accessible by group or others (mode {:o}); run: chmod 600 {}", path,
                      st.st_mode & 0777, path));
    }
    auto text = ReadFile(path);
    if (!text.ok()) return text.status();
    std::string token = *text;
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) token.pop_back();
    if (token.empty()) return absl::InvalidArgumentError(fmt::format("admin token file {} is empty", path));
    return token;
  }
  if (!env_var.empty()) {
    const char* value = std::getenv(std::string(env_var).c_str());
    if (value != nullptr) return std::string(value);
  }
  return std::string();
}

grpc::Status Authorize(const Authorizer* authorizer, const grpc::ServerContextBase& context) {
  if (authorizer == nullptr)
    return {grpc::StatusCode::UNAVAILABLE, "admin API has no authorizer: every call is refused"};
  return authorizer->Check(context);
}

GrpcServer::GrpcServer(std::unique_ptr<grpc::Server> server, int port, std::string address)
    : server_(std::move(server)), port_(port), address_(std::move(address)) {}

GrpcServer::~GrpcServer() { Shutdown(); }

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(const GrpcServerOptions& options,
                                                              const std::vector<grpc::Service*>& services) {
  if (options.authorizer == nullptr) {
    return absl::InvalidArgumentError("admin API without an authorizer: every call would be refused");
  }
  const bool mtls = !options.tls_client_ca_file.empty();
  auto credentials =
      internal::ServerCredentialsFor(options.listen, options.authorizer->open() && !mtls, options.tls_cert_file,
                                     options.tls_key_file, options.tls_client_ca_file);
  if (!credentials.ok()) return credentials.status();

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen, *credentials, &port);
  for (grpc::Service* service : services) builder.RegisterService(service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError(fmt::format("cannot serve gRPC on {}", options.listen));
  }
  const std::string address = internal::BoundAddress(options.listen, port);
  auto result = std::unique_ptr<GrpcServer>(new GrpcServer(std::move(server), port, address));
  result->SetServing(true);
  return result;
}

void GrpcServer::SetServing(bool serving) {
  if (auto* health = server_->GetHealthCheckService()) health->SetServingStatus(serving);
}

void GrpcServer::Shutdown(Nanos grace) {
  if (shut_down_) return;
  shut_down_ = true;
  SetServing(false);
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::nanoseconds(grace));
  server_->Wait();
}

}  // namespace clobmaker::grpcserver
