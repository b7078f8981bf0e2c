// Film ids for records that bring none (film pages): a readable slug of the
// title and year.
//
//   std::string id = SlugFromTitle("The Red Shoes", 1948);  //
//   the-red-shoes-1948
//
// What makes an id valid is defined once, by ValidateFilmId in
// catalog-service/model/film_name.h; every slug passes it.
#ifndef REEL_CATALOG_SERVICE_IMPORTER_FILM_ID_H_
#define REEL_CATALOG_SERVICE_IMPORTER_FILM_ID_H_

#include <string>

#include "absl/strings/string_view.h"

namespace reel::catalog {

// Returns a readable id derived from `title`: its letters and digits,
// lower-cased, with Latin diacritics folded ("é" -> "e", "ß" -> "ss"),
// apostrophes dropped, "&" spelled "and", and every other run of characters
// turned into one '-'. "-YEAR" is appended when `year` != 0. The result
// always is a valid film id: a title with no usable characters (e.g. one
// in a non-Latin script) gets "film-" plus a stable hash of the title, and
// long titles are cut to fit kMaxFilmIdBytes.
std::string SlugFromTitle(absl::string_view title, int year);

}  // namespace reel::catalog

#endif  // REEL_CATALOG_SERVICE_IMPORTER_FILM_ID_H_
