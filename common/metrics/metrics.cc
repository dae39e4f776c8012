#include "common/metrics/metrics.h"

#include <fmt/format.h>

#include <map>

#include "common/net/http_server.h"

namespace clobmaker::metrics {

namespace {

std::string Labels(const std::string& base, const std::string& extra) {
  if (base.empty() && extra.empty()) return {};
  if (base.empty()) return "{" + extra + "}";
  if (extra.empty()) return "{" + base + "}";
  return "{" + base + "," + extra + "}";
}

}  // namespace

void Histogram::Observe(Nanos value) {
  for (size_t i = 0; i < kBounds.size(); ++i) {
    if (value <= kBounds[i]) {
      buckets_[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(value, std::memory_order_relaxed);
}

void Samples::Counter(const std::string& name, const std::string& help, double value, const std::string& labels) {
  samples_.push_back({name, help, "counter", labels, value});
}

void Samples::Gauge(const std::string& name, const std::string& help, double value, const std::string& labels) {
  samples_.push_back({name, help, "gauge", labels, value});
}

Histogram& Registry::AddHistogram(const std::string& name, const std::string& help, const std::string& labels) {
  std::lock_guard lock(mu_);
  histograms_.push_back({name, help, labels, std::make_unique<Histogram>()});
  return *histograms_.back().histogram;
}

void Registry::AddCollector(std::function<void(Samples&)> collector) {
  std::lock_guard lock(mu_);
  collectors_.push_back(std::move(collector));
}

std::string Registry::Render() const {
  std::lock_guard lock(mu_);
  std::string out;
  std::map<std::string, bool> described;
  const auto describe = [&](const std::string& name, const std::string& help, const char* type) {
    if (described[name]) return;
    described[name] = true;
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  };
  for (const Named& h : histograms_) {
    describe(h.name, h.help, "histogram");
    uint64_t cumulative = 0;
    for (size_t i = 0; i < Histogram::kBounds.size(); ++i) {
      cumulative += h.histogram->buckets_[i].load(std::memory_order_relaxed);
      out += fmt::format("{}_bucket{} {}\n", h.name,
                         Labels(h.labels, fmt::format("le=\"{}\"", static_cast<double>(Histogram::kBounds[i]) / 1e9)),
                         cumulative);
    }
    const uint64_t count = h.histogram->count();
    out += fmt::format("{}_bucket{} {}\n", h.name, Labels(h.labels, "le=\"+Inf\""), count);
    out += fmt::format("{}_sum{} {}\n", h.name, Labels(h.labels, ""),
                       static_cast<double>(h.histogram->sum_ns_.load(std::memory_order_relaxed)) / 1e9);
    out += fmt::format("{}_count{} {}\n", h.name, Labels(h.labels, ""), count);
  }
  for (const auto& collect : collectors_) {
    Samples s;
    collect(s);
    for (const Samples::Sample& x : s.samples_) {
      describe(x.name, x.help, x.type.c_str());
      out += fmt::format("{}{} {}\n", x.name, Labels(x.labels, ""), x.value);
    }
  }
  return out;
}

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(net::IoThread& io, const std::string& listen,
                                                                    const Registry& registry) {
  net::HttpServerOptions options;
  options.listen = listen;
  options.on_request = [&registry](const net::HttpRequest& r, std::function<void(net::HttpResponse)> respond) {
    net::HttpResponse resp;
    if (r.method == "GET" && (r.target == "/metrics" || r.target.rfind("/metrics?", 0) == 0)) {
      resp.status = 200;
      resp.headers = {{"Content-Type", "text/plain; version=0.0.4"}};
      resp.body = registry.Render();
    } else {
      resp.status = 404;
      resp.body = "metrics are at /metrics\n";
    }
    respond(std::move(resp));
  };
  auto server = net::HttpServer::Start(io, options);
  if (!server.ok()) return server.status();
  auto out = std::unique_ptr<MetricsServer>(new MetricsServer());
  out->address_ = fmt::format("{}:{}", listen.substr(0, listen.rfind(':')), (*server)->port());
  out->server_ = std::move(*server);
  return out;
}

MetricsServer::~MetricsServer() {
  if (server_) server_->Stop();
}

}  // namespace clobmaker::metrics
