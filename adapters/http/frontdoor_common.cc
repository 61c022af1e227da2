#include "frontdoor_common.h"

namespace prereg::http {

std::string StringField(const nlohmann::json& object, const char* field) {
  if (!object.is_object()) return std::string();
  auto it = object.find(field);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<int64_t> ParseDigits(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::string UserMessage(const Denial& denial) {
  if (denial.user_message && !denial.user_message->empty()) return *denial.user_message;
  return std::string(denial.kind == Denial::Kind::kValidationError ? kGenericErrorMessage
                                                                   : kDeniedMessage);
}

bool ChangesUser(const DecisionRecord& record) {
  return !record.requested_app_metadata.empty() || !record.requested_user_metadata.empty() ||
         record.requested_user_id.has_value();
}

}  // namespace prereg::http
