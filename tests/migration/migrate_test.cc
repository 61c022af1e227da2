#include "prereg/migration/migrate.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "adapters/js_fixture.h"
#include "prereg/adapters/node_transform.h"

namespace prereg::migration {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const fs::path kGolden = fs::path(PREREG_SOURCE_DIR) / "tests" / "migration" / "golden";

std::vector<fs::path> GoldenCases() {
  std::vector<fs::path> cases;
  for (const auto& entry : fs::directory_iterator(kGolden)) {
    if (entry.is_directory()) cases.push_back(entry.path());
  }
  std::sort(cases.begin(), cases.end());
  return cases;
}

Mode ModeOf(const fs::path& dir) {
  return dir.filename().string().rfind("wrap-", 0) == 0 ? Mode::kWrap : Mode::kRewrite;
}

// The events every golden pair is run on: ordinary, sparse, odd and hostile sign-ups.
std::vector<json> ParityEvents() {
  auto base = testing::SampleEvent();
  std::vector<json> events = {base};
  auto sparse = json{{"user", {{"email", "z@example.org"}}},
                     {"request", {{"ip", "192.0.2.1"}, {"body", json::object()}}},
                     {"connection", {{"id", "c"}, {"name", "Username-Password-Authentication"}, {"strategy", "auth0"}}},
                     {"tenant", {{"id", "local"}}}};
  events.push_back(sparse);
  auto disposable = base;
  disposable["user"]["email"] = "throwaway@mailinator.com";
  disposable["request"]["language"] = "fr";
  events.push_back(disposable);
  auto blocked = base;
  blocked["request"]["ip"] = "198.51.100.23";
  blocked["user"]["phone_number"] = "+8502123456";
  blocked["user"]["username"] = "SiteAdmin";
  events.push_back(blocked);
  auto other_connection = base;
  other_connection["connection"]["name"] = "partners";
  other_connection["tenant"]["id"] = "elsewhere";
  other_connection["user"]["email"] = "risky@work.example";
  events.push_back(other_connection);
  auto long_password = base;
  long_password["request"]["body"]["password"] = "correct horse battery staple";
  long_password["user"]["email"] = "abc@x.io";
  long_password["transaction"] = nullptr;
  events.push_back(long_password);
  return events;
}

// The parts of a decision that must match: outcome, denial, error class and the created user.
json Decision(const DecisionRecord& r) {
  auto j = json::parse(r.ToJson().dump());
  json out = {{"outcome", j["outcome"]}};
  if (j.contains("denial")) {
    out["denial"] = j["denial"];
    out["denial"].erase("step");
  }
  if (j.contains("error")) out["error_class"] = j["error"]["class"];
  if (j.contains("user")) out["user"] = j["user"];
  return out;
}

// Modules the golden Hooks require, as local stand-ins (no network in tests).
void WriteStubModules(const testing::TempDir& dir) {
  dir.Write("node_modules/request/index.js", R"(module.exports = {
  post(options, callback) {
    const email = String(options.json && options.json.email);
    setImmediate(() => callback(null, {statusCode: 200}, {risky: email.startsWith('risky'), score: email.length}));
  },
};)");
  dir.Write("node_modules/lodash/index.js", R"(module.exports = {
  get(obj, path, fallback) {
    const value = path.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj);
    return value === undefined ? fallback : value;
  },
};)");
}

TEST_CASE("Migrate: golden Hook idioms give the recorded Action and report",
          "[migration][golden]") {
  adapters::NodeTransformRunner runner;
  const bool update = std::getenv("PREREG_UPDATE_GOLDEN") != nullptr;
  const auto cases = GoldenCases();
  REQUIRE(cases.size() >= 15);
  for (const auto& dir : cases) {
    CAPTURE(dir.filename().string());
    auto m = Migrate((dir / "hook.js").string(), ModeOf(dir), runner);
    REQUIRE(m.ok());
    const std::string report = ReportJson(m.value(), "hook.js").dump(2) + "\n";
    if (update) {
      std::ofstream(dir / "action.js", std::ios::binary | std::ios::trunc) << m.value().action;
      std::ofstream(dir / "report.json", std::ios::binary | std::ios::trunc) << report;
    }
    CHECK(m.value().action == testing::ReadAllText(dir / "action.js"));
    CHECK(report == testing::ReadAllText(dir / "report.json"));
  }
}

