#include "search-service/index/positions.h"

namespace reel::search {
namespace {

void AppendVarint(uint32_t value, std::vector<uint8_t>* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<uint8_t>(value | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<uint8_t>(value));
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
                     const uint8_t* field_tf, int field_count,
                     std::vector<uint8_t>* out) {
  // The body is written after a one-byte length, which grows in place in
  // the rare case the body takes 128 bytes or more.
  const size_t length_at = out->size();
  out->push_back(0);
  size_t next = 0;
  for (int f = 0; f < field_count; ++f) {
    if (field_tf[f] == 0) continue;
    size_t end = next;
    while (end < occurrences.size() &&
           OccurrenceField(occurrences[end]) == static_cast<uint32_t>(f)) {
      ++end;
    }
    if (field_tf[f] == kSaturatedTf) {
      AppendVarint(static_cast<uint32_t>(end - next), out);
    }
    uint32_t previous = 0;
    for (size_t i = next; i < end; ++i) {
      const uint32_t position = OccurrencePosition(occurrences[i]);
      AppendVarint(i == next ? position : position - previous, out);
      previous = position;
    }
    next = end;
  }
  const size_t body = out->size() - length_at - 1;
  if (body < 0x80) {
    (*out)[length_at] = static_cast<uint8_t>(body);
    return;
  }
  std::vector<uint8_t> length;
  AppendVarint(static_cast<uint32_t>(body), &length);
  (*out)[length_at] = length[0];
  out->insert(out->begin() + length_at + 1, length.begin() + 1, length.end());
}

size_t SkipPositions(const uint8_t* data, size_t at) {
  const uint32_t length = ReadVarint(data, &at);
  return at + length;
}

size_t DecodePositions(const uint8_t* data, size_t at, const uint8_t* field_tf,
                       int field_count, std::vector<uint32_t>* out) {
  ReadVarint(data, &at);  // The length, which only skipping needs.
  for (int f = 0; f < field_count; ++f) {
    if (field_tf[f] == 0) continue;
    uint32_t position = 0;
    const uint32_t n = FieldCount(data, &at, field_tf[f]);
    for (uint32_t i = 0; i < n; ++i) {
      position =
          i == 0 ? ReadVarint(data, &at) : position + ReadVarint(data, &at);
      out->push_back(Occurrence(static_cast<uint32_t>(f), position));
    }
  }
  return at;
}

}  // namespace reel::search
