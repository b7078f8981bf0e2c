#include "tools/reelctl/film_input.h"

#include <fcntl.h>
#include <google/protobuf/util/json_util.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "catalog-service/importer/corpus_record_parser.h"
#include "catalog-service/importer/film_id.h"
#include "catalog-service/importer/film_page_parser.h"
#include "catalog-service/importer/page_text.h"
#include "catalog-service/model/film_name.h"
#include "common/status/status_macros.h"

namespace reel::reelctl {
namespace {

namespace v1 = catalog::v1;
using Json = nlohmann::json;

// Film JSON and film pages are far smaller than this.
constexpr size_t kMaxInputBytes = 16 << 20;

absl::Status WithPath(const std::string& path, const absl::Status& status) {
  return absl::Status(status.code(),
                      absl::StrCat(path, ": ", status.message()));
}

// The same rule as catalog::FilmFileReader's.
bool IsJsonLinesPath(absl::string_view path) {
  return absl::EndsWithIgnoreCase(path, ".jsonl") ||
         absl::EndsWithIgnoreCase(path, ".jsonl.gz");
}

// What the text of a file is (uncompressed): a plain file's size, or what
// a gzip file's trailer records (ISIZE: the size modulo 2^32, exact for one
// member under 4 GiB; never less than the compressed size for text). -1 when
// it cannot be known.
int64_t TextSize(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  int64_t size = -1;
  struct stat info;
  unsigned char magic[2];
  unsigned char trailer[4];
  if (fstat(fd, &info) == 0 && S_ISREG(info.st_mode)) {
    size = info.st_size;
    if (size >= 18 && pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f &&
        magic[1] == 0x8b) {
      size = -1;
      if (pread(fd, trailer, 4, info.st_size - 4) == 4) {
        const int64_t isize = static_cast<int64_t>(trailer[0]) |
                              static_cast<int64_t>(trailer[1]) << 8 |
                              static_cast<int64_t>(trailer[2]) << 16 |
                              static_cast<int64_t>(trailer[3]) << 24;
        if (isize >= info.st_size / 2) size = isize;
      }
    }
  }
  close(fd);
  return size;
}

// The first line of `text` that is not blank, shortened for a message.
std::string FirstLine(absl::string_view text) {
  for (const catalog::PageLine& line : catalog::SplitPageLines(text)) {
    if (line.text.size() <= 60) return std::string(line.text);
    return absl::StrCat(line.text.substr(0, 57), "...");
  }
  return "";
}

// Why `text` is not one JSON object, in the words corpus records use
// ("invalid JSON at byte 7: ..."); OK when it is one.
absl::Status CheckJsonObject(absl::string_view text) {
  Json json;
  try {
    json = Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& error) {
    // "[json.exception.parse_error.101] parse error at line 1, column 7:
    // reason": keep the reason.
    absl::string_view what = error.what();
    if (const size_t column = what.find("column "); column != what.npos) {
      if (const size_t colon = what.find(": ", column); colon != what.npos) {
        what.remove_prefix(colon + 2);
      }
    }
    return absl::InvalidArgumentError(
        absl::StrCat("invalid JSON at byte ", error.byte, ": ", what));
  } catch (const Json::exception& error) {
    absl::string_view what = error.what();
    if (const size_t end = what.find("] "); end != what.npos) {
      what.remove_prefix(end + 2);
    }
    return absl::InvalidArgumentError(absl::StrCat("invalid JSON: ", what));
  }
  if (!json.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected a JSON object, got ", json.type_name()));
  }
  return absl::OkStatus();
}

// One line of a film export: Film JSON with its name.
absl::Status ParseFilmLine(absl::string_view text, catalog::ImportedFilm* out) {
  const auto parsed = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(text.data(), text.size()), &out->film);
  if (!parsed.ok()) {
    // Protobuf's messages for bad syntax quote the input over several lines;
    // say where instead.
    REEL_RETURN_IF_ERROR(CheckJsonObject(text));
    const std::string message = parsed.message().ToString();
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid Film JSON: ", message.substr(0, message.find('\n'))));
  }
  if (out->film.name().empty()) {
    return absl::InvalidArgumentError(
        "name: missing; each line of a film export names its film, "
        "\"films/ID\"");
  }
  REEL_ASSIGN_OR_RETURN(out->film_id,
                        catalog::ParseFilmName(out->film.name(), "name"));
  ClearOutputOnlyFields(out->film);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::Film> FilmFromJson(absl::string_view json) {
  v1::Film film;
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &film);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid Film JSON: ", status.message().ToString()));
  }
  return film;
}

