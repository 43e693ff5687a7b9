#include "report/json_writer.h"

namespace infertune {

std::string json_text(const Json& j, bool pretty) {
  std::string out = j.dump(pretty ? 2 : -1, ' ', false, Json::error_handler_t::replace);
  out += '\n';
  return out;
}

}  // namespace infertune
