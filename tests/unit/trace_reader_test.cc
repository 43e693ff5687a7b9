// The trace reader: plain/gzip, exact ns times, schema variants, counted skips, and clear errors.

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <set>
#include <string>

#include "test_support.h"
#include "trace/model.h"
#include "trace/numbers.h"
#include "trace/reader.h"
#include "trace/reader_json.h"

namespace infertune::trace {
namespace {

std::string gzip_bytes(const std::string& plain, int level = Z_BEST_SPEED) {
  z_stream z{};
  deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, static_cast<uLong>(plain.size())) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  z.avail_in = static_cast<uInt>(plain.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

const char* kSmall = R"({"schemaVersion":1,"displayTimeUnit":"ns","baseTimeNanoseconds":1727743122000000000,
 "deviceProperties":[{"id":0,"name":"NVIDIA H100 80GB HBM3","totalGlobalMem":85018279936,"computeMajor":9,
   "computeMinor":0,"numSms":132}],
 "traceEvents":[
  {"ph":"X","cat":"cpu_op","name":"aten::add","pid":10,"tid":10,"ts":1000.5,"dur":50.25,"args":{"External id":3}},
  {"ph":"X","cat":"cuda_driver","name":"cuLaunchKernel","pid":10,"tid":10,"ts":1010.001,"dur":20,
   "args":{"External id":3,"cbid":307,"correlation":35}},
  {"ph":"X","cat":"kernel","name":"triton_poi_fused_add_0","pid":0,"tid":7,"ts":1100.592,"dur":1.76,
   "args":{"External id":3,"device":0,"stream":7,"correlation":35,"grid":[1,2,3],"block":[128,1,1],
           "est. achieved occupancy %":12,"Comms Id":10159970886766084423}},
  {"ph":"s","id":35,"pid":10,"tid":10,"ts":1010.001,"cat":"ac2g","name":"ac2g"},
  {"ph":"f","id":35,"pid":0,"tid":7,"ts":1100.592,"cat":"ac2g","name":"ac2g","bp":"e"},
  {"ph":"i","cat":"cpu_instant_event","s":"t","name":"[memory]","pid":10,"tid":10,"ts":1200,
   "args":{"Total Reserved":121634816,"Total Allocated":91505152,"Bytes":-144384,"Addr":128184607182336,
           "Device Id":0,"Device Type":1}},
  {"ph":"X","cat":"mtia_runtime","name":"x","pid":1,"tid":1,"ts":1,"dur":1},
  {"ph":"X","cat":"kernel","name":"no_dur","pid":0,"tid":7,"ts":5},
  {"ph":"X","cat":"kernel","name":"bad@@","pid":0,"tid":7,"ts":5,"dur":1},
  {"ph":"M","name":"process_name","pid":0,"tid":0,"args":{"name":"GPU 0"}},
  42
 ]})";

// The trace above with one invalid UTF-8 byte in a kernel name.
std::string small_json() {
  std::string s = kSmall;
  s.replace(s.find("@@"), 2, "\xff");
  return s;
}

TEST(TraceNumbers, MicrosecondsTextToExactNanoseconds) {
  EXPECT_EQ(parse_us_to_ns("1419247333400.919"), 1419247333400919);
  EXPECT_EQ(parse_us_to_ns("2"), 2000);
  EXPECT_EQ(parse_us_to_ns("1.76"), 1760);
  EXPECT_EQ(parse_us_to_ns("0.0005"), 1);  // rounded half away from zero beyond ns
  EXPECT_EQ(parse_us_to_ns("-1.5"), -1500);
  EXPECT_EQ(parse_us_to_ns("1.5e3"), 1500000);
  EXPECT_EQ(parse_us_to_ns("9999999999999999999999"), std::nullopt);
  EXPECT_EQ(parse_us_to_ns("abc"), std::nullopt);
  int64_t v = 0;
  EXPECT_EQ(parse_int64("10159970886766084423", v), IntParse::kOutOfRange);
  EXPECT_EQ(parse_int64("-9223372036854775808", v), IntParse::kOk);
  EXPECT_EQ(v, INT64_MIN);
  EXPECT_EQ(parse_int64("1.5", v), IntParse::kNotInteger);
}

// The value the scanner takes while it scans a number must equal what the text parsers make of the same text;
// numbers it does not take (simple = false) are left to them.
struct NoHandler {};

void expect_scanned_like_parsed(const std::string& text, size_t lead) {
  std::string doc = std::string(lead, ' ') + text + " ";
  auto in = InputStream::from_memory(doc.data(), doc.size());
  NoHandler h;
  JsonScanner<NoHandler> lx(*in, h);
  ASSERT_TRUE(lx.ws());
  std::string_view out;
  JsonNumber n;
  ASSERT_EQ(lx.number(out, n), JsonStatus::kOk) << text;
  EXPECT_EQ(out, text);
  int64_t parsed = 0, scanned = 0;
  IntParse r = parse_int64(text, parsed);
  if (n.as_int(scanned)) {
    EXPECT_EQ(r, IntParse::kOk) << text;
    EXPECT_EQ(scanned, parsed) << text;
  } else {
    EXPECT_FALSE(n.simple && text.find_first_of(".eE") == std::string::npos) << text;
  }
  auto ns = parse_us_to_ns(text);
  if (n.us_to_ns(scanned)) {
    ASSERT_TRUE(ns.has_value()) << text;
    EXPECT_EQ(scanned, *ns) << text;
  }
  // What Kineto writes is taken by the scanner: integers of up to 18 digits, times with up to 3 decimals.
  size_t digits = text.find_first_of(".eE");
  size_t int_digits = (digits == std::string::npos ? text.size() : digits) - (text[0] == '-' ? 1 : 0);
  if (text.find_first_of("eE") == std::string::npos && int_digits <= 15 &&
      (digits == std::string::npos || text.size() - digits - 1 <= 3)) {
    EXPECT_TRUE(n.us_to_ns(scanned)) << text;
  }
}

TEST(TraceNumbers, ScannedValuesEqualTextParsing) {
  const char* fixed[] = {"0",
                         "-0",
                         "7",
                         "12345678",
                         "123456789",
                         "99999999",
                         "100000000",
                         "999999999999999999",
                         "1000000000000000000",
                         "-9223372036854775808",
                         "9223372036854775807",
                         "18446744073709551615",
                         "1.5",
                         "1.50",
                         "1.500",
                         "1.5000",
                         "0.001",
                         "-0.5",
                         "0.0005",
                         "999999999999999.999",
                         "1000000000000000.5",
                         "1e3",
                         "1.5E-2",
                         "-2.5e+1",
                         "12345678.12345678",
                         "1419247333400.919",
                         "1727743122000000000"};
  for (const char* t : fixed) {
    for (size_t lead : {size_t{0}, size_t{3}}) expect_scanned_like_parsed(t, lead);
  }
  std::mt19937_64 rng(20261126);
  auto digits = [&](size_t n, bool lead_nonzero) {
    std::string d;
    for (size_t i = 0; i < n; ++i)
      d.push_back(static_cast<char>('0' + (i == 0 && lead_nonzero ? 1 + rng() % 9 : rng() % 10)));
    return d;
  };
  for (int i = 0; i < 20000; ++i) {
    size_t int_len = 1 + rng() % 21;
    std::string t = (rng() % 4 == 0 ? "-" : "") + (int_len == 1 ? digits(1, false) : digits(int_len, true));
    if (rng() % 2) t += "." + digits(1 + rng() % 9, false);
    if (rng() % 10 == 0) t += std::string(rng() % 2 ? "e" : "E-") + digits(1 + rng() % 2, false);
    expect_scanned_like_parsed(t, rng() % 8);
  }
  // A number cut by the end of a read chunk (1 MiB) is rescanned whole after the refill.
  expect_scanned_like_parsed("1234567890.123", (size_t{1} << 20) - 5);
}

void check_small(const Trace& t) {
  EXPECT_EQ(t.base_time_ns, 1727743122000000000);
  EXPECT_EQ(t.display_time_unit, "ns");
  ASSERT_EQ(t.devices.size(), 1u);
  EXPECT_EQ(t.devices[0].num_sms, 132);
  EXPECT_EQ(t.devices[0].compute_major, 9);
  ASSERT_EQ(t.events.size(), 3u);
  EXPECT_EQ(t.events[0].ts_ns, 1000500);
  EXPECT_EQ(t.events[0].dur_ns, 50250);
  const Event& k = t.events[2];
  EXPECT_EQ(t.name_of(k), "triton_poi_fused_add_0");
  EXPECT_EQ(k.ts_ns, 1100592);
  EXPECT_EQ(k.dur_ns, 1760);
  EXPECT_EQ(k.stream, 7);
  EXPECT_EQ(k.correlation, 35);
  ASSERT_NE(k.gpu_args, kNoIndex);
  EXPECT_EQ(t.gpu_args[k.gpu_args].grid[2], 3);
  EXPECT_EQ(t.gpu_args[k.gpu_args].occupancy_pct, 12.0f);
  ASSERT_EQ(t.memory.size(), 1u);
  EXPECT_EQ(t.memory[0].bytes, -144384);
  EXPECT_EQ(t.memory[0].total_allocated, 91505152);
  EXPECT_EQ(t.flows.size(), 2u);
  EXPECT_EQ(t.stats.events_seen, 11u);
  EXPECT_EQ(t.stats.large_integers, 1u);
  EXPECT_EQ(t.stats.skipped_categories.at("mtia_runtime"), 1u);
  EXPECT_EQ(t.stats.malformed, 2u);  // no dur; the bare number 42
  EXPECT_EQ(t.stats.invalid_utf8, 1u);
  EXPECT_EQ(t.stats.metadata_events, 1u);

  Model m = build_model(t);
  ASSERT_EQ(m.activities.size(), 1u);
  EXPECT_EQ(m.activities[0].launch, 1u);  // cuLaunchKernel by correlation
  EXPECT_EQ(m.activities[0].op, 0u);      // aten::add by External id
}

TEST(TraceReader, ReadsPlainAndGzipAlike) {
  auto plain = read_trace_bytes(small_json(), "small.json");
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_FALSE(plain->gzip);
  check_small(*plain);
  std::string gz = gzip_bytes(small_json());
  auto zipped = read_trace_bytes(gz, "small.json");  // detected by magic, not the name
  ASSERT_TRUE(zipped.ok()) << zipped.error().message;
  EXPECT_TRUE(zipped->gzip);
  check_small(*zipped);
  // Concatenated gzip members are one stream.
  std::string half = small_json().substr(0, 200);
  auto two = read_trace_bytes(gzip_bytes(half) + gzip_bytes(small_json().substr(200)), "two.gz");
  ASSERT_TRUE(two.ok()) << two.error().message;
  check_small(*two);
}

TEST(TraceReader, LegacySchemaAndStringTids) {
  auto t = read_trace_file(test::data_path("traces/legacy_gpu_metrics_input.json"));
  ASSERT_TRUE(t.ok()) << t.error().message;
  Model m = build_model(*t);
  EXPECT_EQ(m.kernels, 30u);
  ASSERT_FALSE(m.streams.empty());
  EXPECT_EQ(m.streams[0].stream, 7);  // "stream 7"
  EXPECT_GT(m.linked_activities, 0u);
  EXPECT_GT(m.activities_with_op, 0u);  // lowercase "external id"
  EXPECT_FALSE(t->devices.empty());     // computeProperties
}

TEST(TraceReader, RocmDriverLaunchesAndLargeIntegers) {
  auto amd = read_trace_file(test::data_path("traces/mi250_minitoy_train_ROCm6_2_kineto.json.gz"));
  ASSERT_TRUE(amd.ok()) << amd.error().message;
  Model ma = build_model(*amd);
  EXPECT_EQ(ma.kernels, 14u);
  EXPECT_EQ(ma.linked_activities, ma.activities.size());  // hipLaunchKernel pairs
  auto triton = read_trace_file(test::data_path("traces/triton_example.json.gz"));
  ASSERT_TRUE(triton.ok());
  Model mt = build_model(*triton);
  ASSERT_EQ(mt.activities.size(), 1u);
  ASSERT_NE(mt.activities[0].launch, kNoIndex);
  EXPECT_EQ(triton->name_of(triton->events[mt.activities[0].launch]), "cuLaunchKernel");
  EXPECT_EQ(mt.activities[0].end_ns - mt.activities[0].ts_ns, 1760);
  auto big = read_trace_file(test::data_path("traces/rank-70.Mar_25_20_48_12.2861.pt.trace.json.gz"));
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->stats.large_integers, 1u);
}

