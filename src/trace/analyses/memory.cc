// Memory timeline from "[memory]" allocator events (see analyses.h).

#include "trace/analyses/analyses.h"

namespace infertune::trace {

MemoryTimeline memory_timeline(const Model& m) {
  MemoryTimeline out;
  if (m.trace == nullptr || m.trace->memory.empty()) {
    out.why_not = "no [memory] events in the trace (record with profile_memory=True)";
    return out;
  }
  out.why_not = "memory timeline not implemented yet";
  return out;
}

}  // namespace infertune::trace
