#pragma once
// A streaming JSON scanner specialised for the trace reader: it walks the decoded bytes of an InputStream window
// by window and calls a SAX handler (StartObject/EndObject/StartArray/EndArray/Key/String/RawNumber/Bool/Null),
// the interface RapidJSON's reader uses, with string views instead of pointer + length. Numbers are passed as
// their text (the reader parses times exactly). Whitespace, strings and number text are scanned 16 bytes at a
// time with SSE2 (part of every x86-64 CPU; other targets use the plain loop). A token that straddles two
// windows is kept contiguous by InputStream::more(); memory stays bounded by the longest token.
//
// The handler may take over whole objects: when its WantsObject() says so at a '{', the scanner calls
// ParseObject(scanner), which reads the object with the scanner's primitives (ws, peek, string, number, value);
// the trace reader does that for each event, where a generic SAX walk would cost a callback per token.
//
// It accepts exactly RFC 8259 JSON with two leniencies the reader wants: strings are not checked for valid
// UTF-8 (the reader checks the strings it keeps), and \u escapes of lone surrogates become their 3-byte
// (invalid UTF-8) form instead of an error, so the one event holding them is counted and skipped.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "trace/input_stream.h"

namespace infertune::trace {

enum class JsonStatus { kOk, kEmpty, kHandlerStopped, kSyntax };

template <class Handler>
class JsonScanner {
 public:
  using Status = JsonStatus;
  static constexpr size_t kMaxDepth = 4096;

  JsonScanner(InputStream& in, Handler& h) : in_(in), h_(h), p_(in.window_begin()) { stack_.reserve(64); }

  // Parses one JSON value, then checks that only whitespace follows it.
  Status parse() {
    if (!ws()) return Status::kEmpty;
    Status s = value(h_);
    if (s != Status::kOk) return s;
    if (ws()) {
      trailing_data_ = true;
      return fail("unexpected data after the JSON document");
    }
    return Status::kOk;
  }

  const std::string& error() const { return error_; }
  uint64_t error_offset() const { return error_offset_; }
  // The syntax error was only that more data was expected: the input ends early.
  bool truncated() const { return truncated_; }
  bool trailing_data() const { return trailing_data_; }
  // Bytes of the document and what followed it (all of the decoded data after a successful parse).
  uint64_t offset() const { return in_.offset_of(p_); }

  // ---- primitives for a handler's ParseObject ----
  char peek() const { return *p_; }
  void advance() { ++p_; }
  bool at_end() { return p_ == end(); }

  // Fast path for arrays that hold only (nested arrays of) integers, such as "Input Dims": at the '[', copies
  // the array without its whitespace into `out` (replacing it) and moves past it. False, with nothing consumed,
  // when anything else appears (fractions, strings, literals, objects, a syntax error), when the array is not
  // complete in the current window, or when `out` would exceed `max` bytes: then read it with value().
  bool compact_int_array(std::string& out, size_t max) {
    out.clear();
    const char* q = p_;
    int depth = 0;
    enum { kValueOrClose, kValue, kCommaOrClose } want = kValue;
    for (;;) {
      char c = *q;
      if (is_ws(c)) {
        ++q;
        continue;
      }
      if (c == '[' && want != kCommaOrClose) {
        ++depth;
        out.push_back(c);
        want = kValueOrClose;
        ++q;
      } else if (c == ']' && want != kValue) {
        out.push_back(c);
        ++q;
        if (--depth == 0) break;
        want = kCommaOrClose;
      } else if (c == ',' && want == kCommaOrClose) {
        out.push_back(c);
        want = kValue;
        ++q;
      } else if (want != kCommaOrClose && (c == '-' || digit(c))) {
        const char* start = q;
        if (c == '-') ++q;
        if (*q == '0') {
          ++q;
        } else if (digit(*q)) {
          while (digit(*++q)) {
          }
        } else {
          return false;
        }
        if (number_char(*q)) return false;  // a fraction, an exponent, or bad
        out.append(start, q);
        want = kCommaOrClose;
      } else {
        return false;  // anything else, or the window end (the sentinel)
      }
      if (out.size() > max) return false;
    }
    p_ = const_cast<char*>(q);
    return true;
  }

