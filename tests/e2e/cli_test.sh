#!/usr/bin/env bash
# End-to-end checks of the built binary: exit codes, messages, files. Usage: cli_test.sh BINARY DATA_DIR
set -u
bin="$1"
data="$2"
roots="$data/roots"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
pass=0
fail=0

check() {  # check NAME EXPECTED_RC COMMAND...
  local name="$1" want="$2"
  shift 2
  "$@" >"$work/out" 2>"$work/err"
  local rc=$?
  if [ "$rc" -ne "$want" ]; then
    echo "FAIL $name: exit $rc, wanted $want"; sed 's/^/  stderr: /' "$work/err" | head -5; fail=$((fail + 1))
    return 1
  fi
  pass=$((pass + 1))
}
expect_in() {  # expect_in NAME FILE TEXT
  if ! grep -qF -- "$3" "$2"; then
    echo "FAIL $1: '$3' not in $(basename "$2")"; head -5 "$2" | sed 's/^/  /'; fail=$((fail + 1))
  else pass=$((pass + 1)); fi
}
one_line() {  # the error is exactly one line
  if [ "$(wc -l <"$work/err")" -ne 1 ]; then
    echo "FAIL $1: stderr has $(wc -l <"$work/err") lines"; cat "$work/err"; fail=$((fail + 1))
  else pass=$((pass + 1)); fi
}

check version 0 "$bin" --version && expect_in version "$work/out" "infertune 0.1.0 (git "
check help 0 "$bin" --help && expect_in help "$work/out" "doctor" && expect_in help-exit "$work/out" "Exit codes"
check help-cmd 0 "$bin" help doctor && expect_in help-cmd "$work/out" "--save"
check cmd-help 0 "$bin" doctor --help && expect_in cmd-help "$work/out" "--from"
check no-cmd 2 "$bin"
check typo-cmd 2 "$bin" docter && expect_in typo-cmd "$work/err" "unknown command 'docter' (did you mean 'doctor'?)" && one_line typo-cmd
check typo-flag 2 "$bin" doctor --frmat json && expect_in typo-flag "$work/err" "did you mean '--format'?" && one_line typo-flag
check typo-global 2 "$bin" --verbse doctor && expect_in typo-global "$work/err" "did you mean '--verbose'?"
check bad-format 2 "$bin" --format xml doctor && expect_in bad-format "$work/err" "--format" && one_line bad-format
check help-unknown 2 "$bin" help nosuch
check quiet-verbose 2 "$bin" doctor --quiet --verbose
check not-yet 3 "$bin" bench && expect_in not-yet "$work/err" "not available yet"
check bad-root 2 "$bin" doctor --root /nonexistent/dir && expect_in bad-root "$work/err" "--root /nonexistent/dir: not a directory"

# infertune compat: what-if against a driver and GPU given by hand, snapshot fixtures, bad flags (one line, exit 2).
csnap="$data/compat-snapshots"
check compat-root 0 "$bin" compat --root "$roots/healthy" && expect_in compat-root "$work/out" "Chain: driver"
check compat-whatif 1 "$bin" compat --root "$roots/healthy" --driver 550.54.14 --gpu L4 --target torch==2.9.0+cu130 \
  && expect_in compat-whatif "$work/out" "COMPAT-DRIVER-FORWARD-COMPAT" \
  && expect_in compat-whatif-fix "$work/out" "--index-url https://download.pytorch.org/whl/cu126"
check compat-whatif-ok 0 "$bin" compat --root "$roots/healthy" --driver 580.95.05 --gpu H100 --target torch==2.9.0+cu130
check compat-from 1 "$bin" compat --from "$csnap/rtx5090-cu126.json" && expect_in compat-from "$work/out" "COMPAT-ARCH-NOT-IN-BUILD"
check compat-json 0 "$bin" compat --from "$csnap/healthy-h100-cu130.json" --format json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert all(l["status"]=="ok" for l in d["data"]["chain"]), d["data"]["chain"]' "$work/out" \
  && pass=$((pass + 1)) || { echo "FAIL compat-json"; fail=$((fail + 1)); }
check compat-bad-target 2 "$bin" compat --target torch=2.8 && expect_in compat-bad-target "$work/err" "--target 'torch=2.8'" \
  && one_line compat-bad-target
check compat-bad-gpu 2 "$bin" compat --gpu "Voodoo 5" && expect_in compat-bad-gpu "$work/err" "--gpu 'Voodoo 5'" && one_line compat-bad-gpu
check compat-bad-driver 2 "$bin" compat --driver latest && expect_in compat-bad-driver "$work/err" "--driver 'latest'"
check compat-bad-data-dir 2 "$bin" compat --data-dir "$work/nowhere" && expect_in compat-bad-data-dir "$work/err" "cuda_driver.csv: cannot open" \
  && one_line compat-bad-data-dir

# infertune gpu: fixture roots, nvidia-smi XML import, bad XML files (one line naming the file, exit 2).
groots="$data/gpu-roots"
smi="$data/smi-xml"
check gpu-healthy 0 "$bin" gpu --root "$groots/healthy" && expect_in gpu-healthy "$work/out" "No findings." \
  && expect_in gpu-healthy-nvml "$work/out" "NVML and CUDA are not probed under --root"