absl::Status CheckFilmPage(absl::string_view text) {
  const std::vector<catalog::PageLine> lines = catalog::SplitPageLines(text);
  for (size_t i = 1; i < lines.size(); ++i) {
    catalog::PageSection section;
    if (catalog::IsSectionHeading(lines[i].text, &section) &&
        section != catalog::PageSection::kOther) {
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "a film page has the film's title on its first line, then at least "
      "one \"Memorable Scenes from Movie TITLE\", \"Quotes from Movie "
      "TITLE\" or \"Sound Tracks from TITLE\" heading, and this text has "
      "none",
      lines.empty()
          ? " (it is empty)"
          : absl::StrCat(" (it starts with \"", FirstLine(text), "\")")));
}

absl::StatusOr<v1::Film> FilmFromFile(const std::string& path) {
  REEL_ASSIGN_OR_RETURN(std::unique_ptr<catalog::GzLineReader> reader,
                        catalog::GzLineReader::Open(path));
  std::string text;
  REEL_RETURN_IF_ERROR(reader->ReadAll(kMaxInputBytes, &text));
  absl::string_view content = text;
  absl::ConsumePrefix(&content, "\xEF\xBB\xBF");
  if (absl::StartsWith(absl::StripLeadingAsciiWhitespace(content), "{")) {
    absl::StatusOr<v1::Film> film = FilmFromJson(content);
    if (!film.ok()) return WithPath(path, film.status());
    return film;
  }
  if (absl::Status page = CheckFilmPage(content); !page.ok()) {
    return WithPath(path, absl::InvalidArgumentError(absl::StrCat(
                              "neither Film JSON nor a film page: Film JSON "
                              "starts with '{'; ",
                              page.message())));
  }
  absl::StatusOr<v1::Film> film = catalog::ParseFilmPage(content);
  if (!film.ok()) return WithPath(path, film.status());
  return film;
}

void ClearOutputOnlyFields(v1::Film& film) {
  film.clear_revision();
  film.clear_etag();
  film.clear_create_time();
  film.clear_update_time();
}

absl::StatusOr<std::unique_ptr<ImportFileReader>> ImportFileReader::Open(
    const std::string& path) {
  const bool stdin_input = path == "-";
  const std::string name = stdin_input ? "stdin" : path;
  absl::StatusOr<std::unique_ptr<catalog::GzLineReader>> lines =
      catalog::GzLineReader::Open(stdin_input ? "/dev/stdin" : path);
  if (!lines.ok()) {
    if (!stdin_input) return lines.status();
    return absl::Status(
        lines.status().code(),
        absl::StrCat("cannot read stdin: ", lines.status().message()));
  }
  std::unique_ptr<ImportFileReader> reader(new ImportFileReader(
      name, *std::move(lines), stdin_input ? -1 : TextSize(path)));
  if (!stdin_input && IsJsonLinesPath(path)) return reader;
  REEL_ASSIGN_OR_RETURN(const bool json, reader->StartsLikeJson());
  if (!json) REEL_RETURN_IF_ERROR(reader->ReadPage());
  return reader;
}

ImportFileReader::ImportFileReader(std::string name,
                                   std::unique_ptr<catalog::GzLineReader> lines,
                                   int64_t total_bytes)
    : name_(std::move(name)),
      lines_(std::move(lines)),
      total_bytes_(total_bytes) {}

