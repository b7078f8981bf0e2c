#include "catalog-service/model/film_validation.h"

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"

namespace reel::catalog {
namespace {

using ::reel::catalog::v1::Film;

// Smallest and largest accepted release year; 0 means unknown.
constexpr int kMinYear = 1870;
constexpr int kMaxYear = 2100;

absl::Status Invalid(absl::string_view path, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", problem));
}

// Length in bytes of the whitespace character at the front of `text`
// (ASCII, or a Unicode space separator, zero-width space or BOM), else 0.
size_t WhitespaceAt(absl::string_view text) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  if (absl::ascii_isspace(byte(0))) return 1;
  if (text.size() >= 2 && byte(0) == 0xC2 && byte(1) == 0xA0) return 2;
  if (text.size() < 3) return 0;
  const uint32_t c = (byte(0) << 16) | (byte(1) << 8) | byte(2);
  if ((c >= 0xE28080 && c <= 0xE2808B) ||  // U+2000..U+200B
      c == 0xE280AF || c == 0xE2819F ||    // U+202F, U+205F
      c == 0xE19A80 ||                     // U+1680
      c == 0xE38080 || c == 0xEFBBBF) {    // U+3000, U+FEFF
    return 3;
  }
  return 0;
}

bool IsBlank(absl::string_view text) {
  while (!text.empty()) {
    const size_t length = WhitespaceAt(text);
    if (length == 0) return false;
    text.remove_prefix(length);
  }
  return true;
}

absl::Status CheckText(absl::string_view path, const std::string& value,
                       size_t max_bytes, bool required) {
  if (required && value.empty()) return Invalid(path, "is required");
  // A required value of only spaces names nothing: as good as missing.
  if (required && IsBlank(value)) {
    return Invalid(path, "is required and may not be only whitespace");
  }
  if (value.size() > max_bytes) {
    return Invalid(path, absl::StrCat("is ", value.size(),
                                      " bytes; the limit is ", max_bytes));
  }
  return absl::OkStatus();
}

template <typename Repeated>
absl::Status CheckCount(absl::string_view path, const Repeated& values,
                        int max_count) {
  if (values.size() > max_count) {
    return Invalid(path, absl::StrCat("has ", values.size(),
                                      " entries; the limit is ", max_count));
  }
  return absl::OkStatus();
}

absl::Status CheckNames(
    absl::string_view path,
    const google::protobuf::RepeatedPtrField<std::string>& values,
    int max_count, size_t max_bytes) {
  REEL_RETURN_IF_ERROR(CheckCount(path, values, max_count));
  for (int i = 0; i < values.size(); ++i) {
    REEL_RETURN_IF_ERROR(CheckText(absl::StrCat(path, "[", i, "]"), values[i],
                                   max_bytes, /*required=*/true));
  }
  return absl::OkStatus();
}

absl::Status CheckSceneId(absl::string_view path, const std::string& id) {
  if (id.empty()) return Invalid(path, "is required");
  if (id.size() > 64) {
    return Invalid(path,
                   absl::StrCat("is ", id.size(), " bytes; the limit is 64"));
  }
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' &&
        c != '-') {
      return Invalid(path,
                     absl::StrCat("\"", id, "\" may hold only [A-Za-z0-9_-]"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateFilm(const Film& film, absl::string_view prefix) {
  auto path = [&](absl::string_view field) {
    return absl::StrCat(prefix, ".", field);
  };
  REEL_RETURN_IF_ERROR(CheckText(path("title"), film.title(), 1024, true));
  REEL_RETURN_IF_ERROR(
      CheckText(path("original_title"), film.original_title(), 1024, false));
  if (film.year() != 0 && (film.year() < kMinYear || film.year() > kMaxYear)) {
    return Invalid(path("year"),
                   absl::StrCat(film.year(), " is outside ", kMinYear, "-",
                                kMaxYear, " (use 0 when unknown)"));
  }
  REEL_RETURN_IF_ERROR(
      CheckNames(path("directors"), film.directors(), 64, 256));
  REEL_RETURN_IF_ERROR(CheckNames(path("genres"), film.genres(), 64, 256));
  REEL_RETURN_IF_ERROR(
      CheckText(path("synopsis"), film.synopsis(), 65536, false));
  REEL_RETURN_IF_ERROR(CheckNames(path("cast"), film.cast(), 1000, 256));
  REEL_RETURN_IF_ERROR(CheckNames(path("aliases"), film.aliases(), 64, 1024));
  REEL_RETURN_IF_ERROR(
      CheckText(path("source_url"), film.source_url(), 2048, false));

  REEL_RETURN_IF_ERROR(
      CheckCount(path("soundtracks"), film.soundtracks(), 1000));
  for (int i = 0; i < film.soundtracks_size(); ++i) {
    const auto& entry = film.soundtracks(i);
    const std::string at = path(absl::StrCat("soundtracks[", i, "]"));
    REEL_RETURN_IF_ERROR(CheckText(at + ".title", entry.title(), 1024, true));
    REEL_RETURN_IF_ERROR(
        CheckText(at + ".artist", entry.artist(), 1024, false));
    REEL_RETURN_IF_ERROR(
        CheckText(at + ".description", entry.description(), 4096, false));
  }

  REEL_RETURN_IF_ERROR(CheckCount(path("quotes"), film.quotes(), 10000));
  for (int i = 0; i < film.quotes_size(); ++i) {
    const auto& quote = film.quotes(i);
    const std::string at = path(absl::StrCat("quotes[", i, "]"));
    REEL_RETURN_IF_ERROR(CheckText(at + ".text", quote.text(), 4096, true));
    REEL_RETURN_IF_ERROR(
        CheckText(at + ".character", quote.character(), 256, false));
  }

  REEL_RETURN_IF_ERROR(CheckCount(path("scenes"), film.scenes(), 1000));
  absl::flat_hash_set<absl::string_view> scene_ids;
  for (int i = 0; i < film.scenes_size(); ++i) {
    const auto& scene = film.scenes(i);
    const std::string at = path(absl::StrCat("scenes[", i, "]"));
    REEL_RETURN_IF_ERROR(CheckSceneId(at + ".scene_id", scene.scene_id()));
    if (!scene_ids.insert(scene.scene_id()).second) {
      return Invalid(at + ".scene_id",
                     absl::StrCat("duplicate id \"", scene.scene_id(), "\""));
    }
    REEL_RETURN_IF_ERROR(CheckText(at + ".title", scene.title(), 1024, true));
    REEL_RETURN_IF_ERROR(
        CheckText(at + ".description", scene.description(), 65536, false));
    REEL_RETURN_IF_ERROR(
        CheckText(at + ".context", scene.context(), 16384, false));
  }

  if (const size_t bytes = film.ByteSizeLong(); bytes > kMaxFilmBytes) {
    return Invalid(prefix,
                   absl::StrCat("encodes to ", bytes, " bytes; the limit is ",
                                kMaxFilmBytes));
  }
  return absl::OkStatus();
}

}  // namespace reel::catalog
