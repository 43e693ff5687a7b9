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

// The value of a JSON number, taken while its text is scanned so that the common forms need no second pass:
// simple = [-]digits with at most 18 integer digits (always inside int64) and at most 3 fractional digits, no
// exponent. Every other number has simple = false, and its text is parsed instead.
struct JsonNumber {
  int64_t whole = 0;        // the integer digits (without the sign)
  int32_t thousandths = 0;  // the fractional digits in thousandths (".5" -> 500)
  bool neg = false;
  bool fraction = false;
  bool simple = false;

  // The integer, when the number is a simple one without a fraction.
  bool as_int(int64_t& v) const {
    if (!simple || fraction) return false;
    v = neg ? -whole : whole;
    return true;
  }
  // Microseconds to integer nanoseconds, exactly, when simple with at most 15 integer digits.
  bool us_to_ns(int64_t& v) const {
    if (!simple || whole >= 1'000'000'000'000'000) return false;
    int64_t ns = whole * 1000 + thousandths;
    v = neg ? -ns : ns;
    return true;
  }
};

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
    // First validate and measure (no writes), then copy the bytes that are not whitespace.
    const char* q = p_;
    size_t n = 0;
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
        want = kValueOrClose;
        ++q;
        ++n;
      } else if (c == ']' && want != kValue) {
        ++q;
        ++n;
        if (--depth == 0) break;
        want = kCommaOrClose;
      } else if (c == ',' && want == kCommaOrClose) {
        want = kValue;
        ++q;
        ++n;
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
        n += static_cast<size_t>(q - start);
        want = kCommaOrClose;
      } else {
        return false;  // anything else, or the window end (the sentinel)
      }
      if (n > max) return false;
    }
    out.resize(n);
    char* w = out.data();
    for (const char* r = p_; r != q; ++r) {
      if (!is_ws(*r)) *w++ = *r;
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
#if defined(__SSE2__)
    // Most strings (keys, categories, short names) end within 15 bytes without an escape: one load decides that
    // here, inline; everything else goes the long way.
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p_ + 1));
    auto quote = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('"'))));
    auto other = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('\\')),
                                       _mm_cmpeq_epi8(_mm_max_epu8(x, _mm_set1_epi8(0x1F)), _mm_set1_epi8(0x1F)))));
    // A quote comes before the first backslash or control byte (the sentinel is one): other ^ (other - 1) keeps
    // the bits up to that byte (all of them when there is none).
    if ((quote & (other ^ (other - 1))) != 0) {
      auto n = static_cast<size_t>(__builtin_ctz(quote));
      out = std::string_view(p_ + 1, n);
      p_ += n + 2;
      return Status::kOk;
    }
#endif
    return long_string(out);
  }

 private:
  __attribute__((noinline)) Status long_string(std::string_view& out) {
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

 public:
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
  // not a valid number; `n` gets its value when it has a simple form (see JsonNumber). The sentinel stops every
  // loop; a number that reaches it may continue in the next chunk (the caller refills and rescans). Without
  // kValue, only the end is found (n is left alone).
  template <bool kValue>
  __attribute__((always_inline)) static char* number_end(char* q, JsonNumber& n) {
    const bool neg = *q == '-';
    if (neg) ++q;
    uint64_t whole = 0;  // wraps beyond 19 digits: then not simple, and not used
    size_t int_digits = 0;
    if (*q == '0') {
      ++q;
      int_digits = 1;
    } else {
      int_digits = digits8<kValue>(q, whole);
      if (int_digits == 0) return nullptr;
      q += int_digits;
      if (int_digits == 8) {
        while (digit(*q)) {
          if (kValue) whole = whole * 10 + static_cast<unsigned>(*q - '0');
          ++q;
          ++int_digits;
        }
      }
    }
    uint64_t frac = 0;
    size_t frac_digits = 0;
    if (*q == '.') {
      ++q;
      frac_digits = digits8<kValue>(q, frac);
      if (frac_digits == 0) return nullptr;
      q += frac_digits;
      if (frac_digits == 8) {
        while (digit(*q)) {
          ++q;
          ++frac_digits;
        }
      }
    }
    bool exponent = false;
    if (*q == 'e' || *q == 'E') {
      exponent = true;
      ++q;
      if (*q == '+' || *q == '-') ++q;
      if (!digit(*q)) return nullptr;
      while (digit(*++q)) {
      }
    }
    if (!kValue) return q;
    n.neg = neg;
    n.simple = !exponent && int_digits <= 18 && frac_digits <= 3;
    n.fraction = frac_digits > 0;
    n.whole = static_cast<int64_t>(whole);
    n.thousandths = static_cast<int32_t>(frac_digits == 1 ? frac * 100 : frac_digits == 2 ? frac * 10 : frac);
    return q;
  }

  // The run of ASCII digits at `p`, up to 8 of them, by one 8-byte load (the window's padding keeps the load
  // inside the buffer; its sentinel ends any run): returns the run's length and sets `value` to the number it
  // spells (when kValue).
  template <bool kValue>
  __attribute__((always_inline)) static size_t digits8(const char* p, uint64_t& value) {
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
    size_t n = 0;
    uint64_t v = 0;
    while (n < 8 && digit(p[n])) v = v * 10 + static_cast<unsigned>(p[n++] - '0');
    value = v;
    return n;
#else
    uint64_t w = 0;
    std::memcpy(&w, p, 8);
    // Bytes in memory order from the lowest: byte - '0' is below 10 for a digit. Borrows and carries only move
    // towards later bytes, so the bytes up to the first non-digit are judged correctly.
    const uint64_t x = w - 0x3030303030303030u;
    const uint64_t not_digit = ((x + 0x7676767676767676u) | x) & 0x8080808080808080u;
    const size_t k = not_digit == 0 ? 8 : static_cast<size_t>(__builtin_ctzll(not_digit)) / 8;
    if (k == 0 || !kValue) return k;
    // The k digits moved to the high bytes (leading zeros below), then combined pairwise: 2, 4, 8 digits.
    uint64_t v = x << (8 * (8 - k));
    v = (v * 10 + (v >> 8)) & 0x00FF00FF00FF00FFu;
    v = (v * 100 + (v >> 16)) & 0x0000FFFF0000FFFFu;
    v = (v * 10000 + (v >> 32)) & 0xFFFFFFFFu;
    value = v;
    return k;
#endif
  }

  // At a number's first byte: `out` views its text, `n` holds its value when the form is simple (and kValue).
  template <bool kValue = true>
  __attribute__((always_inline)) Status number(std::string_view& out, JsonNumber& n) {
    // The common case, inline: the number ends inside the window, followed by a byte that cannot continue it.
    char* q = number_end<kValue>(p_, n);
    if (q != nullptr && q != end() && !number_char(*q)) {
      out = std::string_view(p_, static_cast<size_t>(q - p_));
      p_ = q;
      return Status::kOk;
    }
    return number_slow<kValue>(out, n);
  }
  template <bool kValue>
  __attribute__((noinline)) Status number_slow(std::string_view& out, JsonNumber& n) {
    char* start = p_;
    bool last_chunk = false;
    for (;;) {
      char* q = number_end<kValue>(start, n);
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
  // Only the text (numbers whose value is not used, or parsed from the text).
  Status number(std::string_view& out) {
    JsonNumber unused;
    return number<false>(out, unused);
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
