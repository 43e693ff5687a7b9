#!/usr/bin/env bash
# End-to-end throughput and peak memory of `infertune trace analyze FILE --format json -o OUT` (read + model +
# analyses + report): MB/s of uncompressed JSON by wall clock and by CPU time (user + sys: the fairer number on a
# shared machine), peak RSS and its ratio to the JSON size, for plain and gzip input.
#
# Usage: bench/trace_read.sh [BIN] [SHARED_TRACES_DIR] [SIZE_MB ...]
#   BIN                default build/infertune
#   SHARED_TRACES_DIR  default ../shared/traces next to the source tree (its biggest .json.gz is run, gzip and
#                      plain); skipped when absent
#   SIZE_MB ...        synthetic traces written by bench/gen_trace.py, one at a time into a temporary directory
#                      and deleted after their runs (default: 500 1000 2000)
# Environment:
#   BASELINE_BIN=OLD_BIN  also runs OLD_BIN on each input right after BIN (before/after in one run, on the same
#                         files and the same machine load), and prints the ratios
#   REPEAT=N              runs each measurement N times and keeps the one with the least CPU time (default 1)
#   GEN_FLAGS=--compact   passed to gen_trace.py (the dense 5-event mix instead of the realistic Kineto layout)
#   HTA_SRC=DIR           a HolisticTraceAnalysis checkout: also loads the shared trace and the synthetic traces
#                         of at most HTA_MAX_MB (default 500; HTA needs ~7-9x the file size in RAM) with HTA's
#                         TraceAnalysis + get_temporal_breakdown + get_idle_time_breakdown, under the same
#                         /usr/bin/time, and prints its time and memory and the ratio to ours on the same file
#   HTA_PYTHON=PY         the Python that has pandas for HTA (default /usr/bin/python3, Debian's)
# Never commits or keeps big files: everything generated lives in a mktemp directory removed on exit.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$root/build/infertune}"
shared="${2:-$root/../shared/traces}"
shift $(($# > 2 ? 2 : $#))
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(500 1000 2000)
repeat="${REPEAT:-1}"
hta_max_mb="${HTA_MAX_MB:-500}"
hta_python="${HTA_PYTHON:-/usr/bin/python3}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# Sets wall, cpu, rss (KiB) from a /usr/bin/time -v report.
parse_time() {
  wall=$(grep "Elapsed (wall clock)" "$1" | awk '{print $NF}' |
    awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss=$(grep "Maximum resident set size" "$1" | awk '{print $NF}')
  cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$1")
}

# run_one BIN LABEL FILE: the best of $repeat runs (least CPU); sets json_bytes, wall, cpu, rss.
run_one() {
  local b="$1" label="$2" file="$3" best_cpu="" bw="" bc="" br=""
  for ((r = 0; r < repeat; r++)); do
    if ! /usr/bin/time -v "$b" trace analyze "$file" --format json -o "$tmp/out.json" 2>"$tmp/time.txt" >/dev/null; then
      echo "$label: $b failed:" >&2
      grep -v "^\s" "$tmp/time.txt" | head -3 >&2
      return 1
    fi
    parse_time "$tmp/time.txt"
    if [ -z "$best_cpu" ] || awk -v a="$cpu" -v b="$best_cpu" 'BEGIN{exit !(a < b)}'; then
      best_cpu=$cpu bw=$wall bc=$cpu br=$rss
    fi
  done
  wall=$bw cpu=$bc rss=$br
  json_bytes=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['data']['trace']['json_bytes'])" \
    "$tmp/out.json")
  awk -v l="$label" -v f="$(stat -c %s "$file")" -v j="$json_bytes" -v w="$wall" -v c="$cpu" -v r="$rss" 'BEGIN {
    mb = j / 1e6; if (w < 0.01) w = 0.01; if (c < 0.01) c = 0.01
    printf "%-44s file %8.1f MB  json %8.1f MB  wall %7.2f s %7.1f MB/s  cpu %7.2f s %7.1f MB/s  " \
           "peak RSS %8.1f MiB  %.3fx json\n", l, f / 1e6, mb, w, mb / w, c, mb / c, r / 1024, r * 1024 / j }'
}

# run LABEL FILE: BIN, then BASELINE_BIN, then HTA where asked; keeps ours in our_*.
run() {
  run_one "$bin" "$1" "$2" || return 0
  our_wall=$wall our_cpu=$cpu our_rss=$rss our_json=$json_bytes
  if [ -n "${BASELINE_BIN:-}" ]; then
    if run_one "$BASELINE_BIN" "$1 [baseline]" "$2"; then
      awk -v w1="$our_wall" -v w0="$wall" -v c1="$our_cpu" -v c0="$cpu" -v r1="$our_rss" -v r0="$rss" 'BEGIN {
        printf "%-44s speed-up: wall %.2fx  cpu %.2fx;  peak RSS %.2fx of the baseline\n", "", \
               w0 / (w1 < 0.01 ? 0.01 : w1), c0 / (c1 < 0.01 ? 0.01 : c1), r1 / r0 }'
    fi
  fi
}

