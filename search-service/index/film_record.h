// A film as the index keeps it.
//
// What ranking, filters, facets and result ids read on every query (name,
// title, year, genres, directors, scene ids) is kept as is. The long texts
// only highlights and explanations read (the synopsis; each scene's title,
// description and context) are kept LZ4-compressed, one block per film, and
// decompressed (LoadTexts) for the films a page of results shows: about a
// microsecond per film, for texts that take 1.8x less memory than as
// protobuf messages (10.4 MiB -> 5.7 MiB on films-dev).
//
// Immutable once built: shared between the index and the results that
// point at it, and safe to read from any thread.
#ifndef REEL_SEARCH_SERVICE_INDEX_FILM_RECORD_H_
#define REEL_SEARCH_SERVICE_INDEX_FILM_RECORD_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "reel/catalog/v1/catalog.pb.h"

namespace reel::search {

// A film's decompressed texts, the synopsis and those of its first
// scene_count() scenes: views into one buffer it owns.
class FilmTexts {
 public:
  int scene_count() const { return static_cast<int>(texts_.size() / 3); }
  absl::string_view synopsis() const { return texts_[0]; }
  // `scene` in [0, scene_count()).
  absl::string_view scene_title(int scene) const {
    return texts_[1 + 3 * scene];
  }
  absl::string_view description(int scene) const {
    return texts_[2 + 3 * scene];
  }
  absl::string_view context(int scene) const { return texts_[3 + 3 * scene]; }

 private:
  friend class FilmRecord;
  std::string buffer_;
  std::vector<absl::string_view> texts_;  // Into buffer_.
};

class FilmRecord {
 public:
  // Keeps what the index searches and shows of `film`: not its quotes,
  // soundtrack or cast, which it never reads.
  static std::shared_ptr<const FilmRecord> FromFilm(
      const reel::catalog::v1::Film& film);

  const std::string& name() const { return name_; }
  const std::string& title() const { return title_; }
  int32_t year() const { return year_; }
  const std::vector<std::string>& genres() const { return genres_; }
  const std::vector<std::string>& directors() const { return directors_; }
  int scene_count() const { return static_cast<int>(scene_id_ends_.size()); }
  absl::string_view scene_id(int scene) const {
    const uint32_t begin = scene == 0 ? 0 : scene_id_ends_[scene - 1];
    return absl::string_view(scene_ids_)
        .substr(begin, scene_id_ends_[scene] - begin);
  }

  // Decompresses the synopsis and the texts of the first `scenes` scenes
  // (all when negative): a page's hits need only the scenes up to the
  // last they show, and LZ4 stops there. Fails (INTERNAL) only if the
  // compressed block is not what FromFilm wrote, which would be a defect.
  absl::StatusOr<std::shared_ptr<const FilmTexts>> LoadTexts(
      int scenes = -1) const;
  // The film back as the index received it, less what it does not keep.
  absl::StatusOr<reel::catalog::v1::Film> ToFilm() const;

  // Heap and object bytes this record holds.
  int64_t memory_bytes() const;
  // The texts' size before compression.
  int64_t text_bytes() const {
    return scene_text_ends_.empty() ? synopsis_end_ : scene_text_ends_.back();
  }

 private:
  std::string name_, title_;
  int32_t year_ = 0;
  std::vector<std::string> genres_, directors_;
  // Every scene id, one after another, and where each ends.
  std::string scene_ids_;
  std::vector<uint32_t> scene_id_ends_;
  // LZ4 block of the texts, each as a varint length and its bytes, in
  // FilmTexts order; and where, decompressed, the synopsis and each scene's
  // texts end.
  std::string compressed_;
  uint32_t synopsis_end_ = 0;
  std::vector<uint32_t> scene_text_ends_;
};

}  // namespace reel::search

#endif  // REEL_SEARCH_SERVICE_INDEX_FILM_RECORD_H_
