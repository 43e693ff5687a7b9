#pragma once
// The subset of NVML this tool calls, declared by hand (the library is dlopen'ed, never linked, and no NVIDIA
// header is needed to build). Enum values, struct layouts and function signatures are facts from NVIDIA's public
// nvml.h (NVML API reference, CUDA 12.x toolkit / GPU Deployment Kit); the static_asserts pin the layouts on the
// 64-bit Linux ABI the tool ships for. Shared by the loader (collect/nvml.cc) and the test fake (tests/fakes).

#include <cstddef>
#include <cstdint>

namespace infertune::nvml {

using Return = int;                   // nvmlReturn_t
using Device = struct DeviceOpaque*;  // nvmlDevice_t

inline constexpr Return kSuccess = 0;
inline constexpr Return kErrorUninitialized = 1;
inline constexpr Return kErrorInvalidArgument = 2;
inline constexpr Return kErrorNotSupported = 3;
inline constexpr Return kErrorNoPermission = 4;
inline constexpr Return kErrorNotFound = 6;
inline constexpr Return kErrorInsufficientSize = 7;
inline constexpr Return kErrorDriverNotLoaded = 9;
inline constexpr Return kErrorTimeout = 10;
inline constexpr Return kErrorLibraryNotFound = 12;
inline constexpr Return kErrorFunctionNotFound = 13;
inline constexpr Return kErrorGpuIsLost = 15;
inline constexpr Return kErrorResetRequired = 16;
inline constexpr Return kErrorOperatingSystem = 17;
inline constexpr Return kErrorLibRmVersionMismatch = 18;
inline constexpr Return kErrorNoData = 21;
inline constexpr Return kErrorUnknown = 999;

// "NVML_ERROR_GPU_IS_LOST" for 15, "NVML_ERROR_<code>" for codes outside the table.
const char* return_name(Return r);

// Buffer sizes (nvml.h NVML_DEVICE_*_BUFFER_SIZE, NVML_SYSTEM_*_BUFFER_SIZE).
inline constexpr unsigned kNameBufferSize = 96;  // NVML_DEVICE_NAME_V2_BUFFER_SIZE
inline constexpr unsigned kUuidBufferSize = 80;
inline constexpr unsigned kSerialBufferSize = 30;
inline constexpr unsigned kVbiosBufferSize = 32;
inline constexpr unsigned kSystemVersionBufferSize = 80;  // driver and NVML version strings
inline constexpr unsigned kProcessNameBufferSize = 256;

// nvmlPciInfo_t (the layout of nvmlDeviceGetPciInfo_v2/_v3).
struct PciInfo {
  char busIdLegacy[16];
  unsigned int domain;
  unsigned int bus;
  unsigned int device;
  unsigned int pciDeviceId;
  unsigned int pciSubSystemId;
  char busId[32];  // "00000000:3B:00.0"
};
static_assert(sizeof(PciInfo) == 68);
static_assert(offsetof(PciInfo, domain) == 16);
static_assert(offsetof(PciInfo, busId) == 36);

// nvmlMemory_t (v1).
struct Memory {
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};
static_assert(sizeof(Memory) == 24);
static_assert(offsetof(Memory, free) == 8);

// nvmlMemory_v2_t; version = nvmlMemory_v2 = NVML_STRUCT_VERSION(Memory, 2) = sizeof | (2 << 24).
struct MemoryV2 {
  unsigned int version;
  unsigned long long total;
  unsigned long long reserved;
  unsigned long long free;
  unsigned long long used;
};
static_assert(sizeof(MemoryV2) == 40);
static_assert(offsetof(MemoryV2, total) == 8);
static_assert(offsetof(MemoryV2, free) == 24);
static_assert(offsetof(MemoryV2, used) == 32);
inline constexpr unsigned int kMemoryV2Version = static_cast<unsigned int>(sizeof(MemoryV2)) | (2u << 24);

// nvmlUtilization_t.
struct Utilization {
  unsigned int gpu;
  unsigned int memory;
};
static_assert(sizeof(Utilization) == 8);

// nvmlProcessInfo_t as nvmlDeviceGet{Compute,Graphics}RunningProcesses_v2/_v3 fill it.
struct ProcessInfo {
  unsigned int pid;
  unsigned long long usedGpuMemory;  // NVML_VALUE_NOT_AVAILABLE (all ones) when unknown
  unsigned int gpuInstanceId;
  unsigned int computeInstanceId;
};
static_assert(sizeof(ProcessInfo) == 24);
static_assert(offsetof(ProcessInfo, usedGpuMemory) == 8);
static_assert(offsetof(ProcessInfo, gpuInstanceId) == 16);

// nvmlProcessInfo_v1_t, filled by the unversioned nvmlDeviceGet{Compute,Graphics}RunningProcesses.
struct ProcessInfoV1 {
  unsigned int pid;
  unsigned long long usedGpuMemory;
};
static_assert(sizeof(ProcessInfoV1) == 16);
static_assert(offsetof(ProcessInfoV1, usedGpuMemory) == 8);

inline constexpr unsigned long long kValueNotAvailable = ~0ULL;  // NVML_VALUE_NOT_AVAILABLE

// nvmlProcessUtilizationSample_t.
struct ProcessUtilizationSample {
  unsigned int pid;
  unsigned long long timeStamp;  // CPU timestamp, microseconds
  unsigned int smUtil;
  unsigned int memUtil;
  unsigned int encUtil;
  unsigned int decUtil;
};
static_assert(sizeof(ProcessUtilizationSample) == 32);
static_assert(offsetof(ProcessUtilizationSample, timeStamp) == 8);
static_assert(offsetof(ProcessUtilizationSample, smUtil) == 16);

// nvmlClockType_t, nvmlTemperatureSensors_t, nvmlPcieUtilCounter_t, nvmlMemoryErrorType_t, nvmlEccCounterType_t.
inline constexpr int kClockSm = 1;
inline constexpr int kClockMem = 2;
inline constexpr int kTemperatureGpu = 0;
inline constexpr int kPcieUtilTxBytes = 0;
inline constexpr int kPcieUtilRxBytes = 1;
inline constexpr int kMemoryErrorUncorrected = 1;
inline constexpr int kVolatileEcc = 0;
inline constexpr int kAggregateEcc = 1;

// nvmlComputeMode_t.
inline constexpr int kComputeModeDefault = 0;
inline constexpr int kComputeModeExclusiveThread = 1;
inline constexpr int kComputeModeProhibited = 2;
inline constexpr int kComputeModeExclusiveProcess = 3;

// nvmlClocksEventReasons (nvmlClocksThrottleReasons before CUDA 12.2) bits, named as nvidia-smi -q -x names
// them (clocks_event_reason_<name>).
struct ClockReasonBit {
  unsigned long long bit;
  const char* name;
};
inline constexpr ClockReasonBit kClockReasons[] = {
    {0x1ULL, "gpu_idle"},
    {0x2ULL, "applications_clocks_setting"},
    {0x4ULL, "sw_power_cap"},
    {0x8ULL, "hw_slowdown"},
    {0x10ULL, "sync_boost"},
    {0x20ULL, "sw_thermal_slowdown"},
    {0x40ULL, "hw_thermal_slowdown"},
    {0x80ULL, "hw_power_brake_slowdown"},
    {0x100ULL, "display_clocks_setting"},
};

// Function types (all return nvmlReturn_t).
using InitFn = Return (*)();
using ErrorStringFn = const char* (*)(Return);
using SystemStringFn = Return (*)(char*, unsigned int);
using SystemIntFn = Return (*)(int*);
using CountFn = Return (*)(unsigned int*);
using HandleByIndexFn = Return (*)(unsigned int, Device*);
using DeviceStringFn = Return (*)(Device, char*, unsigned int);
using DeviceUintFn = Return (*)(Device, unsigned int*);
using DeviceIntPairFn = Return (*)(Device, int*, int*);
using DeviceUintPairFn = Return (*)(Device, unsigned int*, unsigned int*);
using DeviceTypedUintFn = Return (*)(Device, int, unsigned int*);  // clock, temperature, PCIe counter
using PciInfoFn = Return (*)(Device, PciInfo*);
using MemoryFn = Return (*)(Device, Memory*);
using MemoryV2Fn = Return (*)(Device, MemoryV2*);
using UtilizationFn = Return (*)(Device, Utilization*);
using ReasonsFn = Return (*)(Device, unsigned long long*);
using EnableStateFn = Return (*)(Device, int*);
using EnableStatePairFn = Return (*)(Device, int*, int*);
using EccCountFn = Return (*)(Device, int, int, unsigned long long*);
using RemappedRowsFn = Return (*)(Device, unsigned int*, unsigned int*, unsigned int*, unsigned int*);
using ProcessesFn = Return (*)(Device, unsigned int*, void*);  // ProcessInfo* or ProcessInfoV1*
using ProcessUtilFn = Return (*)(Device, ProcessUtilizationSample*, unsigned int*, unsigned long long);
using MigHandleFn = Return (*)(Device, unsigned int, Device*);
using ProcessNameFn = Return (*)(unsigned int, char*, unsigned int);

}  // namespace infertune::nvml
