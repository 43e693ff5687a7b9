// The plain-data pickle reader (see pickle.h). Opcode values and semantics after CPython's Lib/pickletools.py,
// PEP 307 (protocol 2), PEP 3154 (protocol 4) and PEP 574 (protocol 5); the code is this project's own.

#include "trace/pickle.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_map>

#include "base/strings.h"
#include "trace/input_stream.h"

namespace infertune::pickle {

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::kNone: return "None";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kBigInt: return "int (beyond 64 bits)";
    case Kind::kFloat: return "float";
    case Kind::kString: return "str";
    case Kind::kBytes: return "bytes";
    case Kind::kList: return "list";
    case Kind::kTuple: return "tuple";
    case Kind::kSet: return "set";
    case Kind::kDict: return "dict";
  }
  return "?";
}

// ---- Value -------------------------------------------------------------------------------------------------

Kind Value::kind() const { return valid() ? doc_->nodes_[id_].kind : Kind::kNone; }

bool Value::is_number() const {
  Kind k = kind();
  return valid() && (k == Kind::kInt || k == Kind::kBigInt || k == Kind::kFloat);
}

bool Value::is_sequence() const {
  Kind k = kind();
  return valid() && (k == Kind::kList || k == Kind::kTuple || k == Kind::kSet);
}

bool Value::as_bool() const {
  if (!valid()) return false;
  const auto& n = doc_->nodes_[id_];
  return (n.kind == Kind::kBool || n.kind == Kind::kInt) && n.i != 0;
}

int64_t Value::as_int() const {
  if (!valid()) return 0;
  const auto& n = doc_->nodes_[id_];
  return (n.kind == Kind::kInt || n.kind == Kind::kBool) ? n.i : 0;
}

double Value::as_double() const {
  if (!valid()) return 0;
  const auto& n = doc_->nodes_[id_];
  switch (n.kind) {
    case Kind::kInt:
    case Kind::kBool: return static_cast<double>(n.i);
    case Kind::kBigInt:
    case Kind::kFloat: return n.f;
    default: return 0;
  }
}

std::string_view Value::str() const {
  if (!valid()) return {};
  const auto& n = doc_->nodes_[id_];
  if (n.kind != Kind::kString && n.kind != Kind::kBytes) return {};
  return doc_->strings_[n.ref];
}

size_t Value::size() const {
  if (!valid()) return 0;
  const auto& n = doc_->nodes_[id_];
  if (n.kind == Kind::kList || n.kind == Kind::kTuple || n.kind == Kind::kSet) return doc_->seqs_[n.ref].size();
  if (n.kind == Kind::kDict) return doc_->dicts_[n.ref].size();
  return 0;
}

Value Value::at(size_t i) const {
  if (!is_sequence()) return {};
  const auto& s = doc_->seqs_[doc_->nodes_[id_].ref];
  return i < s.size() ? Value(doc_, s[i]) : Value();
}

// Entries are kept as SETITEM(S) added them; a key set twice keeps both, and the last one wins, as in Python.
Value Value::get(std::string_view key) const {
  if (!is_dict()) return {};
  const auto& d = doc_->dicts_[doc_->nodes_[id_].ref];
  for (auto it = d.rbegin(); it != d.rend(); ++it) {
    const auto& kn = doc_->nodes_[it->first];
    if (kn.kind == Kind::kString && doc_->strings_[kn.ref] == key) return Value(doc_, it->second);
  }
  return {};
}

Value Value::get(int64_t key) const {
  if (!is_dict()) return {};
  const auto& d = doc_->dicts_[doc_->nodes_[id_].ref];
  for (auto it = d.rbegin(); it != d.rend(); ++it) {
    const auto& kn = doc_->nodes_[it->first];
    if (kn.kind == Kind::kInt && kn.i == key) return Value(doc_, it->second);
  }
  return {};
}

Value Value::key_at(size_t i) const {
  if (!is_dict()) return {};
  const auto& d = doc_->dicts_[doc_->nodes_[id_].ref];
  return i < d.size() ? Value(doc_, d[i].first) : Value();
}

Value Value::value_at(size_t i) const {
  if (!is_dict()) return {};
  const auto& d = doc_->dicts_[doc_->nodes_[id_].ref];
  return i < d.size() ? Value(doc_, d[i].second) : Value();
}

