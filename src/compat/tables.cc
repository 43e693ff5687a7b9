#include "compat/tables.h"

#include <map>
#include <memory>

#include "base/fs_root.h"
#include "base/strings.h"
#include "compat/csv.h"
#include "compat/embedded_data.h"

namespace infertune::compat {

namespace {

constexpr size_t kMaxTableBytes = 4u << 20;

// Reads the cells of one record by column name; the first bad cell is kept as the error.
class Cells {
 public:
  Cells(const std::string& file, const std::map<std::string, size_t>& cols, const CsvRecord& rec)
      : file_(file), cols_(cols), rec_(rec) {}

  std::string text(const std::string& col) const {
    auto it = cols_.find(col);
    if (it == cols_.end() || it->second >= rec_.fields.size()) return {};
    return std::string(str::trim(rec_.fields[it->second]));
  }
  Version version(const std::string& col) {
    auto v = optional_version(col);
    if (!v && !err_) fail(col, "'" + text(col) + "' is not a version");
    return v.value_or(Version{});
  }
  std::optional<Version> optional_version(const std::string& col) {
    std::string t = text(col);
    if (t.empty()) return std::nullopt;
    auto v = Version::parse(t);
    bool plain = t.find_first_not_of("0123456789.") == std::string::npos && t.find("..") == std::string::npos &&
                 t.front() != '.' && t.back() != '.';
    if (!v || !plain) {
      fail(col, "'" + t + "' is not a version");
      return std::nullopt;
    }
    return v;
  }
  long integer(const std::string& col) {
    auto v = str::parse_i64(text(col));
    if (!v) {
      fail(col, "'" + text(col) + "' is not a whole number");
      return 0;
    }
    return static_cast<long>(*v);
  }
  int cc(const std::string& col) {
    auto v = parse_cc(text(col));
    if (!v) {
      fail(col, "'" + text(col) + "' is not a compute capability (X.Y)");
      return 0;
    }
    return *v;
  }
  // "5.0;6.0;9.0" or "5.0 6.0" -> {50, 60, 90}; `sm` lists take plain numbers: "75 80 90".
  std::vector<int> cc_list(const std::string& col, bool sm_numbers) {
    std::vector<int> out;
    std::string t = text(col);
    for (char& c : t) {
      if (c == ';' || c == ',') c = ' ';
    }
    for (auto w : str::split_ws(t)) {
      std::optional<int> v;
      if (sm_numbers) {
        auto n = str::parse_i64(w);
        if (n && *n > 0 && *n < 1000) v = static_cast<int>(*n);
      } else {
        v = parse_cc(w);
      }
      if (!v) {
        fail(col, "'" + std::string(w) + "' is not an architecture");
        return {};
      }
      out.push_back(*v);
    }
    return out;
  }
  std::vector<Version> version_list(const std::string& col) {
    std::vector<Version> out;
    const std::string t = text(col);  // split_ws returns views into it
    for (auto w : str::split_ws(t)) {
      std::string s(w);
      if (str::ends_with(s, ".x")) s.resize(s.size() - 2);  // "11.x" -> major 11
      auto v = Version::parse(s);
      if (!v) {
        fail(col, "'" + std::string(w) + "' is not a version");
        return {};
      }
      out.push_back(*v);
    }
    return out;
  }
  std::vector<std::string> words(const std::string& col, char sep = ' ') const {
    std::vector<std::string> out;
    const std::string cell = text(col);  // split returns views into it
    for (auto w : str::split(cell, sep)) {
      auto t = str::trim(w);
      if (!t.empty()) out.emplace_back(t);
    }
    return out;
  }
  std::string source() {
    std::string s = text("source");
    if (s.empty()) fail("source", "every row needs a source");
    return s;
  }
  void fail(const std::string& col, const std::string& why) {
    if (err_) return;
    std::string msg = file_ + " line " + std::to_string(rec_.line) + ": column " + col + ": " + why;
    for (char& ch : msg) {
      if (ch == '\n' || ch == '\r') ch = ' ';  // one line, even for a quoted cell spanning lines
    }
    err_ = input_error(std::move(msg));
  }
  const std::optional<Error>& error() const { return err_; }

