// clobmaker-journal: the session journal's tool (docs/replay.md).
//   clobmaker-journal export --from T --to T --out FILE [--nats URL] [--with CM_ORDERS ...]
//     reads CM_JOURNAL between T and T (from the last checkpoint before it, so the books are
//     known from the start) and writes a portable gzip file; --with adds other streams' messages
//     of the span (base64 payloads, kind "other").
//   clobmaker-journal info FILE
//     markets, span, message counts.
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "common/bus/subjects.h"
#include "common/core/clock.h"
#include "common/core/status.h"
#include "common/crypto/crypto.h"
#include "common/journal/journal.h"
#include "common/journal/journal_file.h"
#include "common/nats/nats.h"

namespace {

using namespace clobmaker;

int Fail(const std::string& what) {
  std::fprintf(stderr, "clobmaker-journal: %s\n", what.c_str());
  return 1;
}

// Every message of `stream` stored since `start`, until the stream has no more or one is later
// than `stop` (by `record_time`).
template <typename F>
absl::Status ReadStream(nats::JetStream& js, const std::string& stream, Nanos start, F&& on_message) {
  const std::string durable = fmt::format("export-{}-{}", getpid(), SystemClock::Instance().WallNanos());
  CM_ASSIGN_OR_RETURN(
      auto consumer,
      js.Consumer(stream, durable,
                  {.start_time_ns = start, .ack_none = true, .inactive_threshold = 30 * kNanosPerSecond}));
  for (;;) {
    CM_ASSIGN_OR_RETURN(auto batch, consumer->Fetch(1000, kNanosPerSecond));
    if (batch.empty()) return absl::OkStatus();
    for (nats::JsMessage& m : batch) {
      if (!on_message(m)) return absl::OkStatus();
    }
  }
}

int Export(const std::string& nats_url, const std::string& from_text, const std::string& to_text,
           const std::string& out, const std::vector<std::string>& with, double lookback_s) {
  const Nanos now = SystemClock::Instance().WallNanos();
  auto from = journal::ParseTime(from_text, now);
  auto to = journal::ParseTime(to_text, now);
  if (!from.ok()) return Fail(std::string(StatusText(from.status())));
  if (!to.ok()) return Fail(std::string(StatusText(to.status())));
  if (*to <= *from) return Fail("--to must be after --from");
  auto conn = nats::Connection::Connect({.url = nats_url, .name = "clobmaker-journal"});
  if (!conn.ok()) return Fail(std::string(StatusText(conn.status())));
  auto js = nats::JetStream::Create(**conn);
  if (!js.ok()) return Fail(std::string(StatusText(js.status())));
  std::vector<journal::Record> records;
  uint64_t bad = 0;
  const Nanos lookback = static_cast<Nanos>(lookback_s * 1e9);
  auto st = ReadStream(**js, std::string(bus::kJournalStream), *from - lookback, [&](nats::JsMessage& m) {
    auto r = journal::DecodeRecord(m.data());
    if (!r.ok()) {
      ++bad;
      return true;
    }
    // Stored order is receive order, give or take the publish path: stop a little after `to`.
    if (r->receive_ns > *to + 5 * kNanosPerSecond) return false;
    records.push_back(std::move(*r));
    return true;
  });
  if (!st.ok()) return Fail(fmt::format("reading {}: {}", bus::kJournalStream, StatusText(st)));
  std::vector<journal::Record> span = journal::SelectSpan(std::move(records), *from, *to);
  for (const std::string& stream : with) {
    auto other = ReadStream(**js, stream, *from, [&](nats::JsMessage& m) {
      const Nanos t = m.timestamp();
      if (t > *to) return false;
      const auto data = m.data();
      span.push_back({.receive_ns = t,
                      .kind = journal::RecordKind::kOther,
                      .source = fmt::format("{} {}", stream, m.subject()),
                      .payload = crypto::Base64Encode(
                          std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size()))});
      return true;
    });
    if (!other.ok()) return Fail(fmt::format("reading {}: {}", stream, StatusText(other)));
  }
  std::stable_sort(span.begin(), span.end(),
                   [](const journal::Record& a, const journal::Record& b) { return a.receive_ns < b.receive_ns; });
  journal::Journal j{.header = {.from_ns = *from, .to_ns = *to, .created_by = "clobmaker-journal export"},
                     .records = std::move(span)};
  if (auto w = journal::WriteJournal(out, j); !w.ok()) return Fail(std::string(StatusText(w)));
  std::printf("clobmaker-journal: exported %zu records (%.1f s) to %s%s\n", j.records.size(),
              static_cast<double>(*to - *from) / 1e9, out.c_str(),
              bad > 0 ? fmt::format(" ({} undecodable skipped)", bad).c_str() : "");
  return j.records.empty() ? 3 : 0;
}

int Info(const std::string& path) {
  auto reader = journal::JournalReader::Open(path);
  if (!reader.ok()) return Fail(std::string(StatusText(reader.status())));
  journal::SummaryBuilder summary;
  summary.SetHeader((*reader)->header());
  journal::Record r;
  for (;;) {
    auto more = (*reader)->Next(r);
    if (!more.ok()) return Fail(std::string(StatusText(more.status())));
    if (!*more) break;
    summary.Add(r);
  }
  for (uint64_t i = 0; i < (*reader)->bad_records(); ++i) summary.AddBadRecord();
  std::fputs(journal::FormatSummary(summary.Finish()).c_str(), stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"clobmaker-journal: export and inspect session journals"};
  app.require_subcommand(1);
  std::string nats_url = "nats://127.0.0.1:4222", from, to, out, file;
  std::vector<std::string> with;
  double lookback_s = 65;
  CLI::App* exp = app.add_subcommand("export", "write the journal between two times to a portable file");
  exp->add_option("--nats", nats_url, "NATS server URL")->capture_default_str();
  exp->add_option("--from", from, "start: now, -10m, epoch s/ms/ns or ISO 8601")->required();
  exp->add_option("--to", to, "end (same forms)")->required();
  exp->add_option("--out", out, "output file (gzip)")->required();
  exp->add_option("--with", with, "also export this stream's messages of the span (CM_ORDERS, CM_USER)");
  exp->add_option("--lookback-s", lookback_s, "read this far before --from for the last checkpoint")
      ->capture_default_str();
  CLI::App* info = app.add_subcommand("info", "summarise a journal file");
  info->add_option("file", file, "journal file")->required();
  CLI11_PARSE(app, argc, argv);
  if (exp->parsed()) return Export(nats_url, from, to, out, with, lookback_s);
  return Info(file);
}
