// Comparing decisions: what "decides like the old flow" means, field by field.
//
// A record is normalised to what a sign-up's fate depends on —
//   {outcome, denial: {kind, reason, user_message}, error: {class}, user: {user_id,
//    app_metadata, user_metadata}}
// — so a Hook and the Action converted from it compare equal although their steps, step names,
// timings, logs and error wording differ. Callers may ignore more paths.

#ifndef PREREG_MIGRATION_COMPARE_H_
#define PREREG_MIGRATION_COMPARE_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "prereg/actions/decision.h"

namespace prereg::migration {

// The normalised record, without the `ignore` paths. A path is dot-separated keys, "*" matching
// any key or array index, e.g. "user.app_metadata.signup_ts" or "denial.*".
nlohmann::json NormalizeRecord(const DecisionRecord& record, const std::vector<std::string>& ignore);

// Removes `path` (see NormalizeRecord) from `doc`. Returns false for a malformed path.
bool RemovePath(nlohmann::json* doc, const std::string& path);

struct FieldDiff {
  std::string path;  // e.g. "denial.user_message", "user.app_metadata.plan"
  nlohmann::json old_value;  // null when absent
  nlohmann::json new_value;
};

// The fields where two normalised records differ, objects compared key by key, other values
// whole; in path order.
std::vector<FieldDiff> DiffRecords(const nlohmann::json& old_record, const nlohmann::json& new_record);

}  // namespace prereg::migration

#endif  // PREREG_MIGRATION_COMPARE_H_
