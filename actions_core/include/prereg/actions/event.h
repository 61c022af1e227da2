// The Actions event (SPEC §1): parsing and checking what callers send.

#ifndef PREREG_ACTIONS_EVENT_H_
#define PREREG_ACTIONS_EVENT_H_

#include <string_view>

#include <nlohmann/json.hpp>

#include "prereg/actions/status.h"

namespace prereg {

// Parses `text` as an event, bounded as ParseJson is. Returns kInvalidArgument naming the line and
// column of a JSON error (never quoting the input), or the field whose type is wrong (CheckEvent).
Result<nlohmann::json> ParseEvent(std::string_view text);

// Checks the types of the fields the engine reads: the event and user, request, request.body,
// request.geoip, connection, tenant and transaction must be objects when present; user metadata
// objects or null; tenant.id, connection.{id,name,strategy}, request.{ip,language} and
// transaction.locale strings when present. Unknown fields are allowed and kept.
// Returns OK or kInvalidArgument naming the field, e.g. "event.user.app_metadata must be an object".
Status CheckEvent(const nlohmann::json& event);

}  // namespace prereg

#endif  // PREREG_ACTIONS_EVENT_H_
