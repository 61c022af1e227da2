// `prereg run` and `prereg test` as users and scripts call them: the real binary, real files.

#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include <catch2/catch.hpp>

#include "cli_fixture.h"
#include "prereg/actions/event.h"
#include "js_fixture.h"
#include "support/redis_server.h"

namespace prereg {
namespace {

using json = nlohmann::json;
using testing::Action;
using testing::Cli;
using testing::CliResult;
using testing::Hook;
using testing::TempDir;

TEST_CASE("CLI run: exit codes are 0 allow, 2 deny, 3 error, 1 usage", "[adapters][cli]") {
  TempDir dir;
  dir.Write("allow.js", Action("api.user.setAppMetadata('a', 1);"));
  dir.Write("deny.js", Hook("cb(new PreUserRegistrationError('no', 'Nope'));"));
  dir.Write("error.js", Action("throw new Error('x');"));
  dir.Write("event.json", testing::SampleEvent().dump());
  auto allow = Cli(dir, "run --event event.json allow.js");
  CHECK(allow.code == 0);
  auto record = json::parse(allow.out);
  CHECK(record["outcome"] == "allow");
  CHECK(record["user"]["app_metadata"] == json{{"a", 1}, {"plan", "free"}});
  CHECK(Cli(dir, "run --event event.json deny.js allow.js").code == 2);
  CHECK(Cli(dir, "run --event event.json error.js").code == 3);
  auto usage = Cli(dir, "run --event event.json missing.js");
  CHECK(usage.code == 1);
  CHECK_THAT(usage.err, Catch::Contains("missing.js does not exist"));
  CHECK(Cli(dir, "run").code == 1);
  CHECK(Cli(dir, "run --bogus allow.js").code == 1);
}

TEST_CASE("CLI run: the JSON record has the SPEC shape and key order", "[adapters][cli]") {
  TempDir dir;
  dir.Write("deny.js", Action("api.access.deny('r', 'm');"));
  auto r = Cli(dir, "run deny.js");
  REQUIRE(r.code == 2);
  const auto record = nlohmann::ordered_json::parse(r.out);
  std::vector<std::string> keys;
  for (const auto& [k, v] : record.items()) keys.push_back(k);
  CHECK(keys == std::vector<std::string>{"outcome", "denial", "requested", "steps"});
  CHECK(record["denial"] == nlohmann::ordered_json::parse(
                                R"({"kind":"access_denied","reason":"r","user_message":"m","step":"deny"})"));
  CHECK(record["steps"][0]["kind"] == "action");
}

TEST_CASE("CLI run: events come from a file or stdin and bad ones are input errors",
          "[adapters][cli]") {
  TempDir dir;
  dir.Write("echo.js", Action("api.user.setAppMetadata('country', event.request.geoip.countryCode);"));
  auto stdin_run = Cli(dir, "run --event - echo.js", testing::SampleEvent().dump());
  REQUIRE(stdin_run.code == 0);
  CHECK(json::parse(stdin_run.out)["user"]["app_metadata"]["country"] == "GB");
  auto bad = Cli(dir, "run --event - echo.js", "{\"user\": ");
  CHECK(bad.code == 1);
  CHECK_THAT(bad.err, Catch::Contains("not valid JSON"));
  auto wrong = Cli(dir, "run --event - echo.js", "{\"user\": []}");
  CHECK(wrong.code == 1);
  CHECK_THAT(wrong.err, Catch::Contains("event.user must be an object"));
  CHECK(Cli(dir, "run --event nope.json echo.js").code == 1);
}

TEST_CASE("CLI run: secrets apply to every step and are masked", "[adapters][cli]") {
  TempDir dir;
  dir.Write("a.js", Action("console.log('key', event.secrets.KEY);"));
  dir.Write("h.js", Hook("console.log('hook key', context.webtask.secrets.KEY); cb();"));
  auto r = Cli(dir, "run --secret KEY=abc123 h.js a.js");
  REQUIRE(r.code == 0);
  auto record = json::parse(r.out);
  CHECK(record["steps"][0]["logs"][0] == "hook key [secret]");
  CHECK(record["steps"][1]["logs"][0] == "key [secret]");
  CHECK(Cli(dir, "run --secret NOEQUALS a.js").code == 1);
}

TEST_CASE("CLI run: --timeout-ms sets the flow budget", "[adapters][cli]") {
  TempDir dir;
  dir.Write("slow.js", Action("await new Promise((r) => setTimeout(r, 5000));"));
  auto r = Cli(dir, "run --timeout-ms 200 slow.js");
  CHECK(r.code == 3);
  auto record = json::parse(r.out);
  CHECK(record["error"]["class"] == "action_timeout");
  CHECK_THAT(record["error"]["message"].get<std::string>(), Catch::Contains("200 ms"));
}

TEST_CASE("CLI run: flow files name steps, give secrets and budgets, paths relative to them",
          "[adapters][cli]") {
  TempDir dir;
  dir.Write("flows/scripts/hook.js", Hook("cb(null, {user: {app_metadata: {s: context.webtask.secrets.S}}});"));
  dir.Write("flows/scripts/slow.js", Action("await new Promise((r) => setTimeout(r, 2000));"));
  dir.Write("flows/main.json", R"({"timeout_ms": 5000, "steps": [
      {"name": "legacy hook", "script": "scripts/hook.js", "secrets": {"S": "s3cr3t-value"}},
      {"script": "scripts/slow.js", "timeout_ms": 100}]})");
  auto r = Cli(dir, "run flows/main.json");
  CHECK(r.code == 3);
  auto record = json::parse(r.out);
  CHECK(record["steps"][0]["name"] == "legacy hook");
  CHECK(record["steps"][0]["status"] == "ok");
  CHECK(record["steps"][1]["name"] == "slow");
  CHECK(record["error"]["message"] ==
        "step \"slow\" did not finish within its 100 ms budget: the Action had not finished (a "
        "long loop, or a promise that never settles)");
  CHECK(record["requested"]["app_metadata"]["s"] == "s3cr3t-value");  // masking is for logs
}