void expect_error(const Result<Trace>& r, const std::string& label, const std::string& words) {
  ASSERT_FALSE(r.ok());
  const std::string& msg = r.error().message;
  EXPECT_NE(msg.find(label), std::string::npos) << msg;
  EXPECT_NE(msg.find(words), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

TEST(TraceReader, BadInputIsOneClearError) {
  expect_error(read_trace_bytes("", "empty.json"), "empty.json", "empty");
  expect_error(read_trace_bytes(small_json().substr(0, 700), "cut.json"), "cut.json", "truncated");
  expect_error(read_trace_bytes("\x01\x02garbage", "junk.bin"), "junk.bin", "invalid JSON");
  expect_error(read_trace_bytes("[1,2] x", "tail.json"), "tail.json", "after the JSON");
  expect_error(read_trace_bytes(R"({"a":1})", "notrace.json"), "notrace.json", "traceEvents");
  expect_error(read_trace_bytes("42", "num.json"), "num.json", "not a JSON object");
  std::string gz = gzip_bytes(small_json());
  expect_error(read_trace_bytes(gz.substr(0, gz.size() / 2), "half.json.gz"), "half.json.gz", "truncated gzip");
  std::string corrupt = gz;
  for (size_t i = 20; i < 60 && i < corrupt.size(); ++i) corrupt[i] = static_cast<char>(corrupt[i] ^ 0x5a);
  auto c = read_trace_bytes(corrupt, "corrupt.json.gz");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("corrupt.json.gz"), std::string::npos);
  expect_error(read_trace_file("/nonexistent/trace.json"), "/nonexistent/trace.json", "cannot open");
  test::TempRoot root;
  expect_error(read_trace_file(root.path()), root.path(), "cannot read");
}

// Each gzip member's CRC-32 and length (its trailer) are checked; a trailer may straddle two input buffers.
TEST(TraceReader, GzipTrailerIsChecked) {
  std::string gz = gzip_bytes(small_json());
  ASSERT_TRUE(read_trace_bytes(gz, "ok.json.gz").ok());
  for (size_t back : {size_t{8}, size_t{5}, size_t{4}, size_t{1}}) {  // CRC-32 bytes, then ISIZE bytes
    std::string bad = gz;
    bad[bad.size() - back] = static_cast<char>(bad[bad.size() - back] ^ 0x01);
    expect_error(read_trace_bytes(bad, "crc.json.gz"), "crc.json.gz", "CRC-32 or the length");
  }
  // The second of two members damaged.
  std::string two = gz + gz;
  two[two.size() - 6] = static_cast<char>(two[two.size() - 6] ^ 0x40);
  expect_error(read_trace_bytes(two, "two.json.gz"), "two.json.gz", "CRC-32 or the length");

  // Stored (level 0) members grow by one byte per input byte: pad the JSON until the 8-byte trailer starts 4 bytes
  // before the end of the first 256 KiB input buffer.
  constexpr size_t kRawChunk = size_t{1} << 18;
  std::string json = small_json();
  std::string padded;
  std::string straddle;
  for (size_t pad = kRawChunk - json.size() - 200; pad < kRawChunk; ++pad) {
    padded = json + std::string(pad, ' ');
    straddle = gzip_bytes(padded, Z_NO_COMPRESSION);
    if (straddle.size() >= kRawChunk + 4) break;
  }
  ASSERT_EQ(straddle.size(), kRawChunk + 4);
  auto t = read_trace_bytes(straddle, "straddle.json.gz");
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->json_bytes, padded.size());
  for (size_t back : {size_t{8}, size_t{1}}) {  // a CRC byte in the first buffer, an ISIZE byte in the second
    std::string bad = straddle;
    bad[bad.size() - back] = static_cast<char>(bad[bad.size() - back] ^ 0x01);
    expect_error(read_trace_bytes(bad, "straddle.json.gz"), "straddle.json.gz", "CRC-32 or the length");
  }
}

