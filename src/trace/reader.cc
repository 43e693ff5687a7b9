#include "trace/reader.h"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <cstring>
#include <filesystem>
#include <memory>

#include "trace/input_stream.h"
#include "trace/numbers.h"

namespace infertune::trace {

const char* cat_name(Cat c) {
  switch (c) {
    case Cat::kCpuOp: return "cpu_op";
    case Cat::kUserAnnotation: return "user_annotation";
    case Cat::kPythonFunction: return "python_function";
    case Cat::kCudaRuntime: return "cuda_runtime";
    case Cat::kCudaDriver: return "cuda_driver";
    case Cat::kKernel: return "kernel";
    case Cat::kGpuMemcpy: return "gpu_memcpy";
    case Cat::kGpuMemset: return "gpu_memset";
    case Cat::kGpuUserAnnotation: return "gpu_user_annotation";
  }
  return "?";
}

uint64_t ReadStats::skipped_total() const {
  uint64_t n = malformed + invalid_utf8 + other_phases;
  for (const auto& [cat, count] : skipped_categories) n += count;
  return n;
}

namespace {

bool valid_utf8(std::string_view s) {
  size_t i = 0, n = s.size();
  while (i < n) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07u;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

bool category_of(std::string_view c, Cat& out) {
  struct Entry {
    std::string_view name;
    Cat cat;
  };
  static constexpr Entry kTable[] = {
      {"cpu_op", Cat::kCpuOp},
      {"user_annotation", Cat::kUserAnnotation},
      {"python_function", Cat::kPythonFunction},
      {"cuda_runtime", Cat::kCudaRuntime},
      {"cuda_driver", Cat::kCudaDriver},
      {"kernel", Cat::kKernel},
      {"gpu_memcpy", Cat::kGpuMemcpy},
      {"gpu_memset", Cat::kGpuMemset},
      {"gpu_user_annotation", Cat::kGpuUserAnnotation},
      // 2021 schema
      {"Operator", Cat::kCpuOp},
      {"Runtime", Cat::kCudaRuntime},
      {"Kernel", Cat::kKernel},
      {"Memcpy", Cat::kGpuMemcpy},
      {"Memset", Cat::kGpuMemset},
  };
  for (const auto& e : kTable) {
    if (e.name == c) {
      out = e.cat;
      return true;
    }
  }
  return false;
}

// "stream 7" -> 7 (2021 string tids); other strings get a stable negative id.
int64_t id_from_string(std::string_view s, StringTable& strings) {
  size_t end = s.size();
  while (end > 0 && s[end - 1] == ' ') --end;
  size_t start = end;
  while (start > 0 && s[start - 1] >= '0' && s[start - 1] <= '9') --start;
  if (start < end && end - start < 18) {
    int64_t v = 0;
    if (parse_int64(s.substr(start, end - start), v) == IntParse::kOk) return v;
  }
  return -1 - static_cast<int64_t>(strings.intern(s));
}

// Bounds that keep every end time and every sum of durations the analyses form inside int64: real traces stay
// far below them (timestamps since the epoch are ~1.8e18 ns; events last seconds, not weeks).
constexpr int64_t kMaxTsNs = int64_t{1} << 62;   // ~146 years
constexpr int64_t kMaxDurNs = int64_t{1} << 50;  // ~13 days

// kDims: inside args["Input Dims"], whose value is copied as compact JSON text (arrays of arrays of integers;
// TensorList inputs nest one level deeper).
enum class Where : uint8_t { kTop, kEvents, kEvent, kArgs, kArgArray, kDims, kDevices, kDevice, kSkip };

// Longest args["Input Dims"] text kept; longer ones (thousands of TensorList inputs) are dropped, not truncated.
constexpr size_t kMaxDimsText = size_t{1} << 16;

enum class TopKey : uint8_t { kOther, kTraceEvents, kDisplayTimeUnit, kBaseTime, kDevices, kSchemaVersion };
enum class EvKey : uint8_t { kOther, kPh, kCat, kName, kPid, kTid, kTs, kDur, kId, kArgs };
enum class ArgKey : uint8_t {
  kOther,
  kCorrelation,
  kExternalId,
  kStream,
  kDevice,
  kGrid,
  kBlock,
  kOccupancy,
  kRegisters,
  kBytes,  // "bytes" (copies) and "Bytes" (memory events)
  kTotalAlloc,
  kTotalReserved,
  kAddr,
  kDeviceType,
  kDeviceId,
  kInputDims,
};
enum class DevKey : uint8_t { kOther, kId, kName, kNumSms, kTotalMem, kMajor, kMinor };

struct RawEvent {
  char ph = 0;
  bool has_ts = false, has_dur = false, bad = false, bad_utf8 = false, has_id = false;
  std::string cat, name;
  int64_t pid = 0, tid = 0, ts = 0, dur = 0, id = 0;
  int64_t correlation = -1, external_id = -1, stream = -1, device = -1;
  GpuArgs gpu;
  bool has_gpu_args = false;
  int64_t bytes = 0, total_alloc = -1, total_reserved = -1, addr = -1, device_type = -1, device_id = -1;
  std::string dims;  // compact JSON of args["Input Dims"]; empty when absent or dropped
  void reset() {
    dims.clear();
    ph = 0;
    has_ts = has_dur = bad = bad_utf8 = has_id = false;
    cat.clear();
    name.clear();
    pid = tid = ts = dur = id = 0;
    correlation = external_id = stream = device = -1;
    gpu = GpuArgs{};
    has_gpu_args = false;
    bytes = 0;
    total_alloc = total_reserved = addr = device_type = device_id = -1;
  }
};

class Handler {
 public:
  explicit Handler(Trace& t) : t_(t) { stack_.reserve(64); }

  std::string error;  // set when the handler stops the parse (wrong shape)

  bool Null() { return dims_literal("null") && scalar(); }
  bool Bool(bool b) { return dims_literal(b ? "true" : "false") && scalar(); }
  bool Int(int) { return scalar(); }
  bool Uint(unsigned) { return scalar(); }
  bool Int64(int64_t) { return scalar(); }
  bool Uint64(uint64_t) { return scalar(); }
  bool Double(double) { return scalar(); }

  bool RawNumber(const char* s, rapidjson::SizeType len, bool) {
    std::string_view text(s, len);
    if (stack_.empty()) return top_shape_error();
    switch (stack_.back()) {
      case Where::kEvent: event_number(text); break;
      case Where::kArgs: arg_number(text); break;
      case Where::kArgArray: {
        int64_t v = 0;
        if (array_index_ < 3 && int_of(text, v)) {
          int32_t* dst = array_is_grid_ ? ev_.gpu.grid : ev_.gpu.block;
          dst[array_index_] = static_cast<int32_t>(v);
          ev_.has_gpu_args = true;
        }
        ++array_index_;
        break;
      }
      case Where::kTop: {
        int64_t v = 0;
        if (top_key_ == TopKey::kBaseTime && int_of(text, v)) t_.base_time_ns = v;
        if (top_key_ == TopKey::kSchemaVersion && int_of(text, v)) t_.schema_version = v;
        break;
      }
      case Where::kDevice: device_number(text); break;
      case Where::kEvents: element_not_object(); break;
      case Where::kDims:
        if (dims_separator()) ev_.dims.append(text);
        break;
      default: note_large(text); break;
    }
    return true;
  }

  bool String(const char* s, rapidjson::SizeType len, bool) {
    std::string_view text(s, len);
    if (stack_.empty()) return top_shape_error();
    switch (stack_.back()) {
      case Where::kEvent:
        switch (ev_key_) {
          case EvKey::kPh: ev_.ph = len == 1 ? s[0] : '?'; break;
          case EvKey::kCat:
            ev_.cat.assign(text);
            if (!valid_utf8(text)) ev_.bad_utf8 = true;
            break;
          case EvKey::kName:
            ev_.name.assign(text);
            if (!valid_utf8(text)) ev_.bad_utf8 = true;
            break;
          case EvKey::kPid: ev_.pid = id_from_string(text, t_.strings); break;
          case EvKey::kTid: ev_.tid = id_from_string(text, t_.strings); break;
          case EvKey::kTs:
          case EvKey::kDur: ev_.bad = true; break;
          default: break;
        }
        break;
      case Where::kArgs:
        if (arg_key_ == ArgKey::kStream) {
          // ROCm writes the stream as a hex string ("0x0").
          if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
            ev_.stream = static_cast<int64_t>(std::strtoull(std::string(text.substr(2)).c_str(), nullptr, 16));
          }
        }
        break;
      case Where::kTop:
        if (top_key_ == TopKey::kDisplayTimeUnit) t_.display_time_unit.assign(text);
        break;
      case Where::kDevice:
        if (dev_key_ == DevKey::kName) dev_.name.assign(text);
        break;
      case Where::kEvents: element_not_object(); break;
      case Where::kDims:
        if (dims_separator()) dims_string(text);
        break;
      default: break;
    }
    return true;
  }

  bool Key(const char* s, rapidjson::SizeType len, bool) {
    std::string_view k(s, len);
    switch (stack_.back()) {
      case Where::kTop: top_key_ = top_key(k); break;
      case Where::kEvent: ev_key_ = event_key(k); break;
      case Where::kArgs: arg_key_ = arg_key(k); break;
      case Where::kDevice: dev_key_ = dev_key(k); break;
      case Where::kDims:
        if (dims_separator()) {
          dims_string(k);
          ev_.dims.push_back(':');
        }
        break;
      default: break;
    }
    return true;
  }

  bool StartObject() {
    if (stack_.empty()) {
      stack_.push_back(Where::kTop);
      return true;
    }
    switch (stack_.back()) {
      case Where::kEvents:
        ev_.reset();
        ev_key_ = EvKey::kOther;
        large_in_event_ = false;
        stack_.push_back(Where::kEvent);
        break;
      case Where::kEvent:
        if (ev_key_ == EvKey::kArgs) {
          arg_key_ = ArgKey::kOther;
          stack_.push_back(Where::kArgs);
        } else {
          stack_.push_back(Where::kSkip);
        }
        break;
      case Where::kDevices:
        dev_ = DeviceInfo{};
        dev_key_ = DevKey::kOther;
        stack_.push_back(Where::kDevice);
        break;
      case Where::kDims:
        if (dims_separator()) ev_.dims.push_back('{');
        stack_.push_back(Where::kDims);
        break;
      default: stack_.push_back(Where::kSkip); break;
    }
    return true;
  }

  bool EndObject(rapidjson::SizeType) {
    Where w = stack_.back();
    stack_.pop_back();
    if (w == Where::kEvent) finish_event();
    if (w == Where::kDevice) t_.devices.push_back(std::move(dev_));
    if (w == Where::kDims && !dims_dropped_) ev_.dims.push_back('}');
    return true;
  }

  bool StartArray() {
    if (stack_.empty()) {
      // The Chrome "JSON array format": the file is the event array itself.
      stack_.push_back(Where::kEvents);
      saw_events_ = true;
      return true;
    }
    switch (stack_.back()) {
      case Where::kTop:
        if (top_key_ == TopKey::kTraceEvents) {
          saw_events_ = true;
          stack_.push_back(Where::kEvents);
        } else if (top_key_ == TopKey::kDevices) {
          stack_.push_back(Where::kDevices);
        } else {
          stack_.push_back(Where::kSkip);
        }
        break;
      case Where::kArgs:
        if (arg_key_ == ArgKey::kGrid || arg_key_ == ArgKey::kBlock) {
          array_is_grid_ = arg_key_ == ArgKey::kGrid;
          array_index_ = 0;
          stack_.push_back(Where::kArgArray);
        } else if (arg_key_ == ArgKey::kInputDims) {
          ev_.dims.assign(1, '[');
          dims_dropped_ = false;
          stack_.push_back(Where::kDims);
        } else {
          stack_.push_back(Where::kSkip);
        }
        break;
      case Where::kEvents:
        element_not_object();
        stack_.push_back(Where::kSkip);
        break;
      case Where::kDims:
        if (dims_separator()) ev_.dims.push_back('[');
        stack_.push_back(Where::kDims);
        break;
      default: stack_.push_back(Where::kSkip); break;
    }
    return true;
  }

  bool EndArray(rapidjson::SizeType) {
    Where w = stack_.back();
    stack_.pop_back();
    if (w == Where::kDims) {
      if (!dims_dropped_) ev_.dims.push_back(']');
      if (stack_.back() == Where::kArgs && (dims_dropped_ || ev_.dims.size() > kMaxDimsText)) ev_.dims.clear();
    }
    return true;
  }

  bool saw_events() const { return saw_events_; }

 private:
  bool top_shape_error() {
    error = "the top level is not a JSON object with \"traceEvents\" (not a Chrome/Kineto trace)";
    return false;
  }
  bool scalar() {
    if (stack_.empty()) return top_shape_error();
    if (stack_.back() == Where::kEvents) element_not_object();
    if (stack_.back() == Where::kEvent && (ev_key_ == EvKey::kTs || ev_key_ == EvKey::kDur)) ev_.bad = true;
    return true;
  }
  // Compact JSON text of args["Input Dims"]: a comma before every element but the first of its array/object.
  // False once the text is dropped (too long, or invalid UTF-8): nothing more is appended, so memory stays
  // bounded whatever the input.
  bool dims_separator() {
    if (ev_.dims.size() > kMaxDimsText) dims_dropped_ = true;
    if (dims_dropped_) return false;
    char last = ev_.dims.empty() ? '[' : ev_.dims.back();
    if (last != '[' && last != '{' && last != ':') ev_.dims.push_back(',');
    return true;
  }
  bool dims_literal(const char* text) {
    if (!stack_.empty() && stack_.back() == Where::kDims && dims_separator()) ev_.dims.append(text);
    return true;
  }
  void dims_string(std::string_view text) {
    if (!valid_utf8(text)) dims_dropped_ = true;  // the shapes are dropped, the event is kept
    ev_.dims.push_back('"');
    for (char c : text) {
      auto u = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        ev_.dims.push_back('\\');
        ev_.dims.push_back(c);
      } else if (u < 0x20) {
        static constexpr char kHex[] = "0123456789abcdef";
        ev_.dims.append("\\u00");
        ev_.dims.push_back(kHex[u >> 4]);
        ev_.dims.push_back(kHex[u & 15]);
      } else {
        ev_.dims.push_back(c);
      }
    }
    ev_.dims.push_back('"');
  }
  void element_not_object() {
    ++t_.stats.events_seen;
    ++t_.stats.malformed;
  }
  void note_large(std::string_view text) {
    if (text.size() >= 19) {
      int64_t v = 0;
      if (parse_int64(text, v) == IntParse::kOutOfRange) large_in_event_ = true;
    }
  }
  bool int_of(std::string_view text, int64_t& v) {
    IntParse r = parse_int64(text, v);
    if (r == IntParse::kOutOfRange) large_in_event_ = true;
    return r == IntParse::kOk;
  }

