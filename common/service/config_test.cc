#include "common/service/config.h"

#include <gtest/gtest.h>

#include <map>

namespace clobmaker::service {
namespace {

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

ServiceSpec Spec() { return {.name = "svc", .key = KeyUse::kRequired, .credentials = true, .chain_id = true}; }

CommonFlags Flags() {
  CommonFlags f;
  f.admin_listen = "127.0.0.1:0";
  f.key_env = "CLOBMAKER_PRIVATE_KEY";
  return f;
}

// The message of a refused configuration, which must start with the flag or variable at fault.
std::string Refusal(const CommonFlags& flags, const EnvLookup& env = Env({}), const ServiceSpec& spec = Spec()) {
  auto config = MakeCommonConfig(spec, flags, env);
  EXPECT_FALSE(config.ok());
  if (config.ok()) return "";
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(config.status().message());
}

TEST(CommonConfig, DefaultsAreValid) {
  auto config = MakeCommonConfig(Spec(), Flags(), Env({}));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->nats_url, "nats://127.0.0.1:4222");
  EXPECT_EQ(config->key_source, KeySource::kEnvironment);
  EXPECT_EQ(config->key_env, "CLOBMAKER_PRIVATE_KEY");
  EXPECT_EQ(config->log_format, "text");
  EXPECT_EQ(config->metrics_listen, "");
}

TEST(CommonConfig, NatsUrlsIncludingAClusterList) {
  CommonFlags f = Flags();
  f.nats_url = "nats://a:4222,nats://user:pw@b:4223,tls://[::1]:4224";
  EXPECT_TRUE(MakeCommonConfig(Spec(), f, Env({})).ok());
  f.nats_url = "127.0.0.1:4222";
  EXPECT_EQ(Refusal(f).rfind("--nats: '127.0.0.1:4222'", 0), 0u);
  f.nats_url = "nats://a:4222,http://b:80";
  EXPECT_EQ(Refusal(f).rfind("--nats: 'http://b:80'", 0), 0u);
  f.nats_url = "nats://a:99999";
  EXPECT_EQ(Refusal(f).rfind("--nats:", 0), 0u);
}

TEST(CommonConfig, ListenAddressesNameTheirFlag) {
  CommonFlags f = Flags();
  f.metrics_listen = "9201";
  EXPECT_EQ(Refusal(f).rfind("--metrics-listen: '9201' is not host:port", 0), 0u);
  f.metrics_listen = "127.0.0.1:9201";
  f.admin_listen = "localhost";
  EXPECT_EQ(Refusal(f).rfind("--admin-listen:", 0), 0u);
  ServiceSpec sim = Spec();
  sim.admin_flag = "--grpc-listen";
  EXPECT_EQ(Refusal(f, Env({}), sim).rfind("--grpc-listen:", 0), 0u);
  f.admin_listen = "[::1]:9101";
  EXPECT_TRUE(MakeCommonConfig(Spec(), f, Env({})).ok());
}

TEST(CommonConfig, ClobUrlMustBeHttp) {
  CommonFlags f = Flags();
  f.clob_url = "ws://127.0.0.1:8080";
  EXPECT_EQ(Refusal(f).rfind("--clob-url:", 0), 0u);
  ServiceSpec no_clob = Spec();
  no_clob.clob = false;
  EXPECT_TRUE(MakeCommonConfig(no_clob, f, Env({})).ok());
}

TEST(CommonConfig, LogSettingsNameTheFlagOrTheVariable) {
  CommonFlags f = Flags();
  EXPECT_EQ(Refusal(f, Env({{"CLOBMAKER_LOG_LEVEL", "loud"}})).rfind("CLOBMAKER_LOG_LEVEL: 'loud'", 0), 0u);
  EXPECT_EQ(Refusal(f, Env({{"CLOBMAKER_LOG_FORMAT", "xml"}})).rfind("CLOBMAKER_LOG_FORMAT: 'xml'", 0), 0u);
  f.log_level = "loud";
  EXPECT_EQ(Refusal(f).rfind("--log-level: 'loud'", 0), 0u);
  f.log_level = "debug";  // the flag wins over the variable
  auto config = MakeCommonConfig(Spec(), f, Env({{"CLOBMAKER_LOG_LEVEL", "loud"}, {"CLOBMAKER_LOG_FORMAT", "json"}}));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->log_level, "debug");
  EXPECT_EQ(config->log_format, "json");
}

