// Fuzzes the loader-cache parser (collect/ld_so_cache.h): a --root copy's /etc/ld.so.cache may hold anything.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "collect/ld_so_cache.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace infertune;
  auto c = parse_ld_so_cache(std::string_view(reinterpret_cast<const char*>(data), size));
  if (c.ok()) {
    for (const auto& e : c->entries) (void)ld_cache_entry_is_64bit(e.flags);
  }
  return 0;
}
