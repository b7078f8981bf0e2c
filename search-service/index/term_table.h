// TermTable: distinct strings kept once, each with a dense id (0, 1, 2, ...
// in the order they were added), found by hash without a second copy.
//
// The bytes of every term sit in one buffer and the hash set holds only ids
// (4 bytes and a control byte a slot): a dictionary of short words costs
// about a third of a hash map of std::string, which keeps each word in a
// 32-byte string and again in its slot. Ids never change; terms are never
// removed (an index's dictionary only grows until it is rebuilt).
//
// Not copyable or movable: the set's hash and equality read the buffer
// through a pointer to the table. One writer, or any number of readers.
#ifndef REEL_SEARCH_SERVICE_INDEX_TERM_TABLE_H_
#define REEL_SEARCH_SERVICE_INDEX_TERM_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"

namespace reel::search {

class TermTable {
 public:
  TermTable();
  TermTable(const TermTable&) = delete;
  TermTable& operator=(const TermTable&) = delete;

  // The id of `term`, if it was added.
  std::optional<uint32_t> Find(absl::string_view term) const;
  bool contains(absl::string_view term) const { return Find(term).has_value(); }
  // The id of `term`, and whether this call added it (the next id).
  std::pair<uint32_t, bool> Insert(absl::string_view term);

  // The term of `id` (< size()); valid until the next Insert.
  absl::string_view operator[](uint32_t id) const {
    return absl::string_view(bytes_).substr(starts_[id],
                                            starts_[id + 1] - starts_[id]);
  }
  size_t size() const { return starts_.size() - 1; }

  void ShrinkToFit();
  // Bytes held: the buffer, the offsets and the set's slots.
  size_t memory_bytes() const;

 private:
  // Hash and equality over ids and string_views alike (heterogeneous
  // look-up): a query is a string_view, a slot an id.
  struct Hash {
    using is_transparent = void;
    const TermTable* table;
    size_t operator()(uint32_t id) const { return (*this)((*table)[id]); }
    size_t operator()(absl::string_view term) const;
  };
  struct Equal {
    using is_transparent = void;
    const TermTable* table;
    bool operator()(uint32_t a, uint32_t b) const { return a == b; }
    bool operator()(uint32_t id, absl::string_view term) const {
      return (*table)[id] == term;
    }
    bool operator()(absl::string_view term, uint32_t id) const {
      return (*table)[id] == term;
    }
  };

  std::string bytes_;             // Every term, back to back.
  std::vector<uint32_t> starts_;  // Term i is [starts_[i], starts_[i + 1]).
  absl::flat_hash_set<uint32_t, Hash, Equal> ids_;
};

}  // namespace reel::search

#endif  // REEL_SEARCH_SERVICE_INDEX_TERM_TABLE_H_
