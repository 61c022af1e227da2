// Failure containment: hostile scripts get the right decision and the pool keeps serving.

#include "prereg/adapters/node_pool.h"

#include <sched.h>

#include <optional>
#include <set>

#include <catch2/catch.hpp>

#include "js_fixture.h"
#include "prereg/actions/executor.h"

namespace prereg {
namespace {

using json = nlohmann::json;
using testing::Action;
using testing::Hook;
using testing::JsFixture;

// After a hostile step, the same pool must run a healthy one.
void ExpectPoolStillServes(JsFixture& f) {
  auto r = f.Run({{"healthy", Action("api.user.setAppMetadata('ok', true);")}});
  CHECK(r.outcome == Outcome::kAllow);
  CHECK(r.app_metadata["ok"] == true);
}

TEST_CASE("Node pool: hostile scripts get the right decision and the next execution succeeds",
          "[adapters][pool]") {
  // Cases that must time out get a 400 ms budget; the others a budget they can never reach, so
  // that what ends them is the failure itself however loaded the machine is.
  const struct {
    const char* name;
    std::string source;
    ErrorClass want;
    const char* message;
  } cases[] = {
      {"tight_loop", Action("while (true) {}"), ErrorClass::kActionTimeout,
       "did not finish within its 400 ms budget"},
      {"never_settles", Action("await new Promise(() => {});"), ErrorClass::kActionTimeout,
       "a promise that never settles"},
      {"never_calls_cb", Hook("/* no cb */"), ErrorClass::kActionTimeout, "never called cb"},
      {"process_exit", Action("process.exit(7);"), ErrorClass::kActionError, "process.exit(7)"},
      {"timer_rejection", Action("setTimeout(() => Promise.reject(new Error('late')), 1);\n"
                                 "await new Promise((r) => setTimeout(r, 200));"),
       ErrorClass::kActionError, "unhandled promise rejection: Error: late"},
      {"timer_throw", Action("setTimeout(() => { throw new RangeError('cb threw'); }, 1);\n"
                             "await new Promise((r) => setTimeout(r, 200));"),
       ErrorClass::kActionError, "uncaught exception: RangeError: cb threw"},
      {"memory", Action("const a = []; while (true) a.push(new Array(1e6).fill(7));"),
       ErrorClass::kActionError, "ran out of memory"},
      {"abort", Action("process.abort();"), ErrorClass::kActionError, "signal 6"},
  };
  adapters::PoolOptions options;
  options.memory_mb = 64;
  JsFixture f(options);
  for (const auto& c : cases) {
    CAPTURE(c.name);
    FlowOptions flow_options;
    flow_options.timeout_ms = 60000;
    const int64_t budget = c.want == ErrorClass::kActionTimeout ? 400 : 60000;
    auto r = f.Run({{c.name, c.source, {}, budget}}, testing::SampleEvent(), flow_options);
    REQUIRE(r.outcome == Outcome::kError);
    CHECK(r.error->error_class == c.want);
    CHECK_THAT(r.error->message, Catch::Contains(c.message));
    ExpectPoolStillServes(f);
  }
  CHECK(f.runtime().pool().restarts() >= 6);
}

TEST_CASE("Node pool: megabytes of console output are capped and stdout cannot corrupt replies",
          "[adapters][pool]") {
  JsFixture f;
  auto r = f.Run({{"noisy", Action("process.stdout.write('{\"t\":\"done\",\"id\":1}\\n');\n"
                                   "for (let i = 0; i < 50000; i++) console.log('y'.repeat(100));\n"
                                   "api.user.setAppMetadata('finished', true);")}});
  REQUIRE(r.outcome == Outcome::kAllow);
  CHECK(r.app_metadata["finished"] == true);
  REQUIRE_FALSE(r.steps[0].logs.empty());
  CHECK(r.steps[0].logs.back() == LogBudget::kMarker);
  size_t bytes = 0;
  for (const auto& l : r.steps[0].logs) bytes += l.size();
  CHECK(bytes <= 256 * 1024 + LogBudget::kMarker.size());
  ExpectPoolStillServes(f);
}

TEST_CASE("Node pool: scripts are checked when the flow loads, with clear errors",
          "[adapters][pool]") {
  const struct {
    const char* name;
    const char* source;
    std::vector<const char*> says;
  } cases[] = {
      {"syntax", "exports.onExecutePreUserRegistration = async (event, api) => {\n  api.x(1\n};\n",
       {"syntax.js line", "syntax error", "node --check"}},
      {"top_level_throw", "null.x;\nexports.onExecutePreUserRegistration = async () => {};\n",
       {"top_level_throw.js", "threw while loading", "top_level_throw.js:1", "must not throw"}},
      {"missing_module", "const a = require('left-pad-xyz');\n",
       {"missing_module.js", "cannot find module 'left-pad-xyz'", "npm install left-pad-xyz"}},
      {"no_export", "exports.handler = async () => {};\n",
       {"no_export.js", "exports neither a Hook", "onExecutePreUserRegistration"}},
  };
  JsFixture f;
  for (const auto& c : cases) {
    CAPTURE(c.name);
    auto flow = f.Load({{c.name, c.source}});
    REQUIRE_FALSE(flow.ok());
    CHECK(flow.status().code() == StatusCode::kScriptError);
    for (const char* s : c.says) CHECK_THAT(flow.status().message(), Catch::Contains(s));
  }
  ExpectPoolStillServes(f);
}

TEST_CASE("Node pool: a missing node executable is reported, not crashed on", "[adapters][pool]") {
  boost::asio::io_context io;
  adapters::PoolOptions options;
  options.node_path = "/nonexistent/node";
  adapters::NodePool pool(io, options);
  Status s = pool.Start();
  CHECK(s.code() == StatusCode::kUnavailable);
  CHECK_THAT(s.message(), Catch::Contains("cannot start node") && Catch::Contains("--node"));
}

TEST_CASE("Node pool: concurrent executions use several workers", "[adapters][pool]") {
  adapters::PoolOptions options;
  options.workers = 3;
  JsFixture f(options);
  auto flow = f.Load({{"sleepy", Action("await new Promise((r) => setTimeout(r, 300));\n"
                                        "api.user.setAppMetadata('pid', process.pid);")}});
  REQUIRE(flow.ok());
  // The flow is loaded once one worker has the script; wait until all three have it.
  REQUIRE(adapters::RunUntil(f.runtime().io(), [&f] { return f.runtime().pool().ready_workers() == 3; }));
  std::vector<DecisionRecord> records;
  for (int i = 0; i < 3; ++i) {
    REQUIRE(ExecuteFlow(*flow.value(), testing::SampleEvent(), &f.runtime().scheduler(),
                        [&records](DecisionRecord r) { records.push_back(std::move(r)); })
                .ok());
  }
  while (records.size() < 3 && f.runtime().io().run_one() > 0) {
  }
  REQUIRE(records.size() == 3);
  std::set<int> pids;
  for (const auto& r : records) pids.insert(r.app_metadata["pid"].get<int>());
  CHECK(pids.size() == 3);  // each ran on its own worker, so they overlapped
}

TEST_CASE("Node pool: workers run under SCHED_BATCH and the engine's thread keeps its policy",
          "[adapters][pool]") {
  JsFixture f;
  auto flow = f.Load({{"pid", Action("api.user.setAppMetadata('pid', process.pid);")}});
  REQUIRE(flow.ok());
  std::optional<DecisionRecord> record;
  REQUIRE(ExecuteFlow(*flow.value(), testing::SampleEvent(), &f.runtime().scheduler(),
                      [&record](DecisionRecord r) { record = std::move(r); })
              .ok());
  while (!record && f.runtime().io().run_one() > 0) {
  }
  REQUIRE(record);
  REQUIRE(record->app_metadata["pid"].is_number_integer());
  const auto pid = record->app_metadata["pid"].get<pid_t>();
  CHECK(::sched_getscheduler(pid) == SCHED_BATCH);
  CHECK(::sched_getscheduler(0) == SCHED_OTHER);
}

}  // namespace
}  // namespace prereg

