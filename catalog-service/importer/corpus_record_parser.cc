#include "catalog-service/importer/corpus_record_parser.h"

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "catalog-service/model/film_name.h"
#include "common/status/status_macros.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace reel::catalog {
namespace {

using Json = nlohmann::json;

absl::Status FieldError(absl::string_view path, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", what));
}

absl::Status WrongType(absl::string_view path, absl::string_view expected,
                       const Json& value) {
  return FieldError(
      path, absl::StrCat("expected ", expected, ", got ", value.type_name()));
}

// The member `key` of `object`, or nullptr when it is missing or null.
const Json* Member(const Json& object, const char* key) {
  const auto it = object.find(key);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

enum class Presence { kOptional, kRequired };

// A missing or null optional string leaves `*out` empty; a required one must
// be there and non-empty.
absl::Status ReadString(const Json& object, const char* key,
                        absl::string_view path, Presence presence,
                        std::string* out) {
  const Json* value = Member(object, key);
  if (value == nullptr) {
    return presence == Presence::kRequired ? FieldError(path, "missing")
                                           : absl::OkStatus();
  }
  if (!value->is_string()) return WrongType(path, "a string", *value);
  *out = value->get<std::string>();
  if (presence == Presence::kRequired && out->empty()) {
    return FieldError(path, "is empty");
  }
  return absl::OkStatus();
}

absl::Status ReadStringList(
    const Json& object, const char* key,
    google::protobuf::RepeatedPtrField<std::string>* out) {
  const Json* value = Member(object, key);
  if (value == nullptr) return absl::OkStatus();
  if (!value->is_array()) return WrongType(key, "an array", *value);
  for (size_t i = 0; i < value->size(); ++i) {
    const Json& item = (*value)[i];
    if (!item.is_string()) {
      return WrongType(absl::StrCat(key, "[", i, "]"), "a string", item);
    }
    out->Add(item.get<std::string>());
  }
  return absl::OkStatus();
}

absl::Status ReadYear(const Json& object, int32_t* year) {
  const Json* value = Member(object, "year");
  if (value == nullptr) {
    *year = 0;
    return absl::OkStatus();
  }
  if (!value->is_number_integer()) {
    return WrongType("year", "an integer or null", *value);
  }
  constexpr int64_t kMin = std::numeric_limits<int32_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int32_t>::max();
  const bool in_range =
      value->is_number_unsigned()
          ? value->get<uint64_t>() <= kMax
          : value->get<int64_t>() >= kMin && value->get<int64_t>() <= kMax;
  if (!in_range) {
    return FieldError("year", absl::StrCat(value->dump(), " is out of range"));
  }
  *year = static_cast<int32_t>(value->get<int64_t>());
  return absl::OkStatus();
}

absl::Status ReadScenes(const Json& object, v1::Film* film) {
  const Json* value = Member(object, "scenes");
  if (value == nullptr) return absl::OkStatus();
  if (!value->is_array()) return WrongType("scenes", "an array", *value);
  for (size_t i = 0; i < value->size(); ++i) {
    const Json& item = (*value)[i];
    const std::string path = absl::StrCat("scenes[", i, "]");
    if (!item.is_object()) return WrongType(path, "an object", item);
    v1::Scene* scene = film->add_scenes();
    scene->set_scene_id(absl::StrCat("s", i + 1));
    REEL_RETURN_IF_ERROR(ReadString(item, "title", path + ".title",
                                    Presence::kRequired,
                                    scene->mutable_title()));
    REEL_RETURN_IF_ERROR(ReadString(item, "description", path + ".description",
                                    Presence::kOptional,
                                    scene->mutable_description()));
    REEL_RETURN_IF_ERROR(ReadString(item, "context", path + ".context",
                                    Presence::kOptional,
                                    scene->mutable_context()));
  }
  return absl::OkStatus();
}

// nlohmann's messages start with "[json.exception.parse_error.101] parse
// error at line 1, column 7: "; keep only the reason after that.
std::string ParseErrorReason(const Json::parse_error& error) {
  absl::string_view what = error.what();
  if (const size_t column = what.find("column "); column != what.npos) {
    if (const size_t colon = what.find(": ", column); colon != what.npos) {
      what.remove_prefix(colon + 2);
    }
  }
  return std::string(what);
}

}  // namespace

absl::StatusOr<CorpusRecord> ParseCorpusRecord(absl::string_view line) {
  Json object;
  try {
    object = Json::parse(line.begin(), line.end());
  } catch (const Json::parse_error& error) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid JSON at byte ", error.byte, ": ", ParseErrorReason(error)));
  } catch (const Json::exception& error) {
    // Not a syntax error, e.g. a number too large for a double (1E932):
    // still the line's fault, and never a reason to end the import.
    absl::string_view what = error.what();
    if (const size_t end = what.find("] "); end != what.npos) {
      what.remove_prefix(end + 2);
    }
    return absl::InvalidArgumentError(absl::StrCat("invalid JSON: ", what));
  }
  if (!object.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected a JSON object, got ", object.type_name()));
  }

  CorpusRecord record;
  v1::Film& film = record.film;
  REEL_RETURN_IF_ERROR(
      ReadString(object, "id", "id", Presence::kRequired, &record.film_id));
  REEL_RETURN_IF_ERROR(ValidateFilmId(record.film_id, "id"));
  REEL_RETURN_IF_ERROR(ReadString(object, "title", "title", Presence::kRequired,
                                  film.mutable_title()));
  int32_t year = 0;
  REEL_RETURN_IF_ERROR(ReadYear(object, &year));
  film.set_year(year);
  REEL_RETURN_IF_ERROR(
      ReadStringList(object, "directors", film.mutable_directors()));
  REEL_RETURN_IF_ERROR(ReadStringList(object, "genres", film.mutable_genres()));
  REEL_RETURN_IF_ERROR(ReadString(object, "synopsis", "synopsis",
                                  Presence::kOptional,
                                  film.mutable_synopsis()));
  REEL_RETURN_IF_ERROR(ReadStringList(object, "cast", film.mutable_cast()));
  REEL_RETURN_IF_ERROR(ReadString(object, "url", "url", Presence::kOptional,
                                  film.mutable_source_url()));
  REEL_RETURN_IF_ERROR(ReadScenes(object, &film));
  return record;
}

}  // namespace reel::catalog
