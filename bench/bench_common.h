// Pieces shared by the benchmark binaries: the committed query set, the
// corpus (and its scaled copies), order statistics and resident memory.
//
// Query files (bench/queries/*.tsv) hold one query a line as
// "kind<TAB>query"; lines starting with '#' are comments. A query is written
// as complete words: engines that treat an unterminated last word as a
// prefix (Reel's search-as-you-type) get it with a trailing space, see
// ReelQueryText().
#ifndef REEL_BENCH_BENCH_COMMON_H_
#define REEL_BENCH_BENCH_COMMON_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "reel/catalog/v1/catalog.pb.h"

namespace reel::bench {

struct BenchQuery {
  std::string kind;  // rare, common, words, phrase, prefix, typo
  std::string text;  // Reel query syntax, complete words.
};

// Reads a query file (see above). NOT_FOUND, or INVALID_ARGUMENT naming the
// line that has no tab.
absl::StatusOr<std::vector<BenchQuery>> ReadQueryFile(const std::string& path);

// Writes `queries` with `header` (each line prefixed with "# ").
absl::Status WriteQueryFile(const std::string& path,
                            const std::vector<std::string>& header,
                            const std::vector<BenchQuery>& queries);

// The text Reel is sent: with a trailing space, so the last word is a whole
// word and not a search-as-you-type prefix.
std::string ReelQueryText(const BenchQuery& query);

// Whether overlap is meaningful for the kind: misspellings are not compared
// (only Reel corrects them).
inline bool IsFuzzyKind(const std::string& kind) { return kind == "typo"; }

// Loads the films of a corpus file with their names set (films/{id}).
// scale > 1 appends scale - 1 copies made by ScaledCopy. Exits on error.
std::vector<reel::catalog::v1::Film> LoadFilms(const std::string& path,
                                               int scale = 1);

// Copy `copy` (>= 1) of `film`: id "{id}~{copy}", and its scenes lightly
// shuffled by a rule seeded from the id and copy number: walking the
// scenes in order, each adjacent pair is swapped with probability 1/4
// (scene ids move with their scenes). Deterministic on every platform.
reel::catalog::v1::Film ScaledCopy(const reel::catalog::v1::Film& film,
                                   const std::string& film_id, int copy);

// The film id of a name "films/{id}".
std::string FilmIdOf(const std::string& name);

// Order statistics of a sample. Percentile uses the nearest-rank rule on a
// sorted copy; 0 for an empty sample.
double Percentile(std::vector<double> values, double p);
struct Spread {
  double median = 0;
  double min = 0;
  double max = 0;
};
Spread SpreadOf(std::vector<double> values);

// Resident set size of this process, in bytes (/proc/self/statm).
int64_t ResidentBytes();
// Peak resident set size so far, in bytes (VmHWM in /proc/self/status).
int64_t PeakResidentBytes();
// Bytes malloc has handed out and not had back (mallinfo2: the main
// arena's chunks in use plus the blocks it mapped on its own, which large
// allocations get; which ones do depends on the process's history).
int64_t HeapInUseBytes();

// Bytes of every regular file under `path` (a file or a directory tree).
int64_t DiskBytes(const std::string& path);

// The corpus path by default: $REEL_SHARED_DIR/corpus/films-dev.jsonl.gz,
// else the build-time default.
std::string DefaultCorpusPath();

}  // namespace reel::bench

#endif  // REEL_BENCH_BENCH_COMMON_H_
