// clobmakerctl session-key: the deposit wallet's owner authorizes, revokes and lists session keys
// (docs/session-keys.md) through the relayer and the CLOB, as the official SDKs do. The owner's
// key signs; builder credentials come from CLOBMAKER_BUILDER_API_KEY, _SECRET, _PASSPHRASE (an
// authorization needs them; a revocation takes a relayer API key too, not used here). Never the key
// in any output.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace clobmaker::ctl {

struct SessionKeyOptions {
  std::string action;  // authorize | revoke | list
  std::string key_file, key_env = "CLOBMAKER_PRIVATE_KEY";
  std::string clob_url = "http://127.0.0.1:8080";
  std::string relayer_url;  // default: clob_url (the simulator serves both)
  uint64_t chain_id = 137;
  std::string address;  // the session key's address (authorize, revoke)
  std::string wallet;   // the deposit wallet (default: the owner's beacon deposit wallet)
  std::vector<std::string> scopes = {"CLOB"};
  int64_t wait_s = 120;  // for the relayer to mine the authorization or revocation
};

// Prints one line per result ("session-key: ..."); exit codes as clobmakerctl's: 0 done, 1
// refused or unreachable, 2 bad usage.
int RunSessionKey(const SessionKeyOptions& options);

}  // namespace clobmaker::ctl
