// Per-thread ordering of trace records: the result equals a full sort by (thread, less) whatever the input
// order: in order, a few records late (the linear path), many out of place (the plain sort), several threads.

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <tuple>
#include <vector>

#include "trace/thread_order.h"

namespace infertune::trace {
namespace {

struct Rec {
  int32_t pid, tid;
  int64_t ts, dur;
};

std::vector<uint32_t> expected(const std::vector<Rec>& r) {
  std::vector<uint32_t> idx(r.size());
  for (uint32_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::sort(idx.begin(), idx.end(), [&](uint32_t a, uint32_t b) {
    return std::make_tuple(r[a].pid, r[a].tid, r[a].ts, -r[a].dur, a) <
           std::make_tuple(r[b].pid, r[b].tid, r[b].ts, -r[b].dur, b);
  });
  return idx;
}

std::vector<uint32_t> ordered(const std::vector<Rec>& r) {
  std::vector<uint32_t> idx(r.size());
  for (uint32_t i = 0; i < idx.size(); ++i) idx[i] = i;
  order_by_thread(
      idx, [&](uint32_t i) { return std::make_pair(r[i].pid, r[i].tid); },
      [&](uint32_t a, uint32_t b) {
        if (r[a].ts != r[b].ts) return r[a].ts < r[b].ts;
        if (r[a].dur != r[b].dur) return r[a].dur > r[b].dur;
        return a < b;
      });
  return idx;
}

// Records of `threads` threads interleaved, each thread in time order; then `late` of them, picked at random, are
// moved to the end in random order (written late, like step annotations), and `swapped` pairs change places.
std::vector<Rec> records(size_t n, int threads, size_t late, size_t swapped, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Rec> r;
  std::vector<int64_t> clock(static_cast<size_t>(threads), 0);
  for (size_t i = 0; i < n; ++i) {
    auto t = static_cast<size_t>(rng() % static_cast<uint64_t>(threads));
    clock[t] += static_cast<int64_t>(rng() % 3);  // equal start times happen (ties broken by duration, then index)
    r.push_back(Rec{100, static_cast<int32_t>(t), clock[t], static_cast<int64_t>(rng() % 4)});
  }
  std::stable_sort(r.begin(), r.end(),
                   [](const Rec& a, const Rec& b) { return a.ts != b.ts ? a.ts < b.ts : a.dur > b.dur; });
  std::vector<Rec> moved;
  for (size_t k = 0; k < late; ++k) {
    auto at = static_cast<std::ptrdiff_t>(rng() % r.size());
    moved.push_back(r[static_cast<size_t>(at)]);
    r.erase(r.begin() + at);
  }
  r.insert(r.end(), moved.begin(), moved.end());
  for (size_t k = 0; k < swapped; ++k) std::swap(r[rng() % n], r[rng() % n]);
  return r;
}

TEST(TraceThreadOrder, EqualsAFullSortWhateverTheDisorder) {
  struct Case {
    size_t late, swapped;
  };
  // In order; a few late records (merged back); many (a plain sort); swaps, which put late records early.
  for (Case c : {Case{0, 0}, Case{1, 0}, Case{40, 0}, Case{2000, 0}, Case{0, 3}, Case{10, 60}}) {
    for (int threads : {1, 3}) {
      auto r = records(4000, threads, c.late, c.swapped, 7 + c.late + c.swapped + static_cast<uint64_t>(threads));
      EXPECT_EQ(ordered(r), expected(r)) << "late " << c.late << ", swapped " << c.swapped << ", threads " << threads;
    }
  }
}

TEST(TraceThreadOrder, ALateStepAnnotationIsMergedIntoPlace) {
  // A step annotation written after the operators it encloses (what profilers do): it sorts first.
  std::vector<Rec> r = {{1, 1, 10, 5}, {1, 1, 20, 5}, {1, 1, 30, 5}, {1, 1, 5, 100}, {1, 1, 40, 5}};
  EXPECT_EQ(ordered(r), (std::vector<uint32_t>{3, 0, 1, 2, 4}));
}

}  // namespace
}  // namespace infertune::trace
