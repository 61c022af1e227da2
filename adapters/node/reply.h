// Internal to the Node pool: what a worker writes on its reply channel (fd 3), read as hostile.
//
// A script can write to fd 3 itself, and a runner can be confused, so nothing here trusts a line:
// ParseWorkerMessage bounds and checks it, and reads a member only when it has the expected type;
// a member of another type reads as its default, and members it does not know are skipped. Of a
// duplicated member, the last counts. It builds no tree of the message: only the values a script
// passed (`{j: value}`) become trees (profiled: building, searching and freeing the message's
// tree was a tenth of the service's instructions; bench/README.md). None of these functions throws.

#ifndef PREREG_ADAPTERS_NODE_REPLY_H_
#define PREREG_ADAPTERS_NODE_REPLY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "prereg/actions/status.h"
#include "prereg/actions/step.h"
#include "prereg/actions/value.h"
#include "prereg/hooks/hook.h"

namespace prereg::adapters {

// Nesting a reply may add around a script's value: {calls:[{a:[{j: value}]}]}.
constexpr size_t kReplyWrapperDepth = 8;

// One thing a script did, as the runner reports it: {m: <API method>, a: [arg, ...]},
// {m: "log", line}, {m: "cb", e: <error>, r: <response>} or {m: "throw", message}. An argument
// (and `r`) is {j: <JSON>}, {k: <kind>} or {k: "large", bytes, string}; anything else is
// undefined.
struct ReportedCall {
  std::string method;            // "m"
  std::vector<Value> args;       // "a"
  std::string line;              // "line"
  std::string message;           // "message"
  hooks::CallbackArgs callback;  // "e" ({t: truthy, pur, message, friendly}) and "r"
};

// One message from a worker: an object whose "t" is a string. Which members matter depends on
// the type; the runner's protocol is described in runner.js.
struct WorkerMessage {
  std::string type;  // "ready", "loaded", "sync", "done", "late", "exit", ...; others are ignored
  uint64_t id = 0;   // the job it is about: "id" when it is a whole number >= 0, else 0
  std::vector<ReportedCall> calls;   // "calls" (sync, done); entries that are not objects dropped
  ReportedCall call;                 // "call" (sync): the synchronous call to answer
  bool overflow = false;             // "overflow" is a boolean (sync, done)
  bool threw = false;                // "end": {kind: "threw"} (done)
  std::string end_message;           // "end": {message} (done)
  uint64_t lingering = 0;            // "lingering" (done)
  bool untracked = false;            // "untracked" is a boolean (done)
  std::optional<std::string> error;  // "error" (loaded)
  std::string kind;                  // "kind" (loaded)
  std::string what;                  // "what" (late)
  std::string text;                  // "text" (late)
  int code = 0;                      // "code" (exit)
};

// Parses one line (without its newline). kInvalidArgument, naming the problem and its position,
// when the line is not JSON, nests deeper than the value limit allows, or is not such an object.
Result<WorkerMessage> ParseWorkerMessage(std::string_view line);

// Every member of `msg` as JSON, values with their kinds: for the tests and the fuzzer, which
// compare decodings.
nlohmann::json DescribeMessage(const WorkerMessage& msg);

// obj[key] when obj is an object holding it, else null.
const nlohmann::json& MemberOf(const nlohmann::json& obj, const char* key);

// Applies the calls a script made, in order, to `run`'s Api (and to `gate`, for a Hook: cb and
// throw entries). Calls of no known method are skipped. Returns the result of the last API call
// (a cache call's answer), or null.
nlohmann::json ApplyCalls(const std::vector<ReportedCall>& calls, StepRun& run,
                          hooks::CallbackGate* gate);

}  // namespace prereg::adapters

#endif  // PREREG_ADAPTERS_NODE_REPLY_H_
