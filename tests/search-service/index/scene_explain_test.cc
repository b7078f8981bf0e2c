// Why hits rank where they do: sort keys in rank order, and explanations
// whose terms add up to the score, with the form and field of each match;
// on The Red Shoes page with the small corpus, and on hand-made films.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "search-service/index/scene_index.h"
#include "search-service/query/query.h"
#include "tests/testing/corpus.h"

namespace reel::search {
namespace {

using ::reel::catalog::v1::Film;

// One line per term contribution, for failure messages.
std::string Describe(const SceneHit& hit) {
  std::string out = absl::StrCat(hit.film_name(), "#", hit.scene_id(),
                                 " matched=", hit.matched_clauses,
                                 " score=", hit.score, "\n");
  if (hit.explanation == nullptr) return out + "  (no explanation)\n";
  for (const TermExplanation& t : hit.explanation->terms) {
    absl::StrAppend(&out, "  clause ", t.clause_index, ".", t.term_index, " ",
                    t.query_term, " -> ", t.matched_term, " field ",
                    static_cast<int>(t.field), " form ",
                    static_cast<int>(t.form), " d ", t.typo_distance, " tf ",
                    t.term_frequency, " w ", t.field_weight, " fw ",
                    t.form_weight, " idf ", t.idf, " +", t.contribution, "\n");
  }
  for (const ClauseExplanation& c : hit.explanation->clauses) {
    absl::StrAppend(&out, "  clause ", c.clause_index, " counted ",
                    static_cast<int>(c.counted), " score ", c.score, "\n");
  }
  return out;
}

// Strictly better by the documented order: matched clauses, score, film
// name, scene ordinal.
bool RanksAbove(const SceneSortKey& a, const SceneSortKey& b) {
  return std::make_tuple(-a.matched_clauses, -a.score, a.film,
                         a.scene_ordinal) <
         std::make_tuple(-b.matched_clauses, -b.score, b.film, b.scene_ordinal);
}

Film MakeFilm(const std::string& id, const std::string& title,
              const std::string& synopsis,
              const std::vector<std::pair<std::string, std::string>>& scenes) {
  Film film;
  film.set_name("films/" + id);
  film.set_title(title);
  film.set_synopsis(synopsis);
  for (size_t i = 0; i < scenes.size(); ++i) {
    auto* scene = film.add_scenes();
    scene->set_scene_id(absl::StrCat("s", i + 1));
    scene->set_title(scenes[i].first);
    scene->set_description(scenes[i].second);
  }
  return film;
}

class SceneExplainTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    analyzer_ = text::Analyzer::Create().value().release();
    films_ = new std::vector<Film>(
        testing::LoadSharedFilms("corpus/films-small.jsonl"));
    for (Film& film : testing::LoadSharedFilms("seed/the-red-shoes.txt")) {
      films_->push_back(std::move(film));
    }
  }

  void SetUp() override {
    index_ = std::make_unique<SceneIndex>(
        std::shared_ptr<const text::Analyzer>(analyzer_, [](auto*) {}));
  }
  void LoadCorpus() {
    for (const Film& film : *films_) index_->UpsertFilm(film);
  }

  SearchResult Search(const std::string& query, int max_results = 20,
                      bool explain = true) {
    auto parsed = ParseQuery(query, *analyzer_);
    EXPECT_TRUE(parsed.ok()) << query << ": " << parsed.status();
    if (!parsed.ok()) return {};
    SearchOptions options;
    options.max_results = max_results;
    options.explain = explain;
    return index_->Search(*parsed, options);
  }

  // The terms of `hit` for one query term (by its folded text).
  static std::vector<TermExplanation> TermsFor(const SceneHit& hit,
                                               const std::string& query_term) {
    std::vector<TermExplanation> terms;
    for (const TermExplanation& t : hit.explanation->terms) {
      if (t.query_term == query_term) terms.push_back(t);
    }
    return terms;
  }

  // The folded words of one field of a hit.
  std::vector<std::string> Words(const SceneHit& hit, Field field) const {
    std::vector<text::Token> tokens;
    analyzer_->Analyze(hit.text(field), &tokens);
    std::vector<std::string> words;
    for (const text::Token& token : tokens) words.push_back(token.term);
    return words;
  }

  static inline const text::Analyzer* analyzer_ = nullptr;
  static inline std::vector<Film>* films_ = nullptr;
  std::unique_ptr<SceneIndex> index_;
};