  static TopKey top_key(std::string_view k) {
    if (k == "traceEvents") return TopKey::kTraceEvents;
    if (k == "displayTimeUnit") return TopKey::kDisplayTimeUnit;
    if (k == "baseTimeNanoseconds") return TopKey::kBaseTime;
    if (k == "deviceProperties" || k == "computeProperties") return TopKey::kDevices;
    if (k == "schemaVersion") return TopKey::kSchemaVersion;
    return TopKey::kOther;
  }
  static EvKey event_key(std::string_view k) {
    switch (k.size()) {
      case 2:
        if (k == "ph") return EvKey::kPh;
        if (k == "ts") return EvKey::kTs;
        if (k == "id") return EvKey::kId;
        break;
      case 3:
        if (k == "cat") return EvKey::kCat;
        if (k == "pid") return EvKey::kPid;
        if (k == "tid") return EvKey::kTid;
        if (k == "dur") return EvKey::kDur;
        break;
      case 4:
        if (k == "name") return EvKey::kName;
        if (k == "args") return EvKey::kArgs;
        break;
      default: break;
    }
    return EvKey::kOther;
  }
  static ArgKey arg_key(std::string_view k) {
    switch (k.size()) {
      case 4:
        if (k == "grid") return ArgKey::kGrid;
        if (k == "Addr") return ArgKey::kAddr;
        break;
      case 5:
        if (k == "block") return ArgKey::kBlock;
        if (k == "bytes" || k == "Bytes") return ArgKey::kBytes;
        break;
      case 6:
        if (k == "stream") return ArgKey::kStream;
        if (k == "device") return ArgKey::kDevice;
        break;
      case 9:
        if (k == "Device Id") return ArgKey::kDeviceId;
        break;
      case 10:
        if (k == "Input Dims") return ArgKey::kInputDims;
        break;
      case 11:
        if (k == "correlation") return ArgKey::kCorrelation;
        if (k == "External id" || k == "external id") return ArgKey::kExternalId;
        if (k == "Device Type") return ArgKey::kDeviceType;
        break;
      case 14:
        if (k == "Total Reserved") return ArgKey::kTotalReserved;
        break;
      case 15:
        if (k == "Total Allocated") return ArgKey::kTotalAlloc;
        break;
      case 20:
        if (k == "registers per thread") return ArgKey::kRegisters;
        break;
      case 25:
        if (k == "est. achieved occupancy %") return ArgKey::kOccupancy;
        break;
      default: break;
    }
    return ArgKey::kOther;
  }
  static DevKey dev_key(std::string_view k) {
    if (k == "id") return DevKey::kId;
    if (k == "name") return DevKey::kName;
    if (k == "numSms" || k == "multiProcessorCount") return DevKey::kNumSms;
    if (k == "totalGlobalMem") return DevKey::kTotalMem;
    if (k == "computeMajor" || k == "major") return DevKey::kMajor;
    if (k == "computeMinor" || k == "minor") return DevKey::kMinor;
    return DevKey::kOther;
  }

