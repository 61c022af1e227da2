#include "prereg/adapters/runtime.h"

#include <optional>

#include "prereg/actions/executor.h"

namespace prereg::adapters {

Runtime::Runtime(PoolOptions options)
    : scheduler_(io_), pool_(std::make_unique<NodePool>(io_, std::move(options))) {}

Runtime::~Runtime() { pool_->Shutdown(); }

Status Runtime::Start() { return pool_->Start(); }

Result<std::unique_ptr<Flow>> Runtime::Load(const FlowSpec& spec, FlowOptions options) {
  return BuildFlow(spec, std::move(options), pool_.get());
}

Result<DecisionRecord> Runtime::Run(const Flow& flow, const nlohmann::json& event) {
  std::optional<DecisionRecord> record;
  Status s = ExecuteFlow(flow, event, &scheduler_, [&record](DecisionRecord r) { record = std::move(r); });
  if (!s.ok()) return s;
  if (io_.stopped()) io_.restart();
  while (!record && io_.run_one() > 0) {
  }
  if (!record) return Status::Internal("the event loop stopped before the flow reached a decision");
  return std::move(*record);
}

}  // namespace prereg::adapters
