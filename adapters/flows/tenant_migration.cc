#include "prereg/adapters/tenant_migration.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "prereg/actions/json.h"
#include "prereg/adapters/tenant_export.h"
#include "prereg/adapters/yaml.h"

#include "files.h"

namespace prereg::adapters {

namespace fs = std::filesystem;
using ordered_json = nlohmann::ordered_json;

namespace {

constexpr const char* kTrigger = "pre-user-registration";
constexpr const char* kRuntime = "node22";

constexpr size_t kMaxRecordBytes = 16 * 1024 * 1024;

Result<std::string> ReadText(const fs::path& path) {
  return ReadBoundedFile(path, "export file", kMaxRecordBytes);
}

Status WriteText(const fs::path& path, const std::string& text) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!(out << text) || !out.flush()) {
    return Status::InvalidArgument(fmt::format("cannot write {}", path.string()));
  }
  return Status::OK();
}

// A JSON record of the export, keys in their order. The reader has checked it parses.
Result<ordered_json> ReadRecord(const fs::path& path) {
  auto text = ReadText(path);
  if (!text.ok()) return text.status();
  auto checked = ParseJson(text.value(), path.string());
  if (!checked.ok()) return checked.status();
  return ordered_json::parse(text.value(), nullptr, false);
}

// The export's files, minus what is not part of it (installed packages, version control).
Status CopyExport(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::create_directories(to, ec);
  if (ec) return Status::InvalidArgument(fmt::format("cannot create {}: {}", to.string(), ec.message()));
  for (fs::directory_iterator it(from, ec), end; !ec && it != end; it.increment(ec)) {
    const auto name = it->path().filename().string();
    if (name == "node_modules" || name == ".git") continue;
    fs::copy(it->path(), to / name,
             fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
    if (ec) {
      return Status::InvalidArgument(
          fmt::format("cannot copy {}: {}", it->path().string(), ec.message()));
    }
  }
  if (ec) return Status::InvalidArgument(fmt::format("cannot list {}: {}", from.string(), ec.message()));
  return Status::OK();
}

ordered_json ActionRecord(const ExportScript& hook, const std::string& code_path) {
  ordered_json deps = ordered_json::array();
  for (const auto& d : hook.dependencies) deps.push_back({{"name", d.name}, {"version", d.version}});
  ordered_json secrets = ordered_json::array();
  for (const auto& name : hook.secret_names) secrets.push_back({{"name", name}});
  return ordered_json{{"name", hook.name},
                      {"code", code_path},
                      {"dependencies", std::move(deps)},
                      {"deployed", true},
                      {"runtime", kRuntime},
                      {"secrets", std::move(secrets)},
                      {"supported_triggers",
                       ordered_json::array({{{"id", kTrigger}, {"version", "v2"}}})}};
}

ordered_json Binding(const std::string& name) {
  return ordered_json{{"action_name", name}, {"display_name", name}};
}

// The bindings with `first` bound before the others (and not twice).
void BindFirst(ordered_json* triggers, const std::string& first) {
  if (!triggers->is_object()) *triggers = ordered_json::object();
  ordered_json bindings = ordered_json::array({Binding(first)});
  if (auto it = triggers->find(kTrigger); it != triggers->end() && it->is_array()) {
    for (const auto& b : *it) {
      if (!(b.is_object() && b.value("action_name", "") == first)) bindings.push_back(b);
    }
  }
  (*triggers)[kTrigger] = std::move(bindings);
}

class Writer {
 public:
  Writer(const TenantExport& t, const fs::path& stage) : t_(t), stage_(stage) {}

  fs::path Staged(const std::string& file) const {
    std::error_code ec;
    return stage_ / fs::weakly_canonical(fs::absolute(file), ec).lexically_relative(t_.root);
  }

  Status Directory(const std::vector<const ExportScript*>& hooks,
                   const std::vector<MigratedHook>& migrated) {
    for (size_t i = 0; i < hooks.size(); ++i) {
      auto record = ReadRecord(hooks[i]->file);
      if (!record.ok()) return record.status();
      record.value()["enabled"] = false;
      if (Status s = WriteText(Staged(hooks[i]->file), DumpJson(record.value(), 2) + "\n"); !s.ok()) {
        return s;
      }
      const std::string n = ExportFileName(hooks[i]->name);
      const std::string code = "./actions/" + n + "/code.js";
      if (Status s = WriteText(stage_ / "actions" / (n + ".json"),
                               DumpJson(ActionRecord(*hooks[i], code), 2) + "\n");
          !s.ok()) {
        return s;
      }
      if (Status s = WriteText(stage_ / "actions" / n / "code.js", migrated[i].migration.action);
          !s.ok()) {
        return s;
      }
    }
    const auto enabled = std::find_if(migrated.begin(), migrated.end(),
                                      [](const MigratedHook& h) { return h.enabled; });
    if (enabled == migrated.end()) return Status::OK();
    fs::path file = stage_ / "triggers" / "triggers.json";
    ordered_json triggers = ordered_json::object();
    std::error_code ec;
    if (fs::is_directory(stage_ / "triggers", ec)) {
      // deploy-cli reads triggers.json, else the first .json in the folder.
      std::vector<fs::path> found;
      for (fs::directory_iterator it(stage_ / "triggers", ec), end; !ec && it != end; it.increment(ec)) {
        if (it->path().extension() == ".json") found.push_back(it->path());
      }
      std::sort(found.begin(), found.end());
      if (!fs::exists(file, ec) && !found.empty()) file = found.front();
      if (fs::exists(file, ec)) {
        auto record = ReadRecord(file);
        if (!record.ok()) return record.status();
        triggers = std::move(record).value();
      }
    }
    BindFirst(&triggers, enabled->name);
    return WriteText(file, DumpJson(triggers, 2) + "\n");
  }

  Status Yaml(const std::vector<const ExportScript*>& hooks,
              const std::vector<MigratedHook>& migrated) {
    auto text = ReadText(t_.source);
    if (!text.ok()) return text.status();
    auto parsed = ParseYamlOrdered(text.value(), t_.source);
    if (!parsed.ok()) return parsed.status();
    ordered_json doc = std::move(parsed).value();
    if (!doc.is_object()) doc = ordered_json::object();
    if (!doc.contains("actions") || !doc["actions"].is_array()) doc["actions"] = ordered_json::array();
    for (size_t i = 0; i < hooks.size(); ++i) {
      auto& entry = doc["hooks"][static_cast<size_t>(hooks[i]->index)];
      entry["enabled"] = false;
      const std::string n = ExportFileName(hooks[i]->name);
      doc["actions"].push_back(ActionRecord(*hooks[i], "./actions/" + n + "/code.js"));
      if (Status s = WriteText(stage_ / "actions" / n / "code.js", migrated[i].migration.action);
          !s.ok()) {
        return s;
      }
    }
    for (const auto& h : migrated) {
      if (h.enabled) BindFirst(&doc["triggers"], h.name);
    }
    return WriteText(Staged(t_.source), DumpYaml(doc));
  }

 private:
  const TenantExport& t_;
  const fs::path stage_;
};

}  // namespace

