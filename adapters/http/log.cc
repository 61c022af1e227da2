// The service's log lines. Executions: one JSON line each on stdout, shaped like Auth0 tenant
// log events. Service events: JSON lines on stderr. Built from the decision record, whose secrets
// and password are already masked, and from a few fields of the event (never its body).

#include "log.h"

#include <chrono>
#include <cstdint>
#include <ctime>
#include <iostream>

#include <fmt/format.h>

#include "prereg/actions/json.h"

namespace prereg::http {

using json = nlohmann::json;

namespace {

// The time as ISO 8601 in UTC, to the millisecond. The date and time up to the second are
// formatted once per second: this runs for every sign-up's log line.
std::string NowIso() {
  using namespace std::chrono;
  const auto now = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  thread_local int64_t second = -1;
  thread_local std::string prefix;  // "2026-12-06T07:21:43."
  if (now / 1000 != second) {
    second = now / 1000;
    const auto t = static_cast<std::time_t>(second);
    std::tm tm{};
    gmtime_r(&t, &tm);
    prefix = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.", tm.tm_year + 1900, tm.tm_mon + 1,
                         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  }
  return fmt::format("{}{:03}Z", prefix, now % 1000);
}

}  // namespace

void LogEvent(const std::string& level, const std::string& msg, json extra) {
  extra["date"] = NowIso();
  extra["level"] = level;
  extra["msg"] = msg;
  std::cerr << DumpJson(extra) << std::endl;
}

std::string LogFields(const json& event, std::string_view request_id, std::string_view frontdoor,
                      std::string_view correlation_id) {
  JsonWriter line(256);  // members only: no braces
  auto copy = [&line](const json& from, const char* key, const char* as) {
    if (from.is_object()) {
      auto it = from.find(key);
      if (it != from.end()) line.Key(as).Value(*it);
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
  line.Key("request_id").String(request_id);
  if (!frontdoor.empty()) {
    line.Key("frontdoor").String(frontdoor);
    line.Key("correlation_id").String(correlation_id);
  }
  return std::move(line).Take();
}

void LogExecution(const DecisionRecord& record, std::string_view fields, double seconds) {
  const bool allowed = record.outcome == Outcome::kAllow;
  JsonWriter w(512);  // written straight out: one line per sign-up (bench/README.md, 2026-12-06)
  w.BeginObject().Members(fields);
  w.Key("date").String(NowIso());
  w.Key("type").String(allowed ? "ss" : "fs");
  w.Key("description").String(allowed        ? std::string_view("Successful signup")
                              : record.denial ? record.denial->denial.reason
                              : record.error  ? record.error->message
                                              : std::string_view("Failed signup"));
  w.Key("details").BeginObject();
  w.Key("outcome").String(OutcomeName(record.outcome));
  w.Key("duration_ms").Number(seconds * 1000.0);
  w.Key("steps").BeginArray();
  for (const auto& s : record.steps) {
    w.BeginObject().Key("name").String(s.name);
    w.Key("kind").String(StepKindName(s.kind));
    w.Key("status").String(StepStatusName(s.status));
    w.Key("duration_ms").Number(s.duration_ms).EndObject();
  }
  w.EndArray();
  if (record.denial) WriteDenial(w.Key("denial"), *record.denial);
  if (record.error) WriteError(w.Key("error"), *record.error);
  if (record.user_id) w.Key("user_id").String(*record.user_id);
  w.EndObject().EndObject();
  std::string text = std::move(w).Take();
  text += '\n';
  std::cout << text;
}

void FlushExecutionLogs() { std::cout.flush(); }

}  // namespace prereg::http
