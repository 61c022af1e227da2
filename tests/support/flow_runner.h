// Helpers to run flows to their decision on a ManualScheduler.

#ifndef PREREG_TESTS_SUPPORT_FLOW_RUNNER_H_
#define PREREG_TESTS_SUPPORT_FLOW_RUNNER_H_

#include <optional>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "prereg/actions/executor.h"
#include "support/manual_scheduler.h"

namespace prereg::testing {

// A small but complete signup event.
inline nlohmann::json SampleEvent() {
  return nlohmann::json::parse(R"({
    "user": {"email": "ada@example.com", "username": "ada", "phone_number": "+4412345",
             "user_metadata": {"color": "blue"}, "app_metadata": {"plan": "free"}},
    "request": {"ip": "203.0.113.7", "language": "en", "method": "POST",
                "geoip": {"countryCode": "GB", "continentCode": "EU"},
                "body": {"password": "hunter2", "ulp-first-name": "Ada"}},
    "connection": {"id": "con_1", "name": "Username-Password-Authentication", "strategy": "auth0"},
    "tenant": {"id": "acme"},
    "transaction": {"locale": "fr"},
    "unknown_field": {"kept": true}
  })");
}

// Runs `flow` on `event`, moving the manual clock forward until a decision (at most 60 s).
inline DecisionRecord RunToDecision(const Flow& flow, const nlohmann::json& event,
                                    ManualScheduler* scheduler) {
  std::optional<DecisionRecord> record;
  Status s = ExecuteFlow(flow, event, scheduler, [&](DecisionRecord r) { record = std::move(r); });
  if (!s.ok()) throw std::runtime_error(s.ToString());
  scheduler->RunPosted();
  for (int i = 0; i < 600 && !record; ++i) scheduler->AdvanceMillis(100);
  if (!record) throw std::runtime_error("no decision within 60 s of simulated time");
  return std::move(*record);
}

inline DecisionRecord RunToDecision(const Flow& flow, const nlohmann::json& event) {
  ManualScheduler scheduler;
  return RunToDecision(flow, event, &scheduler);
}

}  // namespace prereg::testing

#endif  // PREREG_TESTS_SUPPORT_FLOW_RUNNER_H_
