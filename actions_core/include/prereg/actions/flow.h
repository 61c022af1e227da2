// Flow: an ordered list of steps for the pre-user-registration trigger, with its options.
//
// A Flow is built once and executed many times, possibly concurrently; it is not changed while
// executions run. It owns the trigger's cache unless another is given.

#ifndef PREREG_ACTIONS_FLOW_H_
#define PREREG_ACTIONS_FLOW_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "prereg/actions/api.h"
#include "prereg/actions/cache.h"
#include "prereg/actions/step.h"

namespace prereg {

struct FlowOptions {
  // Budget for one execution, all steps together (Auth0's per-trigger limit). Default: 20000
  int64_t timeout_ms = 20000;
  // Metadata limits and key rules. Default: SPEC §5
  MetadataOptions metadata;
  // Cap on what all steps of one execution may log, in bytes. Default: 256 KiB
  size_t max_log_bytes = 256 * 1024;
  // The trigger's cache. Default: a MemoryCache owned by the flow
  std::shared_ptr<Cache> cache;
};

struct StepConfig {
  std::string name;
  std::shared_ptr<Step> step;
  // Filled into event.secrets for this step; their values are masked in the decision record.
  std::map<std::string, std::string> secrets;
  // This step's own budget, within the flow's. Default: none
  std::optional<int64_t> timeout_ms;
};

class Flow {
 public:
  explicit Flow(FlowOptions options = {});

  // Appends a step. Steps run in the order they are added.
  Flow& Add(StepConfig config);
  Flow& Add(std::string name, std::shared_ptr<Step> step) {
    return Add(StepConfig{std::move(name), std::move(step), {}, std::nullopt});
  }

  const FlowOptions& options() const { return options_; }
  const std::vector<StepConfig>& steps() const { return steps_; }
  Cache& cache() const { return *options_.cache; }

 private:
  FlowOptions options_;
  std::vector<StepConfig> steps_;
};

}  // namespace prereg

#endif  // PREREG_ACTIONS_FLOW_H_