// Durations and timestamps so large that end times or sums could leave int64 are malformed, not kept.
TEST(TraceReader, OutOfRangeTimesAreMalformed) {
  auto t = read_trace_bytes(
      R"({"traceEvents":[
        {"ph":"X","cat":"cpu_op","name":"ok","pid":1,"tid":1,"ts":1.5,"dur":1125899906842.624},
        {"ph":"X","cat":"cpu_op","name":"long","pid":1,"tid":1,"ts":1.5,"dur":1125899906842.625},
        {"ph":"X","cat":"cpu_op","name":"late","pid":1,"tid":1,"ts":4611686018427387.905,"dur":1},
        {"ph":"X","cat":"cpu_op","name":"early","pid":1,"tid":1,"ts":-4611686018427387.905,"dur":1}]})",
      "bounds.json");
  ASSERT_TRUE(t.ok()) << t.error().message;
  ASSERT_EQ(t->events.size(), 1u);
  EXPECT_EQ(t->events[0].dur_ns, int64_t{1} << 50);
  EXPECT_EQ(t->stats.malformed, 3u);
}

// args["Input Dims"] (record_shapes) becomes compact JSON text, interned; absent = string id 0 = "".
TEST(TraceReader, InputDimsOfRealTraces) {
  // Pretty-printed JSON (newlines and spaces inside the arrays).
  auto bert = read_trace_file(test::data_path("traces/tracelens_h100/gaunernst_bert-small-uncased__1016001.json.gz"));
  ASSERT_TRUE(bert.ok()) << bert.error().message;
  size_t with_dims = 0;
  std::set<StringId> distinct;
  for (const Event& e : bert->events) {
    if (e.input_dims == 0) continue;
    ++with_dims;
    distinct.insert(e.input_dims);
    EXPECT_EQ(e.cat, Cat::kCpuOp);
  }
  EXPECT_EQ(with_dims, 479u);  // every X event with "Input Dims" (counted with Python's json module)
  EXPECT_EQ(distinct.size(), 53u);
  auto first = std::find_if(bert->events.begin(), bert->events.end(), [](const Event& e) { return e.input_dims; });
  ASSERT_NE(first, bert->events.end());
  EXPECT_EQ(bert->name_of(*first), "aten::slice");
  EXPECT_EQ(bert->strings.str(first->input_dims), "[[1,512],[],[],[],[]]");
  EXPECT_EQ(bert->strings.str(0), "");

  // TensorList inputs nest one level deeper (aten::cat).
  auto qwen = read_trace_file(test::data_path("traces/tracelens_h100/Qwen_Qwen1.5-0.5B-Chat__1016005.json.gz"));
  ASSERT_TRUE(qwen.ok()) << qwen.error().message;
  size_t qwen_dims = 0;
  bool found_cat = false;
  for (const Event& e : qwen->events) {
    if (e.input_dims != 0) ++qwen_dims;
    if (e.ts_ns == 1428625746997177 && qwen->name_of(e) == "aten::cat") {
      found_cat = true;
      EXPECT_EQ(qwen->strings.str(e.input_dims), "[[[1,559,32],[1,559,32]],[]]");
    }
  }
  EXPECT_TRUE(found_cat);
  EXPECT_EQ(qwen_dims, 4186u);
}

