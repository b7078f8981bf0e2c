// What a search page needs from the index, on the small corpus: orders by
// relevance, year and title; pages that continue an order exactly; a cap on
// scenes per film; facet counts over every match, checked against counts
// made from the hits of one unpaged search.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "search-service/index/scene_index.h"
#include "search-service/query/query.h"
#include "tests/testing/corpus.h"

namespace reel::search {
namespace {

using ::reel::catalog::v1::Film;

class ResultOrderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    analyzer_ = text::Analyzer::Create().value().release();
    index_ = new SceneIndex(
        std::shared_ptr<const text::Analyzer>(analyzer_, [](auto*) {}));
    for (const Film& film :
         testing::LoadSharedFilms("corpus/films-small.jsonl")) {
      index_->UpsertFilm(film);
    }
  }

  static SearchResult Search(const std::string& query, SearchOptions options) {
    auto parsed =
        ParseQuery(query, *analyzer_, ParseOptions{.allow_or_and_slop = true});
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    return parsed.ok() ? index_->Search(*parsed, options) : SearchResult();
  }

  // Every hit of `query` in `options`' order, page by page of `page_size`.
  static std::vector<std::string> Paged(const std::string& query,
                                        SearchOptions options, int page_size,
                                        int* pages) {
    return PagedIn(*index_, query, options, page_size, pages);
  }

  // As the service pages: the relevance order without a cap by skipping
  // the hits already returned, any other by the last position.
  static std::vector<std::string> PagedIn(const SceneIndex& index,
                                          const std::string& query,
                                          SearchOptions options, int page_size,
                                          int* pages) {
    std::vector<std::string> keys;
    options.max_results = page_size;
    *pages = 0;
    auto parsed =
        ParseQuery(query, *analyzer_, ParseOptions{.allow_or_and_slop = true});
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    if (!parsed.ok()) return keys;
    const bool by_skip = options.sort == SortOrder::kRelevance &&
                         options.max_scenes_per_film == 0;
    while (true) {
      SearchResult page = index.Search(*parsed, options);
      ++*pages;
      for (const SceneHit& hit : page.hits) {
        keys.push_back(absl::StrCat(hit.film_name(), "#", hit.scene_id()));
      }
      if (!page.more) break;
      EXPECT_EQ(page.hits.size(), static_cast<size_t>(page_size));
      if (by_skip) {
        options.skip = static_cast<int>(keys.size());
      } else {
        options.after = page.last_position;
      }
      if (*pages > 1000) break;
    }
    return keys;
  }

  static std::vector<std::string> Keys(const SearchResult& result) {
    std::vector<std::string> keys;
    for (const SceneHit& hit : result.hits) {
      keys.push_back(absl::StrCat(hit.film_name(), "#", hit.scene_id()));
    }
    return keys;
  }

  static inline const text::Analyzer* analyzer_ = nullptr;
  static inline SceneIndex* index_ = nullptr;
};

TEST_F(ResultOrderTest, YearAndTitleOrdersWithRelevanceBreakingTies) {
  SearchOptions options;
  options.max_results = 1000;
  const SearchResult relevance = Search("war", options);
  ASSERT_GT(relevance.hits.size(), 20u);
  for (SortOrder order : {SortOrder::kYearAscending, SortOrder::kYearDescending,
                          SortOrder::kTitle}) {
    options.sort = order;
    const SearchResult sorted = Search("war", options);
    // The same matches, in another order.
    EXPECT_EQ(sorted.total_matches, relevance.total_matches);
    std::vector<std::string> a = Keys(sorted), b = Keys(relevance);
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    EXPECT_EQ(a, b);
    for (size_t i = 1; i < sorted.hits.size(); ++i) {
      const SceneHit& prev = sorted.hits[i - 1];
      const SceneHit& hit = sorted.hits[i];
      const int py = prev.film->year(), y = hit.film->year();
      if (order == SortOrder::kTitle) {
        const std::string pt = absl::AsciiStrToLower(prev.film->title());
        const std::string t = absl::AsciiStrToLower(hit.film->title());
        ASSERT_LE(pt, t) << i;
        if (pt != t) continue;
      } else if (py != y) {
        ASSERT_NE(py, 0) << "unknown years come last";
        if (y != 0) {
          ASSERT_TRUE(order == SortOrder::kYearAscending ? py < y : py > y)
              << i << ": " << py << " then " << y;
        }
        continue;
      }
      // Ties: relevance.
      ASSERT_TRUE(prev.matched_clauses > hit.matched_clauses ||
                  (prev.matched_clauses == hit.matched_clauses &&
                   prev.score >= hit.score))
          << i;
    }
  }
}

TEST_F(ResultOrderTest, PagesContinueEachOrderExactly) {
  for (SortOrder order : {SortOrder::kRelevance, SortOrder::kYearAscending,
                          SortOrder::kYearDescending, SortOrder::kTitle}) {
    for (int cap : {0, 1, 2}) {
      SearchOptions options;
      options.sort = order;
      options.max_scenes_per_film = cap;
      options.max_results = 1000;
      const SearchResult whole = Search("love OR death", options);
      int pages = 0;
      const std::vector<std::string> paged =
          Paged("love OR death", options, 7, &pages);
      EXPECT_EQ(paged, Keys(whole))
          << "order " << static_cast<int>(order) << ", cap " << cap;
      EXPECT_GT(pages, 3);
      if (cap > 0) {
        std::map<std::string, int> per_film;
        for (const SceneHit& hit : whole.hits) {
          EXPECT_LE(++per_film[hit.film_name()], cap) << hit.film_name();
        }
        EXPECT_LT(whole.hits.size(), static_cast<size_t>(whole.total_matches));
      }
    }
  }
}

