// Building a Flow from a FlowSpec (flow_loader.h) on a NodePool. Every script is loaded once in a
// Node worker when the flow is built, so a script that does not compile, throws at top level or
// exports neither contract is an input error before anything runs (SPEC §1).

#ifndef PREREG_ADAPTERS_FLOW_BUILDER_H_
#define PREREG_ADAPTERS_FLOW_BUILDER_H_

#include <cstdint>
#include <functional>
#include <memory>

#include "prereg/actions/flow.h"
#include "prereg/actions/status.h"
#include "prereg/adapters/flow_loader.h"
#include "prereg/adapters/node_pool.h"

namespace prereg::adapters {

// Loads every script in `pool` to learn its kind and builds the flow with `options` as given
// (the caller decides between spec.timeout_ms and a command-line budget). A script error is
// kScriptError with the runner's explanation; `pool` must outlive the flow.
Result<std::unique_ptr<Flow>> BuildFlow(const FlowSpec& spec, FlowOptions options, NodePool* pool,
                                        uint64_t generation = 0);
// The same without blocking: `done` runs on the pool's event loop.
void BuildFlowAsync(const FlowSpec& spec, FlowOptions options, NodePool* pool, uint64_t generation,
                    std::function<void(Result<std::unique_ptr<Flow>>)> done);

}  // namespace prereg::adapters

#endif  // PREREG_ADAPTERS_FLOW_BUILDER_H_
