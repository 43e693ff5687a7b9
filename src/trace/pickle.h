#pragma once
// A safe reader for Python pickles of plain data: what `pickle.dump` writes for dicts, lists, tuples, sets,
// str, bytes, int, float, bool and None (protocols 0-5), as `torch.cuda.memory._dump_snapshot` produces.
//
// It understands only the plain-data opcodes and refuses every opcode that names, imports, calls or builds an
// object (GLOBAL, STACK_GLOBAL, REDUCE, BUILD, INST, OBJ, NEWOBJ, NEWOBJ_EX, PERSID, BINPERSID, EXT1/2/4,
// NEXT_BUFFER, READONLY_BUFFER) with one error naming the opcode and its byte offset. Nothing is ever executed
// or imported. Opcode values and their meaning: CPython's Lib/pickletools.py and PEP 3154 / PEP 574.
//
// The result is a graph of values owned by a Document: like Python, a value referenced twice through the memo
// (GET) is shared, not copied, so a small file cannot expand into a huge tree; containers may even contain
// themselves. Nothing here recurses, so deep nesting cannot overflow the C stack; the parser still bounds the
// stack and MARK depth. Every node comes from at least one input byte, so counts are bounded by the size.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace infertune::pickle {

enum class Kind : uint8_t {
  kNone,
  kBool,
  kInt,     // fits in int64
  kBigInt,  // a Python int beyond int64: only an approximate double is kept (as_double)
  kFloat,
  kString,  // str, as UTF-8 (invalid sequences replaced by U+FFFD and counted)
  kBytes,   // bytes, bytearray, and protocol-0/1 STRING (Python 2 str)
  kList,
  kTuple,
  kSet,  // set and frozenset, items in pickle order
  kDict,
};

const char* kind_name(Kind k);  // "int", "str", "dict" ... (Python's names)

class Document;

// A handle to one value of a Document (which must outlive it). A default or failed lookup gives an invalid
// handle: valid() is false, kind() is kNone, size() is 0, and lookups on it stay invalid.
class Value {
 public:
  Value() = default;
  bool valid() const { return doc_ != nullptr; }
  Kind kind() const;
  bool is(Kind k) const { return valid() && kind() == k; }
  bool is_none() const { return is(Kind::kNone); }
  bool is_int() const { return is(Kind::kInt); }
  bool is_number() const;  // int, big int or float (not bool)
  bool is_string() const { return is(Kind::kString); }
  bool is_sequence() const;  // list, tuple or set
  bool is_dict() const { return is(Kind::kDict); }

  bool as_bool() const;          // bool; an int is true when non-zero
  int64_t as_int() const;        // int or bool; 0 for anything else
  double as_double() const;      // int, big int, float or bool
  std::string_view str() const;  // str or bytes; "" for anything else

  size_t size() const;                    // items of a list/tuple/set, entries of a dict (each SETITEM)
  Value at(size_t i) const;               // item i of a list/tuple/set
  Value get(std::string_view key) const;  // dict entry whose key is that str (last match, as Python; linear)
  Value get(int64_t key) const;           // dict entry whose key is that int
  Value key_at(size_t i) const;           // dict entry i, in pickle order
  Value value_at(size_t i) const;

  uint32_t id() const { return id_; }  // node number, stable within the document

 private:
  friend class Document;
  Value(const Document* d, uint32_t id) : doc_(d), id_(id) {}
  const Document* doc_ = nullptr;
  uint32_t id_ = 0;
};

struct ParseStats {
  uint64_t nodes = 0;         // values created
  uint64_t memo_entries = 0;  // memo puts
  uint64_t invalid_utf8 = 0;  // strings with invalid UTF-8 (replaced)
  int protocol = 0;           // from PROTO; 0 when absent
};

class Document {
 public:
  Value root() const { return nodes_.empty() ? Value() : Value(this, root_); }
  const ParseStats& stats() const { return stats_; }

 private:
  friend class Value;
  friend class Parser;
  struct Node {
    Kind kind = Kind::kNone;
    uint32_t ref = 0;  // index into strings_ / seqs_ / dicts_
    union {
      int64_t i;
      double f;
    };
    Node() : i(0) {}
  };
  std::vector<Node> nodes_;
  std::vector<std::string> strings_;
  std::vector<std::vector<uint32_t>> seqs_;
  std::vector<std::vector<std::pair<uint32_t, uint32_t>>> dicts_;
  uint32_t root_ = 0;
  ParseStats stats_;
};

struct Limits {
  size_t max_stack = 1u << 20;  // values on the unpickling stack at once
  size_t max_marks = 1u << 16;  // open MARKs (protocol 0 nesting)
};

// Parses a pickle held in memory. Errors are one line ending in "at byte N" (offset of the opcode or of the
// end of input): "opcode GLOBAL (0x63) is not plain data; refusing to load objects at byte 2".
Result<Document> parse(std::string_view bytes, const Limits& limits = {});

// Bytes as stored in a file: a gzip stream (any number of members, detected by the magic bytes) is inflated
// first, at most max_out bytes; anything else is returned as is. Errors: corrupt or truncated gzip, too large.
Result<std::string> maybe_gunzip(std::string bytes, size_t max_out);

}  // namespace infertune::pickle
