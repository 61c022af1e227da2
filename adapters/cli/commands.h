// Internal to the CLI: the `prereg` subcommands. Each returns the process exit code; exit codes
// are mapped from outcomes here and nowhere else.

#ifndef PREREG_ADAPTERS_CLI_COMMANDS_H_
#define PREREG_ADAPTERS_CLI_COMMANDS_H_

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "prereg/actions/decision.h"
#include "prereg/actions/cache.h"
#include "prereg/adapters/flow_loader.h"
#include "prereg/adapters/node_pool.h"

namespace prereg::cli {

constexpr int kExitAllow = 0;
constexpr int kExitUsage = 1;  // usage or input error, message on stderr
constexpr int kExitDeny = 2;
constexpr int kExitError = 3;

int ExitCodeFor(Outcome outcome);

struct RunArgs {
  std::string event_path;  // "-" for stdin, empty for the built-in example event
  std::vector<std::string> secrets;  // NAME=VALUE
  std::optional<int64_t> timeout_ms;
  std::string format = "json";  // or "text"
  std::vector<std::string> steps;
  std::string cache_uri;  // see cache_stores.h; empty: in-memory
  adapters::SourceOptions sources;  // --secret goes into sources.secrets
  adapters::PoolOptions pool;
};
int RunCommand(const RunArgs& args, std::ostream& out, std::ostream& err);

struct TestArgs {
  std::vector<std::string> cases;  // files or directories of *.json case files
  std::string junit_path;
  std::string cache_uri;  // empty: a fresh in-memory cache per case
  adapters::SourceOptions sources;  // for tenant exports among a case's steps
  adapters::PoolOptions pool;
};
int TestCommand(const TestArgs& args, std::ostream& out, std::ostream& err);

struct MigrateArgs {
  std::string hook;
  std::string output;  // empty or "-": stdout
  std::string report;  // empty: none
  std::string mode = "rewrite";
  // The Hook and the Action are run side by side on these events: a count of generated events
  // or an events file (as compare's --events); every difference becomes an error finding.
  std::string verify_events = "200";
  bool no_verify = false;
  std::vector<std::string> verify_ignore;  // paths of the compared record, as compare's --ignore
  int64_t verify_timeout_ms = 3000;  // per sign-up while checking: a Hook that never calls cb waits it out
  std::vector<std::string> secrets;  // --secret NAME=VALUE, for both when verifying
  adapters::SourceOptions sources;
  adapters::PoolOptions pool;        // node_path also runs the transformation
};
// Exit 0 converted with no finding above info (and, verified, no difference), 2 converted with
// findings, 1 could not convert.
int MigrateCommand(const MigrateArgs& args, std::ostream& out, std::ostream& err);

struct CompareArgs {
  std::vector<std::string> old_steps, new_steps;  // scripts or flow files
  std::string events;                             // a JSONL file or a directory of .json events
  std::string report, junit;
  std::vector<std::string> ignore;  // extra paths of the normalised record to ignore
  std::string cache_uri;            // empty: a fresh in-memory cache per side
  std::vector<std::string> secrets;  // --secret NAME=VALUE, for every step of both sides
  adapters::SourceOptions sources;  // both sides: --secret, and for tenant exports
  adapters::PoolOptions pool;
};
// Exit 0 equal everywhere, 2 any difference, 1 usage or input error (or invalid events only).
int CompareCommand(const CompareArgs& args, std::ostream& out, std::ostream& err);

struct TenantArgs {
  std::string export_path;  // tenant.yaml or an export folder
  adapters::SourceOptions sources;
  std::string format = "text";  // or "json"
};
// Exit 0 when the export's pipeline can run, 1 when it cannot be read or cannot run yet.
int TenantShowCommand(const TenantArgs& args, std::ostream& out, std::ostream& err);

struct EventsArgs {
  int64_t count = 100;
  uint64_t seed = 1;
  std::string base;  // an event file the generated events start from
};
int EventsGenerateCommand(const EventsArgs& args, std::ostream& out, std::ostream& err);

// When `record` failed because a step requires a module that is not installed (or a file that
// is not there): what to tell the operator — the module, the script and the npm command. A setup
// error, not a decision (exit kExitUsage). nullopt otherwise.
std::optional<std::string> MissingModule(const DecisionRecord& record, const adapters::FlowSpec& spec);

// Escapes text for XML attributes and content (JUnit reports).
std::string XmlEscape(const std::string& s);

// The event used when `prereg run` gets no --event: the skeleton of Auth0's documented event.
nlohmann::json DefaultEvent();
// Reads an event from a file or "-" (stdin). Errors name the file.
Result<nlohmann::json> ReadEvent(const std::string& path);
// Opens --cache URI, logging store incidents to `err`.
Result<std::shared_ptr<Cache>> OpenCacheForCli(const std::string& uri, std::ostream& err);
// Prints the pool's sandbox warnings to `err`, one line each, prefixed with `command`.
void PrintWarnings(const adapters::NodePool& pool, const char* command, std::ostream& err);
// `pool`, with what scripts do after their step ended (SPEC §8) written to `err` as warnings.
adapters::PoolOptions WarningOfLateWork(adapters::PoolOptions pool, const char* command,
                                        std::ostream& err);
// Prints a flow source's warnings (tenant exports) to `err`, prefixed with `command`.
void PrintSourceWarnings(const adapters::FlowSpec& spec, const char* command, std::ostream& err);
// Adds --secret NAME=VALUE arguments to `sources` (later ones win). kInvalidArgument for one
// without '=' or a name.
Status AddSecretArguments(const std::vector<std::string>& texts, adapters::SourceOptions* sources);
// A decision record for people (prereg run --format text).
std::string RenderText(const DecisionRecord& record);

}  // namespace prereg::cli

#endif  // PREREG_ADAPTERS_CLI_COMMANDS_H_