// ---- helpers -----------------------------------------------------------------------------------------------

namespace {

// Opcode bytes (pickletools.py).
enum Op : uint8_t {
  MARK = '(',
  STOP = '.',
  POP = '0',
  POP_MARK = '1',
  DUP = '2',
  FLOAT = 'F',
  INT = 'I',
  BININT = 'J',
  BININT1 = 'K',
  LONG = 'L',
  BININT2 = 'M',
  NONE = 'N',
  PERSID = 'P',
  BINPERSID = 'Q',
  REDUCE = 'R',
  STRING = 'S',
  BINSTRING = 'T',
  SHORT_BINSTRING = 'U',
  UNICODE = 'V',
  BINUNICODE = 'X',
  APPEND = 'a',
  BUILD = 'b',
  GLOBAL = 'c',
  DICT = 'd',
  EMPTY_DICT = '}',
  APPENDS = 'e',
  GET = 'g',
  BINGET = 'h',
  INST = 'i',
  LONG_BINGET = 'j',
  LIST = 'l',
  EMPTY_LIST = ']',
  OBJ = 'o',
  PUT = 'p',
  BINPUT = 'q',
  LONG_BINPUT = 'r',
  SETITEM = 's',
  TUPLE = 't',
  EMPTY_TUPLE = ')',
  SETITEMS = 'u',
  BINFLOAT = 'G',
  BINBYTES = 'B',
  SHORT_BINBYTES = 'C',
  PROTO = 0x80,
  NEWOBJ = 0x81,
  EXT1 = 0x82,
  EXT2 = 0x83,
  EXT4 = 0x84,
  TUPLE1 = 0x85,
  TUPLE2 = 0x86,
  TUPLE3 = 0x87,
  NEWTRUE = 0x88,
  NEWFALSE = 0x89,
  LONG1 = 0x8a,
  LONG4 = 0x8b,
  SHORT_BINUNICODE = 0x8c,
  BINUNICODE8 = 0x8d,
  BINBYTES8 = 0x8e,
  EMPTY_SET = 0x8f,
  ADDITEMS = 0x90,
  FROZENSET = 0x91,
  NEWOBJ_EX = 0x92,
  STACK_GLOBAL = 0x93,
  MEMOIZE = 0x94,
  FRAME = 0x95,
  BYTEARRAY8 = 0x96,
  NEXT_BUFFER = 0x97,
  READONLY_BUFFER = 0x98,
};

// Opcodes that would import, call or build objects, or reach out of the data stream: always refused.
const char* refused_name(uint8_t op) {
  switch (op) {
    case GLOBAL: return "GLOBAL";
    case STACK_GLOBAL: return "STACK_GLOBAL";
    case REDUCE: return "REDUCE";
    case BUILD: return "BUILD";
    case INST: return "INST";
    case OBJ: return "OBJ";
    case NEWOBJ: return "NEWOBJ";
    case NEWOBJ_EX: return "NEWOBJ_EX";
    case PERSID: return "PERSID";
    case BINPERSID: return "BINPERSID";
    case EXT1: return "EXT1";
    case EXT2: return "EXT2";
    case EXT4: return "EXT4";
    case NEXT_BUFFER: return "NEXT_BUFFER";
    case READONLY_BUFFER: return "READONLY_BUFFER";
    default: return nullptr;
  }
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Length of the valid UTF-8 sequence at s[i], or 0 (overlong forms, surrogates and > U+10FFFF are invalid).
size_t utf8_seq(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  size_t n = 0;
  uint32_t cp = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    auto d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (d & 0x3F);
  }
  if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
    return 0;
  }
  return n;
}

// Valid UTF-8 as is; otherwise each invalid byte becomes U+FFFD. Returns whether anything was replaced.
bool sanitize_utf8(std::string_view in, std::string& out) {
  bool bad = false;
  out.clear();
  out.reserve(in.size());
  for (size_t i = 0; i < in.size();) {
    size_t n = utf8_seq(in, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      bad = true;
      ++i;
    } else {
      out.append(in.substr(i, n));
      i += n;
    }
  }
  return bad;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

struct ParseError {
  std::string message;
};

}  // namespace

// ---- the parser --------------------------------------------------------------------------------------------

