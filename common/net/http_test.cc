#include "common/net/http.h"

#include <gtest/gtest.h>

namespace clobmaker::net {
namespace {

TEST(ClassifyStatus, TimeoutsAndServerErrorsAreNeverRejections) {
  EXPECT_EQ(ClassifyStatus(200), Outcome::kOk);
  EXPECT_EQ(ClassifyStatus(201), Outcome::kOk);
  EXPECT_EQ(ClassifyStatus(400), Outcome::kRejected);
  EXPECT_EQ(ClassifyStatus(401), Outcome::kRejected);
  EXPECT_EQ(ClassifyStatus(404), Outcome::kRejected);
  EXPECT_EQ(ClassifyStatus(429), Outcome::kThrottled);
  EXPECT_EQ(ClassifyStatus(425), Outcome::kAmbiguous);
  EXPECT_EQ(ClassifyStatus(408), Outcome::kAmbiguous);
  EXPECT_EQ(ClassifyStatus(500), Outcome::kAmbiguous);
  EXPECT_EQ(ClassifyStatus(503), Outcome::kAmbiguous);
  EXPECT_EQ(ClassifyStatus(302), Outcome::kAmbiguous);
}

TEST(ParseUrl, Shapes) {
  auto u = ParseUrl("https://clob.polymarket.com");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "clob.polymarket.com");
  EXPECT_EQ(u->port, 443);
  EXPECT_TRUE(u->tls());
  EXPECT_EQ(u->path, "");
  auto w = ParseUrl("ws://127.0.0.1:9000/ws/market/");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->port, 9000);
  EXPECT_EQ(w->path, "/ws/market");
  auto v6 = ParseUrl("http://[::1]:81/x");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_FALSE(ParseUrl("ftp://x").ok());
  EXPECT_FALSE(ParseUrl("http://:80").ok());
  EXPECT_FALSE(ParseUrl("http://h:0").ok());
  EXPECT_FALSE(ParseUrl("noscheme").ok());
}

TEST(HttpResponse, HeaderLookupIsCaseInsensitive) {
  HttpResponse r;
  r.headers = {{"Retry-After", "3"}};
  EXPECT_EQ(r.Header("retry-after"), "3");
  EXPECT_FALSE(r.Header("x").has_value());
}

TEST(IsLoopbackHost, Cases) {
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("127.1.2.3"));
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_FALSE(IsLoopbackHost("10.0.0.1"));
  EXPECT_FALSE(IsLoopbackHost("example.com"));
}

}  // namespace
}  // namespace clobmaker::net
