// Exposes a service's status (readiness and the counters its admin API reports) as Prometheus
// gauges: one source of truth for both. Header-only: callers link clobmaker::proto already.
#pragma once

#include <functional>
#include <string>

#include "clobmaker/common/v1/common.pb.h"
#include "common/metrics/metrics.h"

namespace clobmaker::metrics {

inline void AddServiceStatusCollector(Registry& registry, const std::string& service,
                                      std::function<void(common::v1::ServiceStatus*)> fill) {
  registry.AddCollector([service, fill = std::move(fill)](Samples& s) {
    common::v1::ServiceStatus st;
    fill(&st);
    s.Gauge("clobmaker_ready", "1 when the service reports ready", st.ready() ? 1 : 0, "service=\"" + service + "\"");
    for (const auto& [name, value] : st.counters()) {
      s.Gauge("clobmaker_" + service + "_" + name,
              "status counter '" + name + "' of " + service + " (admin API Status)", static_cast<double>(value));
    }
  });
}

}  // namespace clobmaker::metrics
