// A small SceneIndex shared by the search fuzz targets, built once per
// process: two films whose texts hold stems, prefixes, phrases, accents,
// hyphens and apostrophes for fuzzed queries to hit. Also checks what every
// search result must satisfy.
#ifndef REEL_TESTS_FUZZ_FUZZ_INDEX_H_
#define REEL_TESTS_FUZZ_FUZZ_INDEX_H_

#include <cmath>
#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "reel/catalog/v1/catalog.pb.h"
#include "search-service/index/scene_index.h"
#include "search-service/text/analyzer.h"
#include "tests/fuzz/fuzz_checks.h"

namespace reel::fuzz {

struct SearchFixture {
  std::shared_ptr<const text::Analyzer> analyzer;
  std::unique_ptr<search::SceneIndex> index;
};

inline const SearchFixture& Fixture() {
  static const SearchFixture* fixture = [] {
    auto* f = new SearchFixture;
    absl::StatusOr<std::unique_ptr<text::Analyzer>> analyzer =
        text::Analyzer::Create();
    Check(analyzer.ok(), "Analyzer::Create failed");
    f->analyzer = std::move(*analyzer);
    f->index = std::make_unique<search::SceneIndex>(f->analyzer);

    catalog::v1::Film shoes;
    shoes.set_name("films/the-red-shoes");
    shoes.set_title("The Red Shoes");
    shoes.set_year(1948);
    shoes.add_directors("Michael Powell");
    shoes.add_genres("Drama");
    shoes.set_synopsis(
        "A young ballerina is torn between love and her ambition to dance.");
    const char* scenes[][3] = {
        {"The Audition",
         "Vicky dances for Lermontov's company, sixteen-"
         "year-old hopes in red shoes.",
         "Why do you want to dance? Why do you want to live?"},
        {"The Ballet of the Red Shoes",
         "A fifteen-minute ballet: the shoes dance on and on, "
         "Ballerína Émile Straße U.S. 1,000 don't O'Brien e-mail.",
         "Nothing matters but the dance; forget anything but ballet."},
        {"The Last Performance", "She runs to the train in the red shoes.", ""},
    };
    for (int i = 0; i < 3; ++i) {
      auto* scene = shoes.add_scenes();
      scene->set_scene_id(absl::StrCat("s", i + 1));
      scene->set_title(scenes[i][0]);
      scene->set_description(scenes[i][1]);
      scene->set_context(scenes[i][2]);
    }
    f->index->UpsertFilm(shoes);

    catalog::v1::Film fly;
    fly.set_name("films/the-spider-and-the-fly");
    fly.set_title("The Spider and the Fly");
    fly.set_year(1949);
    fly.add_directors("Robert Hamer");
    fly.add_genres("Crime");
    fly.set_synopsis("A Paris detective hunts a safecracker 東京 ひらがな.");
    auto* scene = fly.add_scenes();
    scene->set_scene_id("s1");
    scene->set_title("The Safe");
    scene->set_description(
        "The detective waits by the safe; the thief dances "
        "away with the jewels.");
    f->index->UpsertFilm(fly);
    return f;
  }();
  return *fixture;
}

// What every search result must satisfy.
inline void CheckResult(const search::SearchResult& result,
                        const search::SearchOptions& options) {
  Check(static_cast<int>(result.hits.size()) <= options.max_results,
        "more hits than max_results");
  Check(result.total_matches >= static_cast<int64_t>(result.hits.size()),
        "total_matches is below the hits returned");
  for (size_t i = 0; i < result.hits.size(); ++i) {
    const search::SceneHit& hit = result.hits[i];
    Check(hit.film != nullptr && hit.scene_index >= 0 &&
              hit.scene_index < hit.film->scene_count(),
          "a hit points outside its film");
    Check(!options.load_texts || (hit.texts != nullptr &&
                                  hit.scene_index < hit.texts->scene_count()),
          "a hit's texts were not loaded as far as its scene");
    Check(std::isfinite(hit.score), "a hit's score is not finite");
    if (i > 0 && options.sort == search::SortOrder::kRelevance) {
      // Most clauses matched first, then the higher score.
      const search::SceneHit& prev = result.hits[i - 1];
      Check(prev.matched_clauses > hit.matched_clauses ||
                (prev.matched_clauses == hit.matched_clauses &&
                 prev.score >= hit.score),
            "hits are not ranked best first");
    }
  }
  if (options.max_scenes_per_film > 0) {
    std::map<std::string, int> per_film;
    for (const search::SceneHit& hit : result.hits) {
      Check(++per_film[hit.film_name()] <= options.max_scenes_per_film,
            "more scenes of a film than max_scenes_per_film");
    }
  }
  for (const auto* facets :
       {&result.genre_facets, &result.director_facets, &result.year_facets}) {
    for (const search::FacetCount& facet : *facets) {
      Check(facet.scenes >= 1 && facet.scenes <= result.total_matches,
            "a facet counts more scenes than matched");
    }
  }
  Check(static_cast<int>(result.genre_facets.size()) <= options.facets.genres &&
            static_cast<int>(result.director_facets.size()) <=
                options.facets.directors &&
            static_cast<int>(result.year_facets.size()) <= options.facets.years,
        "more facet values than asked for");
}

}  // namespace reel::fuzz

#endif  // REEL_TESTS_FUZZ_FUZZ_INDEX_H_
