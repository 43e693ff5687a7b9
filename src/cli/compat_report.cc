#include "cli/compat_report.h"

#include <set>

#include "compat/chooser.h"
#include "compat/judge.h"
#include "compat/stack.h"
#include "facts/snapshot_json.h"
#include "rules/rule.h"

namespace infertune::cli {

namespace {

enum class Mark { kOk, kWarn, kFail, kUnknown };

const char* mark_text(Mark m) {
  switch (m) {
    case Mark::kOk: return "✓";
    case Mark::kWarn: return "~";
    case Mark::kFail: return "✗";
    case Mark::kUnknown: return "?";
  }
  return "?";
}
const char* mark_name(Mark m) {
  switch (m) {
    case Mark::kOk: return "ok";
    case Mark::kWarn: return "warn";
    case Mark::kFail: return "fail";
    case Mark::kUnknown: return "unknown";
  }
  return "unknown";
}

struct Link {
  std::string link;  // "driver", "cuda-driver-api", "runtime", "cudnn", "framework", "gpu-arch"
  std::string subject;
  Mark mark = Mark::kUnknown;
  std::string detail;
};

std::vector<Link> chain(const Snapshot& s, const compat::Tables& t) {
  std::vector<Link> out;
  auto drv = compat::driver_of(s);
  auto gpus = compat::gpus_of(s, t);
  auto builds = compat::builds_of(s, t);
  bool fc = compat::any_forward_compat(gpus);

  Link d{"driver", "NVIDIA driver", Mark::kUnknown, ""};
  if (drv.version) {
    d.mark = Mark::kOk;
    d.detail = compat::driver_text(*drv.version) + " (" + drv.source + ")";
  } else if (s.gpu.driver.nvidia_module_loaded && !*s.gpu.driver.nvidia_module_loaded) {
    d.mark = Mark::kFail;
    d.detail = "no NVIDIA driver: the nvidia kernel module is not loaded (" + s.gpu.driver.nvidia_module_loaded.source +
               ")" + (compat::has_gpu(s) ? "" : "; no NVIDIA GPU on the PCI bus either");
  } else {
    d.detail = "version unknown (" + s.gpu.driver.driver_version.unknown_why + ")";
  }
  if (drv.version) {
    for (const auto& g : gpus) {
      if (!g.cc) continue;
      Version cuda;
      auto need = compat::gpu_min_driver(t, *g.cc, &cuda);
      if (need && *drv.version < *need) {
        d.mark = Mark::kFail;
        d.detail += "; too old for " + g.label + " (" + compat::sm_name(*g.cc) + " needs " +
                    compat::driver_text(*need) + " or newer)";
      }
    }
  }
  out.push_back(d);

  Link api{"cuda-driver-api", "CUDA driver API", Mark::kUnknown, ""};
  if (drv.cuda_version) {
    api.mark = Mark::kOk;
    api.detail = "CUDA " + drv.cuda_version->str() + " (reported by the driver)";
  } else if (drv.version) {
    auto newest = compat::newest_native_cuda(t, *drv.version);
    api.mark = newest ? Mark::kOk : Mark::kFail;
    api.detail = newest ? "up to CUDA " + newest->str() + " natively (cuda_driver.csv)"
                        : "older than every CUDA release in cuda_driver.csv";
  } else {
    api.detail = "no driver, no CUDA driver API (libcuda.so comes with the driver)";
    if (d.mark == Mark::kFail) api.mark = Mark::kFail;
  }
  out.push_back(api);

  for (const auto& b : builds) {
    if (b.cpu_only || !b.cuda) continue;
    Link r{"runtime", b.label, Mark::kUnknown, "CUDA " + b.cuda->str() + " (" + b.cuda_source + ")"};
    if (drv.version) {
      auto dc = compat::check_driver(t, *drv.version, *b.cuda, drv.cuda_version, fc);
      r.mark = dc.fit == compat::DriverFit::kNative        ? Mark::kOk
               : dc.fit == compat::DriverFit::kMinorCompat ? Mark::kWarn
                                                           : Mark::kFail;
      r.detail += ": " + dc.why;
    } else {
      r.detail += ": no driver to run it";
      if (d.mark == Mark::kFail) r.mark = Mark::kFail;
    }
    out.push_back(r);
  }

  std::set<std::string> ids;
  auto findings = run_rules(s);
  for (const auto& f : findings) ids.insert(f.id);
  for (const auto& b : builds) {
    if (b.cpu_only || !b.cudnn) continue;
    bool bad = false;
    for (const auto& f : findings) {
      if (f.id == "COMPAT-CUDNN-MISMATCH" && f.title.find(b.label) != std::string::npos) bad = true;
    }
    out.push_back({"cudnn", b.label, bad ? Mark::kFail : Mark::kOk,
                   "built with cuDNN " + b.cudnn->str() + " (" + b.cudnn_source + ")" +
                       (bad ? "; a different cuDNN is loaded (COMPAT-CUDNN-MISMATCH)" : "")});
  }

  for (const auto& b : builds) {
    if (b.kind == "libcudart" || b.kind == "nvcc") continue;
    Link fw{"framework", b.label, Mark::kOk, ""};
    if (b.cpu_only) {
      fw.mark = compat::has_gpu(s) ? Mark::kFail : Mark::kWarn;
      fw.detail = "CPU-only build";
    } else {
      fw.detail = b.cuda ? "CUDA build" : "CUDA version unknown";
      for (const auto& f : findings) {
        bool mine = f.title.find(b.label) != std::string::npos;
        if (mine && (f.id == "COMPAT-PYTHON-UNSUPPORTED" || f.id == "COMPAT-UNTESTED-CONFIG")) {
          fw.mark = Mark::kWarn;
          fw.detail += "; " + f.title;
        }
      }
    }
    out.push_back(fw);
  }

  for (const auto& g : gpus) {
    if (!g.cc) {
      out.push_back({"gpu-arch", g.label, Mark::kUnknown, "compute capability unknown (not in gpus.csv)"});
      continue;
    }
    bool any = false;
    for (const auto& b : builds) {
      if (b.cpu_only || !b.arch_known) continue;
      any = true;
      auto ac = compat::check_arch(*g.cc, b.sass, b.ptx);
      Mark m = ac.fit == compat::ArchFit::kSass     ? Mark::kOk
               : ac.fit == compat::ArchFit::kPtxJit ? Mark::kWarn
                                                    : Mark::kFail;
      out.push_back({"gpu-arch", g.label + " · " + b.label, m,
                     compat::sm_name(*g.cc) + ": " + ac.why + " (" + b.arch_source + ")"});
    }
    if (!any) {
      out.push_back({"gpu-arch", g.label, Mark::kOk, compat::sm_name(*g.cc) + " (" + g.cc_source + ")"});
    }
  }
  return out;
}

Section inventory(const Snapshot& s) {
  Section sec{"Inventory", {}};
  const auto& c = s.compat;
  auto why = [](const auto& f) {
    return f.unknown_why.empty() ? std::string("not collected") : "unknown (" + f.unknown_why + ")";
  };
  if (c.python_envs) {
    for (const auto& e : *c.python_envs) {
      std::string pk;
      if (e.packages) {
        for (const auto& p : *e.packages) pk += (pk.empty() ? "" : ", ") + p.name + " " + p.version;
      }
      sec.rows.push_back({"Python " + e.python_version.value_or("?"),
                          e.interpreter + " (" + e.found_via + "): " + (pk.empty() ? "no packages of interest" : pk)});
    }
    if (c.python_envs->empty()) sec.rows.push_back({"Python", "no interpreter found"});
  } else {
    sec.rows.push_back({"Python", why(c.python_envs)});
  }
  if (c.cuda_libraries) {
    std::string libs;
    for (const auto& l : *c.cuda_libraries) {
      libs += (libs.empty() ? "" : ", ") + l.name + " " + l.version.value_or("?") +
              (l.shadowed && *l.shadowed ? " (shadowed)" : "");
    }
    sec.rows.push_back({"CUDA libraries", libs.empty() ? "none found" : libs});
  } else {
    sec.rows.push_back({"CUDA libraries", why(c.cuda_libraries)});
  }
  if (c.process_libraries) {
    std::string libs;
    for (const auto& l : *c.process_libraries)
      libs += (libs.empty() ? "" : ", ") + l.name + " " + l.version.value_or("?");
    sec.rows.push_back({"Loaded by the process", libs.empty() ? "no CUDA library mapped" : libs});
  }
  sec.rows.push_back({"nvcc", c.nvcc_version ? *c.nvcc_version : why(c.nvcc_version)});
  if (c.cuda_home) sec.rows.push_back({"CUDA_HOME", c.cuda_home->empty() ? "not set" : *c.cuda_home});
  if (c.fatbins) {
    for (const auto& f : *c.fatbins) {
      std::string archs;
      for (const auto& a : f.sass_archs.value_or({})) archs += (archs.empty() ? "" : " ") + a;
      for (const auto& a : f.ptx_archs.value_or({})) archs += (archs.empty() ? "" : " ") + a;
      sec.rows.push_back({"GPU code in " + f.path, archs.empty() ? "none found" : archs});
    }
  }
  return sec;
}

Section choices(const Snapshot& s, const compat::Tables& t) {
  Section sec{"Fits this driver and GPU (newest first)", {}};
  const PythonEnvFacts* env =
      s.compat.python_envs && !s.compat.python_envs->empty() ? &s.compat.python_envs->front() : nullptr;
  compat::Machine m = compat::machine_of(s, t, env);
  if (!m.driver && !m.cc) {
    sec.rows.push_back(
        {"Choices", "need a driver version or a GPU (give --driver and --gpu to plan for another machine)"});
    return sec;
  }
  auto torch = compat::choose_torch(t, m);
  for (size_t i = 0; i < torch.size() && i < 3; ++i) {
    sec.rows.push_back({i == 0 ? "torch" : "", torch[i].pip + (torch[i].note.empty() ? "" : "   # " + torch[i].note)});
  }
  if (torch.empty()) sec.rows.push_back({"torch", "no wheel in pytorch.csv fits this driver, GPU and Python"});
  auto images = compat::choose_cuda_images(t, m);
  for (size_t i = 0; i < images.size(); ++i) sec.rows.push_back({i == 0 ? "base image" : "", images[i].image});
  if (!torch.empty()) {
    if (auto img = compat::pytorch_image(t, *torch.front().row)) sec.rows.push_back({"pytorch image", *img});
  }
  std::string ctx = (m.driver ? "driver " + compat::driver_text(*m.driver) : std::string("any driver")) +
                    (m.cc ? ", " + compat::sm_name(*m.cc) : std::string(", any GPU")) +
                    (m.python ? ", Python " + compat::minor_text(*m.python) : std::string());
  sec.rows.push_back({"for", ctx + " (" + t.origin + ")"});
  return sec;
}

}  // namespace

Report compat_report(const Snapshot& s, const std::string& subject) {
  const auto& t = compat::tables();
  Report r;
  r.command = "compat";
  r.subject = subject;
  auto links = chain(s, t);
  Section ch{"Chain: driver → CUDA driver API → runtime → cuDNN → framework → GPU arch", {}};
  Json jchain = Json::array();
  for (const auto& l : links) {
    ch.rows.push_back({std::string(mark_text(l.mark)) + " " + l.link, l.subject + ": " + l.detail});
    jchain.push_back({{"link", l.link}, {"subject", l.subject}, {"status", mark_name(l.mark)}, {"detail", l.detail}});
  }
  r.sections.push_back(std::move(ch));
  r.sections.push_back(inventory(s));
  r.sections.push_back(choices(s, t));
  std::set<std::string> ids;
  for (const auto& rule : all_rules()) {
    if (std::string(rule.area) == "compat") ids.insert(rule.id);
  }
  for (auto& f : run_rules(s)) {
    if (ids.count(f.id)) r.findings.push_back(std::move(f));
  }
  Json snap = snapshot_to_json(s);
  for (auto it = snap["unknown"].begin(); it != snap["unknown"].end(); ++it) {
    if (it.key().rfind("compat.", 0) != 0 && it.key().rfind("gpu.driver", 0) != 0) continue;
    r.unknowns.push_back(it.key() + ": " + (it->is_string() ? it->get<std::string>() : std::string("?")));
  }
  r.notes = s.notes;
  Json j;
  j["tables"] = t.origin;
  j["chain"] = std::move(jchain);
  j["gpu"] = snap["gpu"];
  j["compat"] = snap["compat"];
  r.data = std::move(j);
  return r;
}

}  // namespace infertune::cli