class Parser {
 public:
  Parser(std::string_view in, const Limits& lim) : in_(in), lim_(lim) {}

  Result<Document> run() {
    try {
      loop();
    } catch (const ParseError& e) {
      return input_error(e.message);
    } catch (const std::bad_alloc&) {
      return input_error(fmt::format("out of memory reading the pickle at byte {}", op_at_));
    }
    doc_.stats_.nodes = doc_.nodes_.size();
    doc_.stats_.memo_entries = memo_.size();
    return std::move(doc_);
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw ParseError{fmt::format("{} at byte {}", what, op_at_)};
  }

  // ---- input
  const char* need(uint64_t n, const char* op) {
    if (n > in_.size() - pos_) {
      fail(fmt::format("truncated pickle: {} needs {} more bytes, {} left", op, n, in_.size() - pos_));
    }
    const char* p = in_.data() + pos_;
    pos_ += static_cast<size_t>(n);
    return p;
  }
  uint64_t le(const char* p, size_t n) {
    uint64_t v = 0;
    for (size_t k = 0; k < n; ++k) v |= static_cast<uint64_t>(static_cast<unsigned char>(p[k])) << (8 * k);
    return v;
  }
  uint64_t read_le(size_t n, const char* op) { return le(need(n, op), n); }
  std::string_view line(const char* op) {
    size_t nl = in_.find('\n', pos_);
    if (nl == std::string_view::npos) fail(fmt::format("truncated pickle: {} has no end of line", op));
    std::string_view s = in_.substr(pos_, nl - pos_);
    pos_ = nl + 1;
    return s;
  }
  // A declared length must fit in what is left of the input (this bounds every allocation by the file size).
  size_t length(uint64_t n, const char* op) {
    if (n > in_.size() - pos_) {
      fail(fmt::format("truncated pickle: {} declares {} bytes, {} left", op, n, in_.size() - pos_));
    }
    return static_cast<size_t>(n);
  }

  // ---- nodes
  uint32_t node(Kind k) {
    if (doc_.nodes_.size() >= std::numeric_limits<uint32_t>::max() - 1) fail("too many values");
    Document::Node n;
    n.kind = k;
    doc_.nodes_.push_back(n);
    return static_cast<uint32_t>(doc_.nodes_.size() - 1);
  }
  uint32_t int_node(int64_t v) {
    uint32_t id = node(Kind::kInt);
    doc_.nodes_[id].i = v;
    return id;
  }
  uint32_t float_node(Kind k, double v) {
    uint32_t id = node(k);
    doc_.nodes_[id].f = v;
    return id;
  }
  uint32_t bool_node(bool v) {
    uint32_t& cached = v ? true_ : false_;
    if (cached == kNoNode) {
      cached = node(Kind::kBool);
      doc_.nodes_[cached].i = v ? 1 : 0;
    }
    return cached;
  }
  uint32_t none_node() {
    if (none_ == kNoNode) none_ = node(Kind::kNone);
    return none_;
  }
  uint32_t text_node(std::string_view raw) {  // UTF-8 from the file
    std::string s;
    if (sanitize_utf8(raw, s)) ++doc_.stats_.invalid_utf8;
    return string_node(Kind::kString, std::move(s));
  }
  uint32_t string_node(Kind k, std::string s) {
    uint32_t id = node(k);
    doc_.nodes_[id].ref = static_cast<uint32_t>(doc_.strings_.size());
    doc_.strings_.push_back(std::move(s));
    return id;
  }
  uint32_t seq_node(Kind k, std::vector<uint32_t> items) {
    uint32_t id = node(k);
    doc_.nodes_[id].ref = static_cast<uint32_t>(doc_.seqs_.size());
    doc_.seqs_.push_back(std::move(items));
    return id;
  }
  uint32_t dict_node() {
    uint32_t id = node(Kind::kDict);
    doc_.nodes_[id].ref = static_cast<uint32_t>(doc_.dicts_.size());
    doc_.dicts_.emplace_back();
    return id;
  }

