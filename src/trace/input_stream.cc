#include "trace/input_stream.h"

#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace infertune::trace {

namespace {
constexpr size_t kChunk = size_t{1} << 20;  // decoded bytes per refill
constexpr size_t kRawChunk = size_t{1} << 18;
}  // namespace

// zlib inflates; the CRC-32 of each gzip member is computed with libdeflate's (several times faster than zlib's
// on x86-64) and checked here against the member's trailer, with its length, as zlib would.
struct InputStream::Inflater {
  z_stream z{};
  bool ready = false;
  bool in_member = false;      // inside a gzip member (its end not seen yet)
  bool need_reset = false;     // a member ended; the next input starts another one
  uint32_t crc = 0;            // CRC-32 of the member's output so far
  uint32_t size = 0;           // its length, modulo 2^32 (the trailer's ISIZE)
  unsigned char tail[8] = {};  // the last 8 compressed bytes before the current input buffer (a trailer may straddle)

  void remember(const char* p, size_t n) {  // the bytes of an input buffer about to be replaced
    if (n >= sizeof tail) {
      std::memcpy(tail, p + n - sizeof tail, sizeof tail);
    } else {
      std::memmove(tail, tail + n, sizeof tail - n);
      std::memcpy(tail + sizeof tail - n, p, n);
    }
  }
  ~Inflater() {
    if (ready) inflateEnd(&z);
  }
};

Result<std::unique_ptr<InputStream>> InputStream::open_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return input_error("cannot open trace " + path + ": " + std::strerror(errno));
  std::unique_ptr<InputStream> s(new InputStream());
  s->file_ = f;
  s->raw_.resize(kRawChunk);
  s->buf_.resize(kChunk + 1 + kPadding);
  s->raw_len_ = s->read_raw(s->raw_.data(), s->raw_.size());
  if (!s->error_.empty()) return input_error("cannot read trace " + path + ": " + s->error_);
  s->raw_consumed_ = s->raw_len_;
  if (s->raw_len_ >= 2 && static_cast<unsigned char>(s->raw_[0]) == 0x1f &&
      static_cast<unsigned char>(s->raw_[1]) == 0x8b) {
    s->gzip_ = true;
  }
  s->first_fill();
  return s;
}

std::unique_ptr<InputStream> InputStream::from_memory(const char* data, size_t size) {
  std::unique_ptr<InputStream> s(new InputStream());
  s->mem_ = data;
  s->mem_size_ = size;
  s->raw_.resize(kRawChunk);
  s->buf_.resize(kChunk + 1 + kPadding);
  s->raw_len_ = s->read_raw(s->raw_.data(), s->raw_.size());
  s->raw_consumed_ = s->raw_len_;
  s->gzip_ = s->raw_len_ >= 2 && static_cast<unsigned char>(s->raw_[0]) == 0x1f &&
             static_cast<unsigned char>(s->raw_[1]) == 0x8b;
  s->first_fill();
  return s;
}

InputStream::~InputStream() {
  if (file_) std::fclose(file_);
}

size_t InputStream::read_raw(char* dst, size_t n) {
  if (file_) {
    size_t got = std::fread(dst, 1, n, file_);
    if (got < n) {
      if (std::ferror(file_)) error_ = std::string("read error: ") + std::strerror(errno);
      raw_eof_ = true;
    }
    return got;
  }
  size_t got = std::min(n, mem_size_ - mem_pos_);
  if (got) std::memcpy(dst, mem_ + mem_pos_, got);
  mem_pos_ += got;
  if (mem_pos_ == mem_size_) raw_eof_ = true;
  return got;
}

