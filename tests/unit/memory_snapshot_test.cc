// `trace memory`: the snapshot model, the analyses, the findings (each fires and stays silent) and the report,
// on the fixtures made by tests/data/snapshots/make_snapshots.py.

#include "trace/memory_snapshot.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "report/render.h"
#include "test_support.h"

namespace infertune::trace {
namespace {

using namespace std::string_literals;
constexpr int64_t MiB = 1 << 20;

MemorySnapshot load(const std::string& name) {
  auto r = read_memory_snapshot_file(test::data_path("snapshots/" + name));
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(*r) : MemorySnapshot();
}

std::vector<std::string> ids(const std::vector<Finding>& fs) {
  std::vector<std::string> out;
  for (const Finding& f : fs) out.push_back(f.id);
  return out;
}

bool has(const std::vector<Finding>& fs, const std::string& id) {
  auto v = ids(fs);
  return std::find(v.begin(), v.end(), id) != v.end();
}

const Finding& get(const std::vector<Finding>& fs, const std::string& id) {
  for (const Finding& f : fs) {
    if (f.id == id) return f;
  }
  static Finding none;
  ADD_FAILURE() << "no " << id;
  return none;
}

TEST(MemorySnapshot, RealisticSnapshotInEveryProtocol) {
  for (int p = 0; p <= 5; ++p) {
    SCOPED_TRACE(p);
    MemorySnapshot s = load("realistic_p" + std::to_string(p) + ".pickle");
    ASSERT_EQ(s.segments.size(), 3u);
    EXPECT_TRUE(s.problems.empty());
    EXPECT_TRUE(s.has_allocator_settings);
    EXPECT_EQ(s.expandable_setting, false);
    SnapshotAnalysis a = analyze_memory(s, 5);
    ASSERT_EQ(a.devices.size(), 1u);
    const SnapshotDevice& d = a.devices[0];
    EXPECT_EQ(d.segments, 3u);
    EXPECT_EQ(d.large_segments, 2u);
    EXPECT_EQ(d.small_segments, 1u);
    EXPECT_EQ(d.reserved, uint64_t(86 * MiB));
    EXPECT_EQ(d.reserved_small, uint64_t(2 * MiB));
    EXPECT_EQ(d.allocated, uint64_t(48 * MiB + 1536));
    EXPECT_EQ(d.allocated_blocks, 5u);
    EXPECT_EQ(d.requested, uint64_t(48 * MiB - 256 + 12));
    EXPECT_EQ(d.pending_free, uint64_t(4 * MiB));
    EXPECT_EQ(d.inactive, uint64_t(34 * MiB - 1536));
    EXPECT_EQ(d.largest_free_block, uint64_t(24 * MiB));
    EXPECT_EQ(d.largest_request, uint64_t(40 * MiB));
    EXPECT_TRUE(d.largest_request_from_trace);
    // Replay: 40 + 8 + 4 + 16 MiB live when the 16 MiB temporary is allocated (entry 5).
    EXPECT_EQ(d.trace_entries, 14u);
    EXPECT_EQ(d.peak_allocated, 68 * MiB);
    ASSERT_TRUE(d.peak_index.has_value());
    EXPECT_EQ(*d.peak_index, 5u);
    EXPECT_EQ(d.start_allocated, 0);
    EXPECT_EQ(d.peak_reserved, 86 * MiB);
    EXPECT_FALSE(d.replay_inconsistent);
    EXPECT_TRUE(d.ooms.empty());
    ASSERT_EQ(d.largest.size(), 5u);
    EXPECT_EQ(d.largest[0].size, uint64_t(40 * MiB));
    EXPECT_EQ(d.largest[1].size, uint64_t(8 * MiB));
    EXPECT_EQ(d.largest[2].size, uint64_t(4 * MiB));
    EXPECT_TRUE(d.largest[2].pending_free);
    // User frames only, innermost first: torch/nn/modules and the C++ frames are hidden.
    bool internal = true;
    auto f = user_frames(d.largest[0].frames, 5, &internal);
    EXPECT_FALSE(internal);
    ASSERT_EQ(f.size(), 2u);
    EXPECT_EQ(f[0].filename, "/srv/app/serve.py");
    EXPECT_EQ(f[0].line, 42);
    EXPECT_EQ(f[0].name, "load_model");
    EXPECT_EQ(f[1].name, "main");
    // A stack of torch internals only: the viz's filter drops CapturedTraceback::gather, the rest is shown.
    auto g = user_frames(d.largest[3].frames, 5, &internal);
    EXPECT_TRUE(internal);
    ASSERT_EQ(g.size(), 3u);
    EXPECT_EQ(g[0].filename, "??");
    EXPECT_NE(g[1].filename.find("torch/nn/modules/linear.py"), std::string::npos);
    // Healthy: no finding fires (each finding's silent case).
    EXPECT_TRUE(memory_findings(s, a).empty()) << ids(memory_findings(s, a)).size();
  }
}

TEST(MemorySnapshot, FragmentationFiresWithExpandableSegmentsFix) {
  for (const char* name : {"fragmented.pickle", "fragmented.pickle.gz"}) {
    SCOPED_TRACE(name);
    MemorySnapshot s = load(name);
    EXPECT_EQ(s.gzip, std::string(name).ends_with(".gz"));
    SnapshotAnalysis a = analyze_memory(s, 3);
    ASSERT_EQ(a.devices.size(), 1u);
    const SnapshotDevice& d = a.devices[0];
    EXPECT_EQ(d.reserved, uint64_t(1024 * MiB));
    EXPECT_EQ(d.inactive, uint64_t(464 * MiB));
    EXPECT_EQ(d.largest_free_block, uint64_t(58 * MiB));
    EXPECT_EQ(d.largest_request, uint64_t(96 * MiB));
    // The trace lost its start: anchored at the end (560 MiB live), the 96 MiB temporary makes 656 MiB.
    EXPECT_EQ(d.start_allocated, 560 * MiB);
    EXPECT_EQ(d.peak_allocated, 656 * MiB);
    EXPECT_EQ(d.peak_index, std::optional<size_t>(0));
    auto fs = memory_findings(s, a);
    ASSERT_TRUE(has(fs, "TRACE-MEM-FRAGMENTED")) << ids(fs).size();
    const Finding& f = get(fs, "TRACE-MEM-FRAGMENTED");
    EXPECT_EQ(f.severity, Severity::kWarning);
    EXPECT_NE(f.fix.find("PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True"), std::string::npos);
    EXPECT_NE(f.title.find("45.3 %"), std::string::npos) << f.title;
    EXPECT_FALSE(has(fs, "TRACE-MEM-OOM"));
  }
  // Already on: the fix does not repeat it.
  MemorySnapshot s = load("fragmented.pickle");
  s.expandable_setting = true;
  SnapshotAnalysis a = analyze_memory(s, 3);
  auto on = memory_findings(s, a);  // kept alive: get() returns a reference into it
  const Finding& f = get(on, "TRACE-MEM-FRAGMENTED");
  EXPECT_NE(f.fix.find("already on"), std::string::npos);
  EXPECT_EQ(f.fix.find("expandable_segments:True"), std::string::npos);
}

TEST(MemorySnapshot, FragmentationThresholds) {
  MemorySnapshot s = load("fragmented.pickle");
  // 8 × 58 MiB inactive = 464 MiB of 1024: drop one segment's hole at a time until below the thresholds.
  for (auto& seg : s.segments) seg.blocks[1].size = 30 * MiB;  // 240 MiB inactive: under 256 MiB
  for (auto& seg : s.segments) seg.total_size = 100 * MiB;
  EXPECT_FALSE(has(memory_findings(s, analyze_memory(s, 3)), "TRACE-MEM-FRAGMENTED"));
  for (auto& seg : s.segments) {
    seg.blocks[1].size = 40 * MiB;  // 320 MiB of 880 (36 %): fires
    seg.total_size = 110 * MiB;
  }
  EXPECT_TRUE(has(memory_findings(s, analyze_memory(s, 3)), "TRACE-MEM-FRAGMENTED"));
  for (auto& seg : s.segments) {
    seg.blocks[0].size = 500 * MiB;  // 320 MiB of 4320 MiB (7 %): silent
    seg.total_size = 540 * MiB;
  }
  EXPECT_FALSE(has(memory_findings(s, analyze_memory(s, 3)), "TRACE-MEM-FRAGMENTED"));
}

TEST(MemorySnapshot, OomOnTheSecondDevice) {
  MemorySnapshot s = load("oom.pickle");
  SnapshotAnalysis a = analyze_memory(s, 3);
  ASSERT_EQ(a.devices.size(), 2u);
  EXPECT_TRUE(a.expandable_enabled);
  EXPECT_TRUE(a.devices[0].ooms.empty());
  const SnapshotDevice& d = a.devices[1];
  EXPECT_EQ(d.device, 1);
  ASSERT_EQ(d.ooms.size(), 1u);
  EXPECT_EQ(d.ooms[0].size, uint64_t(2048 * MiB));
  EXPECT_EQ(d.ooms[0].device_free, uint64_t(300 * MiB));
  EXPECT_EQ(d.ooms[0].allocated, 900 * MiB);
  EXPECT_EQ(d.ooms[0].reserved, 1024 * MiB);
  EXPECT_EQ(d.ooms[0].time_us, std::optional<int64_t>(9000));
  EXPECT_EQ(d.largest_request, uint64_t(2048 * MiB));
  auto fs = memory_findings(s, a);
  ASSERT_FALSE(fs.empty());
  EXPECT_EQ(fs[0].id, "TRACE-MEM-OOM");
  EXPECT_EQ(fs[0].severity, Severity::kError);
  EXPECT_NE(fs[0].title.find("GPU 1"), std::string::npos);
  bool where = false;
  for (const Evidence& e : fs[0].evidence) where = where || e.value.find("kv_cache.py:31 grow") != std::string::npos;
  EXPECT_TRUE(where);
  // 124 MiB free of 1 GiB: under the fragmentation thresholds.
  EXPECT_FALSE(has(fs, "TRACE-MEM-FRAGMENTED"));
  EXPECT_FALSE(has(fs, "TRACE-MEM-NO-HISTORY"));
}

TEST(MemorySnapshot, MissingKeysAreTolerated) {
  MemorySnapshot s = load("missing_keys.pickle");
  EXPECT_TRUE(s.problems.empty());
  EXPECT_FALSE(s.has_device_traces);
  EXPECT_FALSE(s.has_allocator_settings);
  SnapshotAnalysis a = analyze_memory(s, 3);
  ASSERT_EQ(a.devices.size(), 1u);
  EXPECT_EQ(a.devices[0].allocated, uint64_t(3 * MiB));
  EXPECT_EQ(a.devices[0].inactive, uint64_t(MiB));
  EXPECT_EQ(a.devices[0].trace_entries, 0u);
  auto fs = memory_findings(s, a);
  EXPECT_TRUE(has(fs, "TRACE-MEM-NO-HISTORY"));
  EXPECT_FALSE(has(fs, "TRACE-MEM-MALFORMED"));
  // A bare list of segments (torch.cuda.memory_snapshot()) reads the same way.
  MemorySnapshot l = load("segments_list.pickle");
  EXPECT_EQ(l.segments.size(), 3u);
  EXPECT_TRUE(has(memory_findings(l, analyze_memory(l, 3)), "TRACE-MEM-NO-HISTORY"));
}

TEST(MemorySnapshot, WrongTypesAreCountedAndReported) {
  MemorySnapshot s = load("bad_types.pickle");
  EXPECT_EQ(s.problems["segments[].total_size is str"], 1u);
  EXPECT_EQ(s.problems["segments[].blocks is str"], 1u);
  EXPECT_EQ(s.problems["segments[] is str"], 1u);
  EXPECT_EQ(s.problems["device_traces[][].action is int"], 1u);
  EXPECT_EQ(s.problems["device_traces[][] is list"], 1u);
  EXPECT_EQ(s.problems["allocator_settings.expandable_segments is str"], 1u);
  EXPECT_EQ(s.problem_count(), 6u);
  ASSERT_EQ(s.segments.size(), 2u);  // the good one and the bad one (its wrong fields left out)
  ASSERT_EQ(s.traces.size(), 1u);
  EXPECT_EQ(s.traces[0].size(), 1u);
  auto fs = memory_findings(s, analyze_memory(s, 3));
  ASSERT_TRUE(has(fs, "TRACE-MEM-MALFORMED"));
  EXPECT_EQ(get(fs, "TRACE-MEM-MALFORMED").evidence.size(), 6u);
}

TEST(MemorySnapshot, ErrorsNameTheFile) {
  auto missing = read_memory_snapshot_file("/nonexistent/x.pickle");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("x.pickle"), std::string::npos);
  auto notdict = read_memory_snapshot_bytes("\x80\x02K\x05.", "five.pickle");
  ASSERT_FALSE(notdict.ok());
  EXPECT_EQ(
      notdict.error().message,
      "memory snapshot five.pickle: not a memory snapshot: the pickle holds a value of type int, expected a dict with "
      "'segments' and 'device_traces'");
  auto nokeys = read_memory_snapshot_bytes("\x80\x02}.", "e.pickle");
  ASSERT_FALSE(nokeys.ok());
  EXPECT_NE(nokeys.error().message.find("neither 'segments' nor 'device_traces'"), std::string::npos);
  auto evil = read_memory_snapshot_bytes("cos\nsystem\n(S'true'\ntR.", "evil.pickle");
  ASSERT_FALSE(evil.ok());
  EXPECT_EQ(evil.error().message,
            "memory snapshot evil.pickle: opcode GLOBAL (0x63) is not plain data; refusing to load objects at byte 0");
  std::string full = test::read_text(test::data_path("snapshots/oom.pickle"));
  for (size_t n = 0; n < full.size(); ++n) {
    auto r = read_memory_snapshot_bytes(full.substr(0, n), "cut.pickle");
    ASSERT_FALSE(r.ok()) << n;
    ASSERT_EQ(r.error().message.rfind("memory snapshot cut.pickle: ", 0), 0u) << r.error().message;
  }
}

TEST(MemorySnapshot, SharedReferenceBombIsRefused) {
  // {"segments": [S] * 20000} with S = {"blocks": [B] * 2000}: 44 KB of BINGETs that would visit 4e7 blocks.
  std::string p =
      "\x80\x02}q\x00X\x08\x00\x00\x00segmentsq\x01]q\x02(}q\x03X\x06\x00\x00\x00"
      "blocksq\x04]q\x05("s;
  p += "}q\x06X\x04\x00\x00\x00sizeK\x01s"s;
  for (int i = 1; i < 2000; ++i) p += "h\x06"s;
  p += "es";  // blocks list into S
  for (int i = 1; i < 20000; ++i) p += "h\x03"s;
  p += "es.";
  auto r = read_memory_snapshot_bytes(p, "bomb.pickle");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("shared values"), std::string::npos) << r.error().message;
}

