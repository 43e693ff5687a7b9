#include "collect/container.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <utility>

#include "base/strings.h"
#include "collect/cgroup.h"
#include "collect/memory.h"

namespace infertune {

namespace {

bool is_hex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isxdigit(static_cast<unsigned char>(c)) != 0 && std::isupper(static_cast<unsigned char>(c)) == 0;
  });
}
bool is_hex64(std::string_view s) { return s.size() == 64 && is_hex(s); }

// A Kubernetes pod UID as it appears in cgroup names: dashes (cgroupfs driver) or underscores (systemd driver).
std::string pod_uid_of(std::string_view s) {
  std::string uid(s);
  std::replace(uid.begin(), uid.end(), '_', '-');
  if (uid.size() != 36) return "";
  for (size_t i = 0; i < uid.size(); ++i) {
    bool dash_pos = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_pos ? uid[i] != '-' : !is_hex(std::string_view(&uid[i], 1))) return "";
  }
  return uid;
}

// "<prefix><id>.scope" -> id when it is 64 hex digits.
std::string scope_id(std::string_view component, std::string_view prefix) {
  if (!str::starts_with(component, prefix) || !str::ends_with(component, ".scope")) return "";
  auto id = component.substr(prefix.size(), component.size() - prefix.size() - 6);
  return is_hex64(id) ? std::string(id) : "";
}

// The path component after `marker` inside `path` (".../kubelet/pods/<uid>/..." -> "<uid>"), or "".
std::string component_after(std::string_view path, std::string_view marker) {
  auto pos = path.find(marker);
  if (pos == std::string_view::npos) return "";
  auto rest = path.substr(pos + marker.size());
  return std::string(rest.substr(0, rest.find('/')));
}

}  // namespace

CgroupPathSigns parse_cgroup_path_signs(std::string_view cgroup_path) {
  CgroupPathSigns s;
  auto parts = str::split(cgroup_path, '/');
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string_view c = parts[i];
    if (c.empty()) continue;
    std::string id;
    if (!(id = scope_id(c, "docker-")).empty()) {
      s.runtime = "docker";
    } else if (!(id = scope_id(c, "cri-containerd-")).empty()) {
      s.runtime = "containerd";
    } else if (!(id = scope_id(c, "crio-")).empty()) {
      s.runtime = "cri-o";
    } else if (!(id = scope_id(c, "libpod-")).empty()) {
      s.runtime = "podman";
    } else if (c == "docker" && i + 1 < parts.size() && !parts[i + 1].empty()) {
      // cgroupfs driver: /docker/<id>
      s.runtime = "docker";
      if (is_hex64(parts[i + 1])) id = std::string(parts[i + 1]);
    } else if ((c == "lxc" && i + 1 < parts.size() && !parts[i + 1].empty()) || str::starts_with(c, "lxc.payload")) {
      s.runtime = "lxc";
    } else if (str::starts_with(c, "kubepods")) {
      s.kubernetes = true;
      // systemd driver: kubepods-burstable-pod<uid_with_underscores>.slice
      auto pod = c.find("-pod");
      if (pod != std::string_view::npos && str::ends_with(c, ".slice")) {
        auto uid = pod_uid_of(c.substr(pod + 4, c.size() - pod - 4 - 6));
        if (!uid.empty()) s.pod_uid = uid;
      }
    } else if (s.kubernetes && str::starts_with(c, "pod")) {
      // cgroupfs driver: /kubepods/burstable/pod<uid>/<container id>
      auto uid = pod_uid_of(c.substr(3));
      if (!uid.empty()) s.pod_uid = uid;
    } else if (s.kubernetes && !s.pod_uid.empty() && is_hex64(c)) {
      id = std::string(c);
    }
    if (!id.empty()) s.container_id = id;
  }
  return s;
}

MountSigns parse_mount_signs(const MountInfo& m) {
  MountSigns s;
  const std::string& root = m.root;
  const std::string& mp = m.mount_point;
  const FsRoot names;  // only to spell the system's paths, never to read
  bool etc_file =
      mp == names.etc("hostname").display || mp == names.etc("hosts").display || mp == names.etc("resolv.conf").display;
  // Seen from the host these directories are mount points themselves; inside a container they are the source
  // (root) of bind mounts onto container paths.
  bool host_side = str::starts_with(mp, "/var/lib/") || str::starts_with(mp, names.run("containers/").display) ||
                   str::starts_with(mp, "/var/run/containers/");
  if (host_side) return s;
  std::string pod = component_after(root, "/kubelet/pods/");
  if (!pod.empty()) {
    s.kubernetes = true;
    s.pod_uid = pod_uid_of(pod);
  }
  if (!etc_file) return s;
  // Docker: /var/lib/docker/containers/<id>/hostname (root is relative to its file system, so a separate
  // /var/lib/docker partition shows "/containers/<id>/hostname").
  std::string id = component_after(root, "/containers/");
  if (is_hex64(id) &&
      (str::starts_with(root, "/containers/") || root.find("/docker/containers/") != std::string::npos)) {
    s.runtime = "docker";
    s.container_id = id;
    return s;
  }
  if (root.find("/io.containerd.grpc.v1.cri/sandboxes/") != std::string::npos) {
    s.runtime = "containerd";
    return s;
  }
  // Podman (and CRI-O, which shares containers/storage): .../overlay-containers/<id>/userdata/hostname
  id = component_after(root, "/overlay-containers/");
  if (is_hex64(id) && root.find("/userdata/") != std::string::npos) {
    s.runtime = "podman";
    s.container_id = id;
  }
  return s;
}

