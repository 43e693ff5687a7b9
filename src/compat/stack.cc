#include "compat/stack.h"

#include "base/strings.h"
#include "compat/judge.h"

namespace infertune::compat {

namespace {

std::optional<Version> version_of(const Fact<std::string>& f) {
  if (!f || f->empty()) return std::nullopt;
  return Version::parse(*f);
}

// "nvidia-cudnn-cu12" / "tensorrt-cu12" / "jax-cuda12-plugin" -> 12.
std::optional<long> cuda_major_in_name(const std::string& name) {
  for (const char* marker : {"-cu", "-cuda", "_cu"}) {
    auto pos = name.find(marker);
    while (pos != std::string::npos) {
      size_t i = pos + std::string(marker).size();
      size_t j = i;
      while (j < name.size() && std::isdigit(static_cast<unsigned char>(name[j]))) ++j;
      if (j > i && j - i <= 2) {
        auto v = str::parse_i64(name.substr(i, j - i));
        if (v) return static_cast<long>(*v);
      }
      pos = name.find(marker, pos + 1);
    }
  }
  return std::nullopt;
}

const FatbinFacts* fatbin_for(const Snapshot& s, const PythonPackageFacts& p) {
  if (!p.main_cuda_library || !s.compat.fatbins) return nullptr;
  for (const auto& f : *s.compat.fatbins) {
    if (f.path == *p.main_cuda_library && (f.sass_archs || f.ptx_archs)) return &f;
  }
  return nullptr;
}

bool env_has(const PythonEnvFacts& env, const std::string& name) {
  if (!env.packages) return false;
  for (const auto& p : *env.packages) {
    if (p.name == name) return true;
  }
  return false;
}

std::string where(const PythonEnvFacts& env) { return env.interpreter.empty() ? "" : " (" + env.interpreter + ")"; }

void add_arch_from_fatbin_or_table(const Snapshot& s, Build& b) {
  if (const FatbinFacts* f = b.pkg ? fatbin_for(s, *b.pkg) : nullptr) {
    b.arch_known = true;
    b.sass = f->sass_archs.value_or({});
    b.ptx = f->ptx_archs.value_or({});
    b.arch_source = "fatbin scan of " + f->path;
    return;
  }
  if (b.torch_row) {
    b.arch_known = true;
    int newest = 0;
    for (int a : b.torch_row->sass) {
      b.sass.push_back(sm_name(a));
      newest = std::max(newest, a);
    }
    if (b.torch_row->ptx && newest) b.ptx.push_back("compute_" + std::to_string(newest));
    b.arch_source = "pytorch.csv: torch " + b.torch_row->release + " " + b.torch_row->variant + " arch list";
  }
}

Build torch_build(const Snapshot& s, const Tables& t, const PythonEnvFacts& env, const PythonPackageFacts& p) {
  Build b;
  b.kind = "torch";
  b.env = &env;
  b.pkg = &p;
  b.label = "torch " + p.version + where(env);
  b.version = Version::parse(p.version);
  if (p.hip_version && !p.hip_version->empty()) return b;  // ROCm build: not judged against CUDA
  std::string local = b.version ? b.version->local() : "";
  if (local == "cpu" || (p.cuda_version && (p.cuda_version->empty() || *p.cuda_version == "None"))) {
    b.cpu_only = true;
    return b;
  }
  if (auto c = version_of(p.cuda_version)) {
    b.cuda = c;
    b.cuda_source = p.cuda_version.source.empty() ? "torch/version.py" : p.cuda_version.source;
  } else if (auto v = cuda_of_variant(local)) {
    b.cuda = v;
    b.cuda_source = "wheel version +" + local;
  }
  if (b.version) b.torch_row = find_torch(t, *b.version, b.cuda);
  if (!b.cuda && b.torch_row) {
    b.cuda = b.torch_row->cuda;
    b.cuda_source = "pytorch.csv: PyPI default variant of torch " + b.torch_row->release;
  }
  if (auto c = version_of(p.cudnn_version)) {
    b.cudnn = c;
    b.cudnn_source = p.cudnn_version.source;
  } else if (b.torch_row && b.torch_row->cudnn) {
    b.cudnn = b.torch_row->cudnn;
    b.cudnn_source = "pytorch.csv: bundled with torch " + b.torch_row->release + " " + b.torch_row->variant;
  }
  add_arch_from_fatbin_or_table(s, b);
  return b;
}

}  // namespace

DriverInfo driver_of(const Snapshot& s) {
  DriverInfo d;
  const auto& drv = s.gpu.driver;
  if (auto v = version_of(drv.driver_version)) {
    d.version = v;
    d.source = drv.driver_version.source;
  } else if (auto k = version_of(drv.kernel_module_version)) {
    d.version = k;
    d.source = drv.kernel_module_version.source;
  }
  d.cuda_version = version_of(drv.cuda_driver_version);
  return d;
}

std::vector<GpuInfo> gpus_of(const Snapshot& s, const Tables& t) {
  std::vector<GpuInfo> out;
  auto fill = [&](GpuInfo& g, const std::string& name) {
    g.row = find_gpu(t, name);
    if (!g.cc && g.row) {
      g.cc = g.row->cc;
      g.cc_source = "gpus.csv: " + g.row->gpu;
    }
    g.forward_compat = g.row && g.row->forward_compat == "yes";
  };
  if (s.gpu.devices && !s.gpu.devices->empty()) {
    for (const auto& d : *s.gpu.devices) {
      GpuInfo g;
      g.label = "GPU " + std::to_string(d.index.value_or(0)) + (d.name ? " " + *d.name : "");
      if (d.compute_capability) {
        g.cc = parse_cc(*d.compute_capability);
        g.cc_source = s.gpu.devices.source;
      }
      fill(g, d.name.value_or(""));
      out.push_back(std::move(g));
    }
    return out;
  }
  if (s.gpu.nvidia_pci_devices) {
    for (const auto& p : *s.gpu.nvidia_pci_devices) {
      GpuInfo g;
      g.label = "GPU " + p.address + (p.name ? " " + *p.name : " " + p.device_id);
      fill(g, p.name.value_or(""));
      out.push_back(std::move(g));
    }
  }
  return out;
}

bool any_forward_compat(const std::vector<GpuInfo>& gpus) {
  for (const auto& g : gpus) {
    if (g.forward_compat) return true;
  }
  return false;
}

bool has_gpu(const Snapshot& s) {
  return (s.gpu.devices && !s.gpu.devices->empty()) || (s.gpu.nvidia_pci_devices && !s.gpu.nvidia_pci_devices->empty());
}

std::vector<Build> builds_of(const Snapshot& s, const Tables& t) {
  std::vector<Build> out;
  if (s.compat.python_envs) {
    for (const auto& env : *s.compat.python_envs) {
      if (!env.packages) continue;
      for (const auto& p : *env.packages) {
        const std::string& n = p.name;
        if (n == "torch") {
          out.push_back(torch_build(s, t, env, p));
          continue;
        }
        Build b;
        b.env = &env;
        b.pkg = &p;
        b.version = Version::parse(p.version);
        b.label = n + " " + p.version + where(env);
        if (auto c = version_of(p.cuda_version)) {
          b.cuda = c;
          b.cuda_source = p.cuda_version.source;
        }
        if (auto c = version_of(p.cudnn_version)) {
          b.cudnn = c;
          b.cudnn_source = p.cudnn_version.source;
        }
        if (n == "tensorflow" || n == "tensorflow-gpu" || n == "tf-nightly") {
          b.kind = "tensorflow";
          if (b.version) b.tf_row = find_tensorflow(t, *b.version);
          if (p.cuda_version && (p.cuda_version->empty() || *p.cuda_version == "None")) b.cpu_only = true;
          if (!b.cuda && !b.cpu_only && b.tf_row) {
            b.cuda = b.tf_row->cuda;
            b.cuda_source = "tensorflow.csv: tested build configuration";
          }
          if (!b.cudnn && !b.cpu_only && b.tf_row) {
            b.cudnn = b.tf_row->cudnn;
            b.cudnn_source = "tensorflow.csv: tested build configuration";
          }
        } else if (n == "tensorflow-cpu") {
          b.kind = "tensorflow";
          b.cpu_only = true;
        } else if (n == "onnxruntime-gpu") {
          b.kind = "onnxruntime-gpu";
          std::optional<long> major;
          if (b.cuda) major = b.cuda->major();
          if (b.version) b.ort_row = find_ort(t, *b.version, major);
          if (!b.cuda && b.ort_row && b.ort_row->cuda.find('x') == std::string::npos) {
            b.cuda = Version::parse(b.ort_row->cuda);
            b.cuda_source = "onnxruntime.csv: PyPI build of onnxruntime-gpu " + p.version;
          } else if (!b.cuda && b.ort_row) {
            b.cuda = Version::parse(std::to_string(b.ort_row->cuda_major));
            b.cuda_source = "onnxruntime.csv: PyPI build of onnxruntime-gpu " + p.version;
          }
        } else if (n == "onnxruntime") {
          if (env_has(env, "onnxruntime-gpu")) continue;
          b.kind = "onnxruntime";
          b.cpu_only = true;
        } else if (n == "tensorrt" || str::starts_with(n, "tensorrt-cu")) {
          b.kind = "tensorrt";
          if (b.version) b.trt_row = find_tensorrt(t, *b.version);
          if (!b.cuda) {
            if (auto m = cuda_major_in_name(n)) {
              b.cuda = Version::parse(std::to_string(*m));
              b.cuda_source = "package name " + n;
            }
          }
        } else if (str::starts_with(n, "jax-cuda") || str::starts_with(n, "jaxlib")) {
          b.kind = "jax";
          if (!b.cuda) {
            if (auto m = cuda_major_in_name(n)) {
              b.cuda = Version::parse(std::to_string(*m));
              b.cuda_source = "package name " + n;
            }
          }
          if (!b.cuda) continue;
        } else {
          continue;
        }
        out.push_back(std::move(b));
      }
    }
  }
  if (s.compat.process_libraries) {
    for (const auto& l : *s.compat.process_libraries) {
      if (l.name != "libcudart") continue;
      Build b;
      b.kind = "libcudart";
      b.label = "libcudart " + l.version.value_or("?") + " mapped by the process (" + l.path + ")";
      b.cuda = version_of(l.version);
      b.cuda_source = l.version.source.empty() ? l.path : l.version.source;
      if (b.cuda) out.push_back(std::move(b));
    }
  }
  if (auto v = version_of(s.compat.nvcc_version)) {
    Build b;
    b.kind = "nvcc";
    b.label = "CUDA toolkit " + v->str() + " (nvcc)";
    b.cuda = v;
    b.cuda_source = s.compat.nvcc_version.source;
    for (const auto& a : t.arch_support) {
      if (!same_minor(a.cuda, *v)) continue;
      b.arch_known = true;
      b.sass.clear();
      for (int cc : a.sass) b.sass.push_back(sm_name(cc));
      b.ptx.push_back("compute_" + std::to_string(a.max_cc));
      b.arch_source = "cuda_arch_support.csv: CUDA " + minor_text(*v);
    }
    out.push_back(std::move(b));
  }
  return out;
}

Machine machine_of(const Snapshot& s, const Tables& t, const PythonEnvFacts* env) {
  Machine m;
  auto d = driver_of(s);
  m.driver = d.version;
  m.driver_cuda = d.cuda_version;
  auto gpus = gpus_of(s, t);
  for (const auto& g : gpus) {
    if (g.cc && (!m.cc || *g.cc < *m.cc)) m.cc = g.cc;
  }
  m.forward_compat_gpu = any_forward_compat(gpus);
  if (env && env->python_version) m.python = Version::parse(*env->python_version);
  return m;
}

}  // namespace infertune::compat