  void event_number(std::string_view text) {
    int64_t v = 0;
    switch (ev_key_) {
      case EvKey::kTs:
      case EvKey::kDur: {
        auto ns = parse_us_to_ns(text);
        if (!ns) {
          ev_.bad = true;
          return;
        }
        if (ev_key_ == EvKey::kTs) {
          ev_.ts = *ns;
          ev_.has_ts = true;
        } else {
          ev_.dur = *ns;
          ev_.has_dur = true;
        }
        return;
      }
      case EvKey::kPid:
        if (int_of(text, v)) ev_.pid = v;
        return;
      case EvKey::kTid:
        if (int_of(text, v)) ev_.tid = v;
        return;
      case EvKey::kId:
        if (int_of(text, v)) {
          ev_.id = v;
          ev_.has_id = true;
        }
        return;
      default: note_large(text); return;
    }
  }

  void arg_number(std::string_view text) {
    int64_t v = 0;
    switch (arg_key_) {
      case ArgKey::kOther: note_large(text); return;
      case ArgKey::kOccupancy:
        if (auto d = parse_double(text)) {
          ev_.gpu.occupancy_pct = static_cast<float>(*d);
          ev_.has_gpu_args = true;
        }
        return;
      default: break;
    }
    if (!int_of(text, v)) return;
    switch (arg_key_) {
      case ArgKey::kCorrelation: ev_.correlation = v; break;
      case ArgKey::kExternalId: ev_.external_id = v; break;
      case ArgKey::kStream: ev_.stream = v; break;
      case ArgKey::kDevice: ev_.device = v; break;
      case ArgKey::kRegisters:
        ev_.gpu.registers_per_thread = static_cast<int32_t>(v);
        ev_.has_gpu_args = true;
        break;
      case ArgKey::kBytes:
        ev_.bytes = v;
        ev_.gpu.bytes = v;
        ev_.has_gpu_args = true;
        break;
      case ArgKey::kTotalAlloc: ev_.total_alloc = v; break;
      case ArgKey::kTotalReserved: ev_.total_reserved = v; break;
      case ArgKey::kAddr: ev_.addr = v; break;
      case ArgKey::kDeviceType: ev_.device_type = v; break;
      case ArgKey::kDeviceId: ev_.device_id = v; break;
      default: break;
    }
  }

