#!/usr/bin/env python3
"""Writes the memory-snapshot fixtures: pickles shaped like torch.cuda.memory._dump_snapshot(path) output
(a dict of plain lists/dicts/str/int/bool, see torch/csrc/cuda/Module.cpp), made with the standard pickle
module only. Run from anywhere: python3 make_snapshots.py [OUTDIR]. Deterministic for a given Python."""
import gzip
import os
import pickle
import sys

MiB = 1 << 20
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))


def frame(filename, line, name):
    return {"filename": filename, "line": line, "name": name}


# Frames are shared objects, as PyTorch's symbolizer returns them: the pickle memoizes them (BINGET).
CXX_ALLOC = frame("??", 0, "c10::cuda::CUDACachingAllocator::Native::DeviceCachingAllocator::malloc")
CXX_GATHER = frame("??", 0, "torch::CapturedTraceback::gather(bool, bool, bool)")
TORCH_CONVERT = frame("/usr/lib/python3/dist-packages/torch/nn/modules/module.py", 1326, "convert")
TORCH_APPLY = frame("/usr/lib/python3/dist-packages/torch/nn/modules/module.py", 900, "_apply")
TORCH_LINEAR = frame("/usr/lib/python3/dist-packages/torch/nn/modules/linear.py", 125, "forward")
TORCH_CALL = frame("/usr/lib/python3/dist-packages/torch/nn/modules/module.py", 1747, "_call_impl")
APP_LOAD = frame("/srv/app/serve.py", 42, "load_model")
APP_MAIN = frame("/srv/app/serve.py", 88, "main")
APP_FWD = frame("/srv/app/model.py", 57, "forward")
APP_STEP = frame("/srv/app/serve.py", 64, "generate_step")
APP_KV = frame("/srv/app/kv_cache.py", 31, "grow")

WEIGHTS = [CXX_GATHER, CXX_ALLOC, TORCH_CONVERT, TORCH_APPLY, APP_LOAD, APP_MAIN]
ACTS = [CXX_GATHER, CXX_ALLOC, TORCH_LINEAR, TORCH_CALL, APP_FWD, APP_STEP, APP_MAIN]
KV = [CXX_ALLOC, APP_KV, APP_STEP, APP_MAIN]
INTERNAL_ONLY = [CXX_GATHER, CXX_ALLOC, TORCH_LINEAR, TORCH_CALL]


def segment(device, address, blocks, large=True, stream=0, expandable=False, frames=None):
    """blocks: [(size, state, requested, frames)]; addresses are laid out contiguously like the allocator's."""
    out, addr = [], address
    for size, state, requested, fr in blocks:
        out.append({"address": addr, "size": size, "requested_size": requested, "state": state, "frames": fr})
        addr += size
    alloc = sum(b["size"] for b in out if b["state"] == "active_allocated")
    active = sum(b["size"] for b in out if b["state"] != "inactive")
    req = sum(b["requested_size"] for b in out if b["state"] == "active_allocated")
    return {"device": device, "address": address, "total_size": addr - address, "allocated_size": alloc,
            "active_size": active, "requested_size": req, "stream": stream,
            "segment_type": "large" if large else "small", "segment_pool_id": (0, 0),
            "is_expandable": expandable, "frames": frames if frames is not None else [], "blocks": out}


def ev(action, addr, size, t, frames=None, stream=0):
    e = {"action": action, "addr": addr, "size": size, "stream": stream, "time_us": t}
    if frames is not None:
        e["frames"] = frames
    return e


def settings(conf="", expandable=False):
    return {"PYTORCH_CUDA_ALLOC_CONF": conf, "max_split_size": -1, "garbage_collection_threshold": 0.0,
            "expandable_segments": expandable, "pinned_num_register_threads": 1,
            "release_lock_on_cudamalloc": False, "pinned_use_cuda_host_register": False,
            "roundup_power2_divisions": {"1": 0, "2": 0}}


