// The legacy Hooks contract (SPEC §4), expressed as calls on the Actions API.
//
// A Hook never talks to the engine directly: the adapter projects the event to `(user, context)`,
// runs the Hook, and turns what it passes to `cb` into Api calls. Everything here is shared by
// native Hooks (native_hook.h) and by script runners that run JavaScript Hooks.

#ifndef PREREG_HOOKS_HOOK_H_
#define PREREG_HOOKS_HOOK_H_

#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "prereg/actions/api.h"
#include "prereg/actions/json.h"
#include "prereg/actions/step.h"
#include "prereg/actions/value.h"

namespace prereg::hooks {

// The Hook's `user` for `event` (the event as the step sees it) and the signup password.
// Fields missing from the event are left out, as undefined would be.
nlohmann::json ProjectUser(const nlohmann::json& event, const std::optional<std::string>& password);
// The Hook's `context` for `event`; `webtask.secrets` comes from event.secrets.
nlohmann::json ProjectContext(const nlohmann::json& event);
// The same two documents written into `w` as text (for a worker's request), without a tree:
// the text is what DumpJson gives for ProjectUser's and ProjectContext's trees.
void WriteUser(JsonWriter* w, const nlohmann::json& event,
               const std::optional<std::string>& password);
void WriteContext(JsonWriter* w, const nlohmann::json& event);

// PreUserRegistrationError(message, friendlyMessage): friendlyMessage defaults to message.
struct PreUserRegistrationError {
  PreUserRegistrationError(std::string msg, std::string friendly = "")
      : message(std::move(msg)), friendly_message(friendly.empty() ? message : std::move(friendly)) {}
  std::string message;
  std::string friendly_message;
};

// A plain `new Error(message)`.
struct Error {
  std::string message;
};

// What a Hook passed as cb's first argument, described without JavaScript.
struct CallbackError {
  bool truthy = false;  // falsy arguments take the success path
  bool is_pre_user_registration_error = false;
  // For an Error: its message. For any other truthy x: x.message || String(x).
  std::string message;
  // PreUserRegistrationError's friendlyMessage, when it has one.
  std::optional<std::string> friendly_message;

  static CallbackError None() { return {}; }
  static CallbackError From(const PreUserRegistrationError& e) {
    return {true, true, e.message, e.friendly_message};
  }
  static CallbackError From(const Error& e) { return {true, false, e.message, std::nullopt}; }
  // Any other value, with JavaScript's truthiness and String() conversion.
  static CallbackError FromValue(const Value& v);
};

// One call of cb(error, response).
struct CallbackArgs {
  CallbackError error;
  Value response;  // undefined when not passed
};

// Turns one cb call into Api calls (SPEC §4): a truthy error denies; a response's
// user.app_metadata / user.user_metadata become one set call per top-level key; everything else
// in the response is ignored. A metadata object that is present but not a plain object is an
// invalid call.
void ApplyCallback(const CallbackArgs& args, Api& api);

// Enforces "only the first cb counts" for one execution of a Hook. The first callback is applied
// and finishes the run; later callbacks and throws are logged and ignored; a throw before any
// callback is the step's error. Not thread-safe: use on the scheduler's thread.
class CallbackGate {
 public:
  explicit CallbackGate(std::shared_ptr<StepRun> run);

  void OnCallback(const CallbackArgs& args);
  // The Hook threw or its promise rejected with `message`.
  void OnThrow(const std::string& message);
  bool called() const { return called_; }

  // The timeout explanation set on the run until cb is called.
  static constexpr const char* kNeverCalledCb = "the Hook never called cb";

 private:
  std::shared_ptr<StepRun> run_;
  bool called_ = false;
};

}  // namespace prereg::hooks

#endif  // PREREG_HOOKS_HOOK_H_
