#!/usr/bin/env bash
# What of scripts/gpu-smoke can be checked without a GPU: its syntax, its usage error, and the comparer of
# `infertune gpu --format json` with `nvidia-smi -q -x` on a real XML and hand-made reports.
# Usage: gpu_smoke_test.sh SOURCE_DIR
set -uo pipefail
src="$1"
data="$src/tests/data"
cmp="$src/scripts/gpu_smoke_compare.py"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fails=0
check() {  # NAME EXPECTED_RC ACTUAL_RC
  if [ "$2" != "$3" ]; then echo "FAIL $1: exit $3, expected $2"; fails=$((fails + 1)); else echo "ok   $1"; fi
}
expect_line() {  # NAME FILE REGEX
  if grep -Eq "$3" "$2"; then echo "ok   $1"; else echo "FAIL $1: no line matching '$3' in:"; cat "$2"; fails=$((fails + 1)); fi
}

bash -n "$src/scripts/gpu-smoke"; check "gpu-smoke parses (bash -n)" 0 $?
bash "$src/scripts/gpu-smoke" >"$tmp/usage" 2>&1; check "gpu-smoke without OUTDIR is a usage error" 2 $?
INFERTUNE=/nonexistent bash "$src/scripts/gpu-smoke" "$tmp/out" >"$tmp/nobin" 2>&1
check "gpu-smoke without a binary is a usage error" 2 $?

xml="$data/smi-xml/a100-sxm4-v12.xml"
python3 "$cmp" "$data/gpu-smoke/a100-agree.json" "$xml" >"$tmp/agree"; check "agreeing report passes" 0 $?
expect_line "driver compared" "$tmp/agree" '^PASS driver version: infertune 535.54.03'
expect_line "memory compared in MiB" "$tmp/agree" '^PASS GPU 0 memory_total_mib: infertune 81920, nvidia-smi 81920'
expect_line "uuid compared" "$tmp/agree" '^PASS GPU 0 uuid'
expect_line "unknown field skipped" "$tmp/agree" '^SKIP GPU 0 pcie_width_max: infertune None, nvidia-smi 16'
expect_line "current clock loosely" "$tmp/agree" '^PASS GPU 0 sm_clock_mhz \(loose\)'

sed -e 's/"pcie_gen_max": 4/"pcie_gen_max": 3/' -e 's/535.54.03/550.54.15/' "$data/gpu-smoke/a100-agree.json" >"$tmp/bad.json"
python3 "$cmp" "$tmp/bad.json" "$xml" >"$tmp/bad"; check "disagreeing report fails" 1 $?
expect_line "driver mismatch named" "$tmp/bad" '^FAIL driver version: infertune 550.54.15, nvidia-smi 535.54.03'
expect_line "PCIe mismatch named" "$tmp/bad" '^FAIL GPU 0 pcie_gen_max: infertune 3, nvidia-smi 4'

printf '{"command":"gpu","findings":[],"data":{"gpu":{"driver":{"driver_version":null},"devices":null},"unknown":{"gpu.devices":"NVML not in this build"}}}' >"$tmp/nonvml.json"
python3 "$cmp" "$tmp/nonvml.json" "$xml" >"$tmp/nonvml"; check "build without NVML: skipped, not failed" 0 $?
expect_line "says why skipped" "$tmp/nonvml" '^SKIP GPU devices: infertune reports none: NVML not in this build'

python3 "$cmp" "$tmp/nonvml.json" "$tmp/missing.xml" >"$tmp/noxml"; check "unreadable XML fails" 1 $?
echo "not json" >"$tmp/broken.json"
python3 "$cmp" "$tmp/broken.json" "$xml" >"$tmp/broken"; check "unreadable JSON fails" 1 $?
python3 "$cmp" >"$tmp/usage2" 2>&1; check "comparer usage error" 2 $?

# The trace comparer: our operator rows against PyTorch's key_averages rows of the same run.
tcmp="$src/scripts/gpu_smoke_trace_compare.py"
cat >"$tmp/ours.json" <<'EOF'
{"data": {"ops": {"count": 3, "top": [
 {"name": "aten::conv2d", "calls": 60, "cpu_total_ns": 4200000, "cpu_self_ns": 300000, "cuda_total_ns": 9100000, "cuda_self_ns": 0},
 {"name": "aten::addmm", "calls": 3, "cpu_total_ns": 90000, "cpu_self_ns": 60000, "cuda_total_ns": 12000, "cuda_self_ns": 12000},
 {"name": "ProfilerStep*", "calls": 3, "cpu_total_ns": 9000000, "cpu_self_ns": 1000, "cuda_total_ns": 9200000, "cuda_self_ns": 0}]}}}
EOF
cat >"$tmp/torch.json" <<'EOF'
{"model": "test", "torch": "2.5.1", "rows": [
 {"name": "aten::conv2d", "calls": 60, "cpu_total_us": 4210.0, "cpu_self_us": 300.0, "cuda_total_us": 9080.5, "cuda_self_us": 0},
 {"name": "aten::addmm", "calls": 3, "cpu_total_us": 93.0, "cpu_self_us": 60.0, "cuda_total_us": 12.0, "cuda_self_us": 12.0},
 {"name": "cudaLaunchKernel", "calls": 200, "cpu_total_us": 800.0, "cpu_self_us": 800.0, "cuda_total_us": 5.0, "cuda_self_us": 0},
 {"name": "ProfilerStep*", "calls": 3, "cpu_total_us": 9000.0, "cpu_self_us": 1.0, "cuda_total_us": 9200.0, "cuda_self_us": 0}]}
EOF
python3 "$tcmp" "$tmp/ours.json" "$tmp/torch.json" >"$tmp/tagree"; check "trace comparer: agreeing tables pass" 0 $?
expect_line "trace comparer: summary" "$tmp/tagree" '^2 of 2 top operators agree'
sed 's/"calls": 60, "cpu_total_us": 4210.0/"calls": 61, "cpu_total_us": 4210.0/' "$tmp/torch.json" >"$tmp/torch-bad.json"
python3 "$tcmp" "$tmp/ours.json" "$tmp/torch-bad.json" >"$tmp/tbad"; check "trace comparer: call count differs" 1 $?
expect_line "trace comparer: names the operator" "$tmp/tbad" '^BAD aten::conv2d +calls 60/61'
sed 's/"cuda_total_us": 9080.5/"cuda_total_us": 8000.0/' "$tmp/torch.json" >"$tmp/torch-slow.json"
python3 "$tcmp" "$tmp/ours.json" "$tmp/torch-slow.json" >"$tmp/tslow"; check "trace comparer: CUDA time off by 14 %" 1 $?
sed 's/aten::addmm/aten::mm/' "$tmp/torch.json" >"$tmp/torch-missing.json"
python3 "$tcmp" "$tmp/ours.json" "$tmp/torch-missing.json" >"$tmp/tmissing"; check "trace comparer: operator missing" 1 $?
expect_line "trace comparer: says which is missing" "$tmp/tmissing" '^MISSING aten::mm'
python3 "$tcmp" "$tmp/ours.json" "$tmp/broken.json" >"$tmp/tbroken"; check "trace comparer: unreadable input" 2 $?

[ "$fails" -eq 0 ] && echo "gpu_smoke_test: all passed"
[ "$fails" -eq 0 ]