check gpu-nouveau 1 "$bin" gpu --root "$groots/nouveau" && expect_in gpu-nouveau "$work/out" "GPU-BOUND-TO-NOUVEAU"
check gpu-x8 0 "$bin" gpu --root "$groots/x8" && expect_in gpu-x8 "$work/out" "GPU-PCIE-LINK-NARROW"
check gpu-none 1 "$bin" gpu --root "$groots/no-device" && expect_in gpu-none "$work/out" "GPU-NONE-VISIBLE"
check gpu-xml 0 "$bin" gpu --root "$groots/healthy" --from-smi-xml "$smi/v100-pcie-32gb.xml" \
  && expect_in gpu-xml "$work/out" "Tesla V100-PCIE-32GB" && expect_in gpu-xml-proc "$work/out" "mtopen-plugin:worker"
check gpu-xml-json 0 "$bin" gpu --root "$groots/healthy" --from-smi-xml "$smi/a100-sxm4-v12.xml" --format json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["data"]["gpu"]["devices"][0]["mig_mode"] is True' "$work/out" \
  && pass=$((pass + 1)) || { echo "FAIL gpu-xml-json"; fail=$((fail + 1)); }
check doctor-xml 0 "$bin" doctor --root "$roots/healthy" --from-smi-xml "$smi/gtx-1050.xml" && expect_in doctor-xml "$work/out" "GPU-PCIE-LINK-NARROW"
head -c 2000 "$smi/v100-pcie-32gb.xml" >"$work/trunc.xml"
check gpu-xml-trunc 2 "$bin" gpu --from-smi-xml "$work/trunc.xml" && expect_in gpu-xml-trunc "$work/err" "trunc.xml: not valid XML" && one_line gpu-xml-trunc
check gpu-xml-binary 2 "$bin" gpu --from-smi-xml "$bin" && one_line gpu-xml-binary
printf '<?xml version="1.0"?><html/>' >"$work/html.xml"
check gpu-xml-root 2 "$bin" gpu --from-smi-xml "$work/html.xml" && expect_in gpu-xml-root "$work/err" "expected <nvidia_smi_log>" && one_line gpu-xml-root
check gpu-xml-missing 2 "$bin" gpu --from-smi-xml "$work/nope.xml" && expect_in gpu-xml-missing "$work/err" "nope.xml: cannot open" && one_line gpu-xml-missing
check doctor-xml-bad 2 "$bin" doctor --from-smi-xml "$work/html.xml" && one_line doctor-xml-bad

# --pid / --process on fixture roots (tests/data/target-roots), with the real V100 XML listing the server's PID.
troots="$data/target-roots"
ran() {  # ran NAME COMMAND...: a report came out (exit 0 or 1: the findings decide)
  local name="$1"
  shift
  "$@" >"$work/out" 2>"$work/err"
  local rc=$?
  if [ "$rc" -gt 1 ]; then
    echo "FAIL $name: exit $rc"; sed 's/^/  stderr: /' "$work/err" | head -5; fail=$((fail + 1))
    return 1
  fi
  pass=$((pass + 1))
}
ran pid-on-gpu "$bin" gpu --root "$troots/host" --from-smi-xml "$smi/v100-pcie-32gb.xml" --pid 4027538 \
  && expect_in pid-on-gpu "$work/out" "PROCESS-ON-GPU " && expect_in pid-shared "$work/out" "GPU-SHARED-WITH-PROCESSES" \
  && expect_in pid-marked "$work/out" "pid 4027538 (target)" && expect_in pid-verdict "$work/out" "Verdict"
ran pid-process "$bin" gpu --root "$troots/host" --from-smi-xml "$smi/v100-pcie-32gb.xml" --process vllm --format json \
  && expect_in pid-process "$work/out" '"selected_by": "--process vllm"'
ran pid-no-cuda "$bin" gpu --root "$troots/host" --pid 4100 && expect_in pid-no-cuda "$work/out" "PROCESS-NO-CUDA"
ran pid-cpu "$bin" doctor --root "$troots/host" --pid 4200 && expect_in pid-cpu "$work/out" "PROCESS-NOT-ON-GPU"
ran pid-container "$bin" gpu --root "$troots/container" --from-smi-xml "$smi/v100-pcie-32gb.xml" --pid 1 \
  && expect_in pid-container "$work/out" "PROCESS-GPU-UNDETERMINED"
check pid-missing 2 "$bin" gpu --root "$troots/host" --pid 999999 && expect_in pid-missing "$work/err" "--pid 999999: no such process" && one_line pid-missing
check pid-zero 2 "$bin" gpu --pid 0 && one_line pid-zero
check pid-text 2 "$bin" gpu --pid abc && one_line pid-text
check pid-both 2 "$bin" gpu --pid 1 --process x
check pid-ambiguous 2 "$bin" gpu --root "$troots/host" --process python3 && expect_in pid-ambiguous "$work/err" "matches 3 processes" && one_line pid-ambiguous
check pid-none 2 "$bin" doctor --root "$troots/host" --process nosuchserver && expect_in pid-none "$work/err" "no process has that name" && one_line pid-none
check pid-from 2 "$bin" doctor --from "$work/nope.json" --pid 1 && expect_in pid-from "$work/err" "--from" && one_line pid-from

