#!/usr/bin/env python3
"""Writes a synthetic Kineto (PyTorch profiler) trace of about SIZE_MB megabytes of JSON, for bench/trace_read.sh.

It imitates an inference trace recorded with record_shapes, profile_memory and with_stack, laid out the way
Kineto itself writes JSON (one event per indented block, "args" on their own lines). The event mix and bytes
per event follow the real traces of the shared collection (e.g. the TraceLens H100 Qwen trace: python_function
23%, cpu_op 23%, [memory] 13%, ac2g flows 20%, cuda_runtime 11%, kernel 8%; 225-475 bytes per event):
per operator two python_function frames (an nn.Module frame and a source frame), an aten op with a nested
aten op (both with "Input Dims"), a cudaLaunchKernel and its kernel with the full set of kernel args, the ac2g
flow pair, and a [memory] event; every 16th operator also a cudaMemcpyAsync + memcpy, every 64th a
cudaStreamSynchronize; a ProfilerStep#N annotation every 256 operators. Timestamps carry three decimals (ns).
Never committed: generated.

Usage: gen_trace.py OUT.json SIZE_MB [--compact]
  --compact   one event per line, no indentation and the old 5-event mix (cpu_op, launch, kernel, flow pair):
              the densest case (about 210 bytes per event)
"""
import sys

KERNELS = [
    "void at::native::vectorized_elementwise_kernel<4, at::native::CUDAFunctor_add<c10::BFloat16>, "
    "at::detail::Array<char*, 3> >(int, at::native::CUDAFunctor_add<c10::BFloat16>, at::detail::Array<char*, 3>)",
    "sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize64x64x64_warpgroupsize1x1x1_execute_segment_k_off_kernel"
    "__5x_cublas",
    "void pytorch_flash::flash_fwd_kernel<pytorch_flash::Flash_fwd_kernel_traits<64, 128, 128, 4, false, false, "
    "cutlass::bfloat16_t, pytorch_flash::Flash_kernel_traits<64, 128, 128, 4, cutlass::bfloat16_t> >, false, "
    "true, false, false, true, true, false>(pytorch_flash::Flash_fwd_params)",
    "void at::native::(anonymous namespace)::vectorized_layer_norm_kernel<c10::BFloat16, float>(int, float, "
    "c10::BFloat16 const*, c10::BFloat16 const*, c10::BFloat16 const*, float*, float*, c10::BFloat16*)",
]
OPS = [  # (module frame, source frame, outer op, inner op, input dims of the outer op)
    ("nn.Module: Linear_0", "torch/nn/modules/linear.py(124): forward", "aten::linear", "aten::addmm",
     "[[16, 559, 1024], [1024, 1024], [1024]]"),
    ("nn.Module: Qwen2MLP_3", "transformers/models/qwen2/modeling_qwen2.py(82): forward", "aten::mul", "aten::mul",
     "[[16, 559, 2816], [16, 559, 2816]]"),
    ("nn.Module: Qwen2Attention_3", "torch/nn/functional.py(5395): scaled_dot_product_attention",
     "aten::scaled_dot_product_attention", "aten::_scaled_dot_product_flash_attention",
     "[[16, 16, 559, 64], [16, 16, 559, 64], [16, 16, 559, 64], [], [], [], []]"),
    ("nn.Module: Qwen2RMSNorm_7", "transformers/models/qwen2/modeling_qwen2.py(61): forward", "aten::layer_norm",
     "aten::native_layer_norm", "[[16, 559, 1024], [], [1024], [1024], [], []]"),
]

X = ('  {\n    "ph": "X", "cat": "%s", "name": "%s", "pid": %d, "tid": %d,\n    "ts": %s, "dur": %s,\n'
     '    "args": {\n      %s\n    }\n  },\n')
FLOW = ('  {\n    "ph": "%s", "id": %d, "pid": %d, "tid": %d, "ts": %s,\n    "cat": "ac2g", "name": "ac2g"%s\n'
        '  },\n')
MEM = ('  {\n    "ph": "i", "cat": "cpu_instant_event", "s": "t", "name": "[memory]",\n    "pid": %d, "tid": %d,\n'
       '    "ts": %s,\n    "args": {\n      "Ev Idx": %d, "Device Type": 1, "Device Id": 0, "Addr": %d, '
       '"Bytes": %d, "Total Allocated": %d, "Total Reserved": %d\n    }\n  },\n')
PID, TID = 2861, 2861