TEST_CASE("CLI run: flow file mistakes name the file and the field", "[adapters][cli]") {
  TempDir dir;
  dir.Write("a.js", Action(""));
  const struct {
    const char* flow;
    const char* says;
  } cases[] = {
      {R"({"steps": []})", "\"steps\" must be a non-empty array"},
      {R"({"steps": [{"scirpt": "a.js"}]})", "steps[0].script must be a string"},
      {R"({"steps": [{"script": "a.js", "extra": 1}]})", "steps[0]: unknown field \"extra\""},
      {R"({"steps": [{"script": "b.js"}]})", "steps[0].script: step script"},
      {R"({"steps": [{"script": "a.js", "timeout_ms": -1}]})", "timeout_ms must be a positive"},
      {R"({"steps": [{"script": "a.js", "secrets": {"K": 1}}]})", "secrets.K must be a string"},
      {R"([1])", "must be a JSON object"},
      {R"({"steps": )", "not valid JSON"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.flow);
    dir.Write("flow.json", c.flow);
    auto r = Cli(dir, "run flow.json");
    CHECK(r.code == 1);
    CHECK_THAT(r.err, Catch::Contains("flow.json") && Catch::Contains(c.says));
  }
}

TEST_CASE("CLI run: a script that does not load is an input error, never an allow",
          "[adapters][cli]") {
  TempDir dir;
  dir.Write("broken.js", "module.exports = function (user, context, cb) {");
  auto r = Cli(dir, "run broken.js");
  CHECK(r.code == 1);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, Catch::Contains("broken.js") && Catch::Contains("syntax error"));
}

TEST_CASE("CLI run: no node is a platform_error outcome", "[adapters][cli]") {
  TempDir dir;
  dir.Write("a.js", Action(""));
  auto r = Cli(dir, "run --node /nonexistent/node a.js");
  CHECK(r.code == 3);
  CHECK(json::parse(r.out)["error"]["class"] == "platform_error");
}

TEST_CASE("CLI run: --format text is for people", "[adapters][cli]") {
  TempDir dir;
  dir.Write("d.js", Action("console.log('checking'); api.access.deny('bad ip', 'Try later');"));
  auto r = Cli(dir, "run --format text d.js");
  CHECK(r.code == 2);
  CHECK_THAT(r.out, Catch::StartsWith("DENY (access_denied) by step \"d\"") &&
                        Catch::Contains("user message: Try later") && Catch::Contains("| checking"));
}