 private:
  char* end() { return in_.window_end(); }

  // Appends the next chunk keeping [keep, end); p_ and `keep` follow the moved bytes.
  bool more(char*& keep) { return in_.more(keep, p_); }
  bool more() {
    char* keep = p_;
    return in_.more(keep, p_);
  }

 public:
  Status fail(const char* what) {
    if (error_.empty()) {
      error_ = what;
      error_offset_ = in_.offset_of(p_);
      truncated_ = at_end();
    }
    return Status::kSyntax;
  }

  static bool is_ws(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

  // Skips whitespace; false when the data ends first.
  bool ws() {
    // Most calls find a token at once, or after the one space that follows ':' and ','.
    if (static_cast<unsigned char>(*p_) > 0x20) return true;
    if (*p_ == ' ' && static_cast<unsigned char>(p_[1]) > 0x20) {
      ++p_;
      return true;
    }
    for (;;) {
#if defined(__SSE2__)
      // Runs of spaces and newlines (indentation) 16 bytes at a time; '\r' and '\t' one by one.
      for (;;) {
        __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p_));
        __m128i w = _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(' ')), _mm_cmpeq_epi8(x, _mm_set1_epi8('\n')));
        unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(w)) ^ 0xFFFFu;
        if (mask == 0) {
          p_ += 16;  // the window has padding after its sentinel, and the sentinel stops the scan
          continue;
        }
        p_ += __builtin_ctz(mask);
        if (*p_ != '\r' && *p_ != '\t') break;
        ++p_;
      }
#else
      while (is_ws(*p_)) ++p_;
#endif
      if (!at_end()) return true;
      if (!more()) return false;
    }
  }

  // Scans from `q` to the first '"', '\\' or control byte (the sentinel '\0' is one).
  static char* scan_string(char* q) {
#if defined(__SSE2__)
    for (;;) {
      __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
      __m128i hit =
          _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')), _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))),
                       _mm_cmpeq_epi8(_mm_max_epu8(x, _mm_set1_epi8(0x1F)), _mm_set1_epi8(0x1F)));
      auto mask = static_cast<unsigned>(_mm_movemask_epi8(hit));
      if (mask != 0) return q + __builtin_ctz(mask);
      q += 16;
    }
#else
    for (;;) {
      auto c = static_cast<unsigned char>(*q);
      if (c == '"' || c == '\\' || c < 0x20) return q;
      ++q;
    }
