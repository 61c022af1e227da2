#include "prereg/adapters/tenant_export.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <utility>

#include <fmt/format.h>

#include "prereg/actions/json.h"
#include "prereg/adapters/yaml.h"

#include "files.h"

namespace prereg::adapters {

namespace fs = std::filesystem;
using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

namespace {

constexpr const char* kTrigger = "pre-user-registration";
constexpr const char* kHiddenValue = "_VALUE_NOT_SHOWN_";  // deploy-cli's OBFUSCATED_SECRET_VALUE
constexpr size_t kMaxRecordBytes = 16 * 1024 * 1024;
constexpr size_t kMaxCodeBytes = 16 * 1024 * 1024;
constexpr size_t kMaxSmallFileBytes = 1024 * 1024;  // configs, secrets files, package.json
constexpr size_t kMaxRecordsPerFolder = 10000;

// JavaScript's String(value), as `input.replace(regex, value)` coerces a non-string replacement.
std::string JsString(const ordered_json& v) {
  switch (v.type()) {
    case ordered_json::value_t::string:
      return v.get<std::string>();
    case ordered_json::value_t::null:
      return "null";
    case ordered_json::value_t::array: {
      std::string out;
      for (size_t i = 0; i < v.size(); ++i) {
        if (i > 0) out += ',';
        if (!v[i].is_null()) out += JsString(v[i]);
      }
      return out;
    }
    case ordered_json::value_t::object:
      return "[object Object]";
    default:
      return DumpJson(v);
  }
}

// String.prototype.replace's substitution patterns, for a pattern without capture groups.
std::string Substitute(std::string_view replacement, std::string_view text, size_t at,
                       size_t length) {
  std::string out;
  for (size_t i = 0; i < replacement.size(); ++i) {
    const char c = replacement[i];
    if (c != '$' || i + 1 == replacement.size()) {
      out += c;
      continue;
    }
    const char n = replacement[i + 1];
    if (n == '$') {
      out += '$';
    } else if (n == '&') {
      out += text.substr(at, length);
    } else if (n == '`') {
      out += text.substr(0, at);
    } else if (n == '\'') {
      out += text.substr(at + length);
    } else {
      out += c;
      continue;
    }
    ++i;
  }
  return out;
}

// Replaces every occurrence of any of `patterns` (tried in order at each position, as the
// alternation 'P'|"P"|P is) by `replacement`.
std::string ReplaceAll(std::string_view text, const std::vector<std::string>& patterns,
                       const std::string& replacement) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    size_t best = std::string_view::npos;
    const std::string* match = nullptr;
    for (const auto& p : patterns) {
      const size_t at = text.find(p, i);
      if (at < best) {
        best = at;
        match = &p;
      }
    }
    if (match == nullptr) break;
    out.append(text.substr(i, best - i));
    out += Substitute(replacement, text, best, match->size());
    i = best + match->size();
  }
  out.append(text.substr(std::min(i, text.size())));
  return out;
}

bool IsMarkerChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

std::string HookName(std::string name) {
  // deploy-cli's hooks loaders: name.toLowerCase().replace(/\s/g, '-').
  for (char& c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') c = '-';
  }
  return name;
}

// sanitize-filename with replacement '-', as deploy-cli names files (src/utils.ts sanitize).
std::string Sanitize(const std::string& name) {
  std::string out;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f || std::string_view("/?<>\\:*|\"").find(c) != std::string::npos)
               ? '-'
               : c;
  }
  if (out == "." || out == "..") return "-";
  while (!out.empty() && (out.back() == '.' || out.back() == ' ')) out.back() = '-';
  return out;
}

bool Inside(const fs::path& path, const fs::path& root) {
  const auto rel = path.lexically_relative(root);
  return !rel.empty() && *rel.begin() != ".." && !rel.is_absolute();
}

fs::path Canonical(const fs::path& p) {
  std::error_code ec;
  fs::path c = fs::weakly_canonical(fs::absolute(p, ec), ec);
  return ec ? fs::absolute(p).lexically_normal() : c;
}

bool ValidPackageName(const std::string& name) {
  static const std::regex re(R"(^(@[a-z0-9~][a-z0-9._~-]*/)?[a-z0-9~][a-z0-9._~-]*$)",
                             std::regex::icase);
  return !name.empty() && name.size() <= 214 && std::regex_match(name, re);
}

bool ValidVersion(const std::string& version) {
  static const std::regex re(R"(^[A-Za-z0-9.^~<>=*|+ -]{1,100}$)");
  return std::regex_match(version, re);
}