bool TenantMigration::HasFindingsAboveInfo() const {
  return std::any_of(hooks.begin(), hooks.end(),
                     [](const MigratedHook& h) { return h.migration.HasFindingsAboveInfo(); });
}

Result<TenantMigration> MigrateTenantExport(const std::string& path, const std::string& output_dir,
                                            migration::Mode mode,
                                            migration::TransformRunner& runner) {
  // No keyword replacement: markers stay markers in the new export.
  auto read = ReadTenantExport(path, SourceOptions{});
  if (!read.ok()) return read.status();
  const TenantExport& t = read.value();

  std::vector<const ExportScript*> hooks;
  for (const auto& s : t.pipeline) {
    if (s.kind == "hook") hooks.push_back(&s);
  }
  for (const auto& s : t.not_run) {
    if (s.kind == "hook" && s.trigger == kTrigger) hooks.push_back(&s);
  }
  if (hooks.empty()) {
    return Status::InvalidArgument(
        fmt::format("{}: holds no pre-user-registration Hook to migrate", path));
  }
  for (const auto* h : hooks) {
    for (const auto& list : {&t.pipeline, &t.not_run}) {
      for (const auto& s : *list) {
        if (s.kind == "action" && s.name == h->name) {
          return Status::InvalidArgument(fmt::format(
              "{}: the Hook \"{}\" would become an Action of the same name, and {} already "
              "declares one: rename one of them first",
              path, h->name, s.record));
        }
      }
    }
  }

  std::error_code ec;
  const fs::path out = fs::absolute(output_dir).lexically_normal();
  if (fs::exists(out, ec) && !(fs::is_directory(out, ec) && fs::is_empty(out, ec))) {
    return Status::InvalidArgument(
        fmt::format("-o {}: exists and is not an empty folder; give a new one", output_dir));
  }
  const auto canonical_out = fs::weakly_canonical(out, ec);
  const auto rel = canonical_out.lexically_relative(t.root);
  if (!rel.empty() && *rel.begin() != "..") {
    return Status::InvalidArgument(
        fmt::format("-o {}: lies inside the export {}; give a folder outside it", output_dir, t.root));
  }

  TenantMigration result;
  result.format = t.format;
  for (const auto* h : hooks) {
    auto m = migration::Migrate(h->script, mode, runner);
    if (!m.ok()) {
      return Status::ScriptError(fmt::format("could not convert the Hook \"{}\" ({}): {}", h->name,
                                             h->script, m.status().message()));
    }
    result.hooks.push_back(MigratedHook{h->name, h->script, h->enabled && h->trigger == kTrigger,
                                        std::move(m).value()});
  }

  // Staged beside OUTDIR, moved into place once complete.
  const fs::path stage = out.parent_path() / fmt::format(".{}.prereg-{}", out.filename().string(), ::getpid());
  fs::remove_all(stage, ec);
  auto fail = [&stage](Status s) {
    std::error_code ignored;
    fs::remove_all(stage, ignored);
    return s;
  };
  if (Status s = CopyExport(t.root, stage); !s.ok()) return fail(s);
  Writer writer(t, stage);
  if (Status s = t.format == "directory" ? writer.Directory(hooks, result.hooks)
                                         : writer.Yaml(hooks, result.hooks);
      !s.ok()) {
    return fail(s);
  }
  result.output = out.string();
  result.report = (out / "prereg-migration-report.json").string();
  const auto report = TenantMigrationReport(result, path, mode);
  if (Status s = WriteText(stage / "prereg-migration-report.json", DumpJson(report, 2) + "\n"); !s.ok()) {
    return fail(s);
  }
  if (fs::exists(out, ec)) fs::remove(out, ec);  // the empty folder given
  fs::rename(stage, out, ec);
  if (ec) {
    return fail(Status::InvalidArgument(
        fmt::format("cannot move the new export into {}: {}", out.string(), ec.message())));
  }
  return result;
}

ordered_json TenantMigrationReport(const TenantMigration& m, const std::string& source,
                                   migration::Mode mode) {
  ordered_json hooks = ordered_json::array();
  int info = 0, warning = 0, error = 0;
  for (const auto& h : m.hooks) {
    ordered_json one = migration::ReportJson(h.migration, h.script);
    ordered_json entry = {{"hook", h.name}, {"script", h.script}, {"action", h.name},
                          {"bound_first", h.enabled}};
    for (const auto& [key, value] : one.items()) {
      if (key != "hook" && key != "mode") entry[key] = value;
    }
    for (const auto& f : h.migration.findings) {
      if (f.severity == migration::Severity::kInfo) ++info;
      if (f.severity == migration::Severity::kWarning) ++warning;
      if (f.severity == migration::Severity::kError) ++error;
    }
    hooks.push_back(std::move(entry));
  }
  return ordered_json{{"export", source},
                      {"output", m.output},
                      {"format", m.format},
                      {"mode", migration::ModeName(mode)},
                      {"hooks", std::move(hooks)},
                      {"summary",
                       {{"hooks", m.hooks.size()}, {"info", info}, {"warning", warning}, {"error", error}}}};
}

}  // namespace prereg::adapters
