// Transport-neutral HTTP types and the classification every REST caller relies on.
//
// Execution's correctness depends on telling "the exchange refused" from "we do not know":
//   kOk         2xx: the answer is in the body;
//   kRejected   a definitive 4xx (the request was processed and refused);
//   kThrottled  429 (with the server's retry hint when it gave one);
//   kAmbiguous  anything after the request may have reached the server without an answer
//               we can trust: timeout after sending, reset, truncated response, 5xx, 425, 408;
//   kNotSent    failed before a byte of the request left (resolve, connect, TLS): safe to retry.
// A timeout is never reported as a rejection.
#pragma once

#include <absl/status/statusor.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/core/clock.h"

namespace clobmaker::net {

struct HttpRequest {
  std::string method = "GET";
  std::string target = "/";  // path plus query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Server-side fault injection (tests, simulator); ignored by clients.
  bool close_without_response = false;  // drop the connection instead of answering
  size_t truncate_after_bytes = 0;      // write only this many bytes of the answer, then close
  Nanos delay = 0;                      // wait this long before answering
  bool close_after = false;             // answer with Connection: close

  std::optional<std::string_view> Header(std::string_view name) const;
};

enum class Outcome : uint8_t { kOk, kRejected, kThrottled, kAmbiguous, kNotSent };
std::string_view OutcomeName(Outcome outcome);

struct HttpResult {
  Outcome outcome = Outcome::kNotSent;
  std::optional<HttpResponse> response;  // present whenever a complete response was read
  std::string error;                     // transport error text, if any
  std::optional<Nanos> retry_after;      // 429/503 hint (Retry-After or retry_after_seconds)
  Nanos elapsed = 0;
  bool reused_connection = false;
};

// Classifies a complete response by status code.
Outcome ClassifyStatus(int status);

struct Url {
  std::string scheme;  // http, https, ws, wss
  std::string host;
  uint16_t port = 0;
  std::string path;  // prefix for targets; "" or "/..." without trailing slash
  bool tls() const { return scheme == "https" || scheme == "wss"; }
};
absl::StatusOr<Url> ParseUrl(std::string_view url);
bool IsLoopbackHost(std::string_view host);

}  // namespace clobmaker::net
