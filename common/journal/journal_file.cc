#include "common/journal/journal_file.h"

#include <fmt/format.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>

#include "common/core/status.h"

namespace clobmaker::journal {
namespace {
gzFile Gz(void* p) { return static_cast<gzFile>(p); }
}  // namespace

absl::StatusOr<std::unique_ptr<JournalWriter>> JournalWriter::Create(const std::string& path,
                                                                     const FileHeader& header) {
  gzFile gz = gzopen(path.c_str(), "wb6");
  if (gz == nullptr) return absl::UnavailableError(fmt::format("cannot create {}: {}", path, std::strerror(errno)));
  auto writer = std::unique_ptr<JournalWriter>(new JournalWriter(gz));
  const std::string line = EncodeHeader(header) + "\n";
  if (gzwrite(gz, line.data(), static_cast<unsigned>(line.size())) != static_cast<int>(line.size())) {
    return absl::UnavailableError(fmt::format("cannot write {}", path));
  }
  return writer;
}

JournalWriter::~JournalWriter() {
  if (gz_ != nullptr) gzclose(Gz(gz_));
}

absl::Status JournalWriter::Append(const Record& record) {
  if (gz_ == nullptr) return absl::FailedPreconditionError("journal writer is closed");
  std::string line = EncodeRecord(record);
  line += '\n';
  if (gzwrite(Gz(gz_), line.data(), static_cast<unsigned>(line.size())) != static_cast<int>(line.size())) {
    return absl::UnavailableError("journal write failed");
  }
  ++records_;
  return absl::OkStatus();
}

absl::Status JournalWriter::Close() {
  if (gz_ == nullptr) return absl::OkStatus();
  const int rc = gzclose(Gz(gz_));
  gz_ = nullptr;
  if (rc != Z_OK) return absl::UnavailableError(fmt::format("journal close failed ({})", rc));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<JournalReader>> JournalReader::Open(const std::string& path) {
  gzFile gz = gzopen(path.c_str(), "rb");  // reads plain text transparently too
  if (gz == nullptr) return absl::NotFoundError(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  gzbuffer(gz, 1 << 17);
  auto reader = std::unique_ptr<JournalReader>(new JournalReader(gz));
  CM_ASSIGN_OR_RETURN(auto first, reader->NextLine());
  if (!first) return absl::InvalidArgumentError(fmt::format("{} is empty", path));
  auto header = DecodeHeader(*first);
  if (!header.ok()) {
    return absl::InvalidArgumentError(fmt::format("{}: bad header: {}", path, StatusText(header.status())));
  }
  reader->header_ = *header;
  return reader;
}

JournalReader::~JournalReader() {
  if (gz_ != nullptr) gzclose(Gz(gz_));
}

absl::StatusOr<std::optional<std::string>> JournalReader::NextLine() {
  for (;;) {
    if (auto line = lines_.Next()) return line;
    if (eof_) return lines_.Rest();
    char buf[1 << 16];
    const int n = gzread(Gz(gz_), buf, sizeof buf);
    if (n < 0) {
      int code = 0;
      const char* message = gzerror(Gz(gz_), &code);
      return absl::DataLossError(fmt::format("journal read failed: {}", message ? message : "?"));
    }
    if (n == 0) {
      eof_ = true;
      continue;
    }
    lines_.Feed(std::string_view(buf, static_cast<size_t>(n)));
  }
}

absl::StatusOr<bool> JournalReader::Next(Record& out) {
  for (;;) {
    CM_ASSIGN_OR_RETURN(auto line, NextLine());
    if (!line) return false;
    if (line->empty()) continue;
    auto record = DecodeRecord(*line);
    if (!record.ok()) {
      if (bad_records_++ == 0) first_error_ = std::string(StatusText(record.status()));
      continue;
    }
    out = std::move(*record);
    return true;
  }
}

absl::StatusOr<Journal> ReadJournal(const std::string& path) {
  CM_ASSIGN_OR_RETURN(auto reader, JournalReader::Open(path));
  Journal j;
  j.header = reader->header();
  Record r;
  for (;;) {
    CM_ASSIGN_OR_RETURN(bool more, reader->Next(r));
    if (!more) break;
    j.records.push_back(std::move(r));
  }
  j.bad_records = reader->bad_records();
  return j;
}

absl::Status WriteJournal(const std::string& path, const Journal& journal) {
  CM_ASSIGN_OR_RETURN(auto writer, JournalWriter::Create(path, journal.header));
  for (const Record& r : journal.records) CM_RETURN_IF_ERROR(writer->Append(r));
  return writer->Close();
}

}  // namespace clobmaker::journal