  // ---- stack (a flat stack; marks_ holds the stack size at each MARK, as Python's metastack)
  size_t frame_base() const { return marks_.empty() ? 0 : marks_.back(); }
  void push(uint32_t v) {
    if (stack_.size() >= lim_.max_stack) fail(fmt::format("pickle nests deeper than {} values", lim_.max_stack));
    stack_.push_back(v);
  }
  uint32_t pop(const char* op) {
    if (stack_.size() <= frame_base()) fail(fmt::format("stack underflow: {} on an empty stack", op));
    uint32_t v = stack_.back();
    stack_.pop_back();
    return v;
  }
  uint32_t top(const char* op) const {
    if (stack_.size() <= frame_base()) fail(fmt::format("stack underflow: {} on an empty stack", op));
    return stack_.back();
  }
  // Items pushed since the last MARK, which is removed.
  std::vector<uint32_t> pop_mark(const char* op) {
    if (marks_.empty()) fail(fmt::format("{} without a MARK", op));
    size_t base = marks_.back();
    marks_.pop_back();
    std::vector<uint32_t> items(stack_.begin() + static_cast<std::ptrdiff_t>(base), stack_.end());
    stack_.resize(base);
    return items;
  }
  Document::Node& expect(uint32_t id, Kind k, const char* op) {
    Document::Node& n = doc_.nodes_[id];
    if (n.kind != k) fail(fmt::format("{} applied to a {}, not a {}", op, kind_name(n.kind), kind_name(k)));
    return n;
  }
  void check_key(uint32_t key, const char* op) {
    Kind k = doc_.nodes_[key].kind;
    if (k == Kind::kList || k == Kind::kDict || k == Kind::kSet) {
      fail(fmt::format("{}: a {} cannot be a dict key (unhashable)", op, kind_name(k)));
    }
  }
  void set_items(uint32_t dict, const std::vector<uint32_t>& kv, size_t from, const char* op) {
    if ((kv.size() - from) % 2 != 0) fail(fmt::format("{} with an odd number of items", op));
    auto& d = doc_.dicts_[expect(dict, Kind::kDict, op).ref];
    for (size_t i = from; i + 1 < kv.size(); i += 2) {
      check_key(kv[i], op);
      d.emplace_back(kv[i], kv[i + 1]);
    }
  }

  // ---- memo
  void memo_put(uint64_t idx, const char* op) { memo_[idx] = top(op); }
  void memo_get(uint64_t idx) {
    auto it = memo_.find(idx);
    if (it == memo_.end()) fail(fmt::format("memo index {} is not defined", idx));
    push(it->second);
  }
  uint64_t decimal_index(std::string_view s, const char* op) {
    auto v = str::parse_u64(s);
    if (!v) fail(fmt::format("{} argument '{}' is not a memo index", op, std::string(s.substr(0, 20))));
    return *v;
  }

  // ---- numbers
  // n bytes, little-endian two's complement (LONG1/LONG4).
  uint32_t long_node(const char* p, size_t n) {
    if (n == 0) return int_node(0);
    bool neg = (static_cast<unsigned char>(p[n - 1]) & 0x80) != 0;
    // The bytes above the low 8 may only repeat the sign for the value to fit in int64.
    bool fits = true;
    for (size_t k = 8; k < n; ++k) {
      if (static_cast<unsigned char>(p[k]) != (neg ? 0xFF : 0x00)) fits = false;
    }
    if (n > 8 && fits && ((static_cast<unsigned char>(p[7]) & 0x80) != 0) != neg) fits = false;
    if (fits) {
      size_t m = n < 8 ? n : 8;
      uint64_t v = le(p, m);
      if (m < 8 && neg) v |= ~uint64_t{0} << (8 * m);
      return int_node(static_cast<int64_t>(v));
    }
    double d = 0;
    for (size_t k = n; k-- > 0;) {
      auto b = static_cast<unsigned char>(p[k]);
      d = d * 256.0 + static_cast<double>(neg ? static_cast<unsigned char>(~b) : b);
    }
    return float_node(Kind::kBigInt, neg ? -(d + 1) : d);
  }
  uint32_t decimal_node(std::string_view s, const char* op) {
    if (!s.empty() && s.back() == 'L') s.remove_suffix(1);  // protocol-0 LONG: "123L"
    if (auto v = str::parse_i64(s)) return int_node(*v);
    bool digits = !s.empty();
    for (size_t k = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0; k < s.size(); ++k) {
      if (s[k] < '0' || s[k] > '9') digits = false;
    }
    if (!digits || s.size() > 10000) fail(fmt::format("{} argument is not an integer", op));
    auto d = str::parse_double(s);
    return float_node(Kind::kBigInt, d ? *d : 0.0);
  }

