#pragma once
// A byte stream over a trace file, plain or gzip (detected by the magic bytes, not the name), read in chunks, so
// memory stays bounded by the chunk size whatever the file size. Offsets are 64-bit: files over 4 GiB work.
//
// Read by window: the decoded bytes [window_begin(), window_end()) are followed by a '\0' sentinel; more() appends
// the next chunk while keeping the bytes from a given position on (a token that straddles two chunks stays
// contiguous).

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"

namespace infertune::trace {

class InputStream {
 public:
  // Opens `path`; an unreadable file is an input error naming it.
  static Result<std::unique_ptr<InputStream>> open_file(const std::string& path);
  // Reads from memory (tests, fuzzing); the bytes must outlive the stream.
  static std::unique_ptr<InputStream> from_memory(const char* data, size_t size);

  ~InputStream();
  InputStream(const InputStream&) = delete;
  InputStream& operator=(const InputStream&) = delete;

  // ---- window access ----
  char* window_begin() { return buf_.data(); }
  char* window_end() { return data_end_; }
  // Absolute offset (in the decoded data) of a position inside the window.
  uint64_t offset_of(const char* p) const { return consumed_ + static_cast<uint64_t>(p - buf_.data()); }
  // Drops the bytes before `keep`, moves the rest to the front and appends the next decoded chunk (the buffer
  // grows when the kept part is large). `keep` and `pos` (both inside the window) are updated to the moved bytes.
  // False when nothing more comes (end of data, or error()); the window then still holds the kept bytes.
  bool more(char*& keep, char*& pos);

  // Bytes readable after the sentinel (zeros), so 16-byte loads that start at or before it stay inside.
  static constexpr size_t kPadding = 64;

  bool gzip() const { return gzip_; }
  uint64_t compressed_bytes_read() const { return raw_consumed_; }
  // Non-empty when reading stopped on an error (I/O, corrupt or truncated gzip); the parser then sees '\0'.
  const std::string& error() const { return error_; }
  // True once the end of the (decompressed) data was reached cleanly.
  bool at_eof() const { return eof_; }

 private:
  InputStream() = default;
  void first_fill();                        // the first chunk into the window
  size_t decode_into(char* dst, size_t n);  // the next decoded bytes; 0 at the end or on error
  size_t read_raw(char* dst, size_t n);     // from the file or the memory block
  size_t inflate_some(char* dst, size_t n);

  std::FILE* file_ = nullptr;
  const char* mem_ = nullptr;
  size_t mem_size_ = 0;
  size_t mem_pos_ = 0;

  bool gzip_ = false;
  struct Inflater;
  std::unique_ptr<Inflater> z_;
  std::vector<char> raw_;  // compressed input buffer
  size_t raw_pos_ = 0, raw_len_ = 0;
  bool raw_eof_ = false;
  uint64_t raw_consumed_ = 0;

  std::vector<char> buf_;     // decoded bytes + one '\0' sentinel + padding
  char* data_end_ = nullptr;  // end of the decoded bytes in buf_ (the sentinel's place)
  uint64_t consumed_ = 0;     // bytes before buf_[0]
  bool eof_ = false;
  std::string error_;
};

}  // namespace infertune::trace
