// Flow files: parsing, field checks and script paths relative to the file.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "prereg/adapters/flow_loader.h"

namespace {

std::string FlowPath() {
  static const std::string path = [] {
    const auto dir = std::filesystem::temp_directory_path() / "prereg-fuzz-flow";
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "a.js") << "exports.onExecutePreUserRegistration = async () => {};\n";
    return (dir / "flow.json").string();
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto spec = prereg::adapters::ParseFlowFile(text, FlowPath());
  if (spec.ok()) {
    for (const auto& step : spec.value().steps) (void)step.name.size();
  } else {
    (void)spec.status().ToString();
  }
  return 0;
}
