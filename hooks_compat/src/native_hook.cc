#include "prereg/hooks/native_hook.h"

#include <exception>

namespace prereg::hooks {

namespace {

class NativeHookStep : public Step {
 public:
  explicit NativeHookStep(NativeHook fn) : fn_(std::move(fn)) {}

  StepKind kind() const override { return StepKind::kHook; }

  void Start(std::shared_ptr<StepRun> run) override {
    auto gate = std::make_shared<CallbackGate>(run);
    try {
      fn_(ProjectUser(run->event(), run->password()), ProjectContext(run->event()),
          HookCallback(gate));
    } catch (const std::exception& e) {
      gate->OnThrow(e.what());
    } catch (...) {
      gate->OnThrow("threw a non-standard exception");
    }
    // A Hook that returned without calling cb stays pending until cb or its deadline.
  }

 private:
  NativeHook fn_;
};

}  // namespace

std::shared_ptr<Step> MakeNativeHook(NativeHook fn) {
  return std::make_shared<NativeHookStep>(std::move(fn));
}

}  // namespace prereg::hooks
