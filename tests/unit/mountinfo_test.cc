#include "collect/mountinfo.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace infertune {
namespace {

std::string sample(const std::string& rel) { return test::read_text(test::data_path("cgroup/" + rel)); }

TEST(Mountinfo, ParsesNodeExporterHostTable) {
  std::string text = sample("node_exporter/proc/1/mountinfo");
  ASSERT_FALSE(text.empty());
  auto mounts = parse_mountinfo(text);
  ASSERT_EQ(mounts.size(), 32u);  // every line of the real file is well-formed

  const MountInfo* shm = find_mount(mounts, "/dev/shm");
  ASSERT_NE(shm, nullptr);
  EXPECT_EQ(shm->id, 31);
  EXPECT_EQ(shm->parent_id, 26);
  EXPECT_EQ(shm->major_minor, "0:26");
  EXPECT_EQ(shm->root, "/");
  EXPECT_EQ(shm->options, "rw,nosuid,nodev");
  EXPECT_EQ(shm->optional_fields, std::vector<std::string>{"shared:4"});
  EXPECT_EQ(shm->fstype, "tmpfs");
  EXPECT_EQ(shm->source, "tmpfs");
  EXPECT_EQ(shm->super_options, "rw,inode64");
  EXPECT_FALSE(mount_option_value(shm->super_options, "size"));

  // A mount point listed twice: the later mount covers the earlier one.
  const MountInfo* binfmt = find_mount(mounts, "/proc/sys/fs/binfmt_misc");
  ASSERT_NE(binfmt, nullptr);
  EXPECT_EQ(binfmt->id, 265);
  EXPECT_EQ(binfmt->fstype, "binfmt_misc");

  // Octal escapes in mount points: \040 is a space, \011 a tab.
  bool space = false, tab = false;
  for (const auto& m : mounts) {
    if (m.mount_point.find("[vsanDatastore] bafb9e5a") != std::string::npos) space = true;
    if (m.mount_point.find("[vsanDatastore]\tbafb9e5a") != std::string::npos) tab = true;
  }
  EXPECT_TRUE(space);
  EXPECT_TRUE(tab);

  const MountInfo* root = find_mount(mounts, "/");
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(root->fstype, "ext4");
  EXPECT_EQ(root->source, "/dev/dm-2");
  EXPECT_EQ(find_mount(mounts, "/nonexistent"), nullptr);
}

TEST(Mountinfo, ParsesDockerContainerTable) {
  // The real table as captured, except that upstream rewrote the cgroup mount points to relative
  // "testdata/docker/..." paths: such lines are not kernel output and are skipped.
  auto raw = parse_mountinfo(sample("elastic/docker/proc/self/mountinfo"));
  EXPECT_EQ(raw.size(), 20u);
  for (const auto& m : raw) EXPECT_EQ(m.mount_point.front(), '/');

  // The same table with real mount points (tests/data/cgroup/roots/docker-v1).
  auto mounts = parse_mountinfo(sample("roots/docker-v1/proc/self/mountinfo"));
  ASSERT_EQ(mounts.size(), 30u);
  const MountInfo* shm = find_mount(mounts, "/dev/shm");
  ASSERT_NE(shm, nullptr);
  EXPECT_EQ(shm->source, "shm");
  EXPECT_EQ(mount_option_value(shm->super_options, "size"), "65536k");
  EXPECT_TRUE(shm->optional_fields.empty());  // container mounts are private

  const MountInfo* hostname = find_mount(mounts, "/etc/hostname");
  ASSERT_NE(hostname, nullptr);
  EXPECT_EQ(hostname->root,
            "/var/lib/docker/containers/3fc95ce32f84e9346c5fbd3bce38045e478aa5b067603955555cbff8445ba74f/hostname");
  int cgroup_v1 = 0, cgroup_v2 = 0;
  for (const auto& m : mounts) {
    if (m.fstype == "cgroup") ++cgroup_v1;
    if (m.fstype == "cgroup2") ++cgroup_v2;
  }
  EXPECT_EQ(cgroup_v1, 9);
  EXPECT_EQ(cgroup_v2, 1);
  const MountInfo* cpu = find_mount(mounts, "/sys/fs/cgroup/cpu");
  ASSERT_NE(cpu, nullptr);
  EXPECT_EQ(cpu->root, "/docker/3fc95ce32f84e9346c5fbd3bce38045e478aa5b067603955555cbff8445ba74f");
}

TEST(Mountinfo, KeepsNamespacedCgroupRoots) {
  // docker2: a cgroup2 mount made in another cgroup namespace shows its root as "/../..".
  std::string text = sample("elastic/docker2/proc/self/mountinfo");
  auto mounts = parse_mountinfo(text);
  ASSERT_EQ(mounts.size(), 1u);  // the three testdata/... lines are not absolute mount points
  EXPECT_EQ(mounts[0].mount_point, "/sys/fs/cgroup");
  EXPECT_EQ(mounts[0].fstype, "cgroup2");
  EXPECT_TRUE(has_mount_option(mounts[0].super_options, "nsdelegate"));
  EXPECT_FALSE(has_mount_option(mounts[0].super_options, "nsdelegat"));
}

TEST(Mountinfo, ParsesAmazonLinuxHostTable) {
  // amzn2 as captured: the cgroup v1 controller mounts were rewritten to relative testdata/ paths (skipped),
  // the rest is the real EKS node table.
  auto raw = parse_mountinfo(sample("elastic/amzn2/proc/self/mountinfo"));
  EXPECT_EQ(raw.size(), 22u);
  const MountInfo* systemd = find_mount(raw, "/sys/fs/cgroup/systemd");
  ASSERT_NE(systemd, nullptr);
  EXPECT_EQ(mount_option_value(systemd->super_options, "name"), "systemd");
  EXPECT_EQ(mount_option_value(systemd->super_options, "release_agent"), "/usr/lib/systemd/systemd-cgroups-agent");
  const MountInfo* shm = find_mount(raw, "/dev/shm");
  ASSERT_NE(shm, nullptr);
  EXPECT_FALSE(mount_option_value(shm->super_options, "size"));  // default size: the kernel does not show it
  // The fixture root k8s-v1 has the same table with real mount points.
  auto fixed = parse_mountinfo(test::read_text(test::data_path("roots/k8s-v1/proc/self/mountinfo")));
  EXPECT_EQ(fixed.size(), 32u);
  ASSERT_NE(find_mount(fixed, "/sys/fs/cgroup/cpu,cpuacct"), nullptr);
}

TEST(Mountinfo, ToleratesDoubleSpacesAndOptionalFields) {
  auto mounts = parse_mountinfo(sample("node_exporter/proc/10/mountinfo"));
  ASSERT_EQ(mounts.size(), 7u);
  EXPECT_EQ(mounts[0].root, "/");
  EXPECT_EQ(mounts[0].mount_point, "/root");
  EXPECT_EQ(mounts[0].fstype, "rootfs");
  EXPECT_EQ(mounts[4].source, "192.168.1.1:/srv/test");
}

TEST(Mountinfo, SkipsGarbageAndTruncatedLines) {
  // automaxprocs' invalid-mountinfo: the separator is followed by two fields only.
  EXPECT_TRUE(parse_mountinfo(sample("automaxprocs/proc/invalid-mountinfo/mountinfo")).empty());

  using namespace std::string_literals;
  std::string good = "96 79 0:28 / /dev/shm rw,nosuid,nodev,noexec,relatime - tmpfs shm rw,size=65536k\n";
  std::string text = "garbage\n"s +
                     "\n"
                     "1 2 3\n"
                     "x 79 0:28 / /dev/shm rw - tmpfs shm rw\n"          // non-numeric id
                     "96 79 028 / /dev/shm rw - tmpfs shm rw\n"          // no major:minor
                     "96 79 0:28 / /dev/shm rw shared:1 tmpfs shm rw\n"  // no separator
                     "96 79 0:28 / relative rw - tmpfs shm rw\n"         // mount point not absolute
                     "\x01\x02\xff\xfe binary \x00 junk\n"s +
                     good + "96 79 0:28 / /dev/shm rw,nosuid - tmp";  // truncated last line
  auto mounts = parse_mountinfo(text);
  ASSERT_EQ(mounts.size(), 1u);
  EXPECT_EQ(mounts[0].mount_point, "/dev/shm");
  EXPECT_TRUE(parse_mountinfo("").empty());
  // Every prefix of a real table parses without trouble and yields only whole lines.
  std::string real = sample("node_exporter/proc/1/mountinfo");
  for (size_t n = 0; n < real.size(); n += 7) {
    auto part = parse_mountinfo(std::string_view(real).substr(0, n));
    EXPECT_LE(part.size(), 32u);
  }
}

TEST(Mountinfo, UnescapesOctal) {
  EXPECT_EQ(unescape_mount_field("a\\040b"), "a b");
  EXPECT_EQ(unescape_mount_field("a\\011b\\012c"), "a\tb\nc");
  EXPECT_EQ(unescape_mount_field("back\\134slash"), "back\\slash");
  EXPECT_EQ(unescape_mount_field("\\04"), "\\04");      // too short: kept
  EXPECT_EQ(unescape_mount_field("\\999x"), "\\999x");  // not octal: kept
  EXPECT_EQ(unescape_mount_field("\\000"), "\\000");    // NUL is never produced
  EXPECT_EQ(unescape_mount_field("end\\"), "end\\");
}

TEST(Mountinfo, OptionHelpers) {
  EXPECT_EQ(mount_option_value("rw,size=65536k,mode=755", "size"), "65536k");
  EXPECT_EQ(mount_option_value("rw,mode=755", "size"), std::nullopt);
  EXPECT_EQ(mount_option_value("", "size"), std::nullopt);
  EXPECT_EQ(mount_option_value("rw,size=", "size"), "");
  EXPECT_TRUE(has_mount_option("rw,cpu,cpuacct", "cpu"));
  EXPECT_FALSE(has_mount_option("rw,cpuacct", "cpu"));
  EXPECT_FALSE(has_mount_option("", "cpu"));
}

TEST(Mountinfo, ReadNamesTheMissingFile) {
  FsRoot fs(test::data_path("cgroup/does-not-exist"));
  auto r = read_mountinfo(fs);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("/proc/self/mountinfo"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace infertune
