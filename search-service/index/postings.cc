#include "search-service/index/postings.h"

namespace reel::search {
namespace {

uint32_t WidthFor(uint32_t difference) {
  return difference < (1u << 8) ? 1 : difference < (1u << 16) ? 2 : 4;
}

void Store(uint8_t* at, uint32_t difference, uint32_t width) {
  switch (width) {
    case 1:
      *at = static_cast<uint8_t>(difference);
      return;
    case 2: {
      const uint16_t narrow = static_cast<uint16_t>(difference);
      std::memcpy(at, &narrow, 2);
      return;
    }
    default:
      std::memcpy(at, &difference, 4);
  }
}

// The first j in [j, count) whose difference is >= target (count if none),
// one loop per width.
size_t ScanBlock(const Postings::BlockIds& ids, size_t j, size_t count,
                 uint32_t target) {
  switch (ids.width) {
    case 1:
      while (j < count && ids.differences[j] < target) ++j;
      return j;
    case 2:
      for (; j < count; ++j) {
        uint16_t difference;
        std::memcpy(&difference, ids.differences + 2 * j, 2);
        if (difference >= target) break;
      }
      return j;
    default:
      for (; j < count; ++j) {
        uint32_t difference;
        std::memcpy(&difference, ids.differences + 4 * j, 4);
        if (difference >= target) break;
      }
      return j;
  }
}

}  // namespace

bool Postings::SkipTo(size_t* at, uint32_t target) const {
  const size_t n = size();
  const size_t from = *at;
  if (from >= n) return false;
  size_t block = from / kBlockSize;
  BlockIds ids = Ids(block);
  size_t j = from % kBlockSize;
  // Ids ascend, so the one at `from` is at least the block's first.
  if (target <= ids.first) return j == 0 && ids.first == target;
  // Past this block when the next one starts at or before the target;
  // else the target is here or between this block and the next, where the
  // scan below ends.
  if (block + 1 < heads.size() && heads[block + 1] <= target) {
    // The last block whose head is <= target, galloping from the next one
    // (targets are usually near).
    size_t below = block + 1;  // heads[below] <= target
    size_t step = 1;
    while (below + step < heads.size() && heads[below + step] <= target) {
      below += step;
      step *= 2;
    }
    const size_t limit = std::min(heads.size(), below + step);
    block =
        static_cast<size_t>(std::upper_bound(heads.begin() + below + 1,
                                             heads.begin() + limit, target) -
                            heads.begin()) -
        1;
    ids = Ids(block);
    j = 0;
  }
  const size_t count = std::min(kBlockSize, n - block * kBlockSize);
  j = ScanBlock(ids, j, count, target - ids.first);
  *at = block * kBlockSize + j;
  return j < count && ids[j] == target;
}

void Postings::StartBlock() {
  if (!blocks.empty()) {
    FoldIntoSummary();
    if (heads.empty()) heads.push_back(Ids(0).first);
  }
  Block& block = blocks.emplace_back(EmptyBlock());
  block.position_start = static_cast<uint32_t>(positions.size());
  block.escape_start = static_cast<uint32_t>(escaped_tf.size() / kFieldCount);
  block.doc_start = static_cast<uint32_t>(doc_bytes.size());
}

void Postings::AppendDocSlow(uint32_t doc_id) {
  Block& block = blocks.back();
  const size_t j = size() % kBlockSize;
  const size_t end = doc_bytes.size();
  if (j == 0) {
    if (blocks.size() > 1) heads.push_back(doc_id);
    doc_bytes.resize(end + 4 + 1);
    std::memcpy(doc_bytes.data() + end, &doc_id, 4);
    doc_bytes[end + 4] = 0;
    return;
  }
  const BlockIds ids = Ids(blocks.size() - 1);
  const uint32_t difference = doc_id - ids.first;
  const uint32_t width = WidthFor(difference);
  if (width > block.doc_width) {
    // The block is the list's last: recode its differences wider in place.
    std::array<uint32_t, kBlockSize> previous;
    for (size_t k = 0; k < j; ++k) previous[k] = ids[k] - ids.first;
    block.doc_width = static_cast<uint8_t>(width);
    doc_bytes.resize(block.doc_start + 4 + j * width);
    uint8_t* differences = doc_bytes.data() + block.doc_start + 4;
    for (size_t k = 0; k < j; ++k) {
      Store(differences + k * width, previous[k], width);
    }
  }
  const size_t at = doc_bytes.size();
  doc_bytes.resize(at + block.doc_width);
  Store(doc_bytes.data() + at, difference, block.doc_width);
}

FieldTf Postings::EscapedTf(size_t i) const {
  // The escapes before i in its block: in a full block, a word at a time
  // over its 16 codes with those from i on masked off; in the last, partial
  // block (which may end the array), one code at a time.
  static_assert(kBlockSize == 16 && kTfEscape != 0);
  const size_t block_start = i - i % kBlockSize;
  const size_t before = i - block_start;
  size_t escaped = blocks[i / kBlockSize].escape_start;
  if (block_start + kBlockSize <= size()) {
    // A full block: its 16 codes as two words, the escapes among the first
    // `before` counted a byte per bit.
    std::array<uint64_t, 2> words;
    std::memcpy(words.data(), tf_codes.data() + block_start, kBlockSize);
    constexpr uint64_t kOnes = 0x0101010101010101ULL;
    constexpr uint64_t kLow = 0x7F7F7F7F7F7F7F7FULL;
    for (size_t w = 0; w < 2; ++w) {
      const uint64_t x = words[w] ^ (kOnes * kTfEscape);  // 0 at escapes
      // Bit 7 of each byte set where it is 0 (no carry crosses bytes).
      uint64_t zero = ~((((x & kLow) + kLow) | x) | kLow);
      const size_t kept =
          std::min<size_t>(8, before - std::min<size_t>(before, 8 * w));
      if (kept < 8) zero &= (uint64_t{1} << (8 * kept)) - 1;
      // One per such byte, summed into the top byte by the multiply.
      escaped += static_cast<size_t>(((zero >> 7) * kOnes) >> 56);
    }
  } else {
    for (size_t j = block_start; j < i; ++j) {
      escaped += tf_codes[j] == kTfEscape;
    }
  }
  FieldTf tf{};
  std::memcpy(tf.data(), &escaped_tf[escaped * kFieldCount], kFieldCount);
  return tf;
}

void Postings::FoldIntoSummary() {
  if (summary == nullptr) summary = std::make_unique<Block>(EmptyBlock());
  Block& folded = *summary;
  const Block& last = blocks.back();
  for (int f = 0; f < kFieldCount; ++f) {
    folded.max_tf[f] = std::max(folded.max_tf[f], last.max_tf[f]);
    folded.min_length[f] = std::min(folded.min_length[f], last.min_length[f]);
    folded.min_average[f] =
        std::min(folded.min_average[f], last.min_average[f]);
  }
  folded.max_reference_tf =
      std::max(folded.max_reference_tf, last.max_reference_tf);
}

void Postings::ShrinkToFit() {
  doc_bytes.shrink_to_fit();
  positions.shrink_to_fit();
  tf_codes.shrink_to_fit();
  escaped_tf.shrink_to_fit();
  blocks.shrink_to_fit();
  heads.shrink_to_fit();
}

size_t Postings::memory_bytes() const {
  return doc_bytes.capacity() + tf_codes.capacity() + escaped_tf.capacity() +
         positions.capacity() + blocks.capacity() * sizeof(Block) +
         heads.capacity() * sizeof(uint32_t) + sizeof(Postings) +
         (summary != nullptr ? sizeof(Block) : 0);
}

}  // namespace reel::search
