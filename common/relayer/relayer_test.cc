// The relayer's wire protocol against vectors computed with the official clients
// (docs/deposit-wallets-spec.md s4.2, s4.3, s6), and its parsers against bad input.
#include "common/relayer/relayer.h"

#include <gtest/gtest.h>

#include "common/chain/ctf.h"
#include "common/core/hex.h"

namespace clobmaker::relayer {
namespace {

constexpr char kOwnerKey[] = "0x0000000000000000000000000000000000000000000000000000000000000001";
constexpr char kWallet[] = "0x6F908B3B67b9F9C40413775fFf48b286aeF9a081";  // the owner's deposit wallet

crypto::Hash32 Condition11() {
  crypto::Hash32 h;
  h.fill(0x11);
  return h;
}

WalletBatch MergeBatch() {
  const auto targets = *CallTargetsForChain(137);
  return WalletBatch{
      .wallet = *crypto::Address::Parse(kWallet),
      .nonce = Uint256(7),
      .deadline = 1767225600,
      .calls = {Call{.target = targets.collateral_adapter,
                     .value = Uint256(0),
                     .data = chain::MergePositionsCall(targets.collateral, Condition11(), Uint256(1'000'000))}}};
}

TEST(RelayerBatch, DigestAndSignatureAreTheOfficialClients) {
  const auto owner = *crypto::PrivateKey::FromHex(kOwnerKey);
  const WalletBatch batch = MergeBatch();
  EXPECT_EQ(HexEncode(BatchDigest(batch, 137)), "0xd439f60c0fd29e2d223af833c288c68cc67d9e7f82173f4bbf32d10a50434b86");
  const std::string signature = SignBatch(batch, 137, owner);
  EXPECT_EQ(signature,
            "0xac20ab774f60ed381e856bf40d1ec88cb24f3c8066e54d44eaf3ba017bc31f89681bd7ca9c9d19546cc6c26b44eef9ae67de9c1"
            "62fafaa8c5d8cca92fd1f80851c");
  EXPECT_EQ(*RecoverBatchSigner(batch, 137, signature), owner.address());
  // Any field changed: another signer (the relayer's check refuses it).
  for (int field = 0; field < 4; ++field) {
    WalletBatch changed = batch;
    if (field == 0) changed.nonce = Uint256(8);
    if (field == 1) changed.deadline += 1;
    if (field == 2) changed.calls[0].data.back() ^= 1;
    if (field == 3) changed.wallet = owner.address();
    auto signer = RecoverBatchSigner(changed, 137, signature);
    EXPECT_TRUE(!signer.ok() || *signer != owner.address()) << field;
  }
  EXPECT_NE(*RecoverBatchSigner(batch, 80002, signature), owner.address()) << "the chain id is in the domain";
  EXPECT_FALSE(RecoverBatchSigner(batch, 137, "0x1234").ok());
}

TEST(RelayerSubmit, WalletBodiesRoundTripAndCarryTheClientsFields) {
  const auto owner = *crypto::PrivateKey::FromHex(kOwnerKey);
  SubmitRequest r{.type = SubmitType::kWallet,
                  .from = owner.address(),
                  .to = CallTargetsForChain(137)->deposit_wallet_factory,
                  .batch = MergeBatch(),
                  .signature = SignBatch(MergeBatch(), 137, owner),
                  .metadata = "merge \"x\""};
  const std::string body = EncodeSubmit(r);
  for (const char* field : {R"("type":"WALLET")", R"("nonce":"7")", R"("deadline":"1767225600")",
                            R"("depositWallet":"0x6F908B3B67b9F9C40413775fFf48b286aeF9a081")", R"("value":"0")"}) {
    EXPECT_NE(body.find(field), std::string::npos) << field << " in " << body;
  }
  auto parsed = ParseSubmit(body);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->type, SubmitType::kWallet);
  EXPECT_EQ(parsed->from, r.from);
  EXPECT_EQ(parsed->to, r.to);
  EXPECT_EQ(parsed->batch, r.batch);
  EXPECT_EQ(parsed->signature, r.signature);
  EXPECT_EQ(parsed->metadata, r.metadata);
  auto create = ParseSubmit(EncodeSubmit({.type = SubmitType::kWalletCreate, .from = r.from, .to = r.to}));
  ASSERT_TRUE(create.ok()) << create.status();
  EXPECT_EQ(create->type, SubmitType::kWalletCreate);
  EXPECT_FALSE(create->batch.has_value());
  // Numbers where clients send decimal strings are accepted too.
  auto numeric = ParseSubmit(
      R"({"type":"WALLET","from":"0x7e5f4552091a69125d5dfcb7b8c2659029395bdf","to":"0x00000000000fb5c9adea0298d729a0cb3823cc07",)"
      R"("nonce":7,"signature":"0x00","depositWalletParams":{"depositWallet":"0x6f908b3b67b9f9c40413775fff48b286aef9a081",)"
      R"("deadline":1767225600,"calls":[{"target":"0xada100db00ca00073811820692005400218fce1f","value":0,"data":"0x"}]}})");
  ASSERT_TRUE(numeric.ok()) << numeric.status();
  EXPECT_EQ(numeric->batch->deadline, 1767225600u);
}

TEST(RelayerSubmit, BadBodiesAreErrorsNamingWhatIsWrong) {
  const std::string good = EncodeSubmit({.type = SubmitType::kWallet,
                                         .from = *crypto::Address::Parse("0x7e5f4552091a69125d5dfcb7b8c2659029395bdf"),
                                         .to = CallTargetsForChain(137)->deposit_wallet_factory,
                                         .batch = MergeBatch(),
                                         .signature = "0x00"});
  ASSERT_TRUE(ParseSubmit(good).ok());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "not a JSON object"},
      {"[1]", "not a JSON object"},
      {R"({"type":"SAFE","from":"0x7e5f4552091a69125d5dfcb7b8c2659029395bdf","to":"0x7e5f4552091a69125d5dfcb7b8c2659029395bdf"})",
       "unsupported transaction type 'SAFE'"},
      {R"({"type":"WALLET","to":"0x7e5f4552091a69125d5dfcb7b8c2659029395bdf"})", "missing field 'from'"},
      {R"({"type":"WALLET","from":"0x7e5f","to":"0x7e5f4552091a69125d5dfcb7b8c2659029395bdf"})", "field 'from'"},
      {R"({"type":"WALLET","from":"0x7e5f4552091a69125d5dfcb7b8c2659029395bdf","to":"0x7e5f4552091a69125d5dfcb7b8c2659029395bdf","signature":"0x","nonce":"7"})",
       "missing field 'depositWalletParams'"},
      {R"({"type":"WALLET","from":"0x7e5f4552091a69125d5dfcb7b8c2659029395bdf","to":"0x7e5f4552091a69125d5dfcb7b8c2659029395bdf","signature":"0x","nonce":"-1","depositWalletParams":{}})",
       "field 'nonce'"},
  };
  for (const auto& [body, error] : cases) {
    auto parsed = ParseSubmit(body);
    ASSERT_FALSE(parsed.ok()) << body;
    EXPECT_NE(parsed.status().message().find(error), std::string_view::npos) << parsed.status() << " for " << body;
  }
  std::string bad_data = good;
  bad_data.replace(bad_data.find("\"data\":\"0x") + 10, 2, "zz");
  EXPECT_FALSE(ParseSubmit(bad_data).ok());
}