TEST(MemorySnapshot, WideSharedDictIsRefused) {
  // {"segments": [{"blocks": [D] * 5000}]} with D a dict of 5000 entries: lookups would cost 5000 each.
  std::string p =
      "\x80\x02}X\x08\x00\x00\x00"
      "segments]}X\x06\x00\x00\x00"
      "blocks]q\x01(}q\x02(X\x01\x00\x00\x00"
      "xq\x03K\x01"s;
  for (int i = 1; i < 5000; ++i) p += "h\x03K\x01"s;
  p += "u"s;  // D filled
  for (int i = 1; i < 5000; ++i) p += "h\x02"s;
  p += "esas.";  // blocks list, S["blocks"], segments.append(S), root["segments"]
  auto doc = pickle::parse(p);
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  ASSERT_EQ(doc->root().get("segments").at(0).get("blocks").size(), 5000u);
  auto r = read_memory_snapshot_bytes(p, "wide.pickle");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("shared values"), std::string::npos) << r.error().message;
}

TEST(MemorySnapshot, OomRowsAreCappedAtTop) {
  MemorySnapshot s = load("oom.pickle");
  MemTraceEntry oom = s.traces[1].back();
  for (int i = 0; i < 20; ++i) s.traces[1].push_back(oom);
  Report r = memory_snapshot_report(s, 5);
  for (const Section& sec : r.sections) {
    if (sec.title != "Out-of-memory events (GPU 1)") continue;
    ASSERT_EQ(sec.rows.size(), 6u);
    EXPECT_EQ(sec.rows.back().value, "16 more OOM events; --top N shows more");
  }
  EXPECT_EQ(r.data->at("devices")[1]["ooms"].size(), 5u);
  EXPECT_NE(r.findings[0].title.find("21 OOM event(s)"), std::string::npos) << r.findings[0].title;
}

