// `prereg migrate HOOK.js [-o ACTION.js] [--report FILE.json] [--mode rewrite|wrap]`.

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "prereg/actions/json.h"

#include "commands.h"
#include "prereg/adapters/node_transform.h"

namespace prereg::cli {

int MigrateCommand(const MigrateArgs& args, std::ostream& out, std::ostream& err) {
  auto fail = [&err](const std::string& message) {
    err << "prereg migrate: " << message << "\n";
    return kExitUsage;
  };
  std::error_code ec;
  if (!std::filesystem::is_regular_file(args.hook, ec)) {
    return fail(fmt::format("{} does not exist", args.hook));
  }
  adapters::NodeTransformRunner runner(args.node_path);
  const auto mode = args.mode == "wrap" ? migration::Mode::kWrap : migration::Mode::kRewrite;
  auto migrated = migration::Migrate(args.hook, mode, runner);
  if (!migrated.ok()) return fail(fmt::format("could not convert {}: {}", args.hook, migrated.status().message()));
  const auto& m = migrated.value();
  if (args.output.empty() || args.output == "-") {
    out << m.action;
  } else {
    std::ofstream file(args.output, std::ios::binary | std::ios::trunc);
    if (!(file << m.action)) return fail(fmt::format("cannot write {}", args.output));
  }
  if (!args.report.empty()) {
    std::ofstream file(args.report, std::ios::binary | std::ios::trunc);
    if (!(file << DumpJson(migration::ReportJson(m, args.hook), 2) << "\n")) {
      return fail(fmt::format("cannot write {}", args.report));
    }
  }
  err << migration::Summary(m, args.hook, args.output.empty() ? "stdout" : args.output);
  return m.HasFindingsAboveInfo() ? kExitDeny : kExitAllow;
}

}  // namespace prereg::cli
