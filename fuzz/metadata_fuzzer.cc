// The metadata rules (SPEC §5) through the Actions API and the executor: {"event": {...user
// metadata...}, "app": {key: value}, "user": {key: value}, "id": "..."} -> one native Action
// making those calls, then the merge, the size limits and the record.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "prereg/actions/executor.h"
#include "prereg/actions/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using json = nlohmann::json;
  auto doc = prereg::ParseJson(std::string_view(reinterpret_cast<const char*>(data), size), "input");
  if (!doc.ok() || !doc.value().is_object()) return 0;
  const json input = std::move(doc).value();
  json event = {{"user", json::object()}, {"connection", {{"strategy", "auth0"}}}};
  for (const char* kind : {"app_metadata", "user_metadata"}) {
    if (input.contains(kind) && input[kind].is_object()) event["user"][kind] = input[kind];
  }
  prereg::FlowOptions options;
  options.metadata.max_bytes = 4096;
  options.metadata.ban_dollar_anywhere = input.contains("strict");
  prereg::Flow flow(options);
  flow.Add("set", prereg::MakeNativeAction([&input](const json&, prereg::Api& api) {
    for (const char* which : {"app", "user"}) {
      if (!input.contains(which) || !input[which].is_object()) continue;
      for (const auto& [key, value] : input[which].items()) {
        if (which[0] == 'a') {
          api.SetAppMetadata(key, value);
        } else {
          api.SetUserMetadata(key, value);
        }
      }
    }
    if (input.contains("id")) api.SetUserId(input["id"]);
  }));
  flow.Add("after", prereg::MakeNativeAction([](const json& event, prereg::Api& api) {
    api.Log(prereg::DumpJson(event["user"]));
  }));
  auto record = prereg::RunFlow(flow, event);
  if (record.ok()) (void)prereg::DumpJson(record.value().ToJson());
  return 0;
}
