#!/usr/bin/env bash
# End-to-end checks of `infertune trace analyze` and `trace diff`: output formats, exit codes, one-line errors on bad input.
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
"$BIN" trace analyze "$BERT" --no-color --section memory,ops --sort cuda_memory_usage --top 3 >"$TMP/mem.txt" \
  2>"$TMP/err"; check "memory section" 0 $?
for want in "Memory ([memory] allocator events)" "CUDA 0 peak reserved" "CPU operators (by cuda_memory_usage)" \
  "CUDA Mem" "TRACE-MEMORY-HEADROOM"; do
  grep -qF "$want" "$TMP/mem.txt" || { echo "FAIL memory: no '$want'"; fails=$((fails + 1)); }
done

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
# trace diff: a trace against itself changes nothing; BERT -> Qwen has more GPU work and less idle, and the
# reverse diff is the exact negation.
QWEN="$DATA/traces/tracelens_h100/Qwen_Qwen1.5-0.5B-Chat__1016005.json.gz"
"$BIN" trace diff "$BERT" "$BERT" --format json -o "$TMP/self.json"; check "diff self" 0 $?
python3 - "$TMP/self.json" <<'PY' || { echo "FAIL diff self: non-zero deltas"; fails=$((fails + 1)); }
import json, sys
d = json.load(open(sys.argv[1]))["data"]
for key in ("overall", "kernels", "kernel_classes", "ops_cuda_total", "ops_cpu_total"):
    assert d[key], key
    for r in d[key]:
        assert r["delta"] == 0 and r["base"] == r["new"], (key, r)
assert d["slower"] == [] and d["faster"] == []
PY
"$BIN" trace diff "$BERT" "$QWEN" --format json -o "$TMP/bq.json"; check "diff two traces" 0 $?
"$BIN" trace diff "$QWEN" "$BERT" --format json -o "$TMP/qb.json"; check "diff reversed" 0 $?
python3 - "$TMP/bq.json" "$TMP/qb.json" <<'PY' || { echo "FAIL diff two traces: signs"; fails=$((fails + 1)); }
import json, sys
bq, qb = (json.load(open(p))["data"] for p in sys.argv[1:3])
o = {r["name"]: r for r in bq["overall"]}
assert o["GPU busy"]["base"] == 309437 and o["GPU busy"]["new"] == 31905473, o["GPU busy"]
assert o["GPU busy"]["delta"] > 0 and o["GPU idle"]["delta"] < 0
assert o["Kernels"]["delta"] > 0 and o["Launch calls"]["delta"] > 0
assert bq["slower"] and all(r["delta"] > 0 for r in bq["slower"])
assert all(r["delta"] < 0 for r in bq["faster"])
for a, b in zip(bq["overall"], qb["overall"]):
    assert a["name"] == b["name"] and a["delta"] == -b["delta"], (a, b)
PY
"$BIN" trace diff "$BERT" "$QWEN" --no-color --top 3 >"$TMP/diff.txt"; check "diff text" 0 $?
for title in "Overall (base → new)" "What got slower" "What got faster" "Kernels by GPU time" "Operators by CUDA total"; do
  grep -qF "$title" "$TMP/diff.txt" || { echo "FAIL diff text: no '$title'"; fails=$((fails + 1)); }
done
"$BIN" trace diff "$BERT" "$QWEN" --format markdown >"$TMP/diff.md"; check "diff markdown" 0 $?
"$BIN" trace diff "$BERT" >/dev/null 2>"$TMP/err"; check "diff one file" 2 $?
one_line_error "diff one file" "$TMP/err" "two traces"
"$BIN" trace diff "$BERT" "$TMP/missing.json" >/dev/null 2>"$TMP/err"; check "diff missing new" 2 $?
one_line_error "diff missing new" "$TMP/err" "missing.json"
"$BIN" trace diff "$TMP/garbage.bin" "$BERT" >/dev/null 2>"$TMP/err"; check "diff not a trace" 2 $?
one_line_error "diff not a trace" "$TMP/err" "garbage.bin"
"$BIN" trace diff "$BERT" "$QWEN" --section ops >/dev/null 2>"$TMP/err"; check "diff --section" 2 $?
one_line_error "diff --section" "$TMP/err" "trace analyze"
"$BIN" trace analyze "$BERT" "$QWEN" >/dev/null 2>"$TMP/err"; check "analyze two files" 2 $?
one_line_error "analyze two files" "$TMP/err" "Qwen"
# doctor --trace: a healthy machine root (no findings of its own) plus the BERT trace gives the trace's findings.
"$BIN" doctor --root "$DATA/roots/healthy" --trace "$BERT" --format json -o "$TMP/doc.json"; check "doctor --trace" 0 $?
python3 - "$TMP/doc.json" <<'PY' || { echo "FAIL doctor --trace: findings"; fails=$((fails + 1)); }
import json, sys
d = json.load(open(sys.argv[1]))
ids = [f["id"] for f in d["findings"]]
assert "TRACE-GPU-IDLE-HIGH" in ids and "TRACE-LAUNCH-BOUND" in ids, ids
assert all(i.startswith("TRACE-") for i in ids), ids
PY
"$BIN" doctor --root "$DATA/roots/healthy" --trace "$TMP/missing.json" >/dev/null 2>"$TMP/err"; check "doctor --trace missing" 2 $?
one_line_error "doctor --trace missing" "$TMP/err" "missing.json"
# Operator table grouped by Python stack (key_averages(group_by_stack_n=2)); flag misuse is a usage error.
"$BIN" trace analyze "$BERT" --no-color --section ops --group-by stack --stack-depth 2 >"$TMP/grp.txt" 2>"$TMP/err"
check "group-by stack" 0 $?
grep -qF "Source Location: torch/nn/modules/linear.py(124): forward" "$TMP/grp.txt" ||
  { echo "FAIL group-by stack: no Source Location"; fails=$((fails + 1)); }
"$BIN" trace analyze "$BERT" --section ops --group-by stack --format json -o "$TMP/grp.json"; check "group-by json" 0 $?
python3 - "$TMP/grp.json" <<'PY' || { echo "FAIL group-by json"; fails=$((fails + 1)); }
import json, sys
ops = json.load(open(sys.argv[1]))["data"]["ops"]
assert ops["group_by"] == "stack" and ops["stack_depth"] == 5, ops
lin = [r for r in ops["top"] if r["name"] == "aten::linear"]
assert lin and lin[0]["stack"][0] == "torch/nn/modules/linear.py(124): forward", lin
PY
"$BIN" trace analyze "$BERT" --stack-depth 3 >/dev/null 2>"$TMP/err"; check "stack-depth alone" 2 $?
one_line_error "stack-depth alone" "$TMP/err" "group-by stack"
"$BIN" trace analyze "$BERT" --group-by stack --section kernels >/dev/null 2>"$TMP/err"; check "group-by without ops" 2 $?
one_line_error "group-by without ops" "$TMP/err" "section"
"$BIN" trace analyze "$BERT" --group-by shapes >/dev/null 2>"$TMP/err"; check "bad group-by" 2 $?
"$BIN" trace diff "$BERT" "$BERT" --group-by stack >/dev/null 2>"$TMP/err"; check "diff --group-by" 2 $?
one_line_error "diff --group-by" "$TMP/err" "trace analyze"
"$BIN" trace >/dev/null 2>&1; check "no arguments" 2 $?
exit $((fails > 0))
