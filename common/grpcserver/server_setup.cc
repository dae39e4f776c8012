#include "common/grpcserver/server_setup.h"

#include <fmt/core.h>

#include <fstream>
#include <sstream>

#include "common/grpcserver/grpc_server.h"

namespace clobmaker::grpcserver::internal {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(fmt::format("cannot read {}", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

namespace {

std::string_view HostOf(std::string_view host_port) {
  if (!host_port.empty() && host_port.front() == '[') {  // [::1]:50051
    const size_t close = host_port.find(']');
    return close == std::string_view::npos ? host_port : host_port.substr(1, close - 1);
  }
  const size_t colon = host_port.rfind(':');
  return colon == std::string_view::npos ? host_port : host_port.substr(0, colon);
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(std::string_view listen, bool open,
                                                                              const std::string& cert_file,
                                                                              const std::string& key_file,
                                                                              const std::string& client_ca_file) {
  const bool tls = !cert_file.empty() || !key_file.empty();
  const bool mtls = tls && !client_ca_file.empty();
  if (tls && (cert_file.empty() || key_file.empty())) {
    return absl::InvalidArgumentError("TLS needs both a certificate and a key file");
  }
  if (!client_ca_file.empty() && !tls) {
    return absl::InvalidArgumentError("a client CA (mutual TLS) needs a server certificate and key");
  }
  if (!IsLoopbackListen(listen) && open && !mtls) {
    return absl::InvalidArgumentError(fmt::format(
        "refusing to serve the admin API on non-loopback address {} without an admin token or mutual TLS", listen));
  }
  if (!tls) return grpc::InsecureServerCredentials();
  auto cert = ReadFile(cert_file);
  if (!cert.ok()) return cert.status();
  auto key = ReadFile(key_file);
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions ssl(mtls ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                             : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  ssl.pem_key_cert_pairs.push_back({*key, *cert});
  if (mtls) {
    auto ca = ReadFile(client_ca_file);
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *ca;
  }
  return grpc::SslServerCredentials(ssl);
}

std::string BoundAddress(std::string_view listen, int port) {
  const std::string_view host = HostOf(listen);
  return host.find(':') != std::string_view::npos ? fmt::format("[{}]:{}", host, port)
                                                  : fmt::format("{}:{}", host, port);
}

grpc::Status CheckBearerToken(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
                              const std::string& token) {
  const auto it = metadata.find("authorization");
  if (it == metadata.end()) return {grpc::StatusCode::UNAUTHENTICATED, "missing authorization metadata"};
  const std::string_view presented(it->second.data(), it->second.size());
  const std::string expected = "Bearer " + token;
  // Constant-time comparison: no early exit on the first differing byte.
  unsigned char diff = presented.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size(); ++i) {
    const unsigned char a = i < presented.size() ? static_cast<unsigned char>(presented[i]) : 0;
    diff |= static_cast<unsigned char>(a ^ static_cast<unsigned char>(expected[i]));
  }
  if (diff != 0) return {grpc::StatusCode::UNAUTHENTICATED, "invalid admin token"};
  return grpc::Status::OK;
}

}  // namespace clobmaker::grpcserver::internal

namespace clobmaker::grpcserver {

bool IsLoopbackListen(std::string_view host_port) {
  const std::string_view host = internal::HostOf(host_port);
  return host == "localhost" || host == "::1" || host.substr(0, 4) == "127.";
}

}  // namespace clobmaker::grpcserver