TEST(TraceReader, InputDimsOddValues) {
  std::string big = "[";
  for (int i = 0; i < 20000; ++i) big += (i ? ",[" : "[") + std::to_string(100000 + i) + "]";
  big += "]";
  std::string json = R"({"traceEvents":[
    {"ph":"X","cat":"cpu_op","name":"conv","pid":1,"tid":1,"ts":1,"dur":1,
     "args":{"Input Dims": [[8, 3, 224, 224], [64, 3, 7, 7], [], []], "Input type": ["float"]}},
    {"ph":"X","cat":"cpu_op","name":"conv2","pid":1,"tid":1,"ts":2,"dur":1,
     "args":{"Input Dims":[[8,3,224,224],[64,3,7,7],[],[]]}},
    {"ph":"X","cat":"cpu_op","name":"odd","pid":1,"tid":1,"ts":3,"dur":1,
     "args":{"Input Dims":[ [[1,2],[3]] , "a\"b\\c\u0001", null, true, false, {"k" : [ 1 ]}, -1.5e3, [] ]}},
    {"ph":"X","cat":"cpu_op","name":"scalar","pid":1,"tid":1,"ts":4,"dur":1,"args":{"Input Dims":"[1,2]"}},
    {"ph":"X","cat":"cpu_op","name":"none","pid":1,"tid":1,"ts":5,"dur":1,"args":{"External id":1}},
    {"ph":"X","cat":"cpu_op","name":"badutf8","pid":1,"tid":1,"ts":6,"dur":1,"args":{"Input Dims":[["@@"]]}},
    {"ph":"X","cat":"cpu_op","name":"huge","pid":1,"tid":1,"ts":7,"dur":1,"args":{"Input Dims":BIG}},
    {"ph":"X","cat":"cpu_op","name":"after","pid":1,"tid":1,"ts":8,"dur":1,"args":{"Input Dims":[[],[2]]}},
    {"ph":"X","cat":"cpu_op","name":"empty","pid":1,"tid":1,"ts":9,"dur":1,"args":{"Input Dims":[]}}]})";
  json.replace(json.find("BIG"), 3, big);
  json.replace(json.find("@@"), 2, "\xff");
  auto t = read_trace_bytes(json, "dims.json");
  ASSERT_TRUE(t.ok()) << t.error().message;
  ASSERT_EQ(t->events.size(), 9u);
  auto dims = [&](size_t i) { return t->strings.str(t->events[i].input_dims); };
  EXPECT_EQ(dims(0), "[[8,3,224,224],[64,3,7,7],[],[]]");
  EXPECT_EQ(t->events[1].input_dims, t->events[0].input_dims);  // interned
  EXPECT_EQ(dims(2), R"([[[1,2],[3]],"a\"b\\c\u0001",null,true,false,{"k":[1]},-1.5e3,[]])");
  EXPECT_EQ(t->events[3].input_dims, 0u);  // not an array
  EXPECT_EQ(t->events[4].input_dims, 0u);  // absent
  EXPECT_EQ(t->events[5].input_dims, 0u);  // invalid UTF-8 inside: shapes dropped, event kept
  EXPECT_EQ(t->stats.invalid_utf8, 0u);
  EXPECT_EQ(t->events[6].input_dims, 0u);  // longer than the kept maximum: dropped, not cut
  EXPECT_EQ(dims(7), "[[],[2]]");          // the state is reset per event
  EXPECT_EQ(dims(8), "[]");
  EXPECT_EQ(t->stats.malformed, 0u);

  // Cut inside the Input Dims array: a clear truncation error.
  std::string cut = json.substr(0, json.find("[64, 3, 7"));
  expect_error(read_trace_bytes(cut, "cutdims.json"), "cutdims.json", "truncated");
}

