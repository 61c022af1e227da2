// NodeTransformRunner: runs the migration tool (migration/js/migrate.js) in the project's Node.

#ifndef PREREG_ADAPTERS_NODE_TRANSFORM_H_
#define PREREG_ADAPTERS_NODE_TRANSFORM_H_

#include <string>
#include <vector>

#include "prereg/migration/migrate.h"

namespace prereg::adapters {

struct ProcessResult {
  int exit_code = -1;  // -1 when it did not exit normally
  std::string out;
  std::string err;
};

// Runs argv[0] (looked up in PATH) with the arguments, collecting its output. kUnavailable when
// it cannot start; kTimeout after `timeout_ms`.
Result<ProcessResult> RunProcess(const std::vector<std::string>& argv, int timeout_ms);

class NodeTransformRunner : public migration::TransformRunner {
 public:
  // `script` defaults to PREREG_MIGRATE_JS, else migration/js/migrate.js in the source tree.
  explicit NodeTransformRunner(std::string node_path = "node", std::string script = "");
  Result<std::string> Run(const std::vector<std::string>& args) override;

 private:
  std::string node_path_;
  std::string script_;
};

}  // namespace prereg::adapters

#endif  // PREREG_ADAPTERS_NODE_TRANSFORM_H_
