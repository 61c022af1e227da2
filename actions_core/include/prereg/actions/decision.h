// DecisionRecord: the result of one flow execution (SPEC §6), the same for the library, the CLI
// and the HTTP service, and the unit that regression comparison compares.

#ifndef PREREG_ACTIONS_DECISION_H_
#define PREREG_ACTIONS_DECISION_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "prereg/actions/api.h"
#include "prereg/actions/json.h"
#include "prereg/actions/step.h"

namespace prereg {

enum class Outcome { kAllow, kDeny, kError };
enum class ErrorClass { kActionError, kActionTimeout, kInvalidApiCall, kPlatformError };
enum class StepStatus { kOk, kDenied, kFailed, kSkipped };

const char* OutcomeName(Outcome o);       // "allow", "deny", "error"
const char* ErrorClassName(ErrorClass c);  // "action_error", ...
const char* StepStatusName(StepStatus s);  // "ok", "denied", "failed", "skipped"

struct StepReport {
  std::string name;
  StepKind kind = StepKind::kAction;
  StepStatus status = StepStatus::kSkipped;
  double duration_ms = 0.0;
  std::vector<std::string> logs;
};

struct DecisionRecord {
  struct DenialInfo {
    Denial denial;
    std::string step;
  };
  struct ErrorInfo {
    ErrorClass error_class = ErrorClass::kActionError;
    std::string message;
    std::string step;
  };

  Outcome outcome = Outcome::kError;
  std::optional<DenialInfo> denial;  // when outcome is deny
  std::optional<ErrorInfo> error;    // when outcome is error
  // The user as created, when outcome is allow.
  std::optional<std::string> user_id;  // prefixed
  nlohmann::json app_metadata = nlohmann::json::object();
  nlohmann::json user_metadata = nlohmann::json::object();
  // What the steps asked for, always.
  std::optional<std::string> requested_user_id;  // as given
  nlohmann::json requested_app_metadata = nlohmann::json::object();
  nlohmann::json requested_user_metadata = nlohmann::json::object();
  std::vector<StepReport> steps;

  // The record as SPEC §6 lays it out, keys in that order.
  nlohmann::ordered_json ToJson() const;
  // DumpJson(ToJson()), written without building the tree (the service's response).
  std::string Dump() const;
};

// The record's "denial" and "error" objects, as Dump() writes them; the service's execution log
// line carries the same.
void WriteDenial(JsonWriter& w, const DecisionRecord::DenialInfo& denial);
void WriteError(JsonWriter& w, const DecisionRecord::ErrorInfo& error);

// Secret values and the sign-up password as text shown outside the engine must not hold them
// (SPEC §6): "[secret]" and "[password]" in their place, the longest value first so that a value
// containing another is masked whole. Empty values are ignored.
// Secret values shorter than this are not masked: replacing every "a" or "42" in a denial reason
// would garble decisions, and make two flows that decide alike look different. The password is
// always masked.
constexpr size_t kMinMaskedSecretChars = 4;

class SecretMask {
 public:
  SecretMask(const std::vector<std::string>& secrets, const std::optional<std::string>& password);
  void Apply(std::string* text) const;
  bool empty() const { return values_.empty(); }

 private:
  std::vector<std::pair<std::string, std::string_view>> values_;  // value, replacement
};

}  // namespace prereg

#endif  // PREREG_ACTIONS_DECISION_H_
