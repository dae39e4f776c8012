// marketdata's own flags through ServiceMain's hooks: the names, defaults and checks scripts and
// manifests rely on, what is derived from --clob-url, and no markets as a bad configuration.
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "services/marketdata/service/marketdata_service.h"

namespace clobmaker::marketdata {
namespace {

using Flags = MarketDataService::Flags;

absl::StatusOr<MarketDataOptions> Parse(std::vector<std::string> args, std::string clob_url = "http://127.0.0.1:8080") {
  CLI::App app;
  Flags flags;
  flags.Declare(app);
  std::vector<const char*> argv{"marketdata"};
  for (const std::string& a : args) argv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    return absl::InvalidArgumentError(e.what());
  }
  service::CommonConfig config;
  config.clob_url = std::move(clob_url);
  return flags.ToOptions(config);
}

TEST(MarketDataFlags, NoMarketsIsABadConfiguration) {
  auto options = Parse({});
  ASSERT_FALSE(options.ok());
  EXPECT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(options.status().message(), "no markets: give --market (slug or token id) or --all-markets");
}

TEST(MarketDataFlags, DefaultsAndDerivedUrls) {
  auto options = Parse({"--market", "a-slug", "--market", "12345678901"}, "https://clob.example.com:8443/base");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->markets, (std::vector<std::string>{"a-slug", "12345678901"}));
  EXPECT_FALSE(options->all_markets);
  EXPECT_EQ(options->clob_url, "https://clob.example.com:8443/base");
  EXPECT_EQ(options->gamma_url, "https://clob.example.com:8443/base/gamma");
  EXPECT_EQ(options->market_ws_url, "wss://clob.example.com:8443/base/ws/market");
  EXPECT_EQ(options->reference_url, "wss://clob.example.com:8443/base/ws/reference");
  EXPECT_EQ(options->reference.feed, "sim");
  EXPECT_EQ(options->reference.stale_after, 5 * kNanosPerSecond);
  EXPECT_EQ(options->books.verify_when_quiet, kNanosPerSecond);
  EXPECT_EQ(options->books.verify_every, 30 * kNanosPerSecond);
  EXPECT_EQ(options->max_assets_per_connection, 200u);
  EXPECT_TRUE(options->journal.enabled);
  EXPECT_EQ(options->journal.max_bytes, int64_t{1} << 30);
  EXPECT_EQ(options->journal.max_age, 24 * 3600 * kNanosPerSecond);
  EXPECT_EQ(options->journal.checkpoint_every, 60 * kNanosPerSecond);
}

TEST(MarketDataFlags, EveryFlagTakesEffect) {
  auto options = Parse({"--all-markets",
                        "--ws-url",
                        "ws://w/ws/market",
                        "--gamma-url",
                        "http://g",
                        "--reference-url",
                        "none",
                        "--reference-feed",
                        "rtds",
                        "--reference-subscribe",
                        "{}",
                        "--reference-stale-s",
                        "2.5",
                        "--max-assets-per-connection",
                        "50",
                        "--snapshot-rate",
                        "100",
                        "--verify-quiet-ms",
                        "500",
                        "--verify-every-s",
                        "10",
                        "--no-journal",
                        "--journal-max-bytes",
                        "2097152",
                        "--journal-max-age-h",
                        "2",
                        "--journal-checkpoint-s",
                        "5"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_TRUE(options->all_markets);
  EXPECT_EQ(options->market_ws_url, "ws://w/ws/market");
  EXPECT_EQ(options->gamma_url, "http://g");
  EXPECT_EQ(options->reference_url, "none");
  EXPECT_EQ(options->reference.feed, "rtds");
  EXPECT_EQ(options->reference_subscribe, "{}");
  EXPECT_EQ(options->reference.stale_after, 2500 * kNanosPerMilli);
  EXPECT_EQ(options->max_assets_per_connection, 50u);
  EXPECT_EQ(options->books.snapshot_rate_per_s, 100);
  EXPECT_EQ(options->books.snapshot_burst, 100);  // the burst is at least one second's rate
  EXPECT_EQ(options->books.verify_when_quiet, 500 * kNanosPerMilli);
  EXPECT_EQ(options->books.verify_every, 10 * kNanosPerSecond);
  EXPECT_FALSE(options->journal.enabled);
  EXPECT_EQ(options->journal.max_bytes, 2097152);
  EXPECT_EQ(options->journal.max_age, 2 * 3600 * kNanosPerSecond);
  EXPECT_EQ(options->journal.checkpoint_every, 5 * kNanosPerSecond);
}

TEST(MarketDataFlags, ChecksRefuseOutOfRangeValues) {
  EXPECT_FALSE(Parse({"--all-markets", "--max-assets-per-connection", "501"}).ok());
  EXPECT_FALSE(Parse({"--all-markets", "--snapshot-rate", "0"}).ok());
  EXPECT_FALSE(Parse({"--all-markets", "--verify-quiet-ms", "5"}).ok());
  EXPECT_FALSE(Parse({"--all-markets", "--verify-every-s", "0"}).ok());
  EXPECT_FALSE(Parse({"--all-markets", "--reference-stale-s", "0"}).ok());
  EXPECT_FALSE(Parse({"--all-markets", "--journal-max-bytes", "1000"}).ok());
  EXPECT_FALSE(Parse({"--all-markets", "--journal-max-age-h", "0"}).ok());
  EXPECT_FALSE(Parse({"--all-markets", "--journal-checkpoint-s", "0.5"}).ok());
}

}  // namespace
}  // namespace clobmaker::marketdata
