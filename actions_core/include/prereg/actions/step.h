// Step: one unit of a flow, started by the executor and finished later (SPEC §2).
//
// The executor creates a StepRun per execution of a step and calls Step::Start. The step reads
// the event, calls the Api, and ends by calling StepRun::Finish once, now or later, from the
// scheduler's thread. A step backed by another process posts its completion to the scheduler.
// When the step misses its deadline the executor ends the run itself and calls Step::Cancel; a
// Finish after that is ignored, so a late reply can never change a decision.
//
// Thread safety: everything here happens on the scheduler's thread.

#ifndef PREREG_ACTIONS_STEP_H_
#define PREREG_ACTIONS_STEP_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "prereg/actions/api.h"
#include "prereg/actions/scheduler.h"

namespace prereg {

enum class StepKind { kAction, kHook };
// "action" or "hook".
const char* StepKindName(StepKind kind);

// How a step's execution ended, as far as the step knows.
struct StepEnd {
  enum class Kind {
    kReturned,       // the handler returned (or the Hook called cb)
    kThrew,          // threw, rejected, or ended its process: action_error
    kPlatformError,  // the engine could not run it: platform_error
  };
  Kind kind = Kind::kReturned;
  std::string message;

  static StepEnd Returned() { return {}; }
  static StepEnd Threw(std::string msg) { return {Kind::kThrew, std::move(msg)}; }
  static StepEnd PlatformError(std::string msg) { return {Kind::kPlatformError, std::move(msg)}; }
};

class StepRun {
 public:
  // What the executor hears while a step waits for a resource before it runs (MarkQueued).
  struct Progress {
    std::function<void()> queued;
    std::function<void()> started;
  };

  // Built by the executor. `on_end` runs (posted) once with the first end reported.
  // `flow_deadline_us` is when the flow's budget ends, in the scheduler's NowMicros().
  StepRun(nlohmann::json event, std::optional<std::string> password, std::unique_ptr<Api> api,
          Scheduler* scheduler, std::function<void(StepEnd)> on_end,
          int64_t flow_deadline_us = INT64_MAX, Progress progress = {});
  StepRun(const StepRun&) = delete;
  StepRun& operator=(const StepRun&) = delete;

  // The event as this step sees it: earlier steps' metadata applied, this step's secrets in
  // `secrets`, no password in request.body.
  const nlohmann::json& event() const { return event_; }
  // The password the caller supplied in request.body.password. Only the Hook adapter reads it.
  const std::optional<std::string>& password() const { return password_; }
  // The step's API. Calls made after the run ended are not part of the decision.
  Api& api() { return *api_; }
  Scheduler& scheduler() { return *scheduler_; }

  // Ends the execution. Later calls, and calls after a timeout, do nothing.
  void Finish(StepEnd end);
  // True once Finish was called or the executor ended the run (deadline).
  bool ended() const { return ended_; }

  // Who the execution is for, as its caller named it (a request id); empty when unnamed. For
  // reports about the step outside the decision record.
  void set_trace(std::string trace) { trace_ = std::move(trace); }
  const std::string& trace() const { return trace_; }

  // What the step is waiting for, quoted in a timeout message (e.g. "the Hook never called cb").
  void set_waiting_on(std::string what) { waiting_on_ = std::move(what); }
  const std::string& waiting_on() const { return waiting_on_; }

  // A step that must wait for a resource before it runs (a Node worker) says so from Start: its
  // own budget then starts at MarkStarted, not at Start. The flow's budget runs on meanwhile; if it
  // ends first, the step fails with action_timeout saying that it waited for `what`, and
  // Step::Cancel is called as for any timeout. Both do nothing once the run has ended.
  void MarkQueued(std::string what);
  void MarkStarted();
  // What the step waits for while it is queued; empty when it is not.
  const std::string& queued_for() const { return queued_for_; }
  // When the flow's budget ends, in the scheduler's NowMicros(): a queued step that has not
  // started by then never will.
  int64_t flow_deadline_us() const { return flow_deadline_us_; }

  // For the executor: ends the run without reporting; returns false if it had already ended.
  bool Expire();
  // For the executor, once the step has ended: takes back the event it lent the step rather
  // than copying it for each step. event() is null afterwards.
  nlohmann::json ReturnEvent() { return std::move(event_); }

 private:
  nlohmann::json event_;  // changed only by ReturnEvent
  const std::optional<std::string> password_;
  const std::unique_ptr<Api> api_;
  Scheduler* const scheduler_;
  std::function<void(StepEnd)> on_end_;
  const int64_t flow_deadline_us_;
  Progress progress_;
  bool ended_ = false;
  std::string waiting_on_;
  std::string trace_;
  std::string queued_for_;
};

class Step {
 public:
  virtual ~Step() = default;
  virtual StepKind kind() const = 0;
  // Starts one execution. The step keeps `run` for as long as it needs it.
  virtual void Start(std::shared_ptr<StepRun> run) = 0;
  // The run missed its deadline and has ended; stop working on it (e.g. kill its process).
  virtual void Cancel(const std::shared_ptr<StepRun>& run) { (void)run; }
};

// A native Action: a C++ callable run synchronously on the scheduler's thread. An exception it
// throws is the step's error (action_error). It must not block: long work belongs in a Step.
using NativeAction = std::function<void(const nlohmann::json& event, Api& api)>;
std::shared_ptr<Step> MakeNativeAction(NativeAction fn);

}  // namespace prereg

#endif  // PREREG_ACTIONS_STEP_H_