TEST(RelayerTransactions, BothGenerationsOfTheApiRoundTripAndUnknownStatesAreRefused) {
  Transaction t{.id = "0190b317-a1d3-7bec-9b91-eeb6dcd3a620",
                .hash = "0xabc",
                .from = *crypto::Address::Parse("0x7e5f4552091a69125d5dfcb7b8c2659029395bdf"),
                .to = CallTargetsForChain(137)->deposit_wallet_factory,
                .proxy_address = *crypto::Address::Parse(kWallet),
                .nonce = "7",
                .state = TxState::kMined,
                .type = SubmitType::kWallet,
                .metadata = "merge",
                .created_at = "2026-12-02T10:00:00Z",
                .updated_at = "2026-12-02T10:00:02Z"};
  auto list = ParseTransactionList(EncodeTransactionList({t}));
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].id, t.id);
  EXPECT_EQ((*list)[0].hash, t.hash);
  EXPECT_EQ((*list)[0].state, TxState::kMined);
  EXPECT_EQ((*list)[0].proxy_address, t.proxy_address);
  EXPECT_EQ((*list)[0].nonce, "7");
  t.state = TxState::kFailed;
  t.error = "execution reverted";
  const std::string v1 = EncodeTransactionV1(t);
  EXPECT_NE(v1.find(R"("transaction_id":"0190b317-a1d3-7bec-9b91-eeb6dcd3a620")"), std::string::npos) << v1;
  auto one = ParseTransactionV1(v1);
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(one->state, TxState::kFailed);
  EXPECT_EQ(one->error, "execution reverted");
  auto unknown = ParseTransactionV1(R"({"transaction_id":"x","state":"STATE_PENDING_FOREVER"})");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("STATE_PENDING_FOREVER"), std::string_view::npos);
  EXPECT_FALSE(ParseTransactionList("{}").ok());
  EXPECT_FALSE(ParseSubmitAnswer(R"({"transactionID":"","state":"STATE_NEW"})").ok());
  auto answer = ParseSubmitAnswer(EncodeSubmitAnswer({.transaction_id = "id-1", .state = TxState::kNew}));
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->transaction_id, "id-1");
  EXPECT_EQ(*ParseNonceAnswer(R"({"nonce":"12"})"), Uint256(12));
  EXPECT_TRUE(*ParseDeployedAnswer(R"({"deployed":true})"));
  EXPECT_FALSE(ParseDeployedAnswer(R"({"deployed":"yes"})").ok());
  for (TxState s :
       {TxState::kNew, TxState::kExecuted, TxState::kMined, TxState::kConfirmed, TxState::kInvalid, TxState::kFailed}) {
    EXPECT_EQ(*ParseState(StateName(s)), s);
  }
  EXPECT_TRUE(Succeeded(TxState::kMined));
  EXPECT_TRUE(Succeeded(TxState::kConfirmed));
  EXPECT_FALSE(Succeeded(TxState::kExecuted));
  EXPECT_FALSE(Final(TxState::kMined));
  EXPECT_TRUE(Final(TxState::kInvalid));
}

