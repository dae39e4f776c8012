#include "common/chain/json_rpc.h"

#include <gtest/gtest.h>

namespace clobmaker::chain {
namespace {

TEST(JsonRpc, BalanceCallsRoundTripThroughTheServerSide) {
  const auto owner = *crypto::Address::Parse("0x00000000000000000000000000000000000000aa");
  const Uint256 token =
      *Uint256::FromDecimal("71321045679252212594626385532706912750332728571942532289631379312455583992563");
  const std::string call = Erc1155BalanceOfCall(owner, token);
  EXPECT_EQ(call.substr(0, 10), "0x00fdd58e");
  EXPECT_EQ(call.size(), 2u + 8 + 128);
  auto parsed = ParseRpcCall(EthCallRequest(7, owner, call));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->id_json, "7");
  EXPECT_EQ(parsed->method, "eth_call");
  auto q = DecodeBalanceQuery(parsed->data);
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_TRUE(q->erc1155);
  EXPECT_EQ(q->owner, "0x00000000000000000000000000000000000000aa");
  EXPECT_EQ(q->token_id, token);
  auto erc20 = DecodeBalanceQuery(Erc20BalanceOfCall(owner));
  ASSERT_TRUE(erc20.ok());
  EXPECT_FALSE(erc20->erc1155);
  EXPECT_FALSE(DecodeBalanceQuery("0xa9059cbb").ok());  // transfer(): not served
  EXPECT_FALSE(ParseRpcCall("{oops").ok());
}

TEST(JsonRpc, Results) {
  EXPECT_EQ(*ParseUint256Result(RpcResult("1", "\"" + Uint256Word(Uint256(1234567)) + "\"")), 1234567);
  EXPECT_EQ(ParseUint256Result(RpcError("1", -32000, "execution reverted")).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_FALSE(ParseUint256Result(R"({"jsonrpc":"2.0","id":1,"result":"0xzz"})").ok());
  EXPECT_EQ(ParseUint256Result(RpcResult("1", "\"0x" + std::string(64, 'f') + "\"")).status().code(),
            absl::StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace clobmaker::chain