absl::StatusOr<bool> ImportFileReader::ReadLine(std::string* line) {
  if (!pending_.empty()) {
    *line = std::move(pending_.front());
    pending_.pop_front();
    return true;
  }
  REEL_ASSIGN_OR_RETURN(const bool more, lines_->ReadLine(line));
  if (more) bytes_read_ += static_cast<int64_t>(line->size()) + 1;
  if (total_bytes_ >= 0) bytes_read_ = std::min(bytes_read_, total_bytes_);
  return more;
}

absl::StatusOr<bool> ImportFileReader::StartsLikeJson() {
  std::string line;
  while (true) {
    REEL_ASSIGN_OR_RETURN(const bool more, lines_->ReadLine(&line));
    if (!more) return false;
    bytes_read_ += static_cast<int64_t>(line.size()) + 1;
    absl::string_view text = line;
    if (pending_.empty()) absl::ConsumePrefix(&text, "\xEF\xBB\xBF");
    text = absl::StripAsciiWhitespace(text);
    pending_.push_back(std::move(line));
    if (!text.empty()) return absl::StartsWith(text, "{");
  }
}

absl::Status ImportFileReader::ReadPage() {
  is_page_ = true;
  std::string text;
  for (const std::string& line : pending_) absl::StrAppend(&text, line, "\n");
  pending_.clear();
  REEL_RETURN_IF_ERROR(lines_->ReadAll(kMaxInputBytes, &text));
  bytes_read_ = static_cast<int64_t>(text.size());
  if (absl::Status page = CheckFilmPage(text); !page.ok()) {
    return WithPath(name_, absl::InvalidArgumentError(absl::StrCat(
                               "neither JSON Lines nor a film page: JSON "
                               "Lines start with '{'; ",
                               page.message())));
  }
  absl::StatusOr<v1::Film> film = catalog::ParseFilmPage(text);
  if (!film.ok()) return WithPath(name_, film.status());
  page_.emplace();
  page_->source = name_;
  page_->film_id = catalog::SlugFromTitle(film->title(), film->year());
  page_->film = *std::move(film);
  return absl::OkStatus();
}

absl::StatusOr<bool> ImportFileReader::Next(catalog::ImportedFilm* out) {
  *out = catalog::ImportedFilm();
  if (!is_page_) return NextLine(out);
  if (!page_.has_value()) return false;
  *out = *std::move(page_);
  page_.reset();
  return true;
}

absl::StatusOr<bool> ImportFileReader::NextLine(catalog::ImportedFilm* out) {
  while (true) {
    REEL_ASSIGN_OR_RETURN(const bool more, ReadLine(&line_));
    if (!more) return false;
    ++line_number_;
    absl::string_view text = line_;
    if (line_number_ == 1) absl::ConsumePrefix(&text, "\xEF\xBB\xBF");
    text = absl::StripAsciiWhitespace(text);  // Also a CRLF's "\r".
    if (text.empty()) continue;
    out->source = absl::StrCat(name_, ":", line_number_);

    if (format_ == Format::kUndecided) {
      const Json json = Json::parse(text.begin(), text.end(), nullptr,
                                    /*allow_exceptions=*/false);
      if (json.is_object()) {
        format_ = json.contains("name") ? Format::kFilms : Format::kCorpus;
      }
    }
    absl::Status status;
    if (format_ == Format::kFilms) {
      status = ParseFilmLine(text, out);
    } else {
      // Undecided here means the line is not a JSON object: the corpus
      // parser says why.
      absl::StatusOr<catalog::CorpusRecord> record =
          catalog::ParseCorpusRecord(text);
      if (record.ok()) {
        out->film_id = std::move(record->film_id);
        out->film = std::move(record->film);
      }
      status = record.status();
    }
    if (!status.ok()) {
      out->film_id.clear();
      out->film.Clear();
      out->status = absl::Status(
          status.code(), absl::StrCat(out->source, ": ", status.message()));
    }
    return true;
  }
}

}  // namespace reel::reelctl
