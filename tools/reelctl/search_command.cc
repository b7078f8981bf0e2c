#include "tools/reelctl/search_command.h"

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "reel/search/v1/search.grpc.pb.h"

ABSL_FLAG(std::string, search, "",
          "search service address (default: $REEL_SEARCH_ADDR, else "
          "localhost:50052)");
ABSL_FLAG(int32_t, max, 0, "search: most hits to return (0: the server's 20)");
ABSL_FLAG(int32_t, year_min, 0, "search: only films from this year on");
ABSL_FLAG(int32_t, year_max, 0, "search: only films up to this year");
ABSL_FLAG(std::vector<std::string>, genre, {},
          "search: only films with one of these genres (comma-separated)");
ABSL_FLAG(std::vector<std::string>, director, {},
          "search: only films by one of these directors (comma-separated)");
ABSL_FLAG(std::vector<std::string>, film, {},
          "search: only these films (names or ids, comma-separated)");
ABSL_FLAG(int64_t, min_revision, 0,
          "search: wait until the index has applied this catalog revision");
ABSL_FLAG(int32_t, snippet_length, 0,
          "search: longest snippet of a matched field, in characters (code "
          "points) with the \"…\" marking a cut (0: the server's 320; "
          "20-2000)");
ABSL_FLAG(bool, explain, false,
          "search: under each hit, its sort key and one line per query term: "
          "the word matched, field, form, tf, field weight, idf and the "
          "share of the score");

ABSL_FLAG(std::string, sort, "relevance",
          "search: relevance, year (oldest first), year-desc, or title");
ABSL_FLAG(int32_t, max_per_film, 0,
          "search: at most this many scenes of one film (0: no limit)");
ABSL_FLAG(int32_t, facets, 0,
          "search: also print the top N genres, directors and years over "
          "every match");
ABSL_FLAG(std::string, page, "",
          "search: the next page: the token the previous page printed");

namespace reel::reelctl {
namespace {

namespace v1 = search::v1;

std::unique_ptr<v1::SearchService::Stub> SearchStub() {
  std::string address = absl::GetFlag(FLAGS_search);
  if (address.empty()) {
    const char* env = std::getenv("REEL_SEARCH_ADDR");
    address = env != nullptr && *env != '\0' ? env : "localhost:50052";
  }
  return v1::SearchService::NewStub(
      grpc::CreateChannel(address, ChannelCredentials()));
}

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

}  // namespace

int RunSearchCommand(CliContext& cli, const CommandLine& line) {
  if (absl::Status status =
          CheckFlags(line, "search",
                     {"search", "max", "year_min", "year_max", "genre",
                      "director", "film", "min_revision", "snippet_length",
                      "explain", "sort", "max_per_film", "facets", "page"});
      !status.ok()) {
    return ReportUsageError(status.message());
  }
  if (line.args.size() < 2) return ReportUsageError("search needs a QUERY");
  v1::SearchScenesRequest request;
  request.set_query(absl::StrJoin(line.args.begin() + 1, line.args.end(), " "));
  request.set_max_results(absl::GetFlag(FLAGS_max));
  request.set_min_revision(absl::GetFlag(FLAGS_min_revision));
  request.set_snippet_length(absl::GetFlag(FLAGS_snippet_length));
  request.set_explain(absl::GetFlag(FLAGS_explain));
  const std::string sort = absl::GetFlag(FLAGS_sort);
  if (sort == "relevance") {
    request.set_sort(v1::SORT_ORDER_RELEVANCE);
  } else if (sort == "year") {
    request.set_sort(v1::SORT_ORDER_YEAR_ASCENDING);
  } else if (sort == "year-desc") {
    request.set_sort(v1::SORT_ORDER_YEAR_DESCENDING);
  } else if (sort == "title") {
    request.set_sort(v1::SORT_ORDER_TITLE);
  } else {
    return ReportUsageError(absl::StrCat(
        "--sort: '", sort, "' is not relevance, year, year-desc or title"));
  }
  request.set_max_scenes_per_film(absl::GetFlag(FLAGS_max_per_film));
  if (const int facets = absl::GetFlag(FLAGS_facets); facets != 0) {
    request.mutable_facets()->set_genres(facets);
    request.mutable_facets()->set_directors(facets);
    request.mutable_facets()->set_years(facets);
  }
  request.set_page_token(absl::GetFlag(FLAGS_page));
  auto* filter = request.mutable_filter();
  filter->set_year_min(absl::GetFlag(FLAGS_year_min));
  filter->set_year_max(absl::GetFlag(FLAGS_year_max));
  for (const std::string& genre : absl::GetFlag(FLAGS_genre))
    filter->add_genres(genre);
  for (const std::string& d : absl::GetFlag(FLAGS_director))
    filter->add_directors(d);
  for (const std::string& film : absl::GetFlag(FLAGS_film)) {
    filter->add_films(FilmNameFromArg(film));
  }

  const bool terminal = isatty(STDOUT_FILENO) != 0;
  grpc::ClientContext context;
  cli.SetDeadline(&context);
  auto stub = SearchStub();
  auto reader = stub->SearchScenes(&context, request);
  v1::SearchScenesResponse message;
  while (reader->Read(&message)) {
    for (const v1::SceneHit& hit : message.hits()) {
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
  return status.ok() ? kExitOk : ReportError(status);
}

int RunStatusCommand(CliContext& cli, const CommandLine& line) {
  if (absl::Status status = CheckFlags(line, "status", {"search"});
      !status.ok()) {
    return ReportUsageError(status.message());
  }
  grpc::ClientContext context;
  cli.SetDeadline(&context);
  v1::GetIndexStatusResponse response;
  grpc::Status status = SearchStub()->GetIndexStatus(
      &context, v1::GetIndexStatusRequest(), &response);
  if (!status.ok()) return ReportError(status);
  absl::Status printed = PrintJson(response);
  return printed.ok() ? kExitOk : ReportError(printed);
}

}  // namespace reel::reelctl
