// Building flows from what users write: `.js` files and flow files (JSON).
//
// Flow file: {"timeout_ms": 20000, "steps": [{"name": "...", "script": "path relative to the
// flow file", "secrets": {"NAME": "value"}, "timeout_ms": N}]}. Every script is loaded once in a
// Node worker when the flow is built, so a script that does not compile, throws at top level or
// exports neither contract is an input error before anything runs (SPEC §1).

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
#include "prereg/adapters/node_pool.h"

namespace prereg::adapters {

struct StepSpec {
  std::string name;    // defaults to the script's file name without .js
  std::string script;  // absolute path
  std::map<std::string, std::string> secrets;
  std::optional<int64_t> timeout_ms;
};

struct FlowSpec {
  std::vector<StepSpec> steps;
  std::optional<int64_t> timeout_ms;  // from a flow file
};

// Reads a flow file. Errors (kInvalidArgument / kNotFound) name the file and the field.
Result<FlowSpec> ReadFlowFile(const std::string& path);
// The same for a flow file's text; `path` names it and anchors its scripts' relative paths.
Result<FlowSpec> ParseFlowFile(std::string_view text, const std::string& path);

// Turns STEP arguments (scripts and flow files, in order) into one flow spec. `secrets` are
// given to every step; a step's own secrets win over them.
Result<FlowSpec> ParseStepArguments(const std::vector<std::string>& args,
                                    const std::map<std::string, std::string>& secrets);

// Parses "NAME=VALUE". kInvalidArgument when there is no '=' or the name is empty.
Result<std::pair<std::string, std::string>> ParseSecret(const std::string& text);

// Loads every script in `pool` to learn its kind and builds the flow with `options` as given
// (the caller decides between spec.timeout_ms and a command-line budget). A script error is
// kScriptError with the runner's explanation; `pool` must outlive the flow.
Result<std::unique_ptr<Flow>> BuildFlow(const FlowSpec& spec, FlowOptions options, NodePool* pool,
                                        uint64_t generation = 0);
// The same without blocking: `done` runs on the pool's event loop.
void BuildFlowAsync(const FlowSpec& spec, FlowOptions options, NodePool* pool, uint64_t generation,
                    std::function<void(Result<std::unique_ptr<Flow>>)> done);

}  // namespace prereg::adapters

#endif  // PREREG_ADAPTERS_FLOW_LOADER_H_