TEST_CASE("CLI test: passing and failing cases, one line per failure, summary and JUnit",
          "[adapters][cli]") {
  TempDir dir;
  dir.Write("geo.js", Action("if (event.request.geoip.countryCode === 'KP') "
                             "api.access.deny('embargo', 'Not available');\n"
                             "api.user.setAppMetadata('seen', api.cache.get('seed')?.value ?? null);"));
  dir.Write("events/kp.json", R"({"request": {"geoip": {"countryCode": "KP"}}})");
  dir.Write("cases/pass.case.json", R"([
    {"name": "denies embargoed", "steps": ["../geo.js"], "event": "../events/kp.json",
     "expect": {"outcome": "deny", "denial": {"reason": "embargo", "step": "geo"}}},
    {"name": "seeded cache", "steps": ["../geo.js"], "cache": {"seed": "s1"},
     "event": {"request": {"geoip": {"countryCode": "FR"}}},
     "expect": {"outcome": "allow", "app_metadata": {"seen": "s1"}}}])");
  dir.Write("cases/fail.case.json", R"({"name": "wrong expectation", "steps": ["../geo.js"],
     "event": {"request": {"geoip": {"countryCode": "FR"}}},
     "expect": {"outcome": "deny"}})");
  auto ok = Cli(dir, "test cases/pass.case.json");
  CHECK(ok.code == 0);
  CHECK_THAT(ok.out, Catch::EndsWith("2 passed, 0 failed\n"));
  auto mixed = Cli(dir, "test --junit report.xml cases");
  CHECK(mixed.code == 2);
  CHECK_THAT(mixed.out, Catch::Contains("FAIL ") && Catch::Contains("wrong expectation") &&
                            Catch::Contains("outcome: expected \"deny\", got \"allow\"") &&
                            Catch::EndsWith("2 passed, 1 failed\n"));
  auto xml = testing::ReadAllText(dir.path() / "report.xml");
  CHECK_THAT(xml, Catch::Contains("tests=\"3\" failures=\"1\"") &&
                      Catch::Contains("<testcase classname=") && Catch::Contains("<failure"));
}

}  // namespace
}  // namespace prereg

namespace prereg {
namespace {

// The bundled examples stay correct: their own test cases pass.
TEST_CASE("Examples: the bundled prereg test cases pass", "[adapters][cli][examples]") {
  TempDir dir;
  auto r = Cli(dir, "test '" PREREG_EXAMPLES_DIR "/cases'");
  INFO(r.out << r.err);
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::EndsWith(" passed, 0 failed\n"));
}

// The risk-check Action calls a real HTTP server on loopback with its secret API key, once the
// operator allows that destination (SPEC §8: the sandbox refuses loopback by default).
TEST_CASE("Examples: the risk check calls a local HTTP service with its secret",
          "[adapters][cli][examples]") {
  TempDir dir;
  const auto port_file = dir.path() / "port";
  const std::string server = "RISK_API_KEY=example-key node '" PREREG_EXAMPLES_DIR
                             "/servers/risk-server.js' 0 > '" + port_file.string() +
                             "' 2>&1 & echo $! > '" + (dir.path() / "pid").string() + "'";
  REQUIRE(std::system(server.c_str()) == 0);
  std::string port;
  for (int i = 0; i < 100 && port.empty(); ++i) {
    auto text = testing::ReadAllText(port_file);
    if (text.rfind("listening ", 0) == 0) port = text.substr(10, text.find('\n') - 10);
    if (port.empty()) std::system("sleep 0.05");
  }
  REQUIRE_FALSE(port.empty());
  const std::string flow = "--secret RISK_API_URL=http://127.0.0.1:" + port +
                           "/score --secret RISK_API_KEY=example-key '" PREREG_EXAMPLES_DIR
                           "/actions/risk-check.js'";
  // The sandbox refuses loopback unless the operator allows it: the Action fails open and says why.
  auto refused = Cli(dir, "run --event '" PREREG_EXAMPLES_DIR "/events/signup.json' " + flow);
  const std::string allowed = "--allow-egress 127.0.0.1:" + port + " " + flow;
  auto risky = Cli(dir, "run --event '" PREREG_EXAMPLES_DIR "/events/disposable.json' " + allowed);
  auto fine = Cli(dir, "run --event '" PREREG_EXAMPLES_DIR "/events/signup.json' " + allowed);
  std::system(("kill $(cat '" + (dir.path() / "pid").string() + "')").c_str());
  REQUIRE(refused.code == 0);
  const json why = json::parse(refused.out)["user"]["app_metadata"]["risk"];
  CHECK(why["checked"] == false);
  CHECK_THAT(why["why"].get<std::string>(),
             Catch::Contains("127.0.0.1:" + port + " is not allowed") &&
                 Catch::Contains("--allow-egress"));
  CHECK(risky.code == 2);
  CHECK(json::parse(risky.out)["denial"]["reason"] == "risk score 95 for 198.51.100.23");
  REQUIRE(fine.code == 0);
  CHECK(json::parse(fine.out)["user"]["app_metadata"]["risk"] == json{{"checked", true}, {"score", 10}});
}

}  // namespace
}  // namespace prereg

