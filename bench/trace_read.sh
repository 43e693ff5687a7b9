#!/usr/bin/env bash
# Read + analyse throughput (MB/s of uncompressed JSON, end to end) and peak RSS of `infertune trace analyze`.
# Usage: bench/trace_read.sh [BIN] [SHARED_TRACES_DIR] [SYNTHETIC_MB]
#        BASELINE_BIN=OLD_BIN bench/trace_read.sh …   also runs OLD_BIN on each input, right after BIN (before/after
#                                                   in one run, on the same files and the same machine load)
# Runs on: the biggest trace of the shared collection (gzip as shipped and decompressed), and a synthetic trace
# of SYNTHETIC_MB (default 1000) written by bench/gen_trace.py into a temporary directory (never committed).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$root/build/infertune}"
shared="${2:-$root/../shared/traces}"
synth_mb="${3:-1000}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

run() {  # label file
  run_one "$bin" "$1" "$2"
  if [ -n "${BASELINE_BIN:-}" ]; then run_one "$BASELINE_BIN" "$1 [baseline]" "$2"; fi
}

run_one() {  # bin label file
  local bin="$1" label="$2" file="$3"
  /usr/bin/time -v "$bin" trace analyze "$file" --format json -o "$tmp/out.json" 2>"$tmp/time.txt" || true
  local json_bytes wall rss
  json_bytes=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['data']['trace']['json_bytes'])" \
    "$tmp/out.json")
  wall=$(grep "Elapsed (wall clock)" "$tmp/time.txt" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss=$(grep "Maximum resident set size" "$tmp/time.txt" | awk '{print $NF}')
  cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {print s}' "$tmp/time.txt")
  python3 - "$label" "$file" "$json_bytes" "$wall" "$rss" "$cpu" <<'PY'
import os, sys
label, f, jb, wall, rss = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
cpu = float(sys.argv[6])
mb = jb / 1e6
print(f"{label:<45} file {os.path.getsize(f)/1e6:8.1f} MB  json {mb:8.1f} MB  wall {wall:6.2f} s  "
      f"{mb / max(wall, 1e-3):7.1f} MB/s  cpu {cpu:6.2f} s ({mb / max(cpu, 1e-3):7.1f} MB/s)  "
      f"peak RSS {rss/1024:7.1f} MiB ({rss*1024/jb:.3f}x json)")
PY
}

biggest=$(find "$shared" -name '*.json.gz' -printf '%s %p\n' 2>/dev/null | sort -n | tail -1 | cut -d' ' -f2-)
if [ -n "$biggest" ]; then
  run "shared biggest (gzip)" "$biggest"
  zcat "$biggest" >"$tmp/biggest.json"
  run "shared biggest (plain)" "$tmp/biggest.json"
fi
python3 "$root/bench/gen_trace.py" "$tmp/synth.json" "$synth_mb"
run "synthetic ${synth_mb} MB (plain)" "$tmp/synth.json"
gzip -1 -c "$tmp/synth.json" >"$tmp/synth.json.gz"
run "synthetic ${synth_mb} MB (gzip -1)" "$tmp/synth.json.gz"
