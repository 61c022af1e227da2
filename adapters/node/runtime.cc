#include "prereg/adapters/runtime.h"

#include <chrono>
#include <optional>

#include "prereg/actions/executor.h"

namespace prereg::adapters {

Runtime::Runtime(PoolOptions options)
    : scheduler_(io_), pool_(std::make_unique<NodePool>(io_, std::move(options))) {}

Runtime::~Runtime() { pool_->Shutdown(); }

Status Runtime::Start() { return pool_->Start(); }

Result<std::unique_ptr<Flow>> Runtime::Load(const FlowSpec& spec, FlowOptions options) {
  return BuildFlow(spec, std::move(options), pool_.get(), ++generation_);
}

Result<DecisionRecord> Runtime::Run(const Flow& flow, const nlohmann::json& event) {
  std::optional<DecisionRecord> record;
  Status s = ExecuteFlow(flow, event, &scheduler_, [&record](DecisionRecord r) { record = std::move(r); });
  if (!s.ok()) return s;
  // A worker usually answers within microseconds: poll briefly before sleeping in the kernel.
  if (!RunUntil(io_, [&record] { return record.has_value(); }, spin_us_)) return Status::Internal("the event loop stopped before the flow reached a decision");
  return std::move(*record);
}

}  // namespace prereg::adapters
