// `prereg tenant show EXPORT [--config F] [--secrets-file F] [--format text|json]`: what a tenant
// export runs at pre-user-registration, what it does not run and why, and what it still needs.

#include <filesystem>
#include <ostream>

#include <fmt/format.h>

#include "prereg/actions/json.h"
#include "prereg/adapters/tenant_export.h"

#include "commands.h"

namespace prereg::cli {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string Relative(const std::string& path, const std::string& root) {
  const auto rel = fs::path(path).lexically_relative(root);
  return rel.empty() ? path : rel.string();
}

json ScriptJson(const adapters::ExportScript& s, const std::string& root,
                const std::map<std::string, std::string>* secrets) {
  json j = {{"kind", s.kind},
            {"name", s.name},
            {"declared_in", s.record},
            {"code", Relative(s.script, root)}};
  j["runtime"] = s.runtime;
  if (s.kind == "hook") {
    j["trigger"] = s.trigger;
    j["enabled"] = s.enabled;
  } else {
    j["bound_to"] = s.bound_to;
    j["deployed"] = s.deployed.has_value() ? json(*s.deployed) : json(nullptr);
    j["status"] = s.status;
  }
  j["secrets"] = json::array();
  for (const auto& name : s.secret_names) {
    json secret = {{"name", name}};
    if (secrets != nullptr) secret["has_value"] = secrets->count(name) > 0;
    j["secrets"].push_back(std::move(secret));
  }
  j["dependencies"] = json::array();
  for (const auto& d : s.dependencies) {
    j["dependencies"].push_back({{"name", d.name},
                                 {"version", d.version},
                                 {"installed", d.installed ? json(*d.installed) : json(nullptr)}});
  }
  j["unmapped_markers"] = s.markers;
  j["keywords_replaced"] = s.replaced;
  return j;
}

void PrintScript(std::ostream& out, const json& j) {
  const bool hook = j["kind"] == "hook";
  const std::string runtime = j["runtime"].get<std::string>();
  out << fmt::format("     code: {}   runtime: {}\n", j["code"].get<std::string>(),
                     runtime.empty() ? "not given"
                     : hook          ? runtime + " (the tenant's sandbox_version)"
                                     : runtime);
  std::vector<std::string> secrets;
  for (const auto& s : j["secrets"]) {
    std::string line = s["name"].get<std::string>();
    if (s.contains("has_value")) line += s["has_value"].get<bool>() ? " (value given)" : " (NO VALUE)";
    secrets.push_back(std::move(line));
  }
  out << fmt::format("     secrets: {}\n", secrets.empty() ? "none" : fmt::format("{}", fmt::join(secrets, ", ")));
  std::vector<std::string> deps;
  for (const auto& d : j["dependencies"]) {
    std::string line = d["name"].get<std::string>();
    if (!d["version"].get<std::string>().empty()) line += "@" + d["version"].get<std::string>();
    line += d["installed"].is_null() ? " (NOT INSTALLED)"
                                     : fmt::format(" (installed {})", d["installed"].get<std::string>());
    deps.push_back(std::move(line));
  }
  out << fmt::format("     dependencies: {}\n", deps.empty() ? "none" : fmt::format("{}", fmt::join(deps, ", ")));
  for (const auto& m : j["unmapped_markers"]) {
    out << fmt::format("     keyword marker without a mapping: {}\n", m.get<std::string>());
  }
}

}  // namespace

int TenantShowCommand(const TenantArgs& args, std::ostream& out, std::ostream& err) {
  auto tenant = adapters::ReadTenantExport(args.export_path, args.sources);
  if (!tenant.ok()) {
    err << "prereg tenant show: " << tenant.status().message() << "\n";
    return kExitUsage;
  }
  const auto& t = tenant.value();
  std::vector<std::string> warnings = t.warnings;
  auto secrets = adapters::ResolveExportSecrets(t, args.sources, nullptr, &warnings);
  if (!secrets.ok()) {
    err << "prereg tenant show: " << secrets.status().message() << "\n";
    return kExitUsage;
  }
  // What `run` would say: the export is ready to run when this succeeds.
  auto flow = adapters::ExportFlowSpec(t, args.sources);

  json doc = {{"export", t.source}, {"format", t.format}, {"root", t.root}};
  doc["pipeline"] = json::array();
  for (size_t i = 0; i < t.pipeline.size(); ++i) {
    doc["pipeline"].push_back(ScriptJson(t.pipeline[i], t.root, &secrets.value()[i]));
  }
  doc["not_run"] = json::array();
  for (size_t i = 0; i < t.not_run.size(); ++i) {
    json j = ScriptJson(t.not_run[i], t.root, nullptr);
    j["why"] = t.not_run_why[i];
    doc["not_run"].push_back(std::move(j));
  }
  doc["warnings"] = warnings;
  doc["ready"] = flow.ok();
  doc["problem"] = flow.ok() ? json(nullptr) : json(flow.status().message());

  if (args.format == "json") {
    out << DumpJson(doc, 2) << "\n";
    return flow.ok() ? kExitAllow : kExitUsage;
  }
  out << fmt::format("{} ({} export)\n\n", t.source, t.format);
  if (t.pipeline.empty()) {
    out << "Nothing runs at pre-user-registration.\n";
  } else {
    out << "Runs at pre-user-registration, in this order:\n";
    for (size_t i = 0; i < t.pipeline.size(); ++i) {
      const auto& j = doc["pipeline"][i];
      out << fmt::format("  {}. {} ({})\n", i + 1, j["name"].get<std::string>(),
                         j["kind"].get<std::string>());
      PrintScript(out, j);
    }
  }
  if (!t.not_run.empty()) {
    out << "\nDoes not run at pre-user-registration:\n";
    for (const auto& j : doc["not_run"]) {
      out << fmt::format("  - {} ({}): {}\n", j["name"].get<std::string>(),
                         j["kind"].get<std::string>(), j["why"].get<std::string>());
    }
  }
  if (!warnings.empty()) {
    out << "\nWarnings:\n";
    for (const auto& w : warnings) out << "  - " << w << "\n";
  }
  if (flow.ok()) {
    std::string options;
    if (!args.sources.config_path.empty()) options += " --config " + args.sources.config_path;
    if (!args.sources.secrets_file.empty()) options += " --secrets-file " + args.sources.secrets_file;
    out << fmt::format("\nReady: prereg run{} {} runs this pipeline.\n", options, args.export_path);
    return kExitAllow;
  }
  out << "\nNot ready to run:\n  " << flow.status().message() << "\n";
  return kExitUsage;
}

}  // namespace prereg::cli