std::optional<int64_t> parse_tmpfs_size(std::string_view value) {
  value = str::trim(value);
  if (value.empty() || value.back() == '%') return std::nullopt;
  int shift = 0;
  switch (std::tolower(static_cast<unsigned char>(value.back()))) {
    case 'k': shift = 10; break;
    case 'm': shift = 20; break;
    case 'g': shift = 30; break;
    case 't': shift = 40; break;
    case 'p': shift = 50; break;
    default: break;
  }
  if (shift != 0) value.remove_suffix(1);
  auto n = str::parse_u64(value);
  if (!n) return std::nullopt;
  if (*n > (static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) >> shift)) return std::nullopt;
  return static_cast<int64_t>(*n << shift);
}

bool environ_has(std::string_view environ, std::string_view name) {
  for (auto entry : str::split(environ, '\0')) {
    auto eq = entry.find('=');
    if (eq != std::string_view::npos && entry.substr(0, eq) == name) return true;
  }
  return false;
}

namespace {

struct Evidence {
  std::vector<std::string> signs;
  std::string runtime, runtime_src;
  std::string container_id, id_src;
  std::string pod_uid, pod_src;
  std::string k8s_src;
  bool k8s = false;

  // The first source of each kind wins: cgroup paths are read first, then marker files, then mounts.
  static void first(std::string& value, std::string& source, const std::string& v, const std::string& src) {
    if (v.empty() || !value.empty()) return;
    value = v;
    source = src;
  }
  void runtime_from(const std::string& r, const std::string& src) { first(runtime, runtime_src, r, src); }
  void id_from(const std::string& id, const std::string& src) { first(container_id, id_src, id, src); }
  void pod_from(const std::string& uid, const std::string& src) { first(pod_uid, pod_src, uid, src); }
  void kubernetes_from(const std::string& src) {
    if (k8s) return;
    k8s = true;
    k8s_src = src;
  }
};

void cgroup_signs(const FsRoot& fs, const CgroupFacts& cg, Evidence& ev) {
  SysPath file = fs.self("cgroup");
  std::vector<std::string> paths;
  if (auto text = fs.read(file, 1u << 20); text.ok()) {
    for (const auto& e : parse_proc_cgroup(*text)) {
      if (std::find(paths.begin(), paths.end(), e.path) == paths.end()) paths.push_back(e.path);
    }
  } else if (cg.path) {
    paths.push_back(*cg.path);
  }
  for (const auto& p : paths) {
    CgroupPathSigns s = parse_cgroup_path_signs(p);
    if (!s.any()) continue;
    std::string src = file.display + " (" + p + ")";
    ev.signs.push_back("cgroup path " + p + " (" + file.display + ")");
    ev.runtime_from(s.runtime, src);
    ev.id_from(s.container_id, src);
    ev.pod_from(s.pod_uid, src);
    if (s.kubernetes) ev.kubernetes_from(src);
  }
}

void marker_signs(const FsRoot& fs, Evidence& ev) {
  SysPath dockerenv = fs.system("/.dockerenv");
  if (fs.exists(dockerenv)) {
    ev.signs.push_back(dockerenv.display + " exists");
    ev.runtime_from("docker", dockerenv.display);
  }
  SysPath containerenv = fs.run(".containerenv");
  if (fs.exists(containerenv)) {
    ev.signs.push_back(containerenv.display + " exists");
    ev.runtime_from("podman", containerenv.display);
  }
  for (const SysPath& sa :
       {fs.system("/var/run/secrets/kubernetes.io/serviceaccount"), fs.run("secrets/kubernetes.io/serviceaccount")}) {
    if (fs.exists(sa)) {
      ev.signs.push_back(sa.display + " exists");
      ev.kubernetes_from(sa.display);
      break;
    }
  }
  SysPath env = fs.self("environ");
  if (auto text = fs.read(env, 1u << 20); text.ok() && environ_has(*text, "KUBERNETES_SERVICE_HOST")) {
    ev.signs.push_back("KUBERNETES_SERVICE_HOST is set (" + env.display + ")");
    ev.kubernetes_from(env.display);
  }
}

void mount_signs(const std::vector<MountInfo>& mounts, const std::string& src, Evidence& ev) {
  if (const MountInfo* root = find_mount(mounts, "/")) {
    if (root->fstype == "overlay" || root->fstype == "fuse-overlayfs" || root->fstype == "aufs") {
      ev.signs.push_back("root file system is " + root->fstype + " (" + src + ")");
    }
  }
  for (const auto& m : mounts) {
    MountSigns s = parse_mount_signs(m);
    if (!s.any()) continue;
    ev.signs.push_back(m.mount_point + " is mounted from " + m.root + " (" + src + ")");
    ev.runtime_from(s.runtime, src);
    ev.id_from(s.container_id, src);
    ev.pod_from(s.pod_uid, src);
    if (s.kubernetes) ev.kubernetes_from(src);
  }
}

void collect_shm(const FsRoot& fs, const Result<std::vector<MountInfo>>& mounts, const std::string& mi_src,
                 ContainerFacts& out) {
  SysPath shm = fs.dev("shm");
  const MountInfo* m = mounts.ok() ? find_mount(*mounts, shm.display) : nullptr;
  std::optional<std::string> size_opt = m != nullptr ? mount_option_value(m->super_options, "size") : std::nullopt;
  std::optional<int64_t> size = size_opt ? parse_tmpfs_size(*size_opt) : std::nullopt;
  if (size) {
    out.shm_size_bytes.set(*size, mi_src + " (" + shm.display + " size=" + *size_opt + ")");
  } else if (fs.is_live()) {
    if (auto bytes = fs.fs_size_bytes(shm)) {
      out.shm_size_bytes.set(static_cast<int64_t>(*bytes), "statvfs " + shm.display);
    } else {
      out.shm_size_bytes.unknown("statvfs " + shm.display + " failed");
    }
  } else if (m != nullptr && m->fstype == "tmpfs" && !size_opt) {
    // The kernel shows size= only when it differs from the tmpfs default, half of the RAM.
    SysPath meminfo = fs.proc("meminfo");
    auto text = fs.read(meminfo);
    auto values = text.ok() ? parse_meminfo(*text) : std::map<std::string, int64_t>{};
    auto total = values.find("MemTotal");
    if (total != values.end() && total->second > 0) {
      out.shm_size_bytes.set(total->second / 2, mi_src + " (" + shm.display + " is tmpfs without size=, the default " +
                                                    "half of MemTotal in " + meminfo.display + ")");
    } else {
      out.shm_size_bytes.unknown(shm.display + " is tmpfs without size= (half of the RAM) and " + meminfo.display +
                                 " gives no MemTotal");
    }
  } else if (!mounts.ok()) {
    out.shm_size_bytes.unknown(mounts.error().message);
  } else if (m == nullptr) {
    out.shm_size_bytes.unknown("no " + shm.display + " mount in " + mi_src);
  } else {
    out.shm_size_bytes.unknown(shm.display + " mount (" + m->fstype + ") has no usable size= option" +
                               (size_opt ? " (\"" + *size_opt + "\")" : std::string()));
  }
  if (fs.is_live()) {
    if (auto used = fs.fs_used_bytes(shm)) {
      out.shm_used_bytes.set(static_cast<int64_t>(*used), "statvfs " + shm.display);
    } else {
      out.shm_used_bytes.unknown("statvfs " + shm.display + " failed");
    }
  } else {
    out.shm_used_bytes.unknown("measured only on the live system (statvfs), not from a copied root");
  }
}

}  // namespace

