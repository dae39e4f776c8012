#include "common/metrics/metrics.h"

#include <gtest/gtest.h>

#include "common/net/http_client.h"
#include "common/net/io_thread.h"

namespace clobmaker::metrics {
namespace {

TEST(Metrics, HistogramsAndCollectorsRenderAsPrometheusText) {
  Registry r;
  Histogram& h = r.AddHistogram("clobmaker_submit_seconds", "submit to answer", "endpoint=\"post\"");
  h.Observe(20'000);  // 20 µs
  h.Observe(3 * kNanosPerMilli);
  h.Observe(20 * kNanosPerSecond);  // past the last bound: +Inf only
  int scrapes = 0;
  r.AddCollector([&](Samples& s) {
    scrapes++;
    s.Counter("clobmaker_fills_total", "fills", 7);
    s.Gauge("clobmaker_book_age_seconds", "book age", 0.5, "token=\"1\"");
  });
  const std::string text = r.Render();
  EXPECT_NE(text.find("# TYPE clobmaker_submit_seconds histogram"), std::string::npos) << text;
  EXPECT_NE(text.find("clobmaker_submit_seconds_bucket{endpoint=\"post\",le=\"2.5e-05\"} 1"), std::string::npos)
      << text;
  EXPECT_NE(text.find("clobmaker_submit_seconds_bucket{endpoint=\"post\",le=\"0.005\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("clobmaker_submit_seconds_bucket{endpoint=\"post\",le=\"+Inf\"} 3"), std::string::npos) << text;
  EXPECT_NE(text.find("clobmaker_submit_seconds_count{endpoint=\"post\"} 3"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE clobmaker_fills_total counter\nclobmaker_fills_total 7"), std::string::npos) << text;
  EXPECT_NE(text.find("clobmaker_book_age_seconds{token=\"1\"} 0.5"), std::string::npos) << text;
  EXPECT_EQ(scrapes, 1);
}

TEST(Metrics, ServedOverHttp) {
  Registry r;
  r.AddCollector([](Samples& s) { s.Counter("clobmaker_up_total", "up", 1); });
  net::IoThread io;
  auto server = MetricsServer::Start(io, "127.0.0.1:0", r);
  ASSERT_TRUE(server.ok()) << server.status();
  auto client = net::HttpClient::Create(io, {.base_url = "http://" + (*server)->address()});
  ASSERT_TRUE(client.ok());
  net::HttpRequest req;
  req.target = "/metrics";
  const net::HttpResult res = (*client)->SendSync(req, 5 * kNanosPerSecond);
  ASSERT_TRUE(res.response.has_value());
  EXPECT_EQ(res.response->status, 200);
  EXPECT_NE(res.response->body.find("clobmaker_up_total 1"), std::string::npos);
  req.target = "/other";
  EXPECT_EQ((*client)->SendSync(req, 5 * kNanosPerSecond).response->status, 404);
}

}  // namespace
}  // namespace clobmaker::metrics
