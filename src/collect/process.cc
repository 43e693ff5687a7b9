#include "collect/process.h"

#include <algorithm>
#include <limits>

#include "base/strings.h"

namespace infertune {

namespace {

// The environment variables kept in the snapshot: the ONE list. Only these names are ever kept, so values
// need no secret filtering. Grouped by what they change.
const std::vector<std::string_view> kRelevantEnv = {
    // Which GPUs the process sees, and how (NVIDIA container runtime, CUDA runtime).
    "CUDA_VISIBLE_DEVICES",
    "NVIDIA_VISIBLE_DEVICES",
    "NVIDIA_DRIVER_CAPABILITIES",
    "NVIDIA_REQUIRE_CUDA",
    "CUDA_DEVICE_ORDER",
    "CUDA_MPS_PIPE_DIRECTORY",
    "CUDA_MPS_ACTIVE_THREAD_PERCENTAGE",
    // CUDA behaviour that costs speed or start-up time.
    "CUDA_LAUNCH_BLOCKING",
    "CUDA_MODULE_LOADING",
    "CUDA_CACHE_DISABLE",
    "CUDA_DEVICE_MAX_CONNECTIONS",
    // Where CUDA and other libraries are looked up.
    "CUDA_HOME",
    "CUDA_PATH",
    "LD_LIBRARY_PATH",
    "LD_PRELOAD",
    // CPU thread pools (oversubscription under a CPU quota is a classic slowdown).
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "OMP_PROC_BIND",
    "OMP_WAIT_POLICY",
    "KMP_AFFINITY",
    "KMP_BLOCKTIME",
    "TOKENIZERS_PARALLELISM",
    // PyTorch.
    "PYTORCH_CUDA_ALLOC_CONF",
    "PYTORCH_NO_CUDA_MEMORY_CACHING",
    "TORCH_CUDNN_V8_API_ENABLED",
    "CUBLAS_WORKSPACE_CONFIG",
    // NCCL (multi-GPU).
    "NCCL_DEBUG",
    "NCCL_P2P_DISABLE",
    "NCCL_IB_DISABLE",
    "NCCL_SHM_DISABLE",
    // TensorFlow.
    "TF_FORCE_GPU_ALLOW_GROWTH",
    "TF_GPU_ALLOCATOR",
    "TF_CPP_MIN_LOG_LEVEL",
    "TF_ENABLE_ONEDNN_OPTS",
    "TF_XLA_FLAGS",
    // Model hub (offline mode changes start-up behaviour).
    "HF_HUB_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    // Where the process runs (set in every Kubernetes pod).
    "KUBERNETES_SERVICE_HOST",
};

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    unsigned min = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      n = 1, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3, min = 0x10000;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated sequence
    unsigned cp = c & (0x3fu >> n);
    for (size_t k = 1; k <= n; ++k) {
      auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

std::optional<int64_t> parse_limit_value(std::string_view v) {
  if (v == "unlimited") return kUnlimited;
  auto u = str::parse_u64(v);
  if (!u) return std::nullopt;
  if (*u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return kUnlimited;
  return static_cast<int64_t>(*u);
}

}  // namespace

ProcStatus parse_proc_status(std::string_view text) {
  ProcStatus st;
  for (std::string_view line : str::lines(text)) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = line.substr(0, colon);
    std::string_view val = str::trim(line.substr(colon + 1));
    if (key == "Pid" && !st.pid) {
      auto v = str::parse_i64(val);
      if (v && *v > 0) st.pid = *v;
    } else if (key == "Cpus_allowed_list" && !st.cpus_allowed_list) {
      if (str::parse_cpu_list(val)) st.cpus_allowed_list = std::string(val);
    }
  }
  return st;
}

std::map<std::string, ProcLimit> parse_limits(std::string_view text) {
  std::map<std::string, ProcLimit> out;
  for (std::string_view line : str::lines(text)) {
    auto f = str::split_ws(line);
    // The name is every word before the first value; a value is a number or "unlimited".
    size_t i = 0;
    while (i < f.size() && f[i] != "unlimited" && !str::parse_u64(f[i])) ++i;
    if (i == 0 || i + 1 >= f.size()) continue;
    auto soft = parse_limit_value(f[i]);
    auto hard = parse_limit_value(f[i + 1]);
    if (!soft || !hard) continue;
    std::string name;
    for (size_t k = 0; k < i; ++k) {
      if (k) name += ' ';
      name += f[k];
    }
    out.emplace(std::move(name), ProcLimit{*soft, *hard});
  }
  return out;
}

bool is_relevant_env(std::string_view name) {
  return std::find(kRelevantEnv.begin(), kRelevantEnv.end(), name) != kRelevantEnv.end();
}

const std::vector<std::string_view>& relevant_env_names() { return kRelevantEnv; }

std::map<std::string, std::string> parse_environ(std::string_view text) {
  std::map<std::string, std::string> out;
  for (std::string_view entry : str::split(text, '\0')) {
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    if (!valid_utf8(entry)) continue;
    std::string_view name = entry.substr(0, eq);
    if (!is_relevant_env(name)) continue;
    out.emplace(std::string(name), std::string(entry.substr(eq + 1)));
  }
  return out;
}

void collect_process(const FsRoot& fs, ProcessFacts& out) {
  SysPath status_path = fs.self("status");
  auto status = fs.read(status_path, 1 << 16);
  ProcStatus st;
  if (status.ok()) st = parse_proc_status(*status);
  auto why_status = [&](const char* key) {
    return status.ok() ? status_path.display + " has no well-formed " + key + " line" : status.error().message;
  };
  if (st.pid) {
    out.pid.set(*st.pid, status_path.display);
  } else if (fs.process() != "self" && str::parse_i64(fs.process())) {
    out.pid.set(*str::parse_i64(fs.process()), "--pid");
  } else {
    out.pid.unknown(why_status("Pid:"));
  }
  if (st.cpus_allowed_list) {
    out.cpus_allowed_list.set(*st.cpus_allowed_list, status_path.display);
    out.cpus_allowed.set(static_cast<int64_t>(str::parse_cpu_list(*st.cpus_allowed_list)->size()), status_path.display);
  } else {
    out.cpus_allowed_list.unknown(why_status("Cpus_allowed_list:"));
    out.cpus_allowed.unknown(why_status("Cpus_allowed_list:"));
  }

  SysPath limits_path = fs.self("limits");
  auto limits = fs.read(limits_path, 1 << 16);
  std::map<std::string, ProcLimit> lim;
  if (limits.ok()) lim = parse_limits(*limits);
  auto put_limit = [&](Fact<int64_t>& soft, Fact<int64_t>& hard, const char* row) {
    auto it = lim.find(row);
    if (it != lim.end()) {
      soft.set(it->second.soft, limits_path.display);
      hard.set(it->second.hard, limits_path.display);
      return;
    }
    std::string why =
        limits.ok() ? limits_path.display + " has no well-formed \"" + row + "\" row" : limits.error().message;
    soft.unknown(why);
    hard.unknown(why);
  };
  put_limit(out.nofile_soft, out.nofile_hard, "Max open files");
  put_limit(out.memlock_soft_bytes, out.memlock_hard_bytes, "Max locked memory");

  SysPath env_path = fs.self("environ");
  auto env = fs.read(env_path);
  if (env.ok()) {
    out.env.set(parse_environ(*env), env_path.display);
  } else {
    out.env.unknown(env.error().message);
  }
}

}  // namespace infertune
