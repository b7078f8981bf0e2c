#include "search-service/index/field_tf.h"

namespace reel::search {

uint8_t EncodeFieldTf(const uint8_t* tf) {
  using field_tf_internal::kFirstCodes;
  using field_tf_internal::kMaxPair;
  using field_tf_internal::kMaxSingle;
  uint32_t mask = 0;
  int fields[kFieldCount];
  int count = 0;
  for (int f = 0; f < kFieldCount; ++f) {
    if (tf[f] == 0) continue;
    mask |= 1u << f;
    fields[count++] = f;
  }
  const uint8_t first = kFirstCodes[mask];
  if (first == kTfEscape) return kTfEscape;  // No code for this mask.
  switch (count) {
    case 1:
      if (tf[fields[0]] > kMaxSingle) return kTfEscape;
      return static_cast<uint8_t>(first + tf[fields[0]] - 1);
    case 2:
      if (tf[fields[0]] > kMaxPair || tf[fields[1]] > kMaxPair) {
        return kTfEscape;
      }
      return static_cast<uint8_t>(first + (tf[fields[0]] - 1) * kMaxPair +
                                  (tf[fields[1]] - 1));
    default:  // Three fields: only once each.
      for (int i = 0; i < count; ++i) {
        if (tf[fields[i]] != 1) return kTfEscape;
      }
      return first;
  }
}

}  // namespace reel::search
