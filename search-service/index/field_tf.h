// Per-field term frequencies of one posting, in one byte.
//
// A posting counts its term in each of the kFieldCount fields (saturating
// at 255). Nearly every posting has its term in one field, or a few times
// in two: those shapes get a code each, and the posting stores that byte
// instead of five. Any other shape is escaped (kTfEscape) and its five
// counts are kept beside the codes, in posting order.
//
// Codes, for fields f < g: one field f with count t in [1, 30]; two fields
// with counts in [1, 3] each; three fields once each.
#ifndef REEL_SEARCH_SERVICE_INDEX_FIELD_TF_H_
#define REEL_SEARCH_SERVICE_INDEX_FIELD_TF_H_

#include <array>
#include <cstdint>

#include "search-service/query/query.h"

namespace reel::search {

// The counts of one posting, field by field (padded to 8 bytes).
using FieldTf = std::array<uint8_t, 8>;

inline constexpr uint8_t kTfEscape = 255;

namespace field_tf_internal {

inline constexpr int kMaxSingle = 30;
inline constexpr int kMaxPair = 3;

// Every code's counts; the escape's are all zero.
constexpr std::array<FieldTf, 256> MakeTable() {
  std::array<FieldTf, 256> table{};
  int code = 0;
  for (int f = 0; f < kFieldCount; ++f) {
    for (int t = 1; t <= kMaxSingle; ++t) table[code++][f] = t;
  }
  for (int f = 0; f < kFieldCount; ++f) {
    for (int g = f + 1; g < kFieldCount; ++g) {
      for (int t = 1; t <= kMaxPair; ++t) {
        for (int u = 1; u <= kMaxPair; ++u) {
          table[code][f] = t;
          table[code++][g] = u;
        }
      }
    }
  }
  for (int f = 0; f < kFieldCount; ++f) {
    for (int g = f + 1; g < kFieldCount; ++g) {
      for (int h = g + 1; h < kFieldCount; ++h) {
        table[code][f] = table[code][g] = table[code][h] = 1;
        ++code;
      }
    }
  }
  return table;
}

inline constexpr std::array<FieldTf, 256> kTable = MakeTable();

// Bit f set where a code's count for field f is not zero.
constexpr std::array<uint8_t, 256> MakeMasks() {
  std::array<uint8_t, 256> masks{};
  for (int code = 0; code < 256; ++code) {
    for (int f = 0; f < kFieldCount; ++f) {
      if (kTable[code][f] != 0) masks[code] |= 1 << f;
    }
  }
  return masks;
}

inline constexpr std::array<uint8_t, 256> kMasks = MakeMasks();

// Per field mask, the code of its shape with every count 1 (kTfEscape for
// a mask no code covers). A mask's codes follow that one, counts counting
// up field by field, the last field fastest (MakeTable's order).
constexpr std::array<uint8_t, 32> MakeFirstCodes() {
  std::array<uint8_t, 32> first{};
  first.fill(kTfEscape);
  for (int code = 0; code < 250; ++code) {  // One such code per mask.
    bool ones = true;
    for (int f = 0; f < kFieldCount; ++f) ones &= kTable[code][f] <= 1;
    if (ones) first[kMasks[code]] = static_cast<uint8_t>(code);
  }
  return first;
}

inline constexpr std::array<uint8_t, 32> kFirstCodes = MakeFirstCodes();
static_assert(kFieldCount == 5 && kTable[249][2] == 1 && kTable[249][4] == 1,
              "the codes must fit below kTfEscape");

}  // namespace field_tf_internal

// The counts of a code other than kTfEscape.
inline const FieldTf& DecodeFieldTf(uint8_t code) {
  return field_tf_internal::kTable[code];
}

// The fields (bit f: field f) a code other than kTfEscape counts in.
inline uint32_t FieldMaskOf(uint8_t code) {
  return field_tf_internal::kMasks[code];
}

// The code of `tf` (kFieldCount counts), or kTfEscape.
uint8_t EncodeFieldTf(const uint8_t* tf);

}  // namespace reel::search

#endif  // REEL_SEARCH_SERVICE_INDEX_FIELD_TF_H_
