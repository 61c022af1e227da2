// Event parsing and validation, then the whole engine on what passes: a native Hook (the Hook
// projection, cb translation) and a native Action, the decision record and its JSON.

#include <cstddef>
#include <cstdint>
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
  (void)prereg::DumpJson(prereg::hooks::ProjectUser(event.value(), std::string("pw")));
  (void)prereg::DumpJson(prereg::hooks::ProjectContext(event.value()));
  auto record = prereg::RunFlow(TheFlow(), event.value());
  if (record.ok()) (void)prereg::DumpJson(record.value().ToJson(), 2);
  return 0;
}