namespace prereg {
namespace {

// A script that counts its executions in api.cache and reports what it read.
const char* kCounter =
    "const c = api.cache.get('runs');\n"
    "const r = api.cache.set('runs', String(c ? Number(c.value) + 1 : 1));\n"
    "api.user.setAppMetadata('previous', c ? c.value : null)"
    ".user.setAppMetadata('set', r.type === 'success' ? 'ok' : r.code);";

TEST_CASE("CLI --cache: separate prereg run invocations share a file or Redis store",
          "[adapters][cli][cache]") {
  TempDir dir;
  testing::RedisServer redis;
  dir.Write("counter.js", testing::Action(kCounter));
  for (const std::string& uri : {"file:" + (dir.path() / "cache.json").string(), redis.uri(0)}) {
    CAPTURE(uri);
    auto first = Cli(dir, "run --cache " + uri + " counter.js");
    auto second = Cli(dir, "run --cache " + uri + " counter.js");
    REQUIRE(first.code == 0);
    REQUIRE(second.code == 0);
    CHECK(json::parse(first.out)["user"]["app_metadata"]["previous"].is_null());
    CHECK(json::parse(second.out)["user"]["app_metadata"]["previous"] == "1");
  }
  auto memory = Cli(dir, "run counter.js");
  CHECK(json::parse(memory.out)["user"]["app_metadata"]["previous"].is_null());
}

TEST_CASE("CLI --cache: an unreachable Redis is logged once and the flow still decides",
          "[adapters][cli][cache]") {
  TempDir dir;
  dir.Write("counter.js", testing::Action(kCounter));
  const int port = testing::FreeLoopbackPort();  // nothing listens there
  auto r = Cli(dir, "run --cache redis://127.0.0.1:" + std::to_string(port) + "/0 counter.js");
  REQUIRE(r.code == 0);
  CHECK(json::parse(r.out)["user"]["app_metadata"]["set"] == "FailedToSetCacheRecord");
  CHECK_THAT(r.err, Catch::Contains("cannot connect"));
  // Once, whatever else stderr holds (a sandbox warning when the tests run as root).
  CHECK(r.err.find("cannot connect") == r.err.rfind("cannot connect"));
  CHECK(Cli(dir, "run --cache bogus://x counter.js").code == 1);
}

TEST_CASE("CLI --cache: the eviction drill makes a script that relies on the cache fail",
          "[adapters][cli][cache]") {
  TempDir dir;
  dir.Write("relies.js", testing::Action(
                             "if (!api.cache.get('config')) throw new Error('config missing');"));
  dir.Write("seeded.case.json", R"({"steps": ["relies.js"], "cache": {"config": "x"},
                                    "expect": {"outcome": "allow"}})");
  CHECK(Cli(dir, "test seeded.case.json").code == 0);
  auto drilled = Cli(dir, "test --cache 'memory?evict=1' seeded.case.json");
  CHECK(drilled.code == 2);
  CHECK_THAT(drilled.out, Catch::Contains("config missing"));
}

}  // namespace
}  // namespace prereg

