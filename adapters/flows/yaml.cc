#include "prereg/adapters/yaml.h"

#include "prereg/actions/json.h"

#include <yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "prereg/actions/json.h"

namespace prereg::adapters {

using json = nlohmann::json;

namespace {

bool OneOf(std::string_view s, std::initializer_list<std::string_view> options) {
  for (auto o : options) {
    if (s == o) return true;
  }
  return false;
}

bool AllDigits(std::string_view s, int base) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c == '_') continue;
    const bool ok = base == 16 ? std::isxdigit(static_cast<unsigned char>(c)) != 0
                               : (c >= '0' && c < static_cast<char>('0' + std::min(base, 10)));
    if (!ok) return false;
  }
  return true;
}

std::string WithoutUnderscores(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != '_') out += c;
  }
  return out;
}

// js-yaml 4 int: [-+]?(0b[01_]+|0o[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*), no leading/trailing `_`.
template <typename J>
std::optional<J> ResolveInt(std::string_view s) {
  std::string_view body = s;
  bool negative = false;
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  int base = 10;
  if (body.size() > 2 && body[0] == '0' && (body[1] == 'b' || body[1] == 'o' || body[1] == 'x')) {
    base = body[1] == 'b' ? 2 : body[1] == 'o' ? 8 : 16;
    body.remove_prefix(2);
  }
  if (!AllDigits(body, base) || body.front() == '_' || body.back() == '_') return std::nullopt;
  const std::string digits = WithoutUnderscores(body);
  errno = 0;
  char* end = nullptr;
  const unsigned long long magnitude = std::strtoull(digits.c_str(), &end, base);
  if (errno == ERANGE || *end != '\0') {
    // Beyond 64 bits js-yaml still reads a number (a double).
    if (base != 10) return std::nullopt;
    return J(std::strtod((negative ? "-" + digits : digits).c_str(), nullptr));
  }
  if (!negative) return J(static_cast<uint64_t>(magnitude));
  if (magnitude > static_cast<unsigned long long>(std::numeric_limits<int64_t>::max()) + 1ULL) {
    return J(-static_cast<double>(magnitude));
  }
  return J(magnitude == 0 ? int64_t{0} : -static_cast<int64_t>(magnitude - 1) - 1);
}

// js-yaml 4 float: [-+]?(\.[0-9]+|[0-9][0-9_]*)(\.[0-9_]*)?([eE][-+]?[0-9]+)?, .inf, .nan.
template <typename J>
std::optional<J> ResolveFloat(std::string_view s) {
  std::string_view body = s;
  const bool negative = !body.empty() && body[0] == '-';
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) body.remove_prefix(1);
  if (OneOf(body, {".inf", ".Inf", ".INF"})) {
    return J(negative ? -std::numeric_limits<double>::infinity()
                         : std::numeric_limits<double>::infinity());
  }
  if (OneOf(s, {".nan", ".NaN", ".NAN"})) return J(std::numeric_limits<double>::quiet_NaN());
  size_t i = 0;
  auto digits = [&](bool underscores) {
    const size_t start = i;
    while (i < body.size() && ((body[i] >= '0' && body[i] <= '9') || (underscores && body[i] == '_'))) ++i;
    return i > start;
  };
  if (i < body.size() && body[i] == '.') {
    ++i;
    if (!digits(false)) return std::nullopt;
  } else {
    if (i >= body.size() || body[i] < '0' || body[i] > '9') return std::nullopt;
    digits(true);
    if (i < body.size() && body[i] == '.') {
      ++i;
      digits(true);
    }
  }
  if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
    ++i;
    if (i < body.size() && (body[i] == '+' || body[i] == '-')) ++i;
    if (!digits(false)) return std::nullopt;
  }
  if (i != body.size() || body.back() == '_') return std::nullopt;
  const std::string text = WithoutUnderscores(s);
  return J(std::strtod(text.c_str(), nullptr));
}

template <typename J>
J ResolvePlain(std::string_view s) {
  if (OneOf(s, {"", "~", "null", "Null", "NULL"})) return nullptr;
  if (OneOf(s, {"true", "True", "TRUE"})) return true;
  if (OneOf(s, {"false", "False", "FALSE"})) return false;
  if (auto i = ResolveInt<J>(s)) return *i;
  if (auto f = ResolveFloat<J>(s)) {
    // JSON has no infinity or NaN: such a value stays the text it was.
    if (std::isfinite(f->template get<double>())) return *f;
  }
  return std::string(s);
}

template <typename J>
size_t CountNodes(const J& v) {
  size_t n = 1;
  if (v.is_structured()) {
    for (const auto& child : v) n += CountNodes(child);
  }
  return n;
}

std::string_view Text(const yaml_char_t* p) {
  return p == nullptr ? std::string_view() : std::string_view(reinterpret_cast<const char*>(p));
}