  // ---- protocol-0 text strings
  // STRING: a quoted Python 2 repr with backslash escapes. Read as text (Python 3's default, encoding ASCII).
  uint32_t quoted_string(std::string_view s) {
    if (s.size() < 2 || (s[0] != '\'' && s[0] != '"') || s.back() != s[0]) {
      fail("STRING argument is not a quoted string");
    }
    s = s.substr(1, s.size() - 2);
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
      char c = s[i];
      if (c != '\\' || i + 1 == s.size()) {
        append_utf8(out, static_cast<unsigned char>(c));
        continue;
      }
      char e = s[++i];
      switch (e) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'a': out += '\a'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'v': out += '\v'; break;
        case '\n': break;
        case 'x': {
          int h = i + 2 < s.size() ? hex_digit(s[i + 1]) : -1;
          int l = i + 2 < s.size() ? hex_digit(s[i + 2]) : -1;
          if (h < 0 || l < 0) fail("STRING has a bad \\x escape");
          append_utf8(out, static_cast<uint32_t>(h * 16 + l));
          i += 2;
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            uint32_t v = static_cast<uint32_t>(e - '0');
            for (int k = 0; k < 2 && i + 1 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '7'; ++k) {
              v = v * 8 + static_cast<uint32_t>(s[++i] - '0');
            }
            append_utf8(out, v & 0xFF);
          } else {
            out += '\\';
            append_utf8(out, static_cast<unsigned char>(e));
          }
      }
    }
    return string_node(Kind::kString, std::move(out));
  }
  // UNICODE: raw-unicode-escape: bytes are Latin-1 code points except \uXXXX and \UXXXXXXXX.
  uint32_t raw_unicode(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == 'u' || s[i + 1] == 'U')) {
        size_t n = s[i + 1] == 'u' ? 4 : 8;
        if (i + 2 + n > s.size()) fail("UNICODE has a truncated \\u escape");
        uint32_t cp = 0;
        for (size_t k = 0; k < n; ++k) {
          int h = hex_digit(s[i + 2 + k]);
          if (h < 0) fail("UNICODE has a bad \\u escape");
          cp = cp * 16 + static_cast<uint32_t>(h);
        }
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
          cp = 0xFFFD;
          ++doc_.stats_.invalid_utf8;
        }
        append_utf8(out, cp);
        i += 1 + n;
      } else {
        append_utf8(out, static_cast<unsigned char>(s[i]));
      }
    }
    return string_node(Kind::kString, std::move(out));
  }

  void loop() {
    for (;;) {
      if (pos_ >= in_.size()) {
        op_at_ = pos_;
        fail(pos_ == 0 ? std::string("empty pickle") : std::string("truncated pickle: no STOP opcode"));
      }
      op_at_ = pos_;
      auto op = static_cast<uint8_t>(in_[pos_++]);
      if (const char* name = refused_name(op)) {
        fail(fmt::format("opcode {} (0x{:02x}) is not plain data; refusing to load objects", name, op));
      }
      switch (op) {
        case PROTO: {
          auto v = static_cast<int>(read_le(1, "PROTO"));
          if (v > 5) fail(fmt::format("unsupported pickle protocol {}", v));
          doc_.stats_.protocol = v;
          break;
        }
        case FRAME: length(read_le(8, "FRAME"), "FRAME"); break;  // a framing hint only
        case STOP: doc_.root_ = pop("STOP"); return;
        case MARK:
          if (marks_.size() >= lim_.max_marks) fail(fmt::format("more than {} nested MARKs", lim_.max_marks));
          marks_.push_back(stack_.size());
          break;
        case POP:
          if (stack_.size() > frame_base()) {
            stack_.pop_back();
          } else if (!marks_.empty()) {
            pop_mark("POP");
          } else {
            fail("stack underflow: POP on an empty stack");
          }
          break;
        case POP_MARK: pop_mark("POP_MARK"); break;
        case DUP: push(top("DUP")); break;

        case NONE: push(none_node()); break;
        case NEWTRUE: push(bool_node(true)); break;
        case NEWFALSE: push(bool_node(false)); break;
        case BININT: push(int_node(static_cast<int32_t>(static_cast<uint32_t>(read_le(4, "BININT"))))); break;
        case BININT1: push(int_node(static_cast<int64_t>(read_le(1, "BININT1")))); break;
        case BININT2: push(int_node(static_cast<int64_t>(read_le(2, "BININT2")))); break;
        case LONG1: {
          size_t n = length(read_le(1, "LONG1"), "LONG1");
          push(long_node(need(n, "LONG1"), n));
          break;
        }
        case LONG4: {
          auto n32 = static_cast<int32_t>(static_cast<uint32_t>(read_le(4, "LONG4")));
          if (n32 < 0) fail("LONG4 with a negative length");
          size_t n = length(static_cast<uint64_t>(n32), "LONG4");
          push(long_node(need(n, "LONG4"), n));
          break;
        }
        case INT: {
          std::string_view s = line("INT");
          if (s == "01") {
            push(bool_node(true));
          } else if (s == "00") {
            push(bool_node(false));
          } else {
            push(decimal_node(s, "INT"));
          }
          break;
        }
        case LONG: push(decimal_node(line("LONG"), "LONG")); break;
        case FLOAT: {
          auto d = str::parse_double(line("FLOAT"));
          if (!d) fail("FLOAT argument is not a number");
          push(float_node(Kind::kFloat, *d));
          break;
        }
        case BINFLOAT: {
          const char* p = need(8, "BINFLOAT");
          uint64_t bits = 0;
          for (int k = 0; k < 8; ++k) bits = (bits << 8) | static_cast<unsigned char>(p[k]);  // big-endian
          double d = 0;
          std::memcpy(&d, &bits, sizeof d);
          push(float_node(Kind::kFloat, d));
          break;
        }

        case SHORT_BINUNICODE:
        case BINUNICODE:
        case BINUNICODE8: {
          const char* name = op == SHORT_BINUNICODE ? "SHORT_BINUNICODE"
                             : op == BINUNICODE     ? "BINUNICODE"
                                                    : "BINUNICODE8";
          size_t w = op == SHORT_BINUNICODE ? 1 : op == BINUNICODE ? 4 : 8;
          size_t n = length(read_le(w, name), name);
          push(text_node(std::string_view(need(n, name), n)));
          break;
        }
        case SHORT_BINBYTES:
        case BINBYTES:
        case BINBYTES8:
        case BYTEARRAY8: {
          const char* name = op == SHORT_BINBYTES ? "SHORT_BINBYTES"
                             : op == BINBYTES     ? "BINBYTES"
                             : op == BINBYTES8    ? "BINBYTES8"
                                                  : "BYTEARRAY8";
          size_t w = op == SHORT_BINBYTES ? 1 : op == BINBYTES ? 4 : 8;
          size_t n = length(read_le(w, name), name);
          push(string_node(Kind::kBytes, std::string(need(n, name), n)));
          break;
        }
        case SHORT_BINSTRING:
        case BINSTRING: {
          const char* name = op == SHORT_BINSTRING ? "SHORT_BINSTRING" : "BINSTRING";
          uint64_t n64 = 0;
          if (op == SHORT_BINSTRING) {
            n64 = read_le(1, name);
          } else {
            auto n32 = static_cast<int32_t>(static_cast<uint32_t>(read_le(4, name)));
            if (n32 < 0) fail("BINSTRING with a negative length");
            n64 = static_cast<uint64_t>(n32);
          }
          size_t n = length(n64, name);
          std::string_view raw(need(n, name), n);
          std::string s;  // Python 2 str, read as Latin-1 text
          for (char c : raw) append_utf8(s, static_cast<unsigned char>(c));
          push(string_node(Kind::kString, std::move(s)));
          break;
        }
        case STRING: push(quoted_string(line("STRING"))); break;
        case UNICODE: push(raw_unicode(line("UNICODE"))); break;

        case EMPTY_LIST: push(seq_node(Kind::kList, {})); break;
        case EMPTY_TUPLE: push(seq_node(Kind::kTuple, {})); break;
        case EMPTY_SET: push(seq_node(Kind::kSet, {})); break;
        case EMPTY_DICT: push(dict_node()); break;
        case LIST: push(seq_node(Kind::kList, pop_mark("LIST"))); break;
        case TUPLE: push(seq_node(Kind::kTuple, pop_mark("TUPLE"))); break;
        case FROZENSET: push(seq_node(Kind::kSet, pop_mark("FROZENSET"))); break;
        case TUPLE1:
        case TUPLE2:
        case TUPLE3: {
          size_t n = op - TUPLE1 + 1;
          if (stack_.size() - frame_base() < n) fail(fmt::format("stack underflow: TUPLE{} needs {} items", n, n));
          std::vector<uint32_t> items(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
          stack_.resize(stack_.size() - n);
          push(seq_node(Kind::kTuple, std::move(items)));
          break;
        }
        case DICT: {
          std::vector<uint32_t> kv = pop_mark("DICT");
          uint32_t d = dict_node();
          set_items(d, kv, 0, "DICT");
          push(d);
          break;
        }
        case APPEND: {
          uint32_t v = pop("APPEND");
          uint32_t list = top("APPEND");
          doc_.seqs_[expect(list, Kind::kList, "APPEND").ref].push_back(v);
          break;
        }
        case APPENDS:
        case ADDITEMS: {
          const char* name = op == APPENDS ? "APPENDS" : "ADDITEMS";
          std::vector<uint32_t> items = pop_mark(name);
          uint32_t target = top(name);
          auto& seq = doc_.seqs_[expect(target, op == APPENDS ? Kind::kList : Kind::kSet, name).ref];
          seq.insert(seq.end(), items.begin(), items.end());
          break;
        }
        case SETITEM: {
          uint32_t v = pop("SETITEM");
          uint32_t k = pop("SETITEM");
          set_items(top("SETITEM"), {k, v}, 0, "SETITEM");
          break;
        }
        case SETITEMS: {
          std::vector<uint32_t> kv = pop_mark("SETITEMS");
          set_items(top("SETITEMS"), kv, 0, "SETITEMS");
          break;
        }

        case MEMOIZE: memo_put(memo_.size(), "MEMOIZE"); break;
        case PUT: memo_put(decimal_index(line("PUT"), "PUT"), "PUT"); break;
        case BINPUT: memo_put(read_le(1, "BINPUT"), "BINPUT"); break;
        case LONG_BINPUT: memo_put(read_le(4, "LONG_BINPUT"), "LONG_BINPUT"); break;
        case GET: memo_get(decimal_index(line("GET"), "GET")); break;
        case BINGET: memo_get(read_le(1, "BINGET")); break;
        case LONG_BINGET: memo_get(read_le(4, "LONG_BINGET")); break;

        default: fail(fmt::format("unknown opcode 0x{:02x}; not a pickle, or a corrupt one", op));
      }
    }
  }

  static constexpr uint32_t kNoNode = std::numeric_limits<uint32_t>::max();
  std::string_view in_;
  Limits lim_;
  size_t pos_ = 0;
  size_t op_at_ = 0;
  Document doc_;
  std::vector<uint32_t> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, uint32_t> memo_;
  uint32_t none_ = kNoNode, true_ = kNoNode, false_ = kNoNode;
};

Result<Document> parse(std::string_view bytes, const Limits& limits) { return Parser(bytes, limits).run(); }

Result<std::string> maybe_gunzip(std::string bytes, size_t max_out) {
  if (bytes.size() < 2 || static_cast<unsigned char>(bytes[0]) != 0x1f ||
      static_cast<unsigned char>(bytes[1]) != 0x8b) {
    return bytes;
  }
  // The trace reader's stream decodes gzip (concatenated members, truncation, trailing bytes) chunk by chunk.
  auto in = trace::InputStream::from_memory(bytes.data(), bytes.size());
  std::string out;
  char* keep = in->window_begin();
  for (;;) {
    size_t n = static_cast<size_t>(in->window_end() - keep);
    if (out.size() + n > max_out) return input_error(fmt::format("gzip data inflates to more than {} bytes", max_out));
    out.append(keep, n);
    keep = in->window_end();
    char* pos = keep;
    if (!in->more(keep, pos)) break;
  }
  if (!in->error().empty()) return input_error(in->error());
  return out;
}

}  // namespace infertune::pickle