// Word queries of every kind: plain, several words, stop words, typos,
// prefixes, scopes, exclusions. (A trailing space keeps the last word from
// also matching as a prefix.)
const std::vector<std::string>& WordQueries() {
  static const auto* queries = new std::vector<std::string>{
      "the ",
      "love ",
      "red shoes ",
      "red shoes dance ballet ",
      "the war ",
      "love war murder ",
      "two that was ",
      "the his her with ",
      "dancing ",
      "ballerna ",
      "lermontof ballet ",
      "dan*",
      "vick* shoes ",
      "title:love war ",
      "film:red the dance ",
      "love war -murder ",
      "murder in the dark",
      "in fear ",
      "a ",
  };
  return *queries;
}

TEST_F(SceneExplainTest, SortKeysDescendInRankOrder) {
  LoadCorpus();
  std::vector<std::string> queries = WordQueries();
  queries.push_back("\"red shoes\" ");
  queries.push_back("\"the war\" love ");
  for (const std::string& query : queries) {
    for (bool explain : {false, true}) {
      SCOPED_TRACE(absl::StrCat("query=", query, " explain=", explain));
      const SearchResult result = Search(query, 200, explain);
      ASSERT_FALSE(result.hits.empty());
      for (size_t i = 0; i < result.hits.size(); ++i) {
        const SceneHit& hit = result.hits[i];
        const SceneSortKey key = hit.sort_key();
        EXPECT_EQ(key.matched_clauses, hit.matched_clauses);
        EXPECT_EQ(static_cast<double>(key.score), hit.score);
        EXPECT_EQ(key.film, hit.film_name());
        EXPECT_EQ(key.scene_ordinal, hit.scene_index);
        EXPECT_EQ(hit.explanation != nullptr, explain);
        if (i > 0) {
          EXPECT_TRUE(RanksAbove(result.hits[i - 1].sort_key(), key))
              << "rank " << i << ":\n"
              << Describe(result.hits[i - 1]) << Describe(hit);
        }
      }
    }
  }
}

TEST_F(SceneExplainTest, ExplainingChangesNoHit) {
  LoadCorpus();
  for (const std::string& query : WordQueries()) {
    const SearchResult plain = Search(query, 50, false);
    const SearchResult explained = Search(query, 50, true);
    EXPECT_EQ(plain.total_matches, explained.total_matches) << query;
    ASSERT_EQ(plain.hits.size(), explained.hits.size()) << query;
    for (size_t i = 0; i < plain.hits.size(); ++i) {
      EXPECT_EQ(plain.hits[i].film_name(), explained.hits[i].film_name());
      EXPECT_EQ(plain.hits[i].scene_index, explained.hits[i].scene_index);
      EXPECT_EQ(plain.hits[i].score, explained.hits[i].score);
    }
  }
}

// The explanation accounts for the whole score and the whole count: its
// terms' contributions add up to the score (the ranking sums floats, hence
// the tolerance), clause by clause, and the clauses it marks counted are
// matched_clauses.
TEST_F(SceneExplainTest, ContributionsAddUpToTheScore) {
  LoadCorpus();
  std::vector<std::string> queries = WordQueries();
  // Phrases too.
  queries.push_back("\"red shoes\" ");
  queries.push_back("\"the war\" love ");
  queries.push_back("\"in the\" ");
  for (const std::string& query : queries) {
    SCOPED_TRACE(query);
    const SearchResult result = Search(query, 100);
    ASSERT_FALSE(result.hits.empty());
    const ParsedQuery parsed = *ParseQuery(query, *analyzer_);
    for (const SceneHit& hit : result.hits) {
      ASSERT_TRUE(hit.explanation != nullptr);
      const HitExplanation& explanation = *hit.explanation;
      ASSERT_EQ(explanation.clauses.size(), parsed.clauses.size());
      double total = 0;
      std::vector<double> per_clause(parsed.clauses.size(), 0);
      for (const TermExplanation& term : explanation.terms) {
        ASSERT_GE(term.clause_index, 0);
        ASSERT_LT(term.clause_index, static_cast<int>(parsed.clauses.size()));
        EXPECT_TRUE(explanation.clauses[term.clause_index].counted);
        EXPECT_GT(term.term_frequency, 0);
        EXPECT_GT(term.idf, 0);
        EXPECT_GE(term.contribution, 0);
        total += term.contribution;
        per_clause[term.clause_index] += term.contribution;
      }
      EXPECT_NEAR(total, hit.score, 1e-5 * std::max(1.0, hit.score))
          << Describe(hit);
      int counted = 0;
      for (size_t c = 0; c < parsed.clauses.size(); ++c) {
        const ClauseExplanation& clause = explanation.clauses[c];
        EXPECT_EQ(clause.clause_index, static_cast<int>(c));
        EXPECT_NEAR(clause.score, per_clause[c], 1e-9);
        if (parsed.clauses[c].excluded) {
          EXPECT_FALSE(clause.counted);
        }
        if (clause.counted) {
          ++counted;
        } else {
          EXPECT_EQ(clause.score, 0);
        }
      }
      EXPECT_EQ(counted, hit.matched_clauses) << Describe(hit);
    }
  }
}