// Values beyond the narrowed fields of Event/GpuArgs: ids and streams dropped and counted; pids/tids beyond int32
// become stable negative ids (like string tids).
TEST(TraceReader, ValuesBeyondTheirFieldsAreCountedOrMapped) {
  auto t = read_trace_bytes(R"({"traceEvents":[
    {"ph":"X","cat":"cpu_op","name":"a","pid":1,"tid":140234567890123,"ts":1,"dur":1,"args":{"External id":3000000000}},
    {"ph":"X","cat":"cpu_op","name":"b","pid":1,"tid":140234567890123,"ts":2,"dur":1,"args":{"External id":7}},
    {"ph":"X","cat":"cuda_runtime","name":"cudaLaunchKernel","pid":1,"tid":2147483647,"ts":3,"dur":1,
     "args":{"correlation":2147483648}},
    {"ph":"X","cat":"kernel","name":"k","pid":0,"tid":7,"ts":4,"dur":1,
     "args":{"stream":40000,"device":0,"correlation":5,"block":[40000,1,1],"grid":[3000000000,2,1]}},
    {"ph":"X","cat":"kernel","name":"k","pid":0,"tid":7,"ts":5,"dur":1,"args":{"stream":7,"device":300}},
    {"ph":"X","cat":"cpu_op","name":"triton","pid":1,"tid":1,"ts":6,"dur":1,"args":{"stream":615352160}}]})",
                            "wide.json");
  ASSERT_TRUE(t.ok()) << t.error().message;
  ASSERT_EQ(t->events.size(), 6u);
  const auto& e = t->events;
  EXPECT_LT(e[0].tid, 0);
  EXPECT_EQ(e[0].tid, e[1].tid);  // the same thread
  EXPECT_EQ(e[0].external_id, -1);
  EXPECT_EQ(e[1].external_id, 7);
  EXPECT_EQ(e[2].tid, 2147483647);
  EXPECT_EQ(e[2].correlation, -1);
  EXPECT_EQ(e[3].stream, -1);
  EXPECT_EQ(e[3].correlation, 5);
  ASSERT_NE(e[3].gpu_args, kNoIndex);
  EXPECT_EQ(t->gpu_args[e[3].gpu_args].block[0], 0);
  EXPECT_EQ(t->gpu_args[e[3].gpu_args].grid[0], 0);
  EXPECT_EQ(t->gpu_args[e[3].gpu_args].grid[1], 2);
  EXPECT_EQ(e[4].stream, 7);
  EXPECT_EQ(e[4].device, -1);
  EXPECT_EQ(e[5].stream, -1);            // a host event's stream arg is not used: not counted
  EXPECT_EQ(t->stats.out_of_range, 4u);  // events a, cudaLaunchKernel, k, k
  EXPECT_EQ(t->stats.events_kept, 6u);
}

