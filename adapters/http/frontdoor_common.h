// Internal to adapters/http: what the front doors (frontdoor_*.h) share in reading platform
// payloads and in telling the user a decision.

#ifndef PREREG_ADAPTERS_HTTP_FRONTDOOR_COMMON_H_
#define PREREG_ADAPTERS_HTTP_FRONTDOOR_COMMON_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "prereg/actions/decision.h"

namespace prereg::http {

// What a user is told when the engine failed or no decision came in time, and when a denial
// gave no message of its own (its reason is internal: it goes to the logs only).
constexpr std::string_view kGenericErrorMessage = "Sign-up is temporarily unavailable";
constexpr std::string_view kDeniedMessage = "Sign-up is not allowed";

// `object[field]` when it is a string, else "".
std::string StringField(const nlohmann::json& object, const char* field);
// A timestamp written as decimal digits only (at most 18), else std::nullopt.
std::optional<int64_t> ParseDigits(std::string_view text);
// The message a denial shows: its user message, else the generic one for its kind.
std::string UserMessage(const Denial& denial);
// True when the flow asked to change the user (metadata or user id).
bool ChangesUser(const DecisionRecord& record);

}  // namespace prereg::http

#endif  // PREREG_ADAPTERS_HTTP_FRONTDOOR_COMMON_H_
