// A throwaway certificate authority and a server certificate for 127.0.0.1/localhost, made at
// test time with OpenSSL (nothing is committed, nothing outlives the process).
#pragma once

#include <string>

namespace clobmaker::testing {

struct TestCertificates {
  std::string ca_pem;
  std::string server_cert_pem;
  std::string server_key_pem;
  std::string other_ca_pem;  // a second, unrelated CA: a client trusting only it must refuse
};

// Aborts the test process on OpenSSL failure (a broken test environment, not a test result).
TestCertificates MakeTestCertificates(const std::string& server_host = "localhost");

}  // namespace clobmaker::testing
