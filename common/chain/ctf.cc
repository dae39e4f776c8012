#include "common/chain/ctf.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "common/core/hex.h"

namespace clobmaker::chain {

namespace {

using Word = std::array<uint8_t, 32>;

std::array<uint8_t, 4> Selector(std::string_view signature) {
  const crypto::Hash32 h = crypto::Keccak256(signature);
  return {h[0], h[1], h[2], h[3]};
}

const std::array<uint8_t, 4>& MergeSel() {
  static const auto s = Selector("mergePositions(address,bytes32,bytes32,uint256[],uint256)");
  return s;
}
const std::array<uint8_t, 4>& RedeemSel() {
  static const auto s = Selector("redeemPositions(address,bytes32,bytes32,uint256[])");
  return s;
}
const std::array<uint8_t, 4>& DenominatorSel() {
  static const auto s = Selector("payoutDenominator(bytes32)");
  return s;
}
const std::array<uint8_t, 4>& NumeratorsSel() {
  static const auto s = Selector("payoutNumerators(bytes32,uint256)");
  return s;
}

class Calldata {
 public:
  explicit Calldata(const std::array<uint8_t, 4>& selector) : bytes_(selector.begin(), selector.end()) {}
  Calldata& Raw(const Word& w) {
    bytes_.insert(bytes_.end(), w.begin(), w.end());
    return *this;
  }
  Calldata& Uint(const Uint256& v) { return Raw(v.ToBigEndian()); }
  Calldata& Addr(const crypto::Address& a) {
    Word w{};
    std::copy(a.bytes().begin(), a.bytes().end(), w.begin() + 12);
    return Raw(w);
  }
  std::vector<uint8_t> Take() { return std::move(bytes_); }

