#include "trace/reader.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <new>
#include <type_traits>

#include "trace/input_stream.h"
#include "trace/numbers.h"
#include "trace/reader_json.h"

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

void advise_huge_pages(const void* p, size_t bytes) {
#if defined(MADV_HUGEPAGE)
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  if (p == nullptr || bytes < kHuge) return;
  uintptr_t start = (reinterpret_cast<uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
  uintptr_t end = (reinterpret_cast<uintptr_t>(p) + bytes) & ~(kHuge - 1);
  if (end > start) madvise(reinterpret_cast<void*>(start), end - start, MADV_HUGEPAGE);  // advice only
#else
  (void)p;
  (void)bytes;
#endif
}

namespace {

// k == lit with the length known at compile time, so the comparison is a few inlined loads (key matching runs
// for every key of every event).
template <size_t N>
inline bool eq(std::string_view k, const char (&lit)[N]) {
  return k.size() == N - 1 && std::memcmp(k.data(), lit, N - 1) == 0;
}

template <class T>
bool fits(int64_t v) {
  return v >= std::numeric_limits<T>::min() && v <= std::numeric_limits<T>::max();
}

// `v` in the narrower field type; `absent` (and `narrowed` set) when it does not fit.
template <class T>
T narrow(int64_t v, T absent, bool& narrowed) {
  if (fits<T>(v)) return static_cast<T>(v);
  narrowed = true;
  return absent;
}

bool valid_utf8(std::string_view s) {
  size_t i = 0, n = s.size();
  // Names are nearly always ASCII: skip 8 bytes at a time while no byte has its high bit set.
  for (; i + 8 <= n; i += 8) {
    uint64_t w = 0;
    std::memcpy(&w, s.data() + i, 8);
    if (w & 0x8080808080808080u) break;
  }
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
  Cat r{};
  if (eq(c, "cpu_op")) {
    r = Cat::kCpuOp;
  } else if (eq(c, "python_function")) {
    r = Cat::kPythonFunction;
  } else if (eq(c, "cuda_runtime")) {
    r = Cat::kCudaRuntime;
  } else if (eq(c, "kernel")) {
    r = Cat::kKernel;
  } else if (eq(c, "user_annotation")) {
    r = Cat::kUserAnnotation;
  } else if (eq(c, "cuda_driver")) {
    r = Cat::kCudaDriver;
  } else if (eq(c, "gpu_memcpy")) {
    r = Cat::kGpuMemcpy;
  } else if (eq(c, "gpu_memset")) {
    r = Cat::kGpuMemset;
  } else if (eq(c, "gpu_user_annotation")) {
    r = Cat::kGpuUserAnnotation;
  } else if (eq(c, "Operator")) {  // 2021 schema
    r = Cat::kCpuOp;
  } else if (eq(c, "Runtime")) {
    r = Cat::kCudaRuntime;
  } else if (eq(c, "Kernel")) {
    r = Cat::kKernel;
  } else if (eq(c, "Memcpy")) {
    r = Cat::kGpuMemcpy;
  } else if (eq(c, "Memset")) {
    r = Cat::kGpuMemset;
  } else {
    return false;
  }
  out = r;
  return true;
}

// "stream 7" -> 7 (2021 string tids); other strings, and numbers beyond int32, get a stable negative id.
int64_t id_from_string(std::string_view s, StringTable& strings) {
  size_t end = s.size();
  while (end > 0 && s[end - 1] == ' ') --end;
  size_t start = end;
  while (start > 0 && s[start - 1] >= '0' && s[start - 1] <= '9') --start;
  if (start < end && end - start < 18) {
    int64_t v = 0;
    if (parse_int64(s.substr(start, end - start), v) == IntParse::kOk && fits<int32_t>(v)) return v;
  }
  return -1 - static_cast<int64_t>(strings.intern(s));
}

// Bounds that keep every end time and every sum of durations the analyses form inside int64: real traces stay
// far below them (timestamps since the epoch are ~1.8e18 ns; events last seconds, not weeks).
constexpr int64_t kMaxTsNs = int64_t{1} << 62;   // ~146 years
constexpr int64_t kMaxDurNs = int64_t{1} << 50;  // ~13 days

// Where the SAX walk is; each element of traceEvents is read by Handler::ParseObject, not through it.
enum class Where : uint8_t { kTop, kEvents, kDevices, kDevice, kSkip };

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

// A reusable text buffer for the event's name and category: assigning is a length check and a memcpy (these
// run for every event; std::string::assign's general path costs several times that).
class TextBuf {
 public:
  void assign(std::string_view t) {
    if (t.size() > cap_) grow(t.size());
    if (!t.empty()) std::memcpy(buf_.get(), t.data(), t.size());
    len_ = t.size();
  }
  void clear() { len_ = 0; }
  bool empty() const { return len_ == 0; }
  operator std::string_view() const { return {buf_.get(), len_}; }  // NOLINT(google-explicit-constructor)

 private:
  void grow(size_t n) {
    cap_ = std::max(n, 2 * cap_);
    buf_ = std::make_unique<char[]>(cap_);
  }
  std::unique_ptr<char[]> buf_;
  size_t cap_ = 0, len_ = 0;
};

struct RawEvent {
  char ph = 0;
  bool has_ts = false, has_dur = false, bad = false, bad_utf8 = false, has_id = false;
  TextBuf cat, name;
  int64_t pid = 0, tid = 0, ts = 0, dur = 0, id = 0;
  int64_t correlation = -1, external_id = -1, stream = -1, device = -1;
  struct {  // GpuArgs before its fields are narrowed
    int64_t grid[3] = {0, 0, 0};
    int64_t block[3] = {0, 0, 0};
    int64_t registers_per_thread = -1;
    float occupancy_pct = -1;
    int64_t bytes = -1;
  } gpu;
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
    gpu = decltype(gpu){};
    has_gpu_args = false;
    bytes = 0;
    total_alloc = total_reserved = addr = device_type = device_id = -1;
  }
};

class Handler {
 public:
  explicit Handler(Trace& t) : t_(t), skip_{this} { stack_.reserve(64); }

  std::string error;  // set when the handler stops the parse (wrong shape)

  // ---- SAX callbacks: the top level, deviceProperties, and traceEvents elements that are not objects ----
  bool Null() { return scalar(); }
  bool Bool(bool) { return scalar(); }

  bool RawNumber(std::string_view text) {
    if (stack_.empty()) return top_shape_error();
    switch (stack_.back()) {
      case Where::kTop: {
        int64_t v = 0;
        if (top_key_ == TopKey::kBaseTime && int_of(text, v)) t_.base_time_ns = v;
        if (top_key_ == TopKey::kSchemaVersion && int_of(text, v)) t_.schema_version = v;
        break;
      }
      case Where::kDevice: device_number(text); break;
      case Where::kEvents: element_not_object(); break;
      default: note_large(text); break;
    }
    return true;
  }

  bool String(std::string_view text) {
    if (stack_.empty()) return top_shape_error();
    switch (stack_.back()) {
      case Where::kTop:
        if (top_key_ == TopKey::kDisplayTimeUnit) t_.display_time_unit.assign(text);
        break;
      case Where::kDevice:
        if (dev_key_ == DevKey::kName) dev_.name.assign(text);
        break;
      case Where::kEvents: element_not_object(); break;
      default: break;
    }
    return true;
  }

  bool Key(std::string_view k) {
    switch (stack_.back()) {
      case Where::kTop: top_key_ = top_key(k); break;
      case Where::kDevice: dev_key_ = dev_key(k); break;
      default: break;
    }
    return true;
  }

  // Each element of traceEvents that is an object is read by ParseObject.
  bool WantsObject() const { return !stack_.empty() && stack_.back() == Where::kEvents; }

  bool StartObject() {
    if (stack_.empty()) {
      stack_.push_back(Where::kTop);
      return true;
    }
    switch (stack_.back()) {
      case Where::kDevices:
        dev_ = DeviceInfo{};
        dev_key_ = DevKey::kOther;
        stack_.push_back(Where::kDevice);
        break;
      default: stack_.push_back(Where::kSkip); break;
    }
    return true;
  }

  bool EndObject(int) {
    Where w = stack_.back();
    stack_.pop_back();
    if (w == Where::kDevice) t_.devices.push_back(std::move(dev_));
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
      case Where::kEvents:
        element_not_object();
        stack_.push_back(Where::kSkip);
        break;
      default: stack_.push_back(Where::kSkip); break;
    }
    return true;
  }

  bool EndArray(int) {
    stack_.pop_back();
    return true;
  }

  // ---- one event object, read directly (the scanner is at its '{') ----
  // What each value does, by key: ph/cat/name/pid/tid/ts/dur/id/args as described at RawEvent; ts or dur given
  // as a string or literal make the event malformed; every other value, and the nested parts of values not
  // used, are only checked for integers beyond int64 (counted).
  template <class L>
  JsonStatus ParseObject(L& lx) {
    ev_.reset();
    large_in_event_ = false;
    lx.advance();
    JsonStatus s = JsonStatus::kOk;
    std::string_view key, text;
    JsonNumber num;
    if (!lx.ws()) return lx.fail("missing a key or '}' in an object");
    if (lx.peek() != '}') {
      for (;;) {
        if (lx.peek() != '"') return lx.fail("missing a key (a string) in an object");
        if ((s = lx.string(key)) != JsonStatus::kOk) return s;
        EvKey k = event_key(key);  // before the next scan step: a refill may move the key's bytes
        if (!lx.ws() || lx.peek() != ':') return lx.fail("missing ':' after a key in an object");
        lx.advance();
        if (!lx.ws()) return lx.fail("the data ends where a value was expected");
        char c = lx.peek();
        if (c == '"') {
          if ((s = lx.string(text)) != JsonStatus::kOk) return s;
          event_string(k, text);
        } else if (c == '-' || (c >= '0' && c <= '9')) {
          if ((s = k == EvKey::kOther ? lx.number(text) : lx.number(text, num)) != JsonStatus::kOk) return s;
          event_number(k, text, num);
        } else if (c == '{' && k == EvKey::kArgs) {
          if ((s = parse_args(lx)) != JsonStatus::kOk) return s;
        } else {
          if ((s = lx.value(skip_)) != JsonStatus::kOk) return s;
          if (c != '{' && c != '[' && (k == EvKey::kTs || k == EvKey::kDur)) ev_.bad = true;  // a literal
        }
        if (!lx.ws()) return lx.fail("missing ',' or '}' in an object");
        c = lx.peek();
        if (c == ',') {
          lx.advance();
          if (!lx.ws()) return lx.fail("missing a key in an object");
          continue;
        }
        if (c == '}') break;
        return lx.fail("missing ',' or '}' in an object");
      }
    }
    lx.advance();  // the '}'
    return finish_event() ? JsonStatus::kOk : lx.stopped();
  }

  bool saw_events() const { return saw_events_; }

  // Moves the tables read into the Trace, giving back their unused tails.
  void finish() {
    events_.shrink_to_fit();
    gpu_args_.shrink_to_fit();
    memory_.shrink_to_fit();
    flows_.shrink_to_fit();
    t_.events = std::move(events_);
    t_.gpu_args = std::move(gpu_args_);
    t_.memory = std::move(memory_);
    t_.flows = std::move(flows_);
  }

 private:
  bool top_shape_error() {
    error = "the top level is not a JSON object with \"traceEvents\" (not a Chrome/Kineto trace)";
    return false;
  }
  bool scalar() {
    if (stack_.empty()) return top_shape_error();
    if (stack_.back() == Where::kEvents) element_not_object();
    return true;
  }

  // SAX handlers for the parts of an event read through the generic walk.
  // Values not used: only integers beyond int64 are noted.
  struct Skip {
    Handler* h;
    bool WantsObject() const { return false; }
    template <class L>
    JsonStatus ParseObject(L&) {
      return JsonStatus::kOk;
    }
    bool Null() { return true; }
    bool Bool(bool) { return true; }
    bool RawNumber(std::string_view text) {
      h->note_large(text);
      return true;
    }
    bool String(std::string_view) { return true; }
    bool Key(std::string_view) { return true; }
    bool StartObject() { return true; }
    bool EndObject(int) { return true; }
    bool StartArray() { return true; }
    bool EndArray(int) { return true; }
  };
  // args.grid / args.block: the first three integers of the array; nested values are not used.
  struct Dim3 : Skip {
    int64_t* dst;
    int depth = 0;
    int index = 0;
    bool RawNumber(std::string_view text) {
      if (depth != 1) {
        this->h->note_large(text);
        return true;
      }
      int64_t v = 0;
      if (index < 3 && this->h->int_of(text, v)) {
        dst[index] = v;
        this->h->ev_.has_gpu_args = true;
      }
      ++index;
      return true;
    }
    bool StartObject() {
      ++depth;
      return true;
    }
    bool EndObject(int) {
      --depth;
      return true;
    }
    bool StartArray() {
      ++depth;
      return true;
    }
    bool EndArray(int) {
      --depth;
      return true;
    }
  };
  // args["Input Dims"] copied as compact JSON text.
  struct Dims : Skip {
    bool Null() { return this->h->dims_literal("null"); }
    bool Bool(bool b) { return this->h->dims_literal(b ? "true" : "false"); }
    bool RawNumber(std::string_view text) {
      if (this->h->dims_separator()) this->h->ev_.dims.append(text);
      return true;
    }
    bool String(std::string_view text) {
      if (this->h->dims_separator()) this->h->dims_string(text);
      return true;
    }
    bool Key(std::string_view k) {
      if (this->h->dims_separator()) {
        this->h->dims_string(k);
        this->h->ev_.dims.push_back(':');
      }
      return true;
    }
    bool StartObject() { return open('{'); }
    bool EndObject(int) { return close('}'); }
    bool StartArray() { return open('['); }
    bool EndArray(int) { return close(']'); }
    bool open(char c) {
      if (this->h->dims_separator()) this->h->ev_.dims.push_back(c);
      return true;
    }
    bool close(char c) {
      if (!this->h->dims_dropped_) this->h->ev_.dims.push_back(c);
      return true;
    }
  };

  void event_string(EvKey k, std::string_view text) {
    switch (k) {
      case EvKey::kPh: ev_.ph = text.size() == 1 ? text[0] : '?'; break;
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
  }

  // The args object of an event (the scanner at its '{').
  template <class L>
  JsonStatus parse_args(L& lx) {
    lx.advance();
    JsonStatus s = JsonStatus::kOk;
    std::string_view key, text;
    JsonNumber num;
    if (!lx.ws()) return lx.fail("missing a key or '}' in an object");
    if (lx.peek() == '}') {
      lx.advance();
      return JsonStatus::kOk;
    }
    for (;;) {
      if (lx.peek() != '"') return lx.fail("missing a key (a string) in an object");
      if ((s = lx.string(key)) != JsonStatus::kOk) return s;
      ArgKey k = arg_key(key);
      if (!lx.ws() || lx.peek() != ':') return lx.fail("missing ':' after a key in an object");
      lx.advance();
      if (!lx.ws()) return lx.fail("the data ends where a value was expected");
      char c = lx.peek();
      if (c == '"') {
        if ((s = lx.string(text)) != JsonStatus::kOk) return s;
        // ROCm writes the stream as a hex string ("0x0").
        if (k == ArgKey::kStream && text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
          ev_.stream = static_cast<int64_t>(std::strtoull(std::string(text.substr(2)).c_str(), nullptr, 16));
        }
      } else if (c == '-' || (c >= '0' && c <= '9')) {
        // The value is taken while scanning only for the keys that use it.
        if ((s = k == ArgKey::kOther ? lx.number(text) : lx.number(text, num)) != JsonStatus::kOk) return s;
        arg_number(k, text, num);
      } else if (c == '[' && (k == ArgKey::kGrid || k == ArgKey::kBlock)) {
        Dim3 d{{this}, k == ArgKey::kGrid ? ev_.gpu.grid : ev_.gpu.block};
        if ((s = lx.value(d)) != JsonStatus::kOk) return s;
      } else if (c == '[' && k == ArgKey::kInputDims) {
        if (!lx.compact_int_array(ev_.dims, kMaxDimsText)) {  // the common case, else the general walk
          ev_.dims.clear();
          dims_dropped_ = false;
          Dims d{{this}};
          if ((s = lx.value(d)) != JsonStatus::kOk) return s;
          if (dims_dropped_ || ev_.dims.size() > kMaxDimsText) ev_.dims.clear();
        }
      } else {
        if ((s = lx.value(skip_)) != JsonStatus::kOk) return s;
      }
      if (!lx.ws()) return lx.fail("missing ',' or '}' in an object");
      c = lx.peek();
      if (c == ',') {
        lx.advance();
        if (!lx.ws()) return lx.fail("missing a key in an object");
        continue;
      }
      if (c == '}') {
        lx.advance();
        return JsonStatus::kOk;
      }
      return lx.fail("missing ',' or '}' in an object");
    }
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
    if (dims_separator()) ev_.dims.append(text);
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
  // The same, with the value the scanner already took when the number was simple.
  bool int_of(std::string_view text, const JsonNumber& num, int64_t& v) {
    return num.as_int(v) || (!num.simple && int_of(text, v));
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
        if (eq(k, "ph")) return EvKey::kPh;
        if (eq(k, "ts")) return EvKey::kTs;
        if (eq(k, "id")) return EvKey::kId;
        break;
      case 3:
        if (eq(k, "cat")) return EvKey::kCat;
        if (eq(k, "pid")) return EvKey::kPid;
        if (eq(k, "tid")) return EvKey::kTid;
        if (eq(k, "dur")) return EvKey::kDur;
        break;
      case 4:
        if (eq(k, "name")) return EvKey::kName;
        if (eq(k, "args")) return EvKey::kArgs;
        break;
      default: break;
    }
    return EvKey::kOther;
  }
  static ArgKey arg_key(std::string_view k) {
    switch (k.size()) {
      case 4:
        if (eq(k, "grid")) return ArgKey::kGrid;
        if (eq(k, "Addr")) return ArgKey::kAddr;
        break;
      case 5:
        if (eq(k, "block")) return ArgKey::kBlock;
        if (eq(k, "bytes") || eq(k, "Bytes")) return ArgKey::kBytes;
        break;
      case 6:
        if (eq(k, "stream")) return ArgKey::kStream;
        if (eq(k, "device")) return ArgKey::kDevice;
        break;
      case 9:
        if (eq(k, "Device Id")) return ArgKey::kDeviceId;
        break;
      case 10:
        if (eq(k, "Input Dims")) return ArgKey::kInputDims;
        break;
      case 11:
        if (eq(k, "correlation")) return ArgKey::kCorrelation;
        if (eq(k, "External id") || eq(k, "external id")) return ArgKey::kExternalId;
        if (eq(k, "Device Type")) return ArgKey::kDeviceType;
        break;
      case 14:
        if (eq(k, "Total Reserved")) return ArgKey::kTotalReserved;
        break;
      case 15:
        if (eq(k, "Total Allocated")) return ArgKey::kTotalAlloc;
        break;
      case 20:
        if (eq(k, "registers per thread")) return ArgKey::kRegisters;
        break;
      case 25:
        if (eq(k, "est. achieved occupancy %")) return ArgKey::kOccupancy;
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

  void event_number(EvKey k, std::string_view text, const JsonNumber& num) {
    int64_t v = 0;
    switch (k) {
      case EvKey::kTs:
      case EvKey::kDur: {
        if (!num.us_to_ns(v)) {
          auto ns = parse_us_to_ns(text);
          if (!ns) {
            ev_.bad = true;
            return;
          }
          v = *ns;
        }
        if (k == EvKey::kTs) {
          ev_.ts = v;
          ev_.has_ts = true;
        } else {
          ev_.dur = v;
          ev_.has_dur = true;
        }
        return;
      }
      case EvKey::kPid:
        if (int_of(text, num, v)) ev_.pid = fits<int32_t>(v) ? v : id_from_string(text, t_.strings);
        return;
      case EvKey::kTid:
        if (int_of(text, num, v)) ev_.tid = fits<int32_t>(v) ? v : id_from_string(text, t_.strings);
        return;
      case EvKey::kId:
        if (int_of(text, num, v)) {
          ev_.id = v;
          ev_.has_id = true;
        }
        return;
      default: note_large(text); return;
    }
  }

  void arg_number(ArgKey k, std::string_view text, const JsonNumber& num) {
    int64_t v = 0;
    switch (k) {
      case ArgKey::kOther: note_large(text); return;
      case ArgKey::kOccupancy:
        if (auto d = parse_double(text)) {
          ev_.gpu.occupancy_pct = static_cast<float>(*d);
          ev_.has_gpu_args = true;
        }
        return;
      default: break;
    }
    if (!int_of(text, num, v)) return;
    switch (k) {
      case ArgKey::kCorrelation: ev_.correlation = v; break;
      case ArgKey::kExternalId: ev_.external_id = v; break;
      case ArgKey::kStream: ev_.stream = v; break;
      case ArgKey::kDevice: ev_.device = v; break;
      case ArgKey::kRegisters:
        ev_.gpu.registers_per_thread = v;
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

  bool finish_event() {
    ReadStats& st = t_.stats;
    ++st.events_seen;
    if (large_in_event_) {
      ++st.large_integers;
      large_in_event_ = false;
    }
    if (ev_.bad_utf8) {
      ++st.invalid_utf8;
      return true;
    }
    switch (ev_.ph) {
      case 'X': {
        Cat cat{};
        if (!category_of(ev_.cat, cat)) {
          ++st.skipped_categories[ev_.cat.empty() ? std::string("(none)") : std::string(std::string_view(ev_.cat))];
          return true;
        }
        if (ev_.bad || !ev_.has_ts || !ev_.has_dur || ev_.dur < 0 || ev_.dur > kMaxDurNs || ev_.ts > kMaxTsNs ||
            ev_.ts < -kMaxTsNs) {
          ++st.malformed;
          return true;
        }
        bool narrowed = false;  // a value did not fit its field
        Event e;
        e.ts_ns = ev_.ts;
        e.dur_ns = ev_.dur;
        e.pid = static_cast<int32_t>(ev_.pid);  // made to fit when read
        e.tid = static_cast<int32_t>(ev_.tid);
        e.correlation = narrow<int32_t>(ev_.correlation, -1, narrowed);
        e.external_id = narrow<int32_t>(ev_.external_id, -1, narrowed);
        e.name = t_.strings.intern(ev_.name);
        if (!ev_.dims.empty()) e.input_dims = t_.strings.intern(ev_.dims);
        e.cat = cat;
        if (is_gpu_activity(cat)) {
          // 2021 traces may lack args.stream: the tid is the stream ("stream 7").
          e.stream = narrow<int16_t>(ev_.stream >= 0 ? ev_.stream : ev_.tid, -1, narrowed);
          e.device = narrow<int8_t>(ev_.device >= 0 ? ev_.device : ev_.pid, -1, narrowed);
          if (ev_.has_gpu_args) {
            GpuArgs g;
            for (int k = 0; k < 3; ++k) {
              g.grid[k] = narrow<int32_t>(ev_.gpu.grid[k], 0, narrowed);
              g.block[k] = narrow<int16_t>(ev_.gpu.block[k], 0, narrowed);
            }
            g.registers_per_thread = narrow<int16_t>(ev_.gpu.registers_per_thread, -1, narrowed);
            g.occupancy_pct = ev_.gpu.occupancy_pct;
            g.bytes = ev_.gpu.bytes;
            e.gpu_args = static_cast<uint32_t>(gpu_args_.size());
            gpu_args_.push_back(g);
          }
        } else {
          // Host events: the stream and device args are not used (Triton ops carry a stream pointer here).
          bool unused = false;
          e.stream = narrow<int16_t>(ev_.stream, -1, unused);
          e.device = narrow<int8_t>(ev_.device, -1, unused);
        }
        if (narrowed) ++st.out_of_range;
        if (events_.size() >= kNoIndex - 1) {
          error = "more than 4 billion events: not supported";
          return false;
        }
        events_.push_back(e);
        ++st.events_kept;
        return true;
      }
      case 'i':
      case 'I':
        if (eq(ev_.name, "[memory]")) {
          if (ev_.bad || !ev_.has_ts) {
            ++st.malformed;
            return true;
          }
          bool narrowed = false;
          MemoryEvent m;
          m.ts_ns = ev_.ts;
          m.pid = static_cast<int32_t>(ev_.pid);
          m.tid = static_cast<int32_t>(ev_.tid);
          m.bytes = ev_.bytes;
          m.total_allocated = ev_.total_alloc;
          m.total_reserved = ev_.total_reserved;
          m.addr = ev_.addr;
          m.device_type = narrow<int8_t>(ev_.device_type, -1, narrowed);
          m.device_id = narrow<int8_t>(ev_.device_id, -1, narrowed);
          if (narrowed) ++st.out_of_range;
          memory_.push_back(m);
          ++st.events_kept;
        } else {
          ++st.other_phases;
        }
        return true;
      case 's':
      case 'f':
        if (eq(ev_.cat, "ac2g") && ev_.has_id && ev_.has_ts && !ev_.bad) {
          if (!fits<int32_t>(ev_.id)) {
            ++st.out_of_range;
            ++st.other_phases;
            return true;
          }
          flows_.push_back(Flow{ev_.ts, static_cast<int32_t>(ev_.id), static_cast<int32_t>(ev_.pid),
                                static_cast<int32_t>(ev_.tid), ev_.ph});
          ++st.events_kept;
        } else {
          ++st.other_phases;
        }
        return true;
      case 'M': ++st.metadata_events; return true;
      case 0:
      case '?': ++st.malformed; return true;
      default: ++st.other_phases; return true;
    }
  }

  Trace& t_;
  Skip skip_;
  PodTable<Event> events_;
  PodTable<GpuArgs> gpu_args_;
  PodTable<MemoryEvent> memory_;
  PodTable<Flow> flows_;
  std::vector<Where> stack_;
  TopKey top_key_ = TopKey::kOther;
  DevKey dev_key_ = DevKey::kOther;
  RawEvent ev_;
  DeviceInfo dev_;
  bool large_in_event_ = false;
  bool saw_events_ = false;
  bool dims_dropped_ = false;  // the Input Dims text being built is too long or holds invalid UTF-8
};

Result<Trace> parse(InputStream& in, const std::string& label, Trace t) {
  t.gzip = in.gzip();
  Handler h(t);
  JsonScanner<Handler> scanner(in, h);
  auto status = scanner.parse();
  if (!in.error().empty()) return input_error("cannot read trace " + label + ": " + in.error());
  switch (status) {
    case JsonScanner<Handler>::Status::kOk: break;
    case JsonScanner<Handler>::Status::kEmpty:
      return input_error("cannot read trace " + label + ": the file is empty (no JSON)");
    case JsonScanner<Handler>::Status::kHandlerStopped:
      return input_error("cannot read trace " + label + ": " + h.error);
    case JsonScanner<Handler>::Status::kSyntax:
      if (scanner.trailing_data()) {
        return input_error("cannot read trace " + label + ": unexpected data after the JSON document at byte " +
                           std::to_string(scanner.error_offset()));
      }
      return input_error("cannot read trace " + label + ": invalid JSON at byte " +
                         std::to_string(scanner.error_offset()) + (t.gzip ? " of the decompressed data" : "") + " (" +
                         scanner.error() + ")" + (scanner.truncated() ? "; the file looks truncated" : ""));
  }
  if (!h.saw_events()) {
    return input_error("cannot read trace " + label + ": no \"traceEvents\" array (not a Chrome/Kineto trace)");
  }
  h.finish();
  t.json_bytes = scanner.offset();
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