template <typename J>
struct Frame {
  J value;
  std::string anchor;
  bool has_key = false;  // mappings: a key was read, its value comes next
  std::string key;
  bool key_is_merge = false;
  std::vector<J> merges;  // `<<` sources, applied when the mapping ends
};

template <typename J>
class Builder {
 public:
  Builder(std::string_view what, const YamlLimits& limits) : what_(what), limits_(limits) {}

  Status Event(const yaml_event_t& e) {
    mark_ = e.start_mark;
    switch (e.type) {
      case YAML_DOCUMENT_START_EVENT:
        if (++documents_ > 1) return Fail("holds more than one document");
        return Status::OK();
      case YAML_MAPPING_START_EVENT:
        return Open(J::object(), Text(e.data.mapping_start.anchor));
      case YAML_SEQUENCE_START_EVENT:
        return Open(J::array(), Text(e.data.sequence_start.anchor));
      case YAML_MAPPING_END_EVENT:
      case YAML_SEQUENCE_END_EVENT:
        return Close();
      case YAML_SCALAR_EVENT: {
        const auto& s = e.data.scalar;
        const std::string_view text(reinterpret_cast<const char*>(s.value), s.length);
        const std::string_view tag = Text(s.tag);
        const bool plain = s.style == YAML_PLAIN_SCALAR_STYLE &&
                           (tag.empty() || tag != "tag:yaml.org,2002:str") && tag != "!";
        // A mapping key is text whatever it looks like; `<<` unquoted is a merge key.
        if (!stack_.empty() && stack_.back().value.is_object() && !stack_.back().has_key) {
          Frame<J>& f = stack_.back();
          f.has_key = true;
          f.key = std::string(text);
          f.key_is_merge = plain && text == "<<";
          if (!f.key_is_merge && f.value.contains(f.key)) {
            return Fail(fmt::format("repeats the key \"{}\"", f.key));
          }
          return Status::OK();
        }
        J v = plain ? ResolvePlain<J>(text) : J(std::string(text));
        if (Text(s.anchor).size() > 0) anchors_[std::string(Text(s.anchor))] = v;
        return Add(std::move(v), 1);
      }
      case YAML_ALIAS_EVENT: {
        auto it = anchors_.find(std::string(Text(e.data.alias.anchor)));
        if (it == anchors_.end()) {
          return Fail(fmt::format("uses the alias *{} before its anchor", Text(e.data.alias.anchor)));
        }
        if (!stack_.empty() && stack_.back().value.is_object() && !stack_.back().has_key) {
          return Fail("uses an alias as a mapping key");
        }
        return Add(it->second, CountNodes(it->second));
      }
      default:
        return Status::OK();
    }
  }

  J Take() { return std::move(root_); }
  Status Fail(std::string_view problem) const {
    return Status::InvalidArgument(fmt::format("{} line {} column {}: {}", what_, mark_.line + 1,
                                               mark_.column + 1, problem));
  }

 private:
  Status Open(J container, std::string_view anchor) {
    if (!stack_.empty() && stack_.back().value.is_object() && !stack_.back().has_key) {
      return Fail("uses a mapping or a sequence as a mapping key");
    }
    if (stack_.size() >= limits_.max_depth) {
      return Fail(fmt::format("nests deeper than {} levels", limits_.max_depth));
    }
    if (Status s = Count(1); !s.ok()) return s;
    Frame<J> f;
    f.value = std::move(container);
    f.anchor = std::string(anchor);
    stack_.push_back(std::move(f));
    return Status::OK();
  }

  Status Close() {
    Frame<J> f = std::move(stack_.back());
    stack_.pop_back();
    // Keys written in the mapping win over merged ones; earlier merge sources win over later.
    for (const auto& source : f.merges) {
      for (const auto& [k, v] : source.items()) {
        if (!f.value.contains(k)) f.value[k] = v;
      }
    }
    if (!f.anchor.empty()) anchors_[f.anchor] = f.value;
    return Add(std::move(f.value), 0);
  }

  Status Add(J v, size_t nodes) {
    if (Status s = Count(nodes); !s.ok()) return s;
    if (stack_.empty()) {
      root_ = std::move(v);
      return Status::OK();
    }
    Frame<J>& f = stack_.back();
    if (f.value.is_array()) {
      f.value.push_back(std::move(v));
      return Status::OK();
    }
    f.has_key = false;
    if (f.key_is_merge) {
      if (v.is_object()) {
        f.merges.push_back(std::move(v));
      } else if (v.is_array()) {
        for (auto& item : v) {
          if (!item.is_object()) return Fail("merges (<<) something that is not a mapping");
          f.merges.push_back(std::move(item));
        }
      } else {
        return Fail("merges (<<) something that is not a mapping");
      }
      return Status::OK();
    }
    f.value[f.key] = std::move(v);
    return Status::OK();
  }

  Status Count(size_t nodes) {
    nodes_ += nodes;
    if (nodes_ > limits_.max_nodes) {
      return Fail(fmt::format("has more than {} values (aliases counted)", limits_.max_nodes));
    }
    return Status::OK();
  }

