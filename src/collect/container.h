#pragma once
// Is the diagnosed process in a container, which runtime and orchestrator run it, and how big is /dev/shm.
// Signs, each recorded in ContainerFacts::signs:
//   /.dockerenv (Docker), /run/.containerenv (Podman);
//   cgroup paths in /proc/<pid>/cgroup: /docker/<id>, docker-<id>.scope, cri-containerd-<id>.scope,
//     crio-<id>.scope, libpod-<id>.scope, /kubepods.../pod<uid>..., /lxc/<name>, lxc.payload.<name>;
//   mountinfo: an overlay root file system, /etc/hostname|hosts|resolv.conf bind-mounted from
//     /var/lib/docker/containers/<id>/, /var/lib/kubelet/pods/<uid>/, /var/lib/containerd/...,
//     /var/lib/containers/storage/... (Podman, CRI-O);
//   /var/run/secrets/kubernetes.io/serviceaccount; KUBERNETES_SERVICE_HOST in /proc/<pid>/environ.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/fs_root.h"
#include "collect/mountinfo.h"
#include "facts/snapshot.h"

namespace infertune {

// What one cgroup path reveals. Empty strings where it shows nothing.
struct CgroupPathSigns {
  std::string runtime;       // docker, containerd, cri-o, podman, lxc
  std::string container_id;  // 64 hex digits
  std::string pod_uid;       // with dashes: 7a96c459-d529-44ae-9f99-90d3798d6426
  bool kubernetes = false;
  bool any() const { return !runtime.empty() || !container_id.empty() || kubernetes; }
};

// "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod7a96c459_d529_....slice/cri-containerd-<id>.scope"
// -> {containerd, <id>, 7a96c459-d529-..., kubernetes}.
CgroupPathSigns parse_cgroup_path_signs(std::string_view cgroup_path);

// What one mountinfo line reveals (bind mounts of /etc/hostname etc. from a runtime's directory).
struct MountSigns {
  std::string runtime;
  std::string container_id;
  std::string pod_uid;
  bool kubernetes = false;
  bool any() const { return !runtime.empty() || !container_id.empty() || kubernetes; }
};
MountSigns parse_mount_signs(const MountInfo& m);

// tmpfs "size=" values as shown in mountinfo ("65536k", also "64m", "2g", plain bytes) -> bytes.
// nullopt for percentages ("50%") and anything malformed.
std::optional<int64_t> parse_tmpfs_size(std::string_view value);

// Whether NUL-separated environ text sets `name` (to anything, even empty).
bool environ_has(std::string_view environ, std::string_view name);

void collect_container(const FsRoot& fs, const CgroupFacts& cg, ContainerFacts& out);

}  // namespace infertune
