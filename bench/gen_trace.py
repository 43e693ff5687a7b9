#!/usr/bin/env python3
"""Writes a synthetic Kineto-style trace of about SIZE_MB megabytes of JSON (for bench/trace_read.sh).

Shape of a modern inference trace: per step a cpu_op, a cudaLaunchKernel and its kernel, with ns-resolution
timestamps, args with correlation/External id/grid/block, and an ac2g flow pair. Never committed: generated.
Usage: gen_trace.py OUT.json SIZE_MB
"""
import sys

out, size_mb = sys.argv[1], float(sys.argv[2])
target = int(size_mb * 1e6)
names = ["void at::native::vectorized_elementwise_kernel<4, at::native::CUDAFunctor_add<c10::BFloat16> >",
         "sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize64x64x64_warpgroupsize1x1x1",
         "void pytorch_flash::flash_fwd_kernel<pytorch_flash::Flash_fwd_kernel_traits<64, 128, 128, 4> >"]
with open(out, "w") as f:
    f.write('{"schemaVersion":1,"deviceProperties":[{"id":0,"name":"NVIDIA H100 80GB HBM3","numSms":132}],'
            '"baseTimeNanoseconds":1751410836000000000,"traceEvents":[\n')
    written, i, ts = 0, 0, 1000000
    while written < target:
        k = names[i % 3]
        ev = ('{"ph":"X","cat":"cpu_op","name":"aten::add","pid":1,"tid":1,"ts":%d.%03d,"dur":20.125,'
              '"args":{"External id":%d,"Record function id":0}},\n'
              '{"ph":"X","cat":"cuda_runtime","name":"cudaLaunchKernel","pid":1,"tid":1,"ts":%d.%03d,"dur":5.5,'
              '"args":{"External id":%d,"cbid":211,"correlation":%d}},\n'
              '{"ph":"X","cat":"kernel","name":"%s","pid":0,"tid":7,"ts":%d.%03d,"dur":3.264,'
              '"args":{"External id":%d,"queued":0,"device":0,"context":1,"stream":7,"correlation":%d,'
              '"registers per thread":32,"shared memory":0,"blocks per SM":1.5,"warps per SM":6,'
              '"grid":[198,1,1],"block":[128,1,1],"est. achieved occupancy %%":25}},\n'
              '{"ph":"s","id":%d,"pid":1,"tid":1,"ts":%d.%03d,"cat":"ac2g","name":"ac2g"},\n'
              '{"ph":"f","id":%d,"pid":0,"tid":7,"ts":%d.%03d,"cat":"ac2g","name":"ac2g","bp":"e"},\n'
              % (ts // 1000, ts % 1000, i, (ts + 2000) // 1000, (ts + 2000) % 1000, i, i, k,
                 (ts + 9000) // 1000, (ts + 9000) % 1000, i, i, i, (ts + 2000) // 1000, (ts + 2000) % 1000, i,
                 (ts + 9000) // 1000, (ts + 9000) % 1000))
        f.write(ev)
        written += len(ev)
        i += 1
        ts += 25377
    f.write('{"ph":"M","name":"process_name","pid":0,"tid":0,"args":{"name":"GPU 0"}}\n]}\n')