std::string ShellWord(const std::string& s) {
  static const std::regex plain(R"(^[A-Za-z0-9._@/^~=+-]+$)");
  return std::regex_match(s, plain) ? s : "'" + s + "'";
}

struct Config {
  ordered_json mappings = ordered_json::object();
  std::string base_path;
};

Result<Config> ReadConfig(const std::string& path) {
  Config config;
  if (path.empty()) return config;
  auto text = ReadBoundedFile(path, "deploy-cli config", kMaxSmallFileBytes);
  if (!text.ok()) return text.status();
  auto checked = ParseJson(text.value(), fmt::format("deploy-cli config {}", path));
  if (!checked.ok()) return checked.status();
  // Parsed again, keeping key order: deploy-cli replaces keys in their order.
  auto doc = ordered_json::parse(text.value(), nullptr, false);
  if (!doc.is_object()) {
    return Status::InvalidArgument(fmt::format("deploy-cli config {}: must be a JSON object", path));
  }
  if (auto it = doc.find("AUTH0_KEYWORD_REPLACE_MAPPINGS"); it != doc.end() && !it->is_null()) {
    ordered_json m = *it;
    if (m.is_string()) {  // as the environment variable holds it: JSON in a string
      const std::string inner = m.get<std::string>();
      auto inner_checked =
          ParseJson(inner, fmt::format("{}: AUTH0_KEYWORD_REPLACE_MAPPINGS", path));
      if (!inner_checked.ok()) return inner_checked.status();
      m = ordered_json::parse(inner, nullptr, false);
    }
    if (!m.is_object()) {
      return Status::InvalidArgument(fmt::format(
          "deploy-cli config {}: AUTH0_KEYWORD_REPLACE_MAPPINGS must be an object", path));
    }
    config.mappings = std::move(m);
  }
  if (auto it = doc.find("AUTH0_BASE_PATH"); it != doc.end() && it->is_string()) {
    config.base_path = it->get<std::string>();
  }
  return config;
}

// Reads a file of the export with keyword markers replaced; `markers` gets what is left.
struct Loaded {
  std::string text;
  bool replaced = false;
};

Result<Loaded> LoadFile(const fs::path& path, std::string_view what, size_t limit,
                        const Config& config) {
  auto text = ReadBoundedFile(path, what, limit);
  if (!text.ok()) return text.status();
  Loaded out;
  out.text = ReplaceKeywords(text.value(), config.mappings);
  out.replaced = out.text != text.value();
  return out;
}

// A file that does not parse after keyword replacement: a marker left without a mapping is the
// likely cause (`key: @@LIST@@` is not YAML), so the error names them.
Status WithMarkers(const Status& parse_error, std::string_view text) {
  const auto markers = FindMarkers(text);
  if (markers.empty()) return parse_error;
  return Status::InvalidArgument(fmt::format(
      "{} (keyword markers without a mapping: {}; give them in --config's "
      "AUTH0_KEYWORD_REPLACE_MAPPINGS)",
      parse_error.message(), fmt::join(markers, ", ")));
}

std::string StringField(const json& record, const char* field) {
  auto it = record.find(field);
  return it != record.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string VersionText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number()) return DumpJson(v);
  return std::string();
}

// A folder holding tenant.yaml (or .yml) and no tenant.json is a YAML export: that file.
std::string YamlInFolder(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec) || fs::exists(dir / "tenant.json", ec)) return "";
  for (const char* name : {"tenant.yaml", "tenant.yml"}) {
    if (fs::is_regular_file(dir / name, ec)) return (dir / name).string();
  }
  return "";
}

class Reader {
 public:
  Reader(const std::string& path, const Config& config)
      : path_(YamlInFolder(path).empty() ? path : YamlInFolder(path)), config_(config) {}

  Result<TenantExport> Read() {
    std::error_code ec;
    out_.source = path_;
    if (fs::is_directory(path_, ec)) {
      out_.format = "directory";
      root_ = Canonical(path_);
      base_ = root_;
      if (Status s = ReadDirectory(); !s.ok()) return s;
    } else {
      out_.format = "yaml";
      root_ = Canonical(fs::path(path_).parent_path().empty() ? fs::path(".")
                                                               : fs::path(path_).parent_path());
      base_ = config_.base_path.empty() ? root_ : Canonical(config_.base_path);
      if (Status s = ReadYaml(); !s.ok()) return s;
    }
    out_.root = root_.string();
    if (Status s = Assemble(); !s.ok()) return s;
    return std::move(out_);
  }