# Fixture roots: healthy has no findings; docker-v2 has warnings only.
check healthy 0 "$bin" doctor --root "$roots/healthy" && expect_in healthy "$work/out" "No findings."
check healthy-env 0 env INFERTUNE_ROOT="$roots/healthy" "$bin" doctor
check docker 0 "$bin" doctor --root "$roots/docker-v2" --no-color && expect_in docker "$work/out" "CPU-QUOTA-BELOW-THREADS"
if grep -q $'\x1b\[' "$work/out"; then echo "FAIL no-color: escape codes"; fail=$((fail + 1)); fi
check fail-on-warning 1 "$bin" doctor --root "$roots/docker-v2" --fail-on warning
check baremetal-errors 1 "$bin" doctor --root "$roots/baremetal"
check json 0 "$bin" doctor --root "$roots/docker-v2" --format json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["schema"]=="infertune.report"; assert d["findings"]' "$work/out" \
  && pass=$((pass + 1)) || { echo "FAIL json: not a valid report"; fail=$((fail + 1)); }
check markdown 0 "$bin" doctor --root "$roots/docker-v2" --format markdown && expect_in markdown "$work/out" "## Findings"

# --save / --from round trip gives the same findings.
check save 0 "$bin" doctor --root "$roots/docker-v2" --save "$work/snap.json" --format json -o "$work/a.json"
check from 0 "$bin" doctor --from "$work/snap.json" --format json -o "$work/b.json"
python3 - "$work/a.json" "$work/b.json" <<'PY' && pass=$((pass + 1)) || { echo "FAIL save/from: findings differ"; fail=$((fail + 1)); }
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert [f["id"] for f in a["findings"]] == [f["id"] for f in b["findings"]], (a["findings"], b["findings"])
assert a["findings"] == b["findings"]
PY
check from-stdin 0 sh -c "\"$bin\" doctor --from - < \"$work/snap.json\""

# Bad snapshot files: one clear line naming the file, exit 2.
: >"$work/empty.json"
check from-empty 2 "$bin" doctor --from "$work/empty.json" && expect_in from-empty "$work/err" "empty.json: file is empty" && one_line from-empty
head -c 300 "$work/snap.json" >"$work/trunc.json"
check from-trunc 2 "$bin" doctor --from "$work/trunc.json" && expect_in from-trunc "$work/err" "not valid JSON" && one_line from-trunc
head -c 4096 "$bin" >"$work/binary.json"
check from-binary 2 "$bin" doctor --from "$work/binary.json" && one_line from-binary
sed 's/"total_bytes": [0-9]*/"total_bytes": "lots"/' "$work/snap.json" >"$work/types.json"
check from-types 2 "$bin" doctor --from "$work/types.json" && expect_in from-types "$work/err" "host.memory.total_bytes: expected an integer, found string"
sed 's/"schema_version": "1\.[0-9]*"/"schema_version": "2.0"/' "$work/snap.json" >"$work/newer.json"
check from-newer 2 "$bin" doctor --from "$work/newer.json" && expect_in from-newer "$work/err" "newer than this infertune reads"
check from-missing 2 "$bin" doctor --from "$work/nope.json" && expect_in from-missing "$work/err" "nope.json: cannot open"
check from-dir 2 "$bin" doctor --from "$work" && expect_in from-dir "$work/err" "is a directory"
truncate -s 70M "$work/huge.json"
check from-huge 2 "$bin" doctor --from "$work/huge.json" && expect_in from-huge "$work/err" "too large"

# Output files: complete or absent, never partial.
check output 0 "$bin" doctor --root "$roots/healthy" -o "$work/report.txt"
[ -s "$work/report.txt" ] && [ ! -s "$work/out" ] && pass=$((pass + 1)) || { echo "FAIL output: file/stdout"; fail=$((fail + 1)); }
check output-baddir 3 "$bin" doctor --root "$roots/healthy" -o "$work/no/such/dir/r.txt" && expect_in output-baddir "$work/err" "--output"
[ ! -e "$work/no" ] && pass=$((pass + 1)) || { echo "FAIL output-baddir left files"; fail=$((fail + 1)); }
mkdir "$work/ro" && chmod 555 "$work/ro"
if [ "$(id -u)" -ne 0 ]; then
  check save-readonly 3 "$bin" doctor --root "$roots/healthy" --save "$work/ro/s.json"
  [ -z "$(ls -A "$work/ro")" ] && pass=$((pass + 1)) || { echo "FAIL save-readonly left a file"; fail=$((fail + 1)); }
fi

# The live machine: must work whatever it is (exit 0 or 1), and quickly.
"$bin" doctor >"$work/out" 2>"$work/err"
rc=$?
if [ "$rc" -gt 1 ]; then echo "FAIL live doctor: exit $rc"; cat "$work/err"; fail=$((fail + 1)); else pass=$((pass + 1)); fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
