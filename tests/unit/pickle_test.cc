// The safe pickle reader: real pickles of every protocol, hand-made opcodes, refused object opcodes,
// truncation at every byte, garbage, limits, memo sharing, gzip.

#include "trace/pickle.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>

#include "test_support.h"

namespace infertune::pickle {
namespace {

using namespace std::string_literals;

std::string fixture(const std::string& name) { return test::read_text(test::data_path("snapshots/" + name)); }

Document ok(const std::string& bytes) {
  auto r = parse(bytes);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  if (!r.ok()) return Document();
  return std::move(*r);
}

std::string err(const std::string& bytes) {
  auto r = parse(bytes);
  EXPECT_FALSE(r.ok()) << "parsed: " << bytes.size() << " bytes";
  if (r.ok()) return "";
  EXPECT_EQ(r.error().message.find('\n'), std::string::npos) << r.error().message;
  return r.error().message;
}

constexpr int64_t MiB = 1 << 20;

TEST(Pickle, ReadsTheSnapshotFixtureInEveryProtocol) {
  for (int p = 0; p <= 5; ++p) {
    SCOPED_TRACE(p);
    Document d = ok(fixture("realistic_p" + std::to_string(p) + ".pickle"));
    EXPECT_EQ(d.stats().protocol, p < 2 ? 0 : p);  // protocols 0 and 1 have no PROTO opcode
    Value root = d.root();
    ASSERT_TRUE(root.is_dict());
    Value segs = root.get("segments");
    ASSERT_EQ(segs.kind(), Kind::kList);
    ASSERT_EQ(segs.size(), 3u);
    EXPECT_EQ(segs.at(0).get("total_size").as_int(), 64 * MiB);
    EXPECT_EQ(segs.at(0).get("address").as_int(), 0x7F0000000000);
    EXPECT_EQ(segs.at(2).get("segment_type").str(), "small");
    EXPECT_EQ(segs.at(0).get("is_expandable").kind(), Kind::kBool);
    EXPECT_EQ(segs.at(0).get("segment_pool_id").kind(), Kind::kTuple);
    Value block = segs.at(0).get("blocks").at(0);
    EXPECT_EQ(block.get("state").str(), "active_allocated");
    EXPECT_EQ(block.get("requested_size").as_int(), 40 * MiB - 256);
    Value frames = block.get("frames");
    ASSERT_EQ(frames.size(), 6u);
    EXPECT_EQ(frames.at(4).get("filename").str(), "/srv/app/serve.py");
    EXPECT_EQ(frames.at(4).get("line").as_int(), 42);
    // The same Python list is referenced by the block and the segment: shared through the memo, not copied.
    EXPECT_EQ(segs.at(0).get("frames").id(), frames.id());
    Value settings = root.get("allocator_settings");
    EXPECT_DOUBLE_EQ(settings.get("garbage_collection_threshold").as_double(), 0.0);
    EXPECT_EQ(settings.get("max_split_size").as_int(), -1);
    EXPECT_EQ(settings.get("roundup_power2_divisions").get("2").as_int(), 0);
    Value trace = root.get("device_traces").at(0);
    EXPECT_EQ(trace.size(), 14u);
    EXPECT_EQ(trace.at(5).get("action").str(), "alloc");
    EXPECT_EQ(trace.at(5).get("time_us").as_int(), 2003);
    // Lookups on what is not there stay harmless.
    EXPECT_FALSE(root.get("nope").valid());
    EXPECT_FALSE(root.get("nope").get("x").at(3).valid());
    EXPECT_EQ(root.get("segments").get("x").size(), 0u);
    EXPECT_EQ(root.at(0).as_int(), 0);
  }
}

TEST(Pickle, IntegerAndFloatOpcodes) {
  // BININT1, BININT2, BININT (negative), LONG1 small/negative/9-byte sign extension/big, BINFLOAT.
  std::string p = "\x80\x02]("s + "K\xff" + "M\x34\x12" + "J\xfe\xff\xff\xff" + "\x8a\x01\xff" +
                  "\x8a\x09\xff\xff\xff\xff\xff\xff\xff\xff\xff"s + "\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01"s +
                  "\x8a\x00"s + "G\x3f\xf8\x00\x00\x00\x00\x00\x00"s + "\x88\x89N" + "e.";
  Document d = ok(p);
  Value l = d.root();
  ASSERT_EQ(l.size(), 11u);
  EXPECT_EQ(l.at(0).as_int(), 255);
  EXPECT_EQ(l.at(1).as_int(), 0x1234);
  EXPECT_EQ(l.at(2).as_int(), -2);
  EXPECT_EQ(l.at(3).as_int(), -1);
  EXPECT_EQ(l.at(4).as_int(), -1);
  EXPECT_EQ(l.at(5).kind(), Kind::kBigInt);
  EXPECT_DOUBLE_EQ(l.at(5).as_double(), 18446744073709551616.0);
  EXPECT_EQ(l.at(6).as_int(), 0);
  EXPECT_DOUBLE_EQ(l.at(7).as_double(), 1.5);
  EXPECT_TRUE(l.at(8).as_bool());
  EXPECT_EQ(l.at(9).kind(), Kind::kBool);
  EXPECT_FALSE(l.at(9).as_bool());
  EXPECT_TRUE(l.at(10).is_none());
  // LONG4 with a negative length is refused.
  EXPECT_NE(err("\x8b\xff\xff\xff\xff."s).find("negative"), std::string::npos);
}

TEST(Pickle, ProtocolZeroTextOpcodes) {
  std::string p = "(lp0\nI1\naI01\naL12345678901234567890L\naF2.5\naVh\\u00e9\\U0001F600\naS'a\\nb\\x41'\nag0\na.";
  Document d = ok(p);
  Value l = d.root();
  ASSERT_EQ(l.size(), 7u);
  EXPECT_EQ(l.at(0).as_int(), 1);
  EXPECT_EQ(l.at(1).kind(), Kind::kBool);
  EXPECT_EQ(l.at(2).kind(), Kind::kBigInt);
  EXPECT_DOUBLE_EQ(l.at(3).as_double(), 2.5);
  EXPECT_EQ(l.at(4).str(), "h\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(l.at(5).str(), "a\nbA");
  EXPECT_EQ(l.at(6).id(), l.id());  // the list contains itself (GET 0 after PUT 0)
  Document dict = ok("(dp0\nVa\nI7\nsVb\n(I1\nI2\ntp1\ns.");
  EXPECT_EQ(dict.root().get("a").as_int(), 7);
  EXPECT_EQ(dict.root().get("b").kind(), Kind::kTuple);
  EXPECT_EQ(dict.root().get("b").at(1).as_int(), 2);
  EXPECT_EQ(ok("(I3\nI4\nd.").root().get(int64_t{3}).as_int(), 4);
  // A key set twice: the last value wins, as in Python.
  EXPECT_EQ(ok("(Va\nI1\nVa\nI2\nd.").root().get("a").as_int(), 2);
}

TEST(Pickle, StringBytesSetsAndMemo) {
  std::string p = "\x80\x04]\x94("s +
                  "\x8c\x03"
                  "abc"s +
                  "X\x02\x00\x00\x00"
                  "de"s +
                  "\x8d\x01\x00\x00\x00\x00\x00\x00\x00"
                  "f"s +
                  "C\x02\x00\x01"s +
                  "B\x01\x00\x00\x00"
                  "g"s +
                  "\x8e\x00\x00\x00\x00\x00\x00\x00\x00"s + "U\x02hi"s + "T\x01\x00\x00\x00\xe9"s +
                  "\x8f\x94(K\x01K\x02\x90"s + "(K\x03\x91"s + "h\x01"s + "2"s + "e."s;
  Document d = ok(p);
  Value l = d.root();
  ASSERT_EQ(l.size(), 12u);
  EXPECT_EQ(l.at(0).str(), "abc");
  EXPECT_EQ(l.at(1).str(), "de");
  EXPECT_EQ(l.at(2).str(), "f");
  EXPECT_EQ(l.at(3).kind(), Kind::kBytes);
  EXPECT_EQ(l.at(3).str(), "\x00\x01"s);
  EXPECT_EQ(l.at(4).str(), "g");
  EXPECT_EQ(l.at(5).str(), "");
  EXPECT_EQ(l.at(6).str(), "hi");
  EXPECT_EQ(l.at(7).str(), "\xc3\xa9");  // Python 2 str read as Latin-1 text
  EXPECT_EQ(l.at(8).kind(), Kind::kSet);
  EXPECT_EQ(l.at(8).size(), 2u);
  EXPECT_EQ(l.at(9).kind(), Kind::kSet);
  EXPECT_EQ(l.at(10).id(), l.at(8).id());   // BINGET 1 = the set memoized second
  EXPECT_EQ(l.at(11).id(), l.at(10).id());  // DUP
  EXPECT_FALSE(l.at(12).valid());
}

TEST(Pickle, InvalidUtf8IsReplacedAndCounted) {
  Document d = ok("\x8c\x03\xff\x41\xfe."s);
  EXPECT_EQ(d.root().str(),
            "\xef\xbf\xbd"
            "A\xef\xbf\xbd");
  EXPECT_EQ(d.stats().invalid_utf8, 1u);
}

TEST(Pickle, RefusesEveryObjectOpcodeWithoutRunningIt) {
  // The classic exploit: os.system("touch ...") via GLOBAL + REDUCE (protocol 0), and the protocol-4 form.
  std::string marker = test::data_path("snapshots") + "/../../never-created";
  std::string g = err("cos\nsystem\n(S'touch " + marker + "'\ntR.");
  EXPECT_NE(g.find("opcode GLOBAL (0x63)"), std::string::npos) << g;
  EXPECT_NE(g.find("at byte 0"), std::string::npos) << g;
  std::string sg = err("\x80\x04\x8c\x02os\x8c\x06system\x93\x8c\x04true\x85R."s);
  EXPECT_NE(sg.find("STACK_GLOBAL"), std::string::npos) << sg;
  EXPECT_NE(sg.find("at byte 14"), std::string::npos) << sg;
  struct Case {
    std::string op;
    const char* name;
  };
  for (const Case& c : std::vector<Case>{{"R", "REDUCE"},
                                         {"b", "BUILD"},
                                         {"i", "INST"},
                                         {"o", "OBJ"},
                                         {"\x81", "NEWOBJ"},
                                         {"\x92", "NEWOBJ_EX"},
                                         {"P", "PERSID"},
                                         {"Q", "BINPERSID"},
                                         {"\x82", "EXT1"},
                                         {"\x83", "EXT2"},
                                         {"\x84", "EXT4"},
                                         {"\x97", "NEXT_BUFFER"},
                                         {"\x98", "READONLY_BUFFER"}}) {
    std::string m = err("\x80\x05)"s + c.op + ".");
    EXPECT_NE(m.find(std::string("opcode ") + c.name + " ("), std::string::npos) << m;
    EXPECT_NE(m.find("at byte 3"), std::string::npos) << m;
  }
  EXPECT_FALSE(std::filesystem::exists(marker));
}

TEST(Pickle, ClearErrorsOnMalformedInput) {
  EXPECT_NE(err("").find("empty pickle"), std::string::npos);
  EXPECT_NE(err("\xff").find("unknown opcode 0xff"), std::string::npos);
  EXPECT_NE(err("\x80\x06N.").find("unsupported pickle protocol 6"), std::string::npos);
  EXPECT_NE(err("\x80\x02h\x05.").find("memo index 5 is not defined"), std::string::npos);
  EXPECT_NE(err("\x80\x02g12\n.").find("memo index 12"), std::string::npos);
  EXPECT_NE(err("\x80\x02pxyz\n.").find("not a memo index"), std::string::npos);
  EXPECT_NE(err("\x80\x02\x94.").find("stack underflow"), std::string::npos);
  EXPECT_NE(err("\x80\x02]").find("no STOP"), std::string::npos);
  EXPECT_NE(err("\x80\x02.").find("stack underflow: STOP"), std::string::npos);
  EXPECT_NE(err("\x80\x02]K\x01"
                "a0a.")
                .find("stack underflow: APPEND"),
            std::string::npos);
  EXPECT_NE(err("\x80\x02]e.").find("APPENDS without a MARK"), std::string::npos);
  EXPECT_NE(err("\x80\x02](K\x01"
                "a.")
                .find("stack underflow"),
            std::string::npos);  // APPEND across a MARK
  EXPECT_NE(err("\x80\x02}(K\x01u.").find("odd number"), std::string::npos);
  EXPECT_NE(err("\x80\x02}]K\x01s.").find("unhashable"), std::string::npos);
  EXPECT_NE(err("\x80\x02K\x01K\x02"
                "a.")
                .find("APPEND applied to a int"),
            std::string::npos);
  EXPECT_NE(err("\x80\x02\x85.").find("TUPLE1 needs 1"), std::string::npos);
  EXPECT_NE(err("\x80\x02"
                "1.")
                .find("POP_MARK without a MARK"),
            std::string::npos);
  EXPECT_NE(err("\x80\x02"
                "0.")
                .find("POP on an empty stack"),
            std::string::npos);
  EXPECT_NE(err("I12x\n.").find("not an integer"), std::string::npos);
  EXPECT_NE(err("Fabc\n.").find("not a number"), std::string::npos);
  EXPECT_NE(err("S'abc\n.").find("not a quoted string"), std::string::npos);
  EXPECT_NE(err("I12").find("no end of line"), std::string::npos);
  // POP with an empty frame drops the MARK, as CPython does.
  EXPECT_EQ(ok("\x80\x02N(0.").root().kind(), Kind::kNone);
}

TEST(Pickle, HugeDeclaredLengthsAreRefusedBeforeAllocating) {
  for (std::string p : {"\x80\x04\x8d\xff\xff\xff\xff\xff\xff\xff\x7f"s, "X\xff\xff\xff\xff"s,
                        "\x8e\x00\x00\x00\x00\x00\x01\x00\x00"s, "\x96\xff\xff\xff\xff\xff\xff\xff\xff"s,
                        "\x95\xff\xff\xff\xff\xff\xff\xff\x0f"s, "\x8b\xff\xff\xff\x7f"s, "T\xff\xff\xff\x7f"s,
                        "\x8c\xff"
                        "abc"s}) {
    std::string m = err(p);
    EXPECT_NE(m.find("declares"), std::string::npos) << m;
  }
}

TEST(Pickle, NestingLimits) {
  EXPECT_NE(err(std::string(70000, '(')).find("nested MARKs"), std::string::npos);
  Limits small;
  small.max_stack = 1000;
  auto r = parse(std::string(1001, ']'), small);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("deeper than 1000"), std::string::npos);
  // 100000 nested lists are fine (nothing recurses): [[[...]]].
  std::string deep = "\x80\x02" + std::string(100000, ']') + std::string(99999, 'a') + ".";
  Document d = ok(deep);
  Value v = d.root();
  size_t depth = 1;
  while (v.size() == 1) {
    v = v.at(0);
    ++depth;
  }
  EXPECT_EQ(depth, 100000u);
}

TEST(Pickle, EveryTruncationIsAnError) {
  for (const char* name : {"realistic_p0.pickle", "realistic_p2.pickle", "realistic_p5.pickle", "oom.pickle"}) {
    std::string full = fixture(name);
    ASSERT_FALSE(full.empty()) << name;
    for (size_t n = 0; n < full.size(); ++n) {
      auto r = parse(std::string_view(full).substr(0, n));
      ASSERT_FALSE(r.ok()) << name << " cut at " << n;
      ASSERT_NE(r.error().message.find("at byte"), std::string::npos) << r.error().message;
    }
  }
}

TEST(Pickle, GarbageNeverCrashes) {
  std::mt19937 rng(12345);
  std::string real = fixture("realistic_p4.pickle");
  for (int i = 0; i < 3000; ++i) {
    std::string s;
    if (i % 2 == 0) {
      s.resize(1 + rng() % 300);
      for (char& c : s) c = static_cast<char>(rng());
    } else {  // a real pickle with a few flipped bytes
      s = real;
      for (int k = 0; k < 4; ++k) s[rng() % s.size()] = static_cast<char>(rng());
    }
    auto r = parse(s);
    if (!r.ok()) {
      EXPECT_EQ(r.error().message.find('\n'), std::string::npos);
    }
  }
}

TEST(Pickle, Gzip) {
  auto plain = maybe_gunzip(fixture("fragmented.pickle.gz"), 1 << 20);
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  Document d = ok(*plain);
  EXPECT_EQ(d.root().get("segments").size(), 8u);
  // Not gzip: returned as is.
  EXPECT_EQ(*maybe_gunzip("abc", 10), "abc");
  std::string gz = fixture("fragmented.pickle.gz");
  auto cut = maybe_gunzip(gz.substr(0, gz.size() / 2), 1 << 20);
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.error().message.find("truncated gzip"), std::string::npos) << cut.error().message;
  std::string bad = gz;
  for (size_t i = 20; i < 60; ++i) bad[i] = static_cast<char>(bad[i] ^ 0x5a);
  auto corrupt = maybe_gunzip(bad, 1 << 20);
  ASSERT_FALSE(corrupt.ok());
  EXPECT_NE(corrupt.error().message.find("gzip"), std::string::npos);
  auto trailing = maybe_gunzip(gz + "xyz", 1 << 20);
  ASSERT_FALSE(trailing.ok());
  EXPECT_NE(trailing.error().message.find("after the end"), std::string::npos);
  auto twice = maybe_gunzip(gz + gz, 1 << 20);
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ(twice->size(), 2 * plain->size());
  auto big = maybe_gunzip(gz, 100);
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.error().message.find("more than 100 bytes"), std::string::npos);
}

}  // namespace
}  // namespace infertune::pickle
