// `prereg migrate HOOK.js [-o ACTION.js] [--report FILE.json] [--mode rewrite|wrap]`, and
// `prereg migrate EXPORT -o OUTDIR`: a whole tenant export (tenant_migration.h).

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "prereg/actions/json.h"

#include "commands.h"
#include "prereg/adapters/node_transform.h"
#include "prereg/adapters/tenant_export.h"
#include "prereg/adapters/tenant_migration.h"

namespace prereg::cli {

namespace {

int MigrateExport(const MigrateArgs& args, std::ostream& err) {
  auto fail = [&err](const std::string& message) {
    err << "prereg migrate: " << message << "\n";
    return kExitUsage;
  };
  if (args.output.empty() || args.output == "-") {
    return fail(fmt::format("{} is a tenant export: give -o OUTDIR, a new folder for the migrated "
                            "export", args.hook));
  }
  adapters::NodeTransformRunner runner(args.node_path);
  const auto mode = args.mode == "wrap" ? migration::Mode::kWrap : migration::Mode::kRewrite;
  auto migrated = adapters::MigrateTenantExport(args.hook, args.output, mode, runner);
  if (!migrated.ok()) return fail(migrated.status().message());
  const auto& m = migrated.value();
  for (const auto& h : m.hooks) {
    const auto action = fmt::format("{}/actions/{}/code.js", m.output, adapters::ExportFileName(h.name));
    err << migration::Summary(h.migration, h.script, action);
    err << fmt::format("  Action \"{}\": {}\n", h.name,
                       h.enabled ? "bound first at pre-user-registration; the Hook is disabled"
                                 : "not bound (its Hook was disabled)");
  }
  const auto report = adapters::TenantMigrationReport(m, args.hook, mode);
  if (!args.report.empty()) {
    std::ofstream file(args.report, std::ios::binary | std::ios::trunc);
    if (!(file << DumpJson(report, 2) << "\n")) return fail(fmt::format("cannot write {}", args.report));
  }
  err << fmt::format("prereg migrate: wrote the migrated {} export to {} (report: {})\n", m.format,
                     m.output, m.report);
  return m.HasFindingsAboveInfo() ? kExitDeny : kExitAllow;
}

}  // namespace

int MigrateCommand(const MigrateArgs& args, std::ostream& out, std::ostream& err) {
  auto fail = [&err](const std::string& message) {
    err << "prereg migrate: " << message << "\n";
    return kExitUsage;
  };
  if (adapters::IsTenantExport(args.hook)) return MigrateExport(args, err);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(args.hook, ec)) {
    return fail(fmt::format("{} does not exist", args.hook));
  }
  adapters::NodeTransformRunner runner(args.node_path);
  const auto mode = args.mode == "wrap" ? migration::Mode::kWrap : migration::Mode::kRewrite;
  auto migrated = migration::Migrate(args.hook, mode, runner);
  if (!migrated.ok()) return fail(fmt::format("could not convert {}: {}", args.hook, migrated.status().message()));
  const auto& m = migrated.value();
  if (args.output.empty() || args.output == "-") {
    out << m.action;
  } else {
    std::ofstream file(args.output, std::ios::binary | std::ios::trunc);
    if (!(file << m.action)) return fail(fmt::format("cannot write {}", args.output));
  }
  if (!args.report.empty()) {
    std::ofstream file(args.report, std::ios::binary | std::ios::trunc);
    if (!(file << DumpJson(migration::ReportJson(m, args.hook), 2) << "\n")) {
      return fail(fmt::format("cannot write {}", args.report));
    }
  }
  err << migration::Summary(m, args.hook, args.output.empty() ? "stdout" : args.output);
  return m.HasFindingsAboveInfo() ? kExitDeny : kExitAllow;
}

}  // namespace prereg::cli
