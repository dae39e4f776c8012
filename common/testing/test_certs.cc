#include "common/testing/test_certs.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace clobmaker::testing {
namespace {

void Require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "test certificate generation failed: %s\n", what);
    std::abort();
  }
}

struct KeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertDeleter {
  void operator()(X509* c) const { X509_free(c); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyDeleter>;
using Cert = std::unique_ptr<X509, CertDeleter>;

Key NewKey() {
  Key key(EVP_EC_gen("P-256"));
  Require(key != nullptr, "EC key");
  return key;
}

void AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  Require(ext != nullptr, "extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

Cert NewCert(EVP_PKEY* key, const char* common_name, X509* issuer, long serial) {
  Cert cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  return cert;
}

std::string Pem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

std::string Pem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

Cert MakeCa(EVP_PKEY* key, const char* name) {
  Cert ca = NewCert(key, name, nullptr, 1);
  AddExtension(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE");
  AddExtension(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  Require(X509_sign(ca.get(), key, EVP_sha256()) > 0, "sign CA");
  return ca;
}

}  // namespace

TestCertificates MakeTestCertificates(const std::string& server_host) {
  TestCertificates out;
  Key ca_key = NewKey();
  Cert ca = MakeCa(ca_key.get(), "clobmaker test CA");
  Key server_key = NewKey();
  Cert server = NewCert(server_key.get(), server_host.c_str(), ca.get(), 2);
  // Loopback names only for a "localhost" certificate, so that a test can present a certificate
  // that does not match 127.0.0.1.
  const std::string san = server_host == "localhost" ? "DNS:localhost,IP:127.0.0.1" : "DNS:" + server_host;
  AddExtension(server.get(), ca.get(), NID_subject_alt_name, san.c_str());
  AddExtension(server.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
  AddExtension(server.get(), ca.get(), NID_ext_key_usage, "serverAuth");
  Require(X509_sign(server.get(), ca_key.get(), EVP_sha256()) > 0, "sign server");
  Key other_key = NewKey();
  Cert other = MakeCa(other_key.get(), "unrelated CA");
  out.ca_pem = Pem(ca.get());
  out.server_cert_pem = Pem(server.get());
  out.server_key_pem = Pem(server_key.get());
  out.other_ca_pem = Pem(other.get());
  return out;
}

}  // namespace clobmaker::testing