// Other orders, pages and caps change which hits come back, not their
// explanations.
TEST_F(SceneExplainTest, EveryOrderIsExplained) {
  LoadCorpus();
  auto parsed = ParseQuery("red shoes dance ", *analyzer_);
  ASSERT_TRUE(parsed.ok());
  for (SortOrder sort : {SortOrder::kRelevance, SortOrder::kYearAscending,
                         SortOrder::kYearDescending, SortOrder::kTitle}) {
    SearchOptions options;
    options.max_results = 40;
    options.explain = true;
    options.sort = sort;
    options.max_scenes_per_film = 2;
    const SearchResult result = index_->Search(*parsed, options);
    ASSERT_FALSE(result.hits.empty());
    for (const SceneHit& hit : result.hits) {
      ASSERT_TRUE(hit.explanation != nullptr);
      double total = 0;
      for (const TermExplanation& term : hit.explanation->terms) {
        total += term.contribution;
      }
      EXPECT_NEAR(total, hit.score, 1e-5 * std::max(1.0, hit.score))
          << static_cast<int>(sort) << "\n"
          << Describe(hit);
    }
  }
}

// OR clauses (worth their best alternative) and sloppy phrases add up too.
TEST_F(SceneExplainTest, OrAndSloppyPhrasesAddUp) {
  LoadCorpus();
  for (const std::string query :
       {"\"shoes red\"~2 ", "\"red dance\"~4 ballet ", "ballet OR opera shoes ",
        "\"red shoes\" OR lermontov dance ", "film:red OR title:war the "}) {
    SCOPED_TRACE(query);
    auto parsed =
        ParseQuery(query, *analyzer_, ParseOptions{.allow_or_and_slop = true});
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    SearchOptions options;
    options.max_results = 100;
    options.explain = true;
    const SearchResult result = index_->Search(*parsed, options);
    ASSERT_FALSE(result.hits.empty());
    for (const SceneHit& hit : result.hits) {
      double total = 0;
      for (const TermExplanation& term : hit.explanation->terms) {
        total += term.contribution;
      }
      EXPECT_NEAR(total, hit.score, 1e-5 * std::max(1.0, hit.score))
          << Describe(hit);
      int counted = 0;
      for (const ClauseExplanation& clause : hit.explanation->clauses) {
        counted += clause.counted;
      }
      EXPECT_EQ(counted, hit.matched_clauses) << Describe(hit);
      // Terms name the alternative they come from, and only OR clauses have
      // alternatives.
      for (const TermExplanation& term : hit.explanation->terms) {
        const Clause& clause = parsed->clauses[term.clause_index];
        if (clause.alternatives.empty()) {
          EXPECT_EQ(term.alternative_index, -1);
          EXPECT_EQ(clause.terms[term.term_index].folded, term.query_term);
        } else {
          ASSERT_GE(term.alternative_index, 0);
          EXPECT_EQ(clause.alternatives[term.alternative_index]
                        .terms[term.term_index]
                        .folded,
                    term.query_term);
        }
      }
    }
  }
}