  std::string_view what_;
  const YamlLimits& limits_;
  yaml_mark_t mark_{};
  std::vector<Frame<J>> stack_;
  std::map<std::string, J> anchors_;
  J root_;
  size_t nodes_ = 0;
  int documents_ = 0;
};

struct ParserDeleter {
  void operator()(yaml_parser_t* p) const {
    yaml_parser_delete(p);
    delete p;
  }
};

}  // namespace

namespace {

template <typename J>
Result<J> Parse(std::string_view text, std::string_view what, const YamlLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return Status::InvalidArgument(
        fmt::format("{} is larger than {} bytes", what, limits.max_bytes));
  }
  std::unique_ptr<yaml_parser_t, ParserDeleter> parser(new yaml_parser_t);
  if (yaml_parser_initialize(parser.get()) == 0) {
    delete parser.release();
    return Status::Internal("cannot start the YAML parser");
  }
  yaml_parser_set_input_string(parser.get(), reinterpret_cast<const unsigned char*>(text.data()),
                               text.size());
  Builder<J> builder(what, limits);
  while (true) {
    yaml_event_t event;
    if (yaml_parser_parse(parser.get(), &event) == 0) {
      const auto& mark = parser->problem_mark;
      return Status::InvalidArgument(fmt::format(
          "{} line {} column {}: not valid YAML: {}{}", what, mark.line + 1, mark.column + 1,
          parser->problem != nullptr ? parser->problem : "parse error",
          parser->context != nullptr ? fmt::format(" ({})", parser->context) : ""));
    }
    const Status s = builder.Event(event);
    const bool end = event.type == YAML_STREAM_END_EVENT;
    yaml_event_delete(&event);
    if (!s.ok()) return s;
    if (end) break;
  }
  return builder.Take();
}

}  // namespace

Result<json> ParseYaml(std::string_view text, std::string_view what, const YamlLimits& limits) {
  return Parse<json>(text, what, limits);
}

Result<nlohmann::ordered_json> ParseYamlOrdered(std::string_view text, std::string_view what,
                                                const YamlLimits& limits) {
  return Parse<nlohmann::ordered_json>(text, what, limits);
}

namespace {

using ordered_json = nlohmann::ordered_json;

// A string js-yaml would write without quotes and read back as the same string.
bool PlainSafe(const std::string& s) {
  if (s.empty() || s.front() == ' ' || s.back() == ' ') return false;
  if (std::string_view("-?:,[]{}#&*!|>'\"%@`").find(s.front()) != std::string_view::npos) {
    return false;
  }
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return false;
  }
  if (s.find(": ") != std::string::npos || s.find(" #") != std::string::npos || s.back() == ':') {
    return false;
  }
  // Would read back as something else (true, null, 12, 1e3, a timestamp-looking date).
  const auto resolved = ResolvePlain<ordered_json>(s);
  if (!resolved.is_string() || resolved.get<std::string>() != s) return false;
  if (s.size() >= 8 && s[0] >= '0' && s[0] <= '9' && s[4] == '-') return false;
  return true;
}

std::string Scalar(const ordered_json& v) {
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (PlainSafe(s)) return s;
    bool printable = true;
    for (char c : s) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f) printable = false;
    }
    if (!printable) return DumpJson(v);  // JSON's escapes are YAML double-quoted escapes
    std::string out = "'";
    for (char c : s) {
      out += c;
      if (c == '\'') out += '\'';
    }
    return out + "'";
  }
  if (v.is_object()) return "{}";
  if (v.is_array()) return "[]";
  return DumpJson(v);
}

bool Inline(const ordered_json& v) { return !v.is_structured() || v.empty(); }

void Emit(const ordered_json& v, size_t indent, bool first_inline, std::string* out) {
  const std::string pad(indent, ' ');
  bool first = true;
  if (v.is_object()) {
    for (const auto& [key, child] : v.items()) {
      if (!(first && first_inline)) *out += pad;
      first = false;
      *out += Scalar(ordered_json(key)) + ":";
      if (Inline(child)) {
        *out += ' ';  // (" " + Scalar(child): GCC 12's -Wrestrict false positive at -O3)
        *out += Scalar(child);
        *out += '\n';
      } else {
        *out += "\n";
        Emit(child, indent + 2, false, out);
      }
    }
    return;
  }
  for (const auto& child : v) {
    if (!(first && first_inline)) *out += pad;
    first = false;
    *out += "- ";
    if (Inline(child)) {
      *out += Scalar(child) + "\n";
    } else {
      Emit(child, indent + 2, true, out);
    }
  }
}

}  // namespace

std::string DumpYaml(const ordered_json& value) {
  if (Inline(value)) return Scalar(value) + "\n";
  std::string out;
  Emit(value, 0, false, &out);
  return out;
}

}  // namespace prereg::adapters
