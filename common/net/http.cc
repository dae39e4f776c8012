#include "common/net/http.h"

#include <fmt/core.h>

#include <charconv>

namespace clobmaker::net {

std::optional<std::string_view> HttpResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key.size() != name.size()) continue;
    bool equal = true;
    for (size_t i = 0; i < key.size() && equal; ++i) {
      const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
      equal = lower(key[i]) == lower(name[i]);
    }
    if (equal) return std::string_view(value);
  }
  return std::nullopt;
}

std::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kOk:
      return "ok";
    case Outcome::kRejected:
      return "rejected";
    case Outcome::kThrottled:
      return "throttled";
    case Outcome::kAmbiguous:
      return "ambiguous";
    case Outcome::kNotSent:
      return "not_sent";
  }
  return "unknown";
}

Outcome ClassifyStatus(int status) {
  if (status >= 200 && status < 300) return Outcome::kOk;
  if (status == 429) return Outcome::kThrottled;
  // 408 request timeout and 425 too early (matching engine restarting): not processed as far as
  // we can prove, but not a refusal of the order either.
  if (status == 408 || status == 425) return Outcome::kAmbiguous;
  if (status >= 400 && status < 500) return Outcome::kRejected;
  return Outcome::kAmbiguous;  // 5xx, 1xx, 3xx: no trustworthy answer
}

absl::StatusOr<Url> ParseUrl(std::string_view url) {
  Url out;
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos)
    return absl::InvalidArgumentError(fmt::format("URL '{}' has no scheme", url));
  out.scheme = std::string(url.substr(0, scheme_end));
  if (out.scheme != "http" && out.scheme != "https" && out.scheme != "ws" && out.scheme != "wss") {
    return absl::InvalidArgumentError(fmt::format("URL '{}': unsupported scheme", url));
  }
  std::string_view rest = url.substr(scheme_end + 3);
  const size_t path_start = rest.find('/');
  std::string_view authority = rest.substr(0, path_start);
  out.path = path_start == std::string_view::npos ? "" : std::string(rest.substr(path_start));
  while (!out.path.empty() && out.path.back() == '/') out.path.pop_back();
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return absl::InvalidArgumentError(fmt::format("URL '{}': bad IPv6 host", url));
    out.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size() && authority[close + 1] == ':') port_text = authority.substr(close + 2);
  } else {
    const size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (out.host.empty()) return absl::InvalidArgumentError(fmt::format("URL '{}' has no host", url));
  if (port_text.empty()) {
    out.port = out.tls() ? 443 : 80;
  } else {
    unsigned port = 0;
    const auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port == 0 || port > 65535) {
      return absl::InvalidArgumentError(fmt::format("URL '{}': bad port", url));
    }
    out.port = static_cast<uint16_t>(port);
  }
  return out;
}

bool IsLoopbackHost(std::string_view host) {
  return host == "localhost" || host == "::1" || host.substr(0, 4) == "127.";
}

}  // namespace clobmaker::net
