// One line of clobmaker-sign: an order intent as JSON in, the signed result as JSON out.
//
// Input fields (as in shared/testdata/order-signing-v*.jsonl): version (absent = 1), private_key,
// chain_id, neg_risk, tick_size, side, price, size, token_id, signature_type, maker, signer,
// salt, expiration; V1: fee_rate_bps, nonce; V2/V3: timestamp, metadata, builder. `expected`
// is ignored. Output: {"maker_amount","taker_amount","exchange","order_hash","signature"} or
// {"error": reason}.
#pragma once

#include <string>
#include <string_view>

namespace clobmaker::signing {

// Keys already seen in this run, so that a stream of orders from one wallet derives its
// address once. Secrets are wiped when the cache is destroyed.
class SignerCache;

std::string SignLine(std::string_view line, SignerCache* cache = nullptr);

class SignerCache {
 public:
  SignerCache();
  ~SignerCache();
  SignerCache(const SignerCache&) = delete;
  SignerCache& operator=(const SignerCache&) = delete;
  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  Impl* impl_;
};

}  // namespace clobmaker::signing
