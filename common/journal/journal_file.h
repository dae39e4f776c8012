// Journal files: the header line and the records, gzip-compressed (journal.h has the format).
// The imperative edge of the journal library: these read and write the file system.
#pragma once

#include <absl/status/statusor.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/journal/journal.h"

namespace clobmaker::journal {

class JournalWriter {
 public:
  // Creates (truncates) `path` and writes the header.
  static absl::StatusOr<std::unique_ptr<JournalWriter>> Create(const std::string& path, const FileHeader& header);
  ~JournalWriter();
  absl::Status Append(const Record& record);
  // Flushes and closes; the file is complete only after this returned OK.
  absl::Status Close();
  uint64_t records() const { return records_; }

 private:
  explicit JournalWriter(void* gz) : gz_(gz) {}
  void* gz_;
  uint64_t records_ = 0;
};

class JournalReader {
 public:
  // Opens a journal file (gzip or plain text) and reads its header.
  static absl::StatusOr<std::unique_ptr<JournalReader>> Open(const std::string& path);
  ~JournalReader();
  const FileHeader& header() const { return header_; }
  // The next record: false at the end. A line that does not decode is skipped and counted
  // (bad_records), with the first error kept.
  absl::StatusOr<bool> Next(Record& out);
  uint64_t bad_records() const { return bad_records_; }
  const std::string& first_error() const { return first_error_; }

 private:
  explicit JournalReader(void* gz) : gz_(gz) {}
  absl::StatusOr<std::optional<std::string>> NextLine();
  void* gz_;
  FileHeader header_;
  LineSplitter lines_;
  bool eof_ = false;
  uint64_t bad_records_ = 0;
  std::string first_error_;
};

struct Journal {
  FileHeader header;
  std::vector<Record> records;
  uint64_t bad_records = 0;
};
// Reads a whole journal into memory (records in file order).
absl::StatusOr<Journal> ReadJournal(const std::string& path);
absl::Status WriteJournal(const std::string& path, const Journal& journal);

}  // namespace clobmaker::journal
