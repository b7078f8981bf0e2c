// Postings: one stem's posting list as the index builds and reads it:
// which scenes hold the stem, how often per field, where, and score bounds
// per block of kBlockSize postings. Internal to the index library; one
// writer or any number of readers, as SceneIndex.
//
// Document ids, ascending, are coded per block: the block's first id in 4
// bytes, then each id of the block as its difference from that first one,
// in the block's width: 1 byte while the block spans under 256 ids, 2 under
// 65,536, else 4. The long lists, which hold most postings, are dense, so
// an id takes 1.25 bytes there (2.25 in sparser blocks) instead of 4, and
// any id is still a block look-up and a load away (Doc). Loops read ids a
// block at a time (ForEach, Reader, DecodeBlock).
#ifndef REEL_SEARCH_SERVICE_INDEX_POSTINGS_H_
#define REEL_SEARCH_SERVICE_INDEX_POSTINGS_H_

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "search-service/index/compact_vector.h"
#include "search-service/index/field_tf.h"
#include "search-service/index/positions.h"
#include "search-service/index/scene_index.h"

namespace reel::search {

// Bit f set where field_tf[f] (one of kFieldCount bytes) is not zero: a
// handful of word operations instead of a loop per posting.
inline uint32_t NonZeroFields(const uint8_t* field_tf) {
  static_assert(kFieldCount == 5);
  uint64_t v = 0;
  std::memcpy(&v, field_tf, kFieldCount);
  constexpr uint64_t kLow = 0x7F7F7F7F7FULL;
  constexpr uint64_t kHigh = 0x8080808080ULL;
  // Per byte: bit 7 ends up set if any bit was (no carry crosses bytes).
  const uint64_t nonzero = (((v & kLow) + kLow) | v) & kHigh;
  return static_cast<uint32_t>(((nonzero >> 7) & 1) | ((nonzero >> 14) & 2) |
                               ((nonzero >> 21) & 4) | ((nonzero >> 28) & 8) |
                               ((nonzero >> 35) & 16));
}

// Postings per score-bound and id-coding block.
inline constexpr size_t kBlockSize = 16;

struct Postings {
  // Per kBlockSize postings: where its ids, positions and escaped counts
  // start, and the most a document there can score: top-k search skips
  // (only counts) a block whose bound is below the k-th best score so far.
  // Tombstones leave the bounds valid, if loose.
  struct Block {
    std::array<uint8_t, kFieldCount> max_tf{};
    uint8_t doc_width = 1;  // Bytes per id difference: 1, 2 or 4.
    std::array<uint16_t, kFieldCount> min_length;  // Where tf > 0.
    // A tighter bound for the default weights and b: the highest
    // pseudo-frequency of a posting here, computed with the field averages
    // of the moment it was added, and the smallest such average per field
    // (rounded down; 0xFFFF where no posting has the field). If averages
    // grew since, the bound scales by the largest growth (see Search).
    float max_reference_tf = 0;
    std::array<uint16_t, kFieldCount> min_average;
    // Where the block's first posting starts in `positions`, how many
    // postings before the block have escaped counts, and where its ids
    // start in `doc_bytes`.
    uint32_t position_start = 0;
    uint32_t escape_start = 0;
    uint32_t doc_start = 0;
  };
  static Block EmptyBlock() {
    Block block;
    block.min_length.fill(0xFFFF);
    block.min_average.fill(0xFFFF);
    return block;
  }

  // The ids of one block.
  struct BlockIds {
    const uint8_t* differences;
    uint32_t first;
    uint32_t width;
    uint32_t operator[](size_t j) const {
      switch (width) {
        case 1:
          return first + differences[j];
        case 2: {
          uint16_t difference;
          std::memcpy(&difference, differences + 2 * j, 2);
          return first + difference;
        }
        default: {
          uint32_t difference;
          std::memcpy(&difference, differences + 4 * j, 4);
          return first + difference;
        }
      }
    }
  };

  // Reads ids in any order, decoding a block when the index leaves the one
  // it holds: loops that mostly go forwards read each block once.
  class Reader {
   public:
    explicit Reader(const Postings& postings) : postings_(postings) {}
    uint32_t operator[](size_t i) {
      const size_t block = i / kBlockSize;
      if (ABSL_PREDICT_FALSE(block != block_)) {
        block_ = block;
        postings_.DecodeBlock(block, ids_.data());
      }
      return ids_[i % kBlockSize];
    }

   private:
    const Postings& postings_;
    size_t block_ = std::numeric_limits<size_t>::max();
    std::array<uint32_t, kBlockSize> ids_;
  };