 private:
  Status ReadYaml() {
    auto loaded = LoadFile(path_, "tenant export", kMaxRecordBytes, config_);
    if (!loaded.ok()) return loaded.status();
    auto doc = ParseYaml(loaded.value().text, path_);
    if (!doc.ok()) return WithMarkers(doc.status(), loaded.value().text);
    const json& d = doc.value();
    if (!d.is_object() && !d.is_null()) {
      return Status::InvalidArgument(fmt::format("{}: the export must be a YAML mapping", path_));
    }
    auto list = [&](const char* key) -> Result<json> {
      if (!d.is_object() || !d.contains(key) || d[key].is_null()) return json::array();
      if (!d[key].is_array()) {
        return Status::InvalidArgument(fmt::format("{}: {} must be a list", path_, key));
      }
      return d[key];
    };
    auto hooks = list("hooks");
    if (!hooks.ok()) return hooks.status();
    for (size_t i = 0; i < hooks.value().size(); ++i) {
      const json& h = hooks.value()[i];
      if (Status s = AddHook(h, fmt::format("{}: hooks[{}]", path_, i), base_); !s.ok()) return s;
      hooks_.back().file = path_;
      hooks_.back().index = static_cast<int>(i);
    }
    if (d.is_object() && d.contains("tenant") && d["tenant"].is_object()) {
      SetSandbox(d["tenant"]);
    }
    auto actions = list("actions");
    if (!actions.ok()) return actions.status();
    for (size_t i = 0; i < actions.value().size(); ++i) {
      const json& a = actions.value()[i];
      if (Status s = AddAction(a, fmt::format("{}: actions[{}]", path_, i), base_); !s.ok()) {
        return s;
      }
      actions_order_.back().file = path_;
      actions_order_.back().index = static_cast<int>(i);
    }
    if (d.is_object() && d.contains("triggers") && !d["triggers"].is_null()) {
      return SetTriggers(d["triggers"], fmt::format("{}: triggers", path_));
    }
    return Status::OK();
  }