TEST_CASE("Migrate: every golden pair decides like its Hook, except where the report said so",
          "[migration][parity]") {
  adapters::PoolOptions options;
  options.workers = 2;
  testing::JsFixture f(options);
  WriteStubModules(f.dir());
  adapters::NodeTransformRunner runner;
  const auto events = ParityEvents();
  FlowOptions flow_options;
  flow_options.timeout_ms = 1500;  // Hooks that never call cb time out quickly here
  for (const auto& dir : GoldenCases()) {
    CAPTURE(dir.filename().string());
    auto m = Migrate((dir / "hook.js").string(), ModeOf(dir), runner);
    REQUIRE(m.ok());
    auto hook = f.Load({{"hook", testing::ReadAllText(dir / "hook.js")}}, flow_options);
    auto action = f.Load({{"action", m.value().action}}, flow_options);
    REQUIRE(hook.ok());
    INFO(action.status().ToString());
    REQUIRE(action.ok());
    CHECK(hook.value()->steps()[0].step->kind() == StepKind::kHook);
    CHECK(action.value()->steps()[0].step->kind() == StepKind::kAction);
    int differences = 0;
    for (size_t i = 0; i < events.size(); ++i) {
      const auto want = Decision(f.RunFlow(*hook.value(), events[i]));
      const auto got = Decision(f.RunFlow(*action.value(), events[i]));
      if (want != got) {
        ++differences;
        UNSCOPED_INFO("event " << i << ": hook " << want.dump() << " vs action " << got.dump());
      }
    }
    if (differences > 0) {
      CHECK(m.value().HasFindingsAboveInfo());  // the report announced it
    }
    // Hooks whose Actions cannot decide alike: the comparison must see it, or it proves nothing.
    const auto name = dir.filename().string();
    if (name == "password-check" || name == "missing-cb-path") CHECK(differences > 0);
  }
}

class FakeRunner : public TransformRunner {
 public:
  explicit FakeRunner(std::string out) : out_(std::move(out)) {}
  Result<std::string> Run(const std::vector<std::string>& args) override {
    args_ = args;
    return out_;
  }
  std::vector<std::string> args_;

 private:
  std::string out_;
};

TEST_CASE("Migrate: the report and the summary count findings by severity",
          "[migration][report]") {
  FakeRunner runner(R"({"ok": true, "action": "exports.x = 1;\n",
    "findings": [{"rule": "password", "severity": "error", "line": 3, "column": 7,
                  "message": "no password", "suggestion": "remove it"},
                 {"rule": "pinned-require", "severity": "info", "line": 1, "column": 11,
                  "message": "pinned", "suggestion": "declare it"}],
    "dependencies": [{"name": "request", "version": "2.88.0", "line": 1}]})");
  auto m = Migrate("h.js", Mode::kWrap, runner);
  REQUIRE(m.ok());
  CHECK(runner.args_ == std::vector<std::string>{"--mode", "wrap", "h.js"});
  CHECK(m.value().HasFindingsAboveInfo());
  auto report = ReportJson(m.value(), "h.js");
  CHECK(report["summary"] == nlohmann::ordered_json::parse(R"({"info": 1, "warning": 0, "error": 1})"));
  CHECK(report["dependencies"][0]["name"] == "request");
  const auto summary = Summary(m.value(), "h.js", "a.js");
  CHECK_THAT(summary, Catch::Contains("h.js -> a.js (wrap): 1 error(s), 0 warning(s), 1 info") &&
                          Catch::Contains("h.js:3:7: error [password] no password") &&
                          Catch::Contains("fix: remove it") &&
                          Catch::Contains("dependency: request 2.88.0"));
}

TEST_CASE("Migrate: failures to convert carry the file position", "[migration][report]") {
  FakeRunner runner(R"({"ok": false, "error": "h.js is not valid JavaScript: Unexpected token", "line": 4, "column": 2})");
  auto m = Migrate("h.js", Mode::kRewrite, runner);
  REQUIRE_FALSE(m.ok());
  CHECK(m.status().code() == StatusCode::kScriptError);
  CHECK(m.status().message() == "h.js is not valid JavaScript: Unexpected token (line 4, column 2)");
  FakeRunner garbage("not json");
  CHECK(Migrate("h.js", Mode::kRewrite, garbage).status().code() == StatusCode::kInternal);
}

TEST_CASE("Migrate: a file that is not a Hook, or not JavaScript, is not converted",
          "[migration]") {
  testing::TempDir dir;
  adapters::NodeTransformRunner runner;
  const auto action = dir.Write("action.js", testing::Action(""));
  auto not_hook = Migrate(action, Mode::kRewrite, runner);
  REQUIRE_FALSE(not_hook.ok());
  CHECK_THAT(not_hook.status().message(), Catch::Contains("it is not a Hook"));
  const auto broken = dir.Write("broken.js", "module.exports = function (user, context, cb) {\n  if (\n};\n");
  auto bad = Migrate(broken, Mode::kRewrite, runner);
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.status().message(), Catch::Contains("not valid JavaScript") && Catch::Contains("line 3"));
  const auto indirect = dir.Write("indirect.js", "function hook(user, context, cb) { cb(); }\nmodule.exports = hook;\n");
  auto rewrite = Migrate(indirect, Mode::kRewrite, runner);
  REQUIRE_FALSE(rewrite.ok());
  CHECK_THAT(rewrite.status().message(), Catch::Contains("try --mode wrap"));
  CHECK(Migrate(indirect, Mode::kWrap, runner).ok());
}

}  // namespace
}  // namespace prereg::migration
