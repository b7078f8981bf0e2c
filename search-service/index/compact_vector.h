// CompactVector<T>: a growable array of trivially copyable values in 16
// bytes (pointer, 32-bit size and capacity) instead of std::vector's 24.
//
// The index keeps six arrays per term and most terms have a few postings,
// so the headers outweigh the data: 8 bytes saved per array is 1.4 MB on a
// 29k-term dictionary. Storage comes from malloc and grows by realloc; the
// capacity is what the allocator really gave (malloc_usable_size), so the
// index's memory statistics count the heap it holds, rounding included.
//
// Differences from std::vector: values are trivially copyable; resize()
// leaves new values uninitialised (encoders write them next); not copyable,
// only movable; at most 2^32 - 1 values (past that the process aborts:
// no list of one index comes near it).
#ifndef REEL_SEARCH_SERVICE_INDEX_COMPACT_VECTOR_H_
#define REEL_SEARCH_SERVICE_INDEX_COMPACT_VECTOR_H_

#include <malloc.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>

#include "absl/base/optimization.h"

namespace reel::search {

template <typename T>
class CompactVector {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  using value_type = T;
  using iterator = T*;
  using const_iterator = const T*;

  CompactVector() = default;
  ~CompactVector() { std::free(data_); }
  CompactVector(CompactVector&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)),
        size_(std::exchange(other.size_, 0)),
        capacity_(std::exchange(other.capacity_, 0)) {}
  CompactVector& operator=(CompactVector&& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    std::swap(capacity_, other.capacity_);
    return *this;
  }
  CompactVector(const CompactVector&) = delete;
  CompactVector& operator=(const CompactVector&) = delete;

  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }
  T* data() { return data_; }
  const T* data() const { return data_; }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  T& back() { return data_[size_ - 1]; }
  const T& back() const { return data_[size_ - 1]; }

  void push_back(const T& value) {
    if (ABSL_PREDICT_FALSE(size_ == capacity_)) Grow(size_ + size_t{1});
    data_[size_++] = value;
  }
  T& emplace_back(const T& value) {
    push_back(value);
    return back();
  }
  void append(const T* values, size_t count) {
    if (count == 0) return;
    if (size_ + count > capacity_) Grow(size_ + count);
    std::memcpy(data_ + size_, values, count * sizeof(T));
    size_ += static_cast<uint32_t>(count);
  }
  // New values are uninitialised.
  void resize(size_t size) {
    if (size > capacity_) Grow(size);
    size_ = static_cast<uint32_t>(size);
  }
  void shrink_to_fit() {
    if (size_ == capacity_) return;
    if (size_ == 0) {
      std::free(std::exchange(data_, nullptr));
      capacity_ = 0;
      return;
    }
    Reallocate(size_);
  }

 private:
  // Room for at least `needed` values, growing by half again at least
  // (amortised constant appends).
  void Grow(size_t needed) {
    constexpr size_t kMax = std::numeric_limits<uint32_t>::max();
    if (ABSL_PREDICT_FALSE(needed > kMax)) std::abort();
    Reallocate(std::min(kMax, std::max(needed, size_t{capacity_} * 3 / 2)));
  }
  void Reallocate(size_t count) {
    void* grown = std::realloc(data_, count * sizeof(T));
    if (ABSL_PREDICT_FALSE(grown == nullptr)) std::abort();  // As new would.
    data_ = static_cast<T*>(grown);
    capacity_ = static_cast<uint32_t>(
        std::min<size_t>(malloc_usable_size(grown) / sizeof(T),
                         std::numeric_limits<uint32_t>::max()));
  }

  T* data_ = nullptr;
  uint32_t size_ = 0;
  uint32_t capacity_ = 0;
};

}  // namespace reel::search

#endif  // REEL_SEARCH_SERVICE_INDEX_COMPACT_VECTOR_H_
