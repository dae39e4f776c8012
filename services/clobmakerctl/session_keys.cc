#include "services/clobmakerctl/session_keys.h"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <thread>

#include "common/clob/credentials.h"
#include "common/core/clock.h"
#include "common/core/ids.h"
#include "common/core/rng.h"
#include "common/core/status.h"
#include "common/net/http_client.h"
#include "common/net/io_thread.h"
#include "common/relayer/relayer.h"
#include "common/signing/auth.h"
#include "common/signing/keys.h"
#include "common/signing/session_signer.h"
#include "common/wallet/wallet.h"

namespace clobmaker::ctl {
namespace {

constexpr Nanos kRequestDeadline = 30 * kNanosPerSecond;

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "clobmakerctl session-key: %s\n", message.c_str());
  return code;
}

int64_t NowSeconds() { return SystemClock::Instance().WallNanos() / kNanosPerSecond; }

}  // namespace

int RunSessionKey(const SessionKeyOptions& o) {
  if (o.action != "authorize" && o.action != "revoke" && o.action != "list") {
    return Fail(2, "the action is authorize, revoke or list");
  }
  auto key = o.key_file.empty() ? signing::LoadPrivateKeyEnv(o.key_env) : signing::LoadPrivateKeyFile(o.key_file);
  if (!key.ok()) return Fail(2, "owner key: " + std::string(StatusText(key.status())));
  auto factories = wallet::FactoriesForChain(o.chain_id);
  if (!factories.ok()) return Fail(2, "--chain-id: no deposit wallets on this chain");
  crypto::Address wallet_address = wallet::DepositWalletOf(key->address(), *factories);
  if (!o.wallet.empty()) {
    auto given = crypto::Address::Parse(o.wallet);
    if (!given.ok()) return Fail(2, "--wallet: " + std::string(given.status().message()));
    if (!wallet::IsWalletOf(signing::SignatureType::kPoly1271, key->address(), *given, *factories)) {
      return Fail(2, fmt::format("--wallet {} is not a deposit wallet of the key's address {} (session keys are "
                                 "managed by the wallet's owner)",
                                 given->ToChecksum(), key->address().ToChecksum()));
    }
    wallet_address = *given;
  }
  net::IoThread io;

  if (o.action == "list") {
    // The owner's own L2 credentials (environment, else derived).
    std::atomic<bool> stop{false};
    auto creds = clob::LoadOrDeriveCredentials(*key, o.clob_url, o.chain_id, stop, 3);
    if (!creds.ok()) return Fail(1, "API credentials: " + std::string(StatusText(creds.status())));
    auto http = net::HttpClient::Create(io, {.base_url = o.clob_url});
    if (!http.ok()) return Fail(2, "--clob-url: " + std::string(http.status().message()));
    const std::string path = "/v1/user/session-signers";
    auto h = signing::MakeL2Headers(*creds, key->address(), NowSeconds(), "GET", path, "");
    if (!h.ok()) return Fail(1, std::string(h.status().message()));
    net::HttpRequest request;
    request.target = path;
    request.headers = {{"POLY_ADDRESS", h->address},
                       {"POLY_SIGNATURE", h->signature},
                       {"POLY_TIMESTAMP", h->timestamp},
                       {"POLY_API_KEY", h->api_key},
                       {"POLY_PASSPHRASE", h->passphrase}};
    auto r = (*http)->SendSync(std::move(request), kRequestDeadline);
    if (!r.response) return Fail(1, "the CLOB did not answer: " + r.error);
    if (r.response->status != 200) return Fail(1, fmt::format("HTTP {}: {}", r.response->status, r.response->body));
    auto signers = relayer::ParseSessionSigners(r.response->body);
    if (!signers.ok()) return Fail(1, std::string(signers.status().message()));
    for (const auto& s : *signers) {
      std::string scopes;
      for (const auto& scope : s.scopes) scopes += (scopes.empty() ? "" : ",") + scope;
      std::printf("session-key: %s wallet=%s scopes=%s valid_until=%lld\n", s.address.ToChecksum().c_str(),
                  wallet_address.ToChecksum().c_str(), scopes.c_str(), static_cast<long long>(s.valid_until_s));
    }
    if (signers->empty()) std::printf("session-key: none for wallet %s\n", wallet_address.ToChecksum().c_str());
    return 0;
  }

  const bool revoke = o.action == "revoke";
  auto session = crypto::Address::Parse(o.address);
  if (!session.ok()) return Fail(2, "--address: the session key's address: " + std::string(session.status().message()));
  if (session->IsZero()) return Fail(2, "--address: Session key address must not be the zero address.");
  if (!revoke) {
    if (auto scopes = signing::CheckSessionScopes(o.scopes); !scopes.ok()) {
      return Fail(2, "--scope: " + std::string(scopes.message()));
    }
  }
  const char* builder_key = std::getenv("CLOBMAKER_BUILDER_API_KEY");
  const char* builder_secret = std::getenv("CLOBMAKER_BUILDER_SECRET");
  const char* builder_passphrase = std::getenv("CLOBMAKER_BUILDER_PASSPHRASE");
  if (builder_key == nullptr || builder_secret == nullptr || builder_passphrase == nullptr) {
    return Fail(2,
                "session keys are managed with builder API credentials: set CLOBMAKER_BUILDER_API_KEY, "
                "CLOBMAKER_BUILDER_SECRET and CLOBMAKER_BUILDER_PASSPHRASE");
  }
  const relayer::BuilderCredentials builder{builder_key, builder_secret, builder_passphrase};
  auto http = net::HttpClient::Create(io, {.base_url = o.relayer_url.empty() ? o.clob_url : o.relayer_url});
  if (!http.ok()) return Fail(2, "--relayer-url: " + std::string(http.status().message()));
  const auto get = [&](const std::string& target) {
    net::HttpRequest request;
    request.target = target;
    return (*http)->SendSync(std::move(request), kRequestDeadline);
  };

  // The owner's batch nonce, then the one self-call batch it signs.
  auto params = get("/v1/account/transactions/params?address=" + key->address().ToChecksum() + "&type=WALLET");
  if (!params.response || params.response->status != 200) {
    return Fail(
        1, "the relayer did not give the batch nonce: " + (params.response ? params.response->body : params.error));
  }
  auto nonce = relayer::ParseTransactionParamsNonce(params.response->body);
  if (!nonce.ok()) return Fail(1, std::string(nonce.status().message()));
  const int64_t now_s = NowSeconds();
  relayer::SessionSignerRequest request{
      .revoke = revoke,
      .wallet = wallet_address,
      .session_signer = *session,
      .scopes = revoke ? std::vector<std::string>{} : o.scopes,
      .valid_until_s = revoke ? 0 : static_cast<uint64_t>(now_s + signing::kSessionKeyLifetimeSeconds),
      .nonce = *nonce,
      .deadline_s = static_cast<uint64_t>(now_s + 600)};
  request.signature = relayer::SignBatch(relayer::SessionSignerBatch(request), o.chain_id, *key);
  const std::string body = relayer::EncodeSessionSignerRequest(request);
  const std::string path = revoke ? "/v1/session-signers/revocations" : "/v1/session-signers/authorizations";
  std::random_device entropy;
  Rng rng((uint64_t{entropy()} << 32) ^ entropy());
  const std::string idempotency = MakeUuidV4(rng);
  // An answer lost in transit is retried as sent (same bytes, same Idempotency-Key): the relayer
  // answers the first request again rather than taking a second one.
  net::HttpResult answer;
  for (int attempt = 0; attempt < 3; ++attempt) {
    net::HttpRequest post;
    post.method = "POST";
    post.target = path;
    post.body = body;
    post.headers = relayer::BuilderHeaders(builder, NowSeconds(), "POST", path, body);
    post.headers.emplace_back("Content-Type", "application/json");
    post.headers.emplace_back("Idempotency-Key", idempotency);
    answer = (*http)->SendSync(std::move(post), kRequestDeadline);
    if (answer.response && answer.response->status < 500) break;
  }
  if (!answer.response) return Fail(1, "the relayer did not answer: " + answer.error);
  if (answer.response->status != 200) {
    return Fail(1, fmt::format("the relayer refused (HTTP {}): {}", answer.response->status, answer.response->body));
  }
  auto parsed = relayer::ParseSessionSignerAnswer(answer.response->body);
  if (!parsed.ok()) return Fail(1, std::string(parsed.status().message()));
  if (!relayer::SessionSignerAccepted(parsed->status, revoke)) {
    return Fail(1, "the relayer's answer: status " + parsed->status);
  }
  // Done when the wallet's transaction is mined (what execution reads on chain).
  const Nanos until = SystemClock::Instance().WallNanos() + o.wait_s * kNanosPerSecond;
  for (;;) {
    auto tx = get("/v1/account/transactions/" + parsed->transaction_id);
    if (tx.response && tx.response->status == 200) {
      auto t = relayer::ParseTransactionV1(tx.response->body);
      if (t.ok() && relayer::Succeeded(t->state)) break;
      if (t.ok() && relayer::Final(t->state)) {
        return Fail(
            1, fmt::format("transaction {} {}: {}", parsed->transaction_id, relayer::StateName(t->state), t->error));
      }
    }
    if (SystemClock::Instance().WallNanos() > until) {
      return Fail(1, fmt::format("transaction {} not mined within {} s (status {})", parsed->transaction_id, o.wait_s,
                                 parsed->status));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  if (revoke) {
    std::printf("session-key: revoked %s for wallet %s transaction=%s\n", session->ToChecksum().c_str(),
                wallet_address.ToChecksum().c_str(), parsed->transaction_id.c_str());
  } else {
    std::string scopes;
    for (const auto& scope : o.scopes) scopes += (scopes.empty() ? "" : ",") + scope;
    std::printf("session-key: authorized %s for wallet %s scopes=%s valid_until=%llu transaction=%s\n",
                session->ToChecksum().c_str(), wallet_address.ToChecksum().c_str(), scopes.c_str(),
                static_cast<unsigned long long>(request.valid_until_s), parsed->transaction_id.c_str());
  }
  return 0;
}

}  // namespace clobmaker::ctl
