#pragma once
// The compatibility reference tables (data/*.csv, one source per row), typed. Built into the binary and
// replaceable as a whole with --data-dir DIR. Versions are compared field by field (base/version.h).
// Compute capabilities are held as integers major*10+minor: 9.0 -> 90, 12.0 -> 120, 10.3 -> 103.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/version.h"

namespace infertune::compat {

// Table 3 of the CUDA release notes: toolkit release -> minimum Linux x86_64 driver it ships with.
struct CudaDriverRow {
  Version cuda;  // "12.8.1"
  std::string release;
  Version min_driver;  // "570.124.06"
  std::string source;
};

// Per CUDA major: the minor-version-compatibility floor and the forward-compatibility package.
struct CudaMajorRow {
  long major = 0;
  std::optional<Version> minor_compat_min_driver;  // empty: no minor-version compatibility (CUDA 10)
  std::string forward_compat_package;              // "cuda-compat-12-<minor>"
  std::string forward_compat_hardware;
  std::string source;
};

struct GpuRow {
  std::string gpu;                   // "H100 (PCIe / SXM5 / NVL)"
  std::vector<std::string> aliases;  // word sequences matched in a device name: "H100", "RTX 4090"
  int cc = 0;                        // 90
  std::string segment;               // "datacenter", "consumer", "workstation", "embedded", ...
  std::string forward_compat;        // "yes", "some" (select SKUs), "no"
  std::string source;
};

// Per CUDA minor: which GPU architectures the toolkit can build for.
struct ArchSupportRow {
  Version cuda;  // "12.8"
  int min_cc = 0;
  int max_cc = 0;
  std::vector<int> sass;  // real architectures
  std::string source;
};

// One PyTorch release x CUDA wheel variant.
struct TorchRow {
  std::string release;  // "2.8"
  Version release_v;
  std::string variant;  // "cu128"
  Version cuda;         // "12.8"
  std::string cuda_toolkit;
  Version python_min, python_max;  // "3.9", "3.13"
  std::optional<Version> cudnn;    // bundled cuDNN
  std::vector<int> sass;           // TORCH_CUDA_ARCH_LIST real archs
  bool ptx = false;                // +PTX of the newest arch
  bool default_variant = false;    // what plain `pip install torch` gets from PyPI
  std::string index_url;
  std::string status;
  std::string source;
};

struct TorchDockerRow {
  Version release;  // "2.7"
  std::vector<Version> cuda;
  long cudnn_major = 0;
  std::vector<std::string> tags_seen;  // "2.7.1-cuda12.8-cudnn9-runtime"
  std::string source;
};

struct CudaImageRow {
  Version cuda;                      // "12.6.3"
  std::vector<std::string> os;       // "ubuntu22.04"
  std::vector<std::string> flavors;  // "base", "runtime", "cudnn-runtime", "cudnn9-devel"
  std::string source;
};

struct CudnnRow {
  Version min, max;  // cuDNN release range
  long cuda_major = 0;
  std::vector<Version> cuda;          // CUDA minors of the package
  std::optional<Version> min_driver;  // Linux
  std::vector<int> ccs;               // empty = not listed
  std::string source;
};

struct TensorflowRow {
  Version version;
  Version python_min, python_max;
  Version cuda;
  Version cudnn;
  std::string source;
};

struct OrtRow {
  Version min;
  std::optional<Version> max;  // empty: and later
  long cuda_major = 0;
  std::string cuda;  // "12.8", "12.x"
  long cudnn_major = 0;
  std::string pypi_default;  // "yes", "no", "" (unknown)
  std::string source;
};

struct TensorrtRow {
  Version min, max;
  std::vector<Version> cuda;  // CUDA variants offered ("12.9", "13.0"; "11.x" -> 11)
  std::string source;
};

struct Tables {
  std::string origin;  // "built-in tables" or "tables from DIR"
  std::vector<CudaDriverRow> cuda_driver;
  std::vector<CudaMajorRow> cuda_major;
  std::vector<GpuRow> gpus;
  std::vector<ArchSupportRow> arch_support;
  std::vector<TorchRow> torch;
  std::vector<TorchDockerRow> torch_docker;
  std::vector<CudaImageRow> cuda_images;
  std::vector<CudnnRow> cudnn;
  std::vector<TensorflowRow> tensorflow;
  std::vector<OrtRow> onnxruntime;
  std::vector<TensorrtRow> tensorrt;
};

// The file names every table set has.
const std::vector<std::string>& table_files();

// Parses every table, reading each file through `read` (file name -> its text). The first problem is the
// error: "<origin>/pytorch.csv line 7: column python_min: '3.x' is not a version".
Result<Tables> parse_tables(const std::function<Result<std::string>(const std::string&)>& read,
                            const std::string& origin);
Result<Tables> load_builtin_tables();
// Every file of table_files() must be in `dir` (start from a copy of data/).
Result<Tables> load_tables_from_dir(const std::string& dir);

// The tables rules and commands use: the built-in ones unless use_tables() replaced them (--data-dir).
const Tables& tables();
void use_tables(Tables t);

// "9.0" -> 90, "12.1" -> 121; nullopt when not a compute capability.
std::optional<int> parse_cc(std::string_view s);
std::string cc_text(int cc);  // 90 -> "9.0"
std::string sm_name(int cc);  // 90 -> "sm_90"

}  // namespace infertune::compat
