#pragma once
// Puts record indices in per-thread order: by (pid, tid), then by `less` within a thread. The indices are first
// grouped by thread with a stable counting sort (each thread keeps the order they came in), and a thread's run
// is sorted only when it is not in `less` order already: profilers mostly write a thread's records by time, so
// the usual cost is a few linear passes instead of a comparison sort of every record.

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>
#include <utility>
#include <vector>

namespace infertune::trace {

// Sorts [first, end) by `less` (a strict total order, so the result is the one std::sort gives). Already in
// order: one pass, nothing moved. When few records are out of place (a step annotation written after the
// operators it encloses), those are taken out, sorted and merged back: linear in the run instead of n log n.
// When more than one in 16 is, a plain sort.
template <class It, class Less>
void sort_mostly_in_order(It first, It end, Less less) {
  if (std::is_sorted(first, end, less)) return;
  using T = typename std::iterator_traits<It>::value_type;
  const auto n = static_cast<size_t>(end - first);
  std::vector<T> kept, late;
  for (It it = first; it != end; ++it) {
    if (kept.empty() || !less(*it, kept.back())) {
      kept.push_back(*it);
    } else {
      late.push_back(*it);
      if (late.size() > n / 16) {
        std::sort(first, end, less);
        return;
      }
    }
  }
  std::sort(late.begin(), late.end(), less);
  std::merge(kept.begin(), kept.end(), late.begin(), late.end(), first, less);
}

// thread_of(i) -> std::pair<int32_t, int32_t> (pid, tid); less(a, b) must be a strict total order within a
// thread (end it on the index) so the result does not depend on the input order.
template <class ThreadOf, class Less>
void order_by_thread(std::vector<uint32_t>& idx, ThreadOf thread_of, Less less) {
  std::map<std::pair<int32_t, int32_t>, uint32_t> rank;
  std::pair<int32_t, int32_t> last{};
  bool have_last = false;
  for (uint32_t i : idx) {
    auto th = thread_of(i);
    if (have_last && th == last) continue;
    rank.emplace(th, 0);
    last = th;
    have_last = true;
  }
  uint32_t r = 0;
  for (auto& [th, k] : rank) k = r++;
  std::vector<size_t> start(rank.size() + 1, 0);
  std::vector<uint32_t> rank_of(idx.size());
  have_last = false;
  uint32_t last_rank = 0;
  for (size_t j = 0; j < idx.size(); ++j) {
    auto th = thread_of(idx[j]);
    if (!have_last || th != last) {
      last_rank = rank.find(th)->second;
      last = th;
      have_last = true;
    }
    rank_of[j] = last_rank;
    ++start[last_rank + 1];
  }
  for (size_t k = 1; k < start.size(); ++k) start[k] += start[k - 1];
  std::vector<uint32_t> out(idx.size());
  {
    std::vector<size_t> fill(start.begin(), start.end() - 1);
    for (size_t j = 0; j < idx.size(); ++j) out[fill[rank_of[j]]++] = idx[j];
  }
  std::vector<uint32_t>().swap(rank_of);
  for (size_t k = 0; k + 1 < start.size(); ++k) {
    sort_mostly_in_order(out.begin() + static_cast<std::ptrdiff_t>(start[k]),
                         out.begin() + static_cast<std::ptrdiff_t>(start[k + 1]), less);
  }
  idx.swap(out);
}

}  // namespace infertune::trace