// Every term names a word its field holds; the forms say how it got there.
TEST_F(SceneExplainTest, MatchedWordsAreInTheirFields) {
  LoadCorpus();
  std::set<MatchForm> forms;
  for (const std::string& query : WordQueries()) {
    SCOPED_TRACE(query);
    for (const SceneHit& hit : Search(query, 30).hits) {
      for (const TermExplanation& term : hit.explanation->terms) {
        forms.insert(term.form);
        EXPECT_THAT(Words(hit, term.field),
                    ::testing::Contains(term.matched_term))
            << Describe(hit);
        switch (term.form) {
          case MatchForm::kExact:
            EXPECT_EQ(term.matched_term, term.query_term);
            EXPECT_EQ(term.form_weight, 1.0);
            break;
          case MatchForm::kStem:
            EXPECT_NE(term.matched_term, term.query_term);
            EXPECT_EQ(analyzer_->Stem(term.matched_term),
                      analyzer_->Stem(term.query_term));
            EXPECT_THAT(Words(hit, term.field),
                        ::testing::Not(::testing::Contains(term.query_term)));
            break;
          case MatchForm::kTypo:
            EXPECT_GT(term.typo_distance, 0);
            EXPECT_NEAR(
                term.form_weight,
                std::pow(RankingOptions().typo_penalty, term.typo_distance),
                1e-12);
            break;
          case MatchForm::kPrefix:
            EXPECT_EQ(term.matched_term.rfind(term.query_term, 0), 0u)
                << term.matched_term;
            EXPECT_EQ(term.form_weight, RankingOptions().prefix_penalty);
            break;
          case MatchForm::kPhrase:
            ADD_FAILURE() << "a phrase form in a word query";
            break;
        }
        if (term.form != MatchForm::kTypo) {
          EXPECT_EQ(term.typo_distance, 0);
        }
      }
    }
  }
  // "ballerna", "dan*" and "dancing" bring each form.
  EXPECT_THAT(forms,
              ::testing::ElementsAre(MatchForm::kExact, MatchForm::kStem,
                                     MatchForm::kTypo, MatchForm::kPrefix));
}

