// Native Hooks: C++ callables with the Hook contract `(user, context, cb)`, run on the engine
// through the Hook adapter like any JavaScript Hook.

#ifndef PREREG_HOOKS_NATIVE_HOOK_H_
#define PREREG_HOOKS_NATIVE_HOOK_H_

#include <cstddef>
#include <functional>
#include <memory>

#include <nlohmann/json.hpp>

#include "prereg/actions/step.h"
#include "prereg/hooks/hook.h"

namespace prereg::hooks {

// The `cb` handed to a native Hook. Copyable; every copy refers to the same execution, and only
// the first call of any copy counts. It may be called later, from the scheduler's thread.
class HookCallback {
 public:
  explicit HookCallback(std::shared_ptr<CallbackGate> gate) : gate_(std::move(gate)) {}

  void operator()() const { Call({}); }                      // cb()
  void operator()(std::nullptr_t, Value response = Value()) const {  // cb(null, response)
    Call({CallbackError::None(), std::move(response)});
  }
  void operator()(const PreUserRegistrationError& e) const { Call({CallbackError::From(e), {}}); }
  void operator()(const Error& e) const { Call({CallbackError::From(e), {}}); }
  // cb(x, response) for any other first argument, e.g. cb("text").
  void operator()(const Value& error, Value response = Value()) const {
    Call({CallbackError::FromValue(error), std::move(response)});
  }
  void Call(const CallbackArgs& args) const { gate_->OnCallback(args); }

 private:
  std::shared_ptr<CallbackGate> gate_;
};

// A native Hook. An exception it throws before calling cb is the step's error (action_error).
using NativeHook = std::function<void(const nlohmann::json& user, const nlohmann::json& context,
                                      HookCallback cb)>;
std::shared_ptr<Step> MakeNativeHook(NativeHook fn);

}  // namespace prereg::hooks

#endif  // PREREG_HOOKS_NATIVE_HOOK_H_
