// One line from a worker's reply channel: the message check, then its calls replayed through the
// Actions API (Actions) or the Hook adapter's gate (Hooks), as the engine does. A line read is
// also read through nlohmann's parser (a byte order mark in front makes the fast reader decline
// it), and must decode the same.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
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
  if (line.empty() || line[0] != '\xef') {  // one mark only: a second is not JSON
    auto slow = prereg::adapters::ParseWorkerMessage("\xef\xbb\xbf" + std::string(line));
    if (!slow.ok() || prereg::adapters::DescribeMessage(slow.value()) !=
                          prereg::adapters::DescribeMessage(msg.value())) {
      std::abort();
    }
  }
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
  (void)prereg::adapters::ApplyCalls(msg.value().calls, *run, gate.get());
  const json last = prereg::adapters::ApplyCalls({msg.value().call}, *run, gate.get());
  const auto& effects = run->api().effects();
  (void)prereg::DumpJson(
      json{{"app", effects.app_metadata}, {"user", effects.user_metadata}, {"last", last}});
  return 0;
}
