// Api: the Actions API of one step's execution (SPEC §3), the only way a step changes a flow.
//
// Native steps call it directly; script runners replay what a script called, argument by
// argument, through the same methods, so every rule lives here once. A call that breaks a rule
// does not throw: it is recorded as the step's invalid call (the first one is reported) and the
// step runs on; the executor then ends the flow with `invalid_api_call`. Mutators return *this so
// calls chain, as in JavaScript.
//
// Thread safety: one Api belongs to one step execution and is used on the scheduler's thread.

#ifndef PREREG_ACTIONS_API_H_
#define PREREG_ACTIONS_API_H_

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "prereg/actions/cache.h"
#include "prereg/actions/scheduler.h"
#include "prereg/actions/value.h"

namespace prereg {

struct MetadataOptions {
  // Largest app_metadata and user_metadata, each, as compact JSON, in bytes. Default: 32768
  size_t max_bytes = 32768;
  // Reject "$" anywhere in a key, as Auth0's metadata page says, not only at its start.
  // Default: false (SPEC §5 decision)
  bool ban_dollar_anywhere = false;
};

// Caps what the steps of one execution may log (SPEC §6): past the cap an entry is cut, one
// marker entry is added and later entries are dropped.
class LogBudget {
 public:
  // Default: 256 KiB
  explicit LogBudget(size_t max_bytes = 256 * 1024) : remaining_(max_bytes) {}
  // Appends `line` to `logs` within the budget.
  void Append(std::vector<std::string>* logs, std::string line);
  bool truncated() const { return truncated_; }

  static constexpr std::string_view kMarker =
      "[prereg: log output truncated: this execution reached its log limit]";

 private:
  size_t remaining_;
  bool truncated_ = false;
};

struct Denial {
  enum class Kind { kAccessDenied, kValidationError };
  Kind kind = Kind::kAccessDenied;
  std::string reason;                        // errorCode for a validation error
  std::optional<std::string> user_message;   // errorMessage for a validation error
};

// What one step asked for. Metadata maps hold top-level keys to values; null deletes the key.
struct StepEffects {
  std::optional<Denial> denial;
  std::optional<std::string> invalid_call;  // the first broken rule, as a message
  nlohmann::json app_metadata = nlohmann::json::object();
  nlohmann::json user_metadata = nlohmann::json::object();
  std::optional<std::string> user_id;  // as given, unprefixed
};

// The methods of the API, named as scripts call them.
enum class ApiMethod {
  kAccessDeny,
  kValidationError,
  kSetAppMetadata,
  kSetUserMetadata,
  kSetUserId,
  kCacheGet,
  kCacheSet,
  kCacheDelete,
};
// "api.access.deny", ...
const char* ApiMethodName(ApiMethod method);
// Parses "access.deny", "user.setAppMetadata", ... (without the "api." prefix).
std::optional<ApiMethod> ParseApiMethod(std::string_view name);

class Api {
 public:
  // `cache`, `scheduler`, `metadata` and `logs` are not owned and must outlive the Api.
  // Cache calls use `cache_scope` (see CacheScope()).
  Api(std::string step_name, Cache* cache, Scheduler* scheduler, const MetadataOptions* metadata,
      LogBudget* logs, std::string cache_scope = CacheScope(""));
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  // api.access.deny(reason, userMessage): reason a string; userMessage a string or omitted.
  Api& Deny(const Value& reason, const Value& user_message = Value());
  // api.validation.error(errorCode, errorMessage): strings of at most 100 characters.
  Api& ValidationError(const Value& error_code, const Value& error_message);
  // api.user.setAppMetadata / setUserMetadata(key, value): key rules of SPEC §5; a value JSON
  // cannot represent is an invalid call; null deletes the key.
  Api& SetAppMetadata(const Value& key, const Value& value);
  Api& SetUserMetadata(const Value& key, const Value& value);
  // api.user.setUserId(id): 1-255 characters of [a-zA-Z0-9@._+-]; the last call wins.
  Api& SetUserId(const Value& id);
  // api.cache.get(key): the live record or nothing.
  std::optional<CacheRecord> CacheGet(const Value& key);
  // api.cache.set(key, value, options): value must be a string.
  CacheWriteResult CacheSet(const Value& key, const Value& value,
                            const CacheSetOptions& options = {});
  // api.cache.delete(key).
  CacheWriteResult CacheDelete(const Value& key);

  // Dispatches a call by method, as a script runner reports it, and returns what the script
  // receives as JSON (null for undefined; mutators return null, the runner returns `api`).
  // For kCacheSet, args are (key, value, ttl, expires_at).
  nlohmann::json Invoke(ApiMethod method, const std::vector<Value>& args);
  // As Invoke, without waiting for the cache store: `done` receives the result on the scheduler's
  // thread, once the store has answered (api.cache methods) or at once (the others). The Api may
  // be gone by then; the scheduler must outlive the call.
  void InvokeAsync(ApiMethod method, const std::vector<Value>& args,
                   std::function<void(nlohmann::json)> done);

  // Records a broken rule found outside a method call (e.g. in a Hook's cb response).
  void RejectCall(std::string_view call, std::string_view rule);
  // Adds one console line to the step's logs, within the execution's log budget.
  void Log(std::string line);

  const std::string& step_name() const { return step_name_; }
  const StepEffects& effects() const { return effects_; }
  const std::vector<std::string>& logs() const { return logs_; }

 private:
  Api& SetMetadata(ApiMethod method, const Value& key, const Value& value);
  bool CheckString(ApiMethod method, const char* what, const Value& v);
  std::optional<std::string> CacheKey(ApiMethod method, const Value& key);
  // Checks set's arguments in SPEC §3.1's order up to what needs the store. Returns the answer to
  // give without asking the store, or nothing with *k and *v filled in.
  std::optional<CacheWriteResult> CheckCacheSet(const Value& key, const Value& value,
                                                std::string* k, std::string* v);

  const std::string step_name_;
  Cache* const cache_;
  const std::string cache_scope_;
  Scheduler* const scheduler_;
  const MetadataOptions* const metadata_;
  LogBudget* const log_budget_;
  StepEffects effects_;
  std::vector<std::string> logs_;
};

}  // namespace prereg

#endif  // PREREG_ACTIONS_API_H_