def us(ns):
    return "%d.%03d" % (ns // 1000, ns % 1000)


def header(f):
    f.write('{\n  "schemaVersion": 1,\n  "deviceProperties": [\n    {\n      "id": 0, "name": "NVIDIA H100 80GB '
            'HBM3", "totalGlobalMem": 85029158912,\n      "computeMajor": 9, "computeMinor": 0,\n'
            '      "maxThreadsPerBlock": 1024, "maxThreadsPerMultiprocessor": 2048,\n      "regsPerBlock": 65536, '
            '"regsPerMultiprocessor": 65536, "warpSize": 32,\n      "sharedMemPerBlock": 49152, '
            '"sharedMemPerMultiprocessor": 233472,\n      "numSms": 132, "sharedMemPerBlockOptin": 232448\n    }\n'
            '  ],\n  "cupti_version": 24,\n  "cuda_runtime_version": 12040,\n  "cuda_driver_version": 12040,\n'
            '  "trace_id": "A8D5F0C1E6B94A2C9F3D7E1B2C4A6F80",\n'
            '  "distributedInfo": {"backend": "nccl", "rank": 0, "world_size": 1, "pg_count": 1, '
            '"pg_config": [], "nccl_version": "2.21.5"},\n'
            '  "displayTimeUnit": "ms",\n  "baseTimeNanoseconds": 1727740000000000000,\n  "traceEvents": [\n')


def footer(f, last_ns):
    f.write('  {\n    "name": "process_name", "ph": "M", "ts": %s, "pid": %d, "tid": 0,\n    "args": {\n'
            '      "name": "python3"\n    }\n  },\n' % (us(0), PID))
    f.write('  {\n    "name": "process_name", "ph": "M", "ts": %s, "pid": 0, "tid": 0,\n    "args": {\n'
            '      "name": "CUDA GPU 0"\n    }\n  },\n' % us(0))
    f.write('  {\n    "ph": "X", "cat": "Trace", "ts": %s, "dur": %s,\n    "pid": "Spans", "tid": "PyTorch Profiler",\n'
            '    "name": "PyTorch Profiler (0)",\n    "args": {\n      "Op count": 0\n    }\n  },\n'
            '  {\n    "name": "Record Window End", "ph": "i", "s": "g",\n    "pid": "", "tid": "", "ts": %s\n  }\n'
            '],\n  "traceName": "synthetic.pt.trace.json"\n}\n' % (us(0), us(last_ns), us(last_ns)))


def kineto(out, target):
    with open(out, "w", buffering=1 << 22) as f:
        header(f)
        written, i, ts, ext, corr, pyid, evidx, gpu_free = 0, 0, 1000000, 1, 1, 1, 0, 0
        allocated, addr = 8 << 30, 0x7F0000000000
        step, step_start, step_ext = 0, ts, 0
        chunk = []
        while written < target:
            if i % 256 == 0:
                step_ext = ext
                ext += 1
                step_start = ts
            mod, src, outer, inner, dims = OPS[i % len(OPS)]
            k = KERNELS[i % len(KERNELS)]
            t0 = ts
            parts = []
            # python frames: module frame encloses the source frame encloses the ops
            parts.append(X % ("python_function", mod, PID, TID, us(t0), us(21500),
                              '"Python parent id": %d, "Python id": %d, "Python module id": %d, "Ev Idx": %d'
                              % (pyid - 1 if pyid > 1 else 0, pyid, i % 97, evidx)))
            parts.append(X % ("python_function", src, PID, TID, us(t0 + 400), us(20700),
                              '"Python parent id": %d, "Python id": %d, "Ev Idx": %d' % (pyid, pyid + 1, evidx + 1)))
            pyid += 2
            parts.append(X % ("cpu_op", outer, PID, TID, us(t0 + 900), us(19800),
                              '"External id": %d,"Record function id": 0, "Concrete Inputs": ["", "", ""], '
                              '"Input type": ["c10::BFloat16", "c10::BFloat16", "c10::BFloat16"], '
                              '"Input Strides": [[572416, 1024, 1], [1, 1024], [1]], "Input Dims": %s, '
                              '"Ev Idx": %d' % (ext, dims, evidx + 2)))
            parts.append(X % ("cpu_op", inner, PID, TID, us(t0 + 2100), us(17300),
                              '"External id": %d,"Record function id": 0, "Input Dims": %s, '
                              '"Input type": ["c10::BFloat16", "c10::BFloat16"], "Ev Idx": %d'
                              % (ext + 1, dims, evidx + 3)))
            launch_ts = t0 + 6900
            parts.append(X % ("cuda_runtime", "cudaLaunchKernel", PID, TID, us(launch_ts), us(5412),
                              '"External id": %d,      "cbid": 211, "correlation": %d' % (ext + 1, corr)))
            parts.append(FLOW % ("s", corr, PID, TID, us(launch_ts), ""))
            kts = max(gpu_free, launch_ts + 4100)
            kdur = 3264 + (i % 7) * 911
            parts.append(X % ("kernel", k, 0, 7, us(kts), us(kdur),
                              '"External id": %d,      "queued": 0, "device": 0, "context": 1,      "stream": 7, '
                              '"correlation": %d,      "registers per thread": %d,      "shared memory": 0,      '
                              '"blocks per SM": 1.500000,      "warps per SM": 6.000000,      "grid": [%d, 1, 1],'
                              '      "block": [128, 1, 1],      "est. achieved occupancy %%": %d'
                              % (ext + 1, corr, 32 + i % 4 * 8, 198 + i % 5, 25 + i % 3)))
            parts.append(FLOW % ("f", corr, 0, 7, us(kts), ', "bp": "e"'))
            gpu_free = kts + kdur
            corr += 1
            size = (1 << 20) * (1 + i % 8)
            allocated += size if i % 2 == 0 else -size
            parts.append(MEM % (PID, TID, us(t0 + 2500), evidx + 4, addr + (i % 1024) * (1 << 21),
                                size if i % 2 == 0 else -size, allocated, 12 << 30))
            evidx += 5
            ext += 2
            if i % 16 == 15:  # a host-to-device copy
                parts.append(X % ("cuda_runtime", "cudaMemcpyAsync", PID, TID, us(t0 + 13000), us(6120),
                                  '"External id": %d,      "cbid": 41, "correlation": %d' % (ext - 1, corr)))
                parts.append(FLOW % ("s", corr, PID, TID, us(t0 + 13000), ""))
                cts = max(gpu_free, t0 + 15000)
                parts.append(X % ("gpu_memcpy", "Memcpy HtoD (Pinned -> Device)", 0, 7, us(cts), us(1800),
                                  '"External id": %d,      "device": 0, "context": 1,      "stream": 7, '
                                  '"correlation": %d,      "bytes": 2097152, "memory bandwidth (GB/s)": 1165.084'
                                  % (ext - 1, corr)))
                parts.append(FLOW % ("f", corr, 0, 7, us(cts), ', "bp": "e"'))
                gpu_free = cts + 1800
                corr += 1
            if i % 64 == 63:  # a synchronisation (.item())
                parts.append(X % ("cuda_runtime", "cudaStreamSynchronize", PID, TID, us(t0 + 20000),
                                  us(max(1000, gpu_free - t0 - 20000)),
                                  '"External id": %d,      "cbid": 131, "correlation": %d' % (ext - 1, corr)))
                corr += 1
            ts = t0 + 25377
            if i % 256 == 255:
                parts.append(X % ("user_annotation", "ProfilerStep#%d" % step, PID, TID, us(step_start),
                                  us(ts - step_start), '"External id": %d,"Record function id": 0, "Ev Idx": %d'
                                  % (step_ext, evidx)))
                step += 1
                evidx += 1
            s = "".join(parts)
            chunk.append(s)
            written += len(s)
            i += 1
            if len(chunk) >= 512:
                f.write("".join(chunk))
                chunk = []
        f.write("".join(chunk))
        footer(f, ts)


def compact(out, target):
    names = KERNELS[:3]
    with open(out, "w", buffering=1 << 22) as f:
        f.write('{"schemaVersion":1,"deviceProperties":[{"id":0,"name":"NVIDIA H100 80GB HBM3","numSms":132}],'
                '"baseTimeNanoseconds":1751410836000000000,"traceEvents":[\n')
        written, i, ts = 0, 0, 1000000
        while written < target:
            k = names[i % 3]
            ev = ('{"ph":"X","cat":"cpu_op","name":"aten::add","pid":1,"tid":1,"ts":%s,"dur":20.125,'
                  '"args":{"External id":%d,"Record function id":0}},\n'
                  '{"ph":"X","cat":"cuda_runtime","name":"cudaLaunchKernel","pid":1,"tid":1,"ts":%s,"dur":5.5,'
                  '"args":{"External id":%d,"cbid":211,"correlation":%d}},\n'
                  '{"ph":"X","cat":"kernel","name":"%s","pid":0,"tid":7,"ts":%s,"dur":3.264,'
                  '"args":{"External id":%d,"queued":0,"device":0,"context":1,"stream":7,"correlation":%d,'
                  '"registers per thread":32,"shared memory":0,"blocks per SM":1.5,"warps per SM":6,'
                  '"grid":[198,1,1],"block":[128,1,1],"est. achieved occupancy %%":25}},\n'
                  '{"ph":"s","id":%d,"pid":1,"tid":1,"ts":%s,"cat":"ac2g","name":"ac2g"},\n'
                  '{"ph":"f","id":%d,"pid":0,"tid":7,"ts":%s,"cat":"ac2g","name":"ac2g","bp":"e"},\n'
                  % (us(ts), i, us(ts + 2000), i, i, k, us(ts + 9000), i, i, i, us(ts + 2000), i, us(ts + 9000)))
            f.write(ev)
            written += len(ev)
            i += 1
            ts += 25377
        f.write('{"ph":"M","name":"process_name","pid":0,"tid":0,"args":{"name":"GPU 0"}}\n]}\n')


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 2:
        sys.exit(__doc__)
    out, target = args[0], int(float(args[1]) * 1e6)
    (compact if "--compact" in sys.argv else kineto)(out, target)


if __name__ == "__main__":
    main()
