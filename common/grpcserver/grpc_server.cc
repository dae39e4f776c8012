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
#include <fstream>
#include <sstream>

namespace clobmaker::grpcserver {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(fmt::format("cannot read {}", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string_view HostOf(std::string_view host_port) {
  if (!host_port.empty() && host_port.front() == '[') {  // [::1]:50051
    const size_t close = host_port.find(']');
    return close == std::string_view::npos ? host_port : host_port.substr(1, close - 1);
  }
  const size_t colon = host_port.rfind(':');
  return colon == std::string_view::npos ? host_port : host_port.substr(0, colon);
}

}  // namespace

bool IsLoopbackListen(std::string_view host_port) {
  const std::string_view host = HostOf(host_port);
  return host == "localhost" || host == "::1" || host.substr(0, 4) == "127.";
}

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

grpc::Status AdminAuthorizer::Check(const grpc::ServerContext& context) const {
  if (token_.empty()) return grpc::Status::OK;
  const auto& metadata = context.client_metadata();
  const auto it = metadata.find("authorization");
  if (it == metadata.end()) return {grpc::StatusCode::UNAUTHENTICATED, "missing authorization metadata"};
  const std::string_view presented(it->second.data(), it->second.size());
  const std::string expected = "Bearer " + token_;
  // Constant-time comparison: no early exit on the first differing byte.
  unsigned char diff = presented.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size(); ++i) {
    const unsigned char a = i < presented.size() ? static_cast<unsigned char>(presented[i]) : 0;
    diff |= static_cast<unsigned char>(a ^ static_cast<unsigned char>(expected[i]));
  }
  if (diff != 0) return {grpc::StatusCode::UNAUTHENTICATED, "invalid admin token"};
  return grpc::Status::OK;
}

GrpcServer::GrpcServer(std::unique_ptr<grpc::Server> server, int port, std::string address, AdminAuthorizer authorizer)
    : server_(std::move(server)), port_(port), address_(std::move(address)), authorizer_(std::move(authorizer)) {}

GrpcServer::~GrpcServer() { Shutdown(); }

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(const GrpcServerOptions& options,
                                                              const std::vector<grpc::Service*>& services) {
  const bool tls = !options.tls_cert_file.empty() || !options.tls_key_file.empty();
  const bool mtls = tls && !options.tls_client_ca_file.empty();
  if (tls && (options.tls_cert_file.empty() || options.tls_key_file.empty())) {
    return absl::InvalidArgumentError("TLS needs both a certificate and a key file");
  }
  if (!IsLoopbackListen(options.listen) && options.token.empty() && !mtls) {
    return absl::InvalidArgumentError(
        fmt::format("refusing to serve the admin API on non-loopback address {} without an admin token or mutual TLS",
                    options.listen));
  }
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (tls) {
    auto cert = ReadFile(options.tls_cert_file);
    if (!cert.ok()) return cert.status();
    auto key = ReadFile(options.tls_key_file);
    if (!key.ok()) return key.status();
    grpc::SslServerCredentialsOptions ssl(mtls ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                               : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
    ssl.pem_key_cert_pairs.push_back({*key, *cert});
    if (mtls) {
      auto ca = ReadFile(options.tls_client_ca_file);
      if (!ca.ok()) return ca.status();
      ssl.pem_root_certs = *ca;
    }
    credentials = grpc::SslServerCredentials(ssl);
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen, credentials, &port);
  for (grpc::Service* service : services) builder.RegisterService(service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError(fmt::format("cannot serve gRPC on {}", options.listen));
  }
  const std::string_view host = HostOf(options.listen);
  const std::string address =
      host.find(':') != std::string_view::npos ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
  auto result =
      std::unique_ptr<GrpcServer>(new GrpcServer(std::move(server), port, address, AdminAuthorizer(options.token)));
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
