#include "prereg/migration/migrate.h"

#include <fmt/format.h>

#include "prereg/actions/json.h"

namespace prereg::migration {

namespace {

using json = nlohmann::json;

Result<Severity> ParseSeverity(const std::string& s) {
  if (s == "info") return Severity::kInfo;
  if (s == "warning") return Severity::kWarning;
  if (s == "error") return Severity::kError;
  return Status::Internal(fmt::format("the transformation reported an unknown severity \"{}\"", s));
}

}  // namespace

const char* ModeName(Mode mode) { return mode == Mode::kWrap ? "wrap" : "rewrite"; }

const char* SeverityName(Severity s) {
  switch (s) {
    case Severity::kInfo: return "info";
    case Severity::kWarning: return "warning";
    case Severity::kError: return "error";
  }
  return "error";
}

bool Migration::HasFindingsAboveInfo() const {
  for (const auto& f : findings) {
    if (f.severity != Severity::kInfo) return true;
  }
  return false;
}

namespace {

// Reads the transformation's report; REQUIRES: `doc` is an object. Throws nlohmann's type_error
// on a member of the wrong type.
Result<Migration> ReadTransformReport(const json& doc, Mode mode);

}  // namespace

Result<Migration> Migrate(const std::string& hook_path, Mode mode, TransformRunner& runner) {
  auto out = runner.Run({"--mode", ModeName(mode), hook_path});
  if (!out.ok()) return out.status();
  auto doc = ParseJson(out.value(), "the transformation's output");
  if (!doc.ok() || !doc.value().is_object()) {
    return Status::Internal(fmt::format("the transformation printed something that is not a JSON "
                                        "object: {}",
                                        doc.ok() ? "another JSON value" : doc.status().message()));
  }
  try {
    return ReadTransformReport(doc.value(), mode);
  } catch (const json::exception& e) {
    return Status::Internal(fmt::format("the transformation's report is malformed: {}", e.what()));
  }
}

namespace {

Result<Migration> ReadTransformReport(const json& doc, Mode mode) {
  if (!doc.value("ok", false)) {
    const int line = doc.value("line", 0);
    const int column = doc.value("column", 0);
    return Status::ScriptError(line > 0 ? fmt::format("{} (line {}, column {})",
                                                      doc.value("error", ""), line, column)
                                        : doc.value("error", "could not convert"));
  }
  Migration m;
  m.mode = mode;
  m.action = doc.value("action", "");
  for (const auto& f : doc.value("findings", json::array())) {
    auto severity = ParseSeverity(f.value("severity", ""));
    if (!severity.ok()) return severity.status();
    m.findings.push_back(Finding{f.value("rule", ""), severity.value(), f.value("line", 0),
                                 f.value("column", 0), f.value("message", ""),
                                 f.value("suggestion", "")});
  }
  for (const auto& d : doc.value("dependencies", json::array())) {
    m.dependencies.push_back(Dependency{d.value("name", ""), d.value("version", ""), d.value("line", 0)});
  }
  return m;
}

}  // namespace

nlohmann::ordered_json ReportJson(const Migration& m, const std::string& hook_name) {
  nlohmann::ordered_json report;
  report["hook"] = hook_name;
  report["mode"] = ModeName(m.mode);
  auto findings = nlohmann::ordered_json::array();
  int counts[3] = {0, 0, 0};
  for (const auto& f : m.findings) {
    ++counts[static_cast<int>(f.severity)];
    findings.push_back({{"line", f.line},
                        {"column", f.column},
                        {"severity", SeverityName(f.severity)},
                        {"rule", f.rule},
                        {"message", f.message},
                        {"suggestion", f.suggestion}});
  }
  report["findings"] = std::move(findings);
  auto deps = nlohmann::ordered_json::array();
  for (const auto& d : m.dependencies) {
    deps.push_back({{"name", d.name}, {"version", d.version}, {"line", d.line}});
  }
  report["dependencies"] = std::move(deps);
  if (!m.verification.is_null()) report["verification"] = m.verification;
  report["summary"] = {{"info", counts[0]}, {"warning", counts[1]}, {"error", counts[2]}};
  return report;
}

std::string Summary(const Migration& m, const std::string& hook_name, const std::string& output) {
  int counts[3] = {0, 0, 0};
  std::string lines;
  for (const auto& f : m.findings) {
    ++counts[static_cast<int>(f.severity)];
    const auto where = f.line > 0 ? fmt::format("{}:{}:{}", hook_name, f.line, f.column) : hook_name;
    lines += fmt::format("  {}: {} [{}] {}\n      fix: {}\n", where, SeverityName(f.severity), f.rule,
                         f.message, f.suggestion);
  }
  for (const auto& d : m.dependencies) {
    lines += d.version.empty()
                 ? fmt::format("  dependency: {}, no version pinned (from line {})\n", d.name, d.line)
                 : fmt::format("  dependency: {} {} (from line {})\n", d.name, d.version, d.line);
  }
  return fmt::format("prereg migrate: {} -> {} ({}): {} error(s), {} warning(s), {} info\n{}{}",
                     hook_name, output, ModeName(m.mode), counts[2], counts[1], counts[0], lines,
                     m.HasFindingsAboveInfo()
                         ? "The Action may decide differently where warnings and errors point; "
                           "compare it with the Hook before switching.\n"
                         : "");
}

}  // namespace prereg::migration