  void device_number(std::string_view text) {
    int64_t v = 0;
    if (!int_of(text, v)) return;
    switch (dev_key_) {
      case DevKey::kId: dev_.id = v; break;
      case DevKey::kNumSms: dev_.num_sms = v; break;
      case DevKey::kTotalMem: dev_.total_memory_bytes = v; break;
      case DevKey::kMajor: dev_.compute_major = v; break;
      case DevKey::kMinor: dev_.compute_minor = v; break;
      default: break;
    }
  }

  void finish_event() {
    ReadStats& st = t_.stats;
    ++st.events_seen;
    if (large_in_event_) {
      ++st.large_integers;
      large_in_event_ = false;
    }
    if (ev_.bad_utf8) {
      ++st.invalid_utf8;
      return;
    }
    switch (ev_.ph) {
      case 'X': {
        Cat cat{};
        if (!category_of(ev_.cat, cat)) {
          ++st.skipped_categories[ev_.cat.empty() ? std::string("(none)") : ev_.cat];
          return;
        }
        if (ev_.bad || !ev_.has_ts || !ev_.has_dur || ev_.dur < 0 || ev_.dur > kMaxDurNs || ev_.ts > kMaxTsNs ||
            ev_.ts < -kMaxTsNs) {
          ++st.malformed;
          return;
        }
        Event e;
        e.ts_ns = ev_.ts;
        e.dur_ns = ev_.dur;
        e.pid = ev_.pid;
        e.tid = ev_.tid;
        e.correlation = ev_.correlation;
        e.external_id = ev_.external_id;
        e.name = t_.strings.intern(ev_.name);
        if (!ev_.dims.empty()) e.input_dims = t_.strings.intern(ev_.dims);
        e.cat = cat;
        if (is_gpu_activity(cat)) {
          // 2021 traces may lack args.stream: the tid is the stream ("stream 7").
          e.stream = static_cast<int32_t>(ev_.stream >= 0 ? ev_.stream : ev_.tid);
          e.device = static_cast<int32_t>(ev_.device >= 0 ? ev_.device : ev_.pid);
          if (ev_.has_gpu_args) {
            e.gpu_args = static_cast<uint32_t>(t_.gpu_args.size());
            t_.gpu_args.push_back(ev_.gpu);
          }
        } else {
          e.stream = static_cast<int32_t>(ev_.stream);
          e.device = static_cast<int32_t>(ev_.device);
        }
        t_.events.push_back(e);
        ++st.events_kept;
        return;
      }
      case 'i':
      case 'I':
        if (ev_.name == "[memory]") {
          if (ev_.bad || !ev_.has_ts) {
            ++st.malformed;
            return;
          }
          MemoryEvent m;
          m.ts_ns = ev_.ts;
          m.pid = ev_.pid;
          m.tid = ev_.tid;
          m.bytes = ev_.bytes;
          m.total_allocated = ev_.total_alloc;
          m.total_reserved = ev_.total_reserved;
          m.addr = ev_.addr;
          m.device_type = static_cast<int32_t>(ev_.device_type);
          m.device_id = static_cast<int32_t>(ev_.device_id);
          t_.memory.push_back(m);
          ++st.events_kept;
        } else {
          ++st.other_phases;
        }
        return;
      case 's':
      case 'f':
        if (ev_.cat == "ac2g" && ev_.has_id && ev_.has_ts && !ev_.bad) {
          t_.flows.push_back(Flow{ev_.id, ev_.ts, ev_.pid, ev_.tid, ev_.ph});
          ++st.events_kept;
        } else {
          ++st.other_phases;
        }
        return;
      case 'M': ++st.metadata_events; return;
      case 0:
      case '?': ++st.malformed; return;
      default: ++st.other_phases; return;
    }
  }