namespace prereg {
namespace {

TEST_CASE("CLI migrate: convert a Hook, read the report, run the Action", "[adapters][cli][migration]") {
  TempDir dir;
  dir.Write("hook.js", "module.exports = function (user, context, cb) {\n"
                       "  if (user.password && user.password.length < 8) return cb(new PreUserRegistrationError('weak', 'Longer, please'));\n"
                       "  cb(null, {user: {app_metadata: {lang: context.request.language}}});\n};\n");
  auto r = Cli(dir, "migrate hook.js -o action.js --report report.json");
  CHECK(r.code == 2);  // converted, with a finding above info (the password)
  // The password finding, and the check run on generated events confirming it.
  CHECK_THAT(r.err, Catch::Contains("hook.js -> action.js (rewrite): 2 error(s)") &&
                        Catch::Contains("hook.js:2:") && Catch::Contains("[password]") &&
                        Catch::Contains("[verify-difference]"));
  auto report = json::parse(testing::ReadAllText(dir.path() / "report.json"));
  CHECK(report["summary"]["error"] == 2);
  CHECK(report["findings"][0]["rule"] == "password");
  auto run = Cli(dir, "run --event '" PREREG_EXAMPLES_DIR "/events/signup.json' action.js");
  CHECK(run.code == 0);
  CHECK(json::parse(run.out)["user"]["app_metadata"]["lang"] == "en-GB");

  dir.Write("clean.js", "module.exports = function (user, context, cb) { cb(new Error('closed')); };\n");
  auto clean = Cli(dir, "migrate clean.js");
  CHECK(clean.code == 0);
  CHECK_THAT(clean.out, Catch::Contains("exports.onExecutePreUserRegistration = async (event, api)") &&
                            Catch::Contains("api.access.deny('closed')"));
  auto wrapped = Cli(dir, "migrate --mode wrap -o wrapped.js hook.js");
  CHECK(wrapped.code == 2);
  CHECK(Cli(dir, "run wrapped.js").code == 0);
  dir.Write("not-a-hook.js", "exports.onExecutePreUserRegistration = async () => {};\n");
  auto refused = Cli(dir, "migrate not-a-hook.js");
  CHECK(refused.code == 1);
  CHECK_THAT(refused.err, Catch::Contains("not a Hook"));
  CHECK(Cli(dir, "migrate missing.js").code == 1);
}

TEST_CASE("CLI: a module a script requires and cannot find is a setup error in run, test and compare",
          "[adapters][cli]") {
  TempDir dir;
  dir.Write("needs.js", "module.exports = function (user, context, cb) {\n"
                        "  const client = require('@prereg-test/absent-module/client');\n"
                        "  cb(null, {user: {app_metadata: {client: String(client)}}});\n};\n");
  dir.Write("plain.js", "module.exports = function (user, context, cb) { cb(); };\n");
  const std::string script = (dir.path() / "needs.js").string();
  auto run = Cli(dir, "run needs.js");
  CHECK(run.code == 1);
  CHECK_THAT(run.err, Catch::Contains("step \"needs\" (" + script + ") requires '@prereg-test/absent-module/client'") &&
                          Catch::Contains("npm install '@prereg-test/absent-module'"));
  CHECK_THAT(run.err, !Catch::Contains("Require stack"));

  // Even a case expecting an error does not pass on a missing module.
  dir.Write("needs.case.json", R"({"steps": ["needs.js"], "expect": {"outcome": "error"}})");
  auto test = Cli(dir, "test needs.case.json");
  CHECK(test.code == 1);
  CHECK_THAT(test.out, Catch::Contains("setup error: step \"needs\""));

  REQUIRE(testing::WriteGeneratedEvents(dir, "events.jsonl", 5, 2));
  auto compare = Cli(dir, "compare --old needs.js --new plain.js --events events.jsonl");
  CHECK(compare.code == 1);
  CHECK_THAT(compare.err, Catch::Contains("--old: step \"needs\"") && Catch::Contains("nothing was compared"));
  CHECK_THAT(compare.out, !Catch::Contains("DIFF"));
}

TEST_CASE("CLI migrate: runs the Hook and the Action side by side; a difference is an error finding",
          "[adapters][cli][migration]") {
  TempDir dir;
  // A/B bucketing: converted without a static finding, yet no two runs agree.
  dir.Write("ab.js", "module.exports = function (user, context, cb) {\n"
                     "  cb(null, {user: {app_metadata: {group: Math.random() < 0.5 ? 'a' : 'b'}}});\n};\n");
  auto ab = Cli(dir, "migrate ab.js -o ab-action.js --report ab.json");
  CHECK(ab.code == 2);
  CHECK_THAT(ab.err, Catch::Contains("on 200 events") && Catch::Contains("[verify-difference]") &&
                         Catch::Contains("in user.app_metadata.group") &&
                         Catch::Contains("prereg compare --old 'ab.js' --new 'ab-action.js'"));
  auto report = json::parse(testing::ReadAllText(dir.path() / "ab.json"));
  CHECK(report["summary"]["error"] == 1);
  CHECK(report["verification"]["events"] == 200);
  CHECK(report["verification"]["different"].get<int>() > 0);
  CHECK(report["verification"]["differences"].size() == report["verification"]["different"].get<size_t>());
  // The field meant to differ can be left out; then nothing differs.
  auto ignored = Cli(dir, "migrate ab.js --verify-ignore user.app_metadata.group --verify-events 40");
  CHECK(ignored.code == 0);
  CHECK_THAT(ignored.err, Catch::Contains("40 events: 40 decided alike, 0 differently"));
  auto unchecked = Cli(dir, "migrate ab.js --no-verify --report unchecked.json");
  CHECK(unchecked.code == 0);
  CHECK_THAT(unchecked.err, !Catch::Contains("decided alike"));
  CHECK_FALSE(json::parse(testing::ReadAllText(dir.path() / "unchecked.json")).contains("verification"));

  // Both sides failing for want of a module prove nothing: said so, and not an exit 0.
  dir.Write("needs.js", "module.exports = function (user, context, cb) {\n"
                        "  const pad = require('prereg-test-absent-module');\n"
                        "  cb(null, {user: {app_metadata: {code: String(pad(1, 3))}}});\n};\n");
  auto needs = Cli(dir, "migrate needs.js --verify-events 10");
  CHECK(needs.code == 2);
  CHECK_THAT(needs.err, Catch::Contains("[verify-inconclusive]") &&
                            Catch::Contains("prereg-test-absent-module") && Catch::Contains("10 inconclusive"));

  // Events from a file; a count out of range is a usage error.
  REQUIRE(testing::WriteGeneratedEvents(dir, "five.jsonl", 5, 9));
  dir.Write("same.js", "module.exports = function (user, context, cb) {\n"
                       "  if ((user.email || '').endsWith('.org')) return cb(new Error('no .org'));\n"
                       "  cb(null, {user: {user_metadata: {seen: true}}});\n};\n");
  auto same = Cli(dir, "migrate same.js --verify-events five.jsonl");
  CHECK(same.code == 0);
  CHECK_THAT(same.err, Catch::Contains("5 events: 5 decided alike"));
  auto zero = Cli(dir, "migrate same.js --verify-events 0");
  CHECK(zero.code == 1);
  CHECK_THAT(zero.err, Catch::Contains("--verify-events 0") && Catch::Contains("--no-verify"));
}

}  // namespace
}  // namespace prereg

