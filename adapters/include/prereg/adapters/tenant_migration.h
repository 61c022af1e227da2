// Migrating a whole tenant export (SPEC §9): every pre-user-registration Hook becomes an Action of
// the same name in a new export of the same format that `a0deploy import` accepts.
//
// The new export is the old one with: per pre-user-registration Hook, an Action record (code from
// migration::Migrate, runtime node22, the Hook's {pkg: version} dependencies as [{name, version}],
// its secret names without values, supported_triggers pre-user-registration v2, deployed: true so
// that import deploys it) and `enabled: false` on the Hook; the formerly enabled Hook's Action
// bound first at pre-user-registration (Hooks ran before Actions), the existing bindings after it
// in their order. Everything else is copied unchanged (tenant.yaml is rewritten as js-yaml lays
// it out: its comments do not survive); keyword markers stay markers, so the result is still a
// template. The new export is staged beside OUTDIR and moved into place only once complete.

#ifndef PREREG_ADAPTERS_TENANT_MIGRATION_H_
#define PREREG_ADAPTERS_TENANT_MIGRATION_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "prereg/actions/status.h"
#include "prereg/migration/migrate.h"

namespace prereg::adapters {

struct MigratedHook {
  std::string name;    // the Hook's, and its Action's
  std::string script;  // the Hook's code in the source export
  bool enabled = false;  // its Action is bound first
  migration::Migration migration;
};

struct TenantMigration {
  std::string format;  // "yaml" or "directory"
  std::string output;  // the new export: OUTDIR, or OUTDIR/tenant.yaml's folder
  std::string report;  // OUTDIR/prereg-migration-report.json
  std::vector<MigratedHook> hooks;
  bool HasFindingsAboveInfo() const;
};

// kInvalidArgument/kNotFound when the export cannot be read (as ReadTenantExport) or OUTDIR exists
// and is not empty or lies inside the export; kScriptError naming the Hook and its file when one
// cannot be converted (nothing is written then).
Result<TenantMigration> MigrateTenantExport(const std::string& path, const std::string& output_dir,
                                            migration::Mode mode,
                                            migration::TransformRunner& runner);

// The report: {"export", "output", "format", "mode", "hooks": [{"hook", "action", "bound_first",
// "findings", "dependencies", "summary"}], "summary": {"hooks", "info", "warning", "error"}}.
nlohmann::ordered_json TenantMigrationReport(const TenantMigration& m, const std::string& source,
                                             migration::Mode mode);

}  // namespace prereg::adapters

#endif  // PREREG_ADAPTERS_TENANT_MIGRATION_H_
