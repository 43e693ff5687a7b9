#include "compat/chooser.h"

#include <algorithm>

#include "base/strings.h"

namespace infertune::compat {

std::string pip_line(const TorchRow& r) {
  return "pip install \"torch==" + r.release + ".*\" --index-url " + r.index_url;
}

std::vector<TorchChoice> choose_torch(const Tables& t, const Machine& m) {
  std::vector<TorchChoice> out;
  // A driver older than the GPU's architecture cannot run it, whatever is installed on top.
  if (m.driver && m.cc) {
    auto need = gpu_min_driver(t, *m.cc);
    if (need && *m.driver < *need) return out;
  }
  for (const auto& r : t.torch) {
    TorchChoice c;
    c.row = &r;
    if (m.python && (*m.python < r.python_min || (r.python_max < *m.python && !same_minor(r.python_max, *m.python)))) {
      continue;
    }
    if (m.cc) {
      c.arch_fit = check_arch_list(*m.cc, r.sass, r.ptx).fit;
      if (c.arch_fit == ArchFit::kMissing) continue;
    }
    if (m.driver) {
      c.driver_fit = check_driver(t, *m.driver, r.cuda, m.driver_cuda, m.forward_compat_gpu).fit;
      if (c.driver_fit != DriverFit::kNative && c.driver_fit != DriverFit::kMinorCompat) continue;
      if (c.driver_fit == DriverFit::kMinorCompat && c.arch_fit == ArchFit::kPtxJit) continue;
    }
    c.pip = pip_line(r);
    std::vector<std::string> notes;
    if (c.driver_fit == DriverFit::kMinorCompat) notes.push_back("runs through CUDA minor-version compatibility");
    if (c.arch_fit == ArchFit::kPtxJit) notes.push_back("GPU code from PTX, compiled at first launch");
    for (const auto& n : notes) c.note += (c.note.empty() ? "" : "; ") + n;
    out.push_back(std::move(c));
  }
  std::stable_sort(out.begin(), out.end(), [](const TorchChoice& a, const TorchChoice& b) {
    if (!(a.row->release_v == b.row->release_v)) return b.row->release_v < a.row->release_v;
    bool an = a.driver_fit != DriverFit::kMinorCompat;
    bool bn = b.driver_fit != DriverFit::kMinorCompat;
    if (an != bn) return an;
    return b.row->cuda < a.row->cuda;
  });
  return out;
}

std::string driver_advice(const Tables& t, const Version& cuda) {
  auto need = native_min_driver(t, cuda);
  if (!need) {
    const CudaMajorRow* mr = major_row(t, cuda.major());
    if (mr && mr->minor_compat_min_driver) {
      std::string branch = std::to_string(mr->minor_compat_min_driver->major());
      return "NVIDIA driver " + driver_text(*mr->minor_compat_min_driver) + " or newer (CUDA " + minor_text(cuda) +
             " is newer than the tables; the CUDA " + std::to_string(cuda.major()) +
             ".x floor is shown — prefer the newest branch: sudo apt install nvidia-driver-" + branch + " or later)";
    }
    return "an NVIDIA driver that supports CUDA " + minor_text(cuda);
  }
  std::string branch = std::to_string(need->major());
  return "NVIDIA driver " + driver_text(*need) + " or newer for CUDA " + minor_text(cuda) + " (branch " + branch +
         " or later, e.g. sudo apt install nvidia-driver-" + branch + ")";
}

std::vector<ImageChoice> choose_cuda_images(const Tables& t, const Machine& m, size_t max) {
  std::vector<const CudaImageRow*> rows;
  for (const auto& r : t.cuda_images) rows.push_back(&r);
  std::stable_sort(rows.begin(), rows.end(), [](auto* a, auto* b) { return b->cuda < a->cuda; });
  std::vector<ImageChoice> out;
  for (const auto* r : rows) {
    if (out.size() >= max) break;
    std::string why;
    if (m.driver) {
      auto c = check_driver(t, *m.driver, r->cuda, m.driver_cuda, m.forward_compat_gpu);
      if (c.fit != DriverFit::kNative) continue;
      why = "driver " + driver_text(*m.driver) + " runs CUDA " + minor_text(r->cuda) + " natively";
    }
    if (m.cc) {
      const ArchSupportRow* a = nullptr;
      for (const auto& s : t.arch_support) {
        if (same_minor(s.cuda, r->cuda)) a = &s;
      }
      if (a && (*m.cc < a->min_cc || (*m.cc > a->max_cc && *m.cc / 10 != a->max_cc / 10))) continue;
    }
    // Flavor: cuDNN runtime, else runtime, else what the tables list.
    std::string flavor;
    for (const auto& f : r->flavors) {
      if (str::ends_with(f, "runtime") && f.find("cudnn") != std::string::npos) flavor = f;
    }
    if (flavor.empty()) {
      for (const auto& f : r->flavors) {
        if (f == "runtime") flavor = f;
      }
    }
    if (flavor.empty() && !r->flavors.empty()) flavor = r->flavors.front();
    std::string os;
    for (const auto& o : r->os) {
      if (o == "ubuntu22.04" || (os.empty() && o == "ubuntu24.04")) os = o;
    }
    if (os.empty() && !r->os.empty()) os = r->os.front();
    if (flavor.empty() || os.empty()) continue;
    out.push_back({"nvidia/cuda:" + r->cuda.str() + "-" + flavor + "-" + os, why});
  }
  return out;
}

std::optional<std::string> pytorch_image(const Tables& t, const TorchRow& r) {
  for (const auto& d : t.torch_docker) {
    if (!same_minor(d.release, r.release_v)) continue;
    std::string want = "cuda" + minor_text(r.cuda) + "-";
    std::optional<std::string> devel;
    for (const auto& tag : d.tags_seen) {
      if (tag.find(want) == std::string::npos) continue;
      if (str::ends_with(tag, "-runtime")) return "pytorch/pytorch:" + tag;
      if (!devel) devel = "pytorch/pytorch:" + tag;
    }
    if (devel) return devel;
  }
  return std::nullopt;
}

}  // namespace infertune::compat
