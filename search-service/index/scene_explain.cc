// Explanations of ranked hits (SearchOptions::explain): per query clause,
// which of its terms' expansions the scene holds, in which fields, how
// often, and the share of the score each adds. They are recomputed from the
// postings with the ranking's formula (scene_search.cc), for the returned
// hits only: the ranking itself keeps no per-term record.
#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "search-service/index/positions.h"
#include "search-service/index/scene_index.h"
#include "search-service/index/scene_index_impl.h"
#include "search-service/query/query.h"
#include "search-service/text/analyzer.h"

namespace reel::search {

void SceneIndex::Impl::ExplainHits(const ParsedQuery& query,
                                   const RankingOptions& ranking,
                                   std::vector<SceneHit>* hits) const {
  if (hits->empty()) return;

  // A clause's plain parts: itself, or its alternatives (an OR clause is
  // worth its best alternative, like a word's best expansion), each with
  // its terms' expansions, found once for all hits.
  struct Part {
    const Clause* clause;
    int alternative_index;  // Into clause.alternatives; -1: none.
    // Per term.
    std::vector<std::vector<Expansion>> expansions;
  };
  std::vector<std::vector<Part>> parts(query.clauses.size());
  for (size_t c = 0; c < query.clauses.size(); ++c) {
    const Clause& clause = query.clauses[c];
    if (clause.excluded) continue;  // The hits hold none of it.
    auto add = [&](const Clause& plain, int alternative_index) {
      Part& part = parts[c].emplace_back();
      part.clause = &plain;
      part.alternative_index = alternative_index;
      for (const QueryTerm& term : plain.terms) {
        part.expansions.push_back(Expand(term, ranking));
      }
    };
    if (clause.alternatives.empty()) {
      add(clause, -1);
    } else {
      for (size_t a = 0; a < clause.alternatives.size(); ++a) {
        add(clause.alternatives[a], static_cast<int>(a));
      }
    }
  }

  // BM25F as the ranking computes it (in floats there, in doubles here):
  // pf_f = weight_f * tf_f / (1 - b + b * length_f / average_f), summed
  // over a term's fields, then saturated. A field weighted 0 is not
  // searched.
  uint32_t searched = 0;
  std::array<double, kFieldCount> length_factor;
  for (int f = 0; f < kFieldCount; ++f) {
    if (ranking.field_weights[f] > 0) searched |= 1u << f;
    length_factor[f] = ranking.b / AverageLength(f);
  }
  const double base_norm = 1.0 - ranking.b;
  const double k1 = ranking.k1;
  auto saturate = [k1](double pf) { return pf * (k1 + 1) / (pf + k1); };

  for (SceneHit& hit : *hits) {
    auto film = film_ids_.find(hit.film_name());
    if (film == film_ids_.end() || films_[film->second].film != hit.film) {
      continue;  // Not this index's hit.
    }
    const uint32_t doc_id = films_[film->second].docs[hit.scene_index];
    const Doc& doc = docs_[doc_id];
    auto pseudo_frequency = [&](int f, uint32_t tf) {
      return ranking.field_weights[f] * tf /
             (base_norm + length_factor[f] * doc.length[f]);
    };
    // The posting of `stem` for this scene, or -1.
    auto posting_of = [&](uint32_t stem) -> int64_t {
      const Postings& postings = postings_[stem];
      const size_t i = postings.Find(doc_id);
      return i == postings.size() ? -1 : static_cast<int64_t>(i);
    };
    // The fields' tokens, analysed the first time a match there needs its
    // word.
    std::array<std::optional<std::vector<text::Token>>, kFieldCount> tokens;
    auto tokens_of = [&](int f) -> const std::vector<text::Token>& {
      if (!tokens[f].has_value()) {
        tokens[f].emplace();
        analyzer_->Analyze(hit.text(static_cast<Field>(f)), &*tokens[f]);
      }
      return *tokens[f];
    };
    // The scene's word in field f with the stem (at `position`, if set).
    auto word_of = [&](int f, uint32_t stem,
                       std::optional<uint32_t> position =
                           std::nullopt) -> std::string {
      for (const text::Token& token : tokens_of(f)) {
        if (token.stem == stems_[stem] &&
            (!position.has_value() || token.position == *position)) {
          return token.term;
        }
      }
      return std::string(stems_[stem]);
    };

    // A word: its best expansion in the scene counts (the ranking keeps a
    // clause's best value per scene), over its fields.
    auto explain_word = [&](int clause_index, const Part& part,
                            std::vector<TermExplanation>* out) -> double {
      const QueryTerm& term = part.clause->terms[0];
      const uint32_t fields = part.clause->fields & searched;
      const Expansion* winner = nullptr;
      std::array<double, kFieldCount> winner_pf{};
      std::array<uint32_t, kFieldCount> winner_tf{};
      double best = -1, winner_total = 0;
      for (const Expansion& expansion : part.expansions[0]) {
        const int64_t i = posting_of(expansion.stem);
        if (i < 0) continue;
        const FieldTf field_tf = postings_[expansion.stem].Tf(i);
        std::array<double, kFieldCount> pf{};
        std::array<uint32_t, kFieldCount> tf{};
        double total = 0;
        bool any = false;
        for (int f = 0; f < kFieldCount; ++f) {
          if (!(fields & (1u << f)) || field_tf[f] == 0) continue;
          tf[f] = field_tf[f];
          pf[f] = pseudo_frequency(f, tf[f]);
          total += pf[f];
          any = true;
        }
        if (!any) continue;
        const double value =
            expansion.weight * Idf(expansion.stem) * saturate(total);
        if (value > best) {
          best = value;
          winner = &expansion;
          winner_pf = pf;
          winner_tf = tf;
          winner_total = total;
        }
      }
      if (winner == nullptr) return -1;
      for (int f = 0; f < kFieldCount; ++f) {
        if (winner_tf[f] == 0) continue;
        TermExplanation& e = out->emplace_back();
        e.clause_index = clause_index;
        e.alternative_index = part.alternative_index;
        e.term_index = 0;
        e.query_term = term.folded;
        e.field = static_cast<Field>(f);
        switch (winner->kind) {
          case Expansion::kWord: {
            const std::vector<text::Token>& words = tokens_of(f);
            const bool exact = std::any_of(words.begin(), words.end(),
                                           [&](const text::Token& token) {
                                             return token.term == term.folded;
                                           });
            e.form = exact ? MatchForm::kExact : MatchForm::kStem;
            e.matched_term = exact ? term.folded : word_of(f, winner->stem);
            break;
          }
          case Expansion::kPrefix:
            e.form = MatchForm::kPrefix;
            e.matched_term = word_of(f, winner->stem);
            break;
          case Expansion::kTypo:
            e.form = MatchForm::kTypo;
            e.typo_distance = winner->distance;
            e.matched_term = word_of(f, winner->stem);
            break;
        }
        e.term_frequency = static_cast<int>(winner_tf[f]);
        e.field_weight = ranking.field_weights[f];
        e.form_weight = winner->weight;
        e.idf = Idf(winner->stem);
        e.contribution = best * winner_pf[f] / winner_total;
      }
      return best;
    };

    // A phrase: its terms' occurrences (any expansion) lined up in one
    // field; each lined-up start counts once in that field's frequency,
    // and the value is the sum of the terms' best idfs times the saturated
    // phrase frequency.
    auto explain_phrase = [&](int clause_index, const Part& part,
                              std::vector<TermExplanation>* out) -> double {
      const Clause& clause = *part.clause;
      const uint32_t fields = clause.fields & searched;
      const size_t n = part.expansions.size();
      if (n == 0) return -1;
      std::vector<double> idf(n, 0);
      double idf_sum = 0;
      // Per term, its occurrences in `fields`, with the stem of each.
      std::vector<std::vector<std::pair<uint32_t, uint32_t>>> occurrences(n);
      std::vector<uint32_t> decoded;
      for (size_t k = 0; k < n; ++k) {
        for (const Expansion& expansion : part.expansions[k]) {
          idf[k] = std::max(idf[k], Idf(expansion.stem));
          const int64_t i = posting_of(expansion.stem);
          if (i < 0) continue;
          const Postings& p = postings_[expansion.stem];
          size_t at = p.blocks[i / kBlockSize].position_start;
          for (int64_t skip = i - i % kBlockSize; skip < i; ++skip) {
            at = SkipPositions(p.positions.data(), at);
          }
          decoded.clear();
          DecodePositions(p.positions.data(), at, p.Tf(i).data(), kFieldCount,
                          fields, &decoded);
          for (uint32_t occurrence : decoded) {
            occurrences[k].emplace_back(occurrence, expansion.stem);
          }
        }
        std::sort(occurrences[k].begin(), occurrences[k].end());
        idf_sum += idf[k];
      }
      std::array<uint32_t, kFieldCount> tf{};
      // Per field, the first start counted (its words are reported).
      std::array<std::optional<uint32_t>, kFieldCount> first;
      auto count = [&](uint32_t start) {
        const uint32_t f = OccurrenceField(start);
        ++tf[f];
        if (!first[f].has_value()) first[f] = start;
      };
      // (As in the ranking, a start two expansions share counts twice.)
      if (clause.slop == 0) {
        auto holds = [&](size_t k, uint32_t occurrence) {
          auto it =
              std::lower_bound(occurrences[k].begin(), occurrences[k].end(),
                               std::pair<uint32_t, uint32_t>{occurrence, 0});
          return it != occurrences[k].end() && it->first == occurrence;
        };
        for (const auto& [start, stem] : occurrences[0]) {
          bool lined_up = true;
          for (size_t k = 1; k < n && lined_up; ++k) {
            lined_up = holds(k, start + static_cast<uint32_t>(k));
          }
          if (lined_up) count(start);
        }
      } else {
        // Sloppy (Lucene's distance): term k at position p gives p - k; the
        // phrase occurs where one value per term fits in a window of width
        // <= slop, and each first-term occurrence in such a window counts
        // once. The same sliding window as the ranking's.
        std::vector<std::pair<int64_t, uint32_t>> values;
        for (size_t k = 0; k < n; ++k) {
          for (const auto& [occurrence, stem] : occurrences[k]) {
            values.emplace_back(static_cast<int64_t>(occurrence) - k, k);
          }
        }
        std::sort(values.begin(), values.end());
        std::vector<int> in_window(n, 0);
        size_t covered = 0, left = 0, counted = 0;
        for (size_t right = 0; right < values.size(); ++right) {
          if (in_window[values[right].second]++ == 0) ++covered;
          while (values[right].first - values[left].first > clause.slop) {
            if (--in_window[values[left].second] == 0) --covered;
            ++left;
          }
          if (covered < n) continue;
          for (counted = std::max(counted, left); counted <= right; ++counted) {
            if (values[counted].second == 0) {
              count(static_cast<uint32_t>(values[counted].first));
            }
          }
        }
      }
      std::array<double, kFieldCount> pf{};
      double total = 0;
      bool any = false;
      for (int f = 0; f < kFieldCount; ++f) {
        if (tf[f] == 0) continue;
        pf[f] = pseudo_frequency(f, tf[f]);
        total += pf[f];
        any = true;
      }
      if (!any) return -1;
      const double value = idf_sum * saturate(total);
      for (size_t k = 0; k < n; ++k) {
        for (int f = 0; f < kFieldCount; ++f) {
          if (tf[f] == 0) continue;
          // The word at its place after the first start; in a sloppy
          // phrase, the term's first occurrence in the field.
          auto it = std::lower_bound(
              occurrences[k].begin(), occurrences[k].end(),
              std::pair<uint32_t, uint32_t>{
                  clause.slop == 0 ? *first[f] + static_cast<uint32_t>(k)
                                   : Occurrence(f, 0),
                  0});
          const uint32_t occurrence = it->first;
          const Expansion* expansion = nullptr;
          for (const Expansion& candidate : part.expansions[k]) {
            if (candidate.stem == it->second) expansion = &candidate;
          }
          TermExplanation& e = out->emplace_back();
          e.clause_index = clause_index;
          e.alternative_index = part.alternative_index;
          e.term_index = static_cast<int>(k);
          e.query_term = clause.terms[k].folded;
          e.matched_term =
              word_of(f, it->second, OccurrencePosition(occurrence));
          e.field = static_cast<Field>(f);
          e.form = MatchForm::kPhrase;
          if (expansion != nullptr && expansion->kind == Expansion::kTypo) {
            e.typo_distance = expansion->distance;
          }
          e.term_frequency = static_cast<int>(tf[f]);
          e.field_weight = ranking.field_weights[f];
          e.form_weight = 1;  // Phrases take no penalty.
          e.idf = idf[k];
          e.contribution =
              total > 0 ? value * (idf[k] / idf_sum) * (pf[f] / total) : 0;
        }
      }
      return value;
    };

    HitExplanation explanation;
    for (size_t c = 0; c < query.clauses.size(); ++c) {
      ClauseExplanation& clause = explanation.clauses.emplace_back();
      clause.clause_index = static_cast<int>(c);
      // The best part's terms: an OR clause's alternatives do not add up.
      std::vector<TermExplanation> best_terms, terms;
      double best = -1;
      for (const Part& part : parts[c]) {
        terms.clear();
        const double value =
            part.clause->phrase
                ? explain_phrase(static_cast<int>(c), part, &terms)
                : explain_word(static_cast<int>(c), part, &terms);
        if (value > best) {
          best = value;
          best_terms.swap(terms);
        }
      }
      if (best < 0) continue;
      // Every positive clause a scene holds is one of its matched clauses,
      // stop words included.
      clause.counted = true;
      clause.score = best;
      for (TermExplanation& term : best_terms) {
        explanation.terms.push_back(std::move(term));
      }
    }
    hit.explanation =
        std::make_shared<const HitExplanation>(std::move(explanation));
  }
}

}  // namespace reel::search
