#include "tools/reelctl/search_command.h"

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/status/grpc_status.h"
#include "reel/search/v1/search.grpc.pb.h"

namespace reel::reelctl {
namespace {

namespace v1 = search::v1;

std::string FieldName(v1::HighlightField field) {
  absl::string_view name = v1::HighlightField_Name(field);
  absl::ConsumePrefix(&name, "HIGHLIGHT_FIELD_");
  return absl::AsciiStrToLower(name);
}

std::string MatchFieldName(v1::MatchField field) {
  absl::string_view name = v1::MatchField_Name(field);
  absl::ConsumePrefix(&name, "MATCH_FIELD_");
  return absl::AsciiStrToLower(name);
}

std::string MatchFormName(const v1::TermExplanation& term) {
  if (term.form() == v1::MATCH_FORM_TYPO) {
    return absl::StrCat("typo(", term.typo_distance(), ")");
  }
  absl::string_view name = v1::MatchForm_Name(term.form());
  absl::ConsumePrefix(&name, "MATCH_FORM_");
  return absl::AsciiStrToLower(name);
}

// What ordered the hit, then one line per term and field it matched:
//   ballerna → ballerina  synopsis  typo(1)  tf 1  w 0.5  idf 4.48  +1.20
void PrintExplanation(const v1::SceneHit& hit) {
  const v1::SortKey& key = hit.sort_key();
  std::cout << absl::StrFormat(
      "       sort key: %d matched clauses, score %.4f, %s, scene ordinal %d\n",
      key.matched_clauses(), key.score(), key.film(), key.scene_ordinal());
  // Two decimals, or three digits for what is smaller than 0.1.
  auto number = [](double x) {
    // Two calls: clang requires each format string to be a constant.
    return std::abs(x) >= 0.1 ? absl::StrFormat("%.2f", x)
                              : absl::StrFormat("%.3g", x);
  };
  for (const v1::TermExplanation& term : hit.explanation().terms()) {
    const double w = term.field_weight();  // As set: 1.0, 0.5, 0.25.
    std::cout << absl::StrFormat(
        "       %s → %s  %s  %s  tf %d  w %s  idf %s  +%s\n", term.query_term(),
        term.matched_term(), MatchFieldName(term.field()), MatchFormName(term),
        term.term_frequency(),
        w == std::round(w * 10) / 10 ? absl::StrFormat("%.1f", w)
                                     : absl::StrFormat("%g", w),
        number(term.idf()), number(term.contribution()));
  }
}

// The snippet with its spans marked: bold on a terminal, [brackets] else.
std::string Mark(const v1::Highlight& highlight, bool terminal) {
  const std::string& text = highlight.snippet();
  std::string out;
  size_t at = 0;
  for (const v1::Span& span : highlight.spans()) {
    const size_t begin = static_cast<size_t>(span.start_byte());
    const size_t end = static_cast<size_t>(span.end_byte());
    if (begin < at || end > text.size() || begin > end) continue;
    absl::StrAppend(&out, text.substr(at, begin - at),
                    terminal ? "\033[1m" : "[", text.substr(begin, end - begin),
                    terminal ? "\033[0m" : "]");
    at = end;
  }
  absl::StrAppend(&out, text.substr(at));
  return out;
}

// After a search with --film: the named films without a hit on the page,
// asked of the catalog. NOT_FOUND (exit 1) for a film the catalog does not
// have: the search service answers a filter on an unknown film with no hits,
// which reads like "no matching scenes". When the catalog cannot be asked,
// a note says so and the search stands.
int CheckFilmsExist(CliContext& cli, const std::vector<std::string>& names,
                    const std::set<std::string>& with_hits) {
  std::vector<std::string> missing;
  for (const std::string& name : names) {
    if (with_hits.count(name) > 0) continue;
    catalog::v1::GetFilmRequest request;
    request.set_name(name);
    catalog::v1::GetFilmResponse response;
    grpc::ClientContext context;
    cli.SetDeadline(&context);
    const grpc::Status status =
        cli.catalog().GetFilm(&context, request, &response);
    if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
      missing.push_back(name);
    } else if (!status.ok()) {
      std::cerr << "note: could not ask the catalog at "
                << cli.options().catalog << " whether " << name << " exists ("
                << GrpcCodeName(status.error_code()) << ": "
                << status.error_message()
                << "); pass --catalog to check --film names" << std::endl;
      return kExitOk;
    }
  }
  if (missing.empty()) return kExitOk;
  return ReportError(absl::NotFoundError(absl::StrCat(
      "--film: the catalog at ", cli.options().catalog, " has no ",
      absl::StrJoin(missing, ", "),
      missing.size() == 1 ? " (no such film)" : " (no such films)")));
}

}  // namespace