namespace prereg {
namespace {

TEST_CASE("Node pool: a flow loaded under a new generation sees an edited script, the old one "
          "keeps its module", "[adapters][pool]") {
  adapters::PoolOptions one_worker;
  one_worker.workers = 1;
  JsFixture f(one_worker);
  const auto path = f.dir().Write("edited.js", Action("api.user.setAppMetadata('v', 1);"));
  adapters::FlowSpec spec;
  spec.steps.push_back({"edited", path, {}, std::nullopt, std::nullopt});
  auto old_flow = adapters::BuildFlow(spec, {}, &f.runtime().pool(), 0);
  REQUIRE(old_flow.ok());
  CHECK(f.RunFlow(*old_flow.value()).app_metadata["v"] == 1);
  f.dir().Write("edited.js", Action("api.user.setAppMetadata('v', 2);"));
  auto new_flow = adapters::BuildFlow(spec, {}, &f.runtime().pool(), 1);
  REQUIRE(new_flow.ok());
  CHECK(f.RunFlow(*new_flow.value()).app_metadata["v"] == 2);
  CHECK(f.RunFlow(*old_flow.value()).app_metadata["v"] == 1);
}

TEST_CASE("Node pool: every worker runs a generation's code as it was loaded, whatever the file holds now",
          "[adapters][pool]") {
  adapters::PoolOptions options;
  options.workers = 2;
  JsFixture f(options);
  const std::string script = f.dir().Write(
      "gen/version.js", Action("await new Promise((r) => setTimeout(r, 100));\n"
                               "api.user.setAppMetadata('version', 1);"));
  adapters::FlowSpec spec;
  spec.steps.push_back({"version", script, {}, std::nullopt, std::nullopt});
  auto v1 = adapters::BuildFlow(spec, {}, &f.runtime().pool(), 1);
  REQUIRE(v1.ok());
  // The file changes after generation 1 was loaded: edited, then broken by a bad reload.
  const struct {
    std::string source;
    bool loads;
  } edits[] = {{Action("api.user.setAppMetadata('version', 2);"), true},
               {"exports.onExecutePreUserRegistration = async (", false}};
  uint64_t generation = 1;
  for (const auto& edit : edits) {
    f.dir().Write("gen/version.js", edit.source);
    CHECK(adapters::BuildFlow(spec, {}, &f.runtime().pool(), ++generation).ok() == edit.loads);
    // Four at once on two workers: both run generation 1, one of them for the first time.
    for (const auto& r : f.RunConcurrently(*v1.value(), 4)) {
      INFO((r.error ? r.error->message : std::string()));
      REQUIRE(r.outcome == Outcome::kAllow);
      CHECK(r.app_metadata["version"] == 1);
    }
  }
}

}  // namespace
}  // namespace prereg
