#!/usr/bin/env python3
"""Compares `infertune trace analyze --format json` operator rows with PyTorch's key_averages() from the same
profiler run (rows dumped by scripts/gpu-smoke as torch-key-averages.json).

Usage: gpu_smoke_trace_compare.py OURS.json TORCH.json
The 20 operators with the most CUDA time in PyTorch's table (CUDA API rows and ProfilerStep excluded) must be in
ours with the same call count, and CPU total / CUDA total within 2 % or 5 µs. Exit 0 when all agree, 1 otherwise,
2 on unreadable input. One line per operator, then a summary line.
"""
import json
import sys


def close(ours_ns, theirs_us):
    return abs(ours_ns / 1000 - theirs_us) <= max(5.0, 0.02 * abs(theirs_us))


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[3], file=sys.stderr)
        return 2
    try:
        ours_doc = json.load(open(sys.argv[1], encoding="utf-8"))
        theirs_doc = json.load(open(sys.argv[2], encoding="utf-8"))
        ours = {r["name"]: r for r in ours_doc["data"]["ops"]["top"]}
        theirs = theirs_doc["rows"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"unreadable input: {e}")
        return 2
    theirs = [r for r in theirs
              if r.get("cuda_total_us", 0) > 0 and not r["name"].startswith(("cuda", "cu", "hip", "ProfilerStep"))]
    theirs.sort(key=lambda r: -r["cuda_total_us"])
    top = theirs[:20]
    bad = 0
    for r in top:
        o = ours.get(r["name"])
        if o is None:
            print(f"MISSING {r['name']}")
            bad += 1
            continue
        ok = (o["calls"] == r["calls"] and close(o["cpu_total_ns"], r["cpu_total_us"])
              and close(o["cuda_total_ns"], r["cuda_total_us"]))
        bad += not ok
        print(f"{'ok ' if ok else 'BAD'} {r['name'][:40]:40} calls {o['calls']}/{r['calls']} "
              f"cpu {o['cpu_total_ns'] / 1000:.1f}/{r['cpu_total_us']:.1f} us "
              f"cuda {o['cuda_total_ns'] / 1000:.1f}/{r['cuda_total_us']:.1f} us")
    print(f"{len(top) - bad} of {len(top)} top operators agree with torch key_averages")
    return 1 if bad or not top else 0


if __name__ == "__main__":
    sys.exit(main())
