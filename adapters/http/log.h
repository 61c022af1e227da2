// Internal to the HTTP service: its log lines (see log.cc).

#ifndef PREREG_ADAPTERS_HTTP_LOG_H_
#define PREREG_ADAPTERS_HTTP_LOG_H_

#include <string>

#include <nlohmann/json.hpp>

#include "prereg/actions/decision.h"

namespace prereg::http {

// A service event ("listening", "stopping", ...) as one JSON line on stderr.
void LogEvent(const std::string& level, const std::string& msg,
              nlohmann::json extra = nlohmann::json::object());

// The fields of an Auth0 tenant log event that come from the sign-up itself (ip, user_name,
// connection, client, tenant), taken before the event is handed to the engine.
nlohmann::json LogFields(const nlohmann::json& event);

// Writes one line to stdout: `fields` (from LogFields, and the request's id) followed by the
// execution's outcome: type "ss" or "fs", description (the deny reason or the error), and
// details with each step's status and timing.
// The line is buffered: call FlushExecutionLogs() before the thread sleeps (the service does so
// once per turn of its event loop, so a burst of executions costs one write).
void LogExecution(const DecisionRecord& record, const nlohmann::json& fields, double seconds);
void FlushExecutionLogs();

}  // namespace prereg::http

#endif  // PREREG_ADAPTERS_HTTP_LOG_H_
