#pragma once
// Strict JSON encoding/decoding of fact values, driven by each struct's fields() list.
// Decoding is strict about types (a string where a number belongs is an error naming the field),
// lenient about presence (a missing or null field is "unknown") and ignores unknown keys.

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "facts/fact.h"
#include "report/json_writer.h"

namespace infertune::codec {

template <class T, class = void>
struct has_fields : std::false_type {};
template <class T>
struct has_fields<T, std::void_t<decltype(T::fields(std::declval<T&>(), [](const char*, auto&) {}))>> : std::true_type {
};

template <class T>
struct is_fact : std::false_type {};
template <class T>
struct is_fact<Fact<T>> : std::true_type {};

// Provenance collected while writing, or consulted while reading: "path" -> text.
struct Provenance {
  Json sources = Json::object();
  Json unknown = Json::object();
};

template <class T>
Json encode(const T& v, const std::string& path, Provenance* prov);

template <class T>
std::string decode(const Json& j, T& out, const std::string& path, const Provenance* prov);

template <class T>
const char* type_word() {
  if constexpr (std::is_same_v<T, bool>)
    return "true or false";
  else if constexpr (std::is_integral_v<T>)
    return "an integer";
  else if constexpr (std::is_floating_point_v<T>)
    return "a number";
  else if constexpr (std::is_same_v<T, std::string>)
    return "a string";
  else
    return "an object";
}

inline std::string mismatch(const std::string& path, const char* want, const Json& got) {
  return path + ": expected " + want + ", found " + std::string(got.type_name());
}

struct Encoder {
  Json* obj;
  std::string prefix;
  Provenance* prov;

  template <class T>
  void operator()(const char* name, const Fact<T>& f) {
    std::string path = prefix + name;
    if (f.value) {
      (*obj)[name] = encode(*f.value, path, prov);
      if (prov && !f.source.empty()) prov->sources[path] = f.source;
    } else {
      (*obj)[name] = nullptr;
      if (prov && !f.unknown_why.empty()) prov->unknown[path] = f.unknown_why;
    }
  }
  template <class T>
  void operator()(const char* name, const T& v) {
    (*obj)[name] = encode(v, prefix + name, prov);
  }
};

struct Decoder {
  const Json* obj;
  std::string prefix;
  const Provenance* prov;
  std::string* error;