// Each form on hand-made films, with the field, frequency and weights.
TEST_F(SceneExplainTest, EachFormWithItsFieldAndFrequency) {
  index_->UpsertFilm(MakeFilm(
      "ballet", "Swan Lake", "A ballerina dances the swan.",
      {{"Rehearsal", "She dances and dances until dawn."},
       {"Opening Night", "The company is dancing; the swan takes flight."},
       {"Vicky Arrives", "Vicky joins the company."}}));
  index_->UpsertFilm(
      MakeFilm("other", "Other Film", "Nothing to see.",
               {{"Street", "A car passes."}, {"Home", "A door shuts."}}));
  const RankingOptions defaults;

  // "dancing": exactly in one scene, by its stem ("dances") in the other.
  SearchResult result = Search("dancing ");
  ASSERT_EQ(result.hits.size(), 3u);
  for (const SceneHit& hit : result.hits) {
    SCOPED_TRACE(Describe(hit));
    const std::vector<TermExplanation> terms = TermsFor(hit, "dancing");
    if (hit.scene_id() == "s2") {
      // Description ("dancing") and synopsis ("dances").
      ASSERT_EQ(terms.size(), 2u);
      EXPECT_EQ(terms[0].field, kDescription);
      EXPECT_EQ(terms[0].form, MatchForm::kExact);
      EXPECT_EQ(terms[0].matched_term, "dancing");
      EXPECT_EQ(terms[0].term_frequency, 1);
      EXPECT_EQ(terms[0].field_weight, defaults.field_weights[kDescription]);
      EXPECT_EQ(terms[1].field, kSynopsis);
      EXPECT_EQ(terms[1].form, MatchForm::kStem);
      EXPECT_EQ(terms[1].matched_term, "dances");
      EXPECT_EQ(terms[1].field_weight, defaults.field_weights[kSynopsis]);
    } else if (hit.scene_id() == "s1") {
      ASSERT_EQ(terms.size(), 2u);
      EXPECT_EQ(terms[0].field, kDescription);
      EXPECT_EQ(terms[0].form, MatchForm::kStem);
      EXPECT_EQ(terms[0].matched_term, "dances");
      EXPECT_EQ(terms[0].term_frequency, 2);
    } else {
      // Only the film's synopsis.
      ASSERT_EQ(terms.size(), 1u);
      EXPECT_EQ(terms[0].field, kSynopsis);
    }
    double sum = 0;
    for (const TermExplanation& term : terms) {
      EXPECT_EQ(term.form_weight, 1.0);
      EXPECT_EQ(term.idf, terms[0].idf);  // One stem.
      sum += term.contribution;
    }
    EXPECT_NEAR(sum, hit.score, 1e-5 * hit.score);
  }

  // A typo: "ballerna" is not indexed; "ballerina" is one edit away.
  result = Search("ballerna ");
  ASSERT_EQ(result.hits.size(), 3u);
  for (const SceneHit& hit : result.hits) {
    const std::vector<TermExplanation> terms = TermsFor(hit, "ballerna");
    ASSERT_EQ(terms.size(), 1u) << Describe(hit);
    EXPECT_EQ(terms[0].form, MatchForm::kTypo);
    EXPECT_EQ(terms[0].typo_distance, 1);
    EXPECT_EQ(terms[0].matched_term, "ballerina");
    EXPECT_EQ(terms[0].field, kSynopsis);
    EXPECT_DOUBLE_EQ(terms[0].form_weight, defaults.typo_penalty);
    EXPECT_NEAR(terms[0].contribution, hit.score, 1e-5 * hit.score);
  }

  // A prefix: "vick*" covers "vicky", whose stem ("vicki") is not the
  // prefix's own; "swa*" also the title word "swan".
  result = Search("vick*");
  ASSERT_EQ(result.hits.size(), 1u);
  std::vector<TermExplanation> terms = TermsFor(result.hits[0], "vick");
  ASSERT_EQ(terms.size(), 2u) << Describe(result.hits[0]);
  EXPECT_EQ(terms[0].field, kSceneTitle);
  EXPECT_EQ(terms[1].field, kDescription);
  for (const TermExplanation& term : terms) {
    EXPECT_EQ(term.form, MatchForm::kPrefix);
    EXPECT_EQ(term.matched_term, "vicky");
    EXPECT_EQ(term.form_weight, defaults.prefix_penalty);
    EXPECT_EQ(term.term_frequency, 1);
  }
  // Scene title weighs 3, description 1, same length norm or not: the title
  // takes the larger share.
  EXPECT_GT(terms[0].contribution, terms[1].contribution);

  // A phrase: both words, in the field where they line up.
  result = Search("\"the swan\" ");
  ASSERT_FALSE(result.hits.empty());
  for (const SceneHit& hit : result.hits) {
    SCOPED_TRACE(Describe(hit));
    double sum = 0;
    for (const TermExplanation& term : hit.explanation->terms) {
      EXPECT_EQ(term.form, MatchForm::kPhrase);
      EXPECT_EQ(term.matched_term, term.term_index == 0 ? "the" : "swan");
      sum += term.contribution;
    }
    EXPECT_EQ(hit.explanation->terms.size() % 2, 0u);
    EXPECT_NEAR(sum, hit.score, 1e-5 * hit.score);
  }

  // Several clauses: each says whether it counted.
  result = Search("vicky dancing zzqxw ");
  ASSERT_FALSE(result.hits.empty());
  const SceneHit& top = result.hits[0];
  EXPECT_EQ(top.scene_id(), "s3");  // Vicky, and the synopsis' "dances".
  ASSERT_EQ(top.explanation->clauses.size(), 3u);
  EXPECT_TRUE(top.explanation->clauses[0].counted);
  EXPECT_TRUE(top.explanation->clauses[1].counted);
  EXPECT_FALSE(top.explanation->clauses[2].counted);
  EXPECT_EQ(top.matched_clauses, 2);
}

// A scope limits the explained fields to those searched, and a field
// weighted 0 is not among them.
TEST_F(SceneExplainTest, ScopesAndWeightsLimitTheFields) {
  index_->UpsertFilm(MakeFilm("swan", "Swan Lake", "A swan on the lake.",
                              {{"Swan Song", "The swan sings."}}));
  SearchResult result = Search("title:swan ");
  ASSERT_EQ(result.hits.size(), 1u);
  ASSERT_EQ(result.hits[0].explanation->terms.size(), 1u);
  EXPECT_EQ(result.hits[0].explanation->terms[0].field, kSceneTitle);

  auto parsed = ParseQuery("swan ", *analyzer_);
  ASSERT_TRUE(parsed.ok());
  SearchOptions options;
  options.explain = true;
  options.ranking.field_weights[kSynopsis] = 0;
  result = index_->Search(*parsed, options);
  ASSERT_EQ(result.hits.size(), 1u);
  std::vector<Field> fields;
  double sum = 0;
  for (const TermExplanation& term : result.hits[0].explanation->terms) {
    fields.push_back(term.field);
    sum += term.contribution;
  }
  EXPECT_THAT(fields,
              ::testing::ElementsAre(kSceneTitle, kDescription, kFilmTitle));
  EXPECT_NEAR(sum, result.hits[0].score, 1e-5 * result.hits[0].score);
}

}  // namespace
}  // namespace reel::search