def realistic():
    """One GPU: weights, activations, a pending free, the small pool; the history from an empty allocator.
    Peak allocated = 40 + 8 + 4 + 16 MiB = 68 MiB at the 16 MiB temporary (entry 5)."""
    s0, s1, s2 = 0x7F0000000000, 0x7F0004000000, 0x7F0006000000
    segs = [
        segment(0, s0, [(40 * MiB, "active_allocated", 40 * MiB - 256, WEIGHTS), (24 * MiB, "inactive", 0, [])],
                frames=WEIGHTS),
        segment(0, s1, [(8 * MiB, "active_allocated", 8 * MiB, ACTS), (4 * MiB, "active_pending_free", 4 * MiB, KV),
                        (8 * MiB, "inactive", 0, [])]),
        segment(0, s2, [(512, "active_allocated", 4, INTERNAL_ONLY)] * 3 + [(2 * MiB - 1536, "inactive", 0, [])],
                large=False),
    ]
    tr = [
        ev("segment_alloc", s0, 64 * MiB, 1000, WEIGHTS),
        ev("alloc", s0, 40 * MiB, 1001, WEIGHTS),
        ev("segment_alloc", s1, 20 * MiB, 2000, ACTS),
        ev("alloc", s1, 8 * MiB, 2001, ACTS),
        ev("alloc", s1 + 8 * MiB, 4 * MiB, 2002, KV),
        ev("alloc", s0 + 40 * MiB, 16 * MiB, 2003, ACTS),
        ev("free_requested", s0 + 40 * MiB, 16 * MiB, 2100, ACTS),
        ev("free_completed", s0 + 40 * MiB, 16 * MiB, 2101, ACTS),
        ev("segment_alloc", s2, 2 * MiB, 2200, INTERNAL_ONLY),
        ev("alloc", s2, 512, 2201, INTERNAL_ONLY),
        ev("alloc", s2 + 512, 512, 2202, INTERNAL_ONLY),
        ev("alloc", s2 + 1024, 512, 2203, INTERNAL_ONLY),
        ev("free_requested", s1 + 8 * MiB, 4 * MiB, 2300, KV),
        ev("snapshot", 0, 0, 2400),
    ]
    return {"segments": segs, "device_traces": [tr], "allocator_settings": settings()}


def fragmented():
    """Eight 128 MiB segments, each 70 MiB allocated and 58 MiB free (45 % of reserved inactive); a 96 MiB
    request cannot fit in any hole. The history ring buffer had dropped its start: the replay is anchored at
    the end state (560 MiB), so the peak is 656 MiB at entry 0."""
    segs = []
    base = 0x7E0000000000
    for i in range(8):
        segs.append(segment(0, base + i * 256 * MiB,
                            [(70 * MiB, "active_allocated", 70 * MiB, ACTS), (58 * MiB, "inactive", 0, [])]))
    tr = [
        ev("alloc", base + 8 * 256 * MiB, 96 * MiB, 50000, ACTS),
        ev("free_requested", base + 8 * 256 * MiB, 96 * MiB, 50100, ACTS),
        ev("free_completed", base + 8 * 256 * MiB, 96 * MiB, 50101, ACTS),
    ]
    return {"segments": segs, "device_traces": [tr], "allocator_settings": settings("max_split_size_mb:1024")}


def oom():
    """Two GPUs; GPU 1 holds 900 MiB in a 1 GiB segment and then asks for 2 GiB: an OOM with 300 MiB free."""
    s = 0x7D0000000000
    segs = [
        segment(0, 0x7C0000000000, [(MiB, "active_allocated", MiB, ACTS), (MiB, "inactive", 0, [])]),
        segment(1, s, [(900 * MiB, "active_allocated", 900 * MiB, KV), (124 * MiB, "inactive", 0, [])]),
    ]
    oom_entry = {"action": "oom", "device_free": 300 * MiB, "size": 2048 * MiB, "stream": 0, "time_us": 9000,
                 "frames": KV}
    tr0 = [ev("segment_alloc", 0x7C0000000000, 2 * MiB, 10), ev("alloc", 0x7C0000000000, MiB, 11)]
    tr1 = [ev("segment_alloc", s, 1024 * MiB, 100, KV), ev("alloc", s, 900 * MiB, 101, KV), oom_entry]
    return {"segments": segs, "device_traces": [tr0, tr1], "allocator_settings": settings("", True)}


def missing_keys():
    """An older layout: no device_traces, no allocator_settings; blocks without requested_size or frames;
    segments without device, segment_type or is_expandable."""
    return {"segments": [
        {"address": 0x7B0000000000, "total_size": 4 * MiB, "stream": 0,
         "blocks": [{"size": 3 * MiB, "state": "active_allocated"}, {"size": MiB, "state": "inactive"}]},
    ]}


def bad_types():
    """Fields with the wrong type: counted and ignored, the rest still analysed."""
    good = segment(0, 0x7A0000000000, [(MiB, "active_allocated", MiB, ACTS), (MiB, "inactive", 0, [])])
    bad = dict(good, total_size="2 MiB", blocks="none")
    return {"segments": [good, bad, "not a segment"],
            "device_traces": [[ev("alloc", 0x7A0000000000, MiB, 5), {"action": 7}, ["x"]]],
            "allocator_settings": {"expandable_segments": "yes"}}


def write(name, obj, protocol):
    with open(os.path.join(OUT, name), "wb") as f:
        pickle.dump(obj, f, protocol=protocol)


def main():
    for p in range(0, 6):
        write(f"realistic_p{p}.pickle", realistic(), p)
    write("fragmented.pickle", fragmented(), 5)
    with open(os.path.join(OUT, "fragmented.pickle.gz"), "wb") as f:
        f.write(gzip.compress(pickle.dumps(fragmented(), protocol=4), mtime=0))
    write("oom.pickle", oom(), 2)
    write("missing_keys.pickle", missing_keys(), 2)
    write("bad_types.pickle", bad_types(), 4)
    write("segments_list.pickle", realistic()["segments"], 4)  # torch.cuda.memory_snapshot(): a bare list


if __name__ == "__main__":
    main()
