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
// connection, client, tenant), taken before the event is handed to the engine, then the
// request's id and, for a front door's request, its name and the platform's correlation id.
// Written as JSON object members without braces ("ip":"203.0.113.7","user_name":...), once.
std::string LogFields(const nlohmann::json& event, std::string_view request_id,
                      std::string_view frontdoor = {}, std::string_view correlation_id = {});

// Writes one line to stdout: `fields` (from LogFields) followed by the execution's outcome: type
// "ss" or "fs", description (the deny reason or the error), and details with each step's status
// and timing.
// The line is buffered: call FlushExecutionLogs() before the thread sleeps (the service does so
// once per turn of its event loop, so a burst of executions costs one write).
void LogExecution(const DecisionRecord& record, std::string_view fields, double seconds);
void FlushExecutionLogs();

}  // namespace prereg::http

#endif  // PREREG_ADAPTERS_HTTP_LOG_H_
