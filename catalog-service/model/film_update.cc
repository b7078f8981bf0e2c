#include "catalog-service/model/film_update.h"

#include <google/protobuf/util/field_mask_util.h>

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace reel::catalog {
namespace {

using ::google::protobuf::FieldDescriptor;
using ::reel::catalog::v1::Film;

bool IsOutputOnly(const FieldDescriptor* field) {
  switch (field->number()) {
    case Film::kNameFieldNumber:
    case Film::kRevisionFieldNumber:
    case Film::kEtagFieldNumber:
    case Film::kCreateTimeFieldNumber:
    case Film::kUpdateTimeFieldNumber:
      return true;
    default:
      return false;
  }
}

FilmFields AllMutableFields() {
  FilmFields fields;
  const auto* descriptor = Film::descriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    if (!IsOutputOnly(descriptor->field(i))) {
      fields.push_back(descriptor->field(i));
    }
  }
  return fields;
}

}  // namespace

absl::StatusOr<FilmFields> ResolveUpdateMask(
    const google::protobuf::FieldMask& mask) {
  if (mask.paths_size() == 0) {
    return absl::InvalidArgumentError(
        "update_mask: is required; name the fields to replace (e.g. "
        "\"title\") or use \"*\" for all");
  }
  FilmFields fields;
  absl::flat_hash_set<const FieldDescriptor*> seen;
  for (int i = 0; i < mask.paths_size(); ++i) {
    const std::string& path = mask.paths(i);
    const std::string at = absl::StrCat("update_mask.paths[", i, "]");
    if (path == "*") {
      if (mask.paths_size() != 1) {
        return absl::InvalidArgumentError(
            absl::StrCat(at, ": \"*\" must be the only path"));
      }
      return AllMutableFields();
    }
    const FieldDescriptor* field = Film::descriptor()->FindFieldByName(path);
    if (field == nullptr) {
      const bool nested = path.find('.') != std::string::npos;
      return absl::InvalidArgumentError(absl::StrCat(
          at, ": \"", path, "\" ",
          nested ? "is a sub-field path; name the whole top-level field"
                 : "is not a Film field"));
    }
    if (IsOutputOnly(field)) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ": \"", path, "\" is output only"));
    }
    if (!seen.insert(field).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ": \"", path, "\" is named twice"));
    }
    fields.push_back(field);
  }
  return fields;
}

void ApplyFilmFields(const FilmFields& fields, const Film& patch, Film* film) {
  google::protobuf::FieldMask mask;
  for (const FieldDescriptor* field : fields) mask.add_paths(field->name());
  google::protobuf::util::FieldMaskUtil::MergeOptions options;
  options.set_replace_message_fields(true);
  options.set_replace_repeated_fields(true);
  google::protobuf::util::FieldMaskUtil::MergeMessageTo(patch, mask, options,
                                                        film);
}

void ClearOutputOnlyFields(Film* film) {
  film->clear_name();
  film->clear_revision();
  film->clear_etag();
  film->clear_create_time();
  film->clear_update_time();
}

}  // namespace reel::catalog
