#include "prereg/actions/step.h"

#include <exception>

#include <fmt/format.h>

namespace prereg {

const char* StepKindName(StepKind kind) { return kind == StepKind::kHook ? "hook" : "action"; }

StepRun::StepRun(nlohmann::json event, std::optional<std::string> password,
                 std::unique_ptr<Api> api, Scheduler* scheduler,
                 std::function<void(StepEnd)> on_end, int64_t flow_deadline_us, Progress progress)
    : event_(std::move(event)),
      password_(std::move(password)),
      api_(std::move(api)),
      scheduler_(scheduler),
      on_end_(std::move(on_end)),
      flow_deadline_us_(flow_deadline_us),
      progress_(std::move(progress)) {}

void StepRun::MarkQueued(std::string what) {
  if (ended_ || !queued_for_.empty()) return;
  queued_for_ = what.empty() ? std::string("a resource") : std::move(what);
  if (progress_.queued) progress_.queued();
}

void StepRun::MarkStarted() {
  if (ended_ || queued_for_.empty()) return;
  queued_for_.clear();
  if (progress_.started) progress_.started();
}

void StepRun::Finish(StepEnd end) {
  if (ended_) return;
  ended_ = true;
  progress_ = {};
  // Posted, so that a step finishing inside Start() does not re-enter the executor.
  scheduler_->Post([fn = std::move(on_end_), end = std::move(end)]() mutable { fn(std::move(end)); });
}

bool StepRun::Expire() {
  if (ended_) return false;
  ended_ = true;
  on_end_ = nullptr;
  progress_ = {};
  return true;
}

namespace {

class NativeActionStep : public Step {
 public:
  explicit NativeActionStep(NativeAction fn) : fn_(std::move(fn)) {}

  StepKind kind() const override { return StepKind::kAction; }

  void Start(std::shared_ptr<StepRun> run) override {
    try {
      fn_(run->event(), run->api());
    } catch (const std::exception& e) {
      return run->Finish(StepEnd::Threw(e.what()));
    } catch (...) {
      return run->Finish(StepEnd::Threw("threw a non-standard exception"));
    }
    run->Finish(StepEnd::Returned());
  }

 private:
  NativeAction fn_;
};

}  // namespace

std::shared_ptr<Step> MakeNativeAction(NativeAction fn) {
  return std::make_shared<NativeActionStep>(std::move(fn));
}

}  // namespace prereg