size_t InputStream::inflate_some(char* dst, size_t n) {
  if (!z_) {
    z_ = std::make_unique<Inflater>();
    if (inflateInit2(&z_->z, 15 + 16) != Z_OK) {
      error_ = "cannot start gzip decoder";
      return 0;
    }
    z_->ready = true;
    inflateValidate(&z_->z, 0);  // the CRC-32 is computed and checked below
  }
  z_stream& z = z_->z;
  z.next_out = reinterpret_cast<Bytef*>(dst);
  z.avail_out = static_cast<uInt>(n);
  while (z.avail_out > 0) {
    if (raw_pos_ == raw_len_) {
      if (raw_eof_) break;
      z_->remember(raw_.data(), raw_len_);
      raw_len_ = read_raw(raw_.data(), raw_.size());
      raw_pos_ = 0;
      raw_consumed_ += raw_len_;
      if (!error_.empty()) return 0;
      if (raw_len_ == 0) break;
    }
    if (z_->need_reset) {
      // Another gzip member follows (concatenated .gz files are valid gzip), or bytes that are not gzip.
      if (static_cast<unsigned char>(raw_[raw_pos_]) != 0x1f) {
        error_ = "data after the end of the gzip stream";
        break;
      }
      inflateReset(&z);
      z_->need_reset = false;
      z_->crc = 0;
      z_->size = 0;
    }
    z.next_in = reinterpret_cast<Bytef*>(raw_.data() + raw_pos_);
    z.avail_in = static_cast<uInt>(raw_len_ - raw_pos_);
    z_->in_member = true;
    Bytef* out = z.next_out;
    int rc = inflate(&z, Z_NO_FLUSH);
    raw_pos_ = raw_len_ - z.avail_in;
    if (auto made = static_cast<size_t>(z.next_out - out); made > 0) {
      z_->crc = libdeflate_crc32(z_->crc, out, made);
      z_->size += static_cast<uint32_t>(made);
    }
    if (rc == Z_STREAM_END) {
      // The member's trailer, CRC-32 then ISIZE (little-endian), is the 8 bytes just consumed.
      unsigned char tr[8];
      size_t here = std::min<size_t>(raw_pos_, sizeof tr);
      std::memcpy(tr, z_->tail + here, sizeof tr - here);
      std::memcpy(tr + sizeof tr - here, raw_.data() + raw_pos_ - here, here);
      auto le32 = [](const unsigned char* b) {
        return static_cast<uint32_t>(b[0]) | static_cast<uint32_t>(b[1]) << 8 | static_cast<uint32_t>(b[2]) << 16 |
               static_cast<uint32_t>(b[3]) << 24;
      };
      if (le32(tr) != z_->crc || le32(tr + 4) != z_->size) {
        error_ = "corrupt gzip data (the CRC-32 or the length in a member's trailer does not match its data)";
        return 0;
      }
      z_->in_member = false;
      z_->need_reset = true;
      continue;
    }
    if (rc == Z_BUF_ERROR) continue;  // needs more input
    if (rc != Z_OK) {
      error_ = std::string("corrupt gzip data") + (z.msg ? std::string(" (") + z.msg + ")" : std::string());
      return 0;
    }
  }
  size_t produced = n - z.avail_out;
  if (produced == 0 && z_->in_member && raw_eof_ && raw_pos_ == raw_len_) {
    error_ = "truncated gzip data (the file ends inside the compressed stream)";
  }
  return produced;
}

size_t InputStream::decode_into(char* dst, size_t n) {
  if (eof_ || !error_.empty()) return 0;
  size_t got = 0;
  if (gzip_) {
    got = inflate_some(dst, n);
  } else if (raw_pos_ < raw_len_) {
    // Plain: first what the magic sniff read, then straight from the source.
    got = std::min(n, raw_len_ - raw_pos_);
    std::memcpy(dst, raw_.data() + raw_pos_, got);
    raw_pos_ += got;
  } else if (!raw_eof_) {
    got = read_raw(dst, n);
    raw_consumed_ += got;
  }
  if (got == 0 && error_.empty()) eof_ = true;
  return got;
}

bool InputStream::more(char*& keep, char*& pos) {
  size_t kept = static_cast<size_t>(data_end_ - keep);
  size_t pos_off = static_cast<size_t>(pos - keep);
  consumed_ += static_cast<uint64_t>(keep - buf_.data());
  if (kept > 0 && keep != buf_.data()) std::memmove(buf_.data(), keep, kept);
  // Read into what the buffer has room for; it only grows when a kept token fills most of it.
  size_t room = buf_.size() - 1 - kPadding - kept;
  if (room < kChunk / 2) {
    buf_.resize(kept + kChunk + 1 + kPadding);
    room = kChunk;
  }
  size_t n = decode_into(buf_.data() + kept, room);
  keep = buf_.data();
  pos = keep + pos_off;
  data_end_ = buf_.data() + kept + n;
  *data_end_ = '\0';
  return n > 0;
}

void InputStream::first_fill() {
  size_t n = decode_into(buf_.data(), kChunk);
  data_end_ = buf_.data() + n;
  *data_end_ = '\0';
}

}  // namespace infertune::trace
