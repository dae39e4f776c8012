#include "common/chain/transaction.h"

#include <gtest/gtest.h>

#include "common/chain/ctf.h"
#include "common/chain/json_rpc.h"
#include "common/core/hex.h"

namespace clobmaker::chain {
namespace {

// Vectors produced for this test by ethers 6.x (Transaction.from / Interface.encodeFunctionData)
// with Hardhat's public test key #0, so they are independent of this code.
constexpr std::string_view kTestKey = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
constexpr std::string_view kTestAddress = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
constexpr std::string_view kCondition = "0xdb7552ae0fc1097b55cf19d9ff665c9ebe8a0144cb6199242f34c8501c6c42a8";
constexpr std::string_view kMergeCall =
    "0x9e7212ad000000000000000000000000c011a7e12a19f7b1f670d46f03b03f3342e82dfb0000000000000000000000000000000000000000"
    "000000000000000000000000db7552ae0fc1097b55cf19d9ff665c9ebe8a0144cb6199242f34c8501c6c42a800000000000000000000000000"
    "000000000000000000000000000000000000a000000000000000000000000000000000000000000000000000000000075bcd15000000000000"
    "000000000000000000000000000000000000000000000000000200000000000000000000000000000000000000000000000000000000000000"
    "010000000000000000000000000000000000000000000000000000000000000002";
constexpr std::string_view kRedeemCall =
    "0x01b7037c000000000000000000000000c011a7e12a19f7b1f670d46f03b03f3342e82dfb0000000000000000000000000000000000000000"
    "000000000000000000000000db7552ae0fc1097b55cf19d9ff665c9ebe8a0144cb6199242f34c8501c6c42a800000000000000000000000000"
    "000000000000000000000000000000000000800000000000000000000000000000000000000000000000000000000000000002000000000000"
    "000000000000000000000000000000000000000000000000000100000000000000000000000000000000000000000000000000000000000000"
    "02";
constexpr std::string_view kDenominatorCall =
    "0xdd34de67db7552ae0fc1097b55cf19d9ff665c9ebe8a0144cb6199242f34c8501c6c42a8";
constexpr std::string_view kNumeratorCall =
    "0x0504c814db7552ae0fc1097b55cf19d9ff665c9ebe8a0144cb6199242f34c8501c6c42a80000000000000000000000000000000000000000"
    "000000000000000000000001";
constexpr std::string_view kUnsignedHash = "0x184f26dba64fc0621ce12d1daf5fdaa2834c7f8b12b626fd58cab8935afd38e9";
constexpr std::string_view kRawTx =
    "0x02f901748189078506fc23ac00851e449a94008303d090944d97dcd97ec945f40cf65f87097ace5ea047604580b901049e7212ad00000000"
    "0000000000000000c011a7e12a19f7b1f670d46f03b03f3342e82dfb0000000000000000000000000000000000000000000000000000000000"
    "000000db7552ae0fc1097b55cf19d9ff665c9ebe8a0144cb6199242f34c8501c6c42a800000000000000000000000000000000000000000000"
    "000000000000000000a000000000000000000000000000000000000000000000000000000000075bcd15000000000000000000000000000000"
    "000000000000000000000000000000000200000000000000000000000000000000000000000000000000000000000000010000000000000000"
    "000000000000000000000000000000000000000000000002c001a0ce6f71fd1324cbaec7e5fefca79dc42426d0191ac653acce3d5712851988"
    "56eaa018524b276d708973ab7b92bda5ad3ded9df5bd4dec10cdb270348da19e220ebf";
constexpr std::string_view kTxHash = "0x3d06df565dc367dccbda94eb1352b94e24182d13df3e25c507c363fe7b205a0c";

crypto::Hash32 H(std::string_view hex) {
  crypto::Hash32 h{};
  EXPECT_TRUE(HexDecodeInto(hex, h).ok());
  return h;
}

Eip1559Transaction VectorTx() {
  Eip1559Transaction tx;
  tx.chain_id = 137;
  tx.nonce = 7;
  tx.max_priority_fee_per_gas = Uint256(30'000'000'000ULL);
  tx.max_fee_per_gas = Uint256(130'000'000'000ULL);
  tx.gas_limit = 250'000;
  tx.to = *crypto::Address::Parse("0x4D97DCd97eC945f40cF65F87097ACe5EA0476045");
  tx.data = *HexDecode(kMergeCall);
  return tx;
}

TEST(Rlp, KnownEncodings) {
  // The examples of Ethereum's RLP specification.
  const std::string dog = "dog";
  const std::vector<uint8_t> dog_bytes(dog.begin(), dog.end());
  EXPECT_EQ(HexEncode(RlpBytes(dog_bytes)), "0x83646f67");
  const std::string cat = "cat";
  const std::vector<Bytes> cat_dog = {RlpBytes(std::vector<uint8_t>(cat.begin(), cat.end())), RlpBytes(dog_bytes)};
  EXPECT_EQ(HexEncode(RlpList(cat_dog)), "0xc88363617483646f67");
  EXPECT_EQ(HexEncode(RlpBytes({})), "0x80");
  EXPECT_EQ(HexEncode(RlpList({})), "0xc0");
  EXPECT_EQ(HexEncode(RlpUint(Uint256(0))), "0x80");
  EXPECT_EQ(HexEncode(RlpUint(Uint256(15))), "0x0f");
  EXPECT_EQ(HexEncode(RlpUint(Uint256(1024))), "0x820400");
  const std::string lorem = "Lorem ipsum dolor sit amet, consectetur adipisicing elit";
  const Bytes long_string = RlpBytes(std::vector<uint8_t>(lorem.begin(), lorem.end()));
  EXPECT_EQ(HexEncode(std::span<const uint8_t>(long_string).first(2)), "0xb838");
  auto back = RlpDecode(long_string);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(std::string(back->bytes.begin(), back->bytes.end()), lorem);
}

TEST(Rlp, RefusesNonCanonicalAndTruncated) {
  EXPECT_FALSE(RlpDecode(*HexDecode("0x8100")).ok());        // a single byte < 0x80 wrapped
  EXPECT_FALSE(RlpDecode(*HexDecode("0xb80100")).ok());      // long form for a short length
  EXPECT_FALSE(RlpDecode(*HexDecode("0x83646f")).ok());      // truncated
  EXPECT_FALSE(RlpDecode(*HexDecode("0x83646f6700")).ok());  // trailing byte
  EXPECT_FALSE(RlpDecode(*HexDecode("0xc883636174")).ok());  // list longer than the input
  EXPECT_FALSE(RlpDecode({}).ok());
}

TEST(Eip1559, SignsExactlyAsEthers) {
  auto key = crypto::PrivateKey::FromHex(kTestKey);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->address().ToChecksum(), kTestAddress);
  const Eip1559Transaction tx = VectorTx();
  EXPECT_EQ(HexEncode(SigningHash(tx)), kUnsignedHash);
  const Bytes raw = SignTransaction(tx, *key);
  EXPECT_EQ(HexEncode(raw), kRawTx);
  EXPECT_EQ(HexEncode(TransactionHash(raw)), kTxHash);
}

TEST(Eip1559, DecodesAndRecoversTheSender) {
  auto decoded = DecodeSignedTransaction(*HexDecode(kRawTx));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->tx, VectorTx());
  EXPECT_EQ(decoded->sender.ToChecksum(), kTestAddress);
  EXPECT_EQ(HexEncode(decoded->hash), kTxHash);
  // A flipped byte in the calldata changes the recovered sender (or fails): never the same one.
  Bytes tampered = *HexDecode(kRawTx);
  tampered[100] ^= 0x01;
  auto t = DecodeSignedTransaction(tampered);
  EXPECT_TRUE(!t.ok() || t->sender.ToChecksum() != kTestAddress);
  EXPECT_FALSE(DecodeSignedTransaction(*HexDecode("0x01c0")).ok());  // not type 2
  Bytes truncated = *HexDecode(kRawTx);
  truncated.pop_back();
  EXPECT_FALSE(DecodeSignedTransaction(truncated).ok());
}

TEST(Ctf, SelectorsAndCalldataMatchEthers) {
  EXPECT_EQ(MergePositionsSelector(), "9e7212ad");
  EXPECT_EQ(RedeemPositionsSelector(), "01b7037c");
  EXPECT_EQ(PayoutDenominatorSelector(), "dd34de67");
  EXPECT_EQ(PayoutNumeratorsSelector(), "0504c814");
  const auto collateral = *crypto::Address::Parse("0xC011a7E12a19f7B1f670d46F03B03f3342E82DFB");
  EXPECT_EQ(HexEncode(MergePositionsCall(collateral, H(kCondition), Uint256(123456789))), kMergeCall);
  EXPECT_EQ(HexEncode(RedeemPositionsCall(collateral, H(kCondition))), kRedeemCall);
  EXPECT_EQ(PayoutDenominatorCall(H(kCondition)), kDenominatorCall);
  EXPECT_EQ(PayoutNumeratorsCall(H(kCondition), 1), kNumeratorCall);
}

TEST(Ctf, DecodesWritesAndReads) {
  auto merge = DecodeCtfWrite(*HexDecode(kMergeCall));
  ASSERT_TRUE(merge.ok()) << merge.status();
  EXPECT_EQ(merge->kind, CtfWrite::Kind::kMerge);
  EXPECT_EQ(merge->collateral.ToChecksum(), "0xC011a7E12a19f7B1f670d46F03B03f3342E82DFB");
  EXPECT_EQ(merge->condition, H(kCondition));
  EXPECT_EQ(merge->index_sets, (std::vector<Uint256>{Uint256(1), Uint256(2)}));
  EXPECT_EQ(merge->amount, Uint256(123456789));
  auto redeem = DecodeCtfWrite(*HexDecode(kRedeemCall));
  ASSERT_TRUE(redeem.ok()) << redeem.status();
  EXPECT_EQ(redeem->kind, CtfWrite::Kind::kRedeem);
  EXPECT_EQ(redeem->index_sets.size(), 2u);
  auto den = DecodePayoutRead(kDenominatorCall);
  ASSERT_TRUE(den.ok());
  EXPECT_TRUE(den->denominator);
  auto num = DecodePayoutRead(kNumeratorCall);
  ASSERT_TRUE(num.ok());
  EXPECT_FALSE(num->denominator);
  EXPECT_EQ(num->index, 1u);
  EXPECT_EQ(num->condition, H(kCondition));
  // Malformed calldata: an error, never a crash.
  Bytes short_merge = *HexDecode(kMergeCall);
  short_merge.resize(4 + 3 * 32);
  EXPECT_FALSE(DecodeCtfWrite(short_merge).ok());
  Bytes bad_offset = *HexDecode(kMergeCall);
  bad_offset[4 + 3 * 32 + 31] = 0xff;  // the partition's offset points past the end
  EXPECT_FALSE(DecodeCtfWrite(bad_offset).ok());
  EXPECT_FALSE(DecodeCtfWrite(*HexDecode("0xa9059cbb")).ok());
  EXPECT_FALSE(DecodePayoutRead("0xdd34de67").ok());
}

TEST(JsonRpc, TransactionMethods) {
  auto call = ParseRpcCall(RpcRequest(3, "eth_sendRawTransaction", R"(["0x02ab"])"));
  ASSERT_TRUE(call.ok());
  EXPECT_EQ(call->method, "eth_sendRawTransaction");
  ASSERT_EQ(call->string_params.size(), 1u);
  EXPECT_EQ(call->string_params[0], "0x02ab");
  EXPECT_EQ(*ParseStringResult(RpcResult("3", R"("0xabc")")), "0xabc");
  EXPECT_FALSE(ParseStringResult(RpcError("3", -32000, "nonce too low")).ok());
  auto pending = ParseReceiptResult(RpcResult("4", "null"));
  ASSERT_TRUE(pending.ok());
  EXPECT_FALSE(pending->found);
  auto mined = ParseReceiptResult(RpcResult("4", R"({"status":"0x1","blockNumber":"0x10","transactionHash":"0x01"})"));
  ASSERT_TRUE(mined.ok());
  EXPECT_TRUE(mined->found);
  EXPECT_TRUE(mined->success);
  EXPECT_EQ(mined->block, 16u);
  auto reverted = ParseReceiptResult(RpcResult("4", R"({"status":"0x0","blockNumber":"0x11"})"));
  ASSERT_TRUE(reverted.ok());
  EXPECT_FALSE(reverted->success);
  EXPECT_FALSE(ParseReceiptResult(RpcResult("4", R"({"status":"yes"})")).ok());
}

TEST(JsonRpc, TransactionByHash) {
  auto unknown = ParseTransactionResult(RpcResult("5", "null"));
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->found);
  auto pending = ParseTransactionResult(RpcResult("5", R"({"hash":"0x01","nonce":"0x7","blockNumber":null})"));
  ASSERT_TRUE(pending.ok());
  EXPECT_TRUE(pending->found);
  EXPECT_FALSE(pending->mined);
  EXPECT_EQ(pending->nonce, 7u);
  auto mined = ParseTransactionResult(RpcResult("5", R"({"hash":"0x01","nonce":"0x8","blockNumber":"0x20"})"));
  ASSERT_TRUE(mined.ok());
  EXPECT_TRUE(mined->mined);
  EXPECT_EQ(mined->block, 32u);
  EXPECT_FALSE(ParseTransactionResult(RpcResult("5", R"({"hash":"0x01"})")).ok());
  EXPECT_FALSE(ParseTransactionResult(RpcResult("5", R"({"nonce":"seven"})")).ok());
  EXPECT_FALSE(ParseTransactionResult(RpcError("5", -32000, "header not found")).ok());
}

}  // namespace
}  // namespace clobmaker::chain
