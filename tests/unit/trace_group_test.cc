// Operator-table grouping (input shapes, Python stack), the TRACE-FP32-MATMUL and TRACE-SMALL-BATCH advice, and
// kernel-name normalisation for trace diff.
//
// The reader does not capture "Input Dims" on this branch yet (Event::input_dims is filled by the reader change
// made in parallel), so the input-shape tests build their traces by hand and set Event::input_dims themselves.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "test_support.h"
#include "trace/analyses/advice.h"
#include "trace/analyses/analyses.h"
#include "trace/analyses/op_groups.h"
#include "trace/reader.h"
#include "trace/trace_diff.h"
#include "trace/trace_report.h"

namespace infertune::trace {
namespace {

namespace fs = std::filesystem;

fs::path shared_traces() {
  fs::path dir = fs::path(test::source_path("")) / ".." / "shared" / "traces";
  if (const char* env = std::getenv("INFERTUNE_SHARED_TRACES"); env != nullptr && *env != '\0') dir = env;
  return dir;
}

struct Ev {
  std::string cat, name;
  double ts = 0, dur = 0;  // µs
  int64_t corr = -1, ext = -1;
  std::string shapes{};  // Input Dims (compact JSON), set on the event after reading
};

std::string to_json(const std::vector<Ev>& evs, const std::string& device_props) {
  std::string out = "{" + device_props + "\"traceEvents\":[";
  bool first = true;
  for (const Ev& e : evs) {
    bool gpu = e.cat == "kernel" || e.cat == "gpu_memcpy" || e.cat == "gpu_memset";
    std::string args;
    if (e.corr >= 0) args += fmt::format("\"correlation\":{}", e.corr);
    if (e.ext >= 0) args += fmt::format("{}\"External id\":{}", args.empty() ? "" : ",", e.ext);
    if (gpu) args += ",\"device\":0,\"stream\":7";
    out += fmt::format(
        "{}{{\"ph\":\"X\",\"cat\":\"{}\",\"name\":\"{}\",\"pid\":{},\"tid\":{},\"ts\":{:.3f},"
        "\"dur\":{:.3f},\"args\":{{{}}}}}",
        first ? "" : ",", e.cat, e.name, gpu ? 0 : 1, gpu ? 7 : 1, e.ts, e.dur, args);
    first = false;
  }
  return out + "]}";
}

// Reads the hand-made trace and sets Event::input_dims from Ev::shapes (matched by start time and name).
Trace parse(const std::vector<Ev>& evs, const std::string& device_props = "") {
  auto r = read_trace_bytes(to_json(evs, device_props), "synthetic.json");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  if (!r.ok()) return Trace{};
  Trace t = std::move(*r);
  for (const Ev& e : evs) {
    if (e.shapes.empty()) continue;
    for (Event& ev : t.events) {
      if (ev.ts_ns == static_cast<int64_t>(e.ts * 1000) && t.name_of(ev) == e.name) {
        ev.input_dims = t.strings.intern(e.shapes);
      }
    }
  }
  return t;
}

// One step: aten::mm twice with [8,16]x[16,4] and once with [32,16]x[16,4], from two Python call sites inside the
// module Net; each mm launches one kernel. Python frames: nn.Module marker, forward() lines, the <built-in> call.
std::vector<Ev> grouped_trace(bool shapes, bool stacks) {
  std::vector<Ev> v = {{"user_annotation", "ProfilerStep#1", 0, 1000}};
  if (stacks) {
    v.push_back({"python_function", "nn.Module: Net_0", 1, 900});
    v.push_back({"python_function", "model.py(20): forward", 2, 800});
    v.push_back({"python_function", "model.py(10): block", 3, 390});
    v.push_back({"python_function", "<built-in method mm of type object at 0x7f00>", 5, 100});
    v.push_back({"python_function", "<built-in method mm of type object at 0x7f00>", 205, 100});
    v.push_back({"python_function", "model.py(12): block", 400, 390});
    v.push_back({"python_function", "<built-in method mm of type object at 0x7f00>", 405, 100});
  }
  const char* a = "[[8,16],[16,4]]";
  const char* b = "[[32,16],[16,4]]";
  double starts[] = {10, 210, 410};
  const char* dims[] = {a, a, b};
  for (int k = 0; k < 3; ++k) {
    double s = starts[k];
    v.push_back({"cpu_op", "aten::mm", s, 80, -1, 10 + k, shapes ? dims[k] : ""});
    v.push_back({"cuda_runtime", "cudaLaunchKernel", s + 10, 10, 100 + k, 10 + k});
    v.push_back({"kernel", "gemm_kernel", s + 30, k == 2 ? 60.0 : 20.0, 100 + k, 10 + k});
  }
  v.push_back({"cpu_op", "aten::relu", 794, 6, -1, 20, shapes ? "[[32,4]]" : ""});
  return v;
}

std::map<std::string, const OpRow*> rows_by(const OpTable& ot) {
  std::map<std::string, const OpRow*> out;
  for (const OpRow& o : ot.ops) out[o.name + " | " + o.group] = &o;
  return out;
}

TEST(TraceGroup, InputShapesSplitRowsAsGroupByInputShape) {
  Trace t = parse(grouped_trace(true, false));
  Model m = build_model(t);
  OpGroupKeysResult keys = op_group_keys(m, OpGroupBy::kInputShapes, 0);
  ASSERT_TRUE(keys.why_not.empty()) << keys.why_not;
  EXPECT_EQ(keys.events_with_key, 4u);  // the three mm and the relu; runtime calls carry none
  OpTable ot = op_table(m, OpSort::kCudaTotal, &keys.keys);
  auto by = rows_by(ot);
  ASSERT_TRUE(by.count("aten::mm | [[8, 16], [16, 4]]"));
  ASSERT_TRUE(by.count("aten::mm | [[32, 16], [16, 4]]"));
  const OpRow* small = by["aten::mm | [[8, 16], [16, 4]]"];
  const OpRow* large = by["aten::mm | [[32, 16], [16, 4]]"];
  EXPECT_EQ(small->calls, 2u);
  EXPECT_EQ(small->cuda_self_ns, 40000);
  EXPECT_EQ(small->cpu_total_ns, 160000);
  EXPECT_EQ(large->calls, 1u);
  EXPECT_EQ(large->cuda_self_ns, 60000);
  EXPECT_TRUE(by.count("aten::relu | [[32, 4]]"));
  EXPECT_TRUE(by.count("cudaLaunchKernel | "));  // no shapes: one row, shown as []
  // Sorted by CUDA total: ProfilerStep* (100 µs), the large mm (60), the small mm (40).
  EXPECT_EQ(ot.ops[0].name, "ProfilerStep*");
  EXPECT_EQ(ot.ops[1].group, "[[32, 16], [16, 4]]");
  EXPECT_EQ(ot.ops[2].group, "[[8, 16], [16, 4]]");
  // Other sort keys still apply within the grouping: by calls the small mm (2) leads the mm rows.
  OpTable by_calls = op_table(m, OpSort::kCalls, &keys.keys);
  EXPECT_EQ(by_calls.ops[0].name, "cudaLaunchKernel");
  EXPECT_EQ(by_calls.ops[1].group, "[[8, 16], [16, 4]]");
  // Ungrouped: one aten::mm row with everything.
  OpTable plain = op_table(m, OpSort::kCudaTotal);
  for (const OpRow& o : plain.ops) {
    if (o.name == "aten::mm") {
      EXPECT_EQ(o.calls, 3u);
    }
    EXPECT_TRUE(o.group.empty());
  }
  // The report: a column "Input Shapes" and the JSON rows.
  TraceReportOptions opts;
  opts.group_by = "input-shapes";
  Report r = trace_report(t, opts);
  bool shown = false;
  for (const Section& s : r.sections) {
    for (const Row& row : s.rows) {
      if (row.label == "aten::mm" && row.value.find("Input Shapes: [[32, 16], [16, 4]]") != std::string::npos) {
        shown = true;
      }
    }
  }
  EXPECT_TRUE(shown);
  const Json& ops = (*r.data)["ops"];
  EXPECT_EQ(ops["group_by"], "input-shapes");
  EXPECT_EQ(ops["top"][1]["input_shapes"], "[[32, 16], [16, 4]]");
  EXPECT_EQ(ops["top"][1]["cuda_self_ns"], 60000);
}

TEST(TraceGroup, WithoutRecordShapesTheFlagSaysWhatToRecord) {
  Trace t = parse(grouped_trace(false, true));
  Model m = build_model(t);
  OpGroupKeysResult keys = op_group_keys(m, OpGroupBy::kInputShapes, 0);
  EXPECT_NE(keys.why_not.find("record_shapes=True"), std::string::npos) << keys.why_not;
  TraceReportOptions opts;
  opts.group_by = "input-shapes";
  Report r = trace_report(t, opts);
  bool not_available = false;
  for (const Section& s : r.sections) {
    for (const Row& row : s.rows) {
      if (row.label == "Not available" && row.value.find("record_shapes=True") != std::string::npos) {
        not_available = true;
      }
      EXPECT_FALSE(s.title.rfind("CPU operators (by", 0) == 0) << "the ungrouped table must not stand in for it";
    }
  }
  EXPECT_TRUE(not_available);
  EXPECT_NE((*r.data)["ops"]["not_available"].get<std::string>().find("record_shapes"), std::string::npos);
  // And the stack grouping without with_stack.
  Trace no_stack = parse(grouped_trace(true, false));
  Model m2 = build_model(no_stack);
  OpGroupKeysResult sk = op_group_keys(m2, OpGroupBy::kStack, 5);
  EXPECT_NE(sk.why_not.find("with_stack=True"), std::string::npos) << sk.why_not;
}

TEST(TraceGroup, StackDepthKeysByInnermostPythonFrames) {
  Trace t = parse(grouped_trace(false, true));
  Model m = build_model(t);
  // The frames around the first mm: the <built-in> call and the nn.Module marker are not frames.
  uint32_t mm = kNoIndex;
  for (uint32_t i = 0; i < t.events.size(); ++i)
    if (t.name_of(t.events[i]) == "aten::mm" && mm == kNoIndex) mm = i;
  ASSERT_NE(mm, kNoIndex);
  EXPECT_EQ(python_stack(m, mm, 5), (std::vector<std::string>{"model.py(10): block", "model.py(20): forward"}));
  OpGroupKeysResult k1 = op_group_keys(m, OpGroupBy::kStack, 1);
  ASSERT_TRUE(k1.why_not.empty()) << k1.why_not;
  OpTable t1 = op_table(m, OpSort::kCudaTotal, &k1.keys);
  auto by = rows_by(t1);
  ASSERT_TRUE(by.count("aten::mm | model.py(10): block"));
  ASSERT_TRUE(by.count("aten::mm | model.py(12): block"));
  EXPECT_EQ(by["aten::mm | model.py(10): block"]->calls, 2u);
  EXPECT_EQ(by["aten::mm | model.py(10): block"]->cuda_total_ns, 40000);
  EXPECT_EQ(by["aten::mm | model.py(12): block"]->cuda_total_ns, 60000);
  EXPECT_TRUE(by.count("aten::relu | model.py(20): forward"));
  // Depth 2 adds the caller.
  OpGroupKeysResult k2 = op_group_keys(m, OpGroupBy::kStack, 2);
  OpTable t2 = op_table(m, OpSort::kCudaTotal, &k2.keys);
  auto by2 = rows_by(t2);
  EXPECT_TRUE(by2.count("aten::mm | model.py(12): block\nmodel.py(20): forward"));
  // The report shows a Source Location column, one frame per line.
  TraceReportOptions opts;
  opts.group_by = "stack";
  opts.stack_depth = 2;
  Report r = trace_report(t, opts);
  std::string text;
  for (const Section& s : r.sections)
    for (const Row& row : s.rows) text += row.label + " = " + row.value + "\n";
  EXPECT_NE(text.find("Source Location: model.py(12): block\n"), std::string::npos) << text;
  EXPECT_EQ((*r.data)["ops"]["stack_depth"], 2);
}

TEST(TraceGroup, RealBertStacksGroupTheLinearLayers) {
  auto t = read_trace_file(test::data_path("traces/tracelens_h100/gaunernst_bert-small-uncased__1016001.json.gz"));
  ASSERT_TRUE(t.ok());
  Model m = build_model(*t);
  OpGroupKeysResult k = op_group_keys(m, OpGroupBy::kStack, 1);
  ASSERT_TRUE(k.why_not.empty()) << k.why_not;
  OpTable ot = op_table(m, OpSort::kCudaTotal, &k.keys);
  uint64_t linear_calls = 0;
  int64_t linear_cuda = 0;
  bool at_forward = false;
  for (const OpRow& o : ot.ops) {
    if (o.name != "aten::linear") continue;
    linear_calls += o.calls;
    linear_cuda += o.cuda_total_ns;
    if (o.group == "torch/nn/modules/linear.py(124): forward") at_forward = true;
    EXPECT_EQ(o.group.find("<built-in"), std::string::npos) << o.group;
  }
  EXPECT_TRUE(at_forward);
  EXPECT_EQ(linear_calls, 26u);  // the grouping splits rows, never loses calls or time
  EXPECT_EQ(linear_cuda, 197598);
}

TEST(TraceGroup, RealBertInputShapesSplitTheProjections) {
  // bert-small was recorded with record_shapes=True: the reader keeps args["Input Dims"] per operator.
  auto t = read_trace_file(test::data_path("traces/tracelens_h100/gaunernst_bert-small-uncased__1016001.json.gz"));
  ASSERT_TRUE(t.ok());
  Model m = build_model(*t);
  OpGroupKeysResult k = op_group_keys(m, OpGroupBy::kInputShapes, 0);
  ASSERT_TRUE(k.why_not.empty()) << k.why_not;
  OpTable ot = op_table(m, OpSort::kCudaTotal, &k.keys);
  uint64_t addmm_calls = 0;
  int64_t addmm_cuda = 0;
  size_t addmm_rows = 0;
  bool lm_head = false, hidden = false;
  for (const OpRow& o : ot.ops) {
    if (o.name != "aten::addmm") continue;
    ++addmm_rows;
    addmm_calls += o.calls;
    addmm_cuda += o.cuda_total_ns;
    EXPECT_EQ(o.group.rfind("[[", 0), 0u) << o.group;
    if (o.group == "[[30522], [141, 512], [512, 30522], [], []]") lm_head = o.calls == 1 && o.cuda_total_ns == 41280;
    if (o.group == "[[512], [141, 512], [512, 512], [], []]") hidden = o.calls == 17 && o.cuda_total_ns == 98718;
  }
  EXPECT_GT(addmm_rows, 2u);
  EXPECT_TRUE(lm_head);         // the vocabulary projection (30522 words) is its own row
  EXPECT_TRUE(hidden);          // the 512x512 projections of the encoder layers share one
  EXPECT_EQ(addmm_calls, 26u);  // split, never lost: the ungrouped row has 26 calls and 197598 ns
  EXPECT_EQ(addmm_cuda, 197598);
}

TEST(TraceGroup, ShapesTextAsPythonPrintsIt) {
  EXPECT_EQ(pytorch_shapes_text("[[8,3,224,224],[64,3,7,7],[]]"), "[[8, 3, 224, 224], [64, 3, 7, 7], []]");
  EXPECT_EQ(pytorch_shapes_text("[]"), "[]");
  EXPECT_EQ(pytorch_shapes_text("[[1, 2]]"), "[[1, 2]]");
  OpGroupBy g{};
  EXPECT_TRUE(parse_op_group_by("input-shapes", g));
  EXPECT_EQ(g, OpGroupBy::kInputShapes);
  EXPECT_FALSE(parse_op_group_by("shapes", g));
}

// ---- TRACE-FP32-MATMUL ----
TEST(TraceFp32, KernelPrecisionOnRealNames) {
  // FP32 on the CUDA cores (names from the V100/A100 traces of the shared collection).
  for (const char* n :
       {"volta_sgemm_128x64_nn", "ampere_sgemm_32x32_sliced1x4_tn", "volta_scudnn_128x64_relu_interior_nn_v1",
        "cudnn_infer_ampere_scudnn_128x64_relu_xregs_large_nn_v1",
        "void cutlass::Kernel2<cutlass_80_simt_sgemm_128x32_8x5_nn_align1>(cutlass_80_simt_sgemm_128x32_8x5_nn_"
        "align1::Params)",
        "void implicit_convolve_sgemm<float, float, 128, 6, 7, 3, 3, 5, 1, false, true, true>(int, int, int)",
        "void cudnn::cnn::wgrad_alg0_engine<float, 128, 6, 7, 3, 3, 5, false, 512>(int, int, int, float const*)",
        "void fft2d_r2c_32x32<float, false, 0u, false>(float2*, float const*, int)",
        "void gemmSN_TN_kernel_64addr<float, 128, 16, 2, 4, 8, 9, false, cublasGemvTensorStridedBatched<float "
        "const> >(int)"}) {
    EXPECT_EQ(kernel_precision(n), KernelPrecision::kFp32Simt) << n;
  }
  // Tensor cores (TF32, bf16, fp16) or reduced precision.
  for (const char* n : {"void cutlass::Kernel<cutlass_80_tensorop_s1688gemm_256x128_32x3_nn_align1>(int)",
                        "sm80_xmma_fprop_implicit_gemm_indexed_tf32f32_tf32f32_f32_nhwckrsc_nchw_tilesize128x128x16_"
                        "stage4_warpsize2x2x1_g1_tensor16x8x8_execute_kernel_cudnn_infer",
                        "sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize128x128x64_warpgroupsize1x1x1_execute_"
                        "segment_k_off_kernel__5x_cublas",
                        "void cutlass::Kernel2<cutlass_80_wmma_tensorop_bf16_s161616gemm_bf16_16x16_32x1_nn_align8>()",
                        "void gemmk1_kernel<float, 256, 5, false, false, false, false, "
                        "cublasGemvTensorStridedBatched<__half const> >()",
                        "nvjet_tst_128x64_64x8_1x2_h_bz_TNT"}) {
    EXPECT_EQ(kernel_precision(n), KernelPrecision::kTensorOrReduced) << n;
  }
  EXPECT_EQ(kernel_precision("_ZN19cutlass_cudnn_train6KernelINS_4conv6kernel23ImplicitGemmConvolution"),
            KernelPrecision::kUnknown);
  EXPECT_EQ(kernel_precision("triton_poi_fused_add_0"), KernelPrecision::kUnknown);
}

TEST(TraceFp32, GpuPeaksByNameAndComputeCapability) {
  auto dev = [](const char* name, int major, int minor) {
    DeviceInfo d;
    d.name = name;
    d.compute_major = major;
    d.compute_minor = minor;
    return d;
  };
  auto model = [](const DeviceInfo& d) {
    const GpuPeaks* p = gpu_peaks(d);
    return p == nullptr ? std::string("-") : std::string(p->model);
  };
  EXPECT_EQ(model(dev("NVIDIA H100 80GB HBM3", 9, 0)), "H100");
  EXPECT_EQ(model(dev("NVIDIA H100 PCIe", 9, 0)), "H100 PCIe");
  EXPECT_EQ(model(dev("NVIDIA H200", 9, 0)), "H200");
  EXPECT_EQ(model(dev("NVIDIA H20", 9, 0)), "H20");
  EXPECT_EQ(model(dev("NVIDIA A100-PG509-200", 8, 0)), "A100");
  EXPECT_EQ(model(dev("NVIDIA A100-SXM4-80GB", 8, 0)), "A100");
  EXPECT_EQ(model(dev("NVIDIA A10G", 8, 6)), "A10G");
  EXPECT_EQ(model(dev("NVIDIA A10", 8, 6)), "A10");
  EXPECT_EQ(model(dev("Tesla V100-DGXS-32GB", 7, 0)), "V100");
  EXPECT_EQ(model(dev("Tesla V100-PCIE-16GB", 7, 0)), "V100 PCIe");
  EXPECT_EQ(model(dev("Tesla T4", 7, 5)), "T4");
  EXPECT_EQ(model(dev("NVIDIA GeForce RTX 4090", 8, 9)), "RTX 4090");
  EXPECT_EQ(model(dev("NVIDIA H100 NVL", 9, 0)), "-");        // no dense figures
  EXPECT_EQ(model(dev("NVIDIA H100 80GB HBM3", 8, 0)), "-");  // the capability contradicts the name
  EXPECT_EQ(model(dev("AMD Radeon Graphics", 9, 0)), "-");    // ROCm reports gfx90a as 9.0
  EXPECT_EQ(model(dev("AMD Instinct MI300X", 9, 4)), "-");
  EXPECT_EQ(model(dev("", 9, 4)), "-");
  EXPECT_EQ(model(dev("Tesla P100-PCIE-16GB", 6, 0)), "-");  // no tensor cores
}

const Finding* find(const std::vector<Finding>& fs, const std::string& id) {
  for (const Finding& f : fs)
    if (f.id == id) return &f;
  return nullptr;
}

const char* kA100 =
    "\"deviceProperties\":[{\"id\":0,\"name\":\"NVIDIA A100-SXM4-80GB\",\"totalGlobalMem\":85899345920,"
    "\"computeMajor\":8,\"computeMinor\":0,\"numSms\":108}],";

// Four GEMMs of 400 µs back to back (busy GPU), launched well ahead.
std::vector<Ev> gemm_trace(const std::string& kernel) {
  std::vector<Ev> v = {{"user_annotation", "ProfilerStep#1", 0, 1700}};
  for (int k = 0; k < 4; ++k) {
    v.push_back({"cpu_op", "aten::mm", 10.0 + k * 20, 15, -1, 10 + k});
    v.push_back({"cuda_runtime", "cudaLaunchKernel", 12.0 + k * 20, 5, 100 + k, 10 + k});
    v.push_back({"kernel", kernel, 100.0 + k * 400, 400, 100 + k, 10 + k});
  }
  return v;
}

TEST(TraceFp32, FiresOnSgemmOnAnA100AndEstimatesFromThePeakRatio) {
  Trace t = parse(gemm_trace("ampere_sgemm_128x64_nn"), kA100);
  auto fs = trace_file_findings(t);
  const Finding* f = find(fs, "TRACE-FP32-MATMUL");
  ASSERT_NE(f, nullptr);
  // 1.6 ms of FP32 GEMM; TF32 peak 156 vs FP32 19.5 TFLOPS: up to 1.6 × (1 − 19.5/156) = 1.4 ms; bf16 (312): 1.5 ms.
  EXPECT_NE(f->impact.find("up to 1.400000 ms"), std::string::npos) << f->impact;
  EXPECT_NE(f->impact.find("; up to 1.500000 ms in bf16"), std::string::npos) << f->impact;
  EXPECT_NE(f->fix.find("allow_tf32"), std::string::npos);
  EXPECT_NE(f->fix.find("set_float32_matmul_precision"), std::string::npos);
  EXPECT_NE(f->evidence.at(0).value.find("4 kernels, 1.600000 ms"), std::string::npos) << f->evidence.at(0).value;
  // The same GEMMs on TF32 tensor cores, or on an unknown GPU: silent.
  EXPECT_EQ(find(trace_file_findings(parse(
                     gemm_trace("void cutlass::Kernel<cutlass_80_tensorop_s1688gemm_256x128_32x3_nn_align1>"), kA100)),
                 "TRACE-FP32-MATMUL"),
            nullptr);
  std::string amd = kA100;
  amd.replace(amd.find("NVIDIA A100-SXM4-80GB"), 21, "AMD Radeon Graphics");
  EXPECT_EQ(find(trace_file_findings(parse(gemm_trace("ampere_sgemm_128x64_nn"), amd)), "TRACE-FP32-MATMUL"), nullptr);
  EXPECT_EQ(find(trace_file_findings(parse(gemm_trace("ampere_sgemm_128x64_nn"))), "TRACE-FP32-MATMUL"), nullptr);
}

TEST(TraceFp32, RealTraces) {
  // The bf16 H100 inference traces: silent.
  for (const char* f : {"traces/tracelens_h100/gaunernst_bert-small-uncased__1016001.json.gz",
                        "traces/tracelens_h100/Qwen_Qwen1.5-0.5B-Chat__1016005.json.gz",
                        "traces/tracelens_h100/facebook_timesformer-base-finetuned-k400__1016002.json.gz"}) {
    auto t = read_trace_file(test::data_path(f));
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(find(trace_file_findings(*t), "TRACE-FP32-MATMUL"), nullptr) << f;
  }
  // The legacy V100 sample runs volta_sgemm (FP32) for 11 µs of an 11.9 ms GPU window: far below 2 %, silent.
  auto legacy = read_trace_file(test::data_path("traces/legacy_gpu_metrics_input.json"));
  ASSERT_TRUE(legacy.ok());
  EXPECT_EQ(find(trace_file_findings(*legacy), "TRACE-FP32-MATMUL"), nullptr);
  // The FP32 ResNet-50 training sample on a V100 (no TF32 there: the advice is fp16 autocast).
  fs::path resnet =
      shared_traces() / "kineto_tb_plugin/samples/resnet50_num_workers_0/worker0.1623143089861.pt.trace.json.gz";
  if (!fs::exists(resnet)) GTEST_SKIP() << "no shared trace collection at ../shared/traces";
  auto t = read_trace_file(resnet.string());
  ASSERT_TRUE(t.ok());
  auto findings = trace_file_findings(*t);
  const Finding* f = find(findings, "TRACE-FP32-MATMUL");
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->fix.find("torch.float16"), std::string::npos);
  EXPECT_NE(f->impact.find("FP16 tensor cores"), std::string::npos) << f->impact;
  EXPECT_NE(f->evidence.back().value.find("Tesla V100-DGXS-32GB"), std::string::npos);
}

// ---- TRACE-SMALL-BATCH ----
// `steps` steps: a CPU-only operator (pre-processing) of `cpu_us`, then 10 kernels of 5 µs launched every 6 µs.
std::vector<Ev> small_batch_trace(int steps, double cpu_us, double kernel_us) {
  std::vector<Ev> v;
  double ts = 0;
  int64_t corr = 100;
  for (int s = 0; s < steps; ++s) {
    size_t step = v.size();
    double start = ts;
    v.push_back({"user_annotation", fmt::format("ProfilerStep#{}", s), start, 0});
    v.push_back({"cpu_op", "aten::index_select", ts, cpu_us});  // CPU tensors: launches nothing
    ts += cpu_us;
    for (int k = 0; k < 10; ++k) {
      v.push_back({"cpu_op", "aten::add", ts, kernel_us, -1, corr});
      v.push_back({"cuda_runtime", "cudaLaunchKernel", ts + 0.5, 0.4, corr, corr});
      v.push_back({"kernel", "vectorized_elementwise_kernel", ts + 1, kernel_us, corr, corr});
      ++corr;
      ts += kernel_us + 1;
    }
    v[step].dur = ts - start;
  }
  return v;
}

TEST(TraceSmallBatch, FiresWhenSmallKernelsLeaveTheGpuWaitingOnHostWork) {
  auto fs = trace_file_findings(parse(small_batch_trace(4, 300, 5), kA100));
  const Finding* f = find(fs, "TRACE-SMALL-BATCH");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(find(fs, "TRACE-LAUNCH-BOUND"), nullptr);  // the gaps are CPU work, not launches
  EXPECT_NE(f->evidence.at(1).value.find("40 of 40 kernels"), std::string::npos) << f->evidence.at(1).value;
  EXPECT_NE(f->evidence.at(2).value.find("(largest: other CPU work)"), std::string::npos) << f->evidence.at(2).value;
  EXPECT_NE(f->fix.find("batch"), std::string::npos);
  EXPECT_GT(f->weight, 0.5);
  // Large kernels (the GPU is busy): silent.
  EXPECT_EQ(find(trace_file_findings(parse(small_batch_trace(4, 30, 200), kA100)), "TRACE-SMALL-BATCH"), nullptr);
}

TEST(TraceSmallBatch, SilentWhenLaunchOverheadIsTheMainCause) {
  // Tiny kernels with launch gaps (the launch-bound shape): TRACE-LAUNCH-BOUND speaks, this one does not.
  std::vector<Ev> v;
  double ts = 0;
  for (int k = 0; k < 40; ++k) {
    v.push_back({"cpu_op", "aten::add", ts, 8, -1, 100 + k});
    v.push_back({"cuda_runtime", "cudaLaunchKernel", ts + 2, 5, 100 + k, 100 + k});
    v.push_back({"kernel", "vectorized_elementwise_kernel", ts + 8, 2, 100 + k, 100 + k});
    ts += 10;
  }
  auto fs = trace_file_findings(parse(v, kA100));
  EXPECT_NE(find(fs, "TRACE-LAUNCH-BOUND"), nullptr);
  EXPECT_EQ(find(fs, "TRACE-SMALL-BATCH"), nullptr);
  // bert-small on the H100: launch overhead is 93 % of its idle: the same decision on a real trace.
  auto t = read_trace_file(test::data_path("traces/tracelens_h100/gaunernst_bert-small-uncased__1016001.json.gz"));
  ASSERT_TRUE(t.ok());
  auto bert = trace_file_findings(*t);
  EXPECT_NE(find(bert, "TRACE-LAUNCH-BOUND"), nullptr);
  EXPECT_EQ(find(bert, "TRACE-SMALL-BATCH"), nullptr);
}

// ---- trace diff: kernel-name normalisation ----
TEST(TraceDiffNames, NormalisationOnRealNames) {
  auto same = [](const std::string& a, const std::string& b) {
    EXPECT_EQ(normalize_kernel_name(a), normalize_kernel_name(b)) << a << "\n" << b;
  };
  auto differ = [](const std::string& a, const std::string& b) {
    EXPECT_NE(normalize_kernel_name(a), normalize_kernel_name(b)) << a << "\n" << b;
  };
  EXPECT_EQ(normalize_kernel_name("triton_poi_fused__unsafe_view_add_3"), "triton_poi_fused__unsafe_view_add");
  same("triton_red_fused_add_mean_mul_pow_rsqrt_0", "triton_red_fused_add_mean_mul_pow_rsqrt_4");
  differ("triton_poi_fused_add_cos_sin_0", "triton_poi_fused__to_copy_1");
  EXPECT_EQ(normalize_kernel_name("triton__0d1d2d3d"), "triton__0d1d2d3d");  // old Triton: the signature is the name
  same(
      "sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize128x128x64_warpgroupsize1x1x1_execute_segment_k_off_"
      "kernel__5x_cublas",
      "sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize64x64x64_warpgroupsize1x1x1_execute_segment_k_off_kernel__"
      "5x_cublas");
  EXPECT_EQ(normalize_kernel_name("volta_sgemm_128x64_nn"), "volta_sgemm_*_nn");
  differ("volta_sgemm_128x64_nn", "volta_sgemm_128x64_tn");  // the transposes are the problem's, not a tile
  EXPECT_EQ(normalize_kernel_name("void cutlass::Kernel<cutlass_80_tensorop_s1688gemm_256x128_32x3_nn_align4>("
                                  "cutlass_80_tensorop_s1688gemm_256x128_32x3_nn_align4::Params)"),
            "cutlass::Kernel<cutlass_80_tensorop_s1688gemm_*_*_nn_align*>");
  same("void cudnn::cnn::wgrad_alg0_engine<float, 128, 6, 7, 3, 3, 5, false, 512>(int, int, int, float const*)",
       "void cudnn::cnn::wgrad_alg0_engine<float, 128, 5, 5, 3, 3, 3, false, 512>(int, int, int, float const*)");
  same(
      "void at::native::vectorized_elementwise_kernel<4, at::native::FillFunctor<float>, at::detail::Array<char*, "
      "1> >(int, at::native::FillFunctor<float>, at::detail::Array<char*, 1>)",
      "void at::native::vectorized_elementwise_kernel<4, at::native::FillFunctor<float>, std::array<char*, 1ul> >(int, "
      "at::native::FillFunctor<float>, std::array<char*, 1ul>)");
  differ("void at::native::vectorized_elementwise_kernel<4, at::native::FillFunctor<float>, std::array<char*, 1ul> >()",
         "void at::native::vectorized_elementwise_kernel<4, at::native::CUDAFunctor_add<float>, std::array<char*, 3ul> "
         ">()");
  differ("void at::native::vectorized_elementwise_kernel<4, at::native::FillFunctor<float>, std::array<char*, 1ul> >()",
         "void at::native::vectorized_elementwise_kernel<4, at::native::FillFunctor<int>, std::array<char*, 1ul> >()");
  EXPECT_EQ(normalize_kernel_name("void (anonymous namespace)::store_kvcache<2048l, 4, false, long>((anonymous "
                                  "namespace)::StoreKVCacheParams)"),
            "(anonymous namespace)::store_kvcache<*, *, false, long>");
  same("Cijk_Alik_Bljk_BBS_BH_Bias_HA_S_SAV_UserArgs_MT256x32x64_MI16x16x1_SN_LDSB1",
       "Cijk_Alik_Bljk_BBS_BH_Bias_HA_S_SAV_UserArgs_MT32x32x256_MI16x16x1_SN_LDSB1");
  EXPECT_EQ(normalize_kernel_name("_ZN5aiter24add_rmsnorm_quant_kernelIDF16bDF16bLi256ELi16ELb0E"),
            "_ZN5aiter24add_rmsnorm_quant_kernelIDF16bDF16bLi256ELi16ELb0E");
  EXPECT_EQ(normalize_kernel_name("fused_kernel_deadbeef12345678"), "fused_kernel_*");
}

TEST(TraceDiffNames, TritonIndicesMatchAcrossRuns) {
  auto trace = [](const char* kernel, double us) {
    return parse({{"user_annotation", "ProfilerStep#1", 0, 200},
                  {"cpu_op", "triton_poi_fused_add", 10, 20, -1, 1},
                  {"cuda_driver", "cuLaunchKernel", 12, 5, 100, 1},
                  {"kernel", kernel, 30, us, 100, 1}});
  };
  Trace base = trace("triton_poi_fused_add_0", 10);
  Trace now = trace("triton_poi_fused_add_3", 6);
  TraceDiff d = diff_traces(base, now);
  ASSERT_EQ(d.kernels.size(), 1u);
  EXPECT_EQ(d.kernels[0].name, "triton_poi_fused_add");
  EXPECT_EQ(d.kernels[0].base, 10000);
  EXPECT_EQ(d.kernels[0].now, 6000);
  ASSERT_FALSE(d.class_counts.empty());
  EXPECT_EQ(d.class_counts[0].unit, "count");
  bool kernel_part = false;
  for (const DiffRow& r : d.overall) {
    if (r.name == "Step breakdown (mean): Kernel") {
      EXPECT_EQ(r.base, 10000);
      EXPECT_EQ(r.now, 6000);
      kernel_part = true;
    }
  }
  EXPECT_TRUE(kernel_part);
}

TEST(TraceDiffNames, RealPairMatchesEveryKernel) {
  fs::path base = shared_traces() / "hta/trace_compare/base/base.json.gz";
  fs::path test = shared_traces() / "hta/trace_compare/test/test.json.gz";
  if (!fs::exists(base) || !fs::exists(test)) GTEST_SKIP() << "no shared trace collection at ../shared/traces";
  auto b = read_trace_file(base.string());
  auto n = read_trace_file(test.string());
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE(n.ok());
  TraceDiff d = diff_traces(*b, *n);
  ASSERT_EQ(d.kernels.size(), 3u);
  for (const DiffRow& r : d.kernels) {
    EXPECT_GT(r.base, 0) << r.name;
    EXPECT_GT(r.now, 0) << r.name;
  }
  // The step breakdown parts of each side add up to its mean step.
  int64_t parts_b = 0, parts_n = 0, mean_b = 0, mean_n = 0;
  for (const DiffRow& r : d.overall) {
    if (r.name.rfind("Step breakdown (mean): ", 0) == 0) {
      parts_b += r.base;
      parts_n += r.now;
    }
    if (r.name == "Mean step wall time") {
      mean_b = r.base;
      mean_n = r.now;
    }
  }
  EXPECT_NEAR(static_cast<double>(parts_b), static_cast<double>(mean_b), 10.0);
  EXPECT_NEAR(static_cast<double>(parts_n), static_cast<double>(mean_n), 10.0);
}

}  // namespace
}  // namespace infertune::trace
