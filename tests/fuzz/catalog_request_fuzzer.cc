// Fuzzes the catalog's request validation: ValidateFilm, the update mask
// (ResolveUpdateMask + ApplyFilmFields), page tokens and film names. The
// first input byte picks which; the rest is a binary Film, a binary
// FieldMask followed by a binary Film (split at the second byte's offset),
// or a page token / resource name. Invariants beyond "no crash":
//  - every error is INVALID_ARGUMENT and names its field;
//  - ValidateFilm never accepts what the store would refuse or could not
//    read back: an accepted film is under kMaxFilmBytes, survives a round
//    trip and stays valid without its output-only fields;
//  - a resolved mask names distinct, mutable fields; applying "*" makes the
//    mutable part of the film equal the patch's;
//  - a decoded page token is a valid film id and encodes back; every valid
//    id survives Encode -> Decode; names and ids convert both ways.
#include <google/protobuf/field_mask.pb.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "catalog-service/api/page_token.h"
#include "catalog-service/model/film_name.h"
#include "catalog-service/model/film_update.h"
#include "catalog-service/model/film_validation.h"
#include "google/protobuf/util/message_differencer.h"
#include "tests/fuzz/fuzz_checks.h"

namespace reel::fuzz {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::reel::catalog::v1::Film;

void FuzzFilm(absl::string_view bytes) {
  Film film;
  if (!film.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return;
  }
  const absl::Status valid = catalog::ValidateFilm(film, "request.film");
  if (!valid.ok()) {
    CheckNamedError(valid, {"request.film.", "request.film:"});
    return;
  }
  Check(film.ByteSizeLong() <= catalog::kMaxFilmBytes,
        "an accepted film is over the size limit");
  const Film copy = RoundTrip(film);
  Check(catalog::ValidateFilm(copy).ok(),
        "a valid film is invalid after a round trip");
  Film stored = film;
  catalog::ClearOutputOnlyFields(&stored);
  Check(catalog::ValidateFilm(stored).ok(),
        "a valid film is invalid without its output-only fields");
}

Film BaseFilm() {
  Film film;
  film.set_name("films/the-red-shoes");
  film.set_title("The Red Shoes");
  film.set_year(1948);
  film.add_directors("Michael Powell");
  film.set_etag("r7");
  film.set_revision(7);
  auto* scene = film.add_scenes();
  scene->set_scene_id("s1");
  scene->set_title("The Audition");
  return film;
}

void FuzzUpdateMask(absl::string_view bytes) {
  if (bytes.empty()) return;
  const size_t split =
      std::min<size_t>(static_cast<uint8_t>(bytes[0]), bytes.size() - 1);
  const absl::string_view mask_bytes = bytes.substr(1, split);
  const absl::string_view patch_bytes = bytes.substr(1 + split);
  google::protobuf::FieldMask mask;
  Film patch;
  if (!mask.ParseFromArray(mask_bytes.data(),
                           static_cast<int>(mask_bytes.size())) ||
      !patch.ParseFromArray(patch_bytes.data(),
                            static_cast<int>(patch_bytes.size()))) {
    return;
  }
  // Unknown fields are not Film fields: no mask can name or copy them.
  patch.DiscardUnknownFields();
  absl::StatusOr<catalog::FilmFields> fields = catalog::ResolveUpdateMask(mask);
  if (!fields.ok()) {
    CheckNamedError(fields.status(), {"update_mask"});
    return;
  }
  Check(!fields->empty(), "a resolved mask names no field");
  absl::flat_hash_set<int> numbers;
  for (const auto* field : *fields) {
    Check(field->containing_type() == Film::descriptor(),
          "a resolved field is not a Film field");
    Check(numbers.insert(field->number()).second,
          "a resolved mask names a field twice");
    Check(field->number() != Film::kNameFieldNumber &&
              field->number() != Film::kRevisionFieldNumber &&
              field->number() != Film::kEtagFieldNumber &&
              field->number() != Film::kCreateTimeFieldNumber &&
              field->number() != Film::kUpdateTimeFieldNumber,
          "a resolved mask names an output-only field", field->name());
  }

  const Film base = BaseFilm();
  Film updated = base;
  catalog::ApplyFilmFields(*fields, patch, &updated);
  Check(updated.name() == base.name() && updated.etag() == base.etag() &&
            updated.revision() == base.revision(),
        "applying a mask changed an output-only field");
  if (mask.paths_size() == 1 && mask.paths(0) == "*") {
    Film expected = patch;
    catalog::ClearOutputOnlyFields(&expected);
    Film got = updated;
    catalog::ClearOutputOnlyFields(&got);
    Check(MessageDifferencer::Equals(expected, got),
          "\"*\" did not replace every mutable field", got.ShortDebugString());
  }
  // The store validates the merged film; an error names the film field.
  const absl::Status valid = catalog::ValidateFilm(updated);
  if (!valid.ok()) CheckNamedError(valid, {"film.", "film:"});
}

void FuzzTokenAndName(absl::string_view text) {
  absl::StatusOr<std::string> id = catalog::DecodePageToken(text);
  if (id.ok()) {
    Check(catalog::ValidateFilmId(*id).ok(), "a decoded token is no film id",
          *id);
    absl::StatusOr<std::string> again =
        catalog::DecodePageToken(catalog::EncodePageToken(*id));
    Check(again.ok() && *again == *id, "a decoded token does not re-encode");
  } else {
    CheckNamedError(id.status(), {"page_token: "});
  }

  const absl::Status id_valid = catalog::ValidateFilmId(text);
  if (id_valid.ok()) {
    absl::StatusOr<std::string> decoded =
        catalog::DecodePageToken(catalog::EncodePageToken(text));
    Check(decoded.ok() && *decoded == text,
          "a valid id does not survive a page token");
    absl::StatusOr<std::string> from_name =
        catalog::ParseFilmName(catalog::FilmName(text));
    Check(from_name.ok() && *from_name == text,
          "a valid id does not survive its resource name");
  } else {
    CheckNamedError(id_valid, {"film_id: "});
  }

  absl::StatusOr<std::string> named = catalog::ParseFilmName(text);
  if (named.ok()) {
    Check(catalog::ValidateFilmId(*named).ok(), "a parsed name has a bad id");
    Check(catalog::FilmName(*named) == text, "a parsed name does not rebuild");
  } else {
    CheckNamedError(named.status(), {"name: "});
  }
}

}  // namespace
}  // namespace reel::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = reel::fuzz::SilenceProtobufLogs();
  (void)quiet;
  if (size == 0) return 0;
  const absl::string_view rest(reinterpret_cast<const char*>(data) + 1,
                               size - 1);
  switch (data[0] % 3) {
    case 0:
      reel::fuzz::FuzzFilm(rest);
      break;
    case 1:
      reel::fuzz::FuzzUpdateMask(rest);
      break;
    default:
      reel::fuzz::FuzzTokenAndName(rest);
      break;
  }
  return 0;
}
