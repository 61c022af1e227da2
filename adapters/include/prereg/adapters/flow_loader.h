// Reading flows from what users write: `.js` files and flow files (JSON), and tenant exports
// (tenant_export.h). What is read here is a FlowSpec; flow_builder.h turns one into a Flow.
//
// Flow file: {"timeout_ms": 20000, "steps": [{"name": "...", "script": "path relative to the
// flow file", "secrets": {"NAME": "value"}, "timeout_ms": N}]}.

#ifndef PREREG_ADAPTERS_FLOW_LOADER_H_
#define PREREG_ADAPTERS_FLOW_LOADER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "prereg/actions/flow.h"
#include "prereg/actions/status.h"

namespace prereg::adapters {

struct StepSpec {
  std::string name;    // defaults to the script's file name without .js
  std::string script;  // absolute path
  std::map<std::string, std::string> secrets;
  std::optional<int64_t> timeout_ms;
  // The code to run when it is not the file's bytes (a tenant export's keyword markers replaced).
  std::optional<std::string> source;
};

struct FlowSpec {
  std::vector<StepSpec> steps;
  std::optional<int64_t> timeout_ms;  // from a flow file
  std::vector<std::string> warnings;  // for the operator, one line each (tenant exports)
};

// How STEP arguments are read: secrets for every step, and for tenant exports (SPEC §9) the
// deploy-cli config, the secrets file and whether secrets may be missing.
struct SourceOptions {
  std::map<std::string, std::string> secrets;  // --secret NAME=VALUE
  std::string config_path;   // a deploy-cli config.json (AUTH0_KEYWORD_REPLACE_MAPPINGS)
  std::string secrets_file;  // {"<hook or action name>": {"NAME": "value"}}
  bool allow_missing_secrets = false;
};

// Reads a flow file. Errors (kInvalidArgument / kNotFound) name the file and the field.
Result<FlowSpec> ReadFlowFile(const std::string& path);
// The same for a flow file's text; `path` names it and anchors its scripts' relative paths.
Result<FlowSpec> ParseFlowFile(std::string_view text, const std::string& path);

// Turns STEP arguments (scripts, flow files and tenant exports, in order) into one flow spec.
// `options.secrets` are given to every script and flow-file step (their own secrets win over
// them); a tenant export's steps get the secrets they declare (tenant_export.h).
Result<FlowSpec> ParseStepArguments(const std::vector<std::string>& args,
                                    const SourceOptions& options);

// Parses "NAME=VALUE". kInvalidArgument when there is no '=' or the name is empty.
Result<std::pair<std::string, std::string>> ParseSecret(const std::string& text);

}  // namespace prereg::adapters

#endif  // PREREG_ADAPTERS_FLOW_LOADER_H_