  size_t size() const { return tf_codes.size(); }
  BlockIds Ids(size_t block) const {
    const Block& b = blocks[block];
    const uint8_t* bytes = doc_bytes.data() + b.doc_start;
    uint32_t first;
    std::memcpy(&first, bytes, 4);
    return {bytes + 4, first, b.doc_width};
  }
  // The id of posting i (< size()).
  uint32_t Doc(size_t i) const { return Ids(i / kBlockSize)[i % kBlockSize]; }
  // Writes block `block`'s ids to out (kBlockSize room); returns how many.
  size_t DecodeBlock(size_t block, uint32_t* out) const;
  // Calls visit(i, id) for every posting in order, a block decoded at a
  // time.
  template <typename Visit>
  void ForEach(Visit&& visit) const {
    std::array<uint32_t, kBlockSize> ids;
    for (size_t block = 0, begin = 0; begin < size();
         ++block, begin += kBlockSize) {
      const size_t count = DecodeBlock(block, ids.data());
      for (size_t j = 0; j < count; ++j) visit(begin + j, ids[j]);
    }
  }
  // Moves *i to the first posting at or after it whose id is >= target
  // (size() if none); returns whether that id is target. A target past the
  // current block is found among the block heads, then within its one
  // block, so a long jump touches few cache lines.
  bool SkipTo(size_t* i, uint32_t target) const;
  // The posting of `doc_id`, or size().
  size_t Find(uint32_t doc_id) const {
    size_t i = 0;
    return SkipTo(&i, doc_id) ? i : size();
  }

  // Building: a posting is added by starting a block when size() is a
  // multiple of kBlockSize (StartBlock), then AppendDoc with an id above
  // every id in the list, then its counts (tf_codes, escaped_tf) and
  // positions.
  void StartBlock();
  void AppendDoc(uint32_t doc_id) {
    // Most ids fit the block's width: two stores. A block's first id, or
    // one that needs a wider block, goes the long way.
    Block& block = blocks.back();
    const size_t j = size() % kBlockSize;
    if (ABSL_PREDICT_TRUE(j != 0 && block.doc_width == 1)) {
      uint32_t first;
      std::memcpy(&first, doc_bytes.data() + block.doc_start, 4);
      if (doc_id - first < 256) {
        doc_bytes.push_back(static_cast<uint8_t>(doc_id - first));
        return;
      }
    }
    AppendDocSlow(doc_id);
  }

  // The term frequencies of posting i.
  FieldTf Tf(size_t i) const {
    const uint8_t code = tf_codes[i];
    if (ABSL_PREDICT_TRUE(code != kTfEscape)) return DecodeFieldTf(code);
    return EscapedTf(i);
  }
  // The fields (bit f: field f) posting i has its term in.
  uint32_t FieldMask(size_t i) const {
    const uint8_t code = tf_codes[i];
    if (ABSL_PREDICT_TRUE(code != kTfEscape)) return FieldMaskOf(code);
    return NonZeroFields(EscapedTf(i).data());
  }
  // Out of line: escapes are rare, and the hot loops stay small.
  ABSL_ATTRIBUTE_NOINLINE FieldTf EscapedTf(size_t i) const;
  void AppendDocSlow(uint32_t doc_id);

  // The bounds of every block but the last (still filling) folded into
  // one: the largest counts and pseudo-frequency, the smallest lengths and
  // averages. With the last block's, a bound for the whole list at the
  // cost of two block bounds, not one per block. Null while the list has
  // one block, as most lists do.
  void FoldIntoSummary();

  void ShrinkToFit();
  // Heap and object bytes held.
  size_t memory_bytes() const;

  CompactVector<uint8_t> doc_bytes;  // The ids, coded as above.
  // Per document, its kFieldCount term frequencies (saturating at 255) as
  // one code (field_tf.h): term scoring reads these instead of walking
  // the occurrences. The counts of escaped codes, 5 bytes each, in order.
  CompactVector<uint8_t> tf_codes;
  CompactVector<uint8_t> escaped_tf;
  // Per document, its occurrences (positions.h); Block::position_start
  // says where each block's first one starts.
  PositionBytes positions;
  uint32_t live_docs = 0;  // Document frequency among live docs.
  CompactVector<Block> blocks;
  std::unique_ptr<Block> summary;
  // The first id of each block: SkipTo finds a far id among these (a few
  // cache lines) before reading one block. Empty while the list has one
  // block, as most lists do: SkipTo needs no heads there.
  CompactVector<uint32_t> heads;
};

ABSL_ATTRIBUTE_ALWAYS_INLINE inline size_t Postings::DecodeBlock(
    size_t block, uint32_t* out) const {
  const size_t count = std::min(kBlockSize, size() - block * kBlockSize);
  const BlockIds ids = Ids(block);
  // One loop per width, so each is a plain widening add; a full block of
  // the narrowest, the most common, in a loop of known length.
  switch (ids.width) {
    case 1:
      if (count == kBlockSize) {
        for (size_t j = 0; j < kBlockSize; ++j) {
          out[j] = ids.first + ids.differences[j];
        }
        break;
      }
      for (size_t j = 0; j < count; ++j) {
        out[j] = ids.first + ids.differences[j];
      }
      break;
    case 2:
      for (size_t j = 0; j < count; ++j) {
        uint16_t difference;
        std::memcpy(&difference, ids.differences + 2 * j, 2);
        out[j] = ids.first + difference;
      }
      break;
    default:
      for (size_t j = 0; j < count; ++j) {
        uint32_t difference;
        std::memcpy(&difference, ids.differences + 4 * j, 4);
        out[j] = ids.first + difference;
      }
  }
  return count;
}

}  // namespace reel::search

#endif  // REEL_SEARCH_SERVICE_INDEX_POSTINGS_H_
