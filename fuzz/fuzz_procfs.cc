// Fuzzes every parser of /proc, /sys and cgroup files: each input goes through all of them.
// They must never crash, hang or read out of bounds, whatever a (possibly hostile) --root copy holds.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/strings.h"
#include "base/version.h"
#include "collect/cgroup.h"
#include "collect/container.h"
#include "collect/cpu.h"
#include "collect/memory.h"
#include "collect/mountinfo.h"
#include "collect/os.h"
#include "collect/pci.h"
#include "collect/process.h"
#include "collect/psi.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace infertune;
  std::string_view t(reinterpret_cast<const char*>(data), size);
  (void)parse_proc_cgroup(t);
  (void)parse_cpu_max(t);
  size_t half = t.size() / 2;
  (void)parse_cfs_quota(t.substr(0, half), t.substr(half));
  (void)parse_memory_limit(t);
  (void)parse_keyed_values(t);
  (void)cgroup_dir_in_mount(t.substr(0, half), "/sys/fs/cgroup", t.substr(half));
  (void)cgroup_dir_chain(t, "/sys/fs/cgroup");
  (void)parse_cgroup_path_signs(t);
  (void)parse_tmpfs_size(t);
  (void)environ_has(t, "KUBERNETES_SERVICE_HOST");
  (void)parse_cpuinfo(t);
  (void)parse_cpufreq_khz_as_mhz(t);
  (void)parse_governor(t);
  (void)parse_meminfo(t);
  (void)parse_thp_enabled(t);
  for (const auto& m : parse_mountinfo(t)) (void)mount_option_value(m.super_options, "size");
  (void)unescape_mount_field(t);
  (void)parse_os_release(t);
  (void)parse_uptime(t);
  (void)parse_kernel_line(t);
  (void)parse_pci_hex(t, 4);
  (void)driver_from_link(t);
  (void)parse_proc_status(t);
  (void)parse_limits(t);
  (void)parse_environ(t);
  (void)parse_psi(t);
  (void)str::parse_cpu_list(t);
  (void)Version::parse(t);
  return 0;
}
