// Loading the wallet key: from a file that only its owner can read, or from an environment
// variable. Error messages name the source, never the key; intermediate buffers are wiped.
#pragma once

#include <absl/status/statusor.h>

#include <string_view>

#include "common/crypto/crypto.h"

namespace clobmaker::signing {

// The file holds 64 hex digits (optional 0x, surrounding whitespace ignored). PermissionDenied
// when the file is readable, writable or executable by group or others.
absl::StatusOr<crypto::PrivateKey> LoadPrivateKeyFile(std::string_view path);
// NotFound when the variable is unset.
absl::StatusOr<crypto::PrivateKey> LoadPrivateKeyEnv(std::string_view variable);

}  // namespace clobmaker::signing