// The reader takes the decoded data in 1 MiB windows: tokens cut by a window end (long strings, escapes,
// numbers, literals, whitespace runs) must read as if contiguous.
TEST(TraceReader, TokensAcrossChunkBoundaries) {
  std::string json = R"({"traceEvents":[)";
  std::string long_name(3 << 20, 'n');  // longer than a window
  long_name += R"(\u00e9\"x)";
  size_t events = 0;
  for (int i = 0; json.size() < (size_t{5} << 20); ++i) {
    if (events) json += ",";
    json += std::string(static_cast<size_t>(i % 37), ' ');
    std::string name = i == 100 ? long_name : "op" + std::to_string(i) + R"(\t\u0041)";
    json += R"({"ph":"X","cat":"cpu_op","name":")" + name + R"(","pid":1,"tid":1,"ts":)" + std::to_string(i) +
            ".125,\"dur\":" + std::to_string(i % 1000) + R"(.5,"args":{"External id":)" + std::to_string(i) +
            R"(,"flag":true,"none":null,"Input Dims":[[)" + std::to_string(i) + R"(,3],[]]}})";
    ++events;
  }
  json += "]}";
  auto t = read_trace_bytes(json, "chunks.json");
  ASSERT_TRUE(t.ok()) << t.error().message;
  ASSERT_EQ(t->events.size(), events);
  for (size_t i = 0; i < events; ++i) {
    const Event& e = t->events[i];
    ASSERT_EQ(e.ts_ns, static_cast<int64_t>(i) * 1000 + 125) << i;
    ASSERT_EQ(e.dur_ns, static_cast<int64_t>(i % 1000) * 1000 + 500) << i;
    ASSERT_EQ(e.external_id, static_cast<int32_t>(i)) << i;
    ASSERT_EQ(t->strings.str(e.input_dims), "[[" + std::to_string(i) + ",3],[]]") << i;
    if (i == 100) {
      ASSERT_EQ(t->name_of(e).size(), (size_t{3} << 20) + 4);
      EXPECT_EQ(t->name_of(e).substr(3 << 20), "\xc3\xa9\"x");
    } else {
      ASSERT_EQ(t->name_of(e), "op" + std::to_string(i) + "\tA") << i;
    }
  }
  EXPECT_EQ(t->json_bytes, json.size());
  // The same through gzip.
  auto z = read_trace_bytes(gzip_bytes(json), "chunks.json.gz");
  ASSERT_TRUE(z.ok()) << z.error().message;
  EXPECT_EQ(z->events.size(), events);
  // Cut anywhere near a window end: a clear error, never a crash.
  for (size_t cut : {size_t{1} << 20, (size_t{1} << 20) + 1, (size_t{2} << 20) - 3, json.size() - 1}) {
    auto r = read_trace_bytes(json.substr(0, cut), "cut.json");
    ASSERT_FALSE(r.ok()) << cut;
    EXPECT_NE(r.error().message.find("truncated"), std::string::npos) << r.error().message;
  }
}