 private:
  std::vector<uint8_t> bytes_;
};

const std::vector<Uint256>& BinaryPartition() {
  static const std::vector<Uint256> p = {Uint256(1), Uint256(2)};
  return p;
}

Word WordAt(std::span<const uint8_t> args, size_t index) {
  Word w{};
  std::copy_n(args.begin() + static_cast<std::ptrdiff_t>(index * 32), 32, w.begin());
  return w;
}

absl::StatusOr<uint64_t> SmallWord(std::span<const uint8_t> args, size_t index, const char* what) {
  const Uint256 v = Uint256::FromBigEndian(WordAt(args, index));
  if (!v.FitsUint64() || v.Low64() > (1u << 20)) return absl::InvalidArgumentError(fmt::format("bad {}", what));
  return v.Low64();
}

// A uint256[] whose offset (bytes from the start of the arguments) is in head word `index`.
absl::StatusOr<std::vector<Uint256>> ArrayAt(std::span<const uint8_t> args, size_t index) {
  auto offset = SmallWord(args, index, "array offset");
  if (!offset.ok()) return offset.status();
  if (*offset % 32 != 0 || *offset + 32 > args.size()) return absl::InvalidArgumentError("array offset out of range");
  auto length = SmallWord(args, *offset / 32, "array length");
  if (!length.ok()) return length.status();
  if (*offset + 32 * (1 + *length) > args.size()) return absl::InvalidArgumentError("array truncated");
  std::vector<Uint256> out;
  for (uint64_t i = 0; i < *length; ++i) out.push_back(Uint256::FromBigEndian(WordAt(args, *offset / 32 + 1 + i)));
  return out;
}

crypto::Address AddressAt(std::span<const uint8_t> args, size_t index) {
  const Word w = WordAt(args, index);
  std::array<uint8_t, 20> a{};
  std::copy(w.begin() + 12, w.end(), a.begin());
  return crypto::Address(a);
}

std::string HexSelector(const std::array<uint8_t, 4>& s) { return HexEncode(s, /*prefix=*/false); }

}  // namespace

std::string MergePositionsSelector() { return HexSelector(MergeSel()); }
std::string RedeemPositionsSelector() { return HexSelector(RedeemSel()); }
std::string PayoutDenominatorSelector() { return HexSelector(DenominatorSel()); }
std::string PayoutNumeratorsSelector() { return HexSelector(NumeratorsSel()); }

std::vector<uint8_t> MergePositionsCall(const crypto::Address& collateral, const crypto::Hash32& condition,
                                        const Uint256& amount) {
  // Head: collateral, parent (0), condition, offset of partition (5 words), amount; tail: partition.
  Calldata c(MergeSel());
  c.Addr(collateral).Raw(Word{}).Raw(condition).Uint(5 * 32).Uint(amount).Uint(BinaryPartition().size());
  for (const Uint256& v : BinaryPartition()) c.Uint(v);
  return c.Take();
}

std::vector<uint8_t> RedeemPositionsCall(const crypto::Address& collateral, const crypto::Hash32& condition) {
  Calldata c(RedeemSel());
  c.Addr(collateral).Raw(Word{}).Raw(condition).Uint(4 * 32).Uint(BinaryPartition().size());
  for (const Uint256& v : BinaryPartition()) c.Uint(v);
  return c.Take();
}

std::string PayoutDenominatorCall(const crypto::Hash32& condition) {
  return HexEncode(Calldata(DenominatorSel()).Raw(condition).Take());
}

std::string PayoutNumeratorsCall(const crypto::Hash32& condition, uint64_t outcome_index) {
  return HexEncode(Calldata(NumeratorsSel()).Raw(condition).Uint(outcome_index).Take());
}

absl::StatusOr<CtfWrite> DecodeCtfWrite(std::span<const uint8_t> calldata) {
  if (calldata.size() < 4) return absl::InvalidArgumentError("calldata shorter than a selector");
  const std::array<uint8_t, 4> sel = {calldata[0], calldata[1], calldata[2], calldata[3]};
  const auto args = calldata.subspan(4);
  if (args.size() % 32 != 0) return absl::InvalidArgumentError("arguments are not whole words");
  CtfWrite w;
  size_t head = 0;
  if (sel == MergeSel()) {
    w.kind = CtfWrite::Kind::kMerge;
    head = 5;
  } else if (sel == RedeemSel()) {
    w.kind = CtfWrite::Kind::kRedeem;
    head = 4;
  } else {
    return absl::UnimplementedError(fmt::format("unsupported conditional-tokens call 0x{}", HexSelector(sel)));
  }
  if (args.size() < head * 32) return absl::InvalidArgumentError("arguments truncated");
  w.collateral = AddressAt(args, 0);
  w.parent_collection = WordAt(args, 1);
  w.condition = WordAt(args, 2);
  auto sets = ArrayAt(args, 3);
  if (!sets.ok()) return sets.status();
  w.index_sets = std::move(*sets);
  if (w.kind == CtfWrite::Kind::kMerge) w.amount = Uint256::FromBigEndian(WordAt(args, 4));
  return w;
}

absl::StatusOr<PayoutRead> DecodePayoutRead(std::string_view data) {
  auto bytes = HexDecode(data);
  if (!bytes.ok()) return bytes.status();
  if (bytes->size() < 4) return absl::InvalidArgumentError("calldata shorter than a selector");
  const std::array<uint8_t, 4> sel = {(*bytes)[0], (*bytes)[1], (*bytes)[2], (*bytes)[3]};
  const std::span<const uint8_t> args = std::span<const uint8_t>(*bytes).subspan(4);
  PayoutRead r;
  if (sel == DenominatorSel() && args.size() == 32) {
    r.denominator = true;
  } else if (sel == NumeratorsSel() && args.size() == 64) {
    auto index = SmallWord(args, 1, "outcome index");
    if (!index.ok()) return index.status();
    r.index = *index;
  } else {
    return absl::UnimplementedError(fmt::format("unsupported read 0x{}", HexSelector(sel)));
  }
  r.condition = WordAt(args, 0);
  return r;
}

}  // namespace clobmaker::chain