TEST(MemorySnapshot, ReportRendersEveryFormat) {
  MemorySnapshot s = load("oom.pickle");
  Report r = memory_snapshot_report(s, 5);
  EXPECT_EQ(r.command, "trace memory");
  std::string text = render_text(r, RenderOptions{});
  for (const char* want :
       {"Memory snapshot", "GPU 0 memory", "GPU 1 memory", "Peak allocated", "Largest live allocations (GPU 1)",
        "Out-of-memory events (GPU 1)", "TRACE-MEM-OOM", "/srv/app/kv_cache.py:31 grow"}) {
    EXPECT_NE(text.find(want), std::string::npos) << want << "\n" << text;
  }
  Json j = report_to_json(r);
  const Json& d1 = j["data"]["devices"][1];
  EXPECT_EQ(d1["device"], 1);
  EXPECT_EQ(d1["reserved"], 1024 * MiB);
  EXPECT_EQ(d1["ooms"][0]["size"], 2048 * MiB);
  EXPECT_EQ(d1["largest"][0]["frames"][0]["filename"], "/srv/app/kv_cache.py");
  std::string md = render_markdown(r, RenderOptions{});
  EXPECT_NE(md.find("GPU 1 memory"), std::string::npos);
}

TEST(MemorySnapshot, RuleIdsAreListed) {
  std::vector<std::string> want = {"TRACE-MEM-OOM", "TRACE-MEM-FRAGMENTED", "TRACE-MEM-NO-HISTORY",
                                   "TRACE-MEM-MALFORMED"};
  ASSERT_EQ(memory_rule_ids().size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(memory_rule_ids()[i].id, want[i]);
}

}  // namespace
}  // namespace infertune::trace
