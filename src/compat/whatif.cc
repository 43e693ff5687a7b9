#include "compat/whatif.h"

#include "base/strings.h"
#include "compat/judge.h"

namespace infertune::compat {

namespace {

const char* kTargetForms =
    "expected torch==VERSION[+cuXYZ|+cpu], tensorflow==VERSION, onnxruntime-gpu==VERSION or cuda==VERSION";

PythonEnvFacts& planned_env(Snapshot& s) {
  auto& envs = s.compat.python_envs;
  if (!envs || envs->empty()) {
    PythonEnvFacts e;
    e.interpreter = "planned environment";
    e.found_via = "--target";
    e.packages.set({}, "--target");
    envs.set({std::move(e)}, "--target");
  }
  PythonEnvFacts& env = envs.value->front();
  if (!env.packages) env.packages.set({}, "--target");
  return env;
}

void put_package(PythonEnvFacts& env, PythonPackageFacts p, const std::vector<std::string>& replaces) {
  auto& pkgs = *env.packages.value;
  std::erase_if(pkgs, [&](const PythonPackageFacts& q) {
    for (const auto& r : replaces) {
      if (q.name == r) return true;
    }
    return false;
  });
  pkgs.push_back(std::move(p));
}

}  // namespace

Result<Target> parse_target(const std::string& spec) {
  auto pos = spec.find("==");
  if (pos == std::string::npos || pos == 0 || pos + 2 >= spec.size()) {
    return usage_error("--target '" + spec + "': " + kTargetForms);
  }
  Target t{str::to_lower(str::trim(spec.substr(0, pos))), std::string(str::trim(spec.substr(pos + 2)))};
  if (t.name == "onnxruntime_gpu") t.name = "onnxruntime-gpu";
  if (t.name != "torch" && t.name != "tensorflow" && t.name != "onnxruntime-gpu" && t.name != "cuda") {
    return usage_error("--target '" + spec + "': unknown package '" + t.name + "'; " + kTargetForms);
  }
  auto v = Version::parse(t.version);
  if (!v || t.version.find_first_not_of("0123456789.+cpuabrcdev") != std::string::npos) {
    return usage_error("--target '" + spec + "': '" + t.version + "' is not a version; " + kTargetForms);
  }
  if (!v->local().empty() && t.name != "torch") {
    return usage_error("--target '" + spec + "': only torch versions take a +local part");
  }
  if (!v->local().empty() && v->local() != "cpu" && !cuda_of_variant(v->local())) {
    return usage_error("--target '" + spec + "': '+" + v->local() + "' is not +cpu or +cuXYZ");
  }
  return t;
}

std::optional<Error> apply_target(const Tables& t, const Target& target, Snapshot& s) {
  Version v = *Version::parse(target.version);
  std::string spec = target.name + "==" + target.version;
  PythonPackageFacts p;
  p.name = target.name;
  p.version = target.version;
  p.dist_info = "--target " + spec;
  if (target.name == "torch") {
    if (v.local() == "cpu") {
      p.cuda_version.set("None", "--target");
    } else {
      const TorchRow* row = find_torch(t, v, std::nullopt);
      if (!row) {
        std::string have;
        for (const auto& r : t.torch) {
          if (same_minor(r.release_v, v)) have += (have.empty() ? "" : ", ") + r.variant;
        }
        return usage_error("--target '" + spec + "': no torch " + minor_text(v) +
                           (v.local().empty() ? "" : " " + v.local()) + " wheel in pytorch.csv" +
                           (have.empty() ? "" : " (it has " + have + ")"));
      }
      p.cuda_version.set(row->cuda.str(), "--target " + spec + " (pytorch.csv)");
    }
    put_package(planned_env(s), std::move(p), {"torch"});
  } else if (target.name == "tensorflow") {
    if (!find_tensorflow(t, v)) {
      return usage_error("--target '" + spec + "': TensorFlow " + minor_text(v) + " is not in tensorflow.csv");
    }
    put_package(planned_env(s), std::move(p), {"tensorflow", "tensorflow-cpu", "tensorflow-gpu"});
  } else if (target.name == "onnxruntime-gpu") {
    if (!find_ort(t, v, std::nullopt)) {
      return usage_error("--target '" + spec + "': onnxruntime-gpu " + v.str() + " is not in onnxruntime.csv");
    }
    put_package(planned_env(s), std::move(p), {"onnxruntime", "onnxruntime-gpu"});
  } else {  // cuda
    if (!native_min_driver(t, v) && !major_row(t, v.major())) {
      return usage_error("--target '" + spec + "': CUDA " + v.str() + " is not in cuda_driver.csv");
    }
    s.compat.nvcc_version.set(v.str(), "--target " + spec);
  }
  return std::nullopt;
}

std::optional<Error> apply_machine(const Tables& t, const std::string& driver, const std::string& gpu, Snapshot& s) {
  if (!driver.empty()) {
    auto v = Version::parse(driver);
    if (!v || v->fields().size() < 2 || !v->local().empty() || v->major() < 100) {
      return usage_error("--driver '" + driver + "': expected an NVIDIA driver version such as 550.54.14");
    }
    s.gpu.driver.driver_version.set(driver, "--driver");
    s.gpu.driver.kernel_module_version.set(driver, "--driver");
    s.gpu.driver.cuda_driver_version.unknown("driver given by hand (--driver)");
  }
  if (!gpu.empty()) {
    const GpuRow* row = find_gpu(t, gpu);
    if (!row) {
      std::string known;
      for (const auto& g : t.gpus) known += (known.empty() ? "" : ", ") + g.aliases.front();
      return usage_error("--gpu '" + gpu + "': not a GPU in gpus.csv (known: " + known + ")");
    }
    GpuDeviceFacts d;
    d.index.set(0, "--gpu");
    d.name.set(gpu, "--gpu");
    d.compute_capability.set(cc_text(row->cc), "--gpu (gpus.csv: " + row->gpu + ")");
    s.gpu.devices.set({std::move(d)}, "--gpu");
  }
  return std::nullopt;
}

}  // namespace infertune::compat