  Status ReadDirectory() {
    auto records = [&](const char* folder) -> Result<std::vector<fs::path>> {
      std::vector<fs::path> files;
      std::error_code ec;
      const fs::path dir = root_ / folder;
      if (!fs::is_directory(dir, ec)) return files;
      for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (it->path().extension() == ".json" && it->is_regular_file(ec)) {
          files.push_back(it->path());
        }
        if (files.size() > kMaxRecordsPerFolder) {
          return Status::InvalidArgument(fmt::format("{} holds more than {} records", dir.string(),
                                                     kMaxRecordsPerFolder));
        }
      }
      if (ec) return Status::InvalidArgument(fmt::format("cannot list {}: {}", dir.string(), ec.message()));
      std::sort(files.begin(), files.end());
      return files;
    };
    std::error_code ec;
    if (fs::is_regular_file(root_ / "tenant.json", ec)) {
      auto tenant = ReadRecord(root_ / "tenant.json");
      if (!tenant.ok()) return tenant.status();
      SetSandbox(tenant.value());
    }
    auto hooks = records("hooks");
    if (!hooks.ok()) return hooks.status();
    for (const auto& file : hooks.value()) {
      auto record = ReadRecord(file);
      if (!record.ok()) return record.status();
      if (Status s = AddHook(record.value(), file.string(), root_ / "hooks"); !s.ok()) return s;
      hooks_.back().file = file.string();
    }
    auto actions = records("actions");
    if (!actions.ok()) return actions.status();
    for (const auto& file : actions.value()) {
      auto record = ReadRecord(file);
      if (!record.ok()) return record.status();
      if (Status s = AddAction(record.value(), file.string(), root_); !s.ok()) return s;
      actions_order_.back().file = file.string();
    }
    // deploy-cli reads the first .json in triggers/; export always names it triggers.json.
    auto triggers = records("triggers");
    if (!triggers.ok()) return triggers.status();
    if (!triggers.value().empty()) {
      fs::path file = root_ / "triggers" / "triggers.json";
      if (!fs::is_regular_file(file, ec)) file = triggers.value().front();
      auto record = ReadRecord(file);
      if (!record.ok()) return record.status();
      return SetTriggers(record.value(), file.string());
    }
    return Status::OK();
  }

  Result<json> ReadRecord(const fs::path& file) {
    auto loaded = LoadFile(file, "export file", kMaxRecordBytes, config_);
    if (!loaded.ok()) return loaded.status();
    auto doc = ParseJson(loaded.value().text, file.string());
    if (!doc.ok()) return WithMarkers(doc.status(), loaded.value().text);
    if (!doc.value().is_object()) {
      return Status::InvalidArgument(fmt::format("{}: must be a JSON object", file.string()));
    }
    return doc;
  }

  // Finds the code a record names: against `base` as deploy-cli does, then, for older exports
  // whose path starts with the export folder, from its `folder` component on, then the file
  // deploy-cli would name from the resource's name. Never outside the export.
  Result<fs::path> Locate(const std::string& written, const fs::path& base, const char* folder,
                          const fs::path& by_name, const std::string& record) {
    std::vector<fs::path> tries;
    const fs::path w(written);
    if (!w.is_absolute()) tries.push_back(base / w);
    std::vector<std::string> parts;
    for (const auto& p : w) parts.push_back(p.string());
    for (size_t i = parts.size(); i-- > 0;) {
      if (parts[i] != folder) continue;
      fs::path suffix = root_;
      for (size_t j = i; j < parts.size(); ++j) suffix /= parts[j];
      tries.push_back(suffix);
      break;
    }
    tries.push_back(by_name);
    for (const auto& t : tries) {
      const fs::path c = Canonical(t);
      std::error_code ec;
      if (!fs::is_regular_file(c, ec)) continue;
      if (!Inside(c, root_) && !Inside(c, base_)) {
        return Status::InvalidArgument(fmt::format(
            "{}: \"{}\" points outside the export ({}): refused", record, written, c.string()));
      }
      return c;
    }
    return Status::NotFound(fmt::format("{}: the code file \"{}\" does not exist (looked for {})",
                                        record, written, Canonical(tries.front()).string()));
  }

  Status LoadCode(ExportScript* s) {
    auto loaded = LoadFile(s->script, "script", kMaxCodeBytes, config_);
    if (!loaded.ok()) return loaded.status();
    s->source = std::move(loaded.value().text);
    s->replaced = loaded.value().replaced;
    for (const auto& m : FindMarkers(s->source)) s->markers.push_back(m + " in " + s->script);
    return Status::OK();
  }

  void RecordMarkers(const json& record, const std::string& where, ExportScript* s) {
    for (const auto& m : FindMarkers(DumpJson(record))) s->markers.push_back(m + " in " + where);
  }

  Status AddHook(const json& h, const std::string& record, const fs::path& base) {
    if (!h.is_object()) return Status::InvalidArgument(record + ": a Hook must be a mapping");
    ExportScript s;
    s.kind = "hook";
    s.record = record;
    std::string name = StringField(h, "name");
    if (name.empty()) name = StringField(h, "id");
    if (name.empty()) return Status::InvalidArgument(record + ": the Hook has no name");
    s.name = HookName(name);
    const std::string script = StringField(h, "script");
    if (script.empty()) {
      return Status::InvalidArgument(fmt::format("{} (Hook \"{}\"): script must be a path", record, s.name));
    }
    s.trigger = StringField(h, "triggerId");
    if (auto it = h.find("enabled"); it != h.end() && !it->is_null()) {
      if (!it->is_boolean()) {
        return Status::InvalidArgument(
            fmt::format("{} (Hook \"{}\"): enabled must be true or false", record, s.name));
      }
      s.enabled = it->get<bool>();
    }
    if (auto it = h.find("secrets"); it != h.end() && !it->is_null()) {
      if (!it->is_object()) {
        return Status::InvalidArgument(fmt::format(
            "{} (Hook \"{}\"): secrets must be a mapping of NAME: value", record, s.name));
      }
      for (const auto& [key, value] : it->items()) {
        s.secret_names.push_back(key);
        if (value.is_string() && !value.get<std::string>().empty() &&
            value.get<std::string>() != kHiddenValue) {
          s.secret_values[key] = value.get<std::string>();
        }
      }
    }
    if (auto it = h.find("dependencies"); it != h.end() && !it->is_null()) {
      if (!it->is_object()) {
        return Status::InvalidArgument(fmt::format(
            "{} (Hook \"{}\"): dependencies must be a mapping of package: version", record, s.name));
      }
      for (const auto& [key, value] : it->items()) {
        s.dependencies.push_back(ExportDependency{key, VersionText(value), std::nullopt});
      }
    }
    auto located = Locate(script, base, "hooks", root_ / "hooks" / (Sanitize(name) + ".js"),
                          fmt::format("{} (Hook \"{}\")", record, s.name));
    if (!located.ok()) return located.status();
    s.script = located.value().string();
    RecordMarkers(h, record, &s);
    hooks_.push_back(std::move(s));
    return Status::OK();
  }

  Status AddAction(const json& a, const std::string& record, const fs::path& base) {
    if (!a.is_object()) return Status::InvalidArgument(record + ": an Action must be a mapping");
    ExportScript s;
    s.kind = "action";
    s.record = record;
    s.name = StringField(a, "name");
    if (s.name.empty()) return Status::InvalidArgument(record + ": the Action has no name");
    const std::string where = fmt::format("{} (Action \"{}\")", record, s.name);
    const std::string code = StringField(a, "code");
    if (code.empty()) return Status::InvalidArgument(where + ": code must be a path to its code.js");
    s.runtime = StringField(a, "runtime");
    s.status = StringField(a, "status");
    if (auto it = a.find("deployed"); it != a.end() && it->is_boolean()) s.deployed = it->get<bool>();
    if (auto it = a.find("supported_triggers"); it != a.end() && it->is_array()) {
      for (const auto& t : *it) {
        if (t.is_object()) s.supported_triggers.push_back(StringField(t, "id"));
      }
    }
    if (auto it = a.find("secrets"); it != a.end() && !it->is_null()) {
      if (it->is_array()) {
        for (const auto& secret : *it) {
          const std::string name = secret.is_object() ? StringField(secret, "name") : "";
          if (name.empty()) {
            return Status::InvalidArgument(where + ": every secret needs a name");
          }
          s.secret_names.push_back(name);
          const std::string value = StringField(secret, "value");
          if (!value.empty() && value != kHiddenValue) s.secret_values[name] = value;
        }
      } else if (!it->is_string()) {  // a whole-array marker left as text is caught as a marker
        return Status::InvalidArgument(where + ": secrets must be a list of {name}");
      }
    }
    if (auto it = a.find("dependencies"); it != a.end() && !it->is_null()) {
      if (!it->is_array()) {
        return Status::InvalidArgument(where + ": dependencies must be a list of {name, version}");
      }
      for (const auto& d : *it) {
        const std::string name = d.is_object() ? StringField(d, "name") : "";
        if (name.empty()) return Status::InvalidArgument(where + ": every dependency needs a name");
        s.dependencies.push_back(
            ExportDependency{name, d.contains("version") ? VersionText(d["version"]) : "", std::nullopt});
      }
    }
    auto located = Locate(code, base, "actions", root_ / "actions" / Sanitize(s.name) / "code.js",
                          where);
    if (!located.ok()) return located.status();
    s.script = located.value().string();
    RecordMarkers(a, record, &s);
    if (!actions_.emplace(s.name, actions_order_.size()).second) {
      return Status::InvalidArgument(
          fmt::format("{}: a second Action named \"{}\"", record, s.name));
    }
    actions_order_.push_back(std::move(s));
    return Status::OK();
  }

  Status SetTriggers(const json& t, const std::string& where) {
    if (!t.is_object()) {
      return Status::InvalidArgument(where + ": triggers must map trigger ids to bindings");
    }
    for (const auto& [id, bindings] : t.items()) {
      if (bindings.is_null()) continue;
      if (!bindings.is_array()) {
        return Status::InvalidArgument(
            fmt::format("{}: {} must be a list of {{action_name, display_name}}", where, id));
      }
      for (size_t i = 0; i < bindings.size(); ++i) {
        const std::string name = bindings[i].is_object() ? StringField(bindings[i], "action_name") : "";
        if (name.empty()) {
          return Status::InvalidArgument(
              fmt::format("{}: {}[{}] has no action_name", where, id, i));
        }
        bindings_[id].push_back(name);
      }
      if (id == kTrigger) trigger_file_ = where;
    }
    triggers_file_ = where;
    return Status::OK();
  }

  // Hooks ran on the tenant's sandbox_version, a Node major version ('18').
  void SetSandbox(const json& tenant) {
    const std::string version = VersionText(tenant.value("sandbox_version", json()));
    if (!version.empty()) sandbox_ = "node" + version;
  }

  Status Assemble() {
    for (auto& h : hooks_) h.runtime = sandbox_;
    // The enabled pre-user-registration Hook (deploy-cli's message, on the field that exists).
    std::vector<size_t> active;
    for (size_t i = 0; i < hooks_.size(); ++i) {
      if (hooks_[i].trigger == kTrigger && hooks_[i].enabled) active.push_back(i);
    }
    if (active.size() > 1) {
      std::vector<std::string> names, files;
      for (size_t i : active) {
        names.push_back(hooks_[i].name);
        files.push_back(hooks_[i].record);
      }
      return Status::InvalidArgument(fmt::format(
          "{}: Only one active hook allowed for \"{}\" extensibility point. Conflicting hooks: {} "
          "({}). Disable all but one (enabled: false).",
          path_, kTrigger, fmt::join(names, ", "), fmt::join(files, ", ")));
    }
    for (size_t i = 0; i < hooks_.size(); ++i) {
      auto& h = hooks_[i];
      if (!active.empty() && i == active.front()) {
        if (Status s = LoadCode(&h); !s.ok()) return s;
        out_.pipeline.push_back(h);
      } else {
        out_.not_run_why.push_back(h.trigger != kTrigger
                                       ? fmt::format("a Hook of the {} trigger", h.trigger.empty() ? "(no)" : h.trigger)
                                       : "disabled (enabled: false)");
        out_.not_run.push_back(h);
      }
    }
    for (auto& a : actions_order_) {
      for (const auto& [id, names] : bindings_) {
        if (std::find(names.begin(), names.end(), a.name) != names.end()) a.bound_to.push_back(id);
      }
    }
    const auto bound = bindings_.find(kTrigger);
    std::set<std::string> running;
    if (bound != bindings_.end()) {
      for (size_t i = 0; i < bound->second.size(); ++i) {
        const std::string& name = bound->second[i];
        auto it = actions_.find(name);
        if (it == actions_.end()) {
          return Status::InvalidArgument(fmt::format(
              "{}: {}[{}] binds the Action \"{}\", which the export does not contain", trigger_file_,
              kTrigger, i, name));
        }
        ExportScript a = actions_order_[it->second];
        if (Status s = LoadCode(&a); !s.ok()) return s;
        Warn(a);
        running.insert(name);
        out_.pipeline.push_back(std::move(a));
      }
    }
    for (const auto& a : actions_order_) {
      if (running.count(a.name) > 0) continue;
      out_.not_run_why.push_back(a.bound_to.empty()
                                     ? std::string("not bound to any trigger")
                                     : fmt::format("bound to {} only", fmt::join(a.bound_to, ", ")));
      out_.not_run.push_back(a);
    }
    for (auto& s : out_.pipeline) CheckDependencies(&s);
    for (auto& s : out_.not_run) CheckDependencies(&s);
    return Status::OK();
  }

  void Warn(const ExportScript& a) {
    if (a.deployed.has_value() && !*a.deployed) {
      out_.warnings.push_back(fmt::format(
          "{}: deployed is false: the exported code is the Action's draft and may not be what "
          "Auth0 runs",
          a.record));
    }
    if (!a.status.empty() && a.status != "built") {
      out_.warnings.push_back(fmt::format("{}: status is \"{}\", not \"built\"", a.record, a.status));
    }
    if (!a.supported_triggers.empty() &&
        std::find(a.supported_triggers.begin(), a.supported_triggers.end(), kTrigger) ==
            a.supported_triggers.end()) {
      out_.warnings.push_back(fmt::format(
          "{}: bound to {} but supported_triggers does not list it", a.record, kTrigger));
    }
  }

  void CheckDependencies(ExportScript* s) {
    for (auto& d : s->dependencies) {
      if (!ValidPackageName(d.name)) continue;  // reported by ExportFlowSpec
      for (fs::path dir = fs::path(s->script).parent_path();; dir = dir.parent_path()) {
        const fs::path manifest = dir / "node_modules" / d.name / "package.json";
        std::error_code ec;
        if (fs::is_regular_file(manifest, ec)) {
          auto text = ReadBoundedFile(manifest, "package manifest", kMaxSmallFileBytes);
          auto doc = text.ok() ? ParseJson(text.value(), manifest.string()) : Result<json>(text.status());
          d.installed = doc.ok() && doc.value().is_object() ? StringField(doc.value(), "version") : "";
          break;
        }
        if (dir == dir.parent_path()) break;
      }
    }
  }

  const std::string path_;
  const Config& config_;
  fs::path root_, base_;
  TenantExport out_;
  std::vector<ExportScript> hooks_;
  std::vector<ExportScript> actions_order_;
  std::map<std::string, size_t> actions_;
  std::map<std::string, std::vector<std::string>> bindings_;
  std::string triggers_file_, trigger_file_;
  std::string sandbox_;
};

