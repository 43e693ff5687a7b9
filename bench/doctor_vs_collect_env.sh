#!/usr/bin/env bash
# Wall time of `infertune doctor` and `infertune compat` next to `python3 -m torch.utils.collect_env` (the
# anchor: what users run to describe their environment), in one hyperfine run on the same machine.
# Needs: hyperfine, Debian's python3-torch (for the anchor). Usage: bench/doctor_vs_collect_env.sh [BINARY]
set -euo pipefail
bin="${1:-build/infertune}"
py=/usr/bin/python3
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 3; }
"$py" -c 'import torch' 2>/dev/null || { echo "needs Debian's python3-torch for the anchor" >&2; exit 3; }
hyperfine --warmup 2 --runs "${RUNS:-10}" -N --ignore-failure \
  --export-markdown "${OUT:-/dev/stdout}" \
  "$bin doctor --no-color" \
  "$bin doctor --format json" \
  "$bin compat --no-color" \
  "$py -m torch.utils.collect_env"
