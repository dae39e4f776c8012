// Prometheus text exposition for every service: counters, gauges and latency histograms that are
// safe to update from any thread (atomics, no locks on the hot path), plus collectors that copy a
// core's loop-owned counters at scrape time. MetricsServer serves GET /metrics on an HttpServer.
//
//   metrics::Registry registry;
//   auto& submit = registry.AddHistogram("clobmaker_submit_seconds", "POST /order(s) -> HTTP answer");
//   submit.Observe(elapsed_ns);
//   registry.AddCollector([&](metrics::Samples& s) { s.Counter("clobmaker_fills_total", "...", n); });
//   auto server = metrics::MetricsServer::Start(io, "127.0.0.1:9201", registry);
#pragma once

#include <absl/status/statusor.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/core/clock.h"

namespace clobmaker::net {
class IoThread;
class HttpServer;
}  // namespace clobmaker::net

namespace clobmaker::metrics {

// Latency histogram with fixed bounds from 10 µs to 10 s (Prometheus "le" buckets in seconds).
class Histogram {
 public:
  static constexpr std::array<Nanos, 16> kBounds = {
      10'000,    25'000,     50'000,     100'000,    250'000,     500'000,     1'000'000,     2'500'000,
      5'000'000, 10'000'000, 25'000'000, 50'000'000, 100'000'000, 250'000'000, 1'000'000'000, 10'000'000'000};
  void Observe(Nanos value);
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  friend class Registry;
  std::array<std::atomic<uint64_t>, kBounds.size()> buckets_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<int64_t> sum_ns_{0};
};

// What a collector reports at scrape time.
class Samples {
 public:
  void Counter(const std::string& name, const std::string& help, double value, const std::string& labels = {});
  void Gauge(const std::string& name, const std::string& help, double value, const std::string& labels = {});

 private:
  friend class Registry;
  struct Sample {
    std::string name, help, type, labels;
    double value = 0;
  };
  std::vector<Sample> samples_;
};

class Registry {
 public:
  // The returned reference lives as long as the registry. `labels` like `endpoint="post"`.
  Histogram& AddHistogram(const std::string& name, const std::string& help, const std::string& labels = {});
  void AddCollector(std::function<void(Samples&)> collector);
  std::string Render() const;

 private:
  struct Named {
    std::string name, help, labels;
    std::unique_ptr<Histogram> histogram;
  };
  mutable std::mutex mu_;
  std::vector<Named> histograms_;
  std::vector<std::function<void(Samples&)>> collectors_;
};

class MetricsServer {
 public:
  // `listen` host:port (port 0 picks one). Loopback by default: metrics say a lot about a book.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(net::IoThread& io, const std::string& listen,
                                                              const Registry& registry);
  ~MetricsServer();
  std::string address() const { return address_; }

 private:
  MetricsServer() = default;
  std::unique_ptr<net::HttpServer> server_;
  std::string address_;
};

}  // namespace clobmaker::metrics
