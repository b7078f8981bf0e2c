#include "search-service/api/search_request.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <openssl/evp.h>

#include <cmath>
#include <cstdlib>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace reel::search {
namespace {

namespace v1 = ::reel::search::v1;

constexpr int kMaxFilterFilms = 1000;
constexpr int kMaxFilterValues = 64;
constexpr int kMaxScenesPerFilm = 1000;
constexpr int kMaxFacetValues = 100;
constexpr int kMinYear = 1870;
constexpr int kMaxYear = 2100;

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

absl::Status CheckYear(absl::string_view field, int year) {
  if (year == 0 || (year >= kMinYear && year <= kMaxYear)) {
    return absl::OkStatus();
  }
  return Invalid(field, absl::StrCat(year, " is outside ", kMinYear, "-",
                                     kMaxYear, " (0 means no bound)"));
}

absl::Status CheckValues(
    absl::string_view field,
    const google::protobuf::RepeatedPtrField<std::string>& values, int limit) {
  if (values.size() > limit) {
    return Invalid(field, absl::StrCat("has ", values.size(),
                                       " entries; the limit is ", limit));
  }
  for (int i = 0; i < values.size(); ++i) {
    if (values[i].empty() || values[i].size() > 1024) {
      return Invalid(absl::StrCat(field, "[", i, "]"), "must be 1-1024 bytes");
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyWeight(absl::string_view name, bool has, double value,
                         double* weight) {
  if (!has) return absl::OkStatus();
  if (!std::isfinite(value) || value < 0 || value > 100) {
    return Invalid(absl::StrCat("field_weights.", name),
                   absl::StrCat(value, " is not a number from 0 to 100"));
  }
  *weight = value;
  return absl::OkStatus();
}

}  // namespace

namespace {

// The first 8 bytes of a SHA-256 of the fields that decide matches and
// order, with the sort's default spelled out.
uint64_t Fingerprint(const v1::SearchScenesRequest& request) {
  v1::SearchScenesRequest decisive;
  decisive.set_query(request.query());
  *decisive.mutable_filter() = request.filter();
  *decisive.mutable_field_weights() = request.field_weights();
  decisive.set_typos_in_phrases(request.typos_in_phrases());
  decisive.set_sort(request.sort() == v1::SORT_ORDER_UNSPECIFIED
                        ? v1::SORT_ORDER_RELEVANCE
                        : request.sort());
  decisive.set_max_scenes_per_film(request.max_scenes_per_film());
  // Any-word matching stays unset (as before the field existed), so tokens
  // issued before it keep their fingerprint.
  if (request.matching() == v1::WORD_MATCHING_ALL) {
    decisive.set_matching(v1::WORD_MATCHING_ALL);
  }
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    decisive.SerializeToCodedStream(&coded);
  }
  // Fetched once: SHA256() looks the algorithm up on every call.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  unsigned char digest[EVP_MAX_MD_SIZE];
  if (sha256 == nullptr || EVP_Digest(bytes.data(), bytes.size(), digest,
                                      nullptr, sha256, nullptr) != 1) {
    std::abort();  // A broken libcrypto: no token could be trusted.
  }
  uint64_t fingerprint = 0;
  for (int i = 0; i < 8; ++i) fingerprint = (fingerprint << 8) | digest[i];
  return fingerprint;
}

}  // namespace

absl::StatusOr<ValidatedSearch> ValidateSearchRequest(
    const reel::search::v1::SearchScenesRequest& request,
    const text::Analyzer& analyzer, int default_max_results,
    int max_results_limit) {
  ValidatedSearch result;
  SearchOptions& options = result.options;
  if (request.max_results() < 0 || request.max_results() > max_results_limit) {
    return Invalid(
        "max_results",
        absl::StrCat(request.max_results(), " is outside 0-", max_results_limit,
                     " (0 means ", default_max_results, ")"));
  }
  options.max_results =
      request.max_results() == 0 ? default_max_results : request.max_results();
  if (request.min_revision() < 0) {
    return Invalid("min_revision", "must not be negative");
  }
  if (const int length = request.snippet_length(); length != 0) {
    if (length < kMinSnippetLength || length > kMaxSnippetLength) {
      return Invalid(
          "snippet_length",
          absl::StrCat(length, " is outside ", kMinSnippetLength, "-",
                       kMaxSnippetLength, " code points (0 means ",
                       kDefaultSnippetLength, ")"));
    }
    result.snippet_length = length;
  }

  const auto& filter = request.filter();
  if (absl::Status s =
          CheckValues("filter.films", filter.films(), kMaxFilterFilms);
      !s.ok()) {
    return s;
  }
  for (int i = 0; i < filter.films_size(); ++i) {
    if (!absl::StartsWith(filter.films(i), "films/") ||
        filter.films(i).size() == 6) {
      return Invalid(absl::StrCat("filter.films[", i, "]"),
                     absl::StrCat("\"", filter.films(i),
                                  "\" is not a film name (films/{film_id})"));
    }
    options.filter.film_names.push_back(filter.films(i));
  }
  for (auto [field, year] :
       {std::pair<const char*, int>{"filter.year_min", filter.year_min()},
        {"filter.year_max", filter.year_max()}}) {
    if (absl::Status s = CheckYear(field, year); !s.ok()) return s;
  }
  if (filter.year_min() != 0 && filter.year_max() != 0 &&
      filter.year_min() > filter.year_max()) {
    return Invalid("filter.year_min",
                   absl::StrCat(filter.year_min(), " is after filter.year_max ",
                                filter.year_max()));
  }
  options.filter.year_min = filter.year_min();
  options.filter.year_max = filter.year_max();
  if (absl::Status s =
          CheckValues("filter.genres", filter.genres(), kMaxFilterValues);
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          CheckValues("filter.directors", filter.directors(), kMaxFilterValues);
      !s.ok()) {
    return s;
  }
  options.filter.genres.assign(filter.genres().begin(), filter.genres().end());
  options.filter.directors.assign(filter.directors().begin(),
                                  filter.directors().end());

  const auto& weights = request.field_weights();
  auto& w = options.ranking.field_weights;
  for (absl::Status s : {ApplyWeight("scene_title", weights.has_scene_title(),
                                     weights.scene_title(), &w[kSceneTitle]),
                         ApplyWeight("description", weights.has_description(),
                                     weights.description(), &w[kDescription]),
                         ApplyWeight("context", weights.has_context(),
                                     weights.context(), &w[kContext]),
                         ApplyWeight("film_title", weights.has_film_title(),
                                     weights.film_title(), &w[kFilmTitle]),
                         ApplyWeight("synopsis", weights.has_synopsis(),
                                     weights.synopsis(), &w[kSynopsis])}) {
    if (!s.ok()) return s;
  }

  options.explain = request.explain();

  switch (request.matching()) {
    case v1::WORD_MATCHING_UNSPECIFIED:
    case v1::WORD_MATCHING_ANY:
      options.matching = WordMatching::kAny;
      break;
    case v1::WORD_MATCHING_ALL:
      options.matching = WordMatching::kAll;
      break;
    default:
      return Invalid("matching",
                     absl::StrCat(static_cast<int>(request.matching()),
                                  " is not a WordMatching"));
  }

  switch (request.sort()) {
    case v1::SORT_ORDER_UNSPECIFIED:
    case v1::SORT_ORDER_RELEVANCE:
      options.sort = SortOrder::kRelevance;
      break;
    case v1::SORT_ORDER_YEAR_ASCENDING:
      options.sort = SortOrder::kYearAscending;
      break;
    case v1::SORT_ORDER_YEAR_DESCENDING:
      options.sort = SortOrder::kYearDescending;
      break;
    case v1::SORT_ORDER_TITLE:
      options.sort = SortOrder::kTitle;
      break;
    default:
      return Invalid("sort", absl::StrCat(static_cast<int>(request.sort()),
                                          " is not a SortOrder"));
  }
  if (request.max_scenes_per_film() < 0 ||
      request.max_scenes_per_film() > kMaxScenesPerFilm) {
    return Invalid("max_scenes_per_film",
                   absl::StrCat(request.max_scenes_per_film(), " is outside 0-",
                                kMaxScenesPerFilm, " (0: no limit)"));
  }
  options.max_scenes_per_film = request.max_scenes_per_film();
  for (auto [field, value, out] :
       {std::tuple<const char*, int, int*>{
            "facets.genres", request.facets().genres(), &options.facets.genres},
        {"facets.directors", request.facets().directors(),
         &options.facets.directors},
        {"facets.years", request.facets().years(), &options.facets.years}}) {
    if (value < 0 || value > kMaxFacetValues) {
      return Invalid(field, absl::StrCat(value, " is outside 0-",
                                         kMaxFacetValues, " values"));
    }
    *out = value;
  }
  result.fingerprint = Fingerprint(request);

  absl::StatusOr<ParsedQuery> query =
      ParseQuery(request.query(), analyzer,
                 ParseOptions{.typos_in_phrases = request.typos_in_phrases(),
                              .allow_or_and_slop = true});
  if (!query.ok()) return query.status();
  result.query = *std::move(query);
  return result;
}

}  // namespace reel::search