 private:
  const std::string& file_;
  const std::map<std::string, size_t>& cols_;
  const CsvRecord& rec_;
  std::optional<Error> err_;
};

template <class Row>
using RowParser = Row (*)(Cells&);

template <class Row>
Result<std::vector<Row>> parse_table(const std::string& text, const std::string& file,
                                     const std::vector<std::string>& required, RowParser<Row> parse_row) {
  auto recs = parse_csv(text, file);
  if (!recs) return recs.error();
  if (recs->empty()) return input_error(file + ": empty, expected a header line");
  std::map<std::string, size_t> cols;
  const auto& header = recs->front().fields;
  for (size_t k = 0; k < header.size(); ++k) cols[std::string(str::trim(header[k]))] = k;
  for (const auto& r : required) {
    if (!cols.count(r)) return input_error(file + " line 1: no column '" + r + "' in the header");
  }
  if (recs->size() < 2) return input_error(file + ": no rows");
  std::vector<Row> out;
  for (size_t k = 1; k < recs->size(); ++k) {
    const CsvRecord& rec = (*recs)[k];
    if (rec.fields.size() != header.size()) {
      return input_error(file + " line " + std::to_string(rec.line) + ": " + std::to_string(rec.fields.size()) +
                         " fields, the header has " + std::to_string(header.size()));
    }
    Cells c(file, cols, rec);
    Row row = parse_row(c);
    if (c.error()) return *c.error();
    out.push_back(std::move(row));
  }
  return out;
}

CudaDriverRow cuda_driver_row(Cells& c) {
  return {c.version("cuda_version"), c.text("release"), c.version("min_driver_linux"), c.source()};
}
CudaMajorRow cuda_major_row(Cells& c) {
  return {c.integer("cuda_major"), c.optional_version("minor_compat_min_driver"), c.text("forward_compat_package"),
          c.text("forward_compat_hardware"), c.source()};
}
GpuRow gpu_row(Cells& c) {
  GpuRow g{c.text("gpu"),     c.words("aliases", ';'),  c.cc("compute_capability"),
           c.text("segment"), c.text("forward_compat"), c.source()};
  if (g.aliases.empty()) c.fail("aliases", "at least one alias is needed");
  if (g.forward_compat != "yes" && g.forward_compat != "no" && g.forward_compat != "some") {
    c.fail("forward_compat", "'" + g.forward_compat + "' is not yes, no or some");
  }
  return g;
}
ArchSupportRow arch_row(Cells& c) {
  return {c.version("cuda_version"), c.cc("min_compute_capability"), c.cc("max_compute_capability"),
          c.cc_list("sass_archs", true), c.source()};
}
bool yes_no(Cells& c, const std::string& col) {
  std::string t = c.text(col);
  if (t != "yes" && t != "no") c.fail(col, "'" + t + "' is not yes or no");
  return t == "yes";
}
TorchRow torch_row(Cells& c) {
  TorchRow t;
  t.release = c.text("torch_release");
  t.release_v = c.version("torch_release");
  t.variant = c.text("cuda_variant");
  t.cuda = c.version("cuda_version");
  t.cuda_toolkit = c.text("cuda_toolkit");
  t.python_min = c.version("python_min");
  t.python_max = c.version("python_max");
  t.cudnn = c.optional_version("cudnn_version");
  t.sass = c.cc_list("arch_list", false);
  t.ptx = yes_no(c, "ptx");
  t.default_variant = yes_no(c, "default_variant");
  t.index_url = c.text("index_url");
  t.status = c.text("status");
  t.source = c.source();
  if (!str::starts_with(t.variant, "cu")) c.fail("cuda_variant", "'" + t.variant + "' is not cuXYZ");
  if (!str::starts_with(t.index_url, "https://")) c.fail("index_url", "'" + t.index_url + "' is not an https URL");
  return t;
}
TorchDockerRow torch_docker_row(Cells& c) {
  return {c.version("torch_release"), c.version_list("cuda_versions"), c.integer("cudnn_major"), c.words("tags_seen"),
          c.source()};
}
CudaImageRow cuda_image_row(Cells& c) {
  return {c.version("cuda_version"), c.words("os_variants"), c.words("flavors"), c.source()};
}
CudnnRow cudnn_row(Cells& c) {
  return {c.version("cudnn_min"),
          c.version("cudnn_max"),
          c.integer("cuda_major"),
          c.version_list("cuda_versions"),
          c.optional_version("min_driver_linux"),
          c.cc_list("compute_capabilities", false),
          c.source()};
}
TensorflowRow tf_row(Cells& c) {
  return {c.version("tensorflow_version"), c.version("python_min"),    c.version("python_max"),
          c.version("cuda_version"),       c.version("cudnn_version"), c.source()};
}
OrtRow ort_row(Cells& c) {
  return {c.version("ort_min"),
          c.optional_version("ort_max"),
          c.integer("cuda_major"),
          c.text("cuda_version"),
          c.integer("cudnn_major"),
          c.text("pypi_default"),
          c.source()};
}
TensorrtRow trt_row(Cells& c) {
  return {c.version("tensorrt_min"), c.version("tensorrt_max"), c.version_list("cuda_versions"), c.source()};
}

std::unique_ptr<Tables>& active() {
  static std::unique_ptr<Tables> t;
  return t;
}

}  // namespace

std::optional<int> parse_cc(std::string_view s) {
  s = str::trim(s);
  size_t dot = s.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 2 != s.size()) return std::nullopt;
  auto major = str::parse_i64(s.substr(0, dot));
  auto minor = str::parse_i64(s.substr(dot + 1));
  if (!major || !minor || *major < 1 || *major > 99 || *minor < 0 || *minor > 9) return std::nullopt;
  return static_cast<int>(*major * 10 + *minor);
}