  template <class T>
  void operator()(const char* name, Fact<T>& f) {
    if (!error->empty()) return;
    std::string path = prefix + name;
    auto it = obj->find(name);
    if (it == obj->end() || it->is_null()) {
      f.value.reset();
      if (prov) {
        auto u = prov->unknown.find(path);
        if (u != prov->unknown.end() && u->is_string()) f.unknown_why = u->template get<std::string>();
      }
      return;
    }
    T v{};
    *error = decode(*it, v, path, prov);
    if (!error->empty()) return;
    f.value = std::move(v);
    if (prov) {
      auto s = prov->sources.find(path);
      if (s != prov->sources.end() && s->is_string()) f.source = s->template get<std::string>();
    }
  }
  template <class T>
  void operator()(const char* name, T& v) {
    if (!error->empty()) return;
    auto it = obj->find(name);
    if (it == obj->end() || it->is_null()) return;  // missing: keep the default
    *error = decode(*it, v, prefix + name, prov);
  }
};

template <class T>
Json encode(const T& v, const std::string& path, Provenance* prov) {
  if constexpr (has_fields<T>::value) {
    Json child = Json::object();
    T::fields(v, Encoder{&child, path + ".", prov});
    return child;
  } else if constexpr (std::is_same_v<T, std::string> || std::is_arithmetic_v<T>) {
    return Json(v);
  } else if constexpr (requires {
                         typename T::key_type;
                         typename T::mapped_type;
                       }) {
    Json o = Json::object();
    for (const auto& [k, x] : v) o[k] = encode(x, path + "." + k, prov);
    return o;
  } else if constexpr (requires {
                         typename T::value_type;
                         v.size();
                       }) {
    Json a = Json::array();
    size_t i = 0;
    for (const auto& x : v) a.push_back(encode(x, path + "[" + std::to_string(i++) + "]", prov));
    return a;
  } else {
    static_assert(sizeof(T) == 0, "no JSON encoding for this type");
  }
}

template <class T>
std::string decode(const Json& j, T& out, const std::string& path, const Provenance* prov) {
  if constexpr (has_fields<T>::value) {
    if (!j.is_object()) return mismatch(path, "an object", j);
    std::string err;
    T::fields(out, Decoder{&j, path + ".", prov, &err});
    return err;
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!j.is_boolean()) return mismatch(path, "true or false", j);
    out = j.template get<bool>();
    return {};
  } else if constexpr (std::is_integral_v<T>) {
    if (j.is_number_unsigned()) {
      auto u = j.template get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<T>::max())) return path + ": integer out of range";
      out = static_cast<T>(u);
      return {};
    }
    if (!j.is_number_integer()) return mismatch(path, "an integer", j);
    auto s = j.template get<int64_t>();
    if (s < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
        (s > 0 && static_cast<uint64_t>(s) > static_cast<uint64_t>(std::numeric_limits<T>::max())))
      return path + ": integer out of range";
    out = static_cast<T>(s);
    return {};
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!j.is_number()) return mismatch(path, "a number", j);
    out = j.template get<T>();
    return {};
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!j.is_string()) return mismatch(path, "a string", j);
    out = j.template get<std::string>();
    return {};
  } else if constexpr (requires {
                         typename T::key_type;
                         typename T::mapped_type;
                       }) {
    if (!j.is_object()) return mismatch(path, "an object", j);
    out.clear();
    for (auto it = j.begin(); it != j.end(); ++it) {
      typename T::mapped_type x{};
      std::string e = decode(it.value(), x, path + "." + it.key(), prov);
      if (!e.empty()) return e;
      out.emplace(it.key(), std::move(x));
    }
    return {};
  } else if constexpr (requires {
                         typename T::value_type;
                         out.push_back(std::declval<typename T::value_type>());
                       }) {
    if (!j.is_array()) return mismatch(path, "an array", j);
    out.clear();
    size_t i = 0;
    for (const auto& e : j) {
      typename T::value_type x{};
      std::string err = decode(e, x, path + "[" + std::to_string(i++) + "]", prov);
      if (!err.empty()) return err;
      out.push_back(std::move(x));
    }
    return {};
  } else {
    static_assert(sizeof(T) == 0, "no JSON decoding for this type");
  }
}

// Dotted paths of every leaf field of T ("host.memory.total_bytes"), for the documentation check.
struct PathLister {
  std::string prefix;
  std::vector<std::string>* out;
  template <class T>
  void operator()(const char* name, const T&) {
    using V = std::remove_cvref_t<T>;
    if constexpr (is_fact<V>::value) {
      using Inner = typename decltype(std::declval<V>().value)::value_type;
      if constexpr (has_fields<Inner>::value) {
        out->push_back(prefix + name);
        Inner v{};
        Inner::fields(v, PathLister{prefix + name + ".", out});
      } else if constexpr (requires { typename Inner::value_type; } && !std::is_same_v<Inner, std::string>) {
        using Elem = typename Inner::value_type;
        if constexpr (has_fields<Elem>::value) {
          out->push_back(prefix + name);
          Elem e{};
          Elem::fields(e, PathLister{prefix + name + "[].", out});
        } else {
          out->push_back(prefix + name);
        }
      } else {
        out->push_back(prefix + name);
      }
    } else if constexpr (has_fields<V>::value) {
      V v{};
      V::fields(v, PathLister{prefix + name + ".", out});
    } else {
      out->push_back(prefix + name);
    }
  }
};

}  // namespace infertune::codec
