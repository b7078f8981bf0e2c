#include "search-service/index/film_record.h"

#include <lz4.h>

#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace reel::search {
namespace {

using ::reel::catalog::v1::Film;

}  // namespace

std::shared_ptr<const FilmRecord> FilmRecord::FromFilm(const Film& film) {
  auto record = std::make_shared<FilmRecord>();
  record->name_ = film.name();
  record->title_ = film.title();
  record->year_ = film.year();
  record->genres_.assign(film.genres().begin(), film.genres().end());
  record->directors_.assign(film.directors().begin(), film.directors().end());
  record->scene_id_ends_.reserve(film.scenes_size());
  std::string texts;
  {
    // Each text as a length-delimited field body: a varint length, then
    // its bytes.
    google::protobuf::io::StringOutputStream stream(&texts);
    google::protobuf::io::CodedOutputStream out(&stream);
    auto append = [&out](const std::string& text) {
      out.WriteVarint32(static_cast<uint32_t>(text.size()));
      out.WriteString(text);
    };
    append(film.synopsis());
    record->synopsis_end_ = static_cast<uint32_t>(out.ByteCount());
    record->scene_text_ends_.reserve(film.scenes_size());
    for (const auto& scene : film.scenes()) {
      record->scene_ids_.append(scene.scene_id());
      record->scene_id_ends_.push_back(
          static_cast<uint32_t>(record->scene_ids_.size()));
      append(scene.title());
      append(scene.description());
      append(scene.context());
      record->scene_text_ends_.push_back(
          static_cast<uint32_t>(out.ByteCount()));
    }
  }  // The streams trim `texts` to what was written.
  record->scene_ids_.shrink_to_fit();
  // Films reach the index through the catalog, whose request limits keep a
  // film far below LZ4's 2 GiB block limit.
  std::string& compressed = record->compressed_;
  compressed.resize(LZ4_compressBound(static_cast<int>(texts.size())));
  const int written = LZ4_compress_default(texts.data(), compressed.data(),
                                           static_cast<int>(texts.size()),
                                           static_cast<int>(compressed.size()));
  compressed.resize(written > 0 ? written : 0);
  compressed.shrink_to_fit();
  return record;
}

absl::StatusOr<std::shared_ptr<const FilmTexts>> FilmRecord::LoadTexts(
    int scenes) const {
  if (scenes < 0 || scenes > scene_count()) scenes = scene_count();
  const uint32_t size =
      scenes == 0 ? synopsis_end_ : scene_text_ends_[scenes - 1];
  auto texts = std::make_shared<FilmTexts>();
  texts->buffer_.resize(size);
  const int read = LZ4_decompress_safe_partial(
      compressed_.data(), texts->buffer_.data(),
      static_cast<int>(compressed_.size()), static_cast<int>(size),
      static_cast<int>(size));
  if (read != static_cast<int>(size)) {
    return absl::InternalError(
        absl::StrCat("the stored texts of ", name_, " do not decompress"));
  }
  const absl::string_view buffer = texts->buffer_;
  google::protobuf::io::CodedInputStream in(
      reinterpret_cast<const uint8_t*>(buffer.data()),
      static_cast<int>(buffer.size()));
  texts->texts_.resize(1 + 3 * scenes);
  for (absl::string_view& text : texts->texts_) {
    uint32_t length = 0;
    if (!in.ReadVarint32(&length) || !in.Skip(static_cast<int>(length))) {
      return absl::InternalError(
          absl::StrCat("the stored texts of ", name_, " are cut short"));
    }
    text = buffer.substr(in.CurrentPosition() - length, length);
  }
  return texts;
}

absl::StatusOr<Film> FilmRecord::ToFilm() const {
  absl::StatusOr<std::shared_ptr<const FilmTexts>> texts = LoadTexts();
  if (!texts.ok()) return texts.status();
  Film film;
  film.set_name(name_);
  film.set_title(title_);
  film.set_year(year_);
  for (const std::string& director : directors_) film.add_directors(director);
  for (const std::string& genre : genres_) film.add_genres(genre);
  film.set_synopsis(std::string((*texts)->synopsis()));
  film.mutable_scenes()->Reserve(scene_count());
  for (int s = 0; s < scene_count(); ++s) {
    auto* scene = film.add_scenes();
    scene->set_scene_id(std::string(scene_id(s)));
    scene->set_title(std::string((*texts)->scene_title(s)));
    scene->set_description(std::string((*texts)->description(s)));
    scene->set_context(std::string((*texts)->context(s)));
  }
  return film;
}

int64_t FilmRecord::memory_bytes() const {
  // Strings past the small-string buffer own a heap block of capacity + 1.
  auto heap = [](const std::string& s) -> int64_t {
    return s.capacity() > 15 ? static_cast<int64_t>(s.capacity()) + 1 : 0;
  };
  int64_t bytes = sizeof(FilmRecord) + heap(name_) + heap(title_) +
                  heap(scene_ids_) + heap(compressed_) +
                  (scene_id_ends_.capacity() + scene_text_ends_.capacity()) *
                      sizeof(uint32_t);
  for (const auto* values : {&genres_, &directors_}) {
    bytes += values->capacity() * sizeof(std::string);
    for (const std::string& value : *values) bytes += heap(value);
  }
  return bytes;
}

}  // namespace reel::search