int RunSearchCommand(CliContext& cli, const CommandLine& line) {
  const SearchOptions& options = line.search;
  v1::SearchScenesRequest request;
  request.set_query(absl::StrJoin(options.words, " "));
  request.set_max_results(options.max);
  request.set_min_revision(options.min_revision);
  request.set_snippet_length(options.snippet_length);
  request.set_explain(options.explain);
  request.set_matching(options.match == "all" ? v1::WORD_MATCHING_ALL
                                              : v1::WORD_MATCHING_ANY);
  if (options.sort == "year") {
    request.set_sort(v1::SORT_ORDER_YEAR_ASCENDING);
  } else if (options.sort == "year-desc") {
    request.set_sort(v1::SORT_ORDER_YEAR_DESCENDING);
  } else if (options.sort == "title") {
    request.set_sort(v1::SORT_ORDER_TITLE);
  } else {
    request.set_sort(v1::SORT_ORDER_RELEVANCE);
  }
  request.set_max_scenes_per_film(options.max_per_film);
  if (options.facets != 0) {
    request.mutable_facets()->set_genres(options.facets);
    request.mutable_facets()->set_directors(options.facets);
    request.mutable_facets()->set_years(options.facets);
  }
  request.set_page_token(options.page);
  auto* filter = request.mutable_filter();
  filter->set_year_min(options.year_min);
  filter->set_year_max(options.year_max);
  for (const std::string& genre : options.genres) filter->add_genres(genre);
  for (const std::string& d : options.directors) filter->add_directors(d);
  std::vector<std::string> films;
  for (const std::string& film : options.films) {
    films.push_back(FilmNameFromArg(film));
    filter->add_films(films.back());
  }
  std::set<std::string> films_with_hits;

  const bool terminal = isatty(STDOUT_FILENO) != 0;
  grpc::ClientContext context;
  cli.SetDeadline(&context);
  auto reader = cli.search().SearchScenes(&context, request);
  v1::SearchScenesResponse message;
  while (reader->Read(&message)) {
    for (const v1::SceneHit& hit : message.hits()) {
      films_with_hits.insert(hit.film());
      std::cout << absl::StrFormat("%3d. %-8.3f %s", hit.rank(), hit.score(),
                                   hit.film_title());
      if (hit.year() != 0) std::cout << " (" << hit.year() << ")";
      std::cout << " — " << hit.scene_title() << "  [" << hit.film() << " "
                << hit.scene_id() << "]\n";
      for (const v1::Highlight& highlight : hit.highlights()) {
        std::cout << "       " << FieldName(highlight.field()) << ": "
                  << Mark(highlight, terminal) << "\n";
      }
      if (hit.has_explanation()) PrintExplanation(hit);
    }
    if (message.has_summary()) {
      const v1::SearchSummary& summary = message.summary();
      std::cout << "# " << summary.returned_count() << " of "
                << summary.total_matches() << " matching scenes, index at "
                << "revision " << summary.index_revision()
                << (summary.complete() ? "" : " (incomplete)") << "\n";
      auto print_facet =
          [](const char* name,
             const google::protobuf::RepeatedPtrField<v1::FacetValue>& values) {
            if (values.empty()) return;
            std::cout << "# " << name << ":";
            for (const v1::FacetValue& value : values) {
              std::cout << " " << value.value() << " (" << value.scene_count()
                        << ")";
            }
            std::cout << "\n";
          };
      if (summary.corrections_size() > 0) {
        std::cout << "# showing results for:";
        for (const v1::Correction& correction : summary.corrections()) {
          std::cout << " " << correction.corrected_term() << " (typed "
                    << correction.query_term() << ")";
        }
        std::cout << "\n";
      }
      if (summary.typo_capped_terms_size() > 0) {
        std::cout << "# too many words a typo away from:";
        for (const std::string& term : summary.typo_capped_terms()) {
          std::cout << " " << term;
        }
        std::cout << " (only the closest were searched)\n";
      }
      print_facet("genres", summary.facets().genres());
      print_facet("directors", summary.facets().directors());
      print_facet("years", summary.facets().years());
      if (!summary.next_page_token().empty()) {
        std::cout << "# next page: --page " << summary.next_page_token()
                  << "\n";
      }
    }
    std::cout.flush();  // Show hits as they stream in.
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) return cli.ReportSearchError(status);
  return CheckFilmsExist(cli, films, films_with_hits);
}

int RunStatusCommand(CliContext& cli, const CommandLine&) {
  grpc::ClientContext context;
  cli.SetDeadline(&context);
  v1::GetIndexStatusResponse response;
  grpc::Status status = cli.search().GetIndexStatus(
      &context, v1::GetIndexStatusRequest(), &response);
  if (!status.ok()) return cli.ReportSearchError(status);
  absl::Status printed = PrintJson(response);
  return printed.ok() ? kExitOk : ReportError(printed);
}

}  // namespace reel::reelctl
