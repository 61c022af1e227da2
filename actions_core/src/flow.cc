#include "prereg/actions/flow.h"

namespace prereg {

Flow::Flow(FlowOptions options) : options_(std::move(options)) {
  if (!options_.cache) options_.cache = std::make_shared<MemoryCache>();
}

Flow& Flow::Add(StepConfig config) {
  steps_.push_back(std::move(config));
  return *this;
}

}  // namespace prereg
