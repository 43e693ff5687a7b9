#pragma once
// A byte stream over a trace file, plain or gzip (detected by the magic bytes, not the name), read in chunks.
// It is the input stream RapidJSON's SAX reader pulls from (Peek/Take/Tell), so memory stays bounded by the
// chunk size whatever the file size. Offsets are 64-bit: files over 4 GiB work.

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"

namespace infertune::trace {

class InputStream {
 public:
  using Ch = char;  // RapidJSON stream concept

  // Opens `path`; an unreadable file is an input error naming it.
  static Result<std::unique_ptr<InputStream>> open_file(const std::string& path);
  // Reads from memory (tests, fuzzing); the bytes must outlive the stream.
  static std::unique_ptr<InputStream> from_memory(const char* data, size_t size);

  ~InputStream();
  InputStream(const InputStream&) = delete;
  InputStream& operator=(const InputStream&) = delete;

  Ch Peek() const { return *cur_; }
  Ch Take() {
    Ch c = *cur_;
    if (++cur_ == end_) refill();
    return c;
  }
  size_t Tell() const { return static_cast<size_t>(consumed_ + static_cast<uint64_t>(cur_ - buf_.data())); }
  // Not used by a non-in-situ parse; present for the stream concept.
  Ch* PutBegin() { return nullptr; }
  void Put(Ch) {}
  void Flush() {}
  size_t PutEnd(Ch*) { return 0; }

  bool gzip() const { return gzip_; }
  uint64_t compressed_bytes_read() const { return raw_consumed_; }
  // Non-empty when reading stopped on an error (I/O, corrupt or truncated gzip); the parser then sees '\0'.
  const std::string& error() const { return error_; }
  // True once the end of the (decompressed) data was reached cleanly.
  bool at_eof() const { return eof_; }

 private:
  InputStream() = default;
  void refill();
  size_t read_raw(char* dst, size_t n);  // from the file or the memory block
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

  std::vector<char> buf_;  // decoded bytes + one '\0' sentinel
  char* cur_ = nullptr;
  char* end_ = nullptr;
  uint64_t consumed_ = 0;  // bytes before buf_[0]
  bool eof_ = false;
  std::string error_;
};

}  // namespace infertune::trace
