#include "prereg/migration/compare.h"

#include <arpa/inet.h>

#include <map>
#include <set>

#include <catch2/catch.hpp>

#include "prereg/actions/event.h"
#include "prereg/migration/events.h"

namespace prereg::migration {
namespace {

using json = nlohmann::json;

DecisionRecord Allow(json app, std::optional<std::string> user_id = std::nullopt) {
  DecisionRecord r;
  r.outcome = Outcome::kAllow;
  r.app_metadata = std::move(app);
  r.user_id = std::move(user_id);
  r.steps.push_back({"hook", StepKind::kHook, StepStatus::kOk, 1.0, {"log"}});
  return r;
}

DecisionRecord Deny(std::string reason, std::optional<std::string> message, std::string step) {
  DecisionRecord r;
  r.outcome = Outcome::kDeny;
  r.denial = DecisionRecord::DenialInfo{{Denial::Kind::kAccessDenied, std::move(reason), std::move(message)}, std::move(step)};
  return r;
}

TEST_CASE("Compare: step names, timings, logs and error wording do not count",
          "[migration][compare]") {
  auto a = Allow({{"plan", "free"}});
  auto b = Allow({{"plan", "free"}});
  b.steps = {{"action", StepKind::kAction, StepStatus::kOk, 9.0, {"other"}}};
  b.requested_app_metadata = {{"extra", 1}};
  CHECK(DiffRecords(NormalizeRecord(a, {}), NormalizeRecord(b, {})).empty());
  CHECK(DiffRecords(NormalizeRecord(Deny("r", "m", "hook"), {}),
                    NormalizeRecord(Deny("r", "m", "action"), {})).empty());
  DecisionRecord e1, e2;
  e1.error = DecisionRecord::ErrorInfo{ErrorClass::kActionError, "step \"hook\" failed: x", "hook"};
  e2.error = DecisionRecord::ErrorInfo{ErrorClass::kActionError, "step \"action\" failed: y", "action"};
  CHECK(DiffRecords(NormalizeRecord(e1, {}), NormalizeRecord(e2, {})).empty());
}

TEST_CASE("Compare: a user message, a metadata value, a user id or an error class is named",
          "[migration][compare]") {
  auto paths = [](const DecisionRecord& a, const DecisionRecord& b) {
    std::vector<std::string> out;
    for (const auto& d : DiffRecords(NormalizeRecord(a, {}), NormalizeRecord(b, {}))) out.push_back(d.path);
    return out;
  };
  CHECK(paths(Deny("r", "Sorry", "h"), Deny("r", std::nullopt, "a")) ==
        std::vector<std::string>{"denial.user_message"});
  CHECK(paths(Allow({{"plan", "free"}, {"n", 1}}), Allow({{"plan", "pro"}, {"n", 1}})) ==
        std::vector<std::string>{"user.app_metadata.plan"});
  CHECK(paths(Allow({}, "auth0|a"), Allow({}, "auth0|b")) == std::vector<std::string>{"user.user_id"});
  DecisionRecord e1, e2;
  e1.error = DecisionRecord::ErrorInfo{ErrorClass::kActionError, "", "s"};
  e2.error = DecisionRecord::ErrorInfo{ErrorClass::kActionTimeout, "", "s"};
  CHECK(paths(e1, e2) == std::vector<std::string>{"error.class"});
  CHECK(paths(Deny("r", "m", "h"), Allow({})) == std::vector<std::string>{"denial", "outcome", "user"});
  auto diffs = DiffRecords(NormalizeRecord(Allow({{"k", 1}}), {}), NormalizeRecord(Allow(json::object()), {}));
  REQUIRE(diffs.size() == 1);
  CHECK(diffs[0].old_value == 1);
  CHECK(diffs[0].new_value.is_null());
}

TEST_CASE("Compare: ignored paths, with wildcards", "[migration][compare]") {
  auto a = Allow({{"ts", 1}, {"plan", "free"}});
  auto b = Allow({{"ts", 2}, {"plan", "free"}});
  CHECK(DiffRecords(NormalizeRecord(a, {"user.app_metadata.ts"}), NormalizeRecord(b, {"user.app_metadata.ts"})).empty());
  CHECK(DiffRecords(NormalizeRecord(a, {"user.*.ts"}), NormalizeRecord(b, {"user.*.ts"})).empty());
  CHECK_FALSE(DiffRecords(NormalizeRecord(a, {"user.app_metadata.plan"}), NormalizeRecord(b, {"user.app_metadata.plan"})).empty());
  json doc = json::object();
  CHECK_FALSE(RemovePath(&doc, ""));
  CHECK_FALSE(RemovePath(&doc, "a..b"));
}

TEST_CASE("Events: generation is deterministic per seed and every event is valid",
          "[migration][events]") {
  for (uint64_t i = 0; i < 50; ++i) CHECK(GenerateEvent(42, i) == GenerateEvent(42, i));
  CHECK(GenerateEvent(42, 0) != GenerateEvent(43, 0));
  CHECK(GenerateEvent(42, 0) != GenerateEvent(42, 1));
  std::set<std::string> countries, languages, domains;
  int upper = 0, plus = 0, long_local = 0, no_email = 0, with_password = 0, with_security = 0,
      without_transaction = 0, idn = 0, ipv6 = 0;
  std::map<std::string, std::set<std::string>> v6_prefixes;  // country -> first two groups
  for (uint64_t i = 0; i < 2000; ++i) {
    const auto e = GenerateEvent(7, i);
    REQUIRE(CheckEvent(e).ok());
    const auto& geo = e["request"]["geoip"];
    if (geo.contains("countryCode")) countries.insert(geo["countryCode"].get<std::string>());
    if (e["request"].contains("language")) languages.insert(e["request"]["language"].get<std::string>());
    if (!e["user"].contains("email")) {
      ++no_email;
    } else {
      const auto email = e["user"]["email"].get<std::string>();
      domains.insert(email.substr(email.find('@') + 1));
      upper += email.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos;
      plus += email.find('+') != std::string::npos;
      long_local += email.find('@') == 64;
      idn += email.find("\xC3\xBC") != std::string::npos || email.find("\xE4\xBE\x8B") != std::string::npos;
    }
    const auto ip = e["request"]["ip"].get<std::string>();
    if (ip.find(':') != std::string::npos) {
      ++ipv6;
      unsigned char bytes[16];
      CHECK(::inet_pton(AF_INET6, ip.c_str(), bytes) == 1);
      // The place is drawn before the address: a country's IPv6 addresses share its prefix.
      if (geo.contains("countryCode")) {
        v6_prefixes[geo["countryCode"].get<std::string>()].insert(ip.substr(0, ip.find(':', ip.find(':') + 1)));
      }
    }
    with_password += e["request"]["body"].contains("password");
    with_security += e.contains("security_context");
    without_transaction += !e.contains("transaction");
  }
  CHECK(countries.size() >= 12);
  CHECK(languages.size() >= 10);
  CHECK(domains.size() >= 8);
  CHECK(v6_prefixes.size() >= 10);
  CHECK(v6_prefixes.count("KP") == 0);  // no IPv6 in use there
  std::set<std::string> all_prefixes;
  for (const auto& [country, prefixes] : v6_prefixes) {
    CAPTURE(country);
    CHECK(prefixes.size() == 1);
    CHECK(prefixes.begin()->rfind("2001:db8", 0) != 0);  // not the documentation range
    all_prefixes.insert(prefixes.begin(), prefixes.end());
  }
  CHECK(all_prefixes.size() == v6_prefixes.size());
  for (int n : {upper, plus, long_local, no_email, with_password, with_security, without_transaction, idn, ipv6}) {
    CHECK(n > 20);
    CHECK(n < 2000);
  }
}

TEST_CASE("Events: a base event's own fields are kept", "[migration][events]") {
  const json base = {{"custom", {{"kept", true}}}, {"connection", {{"id", "c1"}, {"name", "mine"}, {"strategy", "email"}}}};
  const auto e = GenerateEvent(1, 0, base);
  CHECK(e["custom"] == json{{"kept", true}});
  CHECK(e["connection"]["strategy"] == "email");
}

}  // namespace
}  // namespace prereg::migration
