// A service's status counters as one table: each name once, next to the field it reads. The
// table fills the admin API's ServiceStatus.counters, which /metrics exports as
// clobmaker_<service>_<name> (Host::SetStatus), so the two can never disagree or drift.
//
//   static const auto& kCounters = *new CounterTable<BookKeeperCounters>({
//       {"frames", &BookKeeperCounters::frames},
//       {"events", &BookKeeperCounters::events},
//   });
//   kCounters.Export(keeper.counters(), *status.mutable_counters());
#pragma once

#include <google/protobuf/map.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

namespace clobmaker::service {

template <class T>
class CounterTable {
 public:
  struct Entry {
    std::string name;
    std::function<int64_t(const T&)> read;
    template <class F>
    Entry(std::string n, F T::*field)
        : name(std::move(n)), read([field](const T& t) { return static_cast<int64_t>(t.*field); }) {}
    Entry(std::string n, std::function<int64_t(const T&)> r) : name(std::move(n)), read(std::move(r)) {}
  };
  CounterTable(std::initializer_list<Entry> entries) : entries_(entries) {}

  void Export(const T& from, google::protobuf::Map<std::string, int64_t>& to) const {
    for (const Entry& e : entries_) to[e.name] = e.read(from);
  }
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

}  // namespace clobmaker::service