namespace prereg {
namespace {

TEST_CASE("CLI compare: equal pairs exit 0; each kind of divergence exits 2 naming the field",
          "[adapters][cli][compare]") {
  TempDir dir;
  REQUIRE(testing::WriteGeneratedEvents(dir, "events.jsonl", 60, 3));
  dir.Write("hook.js", testing::Hook(
      "if ((user.email || '').includes('mailinator')) return cb(new PreUserRegistrationError('disposable', 'Sorry'));\n"
      "cb(null, {user: {app_metadata: {plan: 'free'}}});"));
  const std::string deny = "if ((event.user.email || '').includes('mailinator')) return api.access.deny('disposable'";
  dir.Write("same.js", testing::Action(deny + ", 'Sorry');\napi.user.setAppMetadata('plan', 'free');"));
  dir.Write("message.js", testing::Action(deny + ");\napi.user.setAppMetadata('plan', 'free');"));
  dir.Write("metadata.js", testing::Action(deny + ", 'Sorry');\napi.user.setAppMetadata('plan', 'pro');"));
  dir.Write("userid.js", testing::Action(deny + ", 'Sorry');\napi.user.setAppMetadata('plan', 'free').user.setUserId('x1');"));
  // Both fail on disposable addresses, one by throwing (action_error), one by hanging (action_timeout).
  const std::string disposable = "if ((event.user.email || '').includes('mailinator')) ";
  dir.Write("throws.js", testing::Action(disposable + "throw new Error('x');\napi.user.setAppMetadata('plan', 'free');"));
  dir.Write("hangs.js", testing::Action(disposable + "await new Promise(() => {});\napi.user.setAppMetadata('plan', 'free');"));
  dir.Write("throws.json", R"({"timeout_ms": 1500, "steps": [{"script": "throws.js"}]})");
  dir.Write("hangs.json", R"({"timeout_ms": 1500, "steps": [{"script": "hangs.js"}]})");
  auto equal = Cli(dir, "compare --old hook.js --new same.js --events events.jsonl --report r.json --junit j.xml");
  INFO(equal.out << equal.err);
  CHECK(equal.code == 0);
  CHECK_THAT(equal.out, Catch::Contains("60 events: 60 equal, 0 different, 0 errors"));
  CHECK(json::parse(testing::ReadAllText(dir.path() / "r.json"))["summary"]["equal"] == 60);
  CHECK_THAT(testing::ReadAllText(dir.path() / "j.xml"), Catch::Contains("tests=\"60\" failures=\"0\""));
  const struct {
    const char* action;
    const char* field;
  } cases[] = {{"message.js", "denial.user_message"},
               {"metadata.js", "user.app_metadata.plan"},
               {"userid.js", "user.user_id"}};
  for (const auto& c : cases) {
    CAPTURE(c.action);
    auto r = Cli(dir, std::string("compare --old hook.js --new ") + c.action + " --events events.jsonl --report r.json");
    CHECK(r.code == 2);
    auto report = json::parse(testing::ReadAllText(dir.path() / "r.json"));
    REQUIRE(report["summary"]["different"].get<int>() > 0);
    for (const auto& d : report["differences"]) {
      CHECK(d["fields"].size() == 1);
      CHECK(d["fields"].contains(c.field));
      CHECK_THAT(d["reproduce"].get<std::string>(), Catch::StartsWith("diff <(sed -n '"));
    }
  }
  // The user message differs only on denied sign-ups; ignoring it makes the pair equal.
  CHECK(Cli(dir, "compare --old hook.js --new message.js --events events.jsonl --ignore denial.user_message").code == 0);
  auto errclass = Cli(dir, "compare --old throws.json --new hangs.json --events events.jsonl --report r.json");
  CHECK(errclass.code == 2);
  auto differences = json::parse(testing::ReadAllText(dir.path() / "r.json"))["differences"];
  REQUIRE_FALSE(differences.empty());
  for (const auto& d : differences) {
    CHECK(d["fields"].size() == 1);
    CHECK(d["fields"]["error.class"] == json{{"old", "action_error"}, {"new", "action_timeout"}});
  }
  CHECK(Cli(dir, "compare --old hook.js --new same.js --events nope.jsonl").code == 1);
  CHECK(Cli(dir, "compare --old hook.js --events events.jsonl").code == 1);
}

TEST_CASE("CLI compare: events from a directory, and invalid events counted as errors",
          "[adapters][cli][compare]") {
  TempDir dir;
  dir.Write("ev/a.json", testing::SampleEvent().dump());
  dir.Write("ev/b.json", "{\"user\": []}");
  dir.Write("x.js", testing::Action("api.user.setAppMetadata('x', 1);"));
  auto r = Cli(dir, "compare --old x.js --new x.js --events ev");
  CHECK(r.code == 1);  // no difference, but an input error
  CHECK_THAT(r.out, Catch::Contains("ERROR b.json") && Catch::Contains("2 events: 1 equal, 0 different, 1 errors"));
}

TEST_CASE("CLI compare: --secret reaches both sides, masked alike, and a short one is not masked",
          "[adapters][cli][compare]") {
  TempDir dir;
  REQUIRE(testing::WriteGeneratedEvents(dir, "events.jsonl", 20, 2));
  // Each side denies with a reason that holds both secrets: the long one is masked on both
  // sides, the short one is kept (masking "7" would garble the reason).
  dir.Write("hook.js", testing::Hook(
      "const s = context.webtask.secrets;\n"
      "cb(new PreUserRegistrationError('tier ' + s.TIER + ' key ' + s.API_KEY, 'No'));"));
  dir.Write("action.js", testing::Action(
      "api.access.deny('tier ' + event.secrets.TIER + ' key ' + event.secrets.API_KEY, 'No');"));
  // A side that writes the values itself: equal to the Hook only when the Hook got the secrets,
  // and only if both sides mask the same way.
  dir.Write("fixed.js", testing::Action("api.access.deny('tier 7 key k-12345', 'No');"));
  const std::string secrets = " --secret API_KEY=k-12345 --secret TIER=7";
  auto equal = Cli(dir, "compare --old hook.js --new action.js --events events.jsonl" + secrets);
  INFO(equal.out << equal.err);
  CHECK(equal.code == 0);
  CHECK_THAT(equal.out, Catch::Contains("20 events: 20 equal, 0 different, 0 errors"));
  CHECK_THAT(equal.err, Catch::Contains("secret TIER is shorter than 4 characters, so it is not "
                                        "masked"));
  CHECK(Cli(dir, "compare --old hook.js --new fixed.js --events events.jsonl" + secrets).code == 0);
  auto without = Cli(dir, "compare --old hook.js --new fixed.js --events events.jsonl");
  CHECK(without.code == 2);
  CHECK_THAT(without.out, Catch::Contains("tier undefined key undefined"));
  CHECK(Cli(dir, "compare --old hook.js --new action.js --events events.jsonl --secret NOEQUALS")
            .code == 1);
}

TEST_CASE("CLI events generate: every address parses and lies in its country's range",
          "[adapters][cli][events]") {
  TempDir dir;
  auto gen = Cli(dir, "events generate --count 300 --seed 4");
  REQUIRE(gen.code == 0);
  const std::map<std::string, std::string> ranges = {
      {"GB", "81.2.69."}, {"FR", "90.84."}, {"KP", "175.45.176."}, {"AU", "1.128."}};
  std::istringstream lines(gen.out);
  int v4 = 0, v6 = 0, checked = 0;
  for (std::string line; std::getline(lines, line);) {
    auto event = ParseEvent(line);  // the validator checks request.ip
    INFO(line);
    REQUIRE(event.ok());
    const std::string ip = event.value()["request"]["ip"];
    if (ip.find(':') != std::string::npos) {
      ++v6;
      continue;
    }
    ++v4;
    CHECK(std::count(ip.begin(), ip.end(), '.') == 3);
    const auto& geoip = event.value()["request"]["geoip"];
    const auto country = geoip.is_object() ? geoip.value("countryCode", "") : std::string();
    if (auto range = ranges.find(country); range != ranges.end()) {
      CHECK_THAT(ip, Catch::StartsWith(range->second));
      ++checked;
    }
  }
  CHECK(v4 > 200);
  CHECK(v6 > 0);
  CHECK(checked > 30);
}

TEST_CASE("CLI events generate: JSONL, the same for the same seed", "[adapters][cli][events]") {
  TempDir dir;
  auto a = Cli(dir, "events generate --count 25 --seed 9");
  auto b = Cli(dir, "events generate --count 25 --seed 9");
  auto c = Cli(dir, "events generate --count 25 --seed 10");
  CHECK(a.code == 0);
  CHECK(a.out == b.out);
  CHECK(a.out != c.out);
  CHECK(std::count(a.out.begin(), a.out.end(), '\n') == 25);
  dir.Write("base.json", R"({"tenant": {"id": "from-base"}})");
  auto based = Cli(dir, "events generate --count 3 --seed 1 --base base.json");
  CHECK(json::parse(based.out.substr(0, based.out.find('\n')))["tenant"]["id"] == "from-base");
}

}  // namespace
}  // namespace prereg