Result<json> ReadSecretsFile(const std::string& path) {
  if (path.empty()) return json::object();
  auto text = ReadBoundedFile(path, "secrets file", kMaxSmallFileBytes);
  if (!text.ok()) return text.status();
  auto doc = ParseJson(text.value(), fmt::format("secrets file {}", path));
  if (!doc.ok()) return doc.status();
  const json& d = doc.value();
  const std::string shape = "{\"<hook or action name>\": {\"NAME\": \"value\"}}";
  if (!d.is_object()) {
    return Status::InvalidArgument(fmt::format("secrets file {}: must be {}", path, shape));
  }
  for (const auto& [step, secrets] : d.items()) {
    if (!secrets.is_object()) {
      return Status::InvalidArgument(
          fmt::format("secrets file {}: \"{}\" must be an object of NAME: value", path, step));
    }
    for (const auto& [name, value] : secrets.items()) {
      if (!value.is_string()) {
        return Status::InvalidArgument(fmt::format(
            "secrets file {}: \"{}\".{} must be a string", path, step, name));
      }
    }
  }
  return doc;
}

}  // namespace

bool IsTenantExport(const std::string& path) {
  std::error_code ec;
  const fs::path p(path);
  if (fs::is_directory(p, ec)) {
    for (const char* marker : {"tenant.json", "tenant.yaml", "tenant.yml", "actions", "hooks", "triggers"}) {
      if (fs::exists(p / marker, ec)) return true;
    }
    return false;
  }
  const auto ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml";
}

