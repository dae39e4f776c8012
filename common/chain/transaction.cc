#include "common/chain/transaction.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace clobmaker::chain {

namespace {

constexpr uint8_t kEip1559Type = 0x02;

void AppendLength(Bytes& out, size_t length, uint8_t short_base, uint8_t long_base) {
  if (length <= 55) {
    out.push_back(static_cast<uint8_t>(short_base + length));
    return;
  }
  std::array<uint8_t, 8> be{};
  size_t n = 0;
  for (size_t v = length; v > 0; v >>= 8) be[7 - n++] = static_cast<uint8_t>(v & 0xff);
  out.push_back(static_cast<uint8_t>(long_base + n));
  out.insert(out.end(), be.end() - static_cast<std::ptrdiff_t>(n), be.end());
}

Bytes MinimalBigEndian(const Uint256& v) {
  const auto be = v.ToBigEndian();
  auto first = std::find_if(be.begin(), be.end(), [](uint8_t b) { return b != 0; });
  return Bytes(first, be.end());
}

// One item starting at data[0]; `consumed` is its encoded size.
absl::StatusOr<RlpItem> DecodeOne(std::span<const uint8_t> data, size_t& consumed, int depth) {
  if (depth > 16) return absl::InvalidArgumentError("RLP nested too deeply");
  if (data.empty()) return absl::InvalidArgumentError("RLP truncated");
  const uint8_t p = data[0];
  RlpItem item;
  size_t header = 1;
  size_t length = 0;
  if (p < 0x80) {
    item.bytes = {p};
    consumed = 1;
    return item;
  }
  auto long_length = [&](uint8_t base) -> absl::Status {
    const size_t n = p - base;
    if (data.size() < 1 + n) return absl::InvalidArgumentError("RLP length truncated");
    if (data[1] == 0) return absl::InvalidArgumentError("RLP length with a leading zero");
    for (size_t i = 0; i < n; ++i) length = (length << 8) | data[1 + i];
    if (length <= 55) return absl::InvalidArgumentError("RLP long form for a short length");
    header = 1 + n;
    return absl::OkStatus();
  };
  if (p <= 0xb7) {
    length = p - 0x80;
  } else if (p <= 0xbf) {
    if (auto st = long_length(0xb7); !st.ok()) return st;
  } else if (p <= 0xf7) {
    item.is_list = true;
    length = p - 0xc0;
  } else {
    item.is_list = true;
    if (auto st = long_length(0xf7); !st.ok()) return st;
  }
  if (data.size() - header < length) return absl::InvalidArgumentError("RLP payload truncated");
  const auto payload = data.subspan(header, length);
  consumed = header + length;
  if (!item.is_list) {
    if (length == 1 && payload[0] < 0x80) return absl::InvalidArgumentError("RLP single byte not in canonical form");
    item.bytes.assign(payload.begin(), payload.end());
    return item;
  }
  for (size_t at = 0; at < payload.size();) {
    size_t used = 0;
    auto child = DecodeOne(payload.subspan(at), used, depth + 1);
    if (!child.ok()) return child.status();
    item.items.push_back(std::move(*child));
    at += used;
  }
  return item;
}

absl::StatusOr<Uint256> UintOf(const RlpItem& item, const char* field) {
  if (item.is_list || item.bytes.size() > 32) return absl::InvalidArgumentError(fmt::format("bad {}", field));
  if (!item.bytes.empty() && item.bytes[0] == 0)
    return absl::InvalidArgumentError(fmt::format("{} has a leading zero", field));
  std::array<uint8_t, 32> be{};
  std::copy(item.bytes.begin(), item.bytes.end(), be.end() - static_cast<std::ptrdiff_t>(item.bytes.size()));
  return Uint256::FromBigEndian(be);
}

absl::StatusOr<uint64_t> U64Of(const RlpItem& item, const char* field) {
  auto v = UintOf(item, field);
  if (!v.ok()) return v.status();
  if (!v->FitsUint64()) return absl::InvalidArgumentError(fmt::format("{} does not fit 64 bits", field));
  return v->Low64();
}

std::vector<Bytes> UnsignedFields(const Eip1559Transaction& tx) {
  return {RlpUint(tx.chain_id),        RlpUint(tx.nonce),     RlpUint(tx.max_priority_fee_per_gas),
          RlpUint(tx.max_fee_per_gas), RlpUint(tx.gas_limit), RlpBytes(tx.to.bytes()),
          RlpUint(tx.value),           RlpBytes(tx.data),     RlpList({})};
}

Bytes Typed(const Bytes& payload) {
  Bytes out;
  out.reserve(payload.size() + 1);
  out.push_back(kEip1559Type);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

}  // namespace

Bytes RlpBytes(std::span<const uint8_t> bytes) {
  Bytes out;
  if (bytes.size() == 1 && bytes[0] < 0x80) {
    out.push_back(bytes[0]);
    return out;
  }
  AppendLength(out, bytes.size(), 0x80, 0xb7);
  out.insert(out.end(), bytes.begin(), bytes.end());
  return out;
}

Bytes RlpUint(const Uint256& value) { return RlpBytes(MinimalBigEndian(value)); }

Bytes RlpList(std::span<const Bytes> encoded_items) {
  size_t total = 0;
  for (const Bytes& b : encoded_items) total += b.size();
  Bytes out;
  out.reserve(total + 9);
  AppendLength(out, total, 0xc0, 0xf7);
  for (const Bytes& b : encoded_items) out.insert(out.end(), b.begin(), b.end());
  return out;
}

absl::StatusOr<RlpItem> RlpDecode(std::span<const uint8_t> encoded) {
  size_t used = 0;
  auto item = DecodeOne(encoded, used, 0);
  if (!item.ok()) return item.status();
  if (used != encoded.size()) return absl::InvalidArgumentError("RLP trailing bytes");
  return item;
}

crypto::Hash32 SigningHash(const Eip1559Transaction& tx) {
  const std::vector<Bytes> fields = UnsignedFields(tx);
  return crypto::Keccak256(Typed(RlpList(fields)));
}

Bytes SignTransaction(const Eip1559Transaction& tx, const crypto::PrivateKey& key) {
  const crypto::Signature sig = key.Sign(SigningHash(tx));
  std::array<uint8_t, 32> r{};
  std::array<uint8_t, 32> s{};
  std::copy(sig.bytes.begin(), sig.bytes.begin() + 32, r.begin());
  std::copy(sig.bytes.begin() + 32, sig.bytes.begin() + 64, s.begin());
  std::vector<Bytes> fields = UnsignedFields(tx);
  fields.push_back(RlpUint(static_cast<uint64_t>(sig.bytes[64] - 27)));  // y parity
  fields.push_back(RlpUint(Uint256::FromBigEndian(r)));
  fields.push_back(RlpUint(Uint256::FromBigEndian(s)));
  return Typed(RlpList(fields));
}

crypto::Hash32 TransactionHash(std::span<const uint8_t> raw) { return crypto::Keccak256(raw); }

absl::StatusOr<SignedTransaction> DecodeSignedTransaction(std::span<const uint8_t> raw) {
  if (raw.empty() || raw[0] != kEip1559Type) return absl::InvalidArgumentError("not an EIP-1559 (type 2) transaction");
  auto rlp = RlpDecode(raw.subspan(1));
  if (!rlp.ok()) return rlp.status();
  if (!rlp->is_list || rlp->items.size() != 12) return absl::InvalidArgumentError("type-2 transaction needs 12 fields");
  const auto& f = rlp->items;
  SignedTransaction out;
  Eip1559Transaction& tx = out.tx;
  auto chain_id = U64Of(f[0], "chainId");
  auto nonce = U64Of(f[1], "nonce");
  auto tip = UintOf(f[2], "maxPriorityFeePerGas");
  auto max_fee = UintOf(f[3], "maxFeePerGas");
  auto gas = U64Of(f[4], "gasLimit");
  auto value = UintOf(f[6], "value");
  auto parity = U64Of(f[9], "yParity");
  auto r = UintOf(f[10], "r");
  auto s = UintOf(f[11], "s");
  for (const absl::Status& st : {chain_id.status(), nonce.status(), tip.status(), max_fee.status(), gas.status(),
                                 value.status(), parity.status(), r.status(), s.status()}) {
    if (!st.ok()) return st;
  }
  if (f[5].is_list || f[5].bytes.size() != 20) return absl::InvalidArgumentError("'to' must be a 20-byte address");
  if (f[7].is_list) return absl::InvalidArgumentError("data must be a byte string");
  if (!f[8].is_list || !f[8].items.empty()) return absl::InvalidArgumentError("access lists are not supported");
  if (*parity > 1) return absl::InvalidArgumentError("yParity must be 0 or 1");
  tx.chain_id = *chain_id;
  tx.nonce = *nonce;
  tx.max_priority_fee_per_gas = *tip;
  tx.max_fee_per_gas = *max_fee;
  tx.gas_limit = *gas;
  std::array<uint8_t, 20> to{};
  std::copy(f[5].bytes.begin(), f[5].bytes.end(), to.begin());
  tx.to = crypto::Address(to);
  tx.value = *value;
  tx.data = f[7].bytes;
  crypto::Signature sig;
  r->WriteBigEndian(sig.bytes.data());
  s->WriteBigEndian(sig.bytes.data() + 32);
  sig.bytes[64] = static_cast<uint8_t>(27 + *parity);
  auto sender = crypto::RecoverAddress(SigningHash(tx), sig);
  if (!sender.ok()) return sender.status();
  out.sender = *sender;
  out.hash = TransactionHash(raw);
  return out;
}

}  // namespace clobmaker::chain
