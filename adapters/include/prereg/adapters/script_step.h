// ScriptStep: a JavaScript Hook or Action run in the NodePool.
//
// The runner reports what the script did; this step replays it through the Api (Actions) or the
// Hook adapter's CallbackGate (Hooks), so the engine's rules apply to scripts exactly as to
// native steps. A synchronous api.cache call is answered while the script waits.

#ifndef PREREG_ADAPTERS_SCRIPT_STEP_H_
#define PREREG_ADAPTERS_SCRIPT_STEP_H_

#include <map>
#include <memory>
#include <string>

#include "prereg/actions/step.h"
#include "prereg/adapters/node_pool.h"

namespace prereg::adapters {

class ScriptStep : public Step {
 public:
  // `workers` run `script` (an absolute path) as NodePool::LoadScriptAsync loaded it under
  // `generation`. The step keeps them alive.
  ScriptStep(std::shared_ptr<ScriptWorkers> workers, std::string script, uint64_t generation = 0)
      : workers_(std::move(workers)), script_(std::move(script)), generation_(generation) {}

  StepKind kind() const override { return workers_->kind(); }
  void Start(std::shared_ptr<StepRun> run) override;
  void Cancel(const std::shared_ptr<StepRun>& run) override;
  const std::string& script() const { return script_; }

 private:
  const std::shared_ptr<ScriptWorkers> workers_;
  const std::string script_;
  const uint64_t generation_;  // see NodePool::LoadScriptAsync
  // Jobs in the pool per run; shared with the pool's callbacks, which may outlive the step.
  std::shared_ptr<std::map<const StepRun*, uint64_t>> jobs_ =
      std::make_shared<std::map<const StepRun*, uint64_t>>();
};

}  // namespace prereg::adapters

#endif  // PREREG_ADAPTERS_SCRIPT_STEP_H_