// Stop words count where present. The top-k path counts them only in the
// scenes the other words matched, scanning a stop word's list or galloping
// to each scene depending on how many there are; the full order (any cap
// forces it) counts them on every scene. Both must agree on every hit and
// on how many clauses it matched.
TEST_F(ResultOrderTest, StopWordsCountAlikeOnTheTopKAndFullOrderPaths) {
  for (const std::string query :
       {"the submarine", "submarine in the", "a detective and the murder",
        "the night of love", "love in the night", "war of the worlds",
        "murder in a night"}) {
    for (const WordMatching matching :
         {WordMatching::kAny, WordMatching::kAll}) {
      SearchOptions top_k;
      top_k.max_results = 25;
      top_k.matching = matching;
      SearchOptions full = top_k;
      full.max_scenes_per_film = 1 << 20;  // No cap, but the full order.
      const SearchResult a = Search(query, top_k);
      const SearchResult b = Search(query, full);
      ASSERT_EQ(Keys(a), Keys(b)) << query;
      EXPECT_EQ(a.total_matches, b.total_matches) << query;
      for (size_t i = 0; i < a.hits.size(); ++i) {
        EXPECT_EQ(a.hits[i].matched_clauses, b.hits[i].matched_clauses)
            << query << " hit " << i;
      }
      if (matching == WordMatching::kAny) {
        EXPECT_FALSE(a.hits.empty()) << query;
      }
    }
  }
}

// Many equal scores, and pages through the top-k paths (one word, several
// words) and the general path (a phrase): every scene once, in the order of
// one unpaged search.
TEST_F(ResultOrderTest, RelevancePagesContinueAcrossTiesOnEveryPath) {
  SceneIndex index(
      std::shared_ptr<const text::Analyzer>(analyzer_, [](auto*) {}));
  for (int i = 0; i < 60; ++i) {
    Film film;
    film.set_name(absl::StrCat("films/twin-", i));
    film.set_title(absl::StrCat("Twin ", i % 3));
    for (int s = 0; s < 1 + i % 2; ++s) {
      auto* scene = film.add_scenes();
      scene->set_scene_id(absl::StrCat("s", s));
      scene->set_title("Twins");
      scene->set_description(i % 4 == 0 ? "A quokka waves at a wombat."
                                        : "A quokka waves.");
    }
    index.UpsertFilm(film);
  }
  for (const std::string& query :
       {"quokka", "quokka wombat", "\"quokka waves\"", "quokka OR wombat"}) {
    SearchOptions options;
    options.max_results = 1000;
    auto parsed =
        ParseQuery(query, *analyzer_, ParseOptions{.allow_or_and_slop = true});
    ASSERT_TRUE(parsed.ok());
    const std::vector<std::string> whole = Keys(index.Search(*parsed, options));
    ASSERT_EQ(whole.size(), 90u) << query;
    for (int page_size : {1, 4, 7}) {
      int pages = 0;
      EXPECT_EQ(PagedIn(index, query, options, page_size, &pages), whole)
          << query << ", pages of " << page_size;
    }
  }
}

TEST_F(ResultOrderTest, FacetsCountEveryMatchNotOnlyTheHits) {
  SearchOptions all;
  all.max_results = 1000;
  const SearchResult whole = Search("house", all);
  ASSERT_LT(whole.hits.size(), 1000u);
  std::map<std::string, int64_t> genres, directors, years;
  for (const SceneHit& hit : whole.hits) {
    std::set<std::string> seen;
    for (const std::string& genre : hit.film->genres()) {
      if (seen.insert(absl::AsciiStrToLower(genre)).second) ++genres[genre];
    }
    for (const std::string& director : hit.film->directors()) {
      ++directors[director];
    }
    if (hit.film->year() != 0) ++years[std::to_string(hit.film->year())];
  }
  SearchOptions faceted;
  faceted.max_results = 3;  // The facets must not depend on the page.
  faceted.facets = {.genres = 5, .directors = 3, .years = 4};
  const SearchResult result = Search("house", faceted);
  EXPECT_EQ(result.hits.size(), 3u);
  EXPECT_EQ(result.total_matches, whole.total_matches);
  ASSERT_EQ(result.genre_facets.size(), std::min<size_t>(5, genres.size()));
  ASSERT_EQ(result.director_facets.size(),
            std::min<size_t>(3, directors.size()));
  ASSERT_EQ(result.year_facets.size(), std::min<size_t>(4, years.size()));
  for (const FacetCount& facet : result.genre_facets) {
    EXPECT_EQ(facet.scenes, genres[facet.value]) << facet.value;
  }
  for (const FacetCount& facet : result.year_facets) {
    EXPECT_EQ(facet.scenes, years[facet.value]) << facet.value;
  }
  // Most scenes first; none left out has more than the last one kept.
  for (size_t i = 1; i < result.genre_facets.size(); ++i) {
    EXPECT_GE(result.genre_facets[i - 1].scenes, result.genre_facets[i].scenes);
  }
  int64_t most_left_out = 0;
  for (const auto& [genre, scenes] : genres) {
    bool kept = false;
    for (const FacetCount& facet : result.genre_facets) {
      kept |= facet.value == genre;
    }
    if (!kept) most_left_out = std::max(most_left_out, scenes);
  }
  EXPECT_LE(most_left_out, result.genre_facets.back().scenes);
}

}  // namespace
}  // namespace reel::search
