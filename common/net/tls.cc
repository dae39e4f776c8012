#include <fmt/core.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "common/net/http.h"
#include "common/net/tls_internal.h"

namespace clobmaker::net {

namespace ssl = boost::asio::ssl;

absl::StatusOr<std::shared_ptr<ssl::context>> MakeClientTlsContext(const TlsOptions& options) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  ctx->set_default_verify_paths(ec);
  if (!options.ca_file.empty()) {
    ctx->load_verify_file(options.ca_file, ec);
    if (ec) return absl::InvalidArgumentError(fmt::format("cannot load CA file {}: {}", options.ca_file, ec.message()));
  }
  if (!options.ca_pem.empty()) {
    ctx->add_certificate_authority(boost::asio::buffer(options.ca_pem), ec);
    if (ec) return absl::InvalidArgumentError(fmt::format("cannot load CA certificate: {}", ec.message()));
  }
  ctx->set_verify_mode(options.verify_peer ? ssl::verify_peer : ssl::verify_none);
  return ctx;
}

absl::StatusOr<std::shared_ptr<ssl::context>> MakeServerTlsContext(const std::string& cert_pem,
                                                                   const std::string& key_pem) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3);
  ctx->use_certificate_chain(boost::asio::buffer(cert_pem), ec);
  if (ec) return absl::InvalidArgumentError(fmt::format("bad server certificate: {}", ec.message()));
  ctx->use_private_key(boost::asio::buffer(key_pem), ssl::context::pem, ec);
  if (ec) return absl::InvalidArgumentError(fmt::format("bad server key: {}", ec.message()));
  return ctx;
}

bool ConfigureClientSsl(SSL* ssl_handle, const std::string& host, bool verify_peer) {
  const bool is_ip = host.find_first_not_of("0123456789.") == std::string::npos || host.find(':') != std::string::npos;
  // SSL_set_tlsext_host_name is a macro with an old-style cast: call what it expands to.
  if (!is_ip && SSL_ctrl(ssl_handle, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                         const_cast<char*>(host.c_str())) != 1) {
    return false;
  }
  if (!verify_peer) return true;
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl_handle);
  if (is_ip) return X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1;
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  return X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size()) == 1;
}

}  // namespace clobmaker::net
