// Hook -> Action migration: the result model, the report, and what counts as a finding.
//
// The transformation itself operates on JavaScript and runs in Node (migration/js/migrate.js);
// this library reaches it only through TransformRunner, which adapters implement, and owns
// everything else: parsing its answer, severities, the report file, the summary and exit codes.

#ifndef PREREG_MIGRATION_MIGRATE_H_
#define PREREG_MIGRATION_MIGRATE_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "prereg/actions/status.h"

namespace prereg::migration {

enum class Mode { kRewrite, kWrap };
enum class Severity { kInfo, kWarning, kError };

const char* ModeName(Mode mode);          // "rewrite", "wrap"
const char* SeverityName(Severity s);     // "info", "warning", "error"

// A construct not converted, or not proven equivalent, with where it is and what to do.
struct Finding {
  std::string rule;  // e.g. "password", "module-state", "callback-bridge"
  Severity severity = Severity::kInfo;
  int line = 0;
  int column = 0;
  std::string message;
  std::string suggestion;
};

// A dependency the Hook pinned in require('name@version').
struct Dependency {
  std::string name;
  std::string version;
  int line = 0;
};

struct Migration {
  Mode mode = Mode::kRewrite;
  std::string action;  // the Action's source
  std::vector<Finding> findings;
  std::vector<Dependency> dependencies;
  // What running the Hook and the Action side by side found (`prereg migrate` without
  // --no-verify): counts and every differing event; null when not run.
  nlohmann::ordered_json verification;

  // True when a finding is a warning or an error: the Action may decide differently.
  bool HasFindingsAboveInfo() const;
};

// Runs the transformation with `args` and returns what it printed. Implemented by adapters.
class TransformRunner {
 public:
  virtual ~TransformRunner() = default;
  virtual Result<std::string> Run(const std::vector<std::string>& args) = 0;
};

// Migrates the Hook at `hook_path`. kScriptError when it cannot be converted (not a Hook, not
// JavaScript, an unsupported shape), with the file, line and column when known.
Result<Migration> Migrate(const std::string& hook_path, Mode mode, TransformRunner& runner);

// The --report document: {"hook", "mode", "findings": [...], "dependencies": [...],
// "summary": {"info", "warning", "error"}}, keys in that order.
nlohmann::ordered_json ReportJson(const Migration& m, const std::string& hook_name);

// What people read on stderr: one line per finding with its fix, and a count.
std::string Summary(const Migration& m, const std::string& hook_name, const std::string& output);

}  // namespace prereg::migration

#endif  // PREREG_MIGRATION_MIGRATE_H_