TEST(TraceReader, SyntaxErrorsInsideEvents) {
  const char* bad[] = {
      R"({"traceEvents":[{"ph":"X" "cat":"cpu_op"}]})",         // missing comma
      R"({"traceEvents":[{"ph":"X","ts":01}]})",                // leading zero
      R"({"traceEvents":[{"ph":"X","ts":1.}]})",                // no fraction digits
      R"({"traceEvents":[{"ph":"X","ts":-}]})",                 // lone minus
      R"({"traceEvents":[{"ph":"X","args":{"a":tru}}]})",       // bad literal
      R"({"traceEvents":[{"ph":"X","name":"a\qb"}]})",          // bad escape
      R"({"traceEvents":[{"ph":"X","name":"a\u12"}]})",         // short \u escape
      "{\"traceEvents\":[{\"ph\":\"X\",\"name\":\"a\x01\"}]}",  // raw control character
      R"({"traceEvents":[{"ph":"X",}]})",                       // trailing comma
      R"({"traceEvents":[{"ph":"X","args":{"grid":[1,2,]}}]})",
  };
  for (const char* j : bad) {
    auto r = read_trace_bytes(j, "bad.json");
    ASSERT_FALSE(r.ok()) << j;
    EXPECT_NE(r.error().message.find("invalid JSON at byte"), std::string::npos) << r.error().message;
  }
  std::string deep = R"({"traceEvents":[{"args":{"x":)" + std::string(5000, '[') + std::string(5000, ']') + "}}]}";
  auto r = read_trace_bytes(deep, "deep.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("nesting"), std::string::npos) << r.error().message;
  // Lone surrogates decode to invalid UTF-8: that event is counted and skipped, the trace loads.
  auto s = read_trace_bytes(
      R"({"traceEvents":[{"ph":"X","cat":"cpu_op","name":"a\ud800b","pid":1,"tid":1,"ts":1,"dur":1},
                         {"ph":"X","cat":"cpu_op","name":"\ud83d\ude00","pid":1,"tid":1,"ts":1,"dur":1}]})",
      "surrogates.json");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->stats.invalid_utf8, 1u);
  ASSERT_EQ(s->events.size(), 1u);
  EXPECT_EQ(s->name_of(s->events[0]), "\xf0\x9f\x98\x80");
}

// Every trace in the shared collection loads (skipped when the collection is not next to the source tree).
TEST(TraceReader, EverySharedTraceLoads) {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(test::source_path("")) / ".." / "shared" / "traces";
  if (const char* env = std::getenv("INFERTUNE_SHARED_TRACES"); env != nullptr && *env != '\0') dir = env;
  if (!fs::exists(dir)) GTEST_SKIP() << "no shared trace collection at ../shared/traces (or INFERTUNE_SHARED_TRACES)";
  int n = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    std::string p = entry.path().string();
    bool is_trace = p.ends_with(".json.gz") || (p.ends_with(".json") && p.find("/reference/") == std::string::npos &&
                                                p.find("execution_details") == std::string::npos);
    if (!entry.is_regular_file() || !is_trace) continue;
    auto t = read_trace_file(p);
    ASSERT_TRUE(t.ok()) << t.error().message;
    EXPECT_GT(t->stats.events_seen, 0u) << p;
    ++n;
  }
  EXPECT_GE(n, 20);
}

}  // namespace
}  // namespace infertune::trace
