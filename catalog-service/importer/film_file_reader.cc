#include "catalog-service/importer/film_file_reader.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "catalog-service/importer/corpus_record_parser.h"
#include "catalog-service/importer/film_id.h"
#include "catalog-service/importer/film_page_parser.h"
#include "common/status/status_macros.h"

namespace reel::catalog {
namespace {

// A film page is a few KB; anything this big is not one.
constexpr size_t kMaxPageBytes = 16 << 20;

bool IsJsonLinesPath(absl::string_view path) {
  return absl::EndsWithIgnoreCase(path, ".jsonl") ||
         absl::EndsWithIgnoreCase(path, ".jsonl.gz");
}

void SetError(const absl::Status& status, ImportedFilm* out) {
  out->status = absl::Status(status.code(),
                             absl::StrCat(out->source, ": ", status.message()));
}

}  // namespace

absl::StatusOr<std::unique_ptr<FilmFileReader>> FilmFileReader::Open(
    const std::string& path) {
  REEL_ASSIGN_OR_RETURN(std::unique_ptr<GzLineReader> lines,
                        GzLineReader::Open(path));
  return std::unique_ptr<FilmFileReader>(
      new FilmFileReader(std::move(lines), IsJsonLinesPath(path)));
}

FilmFileReader::FilmFileReader(std::unique_ptr<GzLineReader> lines,
                               bool json_lines)
    : lines_(std::move(lines)), json_lines_(json_lines) {}

absl::StatusOr<bool> FilmFileReader::Next(ImportedFilm* out) {
  *out = ImportedFilm();
  return json_lines_ ? NextJsonLine(out) : NextPage(out);
}

absl::StatusOr<bool> FilmFileReader::NextJsonLine(ImportedFilm* out) {
  while (true) {
    REEL_ASSIGN_OR_RETURN(const bool more, lines_->ReadLine(&line_));
    if (!more) return false;
    ++line_number_;
    absl::string_view text = line_;
    if (line_number_ == 1) absl::ConsumePrefix(&text, "\xEF\xBB\xBF");
    text = absl::StripAsciiWhitespace(text);  // Also a CRLF's "\r".
    if (text.empty()) continue;

    out->source = absl::StrCat(path(), ":", line_number_);
    absl::StatusOr<CorpusRecord> record = ParseCorpusRecord(text);
    if (!record.ok()) {
      SetError(record.status(), out);
      return true;
    }
    out->film_id = std::move(record->film_id);
    out->film = std::move(record->film);
    return true;
  }
}

absl::StatusOr<bool> FilmFileReader::NextPage(ImportedFilm* out) {
  if (page_read_) return false;
  page_read_ = true;
  std::string text;
  REEL_RETURN_IF_ERROR(lines_->ReadAll(kMaxPageBytes, &text));
  out->source = path();
  absl::StatusOr<v1::Film> film = ParseFilmPage(text);
  if (!film.ok()) {
    SetError(film.status(), out);
    return true;
  }
  out->film_id = SlugFromTitle(film->title(), film->year());
  out->film = *std::move(film);
  return true;
}

}  // namespace reel::catalog
