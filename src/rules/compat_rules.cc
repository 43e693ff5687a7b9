// Version-compatibility rules: driver vs the CUDA each build needs, GPU architecture vs the code in each
// build, CPU-only builds on GPU hosts, cuDNN and CUDA copies that disagree, Python outside a wheel's range.
// Pure functions of the Snapshot and the reference tables (compat/tables.h, built in or --data-dir).

#include <map>
#include <set>
#include <string>

#include "base/strings.h"
#include "compat/chooser.h"
#include "compat/judge.h"
#include "compat/stack.h"
#include "rules/rule.h"

namespace infertune {

namespace {

using compat::ArchFit;
using compat::Build;
using compat::DriverFit;

const char* kPtxNote =
    "minor-version compatibility does not cover PTX JIT: PTX from a newer toolkit than the driver fails to load";

compat::Machine machine_of(const Snapshot& s, const compat::Tables& t, const Build* b) {
  return compat::machine_of(s, t, b ? b->env : nullptr);
}

// The torch wheels to install instead, newest first, as fix lines.
std::string torch_fix(const compat::Tables& t, const compat::Machine& m, bool reinstall, size_t max = 2) {
  auto choices = compat::choose_torch(t, m);
  if (choices.empty()) return "";
  std::string out;
  for (size_t i = 0; i < choices.size() && i < max; ++i) {
    const auto& c = choices[i];
    out += std::string(i == 0 ? "" : "\n") + (i == 0 ? " " : " or: ") +
           (reinstall ? "pip uninstall -y torch && " : "") + c.pip;
    std::string note = "torch " + c.row->release + " " + c.row->variant;
    if (!c.note.empty()) note += ", " + c.note;
    out += "   # " + note;
    if (i == 0) {
      if (auto img = compat::pytorch_image(t, *c.row)) out += "\n image: " + *img;
    }
  }
  return out;
}

Evidence build_evidence(const Build& b) {
  std::string v = b.cuda ? "built for CUDA " + b.cuda->str() : "CUDA unknown";
  if (b.cudnn) v += ", cuDNN " + b.cudnn->str();
  return Evidence{b.label, v, b.cuda_source};
}

Evidence driver_evidence(const compat::DriverInfo& d) {
  std::string v = d.version ? compat::driver_text(*d.version) : "unknown";
  if (d.cuda_version) v += " (supports CUDA " + d.cuda_version->str() + ")";
  return Evidence{"NVIDIA driver", v, d.source};
}

// --- driver vs the CUDA of each build -------------------------------------------------------------------------

void driver_findings(const Snapshot& s, std::vector<Finding>& out, DriverFit want) {
  const auto& t = compat::tables();
  auto drv = compat::driver_of(s);
  if (!drv.version) return;
  auto gpus = compat::gpus_of(s, t);
  bool fc = compat::any_forward_compat(gpus);
  for (const auto& b : compat::builds_of(s, t)) {
    if (b.cpu_only || !b.cuda) continue;
    auto dc = compat::check_driver(t, *drv.version, *b.cuda, drv.cuda_version, fc);
    if (dc.fit != want) continue;
    Finding f;
    f.evidence.push_back(driver_evidence(drv));
    f.evidence.push_back(build_evidence(b));
    f.evidence.push_back(Evidence{"driver check", dc.why, "cuda_driver.csv, cuda_major_compat.csv (" + t.origin + ")"});
    auto m = machine_of(s, t, &b);
    std::string advice = compat::driver_advice(t, *b.cuda);
    if (dc.fit == DriverFit::kMinorCompat) {
      f.id = "COMPAT-DRIVER-MINOR-COMPAT";
      f.severity = Severity::kInfo;
      f.title = b.label + " runs on driver " + compat::driver_text(*drv.version) +
                " through CUDA minor-version compatibility";
      f.impact = kPtxNote;
      f.weight = 0.3;
      for (const auto& g : gpus) {
        if (!g.cc || !b.arch_known) continue;
        auto ac = compat::check_arch(*g.cc, b.sass, b.ptx);
        if (ac.fit == ArchFit::kPtxJit) {
          f.severity = Severity::kError;
          f.title = b.label + " needs PTX JIT on " + g.label + ", which driver " + compat::driver_text(*drv.version) +
                    " cannot do for CUDA " + compat::minor_text(*b.cuda);
          f.evidence.push_back(Evidence{g.label + " architecture", ac.why, b.arch_source});
          f.impact = "kernels fail to load (CUDA_ERROR_UNSUPPORTED_PTX_VERSION / no kernel image)";
          f.weight = 0.9;
        }
      }
      f.fix = "Works as is (except PTX JIT). To run it natively, install " + advice + ".";
    } else {
      bool forward = dc.fit == DriverFit::kForwardCompat;
      f.id = forward ? "COMPAT-DRIVER-FORWARD-COMPAT" : "COMPAT-DRIVER-TOO-OLD";
      f.severity = Severity::kError;
      f.title = "Driver " + compat::driver_text(*drv.version) + " is too old for " + b.label;
      f.impact =
          "CUDA initialisation fails (\"CUDA driver version is insufficient for CUDA runtime version\"); "
          "the framework falls back to the CPU or stops.";
      f.weight = 1.0;
      f.fix = "Upgrade the driver: " + advice + ".";
      if (forward) {
        std::string pkg = dc.forward_compat_package.empty() ? "cuda-compat" : dc.forward_compat_package;
        std::string ver = compat::minor_text(*b.cuda);
        f.fix +=
            "\nOr, on this data-center GPU, keep the driver and add CUDA forward compatibility:\n sudo apt install " +
            pkg + " && export LD_LIBRARY_PATH=/usr/local/cuda-" + ver + "/compat:$LD_LIBRARY_PATH" +
            "   # needs a kernel driver branch the compatibility guide lists for CUDA " + ver;
      }
      if (b.kind == "torch") {
        std::string alt = torch_fix(t, m, false);
        if (!alt.empty()) f.fix += "\nOr install a torch this driver runs:\n" + alt;
      }
    }
    out.push_back(std::move(f));
  }
}

// --- driver vs the GPU itself -------------------------------------------------------------------------------------

void check_driver_predates_gpu(const Snapshot& s, std::vector<Finding>& out) {
  const auto& t = compat::tables();
  auto drv = compat::driver_of(s);
  if (!drv.version) return;
  for (const auto& g : compat::gpus_of(s, t)) {
    if (!g.cc) continue;
    Version cuda;
    auto need = compat::gpu_min_driver(t, *g.cc, &cuda);
    if (!need || !(*drv.version < *need)) continue;
    Finding f;
    f.id = "COMPAT-DRIVER-PREDATES-GPU";
    f.severity = Severity::kError;
    f.weight = 1.0;
    f.title =
        "Driver " + compat::driver_text(*drv.version) + " predates " + g.label + " (" + compat::sm_name(*g.cc) + ")";
    f.evidence.push_back(driver_evidence(drv));
    f.evidence.push_back(Evidence{g.label, compat::sm_name(*g.cc), g.cc_source});
    f.evidence.push_back(Evidence{"oldest driver for " + compat::sm_name(*g.cc),
                                  compat::driver_text(*need) + " (first driver of CUDA " + compat::minor_text(cuda) +
                                      ", the first release that builds for it; derived)",
                                  "cuda_arch_support.csv, cuda_driver.csv (" + t.origin + ")"});
    f.impact = "the driver does not know this GPU: no CUDA at all (nvidia-smi may not even list it)";
    f.fix = "Install " + compat::driver_advice(t, cuda) + ".";
    out.push_back(std::move(f));
  }
}

// --- GPU architecture vs the code in each build -------------------------------------------------------------------

void arch_findings(const Snapshot& s, std::vector<Finding>& out, ArchFit want) {
  const auto& t = compat::tables();
  auto gpus = compat::gpus_of(s, t);
  for (const auto& b : compat::builds_of(s, t)) {
    if (b.cpu_only || !b.arch_known) continue;
    Finding missing;
    Finding jit;
    for (const auto& g : gpus) {
      if (!g.cc) continue;
      auto ac = compat::check_arch(*g.cc, b.sass, b.ptx);
      Evidence e{g.label + " (" + compat::sm_name(*g.cc) + ")", ac.why, g.cc_source};
      if (ac.fit == ArchFit::kMissing) missing.evidence.push_back(e);
      if (ac.fit == ArchFit::kPtxJit) jit.evidence.push_back(e);
    }
    std::string archs;
    for (const auto& a : b.sass) archs += (archs.empty() ? "" : " ") + a;
    for (const auto& a : b.ptx) archs += (archs.empty() ? "" : " ") + a;
    Evidence build{b.label + " GPU code", archs.empty() ? "none" : archs, b.arch_source};
    auto m = machine_of(s, t, &b);
    if (want == ArchFit::kMissing && !missing.evidence.empty()) {
      missing.id = "COMPAT-ARCH-NOT-IN-BUILD";
      missing.severity = Severity::kError;
      missing.title = b.kind == "nvcc" ? b.label + " cannot build code for this GPU"
                                       : b.label + " has no code for this GPU (\"no kernel image is available\")";
      missing.evidence.push_back(build);
      missing.impact = "every CUDA kernel launch fails on this GPU";
      missing.weight = 1.0;
      if (b.kind == "torch") {
        std::string alt = torch_fix(t, m, true);
        missing.fix = alt.empty() ? "No torch wheel in the tables has code for this GPU; build from source with "
                                    "TORCH_CUDA_ARCH_LIST set to the GPU's compute capability."
                                  : "Install a torch built for this GPU:\n" + alt;
      } else if (b.kind == "nvcc") {
        missing.fix = "Use a CUDA toolkit that supports " + compat::sm_name(m.cc.value_or(0)) +
                      " (cuda_arch_support.csv lists the range of each release).";
      } else {
        missing.fix = "Install a build of " + b.kind + " that includes this GPU's architecture (or PTX for it).";
      }
      out.push_back(std::move(missing));
    }
    if (want == ArchFit::kPtxJit && !jit.evidence.empty()) {
      jit.id = "COMPAT-ARCH-PTX-JIT";
      jit.severity = Severity::kWarning;
      jit.title = b.label + " runs on this GPU only through PTX compiled at first launch";
      jit.evidence.push_back(build);
      jit.impact = "slow first start (minutes of JIT, cached in ~/.nv/ComputeCache), possibly slower kernels; " +
                   std::string(kPtxNote);
      jit.weight = 0.5;
      std::string alt = b.kind == "torch" ? torch_fix(t, m, true) : "";
      jit.fix = alt.empty() ? "Prefer a build with machine code (SASS) for this GPU; meanwhile keep "
                              "CUDA_CACHE_MAXSIZE large (e.g. 4294967296) so the JIT runs once."
                            : "Install a torch with machine code for this GPU:\n" + alt;
      out.push_back(std::move(jit));
    }
  }
}

void check_driver_too_old(const Snapshot& s, std::vector<Finding>& out) { driver_findings(s, out, DriverFit::kTooOld); }
void check_driver_forward(const Snapshot& s, std::vector<Finding>& out) {
  driver_findings(s, out, DriverFit::kForwardCompat);
}
void check_driver_minor(const Snapshot& s, std::vector<Finding>& out) {
  driver_findings(s, out, DriverFit::kMinorCompat);
}
void check_arch_missing(const Snapshot& s, std::vector<Finding>& out) { arch_findings(s, out, ArchFit::kMissing); }
void check_arch_jit(const Snapshot& s, std::vector<Finding>& out) { arch_findings(s, out, ArchFit::kPtxJit); }

// --- CPU-only builds on a GPU host ---------------------------------------------------------------------------------

void check_cpu_only(const Snapshot& s, std::vector<Finding>& out) {
  if (!compat::has_gpu(s)) return;
  const auto& t = compat::tables();
  for (const auto& b : compat::builds_of(s, t)) {
    if (!b.cpu_only) continue;
    Finding f;
    f.id = "COMPAT-CPU-ONLY-BUILD";
    f.severity = Severity::kError;
    f.title = b.label + " is a CPU-only build on a host with an NVIDIA GPU";
    std::string why = b.kind == "torch"
                          ? "version " + b.pkg->version + (b.pkg->cuda_version ? ", torch.version.cuda = None" : "")
                          : "package " + b.pkg->name;
    f.evidence.push_back(Evidence{b.label, why, b.pkg->dist_info});
    f.impact = "the model runs on the CPU: typically 10-100x slower than on the GPU";
    f.weight = 1.0;
    auto m = machine_of(s, t, &b);
    if (b.kind == "torch") {
      std::string alt = torch_fix(t, m, true);
      f.fix = alt.empty() ? "Install a CUDA build of torch (https://pytorch.org/get-started/locally/)."
                          : "Replace it with a CUDA build (torchvision/torchaudio from the same index):\n" + alt;
    } else if (b.kind == "tensorflow") {
      std::string v = b.version ? compat::minor_text(*b.version) : "";
      f.fix = "pip uninstall -y " + b.pkg->name + " && pip install \"tensorflow[and-cuda]" +
              (v.empty() ? "" : "==" + v + ".*") + "\"";
    } else {
      f.fix = "pip uninstall -y onnxruntime && pip install onnxruntime-gpu   # the CPU package shadows the GPU one";
    }
    out.push_back(std::move(f));
  }
}

// --- cuDNN built with vs loaded ------------------------------------------------------------------------------------

struct Loaded {
  Version version;
  std::string what;
  std::string source;
};

std::vector<Loaded> loaded_cudnn(const Snapshot& s, const Build& b) {
  std::vector<Loaded> out;
  if (s.compat.process_libraries) {
    for (const auto& l : *s.compat.process_libraries) {
      if (l.name != "libcudnn" || !l.version) continue;
      if (auto v = Version::parse(*l.version))
        out.push_back({*v, "libcudnn mapped by the process (" + l.path + ")", l.version.source});
    }
    if (!out.empty()) return out;
  }
  if (b.env && b.env->packages) {
    for (const auto& p : *b.env->packages) {
      if (!str::starts_with(p.name, "nvidia-cudnn")) continue;
      if (auto v = Version::parse(p.version))
        out.push_back({*v, p.name + " wheel in the same environment", p.dist_info});
    }
  }
  return out;
}

void check_cudnn(const Snapshot& s, std::vector<Finding>& out) {
  const auto& t = compat::tables();
  for (const auto& b : compat::builds_of(s, t)) {
    if (b.cpu_only || !b.cudnn || (b.kind != "torch" && b.kind != "tensorflow")) continue;
    for (const auto& l : loaded_cudnn(s, b)) {
      bool major_differs = l.version.major() != b.cudnn->major();
      bool older = l.version < *b.cudnn && !compat::same_minor(l.version, *b.cudnn);
      if (!major_differs && !older) continue;
      Finding f;
      f.id = "COMPAT-CUDNN-MISMATCH";
      f.severity = major_differs ? Severity::kError : Severity::kWarning;
      f.title = "cuDNN " + l.version.str() + " is loaded, but " + b.label + " was built with cuDNN " + b.cudnn->str();
      f.evidence.push_back(Evidence{b.label + " built with", "cuDNN " + b.cudnn->str(), b.cudnn_source});
      f.evidence.push_back(Evidence{l.what, l.version.str(), l.source});
      f.impact = major_differs ? "cuDNN fails to load or its symbols do not resolve: convolutions and attention fail"
                               : "an older cuDNN than the build expects: missing kernels, CUDNN_STATUS_* errors, "
                                 "slower heuristics";
      f.weight = major_differs ? 0.9 : 0.5;
      std::string cu = b.cuda ? std::to_string(b.cuda->major()) : "12";
      f.fix = "Install the cuDNN the build was made with: pip install \"nvidia-cudnn-cu" + cu + "==" + b.cudnn->str() +
              "\"; and make sure no other libcudnn comes first on LD_LIBRARY_PATH.";
      out.push_back(std::move(f));
    }
  }
}

// --- two CUDA runtimes in one process --------------------------------------------------------------------------

void check_multiple_runtimes(const Snapshot& s, std::vector<Finding>& out) {
  if (!s.compat.process_libraries) return;
  std::map<std::string, const CudaLibraryFacts*> by_path;
  for (const auto& l : *s.compat.process_libraries) {
    if (l.name == "libcudart") by_path[l.path] = &l;
  }
  if (by_path.size() < 2) return;
  std::set<long> majors;
  Finding f;
  for (const auto& [path, l] : by_path) {
    auto v = l->version ? Version::parse(*l->version) : std::nullopt;
    if (v) majors.insert(v->major());
    f.evidence.push_back(Evidence{"libcudart mapped", path + " (" + l->version.value_or("version unknown") + ")",
                                  s.compat.process_libraries.source});
  }
  f.id = "COMPAT-MULTIPLE-CUDA-RUNTIMES";
  f.severity = majors.size() > 1 ? Severity::kError : Severity::kWarning;
  f.title = std::to_string(by_path.size()) + " CUDA runtimes are mapped into one process";
  f.impact =
      "each runtime keeps its own state; with different majors, memory and streams cannot be shared and "
      "libraries built for one fail with the other (\"invalid device context\", crashes at exit)";
  f.weight = majors.size() > 1 ? 0.8 : 0.4;
  f.fix =
      "Install every CUDA package for one CUDA major (torch, onnxruntime-gpu, tensorrt, nvidia-* wheels: all cu12 "
      "or all cu13), and remove CUDA directories from LD_LIBRARY_PATH that do not match it.";
  out.push_back(std::move(f));
}

// --- TF / ORT / TRT outside their tested configurations -------------------------------------------------------------

std::optional<long> wheel_major(const Build& b, const std::string& prefix) {
  if (!b.env || !b.env->packages) return std::nullopt;
  for (const auto& p : *b.env->packages) {
    if (!str::starts_with(p.name, prefix)) continue;
    auto v = Version::parse(p.version);
    if (v) return v->major();
  }
  return std::nullopt;
}

void check_untested(const Snapshot& s, std::vector<Finding>& out) {
  const auto& t = compat::tables();
  for (const auto& b : compat::builds_of(s, t)) {
    if (b.cpu_only) continue;
    Finding f;
    f.id = "COMPAT-UNTESTED-CONFIG";
    f.severity = Severity::kWarning;
    f.weight = 0.5;
    f.impact = "outside the configurations the project builds and tests: libraries may fail to load or misbehave";
    std::vector<std::string> problems;
    if (b.kind == "tensorflow" && b.tf_row) {
      if (b.cuda && b.cuda->major() != b.tf_row->cuda.major()) {
        problems.push_back("CUDA " + b.cuda->str() + " where TensorFlow " + b.tf_row->version.str() +
                           " is tested with " + b.tf_row->cuda.str());
      }
      f.evidence.push_back(Evidence{"tested configuration",
                                    "CUDA " + b.tf_row->cuda.str() + ", cuDNN " + b.tf_row->cudnn.str(),
                                    b.tf_row->source});
      f.fix = "pip install \"tensorflow[and-cuda]==" + compat::minor_text(*b.version) +
              ".*\"   # pulls the tested CUDA and cuDNN wheels";
    } else if (b.kind == "onnxruntime-gpu" && b.version) {
      const compat::OrtRow* row = b.ort_row;
      if (b.cuda && !row) {
        problems.push_back("no onnxruntime-gpu " + b.version->str() + " build for CUDA " +
                           std::to_string(b.cuda->major()));
      }
      if (row) {
        auto cudnn_loaded = wheel_major(b, "nvidia-cudnn");
        if (cudnn_loaded && *cudnn_loaded != row->cudnn_major) {
          problems.push_back("cuDNN " + std::to_string(*cudnn_loaded) + ".x wheel where this build needs cuDNN " +
                             std::to_string(row->cudnn_major) + ".x");
        }
        auto rt = wheel_major(b, "nvidia-cuda-runtime");
        if (rt && *rt != row->cuda_major) {
          problems.push_back("CUDA " + std::to_string(*rt) + ".x runtime wheel where this build needs CUDA " +
                             row->cuda);
        }
        f.evidence.push_back(Evidence{
            "requirement", "CUDA " + row->cuda + ", cuDNN " + std::to_string(row->cudnn_major) + ".x", row->source});
        f.fix = "pip install \"nvidia-cudnn-cu" + std::to_string(row->cuda_major) +
                "==" + std::to_string(row->cudnn_major) + ".*\" \"nvidia-cuda-runtime-cu" +
                std::to_string(row->cuda_major) + "\"   # or the onnxruntime-gpu build for the CUDA you have";
      }
    } else if (b.kind == "tensorrt" && b.trt_row && b.cuda) {
      bool found = false;
      std::string offered;
      for (const auto& c : b.trt_row->cuda) {
        offered += (offered.empty() ? "" : ", ") + c.str();
        if (c.major() == b.cuda->major()) found = true;
      }
      if (!found) {
        problems.push_back("CUDA " + b.cuda->str() + " where TensorRT " + b.version->str() + " is offered for CUDA " +
                           offered);
      }
      f.evidence.push_back(Evidence{"packages offered", "CUDA " + offered, b.trt_row->source});
      f.fix = "Install the TensorRT package for your CUDA major (pip install tensorrt-cu" +
              std::to_string(b.cuda->major()) + "), or a TensorRT release offered for it.";
    }
    if (problems.empty()) continue;
    f.title = b.label + " is outside its tested CUDA/cuDNN configuration";
    f.evidence.insert(f.evidence.begin(), build_evidence(b));
    for (const auto& p : problems) f.evidence.push_back(Evidence{"mismatch", p, b.cuda_source});
    out.push_back(std::move(f));
  }
}

// --- Python version vs the wheel -----------------------------------------------------------------------------------

// A framework packaged by the distribution (Debian's python3-torch in /usr/lib/python3/dist-packages) or built
// from source ("1.13.0a0+gitunknown") is built for the Python it sits in: the wheels' Python range says
// nothing about it.
bool built_for_its_python(const PythonPackageFacts& p) {
  return p.dist_info.find("/usr/lib/python3/dist-packages/") != std::string::npos ||
         p.version.find("+git") != std::string::npos;
}

void check_python(const Snapshot& s, std::vector<Finding>& out) {
  const auto& t = compat::tables();
  for (const auto& b : compat::builds_of(s, t)) {
    if (!b.env || !b.env->python_version || !b.version) continue;
    if (b.pkg && built_for_its_python(*b.pkg)) continue;
    auto py = Version::parse(*b.env->python_version);
    if (!py) continue;
    std::optional<Version> lo;
    std::optional<Version> hi;
    std::string source;
    if (b.kind == "torch") {
      for (const auto& r : t.torch) {
        if (!compat::same_minor(r.release_v, *b.version)) continue;
        lo = r.python_min;
        hi = r.python_max;
        source = r.source;
      }
    } else if (b.kind == "tensorflow" && b.tf_row) {
      lo = b.tf_row->python_min;
      hi = b.tf_row->python_max;
      source = b.tf_row->source;
    }
    if (!lo || !hi) continue;
    bool below = *py < *lo && !compat::same_minor(*py, *lo);
    bool above = *hi < *py && !compat::same_minor(*py, *hi);
    if (!below && !above) continue;
    Finding f;
    f.id = "COMPAT-PYTHON-UNSUPPORTED";
    f.severity = Severity::kWarning;
    f.weight = 0.4;
    f.title = b.label + " does not support Python " + compat::minor_text(*py);
    f.evidence.push_back(Evidence{"Python", py->str(), b.env->python_version.source});
    f.evidence.push_back(Evidence{b.kind + " " + compat::minor_text(*b.version) + " supports",
                                  "Python " + lo->str() + " to " + hi->str(), source});
    f.impact = "no wheel for this Python: pip resolves another version, builds from source, or the import fails";
    auto m = machine_of(s, t, &b);
    if (b.kind == "torch") {
      std::string alt = torch_fix(t, m, true);
      f.fix = alt.empty()
                  ? "Use a Python between " + lo->str() + " and " + hi->str() + "."
                  : "Use a Python between " + lo->str() + " and " + hi->str() + ", or a torch for this Python:\n" + alt;
    } else {
      f.fix = "Use a Python between " + lo->str() + " and " + hi->str() + ", or a TensorFlow release that supports " +
              compat::minor_text(*py) + ".";
    }
    out.push_back(std::move(f));
  }
}

// --- CUDA_HOME / LD_LIBRARY_PATH pointing at another CUDA -----------------------------------------------------------

// "/usr/local/cuda-12.1" -> 12.1 ("cuda-12", "cuda/12.1" too).
std::optional<Version> cuda_in_path(const std::string& path) {
  for (const char* marker : {"cuda-", "cuda/", "cuda"}) {
    size_t pos = 0;
    while ((pos = path.find(marker, pos)) != std::string::npos) {
      size_t i = pos + std::string(marker).size();
      if (i < path.size() && std::isdigit(static_cast<unsigned char>(path[i]))) {
        size_t j = i;
        while (j < path.size() && (std::isdigit(static_cast<unsigned char>(path[j])) || path[j] == '.')) ++j;
        if (auto v = Version::parse(path.substr(i, j - i)); v && v->major() >= 7 && v->major() < 100) return v;
      }
      pos = i;
    }
  }
  return std::nullopt;
}

void check_cuda_paths(const Snapshot& s, std::vector<Finding>& out) {
  const auto& t = compat::tables();
  std::optional<Version> fw;
  std::string fw_label;
  for (const auto& b : compat::builds_of(s, t)) {
    if ((b.kind == "torch" || b.kind == "tensorflow") && !b.cpu_only && b.cuda) {
      fw = b.cuda;
      fw_label = b.label;
      break;
    }
  }
  if (!fw) return;
  Finding f;
  if (s.compat.cuda_home && !s.compat.cuda_home->empty()) {
    std::optional<Version> home = cuda_in_path(*s.compat.cuda_home);
    if (home && home->major() != fw->major()) {
      f.evidence.push_back(
          Evidence{"CUDA_HOME", *s.compat.cuda_home + " (CUDA " + home->str() + ")", s.compat.cuda_home.source});
    }
  }
  if (s.compat.ld_library_path) {
    for (auto dir : str::split(*s.compat.ld_library_path, ':')) {
      std::optional<Version> v = cuda_in_path(std::string(dir));
      if (v && v->major() != fw->major()) {
        f.evidence.push_back(Evidence{"LD_LIBRARY_PATH entry", std::string(dir) + " (CUDA " + v->str() + ")",
                                      s.compat.ld_library_path.source});
      }
    }
  }
  if (s.compat.cuda_libraries) {
    for (const auto& l : *s.compat.cuda_libraries) {
      if (l.found_via != "LD_LIBRARY_PATH" || l.name != "libcudart" || !l.version) continue;
      auto v = Version::parse(*l.version);
      if (v && v->major() != fw->major()) {
        f.evidence.push_back(
            Evidence{"libcudart on LD_LIBRARY_PATH", l.path + " (" + *l.version + ")", "LD_LIBRARY_PATH"});
      }
    }
  }
  if (f.evidence.empty()) return;
  f.id = "COMPAT-CUDA-PATH-MISMATCH";
  f.severity = Severity::kWarning;
  f.weight = 0.5;
  f.title =
      "CUDA_HOME or LD_LIBRARY_PATH points at a CUDA major other than " + fw_label + "'s (CUDA " + fw->str() + ")";
  f.evidence.insert(f.evidence.begin(), Evidence{fw_label, "built for CUDA " + fw->str(), ""});
  f.impact = "LD_LIBRARY_PATH wins over the wheels' own library paths, so a CUDA " + std::to_string(fw->major()) +
             " framework may load another major's cuBLAS/cuDNN and fail; extensions built with CUDA_HOME's nvcc do "
             "not load";
  f.fix = "Point CUDA_HOME at a CUDA " + std::to_string(fw->major()) +
          ".x toolkit (or unset it) and remove the other CUDA directories from LD_LIBRARY_PATH.";
  out.push_back(std::move(f));
}

}  // namespace

std::vector<Rule> compat_rules() {
  return {
      {"COMPAT-DRIVER-PREDATES-GPU", "compat", check_driver_predates_gpu},
      {"COMPAT-DRIVER-TOO-OLD", "compat", check_driver_too_old},
      {"COMPAT-DRIVER-FORWARD-COMPAT", "compat", check_driver_forward},
      {"COMPAT-DRIVER-MINOR-COMPAT", "compat", check_driver_minor},
      {"COMPAT-ARCH-NOT-IN-BUILD", "compat", check_arch_missing},
      {"COMPAT-ARCH-PTX-JIT", "compat", check_arch_jit},
      {"COMPAT-CPU-ONLY-BUILD", "compat", check_cpu_only},
      {"COMPAT-CUDNN-MISMATCH", "compat", check_cudnn},
      {"COMPAT-MULTIPLE-CUDA-RUNTIMES", "compat", check_multiple_runtimes},
      {"COMPAT-UNTESTED-CONFIG", "compat", check_untested},
      {"COMPAT-PYTHON-UNSUPPORTED", "compat", check_python},
      {"COMPAT-CUDA-PATH-MISMATCH", "compat", check_cuda_paths},
  };
}

}  // namespace infertune
