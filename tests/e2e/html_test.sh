#!/usr/bin/env bash
# The HTML report end to end: `trace analyze`, `trace diff` and `doctor` render --format html; the files are
# checked strictly (tag nesting, known tags only, every SVG well-formed XML, nothing external), then loaded in
# headless Chromium: the dumped DOM must hold the charts with their bars and paths, the findings and the
# escaped kernel names, and a screenshot must be a non-blank PNG of the window size.
# Without Chromium: exit 77 (ctest SKIP) after the checks that need no browser, or fail when
# INFERTUNE_REQUIRE_CHROMIUM=1 (CI).
set -u
BIN="$1"
DATA="$2"
HERE="$(cd "$(dirname "$0")" && pwd)"
CHECK="$HERE/html_check.py"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
fails=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }
BERT="$DATA/traces/tracelens_h100/gaunernst_bert-small-uncased__1016001.json.gz"
OTHER="$DATA/traces/tracelens_h100/$(ls "$DATA/traces/tracelens_h100" | grep -v bert | grep '\.json\.gz$' | head -1)"

# ---- render ----
"$BIN" trace analyze "$BERT" --format html -o "$TMP/trace.html"; rc=$?
[ $rc -eq 0 ] && [ -s "$TMP/trace.html" ] && ok "trace analyze --format html -o" || bad "trace analyze html: exit $rc"
"$BIN" trace analyze "$BERT" --format json -o "$TMP/trace.json" || bad "trace analyze json"
"$BIN" trace diff "$BERT" "$OTHER" --format html -o "$TMP/diff.html"; rc=$?
[ $rc -eq 0 ] && ok "trace diff --format html" || bad "trace diff html: exit $rc"
"$BIN" doctor --root "$DATA/roots/docker-v2" --format html --no-color -o "$TMP/doctor.html"; rc=$?
[ $rc -le 1 ] && [ -s "$TMP/doctor.html" ] && ok "doctor --format html" || bad "doctor html: exit $rc"
"$BIN" doctor --root "$DATA/roots/docker-v2" --format json -o "$TMP/doctor.json"
"$BIN" --format html doctor --root "$DATA/roots/docker-v2" >"$TMP/stdout.html"
cmp -s "$TMP/stdout.html" "$TMP/doctor.html" && ok "html on stdout equals the -o file" || bad "stdout html differs"
"$BIN" trace analyze "$BERT" --format html -q >"$TMP/quiet.html"
grep -q "<svg" "$TMP/quiet.html" && bad "quiet html has charts" || ok "quiet html: findings only"

# ---- strict well-formedness (no browser) ----
for f in trace diff doctor quiet; do
  python3 "$CHECK" strict "$TMP/$f.html" || bad "strict $f.html"
done

# The names that must round-trip: a kernel name with < > from the JSON output, the finding ids.
python3 - "$TMP" <<'PY' || bad "building the DOM expectations"
import json, sys
tmp = sys.argv[1]
t = json.load(open(tmp + "/trace.json"))
kernels = [k["name"] for k in t["data"]["kernels"]["top"]]
odd = [k for k in kernels if "<" in k or "&" in k]
assert odd, "no kernel name with markup characters in the sample"
spec = {
    "figures": {
        "chart-trace-top-kernels": {"exactly": {"rect.bar": len(kernels)}, "min": {"svg": 1, "text.tick": 3},
                                    "titles_containing": [odd[0]]},
        "chart-trace-kernel-classes": {"min": {"rect.bar": 2}},
        "chart-trace-top-ops": {"min": {"rect.bar": 3}, "titles_containing": ["aten::"]},
        "chart-trace-utilisation": {"exactly": {"path.s0.series": 1}, "min": {"line.grid": 4},
                                    "titles_containing": ["GPU 0: peak"], "texts": ["100 %", "0 %"],
                                    "paths_nonempty": True},
    },
    "findings": [f["id"] for f in t["findings"]],
    "finding_count": len(t["findings"]),
    "text": [odd[0], "GPU timeline", "infertune trace analyze"],
}
json.dump(spec, open(tmp + "/trace.spec.json", "w"))
d = json.load(open(tmp + "/doctor.json"))
assert d["findings"], "the doctor fixture raises no finding"
json.dump({"findings": [f["id"] for f in d["findings"]], "finding_count": len(d["findings"]),
           "text": ["infertune doctor", d["summary"][0]["title"]]}, open(tmp + "/doctor.spec.json", "w"))
