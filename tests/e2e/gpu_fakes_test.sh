#!/usr/bin/env bash
# End to end through the binary against the fake NVIDIA libraries (tests/fakes), on the live system (the fakes
# replace the driver's libraries through INFERTUNE_NVML_LIBRARY / INFERTUNE_CUDA_LIBRARY).
# Usage: gpu_fakes_test.sh BINARY FAKE_NVML FAKE_CUDA PROFILES_DIR
set -u
bin="$1"
export INFERTUNE_NVML_LIBRARY="$2"
export INFERTUNE_CUDA_LIBRARY="$3"
profiles="$4"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
pass=0
fail=0
unset CUDA_VISIBLE_DEVICES

run() {  # run NAME PROFILE ARGS...: exit 0 or 1 (findings) is fine, anything else (crash, usage) is not
  local name="$1" prof="$2"
  shift 2
  INFERTUNE_FAKE_GPU_PROFILE="$prof" "$bin" "$@" >"$work/out" 2>"$work/err"
  local rc=$?
  if [ "$rc" -gt 1 ]; then
    echo "FAIL $name: exit $rc"; sed 's/^/  stderr: /' "$work/err" | head -5; fail=$((fail + 1)); return 1
  fi
  pass=$((pass + 1))
}
expect_in() {  # expect_in NAME TEXT
  if ! grep -qF -- "$2" "$work/out"; then
    echo "FAIL $1: '$2' not in the output"; head -40 "$work/out" | sed 's/^/  /'; fail=$((fail + 1))
  else pass=$((pass + 1)); fi
}
expect_not_in() {
  if grep -qF -- "$2" "$work/out"; then echo "FAIL $1: '$2' in the output"; fail=$((fail + 1)); else pass=$((pass + 1)); fi
}

run h100-text "$profiles/h100.json" gpu && expect_in h100-name "NVIDIA H100 80GB HBM3" \
  && expect_in h100-nvml "libnvidia-ml.so.550.54.15" && expect_in h100-cuda "cuInit ok" \
  && expect_in h100-proc "pid 4242" && expect_in h100-sm "SM 85%" && expect_not_in h100-timeout "GPU-PROBE-TIMEOUT"
run h100-json "$profiles/h100.json" gpu --format json && expect_in h100-json-uuid '"GPU-4f1e2d3c-5b6a-7980-a1b2-c3d4e5f60718"' \
  && expect_in h100-json-src '"NVML nvmlDeviceGetMemoryInfo_v2"' && expect_in h100-json-cuda '"driver_api_version": "12.4"'
run t4 "$profiles/t4_power_cap.json" gpu && expect_in t4-throttle "GPU-CLOCKS-THROTTLED" && expect_in t4-reason "sw_power_cap"
run mismatch "$profiles/mismatch.json" gpu && expect_in mismatch-id "GPU-DRIVER-LIB-MISMATCH" \
  && expect_in mismatch-cuinit "GPU-CUINIT-FAILED" && expect_in mismatch-803 "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH"
run lost "$profiles/gpu_lost.json" gpu && expect_in lost-id "GPU-LOST"
run doctor "$profiles/h100.json" doctor --format json && expect_in doctor-nvml '"init_result": "NVML_SUCCESS"'

# A call that blocks past the 5 s deadline: the report still comes out, the timeout is a finding, the process
# exits cleanly while the abandoned call still sleeps inside the fake.
sed 's/"seconds": 3/"seconds": 9/' "$profiles/blocking.json" >"$work/blocking.json"
start=$(date +%s)
run blocking "$work/blocking.json" gpu && expect_in blocking-id "GPU-PROBE-TIMEOUT" \
  && expect_in blocking-text "nvmlDeviceGetHandleByIndex_v2 did not answer in 5 s"
took=$(( $(date +%s) - start ))
if [ "$took" -ge 9 ]; then echo "FAIL blocking: took ${took}s, the deadline is 5 s"; fail=$((fail + 1)); else pass=$((pass + 1)); fi

# No library where it points: said plainly, with where.
INFERTUNE_NVML_LIBRARY="$work/none/libnvidia-ml.so.1" run missing "$profiles/h100.json" gpu \
  && expect_in missing-lib "cannot load $work/none/libnvidia-ml.so.1"

# --from-smi-xml still replaces the device state NVML gave.
run xml "$profiles/h100.json" gpu --from-smi-xml "$profiles/../../data/smi-xml/gtx-1050.xml" \
  && expect_in xml-name "GeForce GTX 1050" && expect_not_in xml-h100 "GPU 0 · NVIDIA H100"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
