// One line from a worker's reply channel: the message check, then its calls replayed through the
// Actions API (Actions) or the Hook adapter's gate (Hooks), as the engine does.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "node/reply.h"
#include "prereg/actions/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using json = nlohmann::json;
  if (size == 0) return 0;
  const bool hook = (data[0] & 1) != 0;
  const std::string_view line(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto msg = prereg::adapters::ParseWorkerMessage(line);
  if (!msg.ok()) return 0;
  prereg::LoopScheduler scheduler;
  prereg::MemoryCache cache;
  prereg::MetadataOptions metadata;
  prereg::LogBudget logs(4096);
  auto run = std::make_shared<prereg::StepRun>(
      json::object(), std::nullopt,
      std::make_unique<prereg::Api>("s", &cache, &scheduler, &metadata, &logs), &scheduler,
      [](prereg::StepEnd) {});
  std::shared_ptr<prereg::hooks::CallbackGate> gate;
  if (hook) gate = std::make_shared<prereg::hooks::CallbackGate>(run);
  const auto& body = msg.value().body;
  (void)prereg::adapters::ApplyCalls(prereg::adapters::MemberOf(body, "calls"), *run, gate.get());
  const json last = prereg::adapters::ApplyCalls(
      json::array({prereg::adapters::MemberOf(body, "call")}), *run, gate.get());
  const auto& effects = run->api().effects();
  (void)prereg::DumpJson(json{{"app", effects.app_metadata}, {"user", effects.user_metadata},
                              {"last", last}});
  return 0;
}
