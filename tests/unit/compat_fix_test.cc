// The judgements (driver fit, arch fit, GPU lookup) and the fix chooser over the shipped tables, and the
// what-if parsing of --target / --driver / --gpu.

#include <gtest/gtest.h>

#include "compat/chooser.h"
#include "compat/judge.h"
#include "compat/tables.h"
#include "compat/whatif.h"

namespace infertune::compat {
namespace {

Version V(const char* s) { return *Version::parse(s); }

TEST(DriverFit, NativeMinorCompatForwardAndTooOld) {
  const Tables& t = tables();
  EXPECT_EQ(check_driver(t, V("570.26"), V("12.8"), std::nullopt, false).fit, DriverFit::kNative);
  auto minor = check_driver(t, V("535.104.05"), V("12.8"), std::nullopt, false);
  EXPECT_EQ(minor.fit, DriverFit::kMinorCompat);
  EXPECT_EQ(minor.native_min->str(), "570.26");
  EXPECT_EQ(minor.minor_compat_min->str(), "525.60.13");
  EXPECT_EQ(check_driver(t, V("535.104.05"), V("13.0"), std::nullopt, false).fit, DriverFit::kTooOld);
  auto fwd = check_driver(t, V("535.104.05"), V("13.0"), std::nullopt, true);
  EXPECT_EQ(fwd.fit, DriverFit::kForwardCompat);
  EXPECT_EQ(fwd.forward_compat_package, "cuda-compat-13-0");
  EXPECT_EQ(check_driver(t, V("470.82.01"), V("12.1"), std::nullopt, false).fit, DriverFit::kTooOld);
  // No minor-version compatibility before CUDA 11.
  EXPECT_EQ(check_driver(t, V("418.39"), V("10.2"), std::nullopt, false).fit, DriverFit::kTooOld);
  // The CUDA version the driver reports settles it: 12.10 is newer than 12.9, compared per field.
  EXPECT_EQ(check_driver(t, V("560.35.03"), V("12.9"), V("12.10"), false).fit, DriverFit::kNative);
  EXPECT_EQ(check_driver(t, V("525.60.13"), V("12.10"), V("12.0"), false).fit, DriverFit::kMinorCompat);
  // CUDA newer than the tables: floor of the major decides.
  EXPECT_EQ(check_driver(t, V("580.65.06"), V("13.2"), std::nullopt, false).fit, DriverFit::kMinorCompat);
}

TEST(ArchFit, SassBinaryCompatibilityPtxAndMissing) {
  EXPECT_EQ(check_arch(90, {"sm_80", "sm_90"}, {}).fit, ArchFit::kSass);
  EXPECT_EQ(check_arch(86, {"sm_80"}, {}).fit, ArchFit::kSass);  // 8.0 cubin runs on 8.6
  EXPECT_EQ(check_arch(89, {"sm_80", "sm_86"}, {}).fit, ArchFit::kSass);
  EXPECT_EQ(check_arch(90, {"sm_90a"}, {}).fit, ArchFit::kSass);       // arch-specific: its own arch
  EXPECT_EQ(check_arch(103, {"sm_100a"}, {}).fit, ArchFit::kMissing);  // ... and nothing else
  EXPECT_EQ(check_arch(80, {"sm_86"}, {}).fit, ArchFit::kMissing);     // not downwards
  EXPECT_EQ(check_arch(120, {"sm_90"}, {}).fit, ArchFit::kMissing);    // not across majors
  EXPECT_EQ(check_arch(120, {"sm_90"}, {"compute_90"}).fit, ArchFit::kPtxJit);
  EXPECT_EQ(check_arch(80, {}, {"compute_90"}).fit, ArchFit::kMissing);  // PTX only runs upwards
  auto why = check_arch(120, {"sm_80", "sm_90"}, {});
  EXPECT_EQ(why.why, "no sm_120 machine code and no usable PTX (newest below: sm_90)");
  // Table arch lists: sm_120 with a cu126 torch has no kernel; cu128 has one.
  const Tables& t = tables();
  EXPECT_EQ(check_arch_list(120, find_torch(t, V("2.8.0+cu126"), std::nullopt)->sass, false).fit, ArchFit::kMissing);
  EXPECT_EQ(check_arch_list(120, find_torch(t, V("2.8.0+cu128"), std::nullopt)->sass, false).fit, ArchFit::kSass);
  // sm_70 with a CUDA 13 build.
  const TorchRow* cu130 = find_torch(t, V("2.9.0+cu130"), std::nullopt);
  EXPECT_EQ(check_arch_list(70, cu130->sass, cu130->ptx).fit, ArchFit::kMissing);
}

TEST(GpuLookup, NamesAsDriversAndPciIdsSpellThem) {
  const Tables& t = tables();
  auto cc = [&](const char* name) { return find_gpu(t, name) ? find_gpu(t, name)->cc : -1; };
  EXPECT_EQ(cc("NVIDIA H100 80GB HBM3"), 90);
  EXPECT_EQ(cc("GH100 [H100 SXM5 80GB]"), 90);
  EXPECT_EQ(cc("Tesla V100-SXM2-16GB"), 70);
  EXPECT_EQ(cc("NVIDIA A100-SXM4-80GB"), 80);
  EXPECT_EQ(cc("NVIDIA L40S"), 89);
  EXPECT_EQ(cc("NVIDIA L4"), 89);
  EXPECT_EQ(cc("NVIDIA A10G"), 86);
  EXPECT_EQ(cc("NVIDIA GeForce RTX 4090"), 89);
  EXPECT_EQ(cc("NVIDIA GeForce RTX 5090"), 120);
  EXPECT_EQ(cc("NVIDIA RTX 6000 Ada Generation"), 89);
  EXPECT_EQ(cc("NVIDIA RTX PRO 6000 Blackwell Server Edition"), 120);
  EXPECT_EQ(find_gpu(t, "NVIDIA GB200")->gpu, "GB200 (per GPU)");
  EXPECT_EQ(cc("Matrox G200eW3"), -1);
  EXPECT_EQ(cc(""), -1);
  EXPECT_EQ(find_gpu(t, "H100")->forward_compat, "yes");
  EXPECT_EQ(find_gpu(t, "RTX 4090")->forward_compat, "no");
}

TEST(Chooser, Driver535OnH100GetsNewestTorchThroughMinorCompat) {
  Machine m;
  m.driver = V("535.104.05");
  m.cc = 90;
  m.python = V("3.11");
  m.forward_compat_gpu = true;
  auto c = choose_torch(tables(), m);
  ASSERT_FALSE(c.empty());
  EXPECT_EQ(c[0].row->release, "2.14");
  EXPECT_EQ(c[0].row->variant, "cu126");  // CUDA 13 wheels need 580+
  EXPECT_EQ(c[0].driver_fit, DriverFit::kMinorCompat);
  EXPECT_EQ(c[0].pip, "pip install \"torch==2.14.*\" --index-url https://download.pytorch.org/whl/cu126");
  for (const auto& ch : c) EXPECT_NE(ch.row->cuda.major(), 13) << ch.row->release << ch.row->variant;
}

TEST(Chooser, Driver580OnH100PrefersNativeCuda13) {
  Machine m;
  m.driver = V("580.95.05");
  m.cc = 90;
  auto c = choose_torch(tables(), m);
  ASSERT_GE(c.size(), 3u);
  EXPECT_EQ(c[0].row->release, "2.14");
  EXPECT_EQ(c[0].row->variant, "cu130");
  EXPECT_EQ(c[0].driver_fit, DriverFit::kNative);
  // cu132 needs a driver of 13.2, not in the tables: minor compat only, after the native choices.
  EXPECT_NE(c[1].row->variant, "cu132");
}

TEST(Chooser, Rtx5090NeedsABlackwellBuild) {
  Machine m;
  m.driver = V("570.133.07");
  m.cc = 120;
  auto c = choose_torch(tables(), m);
  ASSERT_FALSE(c.empty());
  EXPECT_EQ(c[0].row->release, "2.11");
  EXPECT_EQ(c[0].row->variant, "cu128");
  for (const auto& ch : c) EXPECT_NE(ch.row->variant, "cu126");
}

TEST(Chooser, V100KeepsAWheelWithSm70AndPythonNarrowsIt) {
  Machine m;
  m.driver = V("580.95.05");
  m.cc = 70;
  m.python = V("3.9");
  auto c = choose_torch(tables(), m);
  ASSERT_FALSE(c.empty());
  EXPECT_EQ(c[0].row->release, "2.8");  // the last release for Python 3.9
  for (const auto& ch : c) {
    EXPECT_NE(ch.row->cuda.major(), 13);
    EXPECT_EQ(ch.arch_fit, ArchFit::kSass);
  }
}

TEST(Chooser, NothingFitsADriverOlderThanTheGpu) {
  Machine m;
  m.driver = V("550.54.14");
  m.cc = 120;
  EXPECT_TRUE(choose_torch(tables(), m).empty());
  Version cuda;
  EXPECT_EQ(driver_text(*gpu_min_driver(tables(), 120, &cuda)), "570.26");
  EXPECT_EQ(cuda.str(), "12.8");
  EXPECT_EQ(driver_text(*gpu_min_driver(tables(), 90)), "520.61.05");
}

TEST(Chooser, NothingFitsAnAncientDriver) {
  Machine m;
  m.driver = V("410.48");
  m.cc = 90;
  EXPECT_TRUE(choose_torch(tables(), m).empty());
}

TEST(Chooser, DriverAdviceAndImages) {
  const Tables& t = tables();
  EXPECT_EQ(
      driver_advice(t, V("12.8")),
      "NVIDIA driver 570.26 or newer for CUDA 12.8 (branch 570 or later, e.g. sudo apt install nvidia-driver-570)");
  EXPECT_NE(driver_advice(t, V("13.2")).find("580.65.06"), std::string::npos);
  Machine m;
  m.driver = V("550.54.14");
  m.cc = 89;
  auto img = choose_cuda_images(t, m);
  ASSERT_FALSE(img.empty());
  EXPECT_EQ(img[0].image, "nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04");
  m.driver = V("580.95.05");
  EXPECT_EQ(choose_cuda_images(t, m)[0].image, "nvidia/cuda:13.0.3-cudnn-devel-ubuntu22.04");
  EXPECT_EQ(pytorch_image(t, *find_torch(t, V("2.7.1+cu128"), std::nullopt)),
            "pytorch/pytorch:2.7.1-cuda12.8-cudnn9-runtime");
  EXPECT_FALSE(pytorch_image(t, *find_torch(t, V("2.10.0+cu128"), std::nullopt)));
}

TEST(TorchLookup, VariantsAndPypiDefault) {
  const Tables& t = tables();
  EXPECT_EQ(find_torch(t, V("2.8.0+cu128"), std::nullopt)->variant, "cu128");
  EXPECT_EQ(find_torch(t, V("2.8.0"), std::nullopt)->variant, "cu128");  // PyPI default
  EXPECT_EQ(find_torch(t, V("2.5.1"), V("12.4"))->variant, "cu124");
  EXPECT_EQ(find_torch(t, V("2.8.0+cu999"), std::nullopt), nullptr);
  EXPECT_EQ(find_torch(t, V("9.9.0"), std::nullopt), nullptr);
  EXPECT_EQ(find_torch(t, V("2.5.0a0+872d972e41.nv24.08"), V("12.6")), nullptr);  // NGC build: not the wheels
}

TEST(WhatIf, TargetsParseAndBadSpecsNameTheFlag) {
  auto a = parse_target("torch==2.8.0+cu128");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->name, "torch");
  EXPECT_EQ(a->version, "2.8.0+cu128");
  EXPECT_TRUE(parse_target("onnxruntime-gpu==1.20.1").ok());
  EXPECT_TRUE(parse_target("cuda==12.8").ok());
  for (const char* bad : {"torch", "torch=2.8", "==2.8", "pandas==2.0", "torch==abc", "cuda==12.8+cu1",
                          "torch==2.8.0+rocm6.1", "torch=="}) {
    auto r = parse_target(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().message.rfind("--target '", 0), 0u) << r.error().message;
  }
}

TEST(WhatIf, ApplyTargetsAndMachine) {
  const Tables& t = tables();
  Snapshot s;
  ASSERT_FALSE(apply_machine(t, "550.54.14", "L4", s));
  EXPECT_EQ(*s.gpu.driver.driver_version, "550.54.14");
  EXPECT_EQ(*(*s.gpu.devices)[0].compute_capability, "8.9");
  ASSERT_FALSE(apply_target(t, *parse_target("torch==2.8.0+cu128"), s));
  const auto& pkgs = *(*s.compat.python_envs)[0].packages;
  ASSERT_EQ(pkgs.size(), 1u);
  EXPECT_EQ(*pkgs[0].cuda_version, "12.8");
  ASSERT_FALSE(apply_target(t, *parse_target("torch==2.7.0+cu126"), s));
  EXPECT_EQ((*(*s.compat.python_envs)[0].packages).size(), 1u);  // replaced, not added
  ASSERT_FALSE(apply_target(t, *parse_target("cuda==12.8"), s));
  EXPECT_EQ(*s.compat.nvcc_version, "12.8");

  auto e1 = apply_target(t, *parse_target("torch==2.8.0+cu999"), s);
  ASSERT_TRUE(e1);
  EXPECT_EQ(e1->message,
            "--target 'torch==2.8.0+cu999': no torch 2.8 cu999 wheel in pytorch.csv (it has cu126, cu128, cu129)");
  EXPECT_TRUE(apply_target(t, *parse_target("tensorflow==1.15.0"), s));
  auto e2 = apply_machine(t, "", "Voodoo 5", s);
  ASSERT_TRUE(e2);
  EXPECT_EQ(e2->message.rfind("--gpu 'Voodoo 5': not a GPU in gpus.csv (known: P4, P40", 0), 0u) << e2->message;
  auto e3 = apply_machine(t, "latest", "", s);
  ASSERT_TRUE(e3);
  EXPECT_EQ(e3->message, "--driver 'latest': expected an NVIDIA driver version such as 550.54.14");
  EXPECT_TRUE(apply_machine(t, "12.4", "", s));
}

}  // namespace
}  // namespace infertune::compat
