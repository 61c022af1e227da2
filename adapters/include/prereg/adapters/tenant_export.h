// Tenant exports as flow sources (SPEC §9): what `a0deploy export` wrote, in its YAML format
// (tenant.yaml + actions/<N>/code.js + hooks/<N>.js) or its directory format (actions/<N>.json,
// hooks/<N>.json, triggers/triggers.json), read the way deploy-cli's own loaders read it.
//
// The pre-user-registration pipeline of an export is its enabled pre-user-registration Hook (at
// most one), then the Actions bound to the pre-user-registration trigger in binding order. Keyword
// markers (`@@KEY@@`, `##KEY##`) are replaced in the raw text of every file read, before parsing,
// from a deploy-cli config's AUTH0_KEYWORD_REPLACE_MAPPINGS. Exports carry secret names only;
// values come from a secrets file or --secret.
//
// Everything in an export is untrusted: files are size-bounded, parsing is depth-bounded, every
// path it names must stay inside the export, package names are checked before they are looked up,
// and no message repeats a secret value.

#ifndef PREREG_ADAPTERS_TENANT_EXPORT_H_
#define PREREG_ADAPTERS_TENANT_EXPORT_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "prereg/actions/status.h"
#include "prereg/adapters/flow_loader.h"

namespace prereg::adapters {

// True when `path` names a tenant export: a .yaml/.yml file, or a folder holding tenant.json,
// actions/, hooks/ or triggers/ (the directory format), or tenant.yaml/.yml without tenant.json
// (a YAML export's folder: its tenant.yaml is read).
bool IsTenantExport(const std::string& path);

// deploy-cli's keyword replacement (src/tools/utils.ts keywordReplace): every `@@KEY@@` (with one
// pair of quotes around it eaten) becomes JSON.stringify(value), then every `##KEY##` becomes the
// value as JavaScript turns it into a string; keys in the mappings' order; `$` patterns in the
// replacement act as in String.prototype.replace. Keys are matched literally.
std::string ReplaceKeywords(std::string_view text, const nlohmann::ordered_json& mappings);
// Markers (`@@NAME@@`, `##NAME##`, NAME of letters, digits and `_`) left in `text`, each once.
std::vector<std::string> FindMarkers(std::string_view text);

struct ExportDependency {
  std::string name, version;
  std::optional<std::string> installed;  // the version found in node_modules, if any
};

struct ExportScript {
  std::string kind;    // "hook" or "action"
  std::string name;    // the step name: the Action's name, the Hook's name as deploy-cli loads it
  std::string record;  // the file (and entry) that declares it, for messages
  std::string file;    // the file that declares it: tenant.yaml, or its .json record
  int index = -1;      // tenant.yaml: its position in the hooks or actions list
  std::string script;  // absolute path of its code
  std::string source;  // its code after keyword replacement
  bool replaced = false;  // keyword replacement changed the code
  std::string runtime;    // actions: node12..node22; hooks: the tenant's sandbox ("node18"), if given
  std::string trigger;    // hooks: triggerId; actions: "" (see bound_to)
  std::vector<std::string> bound_to;  // actions: the triggers binding it
  bool enabled = false;               // hooks
  std::optional<bool> deployed;       // actions
  std::string status;                 // actions: the build state
  std::vector<std::string> supported_triggers;  // actions
  std::vector<std::string> secret_names;
  std::map<std::string, std::string> secret_values;  // values the export itself gives
  std::vector<ExportDependency> dependencies;
  std::vector<std::string> markers;  // keyword markers left without a mapping, in code or record
};

struct TenantExport {
  std::string root;    // the export's folder
  std::string format;  // "yaml" or "directory"
  std::string source;  // what was named: tenant.yaml or the folder
  std::vector<ExportScript> pipeline;   // what runs, in order
  std::vector<ExportScript> not_run;    // everything else read from the export
  std::vector<std::string> not_run_why;  // parallel to not_run
  std::vector<std::string> warnings;
};

// Reads the export named by `path`. Errors name the file and what is wrong: not valid JSON/YAML,
// two enabled pre-user-registration Hooks, an Action bound but missing, a code path outside the
// export or missing. Missing secrets, markers without a mapping and missing dependencies do not
// fail here (`tenant show` lists them); ExportFlowSpec refuses them.
Result<TenantExport> ReadTenantExport(const std::string& path, const SourceOptions& options);

// The secrets each pipeline step gets: the secrets file's value for the step, else the export's
// own, else --secret's. Only declared names are given to a step. `missing` receives
// "<step> (<kind>): <NAME>" for every declared secret left without a value; `warnings` the
// secrets file's entries that no step declares. kInvalidArgument when the secrets file cannot be
// read or is not {"<step>": {"NAME": "value"}} (the message never holds a value).
Result<std::vector<std::map<std::string, std::string>>> ResolveExportSecrets(
    const TenantExport& tenant, const SourceOptions& options, std::vector<std::string>* missing,
    std::vector<std::string>* warnings);

// The pipeline as a flow: one step per pipeline entry, named as in the export. kInvalidArgument
// listing every marker without a mapping (marker and file), every missing secret (unless
// allow_missing_secrets) and every dependency not installed (with the npm command).
Result<FlowSpec> ExportFlowSpec(const std::string& path, const SourceOptions& options);
// The same for an export already read (its files are not read again).
Result<FlowSpec> ExportFlowSpec(const TenantExport& tenant, const SourceOptions& options);

// The file name deploy-cli gives a resource (sanitize-filename, replacement '-'): spaces stay.
std::string ExportFileName(const std::string& name);

// The npm command that installs `deps` beside the export.
std::string NpmInstallCommand(const std::string& root, const std::vector<ExportDependency>& deps);

}  // namespace prereg::adapters

#endif  // PREREG_ADAPTERS_TENANT_EXPORT_H_
