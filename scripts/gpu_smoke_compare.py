#!/usr/bin/env python3
"""Compares `infertune gpu --format json` with `nvidia-smi -q -x` (stdlib only; used by scripts/gpu-smoke).

Usage: gpu_smoke_compare.py INFERTUNE_JSON NVIDIA_SMI_XML
Prints one line per check: PASS / FAIL / SKIP, then a count. Exit status 1 when any check failed.
A field that either side does not report is SKIP, not FAIL: infertune may be built without NVML yet.
"""
import json
import re
import sys
import xml.etree.ElementTree as ET


def num(text):
    """'81559 MiB' -> 81559, '16x' -> 16, '1980 MHz' -> 1980; None for N/A and the like."""
    if text is None:
        return None
    m = re.match(r"\s*(\d+)", text)
    return int(m.group(1)) if m else None


def smi_devices(root):
    out = []
    for g in root.findall("gpu"):
        def t(path):
            e = g.find(path)
            return e.text.strip() if e is not None and e.text else None
        out.append({
            "name": t("product_name"),
            "uuid": t("uuid"),
            "memory_total_mib": num(t("fb_memory_usage/total")),
            "sm_clock_max_mhz": num(t("max_clocks/sm_clock")),
            "mem_clock_max_mhz": num(t("max_clocks/mem_clock")),
            "pcie_gen_max": num(t("pci/pci_gpu_link_info/pcie_gen/max_link_gen")),
            "pcie_width_max": num(t("pci/pci_gpu_link_info/link_widths/max_link_width")),
            "sm_clock_mhz": num(t("clocks/sm_clock")),
        })
    return out


def infertune_devices(doc):
    data = doc.get("data", doc)
    gpu = data.get("gpu") or {}
    devs = gpu.get("devices")
    why = (data.get("unknown") or {}).get("gpu.devices", "not reported")
    if devs is None:
        return None, why
    out = []
    for d in devs:
        total = d.get("memory_total_bytes")
        out.append({
            "name": d.get("name"),
            "uuid": d.get("uuid"),
            "memory_total_mib": total // (1 << 20) if isinstance(total, int) else None,
            "sm_clock_max_mhz": d.get("sm_clock_max_mhz"),
            "mem_clock_max_mhz": d.get("mem_clock_max_mhz"),
            "pcie_gen_max": d.get("pcie_gen_max"),
            "pcie_width_max": d.get("pcie_width_max"),
            "sm_clock_mhz": d.get("sm_clock_mhz"),
        })
    return out, None


def compare(doc, root):
    """Returns a list of (status, check, detail)."""
    results = []
    data = doc.get("data", doc)
    smi_driver = root.findtext("driver_version")
    ours_driver = ((data.get("gpu") or {}).get("driver") or {}).get("driver_version")
    if smi_driver and ours_driver:
        results.append(("PASS" if smi_driver.strip() == ours_driver else "FAIL", "driver version",
                        f"infertune {ours_driver}, nvidia-smi {smi_driver.strip()}"))
    else:
        results.append(("SKIP", "driver version", f"infertune {ours_driver}, nvidia-smi {smi_driver}"))
    smi = smi_devices(root)
    ours, why = infertune_devices(doc)
    if ours is None:
        results.append(("SKIP", "GPU devices", f"infertune reports none: {why}"))
        return results
    results.append(("PASS" if len(ours) == len(smi) else "FAIL", "GPU count",
                    f"infertune {len(ours)}, nvidia-smi {len(smi)}"))
    by_uuid = {d["uuid"]: d for d in ours if d.get("uuid")}
    for i, s in enumerate(smi):
        o = by_uuid.get(s["uuid"]) or (ours[i] if i < len(ours) else None)
        label = f"GPU {i}"
        if o is None:
            results.append(("FAIL", f"{label} present", f"nvidia-smi lists {s['uuid']}, infertune does not"))
            continue
        for key in ("name", "uuid", "memory_total_mib", "sm_clock_max_mhz", "mem_clock_max_mhz", "pcie_gen_max",
                    "pcie_width_max"):
            a, b = o.get(key), s.get(key)
            if a is None or b is None:
                results.append(("SKIP", f"{label} {key}", f"infertune {a}, nvidia-smi {b}"))
                continue
            if key == "memory_total_mib":
                ok = abs(a - b) <= 1  # rounding of bytes to MiB
            else:
                ok = a == b
            results.append(("PASS" if ok else "FAIL", f"{label} {key}", f"infertune {a}, nvidia-smi {b}"))
        # Current clocks move between the two reads: only a loose check.
        a, b = o.get("sm_clock_mhz"), s.get("sm_clock_mhz")
        if a is None or b is None:
            results.append(("SKIP", f"{label} sm_clock_mhz", f"infertune {a}, nvidia-smi {b}"))
        else:
            ok = abs(a - b) <= max(300, b // 4)
            results.append(("PASS" if ok else "FAIL", f"{label} sm_clock_mhz (loose)",
                            f"infertune {a}, nvidia-smi {b}"))
    return results


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print(f"FAIL infertune JSON: cannot read {argv[1]}: {e}")
        return 1
    try:
        root = ET.parse(argv[2]).getroot()
    except (OSError, ET.ParseError) as e:
        print(f"FAIL nvidia-smi XML: cannot read {argv[2]}: {e}")
        return 1
    results = compare(doc, root)
    for status, check, detail in results:
        print(f"{status} {check}: {detail}")
    counts = {k: sum(1 for r in results if r[0] == k) for k in ("PASS", "FAIL", "SKIP")}
    print(f"compare: {counts['PASS']} pass, {counts['FAIL']} fail, {counts['SKIP']} skipped")
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
