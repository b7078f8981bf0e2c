// Word positions of one posting, stored compactly.
//
// An occurrence is a field and a word position, packed as (field << 24 |
// position) so that sorting occurrences sorts by field, then position.
// A posting's occurrences are stored field by field, in field order, as
// LEB128 varints: the first position of a field as is, then the gaps to the
// next. How many a field has is its term frequency (field_tf[f], which the
// posting keeps anyway); a frequency saturated at 255 is preceded by the
// exact count. The whole is preceded by its byte length, so a reader skips
// a posting in one step. Most postings take two or three bytes instead of
// 4 per position plus a 4-byte offset.
//
// Postings are read only from a known start: the caller keeps the offset
// of every block's first posting and skips forward from there.
#ifndef REEL_SEARCH_SERVICE_INDEX_POSITIONS_H_
#define REEL_SEARCH_SERVICE_INDEX_POSITIONS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "search-service/index/compact_vector.h"

namespace reel::search {

inline constexpr uint32_t Occurrence(uint32_t field, uint32_t position) {
  return (field << 24) | (position & 0xFFFFFF);
}
inline constexpr uint32_t OccurrenceField(uint32_t occurrence) {
  return occurrence >> 24;
}
inline constexpr uint32_t OccurrencePosition(uint32_t occurrence) {
  return occurrence & 0xFFFFFF;
}

// Leaves new elements uninitialised instead of zeroing them: encoding
// resizes to the worst case, writes, and trims, with no memset between.
// The encoded positions of a list's postings, one after another. Its
// resize() leaves new bytes uninitialised: encoding resizes to the worst
// case, writes, and trims, with no memset between.
using PositionBytes = CompactVector<uint8_t>;

// The term frequency that stands for "255 or more": the exact count is
// stored with the positions.
inline constexpr uint8_t kSaturatedTf = 255;

// Appends one posting: `occurrences` ascending, without duplicates;
// `field_tf` its per-field counts (indexed by the occurrences' fields),
// saturating at 255.
void AppendPositions(absl::Span<const uint32_t> occurrences,
                     const uint8_t* field_tf, PositionBytes* out);

// The offset just past the posting that starts at `at`.
size_t SkipPositions(const uint8_t* data, size_t at);

// Appends the occurrences of the posting at `at` in `fields` (bit f set:
// field f) to *out, ascending; returns the offset just past the posting.
size_t DecodePositions(const uint8_t* data, size_t at, const uint8_t* field_tf,
                       int field_count, uint32_t fields,
                       std::vector<uint32_t>* out);

}  // namespace reel::search

#endif  // REEL_SEARCH_SERVICE_INDEX_POSITIONS_H_
