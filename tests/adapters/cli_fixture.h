// Runs the real `prereg` binary as users and scripts call it.

#ifndef PREREG_TESTS_ADAPTERS_CLI_FIXTURE_H_
#define PREREG_TESTS_ADAPTERS_CLI_FIXTURE_H_

#include <sys/wait.h>

#include <cstdlib>
#include <string>

#include "js_fixture.h"

namespace prereg::testing {

struct CliResult {
  int code;  // the exit code; -1 when killed by a signal (a crash)
  std::string out, err;
};

// Runs the shell command `command` in `dir` with `input` on stdin.
inline CliResult Shell(const TempDir& dir, const std::string& command, const std::string& input = "") {
  const auto in = dir.Write(".stdin", input);
  const auto out = dir.path() / ".stdout";
  const auto err = dir.path() / ".stderr";
  const std::string cmd = "cd '" + dir.path().string() + "' && " + command + " < '" + in +
                          "' > '" + out.string() + "' 2> '" + err.string() + "'";
  int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, ReadAllText(out), ReadAllText(err)};
}

// Runs `prereg ARGS` in `dir` with `input` on stdin.
inline CliResult Cli(const TempDir& dir, const std::string& args, const std::string& input = "") {
  return Shell(dir, "'" PREREG_BINARY "' " + args, input);
}

// Writes `prereg events generate --count COUNT --seed SEED`'s events to `file` in `dir`; false
// when the command failed.
inline bool WriteGeneratedEvents(const TempDir& dir, const std::string& file, int count, int seed) {
  auto gen = Cli(dir, "events generate --count " + std::to_string(count) + " --seed " + std::to_string(seed));
  if (gen.code != 0) return false;
  dir.Write(file, gen.out);
  return true;
}

}  // namespace prereg::testing

#endif  // PREREG_TESTS_ADAPTERS_CLI_FIXTURE_H_