hta_script="$tmp/hta_run.py"
cat >"$hta_script" <<'PY'
import os, sys, time
from hta.trace_analysis import TraceAnalysis
path = sys.argv[1]
t0 = time.time()
analysis = TraceAnalysis(trace_files={0: os.path.basename(path)}, trace_dir=os.path.dirname(path))
t1 = time.time()
temporal = analysis.get_temporal_breakdown(visualize=False)
idle = analysis.get_idle_time_breakdown(visualize=False)
t2 = time.time()
print("hta: load %.1f s, breakdowns %.1f s; idle %s%%" % (t1 - t0, t2 - t1, temporal["idle_time_pctg"].tolist()))
PY

# hta LABEL FILE: HTA on the file our last run() read; prints its numbers and the ratios to ours.
hta() {
  [ -n "${HTA_SRC:-}" ] || return 0
  local label="$1" file="$2"
  if ! PYTHONPATH="$HTA_SRC" /usr/bin/time -v "$hta_python" "$hta_script" "$file" >"$tmp/hta.out" \
    2>"$tmp/hta_time.txt"; then
    echo "$label [HTA]: failed: $(grep -E "Error|error" "$tmp/hta_time.txt" | tail -1)"
    return 0
  fi
  parse_time "$tmp/hta_time.txt"
  awk -v l="$label [HTA]" -v j="$our_json" -v w="$wall" -v c="$cpu" -v r="$rss" -v w1="$our_wall" \
    -v c1="$our_cpu" -v r1="$our_rss" 'BEGIN {
    mb = j / 1e6
    printf "%-44s %26s wall %7.2f s %7.1f MB/s  cpu %7.2f s %7.1f MB/s  peak RSS %8.1f MiB  %.3fx json\n", \
           l, "", w, mb / w, c, mb / c, r / 1024, r * 1024 / j
    printf "%-44s HTA / infertune: wall %.1fx  cpu %.1fx  peak RSS %.1fx\n", "", \
           w / (w1 < 0.01 ? 0.01 : w1), c / (c1 < 0.01 ? 0.01 : c1), r / r1 }'
  grep "^hta:" "$tmp/hta.out" | sed 's/^/    /'
}

echo "infertune: $bin${BASELINE_BIN:+  (baseline: $BASELINE_BIN)}; best of $repeat by CPU time; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
biggest=$( (find "$shared" -name '*.json.gz' -printf '%s %p\n' 2>/dev/null || true) | sort -n | tail -1 | cut -d' ' -f2-)
if [ -n "$biggest" ]; then
  cp "$biggest" "$tmp/shared.json.gz"
  run "shared $(basename "$biggest") (gzip)" "$tmp/shared.json.gz"
  zcat "$biggest" >"$tmp/shared.json"
  run "shared (plain)" "$tmp/shared.json"
  hta "shared (plain)" "$tmp/shared.json"
  rm -f "$tmp/shared.json" "$tmp/shared.json.gz"
fi
for mb in "${sizes[@]}"; do
  python3 "$root/bench/gen_trace.py" "$tmp/synth.json" "$mb" ${GEN_FLAGS:-}
  run "synthetic ${mb} MB${GEN_FLAGS:+ $GEN_FLAGS} (plain)" "$tmp/synth.json"
  if [ "$mb" -le "$hta_max_mb" ]; then hta "synthetic ${mb} MB (plain)" "$tmp/synth.json"; fi
  gzip -1 -c "$tmp/synth.json" >"$tmp/synth.json.gz"
  rm -f "$tmp/synth.json"
  run "synthetic ${mb} MB (gzip -1)" "$tmp/synth.json.gz"
  rm -f "$tmp/synth.json.gz"
done