std::string cc_text(int cc) { return std::to_string(cc / 10) + "." + std::to_string(cc % 10); }
std::string sm_name(int cc) { return "sm_" + std::to_string(cc); }

const std::vector<std::string>& table_files() {
  static const std::vector<std::string> files = {"cuda_driver.csv",
                                                 "cuda_major_compat.csv",
                                                 "gpus.csv",
                                                 "cuda_arch_support.csv",
                                                 "pytorch.csv",
                                                 "pytorch_docker_tags.csv",
                                                 "nvidia_cuda_images.csv",
                                                 "cudnn.csv",
                                                 "tensorflow.csv",
                                                 "onnxruntime.csv",
                                                 "tensorrt.csv"};
  return files;
}

Result<Tables> parse_tables(const std::function<Result<std::string>(const std::string&)>& read,
                            const std::string& origin) {
  Tables t;
  t.origin = origin;
  std::string prefix = origin.empty() ? "" : origin + "/";
  auto load = [&](const std::string& file, const std::vector<std::string>& required, auto parse_row,
                  auto& dest) -> std::optional<Error> {
    auto text = read(file);
    if (!text) return text.error();
    auto rows = parse_table(*text, prefix + file, required, parse_row);
    if (!rows) return rows.error();
    dest = std::move(*rows);
    return std::nullopt;
  };
  std::optional<Error> e;
  if ((e = load("cuda_driver.csv", {"cuda_version", "min_driver_linux", "source"}, &cuda_driver_row, t.cuda_driver)))
    return *e;
  if ((e = load("cuda_major_compat.csv", {"cuda_major", "minor_compat_min_driver", "forward_compat_package", "source"},
                &cuda_major_row, t.cuda_major)))
    return *e;
  if ((e = load("gpus.csv", {"gpu", "aliases", "compute_capability", "segment", "forward_compat", "source"}, &gpu_row,
                t.gpus)))
    return *e;
  if ((e = load("cuda_arch_support.csv",
                {"cuda_version", "min_compute_capability", "max_compute_capability", "sass_archs", "source"}, &arch_row,
                t.arch_support)))
    return *e;
  if ((e = load("pytorch.csv",
                {"torch_release", "cuda_variant", "cuda_version", "python_min", "python_max", "cudnn_version",
                 "arch_list", "ptx", "default_variant", "index_url", "source"},
                &torch_row, t.torch)))
    return *e;
  if ((e = load("pytorch_docker_tags.csv", {"torch_release", "cuda_versions", "cudnn_major", "tags_seen", "source"},
                &torch_docker_row, t.torch_docker)))
    return *e;
  if ((e = load("nvidia_cuda_images.csv", {"cuda_version", "os_variants", "flavors", "source"}, &cuda_image_row,
                t.cuda_images)))
    return *e;
  if ((e = load("cudnn.csv", {"cudnn_min", "cudnn_max", "cuda_major", "cuda_versions", "min_driver_linux", "source"},
                &cudnn_row, t.cudnn)))
    return *e;
  if ((e = load("tensorflow.csv",
                {"tensorflow_version", "python_min", "python_max", "cuda_version", "cudnn_version", "source"}, &tf_row,
                t.tensorflow)))
    return *e;
  if ((e = load("onnxruntime.csv", {"ort_min", "ort_max", "cuda_major", "cuda_version", "cudnn_major", "source"},
                &ort_row, t.onnxruntime)))
    return *e;
  if ((e = load("tensorrt.csv", {"tensorrt_min", "tensorrt_max", "cuda_versions", "source"}, &trt_row, t.tensorrt)))
    return *e;
  return t;
}

Result<Tables> load_builtin_tables() {
  return parse_tables(
      [](const std::string& file) -> Result<std::string> {
        for (const auto& f : embedded_data_files()) {
          if (file == f.name) return std::string(f.bytes);
        }
        return input_error("built-in table " + file + " is missing from this build");
      },
      "");
}

Result<Tables> load_tables_from_dir(const std::string& dir) {
  std::string d = dir;
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  return parse_tables(
      [&](const std::string& file) {
        return read_user_file(d + "/" + file, kMaxTableBytes, "--data-dir " + d + ": " + file);
      },
      d);
}

const Tables& tables() {
  auto& t = active();
  if (!t) {
    auto loaded = load_builtin_tables();
    // The built-in tables are checked by the test suite; failing here is a build defect.
    assert(loaded.ok());
    t = std::make_unique<Tables>(loaded.ok() ? std::move(loaded.value()) : Tables{});
    t->origin = "built-in tables";
  }
  return *t;
}

void use_tables(Tables t) { active() = std::make_unique<Tables>(std::move(t)); }

}  // namespace infertune::compat