std::string ReplaceKeywords(std::string_view text, const ordered_json& mappings) {
  std::string out(text);
  if (!mappings.is_object() || mappings.empty()) return out;
  for (const auto& [key, value] : mappings.items()) {
    const std::string marker = "@@" + key + "@@";
    out = ReplaceAll(out, {"'" + marker + "'", "\"" + marker + "\"", marker}, DumpJson(value));
  }
  for (const auto& [key, value] : mappings.items()) {
    out = ReplaceAll(out, {"##" + key + "##"}, JsString(value));
  }
  return out;
}

std::vector<std::string> FindMarkers(std::string_view text) {
  std::vector<std::string> found;
  for (const std::string_view fence : {"@@", "##"}) {
    size_t i = 0;
    while ((i = text.find(fence, i)) != std::string_view::npos) {
      size_t j = i + 2;
      while (j < text.size() && IsMarkerChar(text[j])) ++j;
      if (j > i + 2 && text.substr(j, 2) == fence) {
        std::string marker(text.substr(i, j + 2 - i));
        if (std::find(found.begin(), found.end(), marker) == found.end()) found.push_back(marker);
        i = j + 2;
      } else {
        i = j > i + 2 ? j : i + 1;
      }
    }
  }
  return found;
}

Result<TenantExport> ReadTenantExport(const std::string& path, const SourceOptions& options) {
  auto config = ReadConfig(options.config_path);
  if (!config.ok()) return config.status();
  return Reader(path, config.value()).Read();
}

