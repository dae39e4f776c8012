#include "services/clobmakerctl/doctor/live_config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace clobmaker::doctor {
namespace {

TEST(LiveConfig, TheCommentedExampleParses) {
  std::ifstream in(std::string(CLOBMAKER_SOURCE_DIR) + "/docs/samples/live.example.yaml");
  std::stringstream text;
  text << in.rdbuf();
  auto c = ParseLiveConfig(text.str(), "/home/op");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->clob_url, "https://clob.polymarket.com");
  EXPECT_EQ(c->signature_type, 3);
  EXPECT_EQ(c->key_file, "/home/op/.clobmaker/wallet.key");
  ASSERT_EQ(c->markets.size(), 1u);
  EXPECT_EQ(c->order_size_micros, 5'000'000);
  EXPECT_EQ(c->min_collateral_micros, 50'000'000);
  const DoctorOptions o = DoctorOptionsFrom(*c);
  EXPECT_EQ(o.geoblock_url, "https://polymarket.com");
  EXPECT_EQ(o.max_clock_skew, 2000 * kNanosPerMilli);
}

TEST(LiveConfig, RefusesKeysInTheFileUnknownKeysAndMissingMarkets) {
  const std::string base = "endpoints: {clob: http://127.0.0.1:8080}\nmarkets: [m]\n";
  EXPECT_TRUE(ParseLiveConfig(base + "wallet: {key_env: K}\n", "/h").ok());
  auto inline_key = ParseLiveConfig(base + "wallet: {private_key: abc}\n", "/h");
  EXPECT_FALSE(inline_key.ok());
  EXPECT_NE(inline_key.status().message().find("never read from this file"), std::string::npos);
  EXPECT_FALSE(ParseLiveConfig(base + "wallet: {key_env: K, key_file: f}\n", "/h").ok()) << "exactly one source";
  EXPECT_FALSE(ParseLiveConfig(base + "wallet: {key_env: K}\nrisk: {order_sise: 5}\n", "/h").ok()) << "typo";
  EXPECT_FALSE(ParseLiveConfig("endpoints: {clob: x}\nwallet: {key_env: K}\n", "/h").ok()) << "no markets";
  EXPECT_FALSE(ParseLiveConfig("markets: [m]\nwallet: {key_env: K}\n", "/h").ok()) << "no clob";
  EXPECT_FALSE(ParseLiveConfig(base + "wallet: {key_env: K}\nrisk: {order_size: five}\n", "/h").ok());
  EXPECT_FALSE(ParseLiveConfig("[1, 2", "/h").ok());
}

TEST(LiveConfig, TheEnvironmentForScriptsUpIsShellInert) {
  auto c = ParseLiveConfig(
      "endpoints: {clob: 'http://127.0.0.1:8080', rpc: 'http://127.0.0.1:8080/rpc', relayer: 'http://127.0.0.1:8080'}\n"
      "markets: [will-it-rain, '1234']\nwallet: {key_file: ~/k, signature_type: 0}\nrisk: {order_size: 5}\n",
      "/home/op");
  ASSERT_TRUE(c.ok()) << c.status();
  auto env = LiveEnvironment(*c);
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_NE(env->find("LIVE_CLOB_URL=http://127.0.0.1:8080\n"), std::string::npos) << *env;
  EXPECT_NE(env->find("LIVE_RPC_URL=http://127.0.0.1:8080/rpc\n"), std::string::npos) << *env;
  EXPECT_NE(env->find("LIVE_RELAYER_URL=http://127.0.0.1:8080\n"), std::string::npos) << *env;
  EXPECT_NE(env->find("LIVE_KEY_FILE=/home/op/k\n"), std::string::npos) << *env;
  EXPECT_NE(env->find("LIVE_SIGNATURE_TYPE=0\n"), std::string::npos) << *env;
  EXPECT_NE(env->find("LIVE_ORDER_SIZE_MICROS=5000000\n"), std::string::npos) << *env;
  EXPECT_NE(env->find("LIVE_MARKETS=will-it-rain 1234\n"), std::string::npos) << *env;
  // Anything a shell would act on is refused, naming the setting.
  for (const char* bad : {"'x; rm -rf ~'", "'$(id)'", "'a`b`'", "'a b'", "\"a\\nb\""}) {
    auto evil =
        ParseLiveConfig(std::string("endpoints: {clob: ") + bad + "}\nmarkets: [m]\nwallet: {key_env: K}\n", "/h");
    ASSERT_TRUE(evil.ok()) << bad << ": " << evil.status();
    auto refused = LiveEnvironment(*evil);
    EXPECT_FALSE(refused.ok()) << bad;
    EXPECT_NE(refused.status().message().find("endpoints.clob"), std::string::npos) << refused.status();
  }
  c->markets.push_back("m; reboot");
  EXPECT_FALSE(LiveEnvironment(*c).ok());
}

}  // namespace
}  // namespace clobmaker::doctor
