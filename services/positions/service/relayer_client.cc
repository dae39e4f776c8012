#include "services/positions/service/relayer_client.h"

#include <fmt/format.h>

#include "common/signing/auth.h"

namespace clobmaker::positions {

namespace {
constexpr Nanos kRelayerDeadline = 10 * kNanosPerSecond;

std::string PathOf(std::string_view target) { return std::string(target.substr(0, target.find('?'))); }
}  // namespace

std::vector<std::pair<std::string, std::string>> RelayerClient::AuthHeaders(std::string_view method,
                                                                            std::string_view path,
                                                                            std::string_view body) const {
  if (builder_) {
    return relayer::BuilderHeaders(*builder_, clock_.WallNanos() / kNanosPerSecond, method, path, body);
  }
  return {{"RELAYER_API_KEY", api_key_}, {"RELAYER_API_KEY_ADDRESS", owner_.address().ToChecksum()}};
}

absl::StatusOr<std::string> RelayerClient::Send(std::string method, std::string target, std::string body,
                                                bool authenticated) {
  net::HttpRequest req;
  req.method = std::move(method);
  req.headers = {{"Content-Type", "application/json"}};
  if (authenticated) {
    for (auto& h : AuthHeaders(req.method, PathOf(target), body)) req.headers.push_back(std::move(h));
  }
  req.target = std::move(target);
  req.body = std::move(body);
  const std::string what = fmt::format("relayer {} {}", req.method, PathOf(req.target));
  net::HttpResult r = http_->SendSync(std::move(req), kRelayerDeadline);
  if (r.outcome != net::Outcome::kOk || !r.response) {
    return absl::UnavailableError(fmt::format("{}: {}", what, r.error));
  }
  const int status = r.response->status;
  if (status == 429) return absl::ResourceExhaustedError(fmt::format("{}: 429 {}", what, r.response->body));
  if (status >= 400 && status < 500) {
    return absl::FailedPreconditionError(fmt::format("{}: {} {}", what, status, r.response->body));
  }
  if (status != 200) return absl::UnavailableError(fmt::format("{}: HTTP {}", what, status));
  return std::move(r.response->body);
}

absl::Status RelayerClient::Authenticate() {
  if (builder_) return absl::OkStatus();
  // L1 headers (the owner's ClobAuth signature), as for the CLOB's API keys: list, else create.
  auto l1 = [&] {
    const signing::L1Headers h = signing::MakeL1Headers(owner_, chain_id_, clock_.WallNanos() / kNanosPerSecond);
    return std::vector<std::pair<std::string, std::string>>{
        {"POLY_ADDRESS", h.address}, {"POLY_SIGNATURE", h.signature}, {"POLY_TIMESTAMP", h.timestamp},
        {"POLY_NONCE", h.nonce}};
  };
  for (const char* method : {"GET", "POST"}) {
    net::HttpRequest req;
    req.method = method;
    req.target = "/relayer/api/keys";
    req.headers = l1();
    net::HttpResult r = http_->SendSync(std::move(req), kRelayerDeadline);
    if (r.outcome != net::Outcome::kOk || !r.response || r.response->status != 200) {
      return absl::UnavailableError(fmt::format("relayer {} /relayer/api/keys: {}", method,
                                                r.response ? fmt::format("HTTP {}", r.response->status) : r.error));
    }
    auto keys = relayer::ParseRelayerApiKeys(r.response->body);
    if (!keys.ok()) return keys.status();
    if (!keys->empty()) {
      api_key_ = keys->front();
      return absl::OkStatus();
    }
  }
  return absl::UnavailableError("relayer: no relayer api key after creating one");
}

absl::StatusOr<uint64_t> RelayerClient::Nonce() {
  auto body = Send("GET", fmt::format("/nonce?address={}&type=WALLET", owner_.address().ToChecksum()), "", false);
  if (!body.ok()) return body.status();
  auto nonce = relayer::ParseNonceAnswer(*body);
  if (!nonce.ok()) return absl::UnavailableError(fmt::format("relayer /nonce: {}", std::string(nonce.status().message())));
  if (!nonce->FitsUint64()) return absl::UnavailableError("relayer /nonce: out of range");
  return nonce->Low64();
}

absl::StatusOr<bool> RelayerClient::Deployed(const crypto::Address& wallet) {
  auto body = Send("GET", fmt::format("/deployed?address={}&type=WALLET", wallet.ToChecksum()), "", false);
  if (!body.ok()) return body.status();
  auto deployed = relayer::ParseDeployedAnswer(*body);
  if (!deployed.ok()) return absl::UnavailableError(fmt::format("relayer /deployed: {}", std::string(deployed.status().message())));
  return *deployed;
}

absl::StatusOr<relayer::SubmitAnswer> RelayerClient::Submit(const relayer::SubmitRequest& request) {
  auto body = Send("POST", "/submit", relayer::EncodeSubmit(request), true);
  if (!body.ok()) return body.status();
  auto answer = relayer::ParseSubmitAnswer(*body);
  // Taken or not, the answer cannot say: the evidence (nonce, lookup by metadata) will.
  if (!answer.ok()) return absl::UnavailableError(fmt::format("relayer /submit: {}", std::string(answer.status().message())));
  return *answer;
}

absl::StatusOr<std::optional<relayer::Transaction>> RelayerClient::ById(std::string_view id) {
  auto body = Send("GET", fmt::format("/transaction?id={}", id), "", false);
  if (!body.ok()) return body.status();
  auto list = relayer::ParseTransactionList(*body);
  if (!list.ok()) return absl::UnavailableError(fmt::format("relayer /transaction: {}", std::string(list.status().message())));
  for (const relayer::Transaction& t : *list) {
    if (t.id == id) return t;
  }
  return std::nullopt;
}

absl::StatusOr<std::optional<relayer::Transaction>> RelayerClient::ByMetadata(std::string_view metadata) {
  auto body = Send("GET", "/transactions", "", true);
  if (!body.ok()) return body.status();
  auto list = relayer::ParseTransactionList(*body);
  if (!list.ok()) return absl::UnavailableError(fmt::format("relayer /transactions: {}", std::string(list.status().message())));
  std::optional<relayer::Transaction> found;
  for (const relayer::Transaction& t : *list) {
    if (t.metadata == metadata && t.from == owner_.address()) found = t;  // the newest (listed oldest first)
  }
  return found;
}

}  // namespace clobmaker::positions
