#include "prereg/actions/step.h"

#include <exception>

#include <fmt/format.h>

namespace prereg {

const char* StepKindName(StepKind kind) { return kind == StepKind::kHook ? "hook" : "action"; }

StepRun::StepRun(nlohmann::json event, std::optional<std::string> password,
                 std::unique_ptr<Api> api, Scheduler* scheduler,
                 std::function<void(StepEnd)> on_end)
    : event_(std::move(event)),
      password_(std::move(password)),
      api_(std::move(api)),
      scheduler_(scheduler),
      on_end_(std::move(on_end)) {}

void StepRun::Finish(StepEnd end) {
  if (ended_) return;
  ended_ = true;
  // Posted, so that a step finishing inside Start() does not re-enter the executor.
  scheduler_->Post([fn = std::move(on_end_), end = std::move(end)]() mutable { fn(std::move(end)); });
}

bool StepRun::Expire() {
  if (ended_) return false;
  ended_ = true;
  on_end_ = nullptr;
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