TEST(RelayerAuth, BuilderSignatureIsTheSigningSdks) {
  EXPECT_EQ(
      *BuilderSignature("Y2xvYm1ha2VyLXRlc3Qtc2VjcmV0LW5vdC1yZWFsISE=", 1767225600, "POST", "/submit", R"({"a":1})"),
      "dFqnACwUb1Lb2NiJ6-40vKNWgf6zgRN6DNKkvqwwJlI=");
  const auto headers =
      BuilderHeaders({.key = "k", .secret = "Y2xvYm1ha2VyLXRlc3Qtc2VjcmV0LW5vdC1yZWFsISE=", .passphrase = "p"},
                     1767225600, "POST", "/submit", R"({"a":1})");
  ASSERT_EQ(headers.size(), 4u);
  EXPECT_EQ(headers[3].first, "POLY_BUILDER_SIGNATURE");
  EXPECT_EQ(headers[3].second, "dFqnACwUb1Lb2NiJ6-40vKNWgf6zgRN6DNKkvqwwJlI=");
  EXPECT_FALSE(BuilderSignature("not base64 !!", 1, "POST", "/submit", "").ok());
}

TEST(RelayerCalls, ApprovalsAreTheErc20AndErc1155Calldata) {
  const auto spender = *crypto::Address::Parse("0xE111180000d2663C0091e4f400237545B87B996B");
  EXPECT_EQ(HexEncode(ApproveCall(spender, Uint256(5))),
            "0x095ea7b3000000000000000000000000e111180000d2663c0091e4f400237545b87b996b"
            "0000000000000000000000000000000000000000000000000000000000000005");
  EXPECT_EQ(HexEncode(SetApprovalForAllCall(spender, true)),
            "0xa22cb465000000000000000000000000e111180000d2663c0091e4f400237545b87b996b"
            "0000000000000000000000000000000000000000000000000000000000000001");
  EXPECT_EQ(HexEncode(crypto::Keccak256("approve(address,uint256)")).substr(0, 10), "0x095ea7b3");
  EXPECT_EQ(HexEncode(crypto::Keccak256("setApprovalForAll(address,bool)")).substr(0, 10), "0xa22cb465");
  EXPECT_FALSE(CallTargetsForChain(1).ok());
}