void collect_container(const FsRoot& fs, const CgroupFacts& cg, ContainerFacts& out) {
  Evidence ev;
  cgroup_signs(fs, cg, ev);
  marker_signs(fs, ev);
  SysPath mi = fs.self("mountinfo");
  auto mounts = read_mountinfo(fs);
  if (mounts.ok()) mount_signs(*mounts, mi.display, ev);
  // CRI-O keeps its files in containers/storage like Podman; under Kubernetes it is CRI-O.
  if (ev.runtime == "podman" && ev.k8s && ev.runtime_src == mi.display) ev.runtime = "cri-o";

  std::string unread = mounts.ok() ? "" : " (" + mounts.error().message + ")";
  if (ev.signs.empty()) {
    out.in_container.set(false, "no container signs" + unread);
    out.signs.set({}, "no container signs");
    out.runtime.unknown("not in a container");
    out.orchestrator.set("none", "no container signs");
    out.container_id.unknown("not in a container");
    out.pod_uid.unknown("not in a container");
  } else {
    std::string more = ev.signs.size() > 1 ? " and " + std::to_string(ev.signs.size() - 1) + " more sign(s)" : "";
    out.in_container.set(true, ev.signs.front() + more);
    out.signs.set(ev.signs, "container signs");
    if (!ev.runtime.empty()) {
      out.runtime.set(ev.runtime, ev.runtime_src);
    } else {
      out.runtime.set("other", "container signs name no runtime");
    }
    if (ev.k8s) {
      out.orchestrator.set("kubernetes", ev.k8s_src);
    } else {
      out.orchestrator.set("none", "no Kubernetes signs");
    }
    if (!ev.container_id.empty()) {
      out.container_id.set(ev.container_id, ev.id_src);
    } else {
      out.container_id.unknown("no container id in the cgroup paths or mounts");
    }
    if (!ev.pod_uid.empty()) {
      out.pod_uid.set(ev.pod_uid, ev.pod_src);
    } else {
      out.pod_uid.unknown(ev.k8s ? "no pod UID in the cgroup paths or mounts" : "not in a Kubernetes pod");
    }
  }
  collect_shm(fs, mounts, mi.display, out);
}

}  // namespace infertune
