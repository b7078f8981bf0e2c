#include "search-service/index/field_tf.h"

namespace reel::search {

uint8_t EncodeFieldTf(const uint8_t* tf) {
  using field_tf_internal::kMaxPair;
  using field_tf_internal::kMaxSingle;
  int fields[kFieldCount];
  int count = 0;
  for (int f = 0; f < kFieldCount; ++f) {
    if (tf[f] != 0) fields[count++] = f;
  }
  // The codes of each shape follow MakeTable's loops.
  constexpr int kPairsStart = kFieldCount * kMaxSingle;
  constexpr int kPairCodes = kMaxPair * kMaxPair;
  constexpr int kTriplesStart =
      kPairsStart + kFieldCount * (kFieldCount - 1) / 2 * kPairCodes;
  auto pair_index = [](int f, int g) {  // Pairs in (f, g) order, f < g.
    return f * (2 * kFieldCount - f - 1) / 2 + (g - f - 1);
  };
  if (count == 1) {
    const int f = fields[0];
    if (tf[f] > kMaxSingle) return kTfEscape;
    return static_cast<uint8_t>(f * kMaxSingle + tf[f] - 1);
  }
  if (count == 2) {
    const int f = fields[0], g = fields[1];
    if (tf[f] > kMaxPair || tf[g] > kMaxPair) return kTfEscape;
    return static_cast<uint8_t>(kPairsStart + pair_index(f, g) * kPairCodes +
                                (tf[f] - 1) * kMaxPair + (tf[g] - 1));
  }
  if (count == 3) {
    const int f = fields[0], g = fields[1], h = fields[2];
    if (tf[f] != 1 || tf[g] != 1 || tf[h] != 1) return kTfEscape;
    int index = 0;  // Triples in (f, g, h) order, as MakeTable counts them.
    for (int a = 0; a < kFieldCount; ++a) {
      for (int b = a + 1; b < kFieldCount; ++b) {
        for (int c = b + 1; c < kFieldCount; ++c, ++index) {
          if (a == f && b == g && c == h) {
            return static_cast<uint8_t>(kTriplesStart + index);
          }
        }
      }
    }
  }
  return kTfEscape;
}

}  // namespace reel::search
