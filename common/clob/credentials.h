// API credentials for a service: from the environment (CLOBMAKER_API_KEY, CLOBMAKER_API_SECRET,
// CLOBMAKER_API_PASSPHRASE; live deployments mount them from secrets), or derived from the wallet
// key through L1 (what the official clients do; the simulator answers it too). Never logged.
#pragma once

#include <absl/status/statusor.h>

#include <atomic>
#include <string>

#include "common/crypto/crypto.h"
#include "common/signing/auth.h"

namespace clobmaker::clob {

absl::StatusOr<signing::ApiCredentials> LoadOrDeriveCredentials(const crypto::PrivateKey& key,
                                                                const std::string& clob_url, uint64_t chain_id,
                                                                const std::atomic<bool>& stop, int attempts = 20);

}  // namespace clobmaker::clob
