// The memory snapshot model, analyses, findings and report (see memory_snapshot.h).

#include "trace/memory_snapshot.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <limits>
#include <string_view>

#include "base/fs_root.h"

namespace infertune::trace {

namespace {

constexpr const char* kOomId = "TRACE-MEM-OOM";
constexpr const char* kFragmentedId = "TRACE-MEM-FRAGMENTED";
constexpr const char* kNoHistoryId = "TRACE-MEM-NO-HISTORY";
constexpr const char* kMalformedId = "TRACE-MEM-MALFORMED";

// Snapshot files of a long run with history can be hundreds of MB; beyond these the tool refuses.
constexpr size_t kMaxFileBytes = size_t{2} << 30;
constexpr size_t kMaxPickleBytes = size_t{4} << 30;

std::string mib(uint64_t b) { return fmt::format("{:.1f} MiB", static_cast<double>(b) / 1048576.0); }
std::string bytes_text(uint64_t b) { return fmt::format("{} ({} bytes)", mib(b), b); }
std::string pct(uint64_t part, uint64_t whole) {
  if (whole == 0) return "n/a";
  return fmt::format("{:.1f} %", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

// Reads the pickle's values into the model. Values may be shared (the memo), so a crafted file could make a
// list refer to the same big list many times; `budget` caps the segments, blocks and trace entries visited,
// plus the keys of their dicts (lookups are linear), at 4 per input byte + 1M. In a real snapshot each block or
// trace entry is a dict of 5-7 keys taking 30+ bytes, and only frames are shared, which are not walked here.
class Builder {
 public:
  Builder(MemorySnapshot& s, uint64_t budget) : s_(s), budget_(budget) {}

  Result<bool> run(pickle::Value root) {
    if (root.is_sequence()) {  // torch.cuda.memory_snapshot(): the list of segments alone
      segments(root);
      return !over_ ? Result<bool>(true) : over();
    }
    if (!root.is_dict()) {
      return input_error(
          fmt::format("not a memory snapshot: the pickle holds a value of type {}, expected a dict with "
                      "'segments' and 'device_traces'",
                      pickle::kind_name(root.kind())));
    }
    pickle::Value segs = root.get("segments");
    pickle::Value traces = root.get("device_traces");
    if (!segs.valid() && !traces.valid()) {
      return input_error("not a memory snapshot: the dict has neither 'segments' nor 'device_traces'");
    }
    if (segs.valid()) {
      if (segs.is_sequence()) {
        segments(segs);
      } else {
        wrong("segments", segs);
      }
    }
    if (traces.valid()) {
      if (traces.is_sequence()) {
        s_.has_device_traces = true;
        device_traces(traces);
      } else {
        wrong("device_traces", traces);
      }
    }
    pickle::Value settings = root.get("allocator_settings");
    if (settings.valid()) {
      if (settings.is_dict()) {
        s_.has_allocator_settings = true;
        pickle::Value e = settings.get("expandable_segments");
        if (e.is(pickle::Kind::kBool) || e.is_int()) {
          s_.expandable_setting = e.as_bool();
        } else if (e.valid()) {
          wrong("allocator_settings.expandable_segments", e);
        }
        pickle::Value conf = settings.get("PYTORCH_CUDA_ALLOC_CONF");
        if (conf.is_string()) {
          s_.alloc_conf = std::string(conf.str());
        } else if (conf.valid() && !conf.is_none()) {
          wrong("allocator_settings.PYTORCH_CUDA_ALLOC_CONF", conf);
        }
      } else {
        wrong("allocator_settings", settings);
      }
    }
    if (over_) return over();
    return true;
  }

 private:
  Error over() const {
    return input_error(
        fmt::format("the pickle refers to its shared values more than {} times; refusing it as "
                    "a memory snapshot",
                    budget_));
  }
  bool spend(size_t n) {
    if (n > budget_ - used_) {
      over_ = true;
      return false;
    }
    used_ += n;
    return true;
  }
  void wrong(const std::string& field, pickle::Value v) {
    ++s_.problems[field + " is " + (v.valid() ? pickle::kind_name(v.kind()) : "missing")];
  }
  // An integer field: absent -> fallback, silently; another type -> counted.
  int64_t num(pickle::Value d, const char* key, const char* where, int64_t fallback = 0) {
    pickle::Value v = d.get(key);
    if (!v.valid() || v.is_none()) return fallback;
    if (v.is_int() || v.is(pickle::Kind::kBool)) return v.as_int();
    wrong(std::string(where) + "." + key, v);
    return fallback;
  }
  uint64_t unum(pickle::Value d, const char* key, const char* where) {
    int64_t v = num(d, key, where);
    if (v < 0) {
      ++s_.problems[std::string(where) + "." + key + " is negative"];
      return 0;
    }
    return static_cast<uint64_t>(v);
  }
  pickle::Value frames(pickle::Value d, const char* where) {
    pickle::Value f = d.get("frames");
    if (f.valid() && !f.is_sequence()) {
      wrong(std::string(where) + ".frames", f);
      return {};
    }
    return f;
  }

  void segments(pickle::Value list) {
    if (!spend(list.size())) return;
    for (size_t i = 0; i < list.size(); ++i) {
      pickle::Value d = list.at(i);
      if (!d.is_dict()) {
        wrong("segments[]", d);
        continue;
      }
      if (!spend(d.size())) return;  // key lookups are linear in the dict's size
      MemSegment seg;
      seg.device = num(d, "device", "segments[]");
      seg.address = unum(d, "address", "segments[]");
      seg.total_size = unum(d, "total_size", "segments[]");
      seg.allocated_size = unum(d, "allocated_size", "segments[]");
      seg.active_size = unum(d, "active_size", "segments[]");
      seg.requested_size = unum(d, "requested_size", "segments[]");
      seg.stream = num(d, "stream", "segments[]");
      pickle::Value type = d.get("segment_type");
      if (type.is_string()) {
        seg.large = type.str() != "small";
      } else if (type.valid()) {
        wrong("segments[].segment_type", type);
      }
      pickle::Value exp = d.get("is_expandable");
      if (exp.is(pickle::Kind::kBool) || exp.is_int()) {
        seg.expandable = exp.as_bool();
      } else if (exp.valid()) {
        wrong("segments[].is_expandable", exp);
      }
      pickle::Value blocks = d.get("blocks");
      if (blocks.is_sequence()) {
        if (!spend(blocks.size())) return;
        for (size_t b = 0; b < blocks.size(); ++b) {
          pickle::Value bd = blocks.at(b);
          if (!bd.is_dict()) {
            wrong("segments[].blocks[]", bd);
            continue;
          }
          if (!spend(bd.size())) return;
          MemBlock blk;
          blk.address = unum(bd, "address", "blocks[]");
          blk.size = unum(bd, "size", "blocks[]");
          blk.requested_size = unum(bd, "requested_size", "blocks[]");
          pickle::Value st = bd.get("state");
          if (st.is_string()) {
            std::string_view v = st.str();
            if (v == "active_allocated") {
              blk.state = SnapshotBlockState::kAllocated;
            } else if (v == "active_pending_free" || v == "active_awaiting_free") {  // C++ / typing names
              blk.state = SnapshotBlockState::kPendingFree;
            } else if (v == "inactive") {
              blk.state = SnapshotBlockState::kInactive;
            } else {
              ++s_.problems["blocks[].state has an unknown value"];
            }
          } else if (st.valid()) {
            wrong("blocks[].state", st);
          }
          blk.frames = frames(bd, "blocks[]");
          seg.blocks.push_back(blk);
        }
      } else if (blocks.valid()) {
        wrong("segments[].blocks", blocks);
      }
      if (seg.total_size == 0) {  // older snapshots: derive from the blocks
        for (const MemBlock& b : seg.blocks) seg.total_size += b.size;
      }
      s_.segments.push_back(std::move(seg));
    }
  }

  static MemAction action_of(std::string_view a) {
    static const std::array<std::pair<std::string_view, MemAction>, 9> names = {{
        {"alloc", MemAction::kAlloc},
        {"free_requested", MemAction::kFreeRequested},
        {"free_completed", MemAction::kFreeCompleted},
        {"segment_alloc", MemAction::kSegmentAlloc},
        {"segment_free", MemAction::kSegmentFree},
        {"segment_map", MemAction::kSegmentMap},
        {"segment_unmap", MemAction::kSegmentUnmap},
        {"snapshot", MemAction::kSnapshot},
        {"oom", MemAction::kOom},
    }};
    for (const auto& [n, act] : names) {
      if (n == a) return act;
    }
    return MemAction::kOther;
  }

  void device_traces(pickle::Value list) {
    if (!spend(list.size())) return;
    for (size_t dev = 0; dev < list.size(); ++dev) {
      pickle::Value tl = list.at(dev);
      s_.traces.emplace_back();
      if (!tl.is_sequence()) {
        wrong("device_traces[]", tl);
        continue;
      }
      if (!spend(tl.size())) return;
      auto& out = s_.traces.back();
      out.reserve(tl.size());
      for (size_t i = 0; i < tl.size(); ++i) {
        pickle::Value e = tl.at(i);
        if (!e.is_dict()) {
          wrong("device_traces[][]", e);
          continue;
        }
        if (!spend(e.size())) return;
        MemTraceEntry te;
        pickle::Value a = e.get("action");
        if (!a.is_string()) {
          wrong("device_traces[][].action", a);
          continue;
        }
        te.action = action_of(a.str());
        if (te.action == MemAction::kOther) ++s_.problems["device_traces[][].action has an unknown value"];
        te.addr = unum(e, "addr", "device_traces[][]");
        te.size = unum(e, "size", "device_traces[][]");
        te.device_free = unum(e, "device_free", "device_traces[][]");
        te.stream = num(e, "stream", "device_traces[][]");
        pickle::Value t = e.get("time_us");
        if (t.is_int()) {
          te.time_us = t.as_int();
        } else if (t.valid() && !t.is_none()) {
          wrong("device_traces[][].time_us", t);
        }
        te.frames = frames(e, "device_traces[][]");
        out.push_back(te);
      }
    }
  }

  MemorySnapshot& s_;
  uint64_t budget_;
  uint64_t used_ = 0;
  bool over_ = false;
};

// The frame filter of PyTorch's memory viz (torch/utils/viz/MemoryViz.js, frameFilter): C++/CPython
// plumbing that says nothing about the caller.
bool viz_omitted(std::string_view name, std::string_view file) {
  static const std::array<std::string_view, 8> names = {"unwind::unwind",    "CapturedTraceback::gather",
                                                        "gather_with_cpp",   "_start",
                                                        "__libc_start_main", "PyEval_",
                                                        "PyObject_",         "PyFunction_"};
  static const std::array<std::string_view, 10> files = {"core/boxing",
                                                         "/Register",
                                                         "/Redispatch",
                                                         "pythonrun.c",
                                                         "Modules/main.c",
                                                         "Objects/call.c",
                                                         "Objects/methodobject.c",
                                                         "pycore_ceval.h",
                                                         "ceval.c",
                                                         "cpython/abstract.h"};
  for (auto n : names) {
    if (name.find(n) != std::string_view::npos) return true;
  }
  for (auto f : files) {
    if (file.find(f) != std::string_view::npos) return true;
  }
  return false;
}

bool ends_with(std::string_view s, std::string_view suf) {
  return s.size() >= suf.size() && s.substr(s.size() - suf.size()) == suf;
}

// Torch internals: the torch Python package (…/torch/…, e.g. torch/nn/modules/module.py), native frames
// (C/C++/CUDA sources, "??" for unsymbolised ones) and the viz's omitted frames.
bool internal_frame(std::string_view name, std::string_view file) {
  if (viz_omitted(name, file)) return true;
  if (file.empty() || file == "??" || file.find("/torch/") != std::string_view::npos || file.rfind("torch/", 0) == 0) {
    return true;
  }
  for (std::string_view ext : {".cpp", ".cc", ".c", ".h", ".hpp", ".cu", ".cuh"}) {
    if (ends_with(file, ext)) return true;
  }
  return false;
}

}  // namespace

uint64_t MemorySnapshot::problem_count() const {
  uint64_t n = 0;
  for (const auto& [k, c] : problems) n += c;
  return n;
}

std::vector<SnapshotFrame> user_frames(pickle::Value frames, size_t max_frames, bool* all_internal) {
  // Frames are stored innermost first. When any frame is outside torch internals, only those are shown
  // (the code that asked for the memory); otherwise the frames left after the viz's filter.
  std::vector<SnapshotFrame> user, rest;
  size_t n = std::min<size_t>(frames.size(), 4096);
  for (size_t i = 0; i < n; ++i) {
    pickle::Value f = frames.at(i);
    if (!f.is_dict()) continue;
    pickle::Value file = f.get("filename"), name = f.get("name");  // str only: bytes may not be UTF-8
    SnapshotFrame t{file.is_string() ? std::string(file.str()) : std::string(), f.get("line").as_int(),
                    name.is_string() ? std::string(name.str()) : std::string()};
    if (!internal_frame(t.name, t.filename)) {
      if (user.size() < max_frames) user.push_back(std::move(t));
    } else if (!viz_omitted(t.name, t.filename) && rest.size() < max_frames) {
      rest.push_back(std::move(t));
    }
  }
  if (all_internal != nullptr) *all_internal = user.empty();
  return user.empty() ? rest : user;
}

Result<MemorySnapshot> read_memory_snapshot_bytes(std::string bytes, const std::string& path) {
  const std::string what = "memory snapshot " + path;
  MemorySnapshot s;
  s.path = path;
  s.file_bytes = bytes.size();
  s.gzip =
      bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f && static_cast<unsigned char>(bytes[1]) == 0x8b;
  auto raw = pickle::maybe_gunzip(std::move(bytes), kMaxPickleBytes);
  if (!raw) return input_error(what + ": " + raw.error().message);
  s.pickle_bytes = raw->size();
  auto doc = pickle::parse(*raw);
  if (!doc) return input_error(what + ": " + doc.error().message);
  std::string().swap(*raw);  // the values are copied out: the bytes are no longer needed
  s.doc = std::make_shared<const pickle::Document>(std::move(*doc));
  Builder b(s, 4 * s.pickle_bytes + 1000000);
  auto ok = b.run(s.doc->root());
  if (!ok) return input_error(what + ": " + ok.error().message);
  return s;
}

Result<MemorySnapshot> read_memory_snapshot_file(const std::string& path) {
  auto bytes = read_user_file(path, kMaxFileBytes, "memory snapshot " + path);
  if (!bytes) return bytes.error();
  if (bytes->empty()) return input_error("memory snapshot " + path + ": empty file");
  return read_memory_snapshot_bytes(std::move(*bytes), path);
}

// ---- analyses ----------------------------------------------------------------------------------------------

namespace {

// Replays a device's trace: alloc +size and free_completed −size for allocated memory (free_requested is only
// the request: the block stays allocated until the free completes on its stream); segment_alloc/map +size and
// segment_free/unmap −size for reserved memory. The trace is a ring buffer that may have dropped its oldest
// entries, so the running sums are anchored at the end: the last value equals what the segments hold at the
// snapshot (allocated + pending-free blocks; reserved = total segment size), as PyTorch's memory viz does.
__extension__ typedef __int128 Wide;  // replay sums: no overflow whatever the sizes in the file

int64_t clamp64(Wide v) {
  constexpr Wide lo = std::numeric_limits<int64_t>::min(), hi = std::numeric_limits<int64_t>::max();
  return static_cast<int64_t>(v < lo ? lo : v > hi ? hi : v);
}

void replay(const std::vector<MemTraceEntry>& tr, SnapshotDevice& d) {
  d.trace_entries = tr.size();
  if (tr.empty()) return;
  Wide a = 0, r = 0, amax = 0, amin = 0, rmax = 0, rmin = 0;
  std::optional<size_t> at;
  std::vector<std::pair<Wide, Wide>> at_oom;
  for (size_t i = 0; i < tr.size(); ++i) {
    const MemTraceEntry& e = tr[i];
    auto sz = static_cast<Wide>(e.size);
    switch (e.action) {
      case MemAction::kAlloc: a += sz; break;
      case MemAction::kFreeCompleted: a -= sz; break;
      case MemAction::kSegmentAlloc:
      case MemAction::kSegmentMap: r += sz; break;
      case MemAction::kSegmentFree:
      case MemAction::kSegmentUnmap: r -= sz; break;
      case MemAction::kOom: at_oom.emplace_back(a, r); break;
      default: break;
    }
    if (a > amax) {
      amax = a;
      at = i;
    }
    amin = std::min(amin, a);
    rmax = std::max(rmax, r);
    rmin = std::min(rmin, r);
  }
  Wide a_anchor = static_cast<Wide>(d.allocated) + static_cast<Wide>(d.pending_free) - a;
  Wide r_anchor = static_cast<Wide>(d.reserved) - r;
  d.replayed = true;
  d.start_allocated = clamp64(a_anchor);
  d.peak_allocated = clamp64(a_anchor + amax);
  d.peak_index = at;
  d.peak_reserved = clamp64(r_anchor + rmax);
  // A replay below zero means the trace and the segments disagree (a corrupt or hand-made file).
  d.replay_inconsistent = a_anchor + amin < 0 || r_anchor + rmin < 0;
  size_t k = 0;
  for (size_t i = 0; i < tr.size(); ++i) {
    if (tr[i].action != MemAction::kOom) continue;
    SnapshotOom o;
    o.index = i;
    o.size = tr[i].size;
    o.device_free = tr[i].device_free;
    o.time_us = tr[i].time_us;
    o.frames = tr[i].frames;
    o.allocated = clamp64(a_anchor + at_oom[k].first);
    o.reserved = clamp64(r_anchor + at_oom[k].second);
    ++k;
    d.ooms.push_back(o);
  }
}

}  // namespace

SnapshotAnalysis analyze_memory(const MemorySnapshot& s, size_t top) {
  SnapshotAnalysis out;
  std::map<int64_t, SnapshotDevice> by_dev;
  for (size_t t = 0; t < s.traces.size(); ++t) {
    if (!s.traces[t].empty()) by_dev[static_cast<int64_t>(t)].device = static_cast<int64_t>(t);
  }
  std::map<int64_t, std::vector<SnapshotAllocation>> live;
  for (const MemSegment& seg : s.segments) {
    SnapshotDevice& d = by_dev[seg.device];
    d.device = seg.device;
    ++d.segments;
    d.reserved += seg.total_size;
    (seg.large ? d.large_segments : d.small_segments)++;
    (seg.large ? d.reserved_large : d.reserved_small) += seg.total_size;
    if (seg.expandable) {
      ++d.expandable_segments;
      out.expandable_enabled = true;
    }
    for (const MemBlock& b : seg.blocks) {
      switch (b.state) {
        case SnapshotBlockState::kAllocated:
          d.allocated += b.size;
          d.requested += b.requested_size;
          ++d.allocated_blocks;
          live[seg.device].push_back({b.address, b.size, b.requested_size, false, b.frames});
          break;
        case SnapshotBlockState::kPendingFree:
          d.pending_free += b.size;
          live[seg.device].push_back({b.address, b.size, b.requested_size, true, b.frames});
          break;
        case SnapshotBlockState::kInactive:
          d.inactive += b.size;
          d.largest_free_block = std::max(d.largest_free_block, b.size);
          break;
        case SnapshotBlockState::kUnknown: break;
      }
    }
  }
  if (s.expandable_setting.value_or(false)) out.expandable_enabled = true;
  for (auto& [dev, d] : by_dev) {
    auto& l = live[dev];
    for (const SnapshotAllocation& a : l) d.largest_request = std::max(d.largest_request, a.size);
    size_t n = std::min(top, l.size());
    std::partial_sort(l.begin(), l.begin() + static_cast<std::ptrdiff_t>(n), l.end(),
                      [](const SnapshotAllocation& x, const SnapshotAllocation& y) {
                        return x.size != y.size ? x.size > y.size : x.address < y.address;
                      });
    d.largest.assign(l.begin(), l.begin() + static_cast<std::ptrdiff_t>(n));
    if (dev >= 0 && static_cast<size_t>(dev) < s.traces.size()) {
      const auto& tr = s.traces[static_cast<size_t>(dev)];
      uint64_t req = 0;
      for (const MemTraceEntry& e : tr) {
        if (e.action == MemAction::kAlloc || e.action == MemAction::kOom) req = std::max(req, e.size);
      }
      if (req > 0) {
        d.largest_request = req;
        d.largest_request_from_trace = true;
      }
      replay(tr, d);
    }
    out.devices.push_back(std::move(d));
  }
  return out;
}

// ---- findings ----------------------------------------------------------------------------------------------

const std::vector<MemoryRuleInfo>& memory_rule_ids() {
  static const std::vector<MemoryRuleInfo> ids = {
      {kOomId, "The snapshot recorded an out-of-memory error"},
      {kFragmentedId, "Much reserved GPU memory is free but split into pieces (fragmentation)"},
      {kNoHistoryId, "The snapshot has no allocation history"},
      {kMalformedId, "Some snapshot fields had an unexpected type and were ignored"},
  };
  return ids;
}

namespace {

// Fragmentation thresholds. The caching allocator always keeps some free space inside its segments (blocks
// are rounded and split; the small pool works in 2 MiB segments), so a few percent is normal. When a fifth of
// the reserved memory is free yet reserved, and that is at least 256 MiB (a size that matters next to the
// tens of GiB of a datacenter GPU, and more than the small pool ever holds in typical runs), memory that the
// process cannot use for a large tensor is being held: expandable segments map memory into one growing
// segment per stream instead of many fixed ones and remove most of it.
constexpr double kFragmentedShare = 0.20;
constexpr uint64_t kFragmentedBytes = uint64_t{256} << 20;

std::string when(const std::optional<int64_t>& t) { return t ? fmt::format(" at t={} µs", *t) : std::string(); }

std::string frames_line(pickle::Value frames, size_t n) {
  std::string out;
  for (const SnapshotFrame& f : user_frames(frames, n)) {
    out += (out.empty() ? "" : " ← ") + fmt::format("{}:{} {}", f.filename, f.line, f.name);
  }
  return out.empty() ? "(no frames recorded)" : out;
}

}  // namespace

std::vector<Finding> memory_findings(const MemorySnapshot& s, const SnapshotAnalysis& a) {
  std::vector<Finding> out;
  const std::string src = "memory snapshot " + s.path;
  for (const SnapshotDevice& d : a.devices) {
    if (!d.ooms.empty()) {
      const SnapshotOom& o = d.ooms.front();
      Finding f;
      f.id = kOomId;
      f.severity = Severity::kError;
      f.title = fmt::format("GPU {} ran out of memory: {} OOM event(s), the first asking for {}", d.device,
                            d.ooms.size(), mib(o.size));
      f.evidence.push_back({"Request that failed", bytes_text(o.size) + when(o.time_us), src});
      f.evidence.push_back({"Free on the device (driver)", bytes_text(o.device_free), src});
      if (o.allocated >= 0) {
        f.evidence.push_back({"Allocated / reserved then",
                              fmt::format("{} / {} (replayed from the trace)", mib(static_cast<uint64_t>(o.allocated)),
                                          mib(static_cast<uint64_t>(std::max<int64_t>(o.reserved, 0)))),
                              src});
      }
      f.evidence.push_back({"Where", frames_line(o.frames, 3), src});
      if (d.reserved > 0) {
        f.evidence.push_back({"Free inside segments at the snapshot",
                              fmt::format("{} of {} reserved; largest free block {}", mib(d.inactive), mib(d.reserved),
                                          mib(d.largest_free_block)),
                              src});
      }
      f.fix =
          "Lower the peak: smaller batch or sequence length, torch.no_grad()/inference_mode() for inference, "
          "activation checkpointing or lower precision (bf16/fp16) for training, and drop references to large "
          "tensors early. If much memory was free but fragmented at the time, also set "
          "PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True.";
      f.weight = 1.0;
      out.push_back(std::move(f));
    }
    if (d.reserved > 0 && d.inactive >= kFragmentedBytes &&
        static_cast<double>(d.inactive) >= kFragmentedShare * static_cast<double>(d.reserved)) {
      Finding f;
      f.id = kFragmentedId;
      f.severity = Severity::kWarning;
      f.title = fmt::format("GPU {}: {} of the reserved memory ({}) is free but held in the allocator's segments",
                            d.device, pct(d.inactive, d.reserved), mib(d.inactive));
      f.evidence.push_back({"Reserved (segments)",
                            fmt::format("{} in {} segments ({} large, {} small)", mib(d.reserved), d.segments,
                                        d.large_segments, d.small_segments),
                            src});
      f.evidence.push_back({"Allocated / free inside segments",
                            fmt::format("{} / {} ({})", mib(d.allocated), mib(d.inactive), pct(d.inactive, d.reserved)),
                            src});
      f.evidence.push_back({"Largest free block vs largest request",
                            fmt::format("{} vs {}{}", mib(d.largest_free_block), mib(d.largest_request),
                                        d.largest_free_block < d.largest_request
                                            ? ": a request that size needs a new segment despite the free memory"
                                            : ""),
                            src});
      std::string setting = s.has_allocator_settings
                                ? (s.expandable_setting.value_or(false) ? "expandable_segments:True" : "not set")
                                : "unknown (no allocator_settings in the snapshot)";
      f.evidence.push_back({"Expandable segments", setting, src});
      if (a.expandable_enabled) {
        f.fix =
            "Expandable segments are already on. Cap block splitting for large blocks "
            "(PYTORCH_CUDA_ALLOC_CONF=max_split_size_mb:512) or reclaim earlier "
            "(garbage_collection_threshold:0.8), and allocate long-lived buffers first, before the per-step "
            "tensors.";
      } else {
        f.fix =
            "export PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True before the process starts: the allocator "
            "then grows one segment per stream instead of leaving free holes in many fixed ones.";
      }
      f.impact = fmt::format("up to {} of GPU memory returned to use", mib(d.inactive));
      f.weight = static_cast<double>(d.inactive) / static_cast<double>(d.reserved);
      out.push_back(std::move(f));
    }
  }
  bool any_history = false;
  for (const auto& tr : s.traces) any_history = any_history || !tr.empty();
  if (!any_history) {
    Finding f;
    f.id = kNoHistoryId;
    f.severity = Severity::kInfo;
    f.title = "The snapshot has no allocation history: the peak and OOM events cannot be reconstructed";
    f.evidence.push_back({"device_traces", s.has_device_traces ? "present, no entries" : "absent", src});
    f.fix =
        "Record the history before the run: torch.cuda.memory._record_memory_history(max_entries=100000), "
        "run the workload, then torch.cuda.memory._dump_snapshot(\"snapshot.pickle\").";
    out.push_back(std::move(f));
  }
  if (s.problem_count() > 0) {
    Finding f;
    f.id = kMalformedId;
    f.severity = Severity::kInfo;
    f.title = fmt::format("{} snapshot field(s) had an unexpected type or value and were ignored", s.problem_count());
    for (const auto& [what, n] : s.problems) f.evidence.push_back({what, fmt::format("{}×", n), src});
    f.fix = "None needed when the counts are small; the analyses leave those values out.";
    out.push_back(std::move(f));
  }
  rank_findings(out);
  return out;
}

// ---- report ------------------------------------------------------------------------------------------------

namespace {

Json frames_json(pickle::Value frames, size_t n) {
  Json a = Json::array();
  for (const SnapshotFrame& f : user_frames(frames, n)) {
    a.push_back({{"filename", f.filename}, {"line", f.line}, {"name", f.name}});
  }
  return a;
}

std::optional<int64_t> peak_time(const MemorySnapshot& s, const SnapshotDevice& d) {
  if (!d.peak_index) return std::nullopt;
  return s.traces[static_cast<size_t>(d.device)][*d.peak_index].time_us;
}

}  // namespace

Report memory_snapshot_report(const MemorySnapshot& s, size_t top) {
  SnapshotAnalysis a = analyze_memory(s, top);
  Report r;
  r.command = "trace memory";
  r.subject = "memory snapshot " + s.path;
  Section sum{"Memory snapshot", {}};
  sum.rows.push_back({"File", s.path});
  sum.rows.push_back({"Size", fmt::format("{} bytes{}", s.file_bytes,
                                          s.gzip ? fmt::format(", gzip; pickle {} bytes", s.pickle_bytes) : "")});
  sum.rows.push_back({"Pickle", fmt::format("protocol {}, {} values", s.doc->stats().protocol, s.doc->stats().nodes)});
  size_t entries = 0;
  for (const auto& t : s.traces) entries += t.size();
  sum.rows.push_back(
      {"Contents", fmt::format("{} segments on {} device(s); {} trace entries{}", s.segments.size(), a.devices.size(),
                               entries, s.has_device_traces ? "" : " (no device_traces)")});
  std::string settings = "not in the snapshot";
  if (s.has_allocator_settings) {
    settings = fmt::format("PYTORCH_CUDA_ALLOC_CONF \"{}\"; expandable_segments {}", s.alloc_conf,
                           s.expandable_setting ? (*s.expandable_setting ? "True" : "False") : "unknown");
  }
  sum.rows.push_back({"Allocator settings", settings});
  if (s.problem_count() > 0) {
    std::string p;
    for (const auto& [what, n] : s.problems) p += (p.empty() ? "" : "; ") + fmt::format("{}× {}", n, what);
    sum.rows.push_back({"Ignored (unexpected type)", p});
  }
  r.sections.push_back(std::move(sum));

  Json devs = Json::array();
  for (const SnapshotDevice& d : a.devices) {
    Section sec{fmt::format("GPU {} memory", d.device), {}};
    sec.rows.push_back({"Segments", fmt::format("{} ({} large: {}, {} small: {}; {} expandable)", d.segments,
                                                d.large_segments, mib(d.reserved_large), d.small_segments,
                                                mib(d.reserved_small), d.expandable_segments)});
    sec.rows.push_back({"Reserved", bytes_text(d.reserved)});
    sec.rows.push_back(
        {"Allocated", fmt::format("{} in {} blocks ({} of reserved); requested {} (rounding {})",
                                  bytes_text(d.allocated), d.allocated_blocks, pct(d.allocated, d.reserved),
                                  mib(d.requested), mib(d.allocated >= d.requested ? d.allocated - d.requested : 0))});
    sec.rows.push_back({"Active", fmt::format("{} (allocated + {} freed, waiting on another stream)",
                                              mib(d.allocated + d.pending_free), mib(d.pending_free))});
    sec.rows.push_back(
        {"Inactive (free in segments)",
         fmt::format("{} ({} of reserved: fragmentation)", bytes_text(d.inactive), pct(d.inactive, d.reserved))});
    sec.rows.push_back({"Largest free block",
                        fmt::format("{} vs largest request {} ({})", mib(d.largest_free_block), mib(d.largest_request),
                                    d.largest_request_from_trace ? "from the trace" : "largest live block")});
    if (d.trace_entries == 0) {
      sec.rows.push_back({"Peak allocated", "unknown: no trace entries (record with _record_memory_history)"});
    } else {
      std::string by = "before the first recorded event";
      if (d.peak_index) {
        const MemTraceEntry& e = s.traces[static_cast<size_t>(d.device)][*d.peak_index];
        by = fmt::format("at entry {}{}, by an allocation of {} at {}", *d.peak_index, when(e.time_us), mib(e.size),
                         frames_line(e.frames, 2));
      }
      sec.rows.push_back(
          {"Peak allocated", fmt::format("{} {} (replay of {} trace entries)",
                                         bytes_text(static_cast<uint64_t>(std::max<int64_t>(d.peak_allocated, 0))), by,
                                         d.trace_entries)});
      sec.rows.push_back({"Peak reserved", mib(static_cast<uint64_t>(std::max<int64_t>(d.peak_reserved, 0)))});
      if (d.replay_inconsistent) {
        sec.rows.push_back({"Replay",
                            "the trace frees more than it allocates before the snapshot's state: it "
                            "and the segments disagree; peak values are approximate"});
      }
    }
    sec.rows.push_back({"OOM events", d.ooms.empty() ? std::string("none") : std::to_string(d.ooms.size())});
    r.sections.push_back(std::move(sec));

    Section big{fmt::format("Largest live allocations (GPU {})", d.device), {}};
    Json bj = Json::array();
    for (const SnapshotAllocation& l : d.largest) {
      big.rows.push_back({mib(l.size), fmt::format("0x{:x}{} · {}", l.address, l.pending_free ? " (pending free)" : "",
                                                   frames_line(l.frames, 3))});
      bj.push_back({{"address", l.address},
                    {"size", l.size},
                    {"requested_size", l.requested_size},
                    {"pending_free", l.pending_free},
                    {"frames", frames_json(l.frames, 3)}});
    }
    if (big.rows.empty()) big.rows.push_back({"None", "no live allocation in the snapshot"});
    r.sections.push_back(std::move(big));

    Json oj = Json::array();
    if (!d.ooms.empty()) {
      Section os{fmt::format("Out-of-memory events (GPU {})", d.device), {}};
      for (size_t k = 0; k < d.ooms.size() && k < top; ++k) {
        const SnapshotOom& o = d.ooms[k];
        os.rows.push_back(
            {fmt::format("entry {}", o.index),
             fmt::format("asked {}{}; device free {}; allocated {} · {}", mib(o.size), when(o.time_us),
                         mib(o.device_free), mib(static_cast<uint64_t>(std::max<int64_t>(o.allocated, 0))),
                         frames_line(o.frames, 3))});
        oj.push_back({{"index", o.index},
                      {"size", o.size},
                      {"device_free", o.device_free},
                      {"time_us", o.time_us ? Json(*o.time_us) : Json()},
                      {"allocated", o.allocated},
                      {"reserved", o.reserved},
                      {"frames", frames_json(o.frames, 3)}});
      }
      if (d.ooms.size() > top) {
        os.rows.push_back({"(more)", fmt::format("{} more OOM events; --top N shows more", d.ooms.size() - top)});
      }
      r.sections.push_back(std::move(os));
    }
    auto pt = peak_time(s, d);
    devs.push_back(
        {{"device", d.device},
         {"segments", d.segments},
         {"large_segments", d.large_segments},
         {"small_segments", d.small_segments},
         {"expandable_segments", d.expandable_segments},
         {"reserved", d.reserved},
         {"reserved_large", d.reserved_large},
         {"reserved_small", d.reserved_small},
         {"allocated", d.allocated},
         {"allocated_blocks", d.allocated_blocks},
         {"requested", d.requested},
         {"pending_free", d.pending_free},
         {"inactive", d.inactive},
         {"fragmentation", d.reserved ? static_cast<double>(d.inactive) / static_cast<double>(d.reserved) : 0.0},
         {"largest_free_block", d.largest_free_block},
         {"largest_request", d.largest_request},
         {"trace_entries", d.trace_entries},
         {"peak_allocated", d.trace_entries ? Json(d.peak_allocated) : Json()},
         {"peak_reserved", d.trace_entries ? Json(d.peak_reserved) : Json()},
         {"peak_index", d.peak_index ? Json(*d.peak_index) : Json()},
         {"peak_time_us", pt ? Json(*pt) : Json()},
         {"largest", bj},
         {"ooms", oj}});
  }
  if (a.devices.empty()) r.sections.push_back({"Devices", {{"None", "the snapshot has no segments and no trace"}}});
  Json problems = Json::object();
  for (const auto& [what, n] : s.problems) problems[what] = n;
  r.data = Json{{"snapshot",
                 {{"file", s.path},
                  {"file_bytes", s.file_bytes},
                  {"pickle_bytes", s.pickle_bytes},
                  {"gzip", s.gzip},
                  {"protocol", s.doc->stats().protocol},
                  {"segments", s.segments.size()},
                  {"trace_entries", entries},
                  {"allocator_conf", s.alloc_conf},
                  {"expandable_segments", s.expandable_setting ? Json(*s.expandable_setting) : Json()},
                  {"problems", problems}}},
                {"devices", devs}};
  r.findings = memory_findings(s, a);
  r.notes.push_back(
      "Frames: innermost first; frames inside torch (…/torch/…), native C/C++ frames and the memory viz's "
      "omitted frames are hidden when the stack has any other frame");
  r.notes.push_back(
      "Peak: device_traces replayed (alloc +size, free_completed −size) and anchored at the snapshot's state, "
      "so a trace whose oldest entries were dropped still gives absolute values");
  return r;
}

}  // namespace infertune::trace