TEST(RelayerAuth, ApiKeysAreReadFromBothAnswersAndGarbageIsRefused) {
  auto created = ParseRelayerApiKeys(R"({"apiKey":"k-1","address":"0xabc"})");
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(*created, std::vector<std::string>{"k-1"});
  auto listed = ParseRelayerApiKeys(R"([{"apiKey":"k-1","address":"0xabc"},{"apiKey":"k-2","address":"0xabc"}])");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(*listed, (std::vector<std::string>{"k-1", "k-2"}));
  auto none = ParseRelayerApiKeys("[]");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_FALSE(ParseRelayerApiKeys(R"([{"address":"0xabc"}])").ok());
  EXPECT_FALSE(ParseRelayerApiKeys(R"({"apiKey":""})").ok());
  EXPECT_FALSE(ParseRelayerApiKeys("not json").ok());
}

// Session keys: the authorize and revoke batches of the session-key vectors published with a
// reimplementation of the official SDKs (owner = Anvil #0, its beacon deposit wallet, session key
// Anvil #1): calldata, EIP-712 digest and the owner's signature, byte for byte.
TEST(RelayerSessionSigners, AuthorizeAndRevokeBatchesMatchThePublishedVectors) {
  const auto owner = *crypto::PrivateKey::FromHex("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
  const auto wallet = *crypto::Address::Parse("0xBc0fF067b7740Eff76C1ca93c875Ba6B890d6B50");
  const auto session = *crypto::Address::Parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
  SessionSignerRequest authorize{.wallet = wallet,
                                 .session_signer = session,
                                 .scopes = {"CLOB"},
                                 .valid_until_s = 1815534000,
                                 .nonce = Uint256(4),
                                 .deadline_s = 1800000600};
  const WalletBatch a = SessionSignerBatch(authorize);
  ASSERT_EQ(a.calls.size(), 1u);
  EXPECT_EQ(a.calls[0].target, wallet);
  EXPECT_EQ(HexEncode(a.calls[0].data),
            "0x24017fae00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8"
            "000000000000000000000000000000000000000000000000000000006c36d9b0");
  EXPECT_EQ(HexEncode(BatchDigest(a, 137)), "0xba435e27bb0258e5a631d904cb28416f163aee1532901376b30e4939de58976b");
  EXPECT_EQ(SignBatch(a, 137, owner),
            "0x91a54e2dab364c46a1461c803eb0619d11f6ca94731904b280d4c0766cd44e05005b55ebe4610b7c718ec4c13779b3cebe629fc3"
            "02830c4902e51c83f6da72a91b");
  SessionSignerRequest revoke{
      .revoke = true, .wallet = wallet, .session_signer = session, .nonce = Uint256(5), .deadline_s = 1800000600};
  const WalletBatch r = SessionSignerBatch(revoke);
  EXPECT_EQ(HexEncode(r.calls[0].data), "0xe63f952f00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8");
  EXPECT_EQ(HexEncode(BatchDigest(r, 137)), "0x2856c1f8a21239cb091f2ca96709a76ab97ce55ed49e653ed83809ee0a3cd24f");
  EXPECT_EQ(HexEncode(crypto::Keccak256("authorizeSessionSigner(address,uint256)")).substr(0, 10), "0x24017fae");
  EXPECT_EQ(HexEncode(crypto::Keccak256("revokeSessionSigner(address)")).substr(0, 10), "0xe63f952f");
}

TEST(RelayerSessionSigners, RequestsAnswersAndListingsRoundTrip) {
  const auto wallet = *crypto::Address::Parse("0xBc0fF067b7740Eff76C1ca93c875Ba6B890d6B50");
  const auto session = *crypto::Address::Parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
  SessionSignerRequest in{.wallet = wallet,
                          .session_signer = session,
                          .scopes = {"CLOB"},
                          .valid_until_s = 1815534000,
                          .nonce = Uint256(4),
                          .deadline_s = 1800000600,
                          .signature = "0x91a5"};
  const std::string body = EncodeSessionSignerRequest(in);
  EXPECT_EQ(body, R"({"deadline":"1800000600","nonce":"4","scopes":["CLOB"],)"
                  R"("sessionSignerAddress":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8","signature":"0x91a5",)"
                  R"("validUntil":"1815534000","walletAddress":"0xBc0fF067b7740Eff76C1ca93c875Ba6B890d6B50"})");
  auto out = ParseSessionSignerRequest(body, false);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->scopes, in.scopes);
  EXPECT_EQ(out->valid_until_s, in.valid_until_s);
  EXPECT_EQ(out->nonce, in.nonce);
  EXPECT_EQ(out->session_signer, session);
  EXPECT_FALSE(ParseSessionSignerRequest(R"({"walletAddress":"0x1"})", false).ok());
  EXPECT_FALSE(ParseSessionSignerRequest("[]", true).ok());
  SessionSignerRequest rev = in;
  rev.revoke = true;
  auto rev_back = ParseSessionSignerRequest(EncodeSessionSignerRequest(rev), true);
  ASSERT_TRUE(rev_back.ok()) << rev_back.status();
  EXPECT_TRUE(rev_back->revoke);
  EXPECT_EQ(EncodeSessionSignerRequest(rev).find("scopes"), std::string::npos);

  auto answer = ParseSessionSignerAnswer(
      EncodeSessionSignerAnswer({.operation_id = "op-1", .status = "SUBMITTED", .transaction_id = "tx-1"}, false));
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->transaction_id, "tx-1");
  EXPECT_TRUE(SessionSignerAccepted(answer->status, false));
  EXPECT_FALSE(SessionSignerAccepted("FAILED", false));
  EXPECT_TRUE(SessionSignerAccepted("FENCED", true));
  auto fenced = ParseSessionSignerAnswer(EncodeSessionSignerAnswer(
      {.operation_id = "op-2", .status = "FENCED", .transaction_id = "tx-2", .fenced = true}, true));
  ASSERT_TRUE(fenced.ok());
  EXPECT_TRUE(fenced->fenced);

  auto listed = ParseSessionSigners(EncodeSessionSigners(wallet, {{session, {"CLOB"}, 1815534000}}));
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].address, session);
  EXPECT_EQ((*listed)[0].valid_until_s, 1815534000);
  EXPECT_FALSE(ParseSessionSigners(R"({"wallet":"0x0"})").ok());
  EXPECT_FALSE(ParseSessionSigners(R"({"signers":[{"address":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8"}]})").ok());
  auto nonce = ParseTransactionParamsNonce(R"({"address":"0xe1a7e","nonce":"7"})");
  ASSERT_TRUE(nonce.ok());
  EXPECT_EQ(*nonce, Uint256(7));
}

}  // namespace
}  // namespace clobmaker::relayer