namespace {

std::vector<std::map<std::string, std::string>> ResolveExportSecrets(
    const TenantExport& tenant, const SourceOptions& options, const json& file,
    std::vector<std::string>* missing, std::vector<std::string>* warnings) {
  std::vector<std::map<std::string, std::string>> out;
  std::set<std::string> used;
  for (const auto& s : tenant.pipeline) {
    std::map<std::string, std::string> values;
    const json* given = nullptr;
    for (const auto& [key, v] : file.items()) {
      if (key == s.name || (s.kind == "hook" && HookName(key) == s.name)) {
        given = &v;
        used.insert(key);
      }
    }
    for (const auto& name : s.secret_names) {
      if (given != nullptr && given->contains(name)) {
        values[name] = (*given)[name].get<std::string>();
      } else if (auto it = s.secret_values.find(name); it != s.secret_values.end()) {
        values[name] = it->second;
      } else if (auto g = options.secrets.find(name); g != options.secrets.end()) {
        values[name] = g->second;
      } else if (missing != nullptr) {
        missing->push_back(fmt::format("{} ({}): {}", s.name, s.kind, name));
      }
    }
    if (given != nullptr && warnings != nullptr) {
      for (const auto& [name, v] : given->items()) {
        if (std::find(s.secret_names.begin(), s.secret_names.end(), name) == s.secret_names.end()) {
          warnings->push_back(fmt::format(
              "secrets file {}: \"{}\" does not declare the secret {}: not given to it",
              options.secrets_file, s.name, name));
        }
      }
    }
    out.push_back(std::move(values));
  }
  if (warnings != nullptr) {
    for (const auto& [key, v] : file.items()) {
      if (used.count(key) == 0) {
        warnings->push_back(fmt::format(
            "secrets file {}: \"{}\" is not a step of the pre-user-registration pipeline",
            options.secrets_file, key));
      }
    }
  }
  return out;
}

}  // namespace

