#include "tools/reelctl/film_input.h"

#include <google/protobuf/util/json_util.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "catalog-service/importer/corpus_record_parser.h"
#include "catalog-service/importer/film_page_parser.h"
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

absl::StatusOr<v1::Film> FilmFromFile(const std::string& path) {
  REEL_ASSIGN_OR_RETURN(std::unique_ptr<catalog::GzLineReader> reader,
                        catalog::GzLineReader::Open(path));
  std::string text;
  REEL_RETURN_IF_ERROR(reader->ReadAll(kMaxInputBytes, &text));
  absl::string_view content = text;
  absl::ConsumePrefix(&content, "\xEF\xBB\xBF");
  absl::StatusOr<v1::Film> film =
      absl::StartsWith(absl::StripLeadingAsciiWhitespace(content), "{")
          ? FilmFromJson(content)
          : catalog::ParseFilmPage(content);
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
  if (!IsJsonLinesPath(path)) {
    REEL_ASSIGN_OR_RETURN(std::unique_ptr<catalog::FilmFileReader> page,
                          catalog::FilmFileReader::Open(path));
    return std::unique_ptr<ImportFileReader>(
        new ImportFileReader(nullptr, std::move(page)));
  }
  REEL_ASSIGN_OR_RETURN(std::unique_ptr<catalog::GzLineReader> lines,
                        catalog::GzLineReader::Open(path));
  return std::unique_ptr<ImportFileReader>(
      new ImportFileReader(std::move(lines), nullptr));
}

ImportFileReader::ImportFileReader(
    std::unique_ptr<catalog::GzLineReader> lines,
    std::unique_ptr<catalog::FilmFileReader> page)
    : lines_(std::move(lines)), page_(std::move(page)) {}

absl::StatusOr<bool> ImportFileReader::Next(catalog::ImportedFilm* out) {
  *out = catalog::ImportedFilm();
  return page_ != nullptr ? page_->Next(out) : NextLine(out);
}

absl::StatusOr<bool> ImportFileReader::NextLine(catalog::ImportedFilm* out) {
  while (true) {
    REEL_ASSIGN_OR_RETURN(const bool more, lines_->ReadLine(&line_));
    if (!more) return false;
    ++line_number_;
    absl::string_view text = line_;
    if (line_number_ == 1) absl::ConsumePrefix(&text, "\xEF\xBB\xBF");
    text = absl::StripAsciiWhitespace(text);  // Also a CRLF's "\r".
    if (text.empty()) continue;
    out->source = absl::StrCat(lines_->path(), ":", line_number_);

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