TEST(CommonConfig, KeySources) {
  CommonFlags f = Flags();
  f.key_file = "/run/secrets/key";
  auto from_file = MakeCommonConfig(Spec(), f, Env({}));
  ASSERT_TRUE(from_file.ok());
  EXPECT_EQ(from_file->key_source, KeySource::kFile);
  f.key_file.clear();
  f.key_env.clear();
  EXPECT_EQ(Refusal(f).rfind("--key-env:", 0), 0u);
  ServiceSpec optional = Spec();
  optional.key = KeyUse::kOptional;
  auto none = MakeCommonConfig(optional, f, Env({}));
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->key_source, KeySource::kNone);
}

TEST(CommonConfig, ChainIdAndTls) {
  CommonFlags f = Flags();
  f.chain_id = 1;
  EXPECT_EQ(Refusal(f), "--chain-id: must be 137 or 80002");
  f.chain_id = 80002;
  f.admin_tls_cert = "cert.pem";
  EXPECT_EQ(Refusal(f).rfind("--admin-tls-key:", 0), 0u);
  f.admin_tls_cert.clear();
  f.admin_tls_client_ca = "ca.pem";
  EXPECT_EQ(Refusal(f).rfind("--admin-tls-client-ca:", 0), 0u);
}

TEST(CommonConfig, TheWalletFromTheFlagElseTheVariableElseEoa) {
  ServiceSpec spec = Spec();
  spec.wallet = true;
  CommonFlags f = Flags();
  EXPECT_EQ(MakeCommonConfig(spec, f, Env({}))->wallet, signing::SignatureType::kEoa);
  EXPECT_EQ(MakeCommonConfig(spec, f, Env({{"CLOBMAKER_WALLET", "POLY_1271"}}))->wallet,
            signing::SignatureType::kPoly1271);
  f.wallet = "POLY_GNOSIS_SAFE";
  f.funder = "0xabc";  // checked against the key later (ServiceMain)
  auto flag = MakeCommonConfig(spec, f, Env({{"CLOBMAKER_WALLET", "POLY_1271"}}));
  ASSERT_TRUE(flag.ok()) << flag.status();
  EXPECT_EQ(flag->wallet, signing::SignatureType::kPolyGnosisSafe);
  EXPECT_EQ(flag->funder, "0xabc");
  f.wallet = "safe";
  EXPECT_EQ(Refusal(f, Env({}), spec).rfind("--wallet: unknown wallet 'safe'", 0), 0u);
  f.wallet.clear();
  EXPECT_EQ(Refusal(f, Env({{"CLOBMAKER_WALLET", "1271"}}), spec).rfind("CLOBMAKER_WALLET: unknown wallet", 0), 0u);
  EXPECT_TRUE(MakeCommonConfig(Spec(), f, Env({{"CLOBMAKER_WALLET", "1271"}})).ok()) << "not read without a wallet";
}

TEST(ListenAddress, Forms) {
  EXPECT_TRUE(IsListenAddress("127.0.0.1:0"));
  EXPECT_TRUE(IsListenAddress("0.0.0.0:65535"));
  EXPECT_TRUE(IsListenAddress("[::]:9090"));
  EXPECT_FALSE(IsListenAddress("127.0.0.1"));
  EXPECT_FALSE(IsListenAddress(":9090"));
  EXPECT_FALSE(IsListenAddress("host:65536"));
  EXPECT_FALSE(IsListenAddress("::1:9090"));
  EXPECT_FALSE(IsListenAddress("[::1]"));
}

}  // namespace
}  // namespace clobmaker::service