  Trace& t_;
  std::vector<Where> stack_;
  TopKey top_key_ = TopKey::kOther;
  EvKey ev_key_ = EvKey::kOther;
  ArgKey arg_key_ = ArgKey::kOther;
  DevKey dev_key_ = DevKey::kOther;
  RawEvent ev_;
  DeviceInfo dev_;
  bool array_is_grid_ = false;
  int array_index_ = 0;
  bool large_in_event_ = false;
  bool saw_events_ = false;
  bool dims_dropped_ = false;  // the Input Dims text being built is too long or holds invalid UTF-8
};

Result<Trace> parse(InputStream& in, const std::string& label, Trace t) {
  t.gzip = in.gzip();
  Handler h(t);
  rapidjson::Reader reader;
  constexpr unsigned kFlags = rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseStopWhenDoneFlag;
  rapidjson::ParseResult pr = reader.Parse<kFlags>(in, h);
  if (!in.error().empty()) return input_error("cannot read trace " + label + ": " + in.error());
  if (!pr) {
    if (!h.error.empty()) return input_error("cannot read trace " + label + ": " + h.error);
    std::string what = rapidjson::GetParseError_En(pr.Code());
    if (pr.Code() == rapidjson::kParseErrorDocumentEmpty) {
      return input_error("cannot read trace " + label + ": the file is empty (no JSON)");
    }
    bool at_end = in.at_eof();
    return input_error("cannot read trace " + label + ": invalid JSON at byte " + std::to_string(pr.Offset()) +
                       (t.gzip ? " of the decompressed data" : "") + " (" + what + ")" +
                       (at_end ? "; the file looks truncated" : ""));
  }
  // Only whitespace may follow the document.
  while (in.Peek() == ' ' || in.Peek() == '\n' || in.Peek() == '\r' || in.Peek() == '\t') in.Take();
  if (!in.error().empty()) return input_error("cannot read trace " + label + ": " + in.error());
  if (in.Peek() != '\0') {
    return input_error("cannot read trace " + label + ": unexpected data after the JSON document at byte " +
                       std::to_string(in.Tell()));
  }
  if (!h.saw_events()) {
    return input_error("cannot read trace " + label + ": no \"traceEvents\" array (not a Chrome/Kineto trace)");
  }
  t.json_bytes = in.Tell();
  return t;
}

}  // namespace

Result<Trace> read_trace_file(const std::string& path) {
  auto in = InputStream::open_file(path);
  if (!in) return in.error();
  Trace t;
  t.path = path;
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (!ec) t.file_bytes = size;
  return parse(**in, path, std::move(t));
}

Result<Trace> read_trace_bytes(std::string_view bytes, const std::string& label) {
  auto in = InputStream::from_memory(bytes.data(), bytes.size());
  Trace t;
  t.path = label;
  t.file_bytes = bytes.size();
  return parse(*in, label, std::move(t));
}

}  // namespace infertune::trace
