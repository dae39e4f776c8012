#include "common/clob/credentials.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <future>
#include <thread>

#include "common/clob/rest_client.h"
#include "common/net/io_thread.h"

namespace clobmaker::clob {

absl::StatusOr<signing::ApiCredentials> LoadOrDeriveCredentials(const crypto::PrivateKey& key,
                                                                const std::string& clob_url, uint64_t chain_id,
                                                                const std::atomic<bool>& stop, int attempts) {
  const char* api_key = std::getenv("CLOBMAKER_API_KEY");
  const char* secret = std::getenv("CLOBMAKER_API_SECRET");
  const char* passphrase = std::getenv("CLOBMAKER_API_PASSPHRASE");
  if (api_key != nullptr && secret != nullptr && passphrase != nullptr) {
    return signing::ApiCredentials(api_key, secret, passphrase);
  }
  net::IoThread io;
  ThreadExecutor loop;
  ClobClientOptions options;
  options.http.base_url = clob_url;
  options.chain_id = chain_id;
  options.executor = &loop;
  auto client = ClobRestClient::Create(io, options, &key, nullptr);
  if (!client.ok()) return client.status();
  for (int attempt = 1; attempt <= attempts && !stop; ++attempt) {
    std::promise<Result<polymarket::ApiKeyCreds>> done;
    (*client)->DeriveApiKey(0, [&](Result<polymarket::ApiKeyCreds> r) { done.set_value(std::move(r)); });
    Result<polymarket::ApiKeyCreds> r = done.get_future().get();
    if (r.ok()) return signing::ApiCredentials(r.value->api_key, r.value->secret, r.value->passphrase);
    spdlog::warn("deriving the API key from {} failed ({}), attempt {}", clob_url, r.error.error, attempt);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return absl::UnavailableError("could not derive API credentials from " + clob_url);
}

}  // namespace clobmaker::clob
