#!/usr/bin/env bash
# End-to-end checks of `infertune trace analyze`: output formats, exit codes, one-line errors on bad input.
set -u
BIN="$1"
DATA="$2"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
fails=0
check() {  # name, expected rc, actual rc
  if [ "$2" != "$3" ]; then echo "FAIL $1: exit $3, expected $2"; fails=$((fails + 1)); else echo "ok   $1"; fi
}
one_line_error() {  # name, stderr file, word
  if [ "$(wc -l <"$2")" -ne 1 ] || ! grep -q "$3" "$2"; then
    echo "FAIL $1: stderr is not one line naming '$3':"; cat "$2"; fails=$((fails + 1))
  else echo "ok   $1 message"; fi
}
BERT="$DATA/traces/tracelens_h100/gaunernst_bert-small-uncased__1016001.json.gz"

"$BIN" trace analyze "$BERT" --no-color >"$TMP/out.txt" 2>"$TMP/err"; check "text report" 0 $?
grep -q "Idle  *3.598388 ms (92.08 %)" "$TMP/out.txt" || { echo "FAIL text: idle row"; fails=$((fails + 1)); }
grep -q "TRACE-GPU-IDLE-HIGH" "$TMP/out.txt" || { echo "FAIL text: finding"; fails=$((fails + 1)); }
"$BIN" trace analyze "$BERT" --format json -o "$TMP/out.json"; check "json report" 0 $?
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['data']['gpu_timeline'][0]['idle_ns']==3598388" \
  "$TMP/out.json" || { echo "FAIL json: idle_ns"; fails=$((fails + 1)); }
"$BIN" trace analyze "$BERT" --format markdown --top 3 >"$TMP/out.md"; check "markdown report" 0 $?
"$BIN" trace analyze "$BERT" --fail-on warning >/dev/null; check "fail-on warning" 1 $?

# Sections, operator sort, the new JSON data.
"$BIN" trace analyze "$BERT" --no-color --section steps,idle,launch,syncs,copies,ops,modules,breakdown \
  --sort self_cpu_time_total --top 3 >"$TMP/sec.txt" 2>"$TMP/err"; check "sections" 0 $?
for title in "Steps (ProfilerStep#N)" "GPU idle by cause" "Launch overhead" "Synchronisations" "Copies and memsets" \
  "CPU operators (by self_cpu_time_total)" "By nn.Module" "Step breakdown (TensorBoard profiler plugin)"; do
  grep -qF "$title" "$TMP/sec.txt" || { echo "FAIL sections: no '$title'"; fails=$((fails + 1)); }
done
if grep -q "^Top kernels" "$TMP/sec.txt"; then echo "FAIL sections: kernels shown"; fails=$((fails + 1)); fi
grep -q "TRACE-LAUNCH-BOUND" "$TMP/sec.txt" || { echo "FAIL sections: findings run on every section"; fails=$((fails + 1)); }
"$BIN" trace analyze "$BERT" --format json -o "$TMP/all.json"; check "json all" 0 $?
python3 - "$TMP/all.json" <<'PY' || { echo "FAIL json: new data"; fails=$((fails + 1)); }
import json, sys
d = json.load(open(sys.argv[1]))["data"]
assert d["launch"]["launch_calls"] == 60, d["launch"]
assert d["steps"]["steps"][0]["number"] == 6
assert sum(v["ns"] for v in d["gpu_timeline"][0]["idle_by_cause"].values()) == 3598388
assert sum(d["steps"]["steps"][0]["breakdown_ns"].values()) == d["steps"]["steps"][0]["wall_ns"]
assert d["syncs"]["calls"] == 3
assert d["ops"]["top"][0]["name"] == "ProfilerStep*"
assert d["modules"][0]["module"] == "Linear"
PY
"$BIN" trace analyze "$BERT" --format markdown --section ops >"$TMP/ops.md"; check "markdown ops" 0 $?
grep -q "aten::addmm" "$TMP/ops.md" || { echo "FAIL markdown: ops rows"; fails=$((fails + 1)); }
"$BIN" trace analyze "$BERT" --section nonsense >/dev/null 2>"$TMP/err"; check "bad section" 2 $?
grep -q "nonsense" "$TMP/err" || { echo "FAIL bad section: message"; cat "$TMP/err"; fails=$((fails + 1)); }
"$BIN" trace analyze "$BERT" --sort cuda_time >/dev/null 2>"$TMP/err"; check "bad sort" 2 $?

printf '' >"$TMP/empty.json"
"$BIN" trace analyze "$TMP/empty.json" >/dev/null 2>"$TMP/err"; check "empty file" 2 $?
one_line_error "empty file" "$TMP/err" "empty.json"
head -c 3000 "$DATA/traces/legacy_gpu_metrics_input.json" >"$TMP/cut.json"
"$BIN" trace analyze "$TMP/cut.json" >/dev/null 2>"$TMP/err"; check "truncated JSON" 2 $?
one_line_error "truncated JSON" "$TMP/err" "truncated"
head -c 20000 "$BERT" >"$TMP/cut.json.gz"
"$BIN" trace analyze "$TMP/cut.json.gz" >/dev/null 2>"$TMP/err"; check "truncated gzip" 2 $?
one_line_error "truncated gzip" "$TMP/err" "truncated gzip"
head -c 4096 /dev/urandom >"$TMP/garbage.bin"
"$BIN" trace analyze "$TMP/garbage.bin" >/dev/null 2>"$TMP/err"; check "garbage" 2 $?
one_line_error "garbage" "$TMP/err" "garbage.bin"
{ head -c 100 "$BERT"; head -c 2000 /dev/urandom; } >"$TMP/corrupt.json.gz"
"$BIN" trace analyze "$TMP/corrupt.json.gz" >/dev/null 2>"$TMP/err"; check "corrupt gzip" 2 $?
one_line_error "corrupt gzip" "$TMP/err" "corrupt.json.gz"
"$BIN" trace analyze "$TMP/missing.json" >/dev/null 2>"$TMP/err"; check "missing file" 2 $?
one_line_error "missing file" "$TMP/err" "missing.json"
"$BIN" trace >/dev/null 2>&1; check "no arguments" 2 $?
exit $((fails > 0))
