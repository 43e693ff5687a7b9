#!/usr/bin/env bash
# End-to-end checks of `infertune trace memory SNAPSHOT`: formats, exit codes, findings, one-line errors on bad
# input, and a malicious pickle that must be refused without running anything.
set -u
BIN="$1"
DATA="$2/snapshots"
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

"$BIN" trace memory "$DATA/realistic_p4.pickle" --no-color >"$TMP/out.txt" 2>"$TMP/err"; check "text report" 0 $?
for want in "GPU 0 memory" "Reserved  *86.0 MiB" "Peak allocated  *68.0 MiB" "/srv/app/serve.py:42 load_model" \
  "Largest live allocations (GPU 0)"; do
  grep -q "$want" "$TMP/out.txt" || { echo "FAIL text: no '$want'"; fails=$((fails + 1)); }
done
"$BIN" trace memory "$DATA/fragmented.pickle.gz" --format json -o "$TMP/frag.json"; check "json gzip" 0 $?
python3 - "$TMP/frag.json" <<'PY' || { echo "FAIL json: fragmented"; fails=$((fails + 1)); }
import json, sys
d = json.load(open(sys.argv[1]))
dev = d["data"]["devices"][0]
assert dev["inactive"] == 464 << 20 and dev["reserved"] == 1024 << 20, dev
assert dev["peak_allocated"] == 656 << 20, dev["peak_allocated"]
assert d["data"]["snapshot"]["gzip"] is True
assert [f["id"] for f in d["findings"]] == ["TRACE-MEM-FRAGMENTED"], d["findings"]
PY
"$BIN" trace memory "$DATA/fragmented.pickle" --fail-on warning >/dev/null; check "fail-on warning" 1 $?
"$BIN" trace memory "$DATA/oom.pickle" --format markdown >"$TMP/oom.md"; check "oom is an error finding" 1 $?
grep -q "TRACE-MEM-OOM" "$TMP/oom.md" || { echo "FAIL markdown: OOM finding"; fails=$((fails + 1)); }
"$BIN" trace memory "$DATA/missing_keys.pickle" --top 1 >/dev/null 2>"$TMP/err"; check "missing keys" 0 $?

# A pickle that would run `touch` when loaded by Python's pickle: refused at the GLOBAL opcode, nothing run.
printf "cos\nsystem\n(S'touch %s/pwned'\ntR." "$TMP" >"$TMP/evil.pickle"
"$BIN" trace memory "$TMP/evil.pickle" >/dev/null 2>"$TMP/err"; check "malicious pickle" 2 $?
one_line_error "malicious pickle" "$TMP/err" "evil.pickle: opcode GLOBAL (0x63) is not plain data"
[ -e "$TMP/pwned" ] && { echo "FAIL malicious pickle: the command ran"; fails=$((fails + 1)); }
printf '\x80\x04\x8c\x02os\x8c\x06system\x93\x8c\x04true\x85R.' >"$TMP/evil4.pickle"
"$BIN" trace memory "$TMP/evil4.pickle" >/dev/null 2>"$TMP/err"; check "STACK_GLOBAL pickle" 2 $?
one_line_error "STACK_GLOBAL pickle" "$TMP/err" "STACK_GLOBAL (0x93).* at byte 14"

head -c 1000 "$DATA/oom.pickle" >"$TMP/cut.pickle"
"$BIN" trace memory "$TMP/cut.pickle" >/dev/null 2>"$TMP/err"; check "truncated pickle" 2 $?
one_line_error "truncated pickle" "$TMP/err" "cut.pickle: truncated pickle"
head -c 400 "$DATA/fragmented.pickle.gz" >"$TMP/cut.pickle.gz"
"$BIN" trace memory "$TMP/cut.pickle.gz" >/dev/null 2>"$TMP/err"; check "truncated gzip" 2 $?
one_line_error "truncated gzip" "$TMP/err" "cut.pickle.gz: truncated gzip"
printf '' >"$TMP/empty.pickle"
"$BIN" trace memory "$TMP/empty.pickle" >/dev/null 2>"$TMP/err"; check "empty file" 2 $?
one_line_error "empty file" "$TMP/err" "empty.pickle: empty file"
head -c 4096 /dev/urandom >"$TMP/garbage.bin"
"$BIN" trace memory "$TMP/garbage.bin" >/dev/null 2>"$TMP/err"; check "garbage" 2 $?
one_line_error "garbage" "$TMP/err" "garbage.bin"
printf '\x80\x02K\x05.' >"$TMP/int.pickle"
"$BIN" trace memory "$TMP/int.pickle" >/dev/null 2>"$TMP/err"; check "not a snapshot" 2 $?
one_line_error "not a snapshot" "$TMP/err" "int.pickle: not a memory snapshot"
"$BIN" trace memory "$TMP/missing.pickle" >/dev/null 2>"$TMP/err"; check "missing file" 2 $?
one_line_error "missing file" "$TMP/err" "missing.pickle"
"$BIN" trace memory "$DATA/oom.pickle" "$DATA/oom.pickle" >/dev/null 2>"$TMP/err"; check "two files" 2 $?
one_line_error "two files" "$TMP/err" "one snapshot"
"$BIN" trace memory "$DATA/oom.pickle" --section ops >/dev/null 2>"$TMP/err"; check "--section" 2 $?
one_line_error "--section" "$TMP/err" "trace memory"
"$BIN" trace --help | grep -q "memory SNAPSHOT" || { echo "FAIL help: memory action"; fails=$((fails + 1)); }
exit $((fails > 0))
