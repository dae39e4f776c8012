// positions' adapter to Polymarket's relayer (the simulator's by default, on the CLOB's port):
// the owner's batch nonce, whether the deposit wallet is deployed, submissions, and lookups by id
// or by metadata. Blocking calls for the chain worker (never the loop). Every answer that is not
// a clean one is a status: a refusal (HTTP 4xx: the relayer did not take the request) is
// FailedPrecondition (429: ResourceExhausted), anything else (5xx, a timeout, a garbled body) is
// Unavailable — the caller cannot tell whether a submission was taken and must not resend it.
//
// Authentication: builder credentials when given (POLY_BUILDER_* headers), otherwise a relayer
// API key of the owner's, reused from the relayer's list or created with L1 headers. Neither the
// builder secret nor the API key is ever logged.
#pragma once

#include <absl/status/statusor.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/clock.h"
#include "common/crypto/crypto.h"
#include "common/net/http_client.h"
#include "common/relayer/relayer.h"

namespace clobmaker::positions {

class RelayerClient {
 public:
  RelayerClient(std::unique_ptr<net::HttpClient> http, const crypto::PrivateKey& owner, uint64_t chain_id,
                std::optional<relayer::BuilderCredentials> builder, const Clock& clock)
      : http_(std::move(http)), owner_(owner), chain_id_(chain_id), builder_(std::move(builder)), clock_(clock) {}

  // Finds or creates the owner's relayer API key (not needed with builder credentials).
  absl::Status Authenticate();

  absl::StatusOr<uint64_t> Nonce();  // GET /nonce?address=OWNER&type=WALLET
  absl::StatusOr<bool> Deployed(const crypto::Address& wallet);
  absl::StatusOr<relayer::SubmitAnswer> Submit(const relayer::SubmitRequest& request);
  // nullopt: the relayer does not know it.
  absl::StatusOr<std::optional<relayer::Transaction>> ById(std::string_view id);
  // The newest of the owner's transactions carrying `metadata` (the answer to a submission that
  // was never read is found here).
  absl::StatusOr<std::optional<relayer::Transaction>> ByMetadata(std::string_view metadata);

 private:
  absl::StatusOr<std::string> Send(std::string method, std::string target, std::string body, bool authenticated);
  std::vector<std::pair<std::string, std::string>> AuthHeaders(std::string_view method, std::string_view path,
                                                               std::string_view body) const;

  std::unique_ptr<net::HttpClient> http_;
  const crypto::PrivateKey& owner_;
  uint64_t chain_id_;
  std::optional<relayer::BuilderCredentials> builder_;
  const Clock& clock_;
  std::string api_key_;  // the relayer API key (set once by Authenticate, before any other call)
};

}  // namespace clobmaker::positions
