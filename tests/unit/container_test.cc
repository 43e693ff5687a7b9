#include "collect/container.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "collect/cgroup.h"
#include "collect/memory.h"
#include "test_support.h"

namespace infertune {
namespace {

const char* kAmznPath =
    "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod7a96c459_d529_44ae_9f99_90d3798d6426.slice/"
    "cri-containerd-1d3d308a7d48a27814a68bf33a44acf4441c9c02463ca0bc1cdfdc8c0b4a8496.scope";
const char* kHex = "b29faf21b7eff959f64b4192c34d5d67a707fe8561e9eaa608cb27693fba4242";

struct AllExplained {
  std::vector<std::string>* bad;
  template <class T>
  void operator()(const char* name, const Fact<T>& f) const {
    if (!f.known() && f.unknown_why.empty()) bad->push_back(name);
    if (f.known() && f.source.empty()) bad->push_back(std::string(name) + " (no source)");
  }
};

std::vector<std::string> unexplained(const ContainerFacts& c) {
  std::vector<std::string> bad;
  ContainerFacts::fields(c, AllExplained{&bad});
  return bad;
}

ContainerFacts collect_root(const std::string& root) {
  FsRoot fs(root);
  CgroupFacts cg;
  collect_cgroup(fs, cg);
  ContainerFacts c;
  collect_container(fs, cg, c);
  return c;
}

bool has_sign(const ContainerFacts& c, const std::string& part) {
  if (!c.signs) return false;
  for (const auto& s : *c.signs) {
    if (s.find(part) != std::string::npos) return true;
  }
  return false;
}

// Half of MemTotal of a fixture root (the tmpfs default size of /dev/shm), or -1 without a usable meminfo.
int64_t half_memtotal(const std::string& root) {
  auto values = parse_meminfo(test::read_text(root + "/proc/meminfo"));
  auto it = values.find("MemTotal");
  return it == values.end() ? -1 : it->second / 2;
}

using test::TempRoot;

// ---- parsers ----

TEST(ContainerParse, CgroupPathSigns) {
  auto k8s = parse_cgroup_path_signs(kAmznPath);
  EXPECT_EQ(k8s.runtime, "containerd");
  EXPECT_EQ(k8s.container_id, "1d3d308a7d48a27814a68bf33a44acf4441c9c02463ca0bc1cdfdc8c0b4a8496");
  EXPECT_EQ(k8s.pod_uid, "7a96c459-d529-44ae-9f99-90d3798d6426");
  EXPECT_TRUE(k8s.kubernetes);

  auto docker_v1 = parse_cgroup_path_signs(std::string("/docker/") + kHex);  // elastic docker proc/985
  EXPECT_EQ(docker_v1.runtime, "docker");
  EXPECT_EQ(docker_v1.container_id, kHex);
  EXPECT_FALSE(docker_v1.kubernetes);

  auto docker_v2 = parse_cgroup_path_signs(
      "/system.slice/docker-1c8fa019edd4b9d4b2856f4932c55929c5c118c808ed5faee9a135ca6e84b039.scope");
  EXPECT_EQ(docker_v2.runtime, "docker");
  EXPECT_EQ(docker_v2.container_id, "1c8fa019edd4b9d4b2856f4932c55929c5c118c808ed5faee9a135ca6e84b039");

  auto short_id = parse_cgroup_path_signs("/docker/123");  // elastic docker proc/1
  EXPECT_EQ(short_id.runtime, "docker");
  EXPECT_EQ(short_id.container_id, "");

  auto cgroupfs =
      parse_cgroup_path_signs(std::string("/kubepods/burstable/pod7a96c459-d529-44ae-9f99-90d3798d6426/") + kHex);
  EXPECT_TRUE(cgroupfs.kubernetes);
  EXPECT_EQ(cgroupfs.pod_uid, "7a96c459-d529-44ae-9f99-90d3798d6426");
  EXPECT_EQ(cgroupfs.container_id, kHex);
  EXPECT_EQ(cgroupfs.runtime, "");  // the cgroupfs driver does not name the runtime

  EXPECT_EQ(parse_cgroup_path_signs(std::string("/machine.slice/libpod-") + kHex + ".scope").runtime, "podman");
  EXPECT_EQ(parse_cgroup_path_signs(std::string("/kubepods.slice/crio-") + kHex + ".scope").runtime, "cri-o");
  EXPECT_EQ(parse_cgroup_path_signs("/lxc/web1").runtime, "lxc");
  EXPECT_EQ(parse_cgroup_path_signs("/lxc.payload.web1").runtime, "lxc");

  // Host processes: nothing.
  for (const char* host : {"/", "/user.slice/user-1000.slice/session-520.scope", "/system.slice/docker.service",
                           "/system.slice/containerd.service", "/system.slice/networkd-dispatcher.service",
                           "/../../user-1000.slice/session-520.scope"}) {
    EXPECT_FALSE(parse_cgroup_path_signs(host).any()) << host;
  }
  // The conmon monitor runs on the host; a truncated id is no id.
  EXPECT_FALSE(parse_cgroup_path_signs(std::string("/machine.slice/libpod-conmon-") + kHex + ".scope").any());
  EXPECT_FALSE(parse_cgroup_path_signs("/system.slice/docker-b29faf21.scope").any());
  EXPECT_FALSE(parse_cgroup_path_signs("").any());
}

TEST(ContainerParse, RealProcCgroupFiles) {
  auto signs_of = [](const std::string& rel) {
    CgroupPathSigns all;
    for (const auto& e : parse_proc_cgroup(test::read_text(test::data_path("cgroup/elastic/" + rel)))) {
      CgroupPathSigns s = parse_cgroup_path_signs(e.path);
      if (!s.runtime.empty()) all.runtime = s.runtime;
      if (!s.container_id.empty()) all.container_id = s.container_id;
      if (!s.pod_uid.empty()) all.pod_uid = s.pod_uid;
      all.kubernetes = all.kubernetes || s.kubernetes;
    }
    return all;
  };
  EXPECT_EQ(signs_of("docker/proc/985/cgroup").container_id, kHex);
  EXPECT_EQ(signs_of("docker/proc/312/cgroup").runtime, "docker");
  EXPECT_EQ(signs_of("docker/proc/1/cgroup").runtime, "docker");
  EXPECT_EQ(signs_of("amzn2/proc/493239/cgroup").pod_uid, "7a96c459-d529-44ae-9f99-90d3798d6426");
  EXPECT_FALSE(signs_of("amzn2/proc/1/cgroup").any());  // the host's init
  EXPECT_FALSE(signs_of("ubuntu1804/proc/3757/cgroup").any());
  EXPECT_FALSE(signs_of("docker2/proc/2233801/cgroup").any());
}

TEST(ContainerParse, MountSigns) {
  auto mounts = parse_mountinfo(test::read_text(test::data_path("roots/docker-v2/proc/self/mountinfo")));
  const MountInfo* hostname = find_mount(mounts, "/etc/hostname");
  ASSERT_NE(hostname, nullptr);
  auto s = parse_mount_signs(*hostname);
  EXPECT_EQ(s.runtime, "docker");
  EXPECT_EQ(s.container_id, "3fc95ce32f84e9346c5fbd3bce38045e478aa5b067603955555cbff8445ba74f");

  MountInfo kubelet;
  kubelet.root = "/var/lib/kubelet/pods/5d7c4a0b-0000-4a4a-9f99-90d3798d6426/etc-hosts";
  kubelet.mount_point = "/etc/hosts";
  auto k = parse_mount_signs(kubelet);
  EXPECT_TRUE(k.kubernetes);
  EXPECT_EQ(k.pod_uid, "5d7c4a0b-0000-4a4a-9f99-90d3798d6426");

  MountInfo sandbox;
  sandbox.root = std::string("/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/") + kHex + "/hostname";
  sandbox.mount_point = "/etc/hostname";
  EXPECT_EQ(parse_mount_signs(sandbox).runtime, "containerd");

  MountInfo podman;
  podman.root = std::string("/var/lib/containers/storage/overlay-containers/") + kHex + "/userdata/hostname";
  podman.mount_point = "/etc/hostname";
  EXPECT_EQ(parse_mount_signs(podman).runtime, "podman");
  EXPECT_EQ(parse_mount_signs(podman).container_id, kHex);

  // A host with kubelet volumes and podman storage mounted (node_exporter's real table) shows no sign.
  for (const auto& m : parse_mountinfo(test::read_text(test::data_path("cgroup/node_exporter/proc/1/mountinfo")))) {
    EXPECT_FALSE(parse_mount_signs(m).any()) << m.mount_point;
  }
}

TEST(ContainerParse, TmpfsSizes) {
  EXPECT_EQ(parse_tmpfs_size("65536k"), 67108864);
  EXPECT_EQ(parse_tmpfs_size("64m"), 67108864);
  EXPECT_EQ(parse_tmpfs_size("8G"), int64_t{8} << 30);
  EXPECT_EQ(parse_tmpfs_size("1048576"), 1048576);
  EXPECT_EQ(parse_tmpfs_size("50%"), std::nullopt);
  EXPECT_EQ(parse_tmpfs_size(""), std::nullopt);
  EXPECT_EQ(parse_tmpfs_size("k"), std::nullopt);
  EXPECT_EQ(parse_tmpfs_size("12x"), std::nullopt);
  EXPECT_EQ(parse_tmpfs_size("99999999999999999999k"), std::nullopt);
  EXPECT_EQ(parse_tmpfs_size("9999999999999999p"), std::nullopt);  // overflows int64
}

TEST(ContainerParse, Environ) {
  static constexpr char kEnv[] = "PATH=/bin\0KUBERNETES_SERVICE_HOST=10.0.0.1\0HOME=/root";
  std::string env(kEnv, sizeof kEnv - 1);
  EXPECT_TRUE(environ_has(env, "KUBERNETES_SERVICE_HOST"));
  EXPECT_TRUE(environ_has(env, "HOME"));
  EXPECT_FALSE(environ_has(env, "KUBERNETES_SERVICE"));
  EXPECT_FALSE(environ_has(env, "10.0.0.1"));
  EXPECT_FALSE(environ_has("", "HOME"));
  EXPECT_TRUE(environ_has(std::string("EMPTY=\0", 7), "EMPTY"));
}

// ---- collecting from fixture roots ----

TEST(ContainerCollect, DockerV2) {
  ContainerFacts c = collect_root(test::data_path("roots/docker-v2"));
  EXPECT_EQ(unexplained(c), std::vector<std::string>{});
  EXPECT_TRUE(c.in_container.value_or(false));
  EXPECT_EQ(c.runtime.value_or(""), "docker");
  EXPECT_EQ(c.runtime.source, "/.dockerenv");
  EXPECT_EQ(c.orchestrator.value_or(""), "none");
  // With a cgroup namespace /proc/self/cgroup says "0::/": the id comes from the /etc/hostname bind mount.
  EXPECT_EQ(c.container_id.value_or(""), "3fc95ce32f84e9346c5fbd3bce38045e478aa5b067603955555cbff8445ba74f");
  EXPECT_EQ(c.container_id.source, "/proc/self/mountinfo");
  EXPECT_FALSE(c.pod_uid);
  EXPECT_TRUE(has_sign(c, "/.dockerenv exists"));
  EXPECT_TRUE(has_sign(c, "root file system is overlay"));
  EXPECT_TRUE(has_sign(c, "/etc/hostname is mounted from /var/lib/docker/containers/"));
  EXPECT_FALSE(has_sign(c, "cgroup path"));
  EXPECT_EQ(c.shm_size_bytes.value_or(0), 67108864);
  EXPECT_EQ(c.shm_size_bytes.source, "/proc/self/mountinfo (/dev/shm size=65536k)");
  ASSERT_FALSE(c.shm_used_bytes);  // live only
}

TEST(ContainerCollect, KubernetesV1) {
  std::string root = test::data_path("roots/k8s-v1");
  ContainerFacts c = collect_root(root);
  EXPECT_EQ(unexplained(c), std::vector<std::string>{});
  EXPECT_TRUE(c.in_container.value_or(false));
  EXPECT_EQ(c.runtime.value_or(""), "containerd");
  EXPECT_EQ(c.orchestrator.value_or(""), "kubernetes");
  EXPECT_EQ(c.orchestrator.source, std::string("/proc/self/cgroup (") + kAmznPath + ")");
  EXPECT_EQ(c.container_id.value_or(""), "1d3d308a7d48a27814a68bf33a44acf4441c9c02463ca0bc1cdfdc8c0b4a8496");
  EXPECT_EQ(c.pod_uid.value_or(""), "7a96c459-d529-44ae-9f99-90d3798d6426");
  EXPECT_TRUE(has_sign(c, std::string("cgroup path ") + kAmznPath));
  EXPECT_TRUE(has_sign(c, "/var/run/secrets/kubernetes.io/serviceaccount exists"));
  // Host-view mountinfo: no overlay root, no bind mounts.
  EXPECT_FALSE(has_sign(c, "overlay"));
  // /dev/shm is tmpfs without size=: the kernel default, half of MemTotal.
  int64_t half = half_memtotal(root);
  if (half > 0) {
    EXPECT_EQ(c.shm_size_bytes.value_or(0), half);
  } else {
    EXPECT_FALSE(c.shm_size_bytes);
  }
}

TEST(ContainerCollect, HostsShowNoSigns) {
  for (const char* rel : {"roots/baremetal", "roots/healthy", "cgroup/roots/ubuntu1804-hybrid"}) {
    SCOPED_TRACE(rel);
    std::string root = test::data_path(rel);
    ContainerFacts c = collect_root(root);
    EXPECT_EQ(unexplained(c), std::vector<std::string>{});
    ASSERT_TRUE(c.in_container);
    EXPECT_FALSE(*c.in_container);
    EXPECT_EQ(c.in_container.source, "no container signs");
    EXPECT_EQ(c.orchestrator.value_or(""), "none");
    ASSERT_TRUE(c.signs);
    EXPECT_TRUE(c.signs->empty());
    EXPECT_FALSE(c.runtime);
    EXPECT_FALSE(c.container_id);
    int64_t half = half_memtotal(root);
    if (half > 0) {
      EXPECT_EQ(c.shm_size_bytes.value_or(0), half);
      EXPECT_NE(c.shm_size_bytes.source.find("half of MemTotal"), std::string::npos);
    } else {
      EXPECT_FALSE(c.shm_size_bytes);
    }
  }
}

TEST(ContainerCollect, DockerV1CgroupPathWins) {
  ContainerFacts c = collect_root(test::data_path("cgroup/roots/docker-v1"));
  EXPECT_EQ(unexplained(c), std::vector<std::string>{});
  EXPECT_TRUE(c.in_container.value_or(false));
  EXPECT_EQ(c.runtime.value_or(""), "docker");
  // The cgroup path (read first) names b29faf...; the bind mounts name 3fc95... (another capture).
  EXPECT_EQ(c.container_id.value_or(""), kHex);
  EXPECT_EQ(c.shm_size_bytes.value_or(0), 67108864);
}

TEST(ContainerCollect, PodmanAndEnvironSigns) {
  TempRoot t;
  ASSERT_FALSE(t.path().empty());
  t.write("proc/self/cgroup", "0::/\n");
  t.write("run/.containerenv", "engine=\"podman-4.9.4\"\n");
  static constexpr char kEnv[] = "HOME=/root\0KUBERNETES_SERVICE_HOST=10.96.0.1\0";
  t.write("proc/self/environ", std::string(kEnv, sizeof kEnv - 1));
  ContainerFacts c = collect_root(t.path());
  EXPECT_EQ(unexplained(c), std::vector<std::string>{});
  EXPECT_TRUE(c.in_container.value_or(false));
  EXPECT_EQ(c.runtime.value_or(""), "podman");
  EXPECT_EQ(c.runtime.source, "/run/.containerenv");
  EXPECT_EQ(c.orchestrator.value_or(""), "kubernetes");
  EXPECT_EQ(c.orchestrator.source, "/proc/self/environ");
  EXPECT_FALSE(c.container_id);
  EXPECT_FALSE(c.pod_uid);
  // No mountinfo: /dev/shm unknown, with the reason.
  ASSERT_FALSE(c.shm_size_bytes);
  EXPECT_NE(c.shm_size_bytes.unknown_why.find("/proc/self/mountinfo"), std::string::npos);
}

TEST(ContainerCollect, OverlayRootAloneIsOtherRuntime) {
  TempRoot t;
  t.write("proc/self/mountinfo",
          "599 553 0:53 / / rw,relatime - overlay overlay rw,lowerdir=/l1,upperdir=/u,workdir=/w\n"
          "623 601 0:60 / /dev/shm rw,nosuid,nodev,noexec,relatime - tmpfs shm rw,size=50%\n");
  ContainerFacts c = collect_root(t.path());
  EXPECT_EQ(unexplained(c), std::vector<std::string>{});
  EXPECT_TRUE(c.in_container.value_or(false));
  EXPECT_EQ(c.runtime.value_or(""), "other");
  EXPECT_FALSE(c.shm_size_bytes);
  EXPECT_NE(c.shm_size_bytes.unknown_why.find("50%"), std::string::npos) << c.shm_size_bytes.unknown_why;
}

TEST(ContainerCollect, EmptyRootIsNotAContainer) {
  TempRoot t;
  ContainerFacts c = collect_root(t.path());
  EXPECT_EQ(unexplained(c), std::vector<std::string>{});
  EXPECT_FALSE(c.in_container.value_or(true));
  EXPECT_NE(c.in_container.source.find("no container signs"), std::string::npos);
}

TEST(ContainerCollect, LiveSystemDoesNotCrash) {
  FsRoot fs("/");
  CgroupFacts cg;
  collect_cgroup(fs, cg);
  ContainerFacts c;
  collect_container(fs, cg, c);
  EXPECT_EQ(unexplained(c), std::vector<std::string>{});
  if (std::filesystem::is_directory("/dev/shm")) {
    EXPECT_TRUE(c.shm_size_bytes) << c.shm_size_bytes.unknown_why;
    EXPECT_TRUE(c.shm_used_bytes) << c.shm_used_bytes.unknown_why;
  }
}

}  // namespace
}  // namespace infertune
