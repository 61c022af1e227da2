// The service's log lines. Executions: one JSON line each on stdout, shaped like Auth0 tenant
// log events. Service events: JSON lines on stderr. Built from the decision record, whose secrets
// and password are already masked, and from a few fields of the event (never its body).

#include "log.h"

#include <chrono>
#include <ctime>
#include <iostream>

#include <fmt/format.h>

namespace prereg::http {

using json = nlohmann::json;

namespace {

std::string NowIso() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  const std::time_t t = system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

}  // namespace

void LogEvent(const std::string& level, const std::string& msg, json extra) {
  extra["date"] = NowIso();
  extra["level"] = level;
  extra["msg"] = msg;
  std::cerr << extra.dump(-1, ' ', false, json::error_handler_t::replace) << std::endl;
}

json LogFields(const json& event) {
  json line = json::object();
  auto copy = [&line](const json& from, const char* key, const char* as) {
    if (from.is_object()) {
      auto it = from.find(key);
      if (it != from.end()) line[as] = *it;
    }
  };
  const json none;
  auto member = [&none](const json& obj, const char* key) -> const json& {
    if (!obj.is_object()) return none;
    auto it = obj.find(key);
    return it == obj.end() ? none : *it;
  };
  const auto& request = member(event, "request");
  const auto& connection = member(event, "connection");
  const auto& client = member(event, "client");
  copy(request, "ip", "ip");
  copy(request, "user_agent", "user_agent");
  copy(member(event, "user"), "email", "user_name");
  copy(connection, "name", "connection");
  copy(connection, "id", "connection_id");
  copy(connection, "strategy", "strategy");
  copy(client, "client_id", "client_id");
  copy(client, "name", "client_name");
  copy(member(event, "tenant"), "id", "tenant_name");
  return line;
}

void LogExecution(const DecisionRecord& record, json line, double seconds) {
  const bool allowed = record.outcome == Outcome::kAllow;
  line["date"] = NowIso();
  line["type"] = allowed ? "ss" : "fs";
  line["description"] = allowed        ? std::string("Successful signup")
                        : record.denial ? record.denial->denial.reason
                        : record.error  ? record.error->message
                                        : std::string("Failed signup");
  json steps = json::array();
  for (const auto& s : record.steps) {
    steps.push_back({{"name", s.name},
                     {"kind", StepKindName(s.kind)},
                     {"status", StepStatusName(s.status)},
                     {"duration_ms", s.duration_ms}});
  }
  json details = {{"outcome", OutcomeName(record.outcome)},
                  {"duration_ms", seconds * 1000.0},
                  {"steps", std::move(steps)}};
  if (record.denial) {
    const auto& d = record.denial->denial;
    details["denial"] = {
        {"kind", d.kind == Denial::Kind::kAccessDenied ? "access_denied" : "validation_error"},
        {"reason", d.reason},
        {"user_message", d.user_message ? json(*d.user_message) : json(nullptr)},
        {"step", record.denial->step}};
  }
  if (record.error) {
    details["error"] = {{"class", ErrorClassName(record.error->error_class)},
                        {"message", record.error->message},
                        {"step", record.error->step}};
  }
  if (record.user_id) details["user_id"] = *record.user_id;
  line["details"] = std::move(details);
  std::cout << line.dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
}

void FlushExecutionLogs() { std::cout.flush(); }

}  // namespace prereg::http
