#include "search-service/index/term_table.h"

#include <limits>

#include "absl/hash/hash.h"
#include "spdlog/spdlog.h"

namespace reel::search {

TermTable::TermTable() : starts_{0}, ids_(0, Hash{this}, Equal{this}) {}

size_t TermTable::Hash::operator()(absl::string_view term) const {
  return absl::Hash<absl::string_view>{}(term);
}

std::optional<uint32_t> TermTable::Find(absl::string_view term) const {
  auto it = ids_.find(term);
  if (it == ids_.end()) return std::nullopt;
  return *it;
}

std::pair<uint32_t, bool> TermTable::Insert(absl::string_view term) {
  if (auto known = ids_.find(term); known != ids_.end()) {
    return {*known, false};
  }
  // Offsets are 32-bit: 4 GiB of distinct terms is far past any index
  // this process can hold, and a dictionary that size is a bug upstream.
  if (bytes_.size() + term.size() > std::numeric_limits<uint32_t>::max()) {
    spdlog::critical("term table full: {} bytes", bytes_.size());
    std::abort();
  }
  const uint32_t id = static_cast<uint32_t>(size());
  bytes_.append(term.data(), term.size());
  starts_.push_back(static_cast<uint32_t>(bytes_.size()));
  ids_.insert(id);
  return {id, true};
}

void TermTable::ShrinkToFit() {
  bytes_.shrink_to_fit();
  starts_.shrink_to_fit();
}

size_t TermTable::memory_bytes() const {
  return bytes_.capacity() + starts_.capacity() * sizeof(uint32_t) +
         ids_.capacity() * (sizeof(uint32_t) + 1);
}

}  // namespace reel::search
