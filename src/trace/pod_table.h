#pragma once
// An append-only array of trivially copyable records for the trace's event tables, which hold millions of rows.
// Small tables live in malloc'd memory. Past 2 MiB the array lives in its own anonymous mapping (advised for
// transparent huge pages) that grows by doubling with mremap: the kernel moves the page tables, so growing
// never copies nor re-touches the rows, and the reserved but unwritten tail costs address space only, not
// resident memory. A table is therefore written exactly once while it is read in, with no exactly-sized copy at
// the end. Elsewhere than Linux it grows with realloc.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <new>
#include <type_traits>
#include <utility>

namespace infertune::trace {

namespace pod_table_detail {
// Maps `bytes` of zero pages (huge-page advised); nullptr on failure.
void* map(size_t bytes);
// Grows (or shrinks) a mapping made by map() to `new_bytes`, moving it when needed; nullptr on failure (the
// old mapping is then unchanged).
void* remap(void* p, size_t old_bytes, size_t new_bytes);
void unmap(void* p, size_t bytes);
// Rounds a mapping's size up to whole huge pages.
size_t round_mapping(size_t bytes);
inline constexpr size_t kMapAbove = size_t{2} << 20;
}  // namespace pod_table_detail

template <class T>
class PodTable {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);

 public:
  using value_type = T;
  using iterator = T*;
  using const_iterator = const T*;

  PodTable() = default;
  PodTable(std::initializer_list<T> init) { assign(init.begin(), init.end()); }
  PodTable(const PodTable& o) { assign(o.begin(), o.end()); }
  PodTable(PodTable&& o) noexcept { swap(o); }
  PodTable& operator=(const PodTable& o) {
    if (this != &o) {
      clear();
      assign(o.begin(), o.end());
    }
    return *this;
  }
  PodTable& operator=(PodTable&& o) noexcept {
    PodTable tmp(std::move(o));
    swap(tmp);
    return *this;
  }
  ~PodTable() { release(); }

  void swap(PodTable& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(capacity_, o.capacity_);
    std::swap(mapped_bytes_, o.mapped_bytes_);
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t capacity() const { return capacity_; }
  T* data() { return data_; }
  const T* data() const { return data_; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }
  T& front() { return data_[0]; }
  const T& front() const { return data_[0]; }
  T& back() { return data_[size_ - 1]; }
  const T& back() const { return data_[size_ - 1]; }

  void push_back(const T& v) {
    if (size_ == capacity_) grow(size_ + 1);
    std::memcpy(static_cast<void*>(data_ + size_), &v, sizeof(T));
    ++size_;
  }
  template <class... A>
  T& emplace_back(A&&... a) {
    push_back(T{std::forward<A>(a)...});
    return back();
  }
  void pop_back() { --size_; }
  void reserve(size_t n) {
    if (n > capacity_) grow_to(n);
  }
  void resize(size_t n, const T& v = T{}) {
    reserve(n);
    for (size_t i = size_; i < n; ++i) std::memcpy(static_cast<void*>(data_ + i), &v, sizeof(T));
    size_ = n;
  }
  // Drops the rows; the memory stays reserved (as std::vector::clear).
  void clear() { size_ = 0; }
  // Gives back the mapped memory past the last row (the reserved tail, and the unwritten part of the last huge
  // page, which is resident), keeping whole 4 KiB pages. Malloc'd tables are left as they are.
  void shrink_to_fit() {
    if (mapped_bytes_ == 0) return;
    size_t keep = (size_ * sizeof(T) + 4095) & ~size_t{4095};
    if (keep == 0) keep = 4096;
    if (keep >= mapped_bytes_) return;
    if (pod_table_detail::remap(data_, mapped_bytes_, keep) != data_) return;  // shrinking never moves
    mapped_bytes_ = keep;
    capacity_ = keep / sizeof(T);
  }

 private:
  template <class It>
  void assign(It first, It last) {
    reserve(static_cast<size_t>(last - first));
    for (; first != last; ++first) push_back(*first);
  }

  void grow(size_t need) {
    size_t n = capacity_ * 2;
    if (n < need) n = need;
    constexpr size_t kMin = 4096 / sizeof(T) > 0 ? 4096 / sizeof(T) : 1;
    if (n < kMin) n = kMin;
    grow_to(n);
  }

  void grow_to(size_t n) {
    if (n > SIZE_MAX / sizeof(T)) throw std::bad_alloc();
    size_t bytes = n * sizeof(T);
    if (bytes >= pod_table_detail::kMapAbove) {
      size_t map_bytes = pod_table_detail::round_mapping(bytes);
      void* p = nullptr;
      if (mapped_bytes_ != 0) {
        p = pod_table_detail::remap(data_, mapped_bytes_, map_bytes);
      } else if ((p = pod_table_detail::map(map_bytes)) != nullptr && size_ > 0) {
        std::memcpy(p, static_cast<const void*>(data_), size_ * sizeof(T));
      }
      if (p != nullptr) {
        if (mapped_bytes_ == 0) std::free(data_);
        data_ = static_cast<T*>(p);
        mapped_bytes_ = map_bytes;
        capacity_ = map_bytes / sizeof(T);
        return;
      }
      if (mapped_bytes_ != 0) throw std::bad_alloc();
      // No mapping to be had (not Linux, or refused): realloc below.
    }
    void* p = std::realloc(static_cast<void*>(data_), bytes);
    if (p == nullptr) throw std::bad_alloc();
    data_ = static_cast<T*>(p);
    capacity_ = n;
  }

  void release() {
    if (mapped_bytes_ != 0) {
      pod_table_detail::unmap(data_, mapped_bytes_);
    } else {
      std::free(data_);
    }
    data_ = nullptr;
    size_ = capacity_ = mapped_bytes_ = 0;
  }

  T* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
  size_t mapped_bytes_ = 0;  // 0: malloc'd
};

}  // namespace infertune::trace
