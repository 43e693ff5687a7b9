#include "trace/trace_report.h"

#include <fmt/format.h>

#include <functional>
#include <string>

#include "base/units.h"
#include "trace/analyses/analyses.h"
#include "trace/analyses/op_groups.h"
#include "trace/format.h"
#include "trace/model.h"
#include "trace/op_group_report.h"
#include "trace/trace_charts.h"

namespace infertune::trace {

namespace {

std::string share_of(int64_t part, int64_t whole) {
  if (whole <= 0) return "n/a";
  return percent(static_cast<double>(part) / static_cast<double>(whole));
}

std::string shorten(const std::string& s, size_t n) {
  if (s.size() <= n) return s;
  size_t cut = n - 1;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 sequence
  return s.substr(0, cut) + "…";
}

std::string bytes_text(uint64_t b) {
  return fmt::format("{} bytes ({:.1f} MiB)", b, static_cast<double>(b) / 1048576.0);
}

Section summary_section(const Trace& t, const Model& m) {
  Section s{"Trace", {}};
  s.rows.push_back({"File", t.path});
  s.rows.push_back({"Size", bytes_text(t.file_bytes) + (t.gzip ? ", gzip; JSON " + bytes_text(t.json_bytes) : "")});
  const ReadStats& st = t.stats;
  s.rows.push_back({"Events", fmt::format("{} read, {} kept, {} metadata, {} skipped", st.events_seen, st.events_kept,
                                          st.metadata_events, st.skipped_total())});
  std::string skipped;
  if (st.malformed) skipped += fmt::format("{} malformed; ", st.malformed);
  if (st.invalid_utf8) skipped += fmt::format("{} invalid UTF-8; ", st.invalid_utf8);
  if (st.other_phases) skipped += fmt::format("{} other instant/flow/counter events; ", st.other_phases);
  for (const auto& [cat, n] : st.skipped_categories) skipped += fmt::format("{} '{}'; ", n, cat);
  if (!skipped.empty()) s.rows.push_back({"Skipped (not analysed)", skipped.substr(0, skipped.size() - 2)});
  if (st.large_integers) {
    s.rows.push_back({"Integers beyond int64", fmt::format("{} events (those values ignored)", st.large_integers)});
  }
  if (st.out_of_range) {
    s.rows.push_back({"Values beyond their field", fmt::format("{} events (ids beyond int32, streams beyond int16 …: "
                                                               "those values ignored)",
                                                               st.out_of_range)});
  }
  std::string devs;
  for (const DeviceInfo& d : t.devices) {
    if (!devs.empty()) devs += "\n";
    devs += fmt::format("{}: {}", d.id, d.name.empty() ? "(no name)" : d.name);
    if (d.num_sms > 0) devs += fmt::format(", {} SMs", d.num_sms);
    if (d.compute_major >= 0) devs += fmt::format(", sm_{}{}", d.compute_major, d.compute_minor);
  }
  s.rows.push_back({"Devices (properties)", devs.empty() ? "none listed in the trace" : devs});
  std::string active;
  for (int32_t d : m.devices) active += (active.empty() ? "" : ", ") + std::to_string(d);
  s.rows.push_back(
      {"GPU activity", m.activities.empty()
                           ? std::string("none")
                           : fmt::format("{} kernels, {} memcpy, {} memset on device(s) {} over {} stream(s)",
                                         m.kernels, m.memcpys, m.memsets, active, m.streams.size())});
  if (!m.activities.empty()) {
    s.rows.push_back(
        {"Launch links", fmt::format("{} of {} GPU activities have their launch call in the trace (correlation id); "
                                     "{} are attributed to an operator (External id)",
                                     m.linked_activities, m.activities.size(), m.activities_with_op)});
  }
  if (m.steps.empty()) {
    s.rows.push_back({"Profiler steps", "none (no ProfilerStep#N annotation)"});
  } else {
    s.rows.push_back({"Profiler steps",
                      fmt::format("{} (#{} to #{})", m.steps.size(), m.steps.front().number, m.steps.back().number)});
  }
  s.rows.push_back({"Span", duration(m.last_ns - m.first_ns) + " (first to last kept event)"});
  if (t.base_time_ns) s.rows.push_back({"Base time", fmt::format("{} ns since the epoch", *t.base_time_ns)});
  return s;
}

Section timeline_section(const TimelineResult& tl) {
  Section s{"GPU timeline", {}};
  if (!tl.why_not.empty()) {
    s.rows.push_back({"Not available", tl.why_not});
    return s;
  }
  for (const GpuTimeline& g : tl.devices) {
    std::string p = tl.devices.size() > 1 ? fmt::format("GPU {} ", g.device) : std::string();
    if (g.activities == 0) {
      s.rows.push_back(
          {p + "Not available",
           fmt::format("none of the {} GPU activities has its launch call in the trace", g.activities_unlinked)});
      continue;
    }
    s.rows.push_back({p + "Total", ms(g.total_ns) + " (first to last GPU activity)"});
    s.rows.push_back({p + "Busy", ms(g.busy_ns) + " (" + share_of(g.busy_ns, g.total_ns) + ", union over streams)"});
    s.rows.push_back({p + "Idle", ms(g.idle_ns) + " (" + share_of(g.idle_ns, g.total_ns) + ")"});
    s.rows.push_back({p + "Computation", ms(g.computation_ns) + " (" + share_of(g.computation_ns, g.total_ns) + ")"});
    s.rows.push_back({p + "Exposed communication", ms(g.exposed_comm_ns) + " (" +
                                                       share_of(g.exposed_comm_ns, g.total_ns) + "; total " +
                                                       ms(g.total_comm_ns) + ")"});
    s.rows.push_back({p + "Exposed memcpy", ms(g.exposed_memcpy_ns) + " (" + share_of(g.exposed_memcpy_ns, g.total_ns) +
                                                "; total " + ms(g.total_memcpy_ns) + ")"});
    if (g.gaps) {
      s.rows.push_back(
          {p + "Idle gaps", fmt::format("{}; largest {}; host-wait {} in {} gaps", g.gaps, duration(g.largest_gap_ns),
                                        ms(g.host_wait_ns), g.host_wait_gaps)});
    }
    if (g.activities_unlinked) {
      s.rows.push_back(
          {p + "Left out", fmt::format("{} activities whose launch call is not in the trace", g.activities_unlinked)});
    }
  }
  return s;
}

std::string stats_text(const DurationStats& d, int64_t busy) {
  return fmt::format("{}× total {} · mean {} · min {} · max {} · {} of GPU busy", d.count, duration(d.total_ns),
                     duration(d.mean_ns()), duration(d.min_ns), duration(d.max_ns), share_of(d.total_ns, busy));
}

Section top_kernels_section(const KernelSummary& ks, size_t top) {
  Section s{"Top kernels (by total GPU time)", {}};
  if (!ks.why_not.empty()) {
    s.rows.push_back({"Not available", ks.why_not});
    return s;
  }
  for (size_t i = 0; i < ks.kernels.size() && i < top; ++i) {
    const KernelRow& k = ks.kernels[i];
    std::string v = std::string("[") + kernel_class_name(k.cls) + "] " + stats_text(k.stats, ks.gpu_busy_ns);
    if (k.mean_occupancy_pct >= 0) v += fmt::format(" · est. occupancy {:.0f} %", k.mean_occupancy_pct);
    s.rows.push_back({shorten(k.name, 60), v});
  }
  if (ks.kernels.size() > top) {
    s.rows.push_back({"(more)", fmt::format("{} more names; --top N shows more", ks.kernels.size() - top)});
  }
  return s;
}

Section classes_section(const KernelSummary& ks) {
  Section s{"Kernel classes", {}};
  if (!ks.why_not.empty()) {
    s.rows.push_back({"Not available", ks.why_not});
    return s;
  }
  for (const ClassRow& c : ks.classes)
    s.rows.push_back({kernel_class_name(c.cls), stats_text(c.stats, ks.gpu_busy_ns)});
  return s;
}

std::string idle_split_text(const IdleSplit& s) {
  std::string out;
  for (size_t c = 0; c < kIdleCauses; ++c) {
    if (s.ns[c] == 0) continue;
    out +=
        (out.empty() ? "" : " · ") + std::string(idle_cause_key(static_cast<IdleCause>(c))) + " " + duration(s.ns[c]);
  }
  return out.empty() ? "none" : out;
}

Section idle_section(const TimelineResult& tl) {
  Section s{"GPU idle by cause", {}};
  if (!tl.why_not.empty()) {
    s.rows.push_back({"Not available", tl.why_not});
    return s;
  }
  for (const GpuTimeline& g : tl.devices) {
    if (g.activities == 0) continue;
    std::string p = tl.devices.size() > 1 ? fmt::format("GPU {} ", g.device) : std::string();
    s.rows.push_back({p + "Idle", ms(g.idle_ns) + " of " + ms(g.total_ns) + " (" + share_of(g.idle_ns, g.total_ns) +
                                      ") in " + std::to_string(g.gaps) + " gaps"});
    for (size_t c = 0; c < kIdleCauses; ++c) {
      auto cause = static_cast<IdleCause>(c);
      s.rows.push_back(
          {p + idle_cause_name(cause), fmt::format("{} ({} of idle, {} of the window) · {} gaps",
                                                   ms(g.idle_split.ns[c]), share_of(g.idle_split.ns[c], g.idle_ns),
                                                   share_of(g.idle_split.ns[c], g.total_ns), g.idle_split.gaps[c])});
    }
  }
  return s;
}

std::string step_text(const StepRow& r) {
  return fmt::format("{} · GPU busy {} ({}) · idle {}: {} · {} kernels, {} memcpy, {} memset, {} launch calls",
                     ms(r.wall_ns()), ms(r.busy_ns), share_of(r.busy_ns, r.wall_ns()), ms(r.idle_ns),
                     idle_split_text(r.idle), r.kernels, r.memcpys, r.memsets, r.launch_calls);
}

Section steps_section(const StepsResult& st, size_t top) {
  Section s{"Steps (ProfilerStep#N)", {}};
  if (!st.why_not.empty()) {
    s.rows.push_back({"Not available", st.why_not});
    return s;
  }
  s.rows.push_back(
      {"Steps", fmt::format("{} · mean {} · median {}", st.steps.size(), ms(st.mean_wall_ns), ms(st.median_wall_ns))});
  std::string slow;
  for (size_t i = 0; i < st.slowest.size() && i < 5; ++i) {
    const StepRow& r = st.steps[st.slowest[i]];
    slow += (slow.empty() ? "" : ", ") + fmt::format("#{} ({})", r.number, ms(r.wall_ns()));
  }
  s.rows.push_back({"Slowest", slow});
  if (st.steps.size() <= top) {
    for (const StepRow& r : st.steps) s.rows.push_back({fmt::format("#{}", r.number), step_text(r)});
  } else {
    for (size_t i = 0; i < top; ++i) {
      const StepRow& r = st.steps[st.slowest[i]];
      s.rows.push_back({fmt::format("#{}", r.number), step_text(r)});
    }
    s.rows.push_back({"(more)", fmt::format("{} more steps; --top N shows more", st.steps.size() - top)});
  }
  return s;
}

Section breakdown_section(const StepsResult& st, size_t top) {
  Section s{"Step breakdown (TensorBoard profiler plugin)", {}};
  if (!st.why_not.empty()) {
    s.rows.push_back({"Not available", st.why_not});
    return s;
  }
  auto text = [](const int64_t* parts, int64_t wall) {
    std::string out;
    for (size_t k = 0; k < kTbParts; ++k) {
      out += (out.empty() ? "" : " · ") + fmt::format("{} {} ({})", tb_part_name(static_cast<TbPart>(k)),
                                                      duration(parts[k]), share_of(parts[k], wall));
    }
    return out;
  };
  int64_t mean_wall = 0;
  for (int64_t v : st.tb_mean_ns) mean_wall += v;
  s.rows.push_back({"Average", text(st.tb_mean_ns, mean_wall)});
  s.rows.push_back({"GPU utilization", share_of(st.tb_mean_ns[0], mean_wall) + " (kernel time of the step time)"});
  for (size_t i = 0; i < st.steps.size() && i < top; ++i) {
    const StepRow& r = st.steps[i];
    s.rows.push_back({fmt::format("#{}", r.number), text(r.tb_ns, r.wall_ns())});
  }
  return s;
}

Section launch_section(const LaunchStats& l) {
  Section s{"Launch overhead", {}};
  if (!l.why_not.empty()) {
    s.rows.push_back({"Not available", l.why_not});
    return s;
  }
  s.rows.push_back({"Launch calls", fmt::format("{} kernel/graph launch calls, {} of host time (median {})",
                                                l.launch_calls, ms(l.launch_api_ns), duration(l.median_launch_ns))});
  s.rows.push_back({"Kernels", fmt::format("{} with their launch call, {} of GPU time (median {})", l.kernels,
                                           ms(l.kernel_ns), duration(l.median_kernel_ns))});
  s.rows.push_back({"Shorter than launch",
                    fmt::format("{} kernels ran shorter than the call that launched them", l.shorter_than_launch)});
  s.rows.push_back(
      {"Tiny kernels", fmt::format("{} under 10 µs, {} of GPU time", l.tiny_kernels, ms(l.tiny_kernel_ns))});
  s.rows.push_back(
      {"Launch delay", fmt::format("kernel start − launch call start: p50 {} · p90 {} · max {}",
                                   duration(l.delay_p50_ns), duration(l.delay_p90_ns), duration(l.delay_max_ns))});
  s.rows.push_back(
      {"CUDA graphs",
       fmt::format("{} graph launches; {} of {} kernels ({}) from graphs", l.graph_launches, l.graph_kernels, l.kernels,
                   share_of(static_cast<int64_t>(l.graph_kernels), static_cast<int64_t>(l.kernels)))});
  return s;
}

Section syncs_section(const SyncStats& sy, size_t top) {
  Section s{"Synchronisations", {}};
  if (sy.calls == 0) {
    s.rows.push_back({"Calls", "none (no …Synchronize or blocking memcpy call)"});
    return s;
  }
  s.rows.push_back({"Calls", fmt::format("{} · host blocked {} · GPU idle after them {}", sy.calls, ms(sy.host_ns),
                                         ms(sy.gpu_idle_ns))});
  for (size_t i = 0; i < sy.callers.size() && i < top; ++i) {
    const SyncCaller& c = sy.callers[i];
    s.rows.push_back({shorten(c.call + " ← " + c.op, 70),
                      fmt::format("{}× · host {} · GPU idle {}{}", c.calls, duration(c.host_ns),
                                  duration(c.gpu_idle_ns), c.python.empty() ? "" : " · " + shorten(c.python, 80))});
  }
  if (sy.callers.size() > top) s.rows.push_back({"(more)", fmt::format("{} more callers", sy.callers.size() - top)});
  return s;
}

Section copies_section(const CopyStats& c, size_t top) {
  Section s{"Copies and memsets", {}};
  if (!c.why_not.empty()) {
    s.rows.push_back({"Not available", c.why_not});
    return s;
  }
  for (const CopyRow& r : c.rows) {
    std::string bw = r.gb_per_s() > 0 ? " · " + gbps(r.gb_per_s()) : std::string();
    s.rows.push_back({r.name, fmt::format("{}× · {} bytes · {}{} · {} under 64 KiB", r.count, r.bytes,
                                          duration(r.total_ns), bw, r.small)});
  }
  if (c.pageable_count) {
    s.rows.push_back({"Pageable", fmt::format("{} copies, {} bytes, {} (host memory not pinned)", c.pageable_count,
                                              c.pageable_bytes, duration(c.pageable_ns))});
  }
  for (size_t i = 0; i < c.by_op.size() && i < std::min<size_t>(top, 5); ++i) {
    const CopyOpRow& o = c.by_op[i];
    s.rows.push_back({"memcpy from " + shorten(o.op, 50), fmt::format("{}× ({} under 64 KiB) · {} bytes · {}", o.count,
                                                                      o.small, o.bytes, duration(o.total_ns))});
  }
  return s;
}

// PyTorch's memory columns of key_averages().table(): CPU Mem, Self CPU Mem, CUDA Mem, Self CUDA Mem.
std::string mem_columns_text(const OpRow& o) {
  auto b = [](int64_t v) { return units::bytes(static_cast<double>(v)); };
  return fmt::format(" · CPU Mem {} · self {} · CUDA Mem {} · self {}", b(o.cpu_mem), b(o.cpu_mem_self), b(o.cuda_mem),
                     b(o.cuda_mem_self));
}

std::string mem_kind(const DeviceMemory& d) {
  if (d.device_type == 1) return fmt::format("CUDA {}", d.device_id);
  if (d.device_type == 6) return fmt::format("HIP {}", d.device_id);
  if (d.device_type == 20) return fmt::format("PrivateUse1 {}", d.device_id);
  if (is_cpu_memory(d.device_type)) return "CPU";
  return fmt::format("device type {} id {}", d.device_type, d.device_id);
}

std::string mib(int64_t b) { return units::bytes(static_cast<double>(b)); }

Section memory_section(const MemoryTimeline& mt, const Model& m, size_t top) {
  Section s{"Memory ([memory] allocator events)", {}};
  if (!mt.why_not.empty()) {
    s.rows.push_back({"Not available", mt.why_not});
    return s;
  }
  s.rows.push_back({"Events", fmt::format("{} [memory] events; {} outside any operator on their thread", mt.events,
                                          mt.unattributed)});
  auto at = [&](int64_t ts) { return "at " + ms(ts - m.first_ns); };
  for (const DeviceMemory& d : mt.devices) {
    const std::string p = mem_kind(d) + " ";
    std::string peak =
        mib(d.peak_allocated) + fmt::format(" ({} bytes) ", d.peak_allocated) + at(d.peak_allocated_ts_ns);
    if (d.allocated_reconstructed) peak += " (running sum of Bytes: relative to the trace start, no totals in it)";
    s.rows.push_back({p + "peak allocated", peak});
    if (d.has_reserved) {
      std::string r = mib(d.peak_reserved) + fmt::format(" ({} bytes) ", d.peak_reserved) + at(d.peak_reserved_ts_ns);
      if (d.total_memory_bytes > 0) {
        r += fmt::format("; {} of the device's {}", share_of(d.peak_reserved, d.total_memory_bytes),
                         mib(d.total_memory_bytes));
      }
      s.rows.push_back({p + "peak reserved", r});
      s.rows.push_back({p + "reserved − allocated",
                        fmt::format("largest {} {}; peak reserved − peak allocated {} ({} of peak reserved)",
                                    mib(d.max_unused_reserved), at(d.max_unused_reserved_ts_ns),
                                    mib(d.reserved_overhead()), share_of(d.reserved_overhead(), d.peak_reserved))});
      s.rows.push_back({p + "segments",
                        fmt::format("reserved grew {}× (+{}), released {}× (−{})", d.reserved_growths,
                                    mib(d.reserved_grown_bytes), d.reserved_releases, mib(d.reserved_released_bytes))});
    } else if (d.accelerator && d.total_memory_bytes > 0) {
      s.rows.push_back({p + "device memory", mib(d.total_memory_bytes)});
    }
    s.rows.push_back(
        {p + "allocator", fmt::format("{} allocations ({}), {} frees ({}); lowest allocated {}", d.allocs,
                                      mib(d.allocated_bytes), d.frees, mib(d.freed_bytes), mib(d.min_allocated))});
  }
  if (!mt.steps.empty()) {
    uint64_t allocs = 0, frees = 0, grew = 0, released = 0;
    int64_t bytes = 0;
    for (const MemoryStep& st : mt.steps) {
      allocs += st.allocs;
      frees += st.frees;
      bytes += st.allocated_bytes;
      grew += st.reserved_growths > 0 ? 1 : 0;
      released += st.reserved_releases > 0 ? 1 : 0;
    }
    const auto n = static_cast<int64_t>(mt.steps.size());
    s.rows.push_back({"Per step (GPU memory)",
                      fmt::format("mean {} allocations, {} frees, {} allocated per step; reserved grew in {} and "
                                  "was released in {} of {} steps",
                                  static_cast<int64_t>(allocs) / n, static_cast<int64_t>(frees) / n, mib(bytes / n),
                                  grew, released, n)});
  }
  s.rows.push_back({"Allocator driver calls", fmt::format("{} cudaMalloc/cudaFree-family calls, {} of host time",
                                                          mt.alloc_api_calls, duration(mt.alloc_api_ns))});
  const std::string what = mt.top_ops_cpu ? "CPU" : "GPU";
  for (size_t i = 0; i < mt.top_ops.size() && i < top; ++i) {
    const AllocatingOp& o = mt.top_ops[i];
    s.rows.push_back({shorten(o.op, 50), fmt::format("{} {} allocations, {}; {} frees, {}", o.allocs, what,
                                                     mib(o.bytes), o.frees, mib(o.freed_bytes))});
  }
  if (mt.top_ops.size() > top) {
    s.rows.push_back({"(more)", fmt::format("{} more operators", mt.top_ops.size() - top)});
  }
  return s;
}

Json memory_json(const MemoryTimeline& mt, size_t top) {
  if (!mt.why_not.empty()) return Json{{"not_available", mt.why_not}};
  auto opt = [](bool known, int64_t v) { return known ? Json(v) : Json(); };
  Json devs = Json::array();
  for (const DeviceMemory& d : mt.devices) {
    devs.push_back({{"device_type", d.device_type},
                    {"device_id", d.device_id},
                    {"kind", d.accelerator ? "cuda" : (is_cpu_memory(d.device_type) ? "cpu" : "other")},
                    {"allocs", d.allocs},
                    {"frees", d.frees},
                    {"allocated_bytes", d.allocated_bytes},
                    {"freed_bytes", d.freed_bytes},
                    {"peak_allocated", d.peak_allocated},
                    {"peak_allocated_ts_ns", d.peak_allocated_ts_ns},
                    {"allocated_reconstructed", d.allocated_reconstructed},
                    {"min_allocated", d.min_allocated},
                    {"peak_reserved", opt(d.has_reserved, d.peak_reserved)},
                    {"peak_reserved_ts_ns", opt(d.has_reserved, d.peak_reserved_ts_ns)},
                    {"max_unused_reserved", opt(d.has_reserved, d.max_unused_reserved)},
                    {"max_unused_reserved_ts_ns", opt(d.has_reserved, d.max_unused_reserved_ts_ns)},
                    {"reserved_overhead", opt(d.has_reserved, d.reserved_overhead())},
                    {"reserved_growths", d.reserved_growths},
                    {"reserved_grown_bytes", d.reserved_grown_bytes},
                    {"reserved_releases", d.reserved_releases},
                    {"reserved_released_bytes", d.reserved_released_bytes},
                    {"total_memory_bytes", opt(d.total_memory_bytes > 0, d.total_memory_bytes)},
                    {"first_ts_ns", d.first_ts_ns},
                    {"last_ts_ns", d.last_ts_ns},
                    {"points", d.curve.size()}});
  }
  Json ops = Json::array();
  for (size_t i = 0; i < mt.top_ops.size() && i < top; ++i) {
    const AllocatingOp& o = mt.top_ops[i];
    ops.push_back(
        {{"op", o.op}, {"allocs", o.allocs}, {"bytes", o.bytes}, {"frees", o.frees}, {"freed_bytes", o.freed_bytes}});
  }
  Json steps = Json::array();
  for (const MemoryStep& st : mt.steps) {
    steps.push_back({{"number", st.number},
                     {"allocs", st.allocs},
                     {"frees", st.frees},
                     {"allocated_bytes", st.allocated_bytes},
                     {"reserved_growths", st.reserved_growths},
                     {"reserved_releases", st.reserved_releases}});
  }
  return Json{{"events", mt.events},
              {"unattributed", mt.unattributed},
              {"alloc_api_calls", mt.alloc_api_calls},
              {"alloc_api_ns", mt.alloc_api_ns},
              {"devices", devs},
              {"top_ops_device", mt.top_ops_cpu ? "cpu" : "cuda"},
              {"top_ops", ops},
              {"steps", steps}};
}

Section ops_section(const OpTable& ot, size_t top, const std::string& sort) {
  Section s{"CPU operators (by " + sort + ")", {}};
  if (!ot.why_not.empty()) {
    s.rows.push_back({"Not available", ot.why_not});
    return s;
  }
  for (size_t i = 0; i < ot.ops.size() && i < top; ++i) {
    const OpRow& o = ot.ops[i];
    std::string v =
        fmt::format("{}× · CPU total {} · self {} · CUDA total {} · self {}", o.calls, duration(o.cpu_total_ns),
                    duration(o.cpu_self_ns), duration(o.cuda_total_ns), duration(o.cuda_self_ns));
    if (ot.has_memory) v += mem_columns_text(o);
    s.rows.push_back({shorten(o.name, 50), v});
  }
  if (ot.ops.size() > top) s.rows.push_back({"(more)", fmt::format("{} more operators", ot.ops.size() - top)});
  return s;
}

Section modules_section(const OpTable& ot, size_t top) {
  Section s{"By nn.Module (innermost module around each operator)", {}};
  if (ot.modules.empty()) {
    s.rows.push_back({"Not available", "no nn.Module frames (profile with with_stack=True)"});
    return s;
  }
  for (size_t i = 0; i < ot.modules.size() && i < top; ++i) {
    const ModuleRow& mr = ot.modules[i];
    s.rows.push_back({shorten(mr.module, 50), fmt::format("{} calls · CPU self {} · CUDA self {}", mr.instances,
                                                          duration(mr.cpu_self_ns), duration(mr.cuda_self_ns))});
  }
  if (ot.modules.size() > top) s.rows.push_back({"(more)", fmt::format("{} more modules", ot.modules.size() - top)});
  return s;
}

Json split_json(const IdleSplit& s) {
  Json j = Json::object();
  for (size_t c = 0; c < kIdleCauses; ++c) {
    j[idle_cause_key(static_cast<IdleCause>(c))] = {{"ns", s.ns[c]}, {"gaps", s.gaps[c]}};
  }
  return j;
}

Json tb_json(const int64_t* parts) {
  Json j = Json::object();
  for (size_t k = 0; k < kTbParts; ++k) j[tb_part_name(static_cast<TbPart>(k))] = parts[k];
  return j;
}

void add_host_json(Json& j, const std::function<bool(const char*)>& sel, const StepsResult& st, const LaunchStats& l,
                   const SyncStats& sy, const CopyStats& c, const OpTable& ot, size_t top) {
  if (sel("steps") || sel("breakdown")) {
    if (!st.why_not.empty()) {
      j["steps"] = {{"not_available", st.why_not}};
    } else {
      Json rows = Json::array();
      for (const StepRow& r : st.steps) {
        rows.push_back({{"number", r.number},
                        {"cpu_start_ns", r.cpu_start_ns},
                        {"cpu_end_ns", r.cpu_end_ns},
                        {"start_ns", r.start_ns},
                        {"end_ns", r.end_ns},
                        {"wall_ns", r.wall_ns()},
                        {"busy_ns", r.busy_ns},
                        {"idle_ns", r.idle_ns},
                        {"idle_by_cause", split_json(r.idle)},
                        {"kernels", r.kernels},
                        {"memcpys", r.memcpys},
                        {"memsets", r.memsets},
                        {"kernel_sum_ns", r.kernel_sum_ns},
                        {"launch_calls", r.launch_calls},
                        {"breakdown_ns", tb_json(r.tb_ns)}});
      }
      Json slow = Json::array();
      for (size_t i : st.slowest) slow.push_back(st.steps[i].number);
      j["steps"] = {{"mean_wall_ns", st.mean_wall_ns},
                    {"breakdown_mean_ns", tb_json(st.tb_mean_ns)},
                    {"median_wall_ns", st.median_wall_ns},
                    {"slowest", slow},
                    {"steps", rows}};
    }
  }
  if (sel("launch")) {
    if (!l.why_not.empty()) {
      j["launch"] = {{"not_available", l.why_not}};
    } else {
      j["launch"] = {{"launch_calls", l.launch_calls},
                     {"launch_api_ns", l.launch_api_ns},
                     {"graph_launches", l.graph_launches},
                     {"kernels", l.kernels},
                     {"kernel_ns", l.kernel_ns},
                     {"graph_kernels", l.graph_kernels},
                     {"shorter_than_launch", l.shorter_than_launch},
                     {"tiny_kernels", l.tiny_kernels},
                     {"tiny_kernel_ns", l.tiny_kernel_ns},
                     {"median_kernel_ns", l.median_kernel_ns},
                     {"median_launch_ns", l.median_launch_ns},
                     {"delay_p50_ns", l.delay_p50_ns},
                     {"delay_p90_ns", l.delay_p90_ns},
                     {"delay_max_ns", l.delay_max_ns}};
    }
  }
  if (sel("syncs")) {
    Json callers = Json::array();
    for (size_t i = 0; i < sy.callers.size() && i < top; ++i) {
      const SyncCaller& cl = sy.callers[i];
      callers.push_back({{"call", cl.call},
                         {"op", cl.op},
                         {"python", cl.python},
                         {"calls", cl.calls},
                         {"host_ns", cl.host_ns},
                         {"gpu_idle_ns", cl.gpu_idle_ns}});
    }
    j["syncs"] = {{"calls", sy.calls}, {"host_ns", sy.host_ns}, {"gpu_idle_ns", sy.gpu_idle_ns}, {"callers", callers}};
  }
  if (sel("copies")) {
    if (!c.why_not.empty()) {
      j["copies"] = {{"not_available", c.why_not}};
    } else {
      Json rows = Json::array();
      for (const CopyRow& r : c.rows) {
        rows.push_back({{"name", r.name},
                        {"direction", r.direction},
                        {"pageable", r.pageable},
                        {"count", r.count},
                        {"bytes", r.bytes},
                        {"total_ns", r.total_ns},
                        {"small", r.small},
                        {"gb_per_s", r.gb_per_s()}});
      }
      Json ops = Json::array();
      for (size_t i = 0; i < c.by_op.size() && i < top; ++i) {
        const CopyOpRow& o = c.by_op[i];
        ops.push_back(
            {{"op", o.op}, {"count", o.count}, {"small", o.small}, {"bytes", o.bytes}, {"total_ns", o.total_ns}});
      }
      j["copies"] = {{"rows", rows},
                     {"by_op", ops},
                     {"pageable_count", c.pageable_count},
                     {"pageable_bytes", c.pageable_bytes},
                     {"pageable_ns", c.pageable_ns}};
    }
  }
  if (sel("ops")) {
    if (!ot.why_not.empty()) {
      j["ops"] = {{"not_available", ot.why_not}};
    } else {
      Json rows = Json::array();
      for (size_t i = 0; i < ot.ops.size() && i < top; ++i) {
        const OpRow& o = ot.ops[i];
        rows.push_back({{"name", o.name},
                        {"calls", o.calls},
                        {"cpu_total_ns", o.cpu_total_ns},
                        {"cpu_self_ns", o.cpu_self_ns},
                        {"cuda_total_ns", o.cuda_total_ns},
                        {"cuda_self_ns", o.cuda_self_ns}});
        if (ot.has_memory) {
          rows.back()["cpu_memory_usage"] = o.cpu_mem;
          rows.back()["self_cpu_memory_usage"] = o.cpu_mem_self;
          rows.back()["cuda_memory_usage"] = o.cuda_mem;
          rows.back()["self_cuda_memory_usage"] = o.cuda_mem_self;
        }
      }
      j["ops"] = {{"count", ot.ops.size()}, {"top", rows}};
    }
  }
  if (sel("modules")) {
    Json rows = Json::array();
    for (size_t i = 0; i < ot.modules.size() && i < top; ++i) {
      const ModuleRow& mr = ot.modules[i];
      rows.push_back({{"module", mr.module},
                      {"instances", mr.instances},
                      {"cpu_self_ns", mr.cpu_self_ns},
                      {"cuda_self_ns", mr.cuda_self_ns}});
    }
    j["modules"] = rows;
  }
}

Json stats_json(const DurationStats& d) {
  return Json{{"count", d.count},
              {"total_ns", d.total_ns},
              {"mean_ns", d.mean_ns()},
              {"min_ns", d.min_ns},
              {"max_ns", d.max_ns}};
}

Json data_json(const Trace& t, const Model& m, const TimelineResult& tl, const KernelSummary& ks, size_t top) {
  Json j;
  const ReadStats& st = t.stats;
  Json skipped_cats = Json::object();
  for (const auto& [cat, n] : st.skipped_categories) skipped_cats[cat] = n;
  j["trace"] = {{"file", t.path},
                {"file_bytes", t.file_bytes},
                {"json_bytes", t.json_bytes},
                {"gzip", t.gzip},
                {"base_time_ns", t.base_time_ns ? Json(*t.base_time_ns) : Json()},
                {"display_time_unit", t.display_time_unit},
                {"events_seen", st.events_seen},
                {"events_kept", st.events_kept},
                {"metadata_events", st.metadata_events},
                {"skipped",
                 {{"malformed", st.malformed},
                  {"invalid_utf8", st.invalid_utf8},
                  {"other_phases", st.other_phases},
                  {"categories", skipped_cats}}},
                {"large_integers", st.large_integers},
                {"kernels", m.kernels},
                {"memcpys", m.memcpys},
                {"memsets", m.memsets},
                {"linked_activities", m.linked_activities},
                {"steps", m.steps.size()},
                {"span_ns", m.last_ns - m.first_ns}};
  if (st.out_of_range) j["trace"]["out_of_range"] = st.out_of_range;
  Json tj = Json::array();
  for (const GpuTimeline& g : tl.devices) {
    tj.push_back({{"device", g.device},
                  {"activities", g.activities},
                  {"activities_unlinked", g.activities_unlinked},
                  {"total_ns", g.total_ns},
                  {"busy_ns", g.busy_ns},
                  {"idle_ns", g.idle_ns},
                  {"computation_ns", g.computation_ns},
                  {"exposed_comm_ns", g.exposed_comm_ns},
                  {"exposed_memcpy_ns", g.exposed_memcpy_ns},
                  {"total_comm_ns", g.total_comm_ns},
                  {"total_memcpy_ns", g.total_memcpy_ns},
                  {"gaps", g.gaps},
                  {"largest_gap_ns", g.largest_gap_ns},
                  {"host_wait_ns", g.host_wait_ns},
                  {"idle_by_cause", split_json(g.idle_split)}});
  }
  j["gpu_timeline"] = tl.why_not.empty() ? tj : Json{{"not_available", tl.why_not}};
  Json kj = Json::array();
  for (size_t i = 0; i < ks.kernels.size() && i < top; ++i) {
    Json row = {{"name", ks.kernels[i].name}, {"class", kernel_class_name(ks.kernels[i].cls)}};
    row.update(stats_json(ks.kernels[i].stats));
    if (ks.kernels[i].mean_occupancy_pct >= 0) row["mean_occupancy_pct"] = ks.kernels[i].mean_occupancy_pct;
    kj.push_back(row);
  }
  Json cj = Json::array();
  for (const ClassRow& c : ks.classes) {
    Json row = {{"class", kernel_class_name(c.cls)}};
    row.update(stats_json(c.stats));
    cj.push_back(row);
  }
  if (ks.why_not.empty()) {
    j["kernels"] = {{"gpu_busy_ns", ks.gpu_busy_ns}, {"top", kj}, {"classes", cj}};
  } else {
    j["kernels"] = {{"not_available", ks.why_not}};
  }
  return j;
}

}  // namespace

const std::vector<std::string>& trace_section_names() {
  static const std::vector<std::string> names = {"timeline", "steps", "breakdown", "idle",    "launch", "syncs",
                                                 "copies",   "ops",   "modules",   "kernels", "memory"};
  return names;
}

std::vector<Finding> trace_file_findings(const Trace& t) {
  TraceAnalyses a(t);
  return trace_findings(a.m, a.set());
}

Report trace_report(const Trace& t, const TraceReportOptions& o) {
  TraceAnalyses a(t);
  const Model& m = a.m;
  const TimelineResult& tl = a.tl;
  const KernelSummary& ks = a.ks;
  const StepsResult& st = a.st;
  const LaunchStats& ls = a.ls;
  const SyncStats& sy = a.sy;
  const CopyStats& cs = a.cs;
  const std::vector<uint32_t>& owners = a.owners;
  const MemoryTimeline& mt = a.mt;
  OpSort sort = OpSort::kCudaTotal;
  parse_op_sort(o.sort, sort);
  std::function<bool(const char*)> sel = [&](const char* name) {
    return o.sections.empty() || o.sections.count(name) > 0;
  };
  OpGroupBy group_by = OpGroupBy::kName;
  parse_op_group_by(o.group_by, group_by);
  OpGroupKeysResult group_keys;
  if (group_by != OpGroupBy::kName && sel("ops")) group_keys = op_group_keys(m, group_by, o.stack_depth);
  const bool grouped = group_by != OpGroupBy::kName && group_keys.why_not.empty();
  OpTable ot;
  if (sel("ops") || sel("modules")) ot = op_table(m, sort, grouped ? &group_keys.keys : nullptr, &owners);
  Report r;
  r.command = "trace analyze";
  r.subject = "trace " + t.path;
  r.sections.push_back(summary_section(t, m));
  if (sel("timeline")) r.sections.push_back(timeline_section(tl));
  if (sel("idle")) r.sections.push_back(idle_section(tl));
  if (sel("steps")) r.sections.push_back(steps_section(st, o.top));
  if (sel("breakdown")) r.sections.push_back(breakdown_section(st, o.top));
  if (sel("launch")) r.sections.push_back(launch_section(ls));
  if (sel("syncs")) r.sections.push_back(syncs_section(sy, o.top));
  if (sel("copies")) r.sections.push_back(copies_section(cs, o.top));
  if (sel("ops")) {
    r.sections.push_back(group_by == OpGroupBy::kName ? ops_section(ot, o.top, o.sort)
                                                      : grouped_ops_section(ot, group_keys, group_by, o.top, o.sort));
  }
  if (sel("modules")) r.sections.push_back(modules_section(ot, o.top));
  if (sel("kernels")) {
    r.sections.push_back(top_kernels_section(ks, o.top));
    r.sections.push_back(classes_section(ks));
  }
  if (sel("memory")) r.sections.push_back(memory_section(mt, m, o.top));
  r.findings = trace_findings(m, a.set());
  if (t.display_time_unit == "ns") {
    r.notes.push_back("displayTimeUnit \"ns\" is a viewer hint: ts/dur are microseconds in every Kineto trace");
  }
  r.notes.push_back(
      "GPU timeline after TraceLens' definitions: activities whose launch call is not in the trace are left out; "
      "memsets count as computation");
  add_trace_charts(r, m, ks, sel("ops") ? &ot : nullptr, sel, o.top, &mt);  // drawn by --format html
  r.data = data_json(t, m, tl, ks, o.top);
  add_host_json(*r.data, sel, st, ls, sy, cs, ot, o.top);
  if (group_by != OpGroupBy::kName && sel("ops")) {
    (*r.data)["ops"] = grouped_ops_json(ot, group_keys, group_by, o.stack_depth, o.top);
    if (!group_keys.why_not.empty()) r.notes.push_back(group_keys.why_not);
  }
  if (sel("memory")) (*r.data)["memory"] = memory_json(mt, o.top);
  return r;
}

}  // namespace infertune::trace