json.dump({"figures": {"chart-trace-diff-changes": {"min": {"rect.bar": 2}}}, "text": ["What got slower"]},
          open(tmp + "/diff.spec.json", "w"))
PY

# ---- headless Chromium ----
CHROMIUM=""
for c in "${INFERTUNE_CHROMIUM:-}" chromium chromium-browser google-chrome; do
  [ -n "$c" ] && command -v "$c" >/dev/null 2>&1 && { CHROMIUM="$(command -v "$c")"; break; }
done
if [ -z "$CHROMIUM" ]; then
  if [ "${INFERTUNE_REQUIRE_CHROMIUM:-0}" = "1" ]; then
    echo "FAIL no chromium (INFERTUNE_REQUIRE_CHROMIUM=1): install Debian's chromium (scripts/install-deps test)"
    exit 1
  fi
  [ $fails -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
  echo "SKIP the Chromium checks: no chromium on PATH (the strict checks passed)"
  exit 77
fi
export HOME="$TMP/home" XDG_CONFIG_HOME="$TMP/home/.config" XDG_CACHE_HOME="$TMP/home/.cache"
mkdir -p "$HOME"
browse() {  # out-file, then chromium arguments; bounded in time, a fresh profile each run
  local out="$1"; shift
  timeout -k 5 90 "$CHROMIUM" --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --no-first-run --no-default-browser-check --disable-extensions --disable-background-networking \
    --disable-sync --disable-component-update --mute-audio --hide-scrollbars \
    --user-data-dir="$(mktemp -d "$TMP/profile.XXXXXX")" "$@" >"$out" 2>"$out.err"
}
for f in trace doctor diff; do
  if browse "$TMP/$f.dom.html" --dump-dom "file://$TMP/$f.html" && [ -s "$TMP/$f.dom.html" ]; then
    ok "chromium loaded $f.html"
    python3 "$CHECK" dom "$TMP/$f.dom.html" "$TMP/$f.spec.json" || bad "DOM of $f.html"
  else
    bad "chromium --dump-dom $f.html"; tail -5 "$TMP/$f.dom.html.err"
  fi
done
W=1100 H=1400
if browse "$TMP/shot.log" --window-size=$W,$H --screenshot="$TMP/shot.png" "file://$TMP/trace.html" &&
   [ -s "$TMP/shot.png" ]; then
  python3 "$CHECK" png "$TMP/shot.png" $W $H >"$TMP/light.txt" && cat "$TMP/light.txt" || bad "screenshot"
else
  bad "chromium --screenshot"; tail -5 "$TMP/shot.log.err"
fi
# prefers-color-scheme: dark gives a dark page.
if browse "$TMP/dark.log" --force-dark-mode --window-size=$W,$H --screenshot="$TMP/dark.png" \
     "file://$TMP/trace.html" && [ -s "$TMP/dark.png" ]; then
  python3 "$CHECK" png "$TMP/dark.png" $W $H >"$TMP/dark.txt" && cat "$TMP/dark.txt" || bad "dark screenshot"
  grep -q "top-left #ffffff" "$TMP/light.txt" && ok "light background" || bad "light background: $(cat "$TMP/light.txt")"
  grep -q "top-left #14171c" "$TMP/dark.txt" && ok "dark background" || bad "dark background: $(cat "$TMP/dark.txt")"
else
  bad "chromium --force-dark-mode --screenshot"; tail -5 "$TMP/dark.log.err"
fi

[ $fails -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all HTML checks passed"