Result<std::vector<std::map<std::string, std::string>>> ResolveExportSecrets(
    const TenantExport& tenant, const SourceOptions& options, std::vector<std::string>* missing,
    std::vector<std::string>* warnings) {
  auto file = ReadSecretsFile(options.secrets_file);
  if (!file.ok()) return file.status();
  return ResolveExportSecrets(tenant, options, file.value(), missing, warnings);
}

std::string ExportFileName(const std::string& name) { return Sanitize(name); }

std::string NpmInstallCommand(const std::string& root, const std::vector<ExportDependency>& deps) {
  std::string cmd = "npm install --prefix " + ShellWord(root);
  for (const auto& d : deps) {
    cmd += ' ';
    cmd += ShellWord(d.version.empty() ? d.name : d.name + "@" + d.version);
  }
  return cmd;
}

Result<FlowSpec> ExportFlowSpec(const std::string& path, const SourceOptions& options) {
  auto tenant = ReadTenantExport(path, options);
  if (!tenant.ok()) return tenant.status();
  return ExportFlowSpec(tenant.value(), options);
}

Result<FlowSpec> ExportFlowSpec(const TenantExport& t, const SourceOptions& options) {
  const std::string& path = t.source;
  if (t.pipeline.empty()) {
    return Status::InvalidArgument(fmt::format(
        "{}: nothing runs at {}: no enabled {} Hook and no Action bound to the trigger (prereg "
        "tenant show {} lists what the export holds)",
        path, kTrigger, kTrigger, path));
  }
  auto file = ReadSecretsFile(options.secrets_file);
  if (!file.ok()) return file.status();
  FlowSpec spec;
  spec.warnings = t.warnings;
  std::vector<std::string> problems, missing;
  auto secrets = ResolveExportSecrets(t, options, file.value(), &missing, &spec.warnings);
  std::vector<std::string> markers;
  std::vector<ExportDependency> absent;
  for (const auto& s : t.pipeline) {
    for (const auto& m : s.markers) markers.push_back(m);
    for (const auto& d : s.dependencies) {
      if (!ValidPackageName(d.name)) {
        problems.push_back(fmt::format("{} ({}): the dependency name \"{}\" is not an npm package name",
                                       s.name, s.record, d.name));
      } else if (!d.version.empty() && !ValidVersion(d.version)) {
        problems.push_back(fmt::format("{} ({}): the dependency {} has a version that is not one",
                                       s.name, s.record, d.name));
      } else if (!d.installed.has_value()) {
        problems.push_back(fmt::format("{} ({}): the dependency {}{} is not installed", s.name,
                                       s.kind, d.name, d.version.empty() ? "" : "@" + d.version));
        absent.push_back(d);
      } else if (!d.version.empty() && *d.installed != d.version && ValidVersion(d.version) &&
                 d.version.find_first_of("^~<>=*| x") == std::string::npos) {
        spec.warnings.push_back(fmt::format("{}: declares {}@{}, {} is installed", s.name, d.name,
                                            d.version, *d.installed));
      }
    }
  }
  if (!markers.empty()) {
    problems.insert(problems.begin(),
                    fmt::format("keyword markers without a mapping (give them in --config's "
                                "AUTH0_KEYWORD_REPLACE_MAPPINGS): {}",
                                fmt::join(markers, "; ")));
  }
  if (!absent.empty()) {
    problems.push_back("install them with: " + NpmInstallCommand(t.root, absent));
  }
  if (!missing.empty()) {
    const std::string line = fmt::format(
        "secrets without a value: {} (give them in --secrets-file as {{\"<step>\": {{\"NAME\": "
        "\"value\"}}}} or with --secret NAME=VALUE)",
        fmt::join(missing, ", "));
    if (options.allow_missing_secrets) {
      spec.warnings.push_back(line + "; --allow-missing-secrets: they are left out");
    } else {
      problems.push_back(line + ", or pass --allow-missing-secrets");
    }
  }
  if (!problems.empty()) {
    return Status::InvalidArgument(
        fmt::format("{}: cannot run the export:\n  {}", path, fmt::join(problems, "\n  ")));
  }
  for (size_t i = 0; i < t.pipeline.size(); ++i) {
    const auto& s = t.pipeline[i];
    StepSpec step;
    step.name = s.name;
    step.script = s.script;
    step.secrets = std::move(secrets[i]);
    step.source = s.source;
    spec.steps.push_back(std::move(step));
  }
  return spec;
}

}  // namespace prereg::adapters