#endif
  }

  // At the opening quote. On success `out` views the (unescaped) text and p_ is past the closing quote; the view
  // is valid until the next scan step (a refill moves the window).
  Status string(std::string_view& out) {
    char* start = p_;  // the quote: kept across refills
    char* q = p_ + 1;
    for (;;) {
      q = scan_string(q);
      if (*q == '"') {
        out = std::string_view(start + 1, static_cast<size_t>(q - start - 1));
        p_ = q + 1;
        return Status::kOk;
      }
      if (*q == '\\') return escaped_string(start, q, out);
      if (q == end()) {
        size_t off = static_cast<size_t>(q - start);
        p_ = q;
        if (!more(start)) return fail("missing the closing quote of a string");
        q = start + off;
        continue;
      }
      p_ = q;
      return fail("invalid character in a string (control characters must be escaped)");
    }
  }

  Status stopped() {
    error_offset_ = in_.offset_of(p_);
    return Status::kHandlerStopped;
  }

 private:
  // Next byte of a string being unescaped (refilling at the window end); '\0' + at_end() when the data ends.
  char next_byte() {
    if (at_end() && !more()) return '\0';
    return *p_++;
  }

  static void append_utf8(std::string& s, uint32_t cp) {
    if (cp < 0x80) {
      s.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      s.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      s.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      s.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      s.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  static bool hex_value(const char* h, uint32_t& v) {
    v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = h[i];
      uint32_t d = 0;
      if (c >= '0' && c <= '9') {
        d = static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        d = static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        d = static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return false;
      }
      v = (v << 4) | d;
    }
    return true;
  }

  bool hex4(uint32_t& v) {
    v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = next_byte();
      uint32_t d = 0;
      if (c >= '0' && c <= '9') {
        d = static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        d = static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        d = static_cast<uint32_t>(c - 'A' + 10);
      } else {
        if (!at_end()) --p_;
        return false;
      }
      v = (v << 4) | d;
    }
    return true;
  }

  // The slow path: the string holds escapes. Its text is built in scratch_.
  Status escaped_string(char* start, char* q, std::string_view& out) {
    scratch_.assign(start + 1, q);
    p_ = q;
    for (;;) {
      char* run = p_;
      char* stop = scan_string(p_);
      scratch_.append(run, stop);
      p_ = stop;
      char c = *p_;
      if (c == '"') {
        ++p_;
        out = scratch_;
        return Status::kOk;
      }
      if (c == '\0' && at_end()) {
        if (!more()) return fail("missing the closing quote of a string");
        continue;
      }
      if (c != '\\') return fail("invalid character in a string (control characters must be escaped)");
      ++p_;
      char e = next_byte();
      switch (e) {
        case '"': scratch_.push_back('"'); break;
        case '\\': scratch_.push_back('\\'); break;
        case '/': scratch_.push_back('/'); break;
        case 'b': scratch_.push_back('\b'); break;
        case 'f': scratch_.push_back('\f'); break;
        case 'n': scratch_.push_back('\n'); break;
        case 'r': scratch_.push_back('\r'); break;
        case 't': scratch_.push_back('\t'); break;
        case 'u': {
          uint32_t cp = 0;
          if (!hex4(cp)) return fail("invalid \\u escape in a string");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            // A high surrogate followed by a low one is one code point; otherwise it stays a lone surrogate.
            while (end() - p_ < 6 && more()) {
            }
            uint32_t lo = 0;
            if (end() - p_ >= 6 && p_[0] == '\\' && p_[1] == 'u' && hex_value(p_ + 2, lo) && lo >= 0xDC00 &&
                lo <= 0xDFFF) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
              p_ += 6;
            }
          }
          append_utf8(scratch_, cp);
          break;
        }
        default:
          if (e != '\0' || !at_end()) --p_;
          return fail("invalid escape in a string");
      }
    }
  }

 public:
  static bool number_char(char c) {
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
  }

  static bool digit(char c) { return static_cast<unsigned>(c - '0') <= 9; }

  // End of the number starting at q (RFC 8259: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?), or nullptr when it is
  // not a valid number. The sentinel stops every loop; a number that reaches it may continue in the next chunk (the
  // caller refills and rescans).
  static char* number_end(char* q) {
    if (*q == '-') ++q;
    if (*q == '0') {
      ++q;
    } else if (digit(*q)) {
      while (digit(*++q)) {
      }
    } else {
      return nullptr;
    }
    if (*q == '.') {
      if (!digit(*++q)) return nullptr;
      while (digit(*++q)) {
      }
    }
    if (*q == 'e' || *q == 'E') {
      ++q;
      if (*q == '+' || *q == '-') ++q;
      if (!digit(*q)) return nullptr;
      while (digit(*++q)) {
      }
    }
    return q;
  }

  Status number(std::string_view& out) {
    char* start = p_;
    bool last_chunk = false;
    for (;;) {
      char* q = number_end(start);
      char* stop = q;
      if (q == nullptr) {  // where the number characters stop: invalid, or cut by the window end?
        stop = start;
        while (number_char(*stop)) ++stop;
      }
      if (stop == end() && !last_chunk) {
        // The number may go on in the next chunk (rare): refill and rescan it from its start.
        p_ = stop;
        last_chunk = !more(start);
        continue;
      }
      if (q == nullptr || number_char(*q)) {
        p_ = start;
        return fail("invalid number");
      }
      out = std::string_view(start, static_cast<size_t>(q - start));
      p_ = q;
      return Status::kOk;
    }
  }

  Status literal(std::string_view word) {
    for (char w : word) {
      if (at_end() && !more()) return fail("invalid value");
      if (*p_ != w) return fail("invalid value");
      ++p_;
    }
    return Status::kOk;
  }

  // One value (p_ at its first byte) with everything nested in it, reported to `h`. An explicit stack, so deep
  // nesting cannot overflow the call stack; nested calls (from a ParseObject) share it, so the depth limit holds
  // for the whole document.
  template <class H>
  Status value(H& h) {
    std::string_view text;
    Status s = Status::kOk;
    const size_t base = stack_.size();
  value:
    switch (*p_) {
      case '{':
        if (h.WantsObject()) {
          if ((s = h.ParseObject(*this)) != Status::kOk) return s;
          goto after_value;
        }
        ++p_;
        if (!h.StartObject()) return stopped();
        if (!ws()) return fail("missing a key or '}' in an object");
        if (*p_ == '}') {
          ++p_;
          if (!h.EndObject(0)) return stopped();
          goto after_value;
        }
        if (stack_.size() >= kMaxDepth) return fail("nesting deeper than 4096 levels");
        stack_.push_back('{');
        goto key;
      case '[':
        ++p_;
        if (!h.StartArray()) return stopped();
        if (!ws()) return fail("missing a value or ']' in an array");
        if (*p_ == ']') {
          ++p_;
          if (!h.EndArray(0)) return stopped();
          goto after_value;
        }
        if (stack_.size() >= kMaxDepth) return fail("nesting deeper than 4096 levels");
        stack_.push_back('[');
        goto value;
      case '"':
        if ((s = string(text)) != Status::kOk) return s;
        if (!h.String(text)) return stopped();
        goto after_value;
      case 't':
        if ((s = literal("true")) != Status::kOk) return s;
        if (!h.Bool(true)) return stopped();
        goto after_value;
      case 'f':
        if ((s = literal("false")) != Status::kOk) return s;
        if (!h.Bool(false)) return stopped();
        goto after_value;
      case 'n':
        if ((s = literal("null")) != Status::kOk) return s;
        if (!h.Null()) return stopped();
        goto after_value;
      default:
        if (*p_ == '-' || (*p_ >= '0' && *p_ <= '9')) {
          if ((s = number(text)) != Status::kOk) return s;
          if (!h.RawNumber(text)) return stopped();
          goto after_value;
        }
        return fail(at_end() ? "the data ends where a value was expected" : "invalid value");
    }
  key:
    if (*p_ != '"') return fail("missing a key (a string) in an object");
    if ((s = string(text)) != Status::kOk) return s;
    if (!h.Key(text)) return stopped();
    if (!ws() || *p_ != ':') return fail("missing ':' after a key in an object");
    ++p_;
    if (!ws()) return fail("the data ends where a value was expected");
    goto value;
  after_value:
    if (stack_.size() == base) return Status::kOk;
    if (!ws()) return fail(stack_.back() == '{' ? "missing ',' or '}' in an object" : "missing ',' or ']' in an array");
    if (stack_.back() == '{') {
      if (*p_ == ',') {
        ++p_;
        if (!ws()) return fail("missing a key in an object");
        goto key;
      }
      if (*p_ == '}') {
        ++p_;
        stack_.pop_back();
        if (!h.EndObject(0)) return stopped();
        goto after_value;
      }
      return fail("missing ',' or '}' in an object");
    }
    if (*p_ == ',') {
      ++p_;
      if (!ws()) return fail("the data ends where a value was expected");
      goto value;
    }
    if (*p_ == ']') {
      ++p_;
      stack_.pop_back();
      if (!h.EndArray(0)) return stopped();
      goto after_value;
    }
    return fail("missing ',' or ']' in an array");
  }

 private:
  InputStream& in_;
  Handler& h_;
  char* p_;
  std::vector<char> stack_;
  std::string scratch_;
  std::string error_;
  uint64_t error_offset_ = 0;
  bool truncated_ = false;
  bool trailing_data_ = false;
};

}  // namespace infertune::trace
