// Event parsing and validation, then the whole engine on what passes: a native Hook (the Hook
// projection, cb translation) and a native Action, the decision record and its JSON. Checks that
// DumpJson's text is nlohmann's and that the Hook projections written as text match their trees.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "prereg/actions/event.h"
#include "prereg/actions/executor.h"
#include "prereg/actions/json.h"
#include "prereg/hooks/hook.h"
#include "prereg/hooks/native_hook.h"

namespace {

using json = nlohmann::json;

const prereg::Flow& TheFlow() {
  static const prereg::Flow* flow = [] {
    auto* f = new prereg::Flow();
    f->Add(prereg::StepConfig{
        "hook",
        prereg::hooks::MakeNativeHook([](const json& user, const json& context,
                                         prereg::hooks::HookCallback cb) {
          // Echo what the event carried: its metadata go through every rule of SPEC §5.
          json response = {{"user", {{"app_metadata", user.value("app_metadata", json::object())},
                                     {"user_metadata", user.value("user_metadata", json::object())}}}};
          if (context.contains("renderLanguage") && context["renderLanguage"] == "xx") {
            return cb(prereg::hooks::PreUserRegistrationError("lang", "Not here"));
          }
          cb(nullptr, response);
        }),
        {{"KEY", "fuzz-secret"}},
        std::nullopt});
    f->Add("action", prereg::MakeNativeAction([](const json& event, prereg::Api& api) {
      api.Log(prereg::DumpJson(event));  // secrets and the password are masked in the record
      const auto& user = event["user"];
      if (user.contains("email") && user["email"].is_string()) api.SetUserId(user["email"]);
    }));
    return f;
  }();
  return *flow;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto event = prereg::ParseEvent(text);
  if (!event.ok()) return 0;
  // DumpJson (JsonWriter) must write nlohmann's own text, and the projections' text for a worker
  // their trees' text.
  const auto& e = event.value();
  if (prereg::DumpJson(e) != e.dump(-1, ' ', false, json::error_handler_t::replace)) {
    __builtin_trap();
  }
  const std::optional<std::string> password = "pw";
  prereg::JsonWriter user;
  prereg::hooks::WriteUser(&user, e, password);
  if (std::move(user).Take() != prereg::DumpJson(prereg::hooks::ProjectUser(e, password))) {
    __builtin_trap();
  }
  prereg::JsonWriter context;
  prereg::hooks::WriteContext(&context, e);
  if (std::move(context).Take() != prereg::DumpJson(prereg::hooks::ProjectContext(e))) {
    __builtin_trap();
  }
  auto record = prereg::RunFlow(TheFlow(), event.value());
  if (record.ok()) (void)prereg::DumpJson(record.value().ToJson(), 2);
  return 0;
}
