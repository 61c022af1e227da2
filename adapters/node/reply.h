// Internal to the Node pool: what a worker writes on its reply channel (fd 3), read as hostile.
//
// A script can write to fd 3 itself, and a runner can be confused, so nothing here trusts a line:
// ParseWorkerMessage bounds and checks it, and the decoders below read members only when they
// have the expected type, skipping anything else. None of these functions throws.

#ifndef PREREG_ADAPTERS_NODE_REPLY_H_
#define PREREG_ADAPTERS_NODE_REPLY_H_

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "prereg/actions/status.h"
#include "prereg/actions/step.h"
#include "prereg/actions/value.h"
#include "prereg/hooks/hook.h"

namespace prereg::adapters {

// Nesting a reply may add around a script's value: {calls:[{a:[{j: value}]}]}.
constexpr size_t kReplyWrapperDepth = 8;

// One message from a worker: an object whose "t" is a string.
struct WorkerMessage {
  std::string type;     // "ready", "loaded", "sync", "done", "exit"; others are ignored
  uint64_t id = 0;      // the job it is about: "id" when it is a whole number >= 0, else 0
  nlohmann::json body;  // the whole message
};

// Parses one line (without its newline). kInvalidArgument, naming the problem and its position,
// when the line is not JSON, nests deeper than the value limit allows, or is not such an object.
Result<WorkerMessage> ParseWorkerMessage(std::string_view line);

// obj[key] when obj is an object holding it, else null.
const nlohmann::json& MemberOf(const nlohmann::json& obj, const char* key);
// obj[key] when it is a string, else `fallback`.
std::string StringMember(const nlohmann::json& obj, const char* key, std::string fallback = "");

// Decodes an argument as the runner encodes it: {j: JSON}, {k: kind} or {k: "large", bytes,
// string}. Anything else is undefined.
Value DecodeValue(const nlohmann::json& wire);

// Applies the calls a script made, in order, to `run`'s Api (and to `gate`, for a Hook: cb and
// throw entries). Entries that are not well-formed calls are skipped. Returns the result of the
// last API call (a cache call's answer), or null.
nlohmann::json ApplyCalls(const nlohmann::json& calls, StepRun& run, hooks::CallbackGate* gate);

}  // namespace prereg::adapters

#endif  // PREREG_ADAPTERS_NODE_REPLY_H_
