#include "bench/bench_common.h"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "catalog-service/importer/film_file_reader.h"
#include "catalog-service/model/film_name.h"

namespace reel::bench {

using ::reel::catalog::v1::Film;

absl::StatusOr<std::vector<BenchQuery>> ReadQueryFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::vector<BenchQuery> queries;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty() || line[0] == '#') continue;
    const size_t tab = line.find('\t');
    if (tab == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", number, ": no tab between kind and query"));
    }
    queries.push_back({line.substr(0, tab), line.substr(tab + 1)});
  }
  return queries;
}

absl::Status WriteQueryFile(const std::string& path,
                            const std::vector<std::string>& header,
                            const std::vector<BenchQuery>& queries) {
  std::ofstream out(path);
  if (!out) return absl::NotFoundError(absl::StrCat(path, ": cannot create"));
  for (const std::string& line : header) out << "# " << line << "\n";
  for (const BenchQuery& query : queries) {
    out << query.kind << "\t" << absl::StripTrailingAsciiWhitespace(query.text)
        << "\n";
  }
  out.close();
  if (!out) return absl::DataLossError(absl::StrCat(path, ": write failed"));
  return absl::OkStatus();
}

std::string ReelQueryText(const BenchQuery& query) {
  return absl::StrCat(query.text, " ");
}

std::string FilmIdOf(const std::string& name) {
  return std::string(absl::StripPrefix(name, "films/"));
}

namespace {

// FNV-1a, 64 bits: a seed that is the same on every platform.
uint64_t Fnv1a(const std::string& bytes) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

}  // namespace

Film ScaledCopy(const Film& film, const std::string& film_id, int copy) {
  Film out = film;
  const std::string id = absl::StrCat(film_id, "~", copy);
  out.set_name(catalog::FilmName(id));
  // std::mt19937's output sequence is fixed by the standard (unlike the
  // distributions), so the shuffle is the same everywhere.
  std::mt19937 random(static_cast<uint32_t>(Fnv1a(id)));
  auto* scenes = out.mutable_scenes();
  for (int i = 0; i + 1 < scenes->size(); ++i) {
    if (random() % 4 == 0) scenes->SwapElements(i, i + 1);
  }
  return out;
}

std::vector<Film> LoadFilms(const std::string& path, int scale) {
  auto reader = catalog::FilmFileReader::Open(path);
  if (!reader.ok()) {
    std::fprintf(stderr, "%s\n", reader.status().ToString().c_str());
    std::exit(1);
  }
  std::vector<Film> films;
  std::vector<std::string> ids;
  catalog::ImportedFilm imported;
  while (true) {
    absl::StatusOr<bool> more = (*reader)->Next(&imported);
    if (!more.ok()) {
      std::fprintf(stderr, "%s\n", more.status().ToString().c_str());
      std::exit(1);
    }
    if (!*more) break;
    if (!imported.status.ok()) continue;
    imported.film.set_name(catalog::FilmName(imported.film_id));
    ids.push_back(imported.film_id);
    films.push_back(std::move(imported.film));
  }
  const size_t originals = films.size();
  films.reserve(originals * std::max(1, scale));
  for (int copy = 1; copy < scale; ++copy) {
    for (size_t i = 0; i < originals; ++i) {
      films.push_back(ScaledCopy(films[i], ids[i], copy));
    }
  }
  return films;
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t rank = static_cast<size_t>(p * values.size());
  return values[std::min(values.size() - 1, rank)];
}

Spread SpreadOf(std::vector<double> values) {
  Spread spread;
  if (values.empty()) return spread;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  spread.median =
      n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  spread.min = values.front();
  spread.max = values.back();
  return spread;
}

int64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

int64_t PeakResidentBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (absl::StartsWith(line, "VmHWM:")) {
      return std::atoll(line.c_str() + 6) * 1024;
    }
  }
  return 0;
}

int64_t HeapInUseBytes() {
  const struct mallinfo2 info = mallinfo2();
  return static_cast<int64_t>(info.uordblks + info.hblkhd);
}

int64_t DiskBytes(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (fs::is_regular_file(path, error)) {
    return static_cast<int64_t>(fs::file_size(path, error));
  }
  int64_t total = 0;
  for (auto it = fs::recursive_directory_iterator(path, error);
       !error && it != fs::recursive_directory_iterator();
       it.increment(error)) {
    if (it->is_regular_file(error)) {
      total += static_cast<int64_t>(it->file_size(error));
    }
  }
  return total;
}

std::string DefaultCorpusPath() {
  const char* dir = std::getenv("REEL_SHARED_DIR");
  return absl::StrCat(
      dir != nullptr && *dir != '\0' ? dir : REEL_DEFAULT_SHARED_DIR,
      "/corpus/films-dev.jsonl.gz");
}

}  // namespace reel::bench
