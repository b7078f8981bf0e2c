#include "search-service/api/search_request.h"

#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace reel::search {
namespace {

constexpr int kMaxFilterFilms = 1000;
constexpr int kMaxFilterValues = 64;
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

  absl::StatusOr<ParsedQuery> query =
      ParseQuery(request.query(), analyzer,
                 ParseOptions{.typos_in_phrases = request.typos_in_phrases(),
                              .allow_or_and_slop = true});
  if (!query.ok()) return query.status();
  result.query = *std::move(query);
  return result;
}

}  // namespace reel::search
