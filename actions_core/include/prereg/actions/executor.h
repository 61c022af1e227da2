// The flow executor (SPEC §2): runs a Flow's steps in order on one event and produces the
// decision record.

#ifndef PREREG_ACTIONS_EXECUTOR_H_
#define PREREG_ACTIONS_EXECUTOR_H_

#include <functional>
#include <optional>

#include <nlohmann/json.hpp>

#include "prereg/actions/decision.h"
#include "prereg/actions/flow.h"
#include "prereg/actions/scheduler.h"
#include "prereg/actions/status.h"

namespace prereg {

// Starts one execution of `flow` on `event` and returns at once; `done` runs on the scheduler's
// thread with the record when the flow has ended (all steps done, a deny, an error or the
// budget). `flow` and `scheduler` must outlive the execution.
// Returns kInvalidArgument, without starting, for an event CheckEvent rejects.
// `trace` names the execution for reports outside the record (StepRun::trace: a request id).
// `budget_ms`, when smaller than the flow's budget, replaces it for this execution (a caller with
// a deadline of its own: a platform that gives up after 5 s).
Status ExecuteFlow(const Flow& flow, nlohmann::json event, Scheduler* scheduler,
                   std::function<void(DecisionRecord)> done, std::string trace = {},
                   std::optional<int64_t> budget_ms = std::nullopt);

// Runs one execution to the end on a LoopScheduler in the calling thread.
Result<DecisionRecord> RunFlow(const Flow& flow, const nlohmann::json& event);

}  // namespace prereg

#endif  // PREREG_ACTIONS_EXECUTOR_H_
