#include "search-service/index/positions.h"

#include <cstring>

namespace reel::search {
namespace {

size_t VarintSize(uint32_t value) {
  return 1 + (value >= (1u << 7)) + (value >= (1u << 14)) +
         (value >= (1u << 21)) + (value >= (1u << 28));
}

// Writes `value` at *p and advances it.
void PutVarint(uint32_t value, uint8_t** p) {
  while (value >= 0x80) {
    *(*p)++ = static_cast<uint8_t>(value | 0x80);
    value >>= 7;
  }
  *(*p)++ = static_cast<uint8_t>(value);
}

uint32_t ReadVarint(const uint8_t* data, size_t* at) {
  uint32_t value = 0;
  for (int shift = 0;; shift += 7) {
    const uint8_t byte = data[(*at)++];
    value |= static_cast<uint32_t>(byte & 0x7F) << shift;
    if (byte < 0x80) return value;
  }
}

// How many positions field f holds, reading the stored count if the
// frequency saturated.
uint32_t FieldCount(const uint8_t* data, size_t* at, uint8_t tf) {
  return tf == kSaturatedTf ? ReadVarint(data, at) : tf;
}

}  // namespace

void AppendPositions(absl::Span<const uint32_t> occurrences,
                     const uint8_t* field_tf, PositionBytes* out) {
  const uint32_t* const values = occurrences.data();
  const size_t n = occurrences.size();
  // Most postings are one occurrence early in its field: a length byte and
  // one or two position bytes.
  if (n == 1 && OccurrencePosition(values[0]) < (1u << 14)) {
    const uint32_t position = OccurrencePosition(values[0]);
    if (position < 0x80) {
      out->push_back(1);
      out->push_back(static_cast<uint8_t>(position));
    } else {
      out->push_back(2);
      out->push_back(static_cast<uint8_t>(position | 0x80));
      out->push_back(static_cast<uint8_t>(position >> 7));
    }
    return;
  }
  // The body (per field, a saturated count, then the first position and
  // the gaps) is written in place behind room for its length, in a worst
  // case of 5 bytes a value (at most one count per occurrence), then moved
  // up to the length and trimmed; a body under 128 bytes, nearly every
  // one, has a one-byte length and moves nowhere.
  constexpr size_t kLengthRoom = 5;
  const size_t at = out->size();
  out->resize(at + kLengthRoom + 2 * 5 * n);
  uint8_t* const begin = out->data() + at + 1;
  uint8_t* p = begin;
  uint32_t field = ~0u;
  uint32_t previous = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t position = OccurrencePosition(values[i]);
    if (OccurrenceField(values[i]) != field) {
      field = OccurrenceField(values[i]);
      if (field_tf[field] == kSaturatedTf) {
        size_t end = i;
        while (end < n && OccurrenceField(values[end]) == field) ++end;
        PutVarint(static_cast<uint32_t>(end - i), &p);
      }
      PutVarint(position, &p);
    } else {
      PutVarint(position - previous, &p);
    }
    previous = position;
  }
  const uint32_t body = static_cast<uint32_t>(p - begin);
  const size_t length_size = VarintSize(body);
  if (length_size > 1) {
    std::memmove(begin + length_size - 1, begin, body);
  }
  uint8_t* length = out->data() + at;
  PutVarint(body, &length);
  out->resize(at + length_size + body);
}

size_t SkipPositions(const uint8_t* data, size_t at) {
  const uint32_t length = ReadVarint(data, &at);
  return at + length;
}

size_t DecodePositions(const uint8_t* data, size_t at, const uint8_t* field_tf,
                       int field_count, uint32_t fields,
                       std::vector<uint32_t>* out) {
  const uint32_t length = ReadVarint(data, &at);
  const size_t end = at + length;
  for (int f = 0; f < field_count && (fields >> f) != 0; ++f) {
    if (field_tf[f] == 0) continue;
    const uint32_t n = FieldCount(data, &at, field_tf[f]);
    if ((fields & (1u << f)) == 0) {
      // Not wanted: step over its varints, each ending at a byte < 0x80.
      for (uint32_t i = 0; i < n; ++i) {
        while (data[at] >= 0x80) ++at;
        ++at;
      }
      continue;
    }
    uint32_t position = 0;
    for (uint32_t i = 0; i < n; ++i) {
      position =
          i == 0 ? ReadVarint(data, &at) : position + ReadVarint(data, &at);
      out->push_back(Occurrence(static_cast<uint32_t>(f), position));
    }
  }
  return end;
}

}  // namespace reel::search
