// What bounds a worker over time (SPEC §8): its memory, the work a step leaves behind, and its
// age. Tried with the hostile scripts of tests/hostile/ through `prereg run` and `prereg serve`.

#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "cli_fixture.h"
#include "serve_fixture.h"

namespace prereg {
namespace {

using json = nlohmann::json;
using testing::Cli;
using testing::HttpClient;
using testing::JsFixture;
using testing::ServeProcess;
using testing::TempDir;

const char* kToken = "limits-test-token";

std::string Hostile(const std::string& name) { return PREREG_HOSTILE_DIR "/" + name; }

std::string SignUp(const std::string& email, json app_metadata = json::object()) {
  return json{{"user", {{"email", email}, {"app_metadata", std::move(app_metadata)}}}}.dump();
}

// The service log's "late work" lines.
std::vector<json> LateWork(const ServeProcess& serve) {
  std::vector<json> lines;
  for (const auto& line : ServeProcess::Lines(serve.err())) {
    auto j = json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.value("msg", "") == "late work") lines.push_back(j);
  }
  return lines;
}

// Runs five sign-ups through `flow`, whose one Action sets app_metadata.pid to its worker's pid,
// on a pool of one worker: checks that the worker is replaced after every second sign-up.
void CheckReplacedEverySecondSignUp(JsFixture& f, const Flow& flow) {
  std::vector<int> pids;
  for (int i = 0; i < 5; ++i) {
    auto r = f.RunFlow(flow);
    INFO("sign-up " << i << ": " << (r.error ? r.error->message : std::string()));
    REQUIRE(r.outcome == Outcome::kAllow);
    pids.push_back(r.app_metadata["pid"].get<int>());
  }
  CHECK(pids[0] == pids[1]);
  CHECK(pids[1] != pids[2]);
  CHECK(pids[2] == pids[3]);
  CHECK(pids[3] != pids[4]);
}

TEST_CASE("Worker limits: past its memory limit a worker is killed and the step ran out of memory",
          "[adapters][limits]") {
  TempDir dir;
  // Buffers live outside the V8 heap: the resident memory is what is bounded.
  auto r = Cli(dir, "run --memory-mb 128 --timeout-ms 20000 '" + Hostile("hoards-memory.js") + "'");
  INFO(r.out << r.err);
  REQUIRE(r.code == 3);
  const auto record = json::parse(r.out);
  CHECK(record["error"]["class"] == "action_error");
  CHECK_THAT(record["error"]["message"].get<std::string>(),
             Catch::Contains("the script ran out of memory (worker limit 128 MiB)"));

  // serve bounds memory by default, and goes on serving.
  dir.Write("tokens", std::string(kToken) + "\n");
  dir.Write("fine.js", testing::Action("api.user.setAppMetadata('fine', true);"));
  dir.Write("flow.json", json{{"steps", {{{"name", "hoard"}, {"script", Hostile("hoards-memory.js")}}}}}.dump());
  ServeProcess serve(dir, {"--flow", "flow.json", "--token-file", "tokens"});
  HttpClient client(serve.port());
  for (int i = 0; i < 2; ++i) {
    auto res = client.Post(SignUp("hog@example.com"), kToken);
    INFO(res.body());
    REQUIRE(res.result_int() == 200);
    const auto body = json::parse(res.body());
    CHECK(body["outcome"] == "error");
    CHECK_THAT(body["error"]["message"].get<std::string>(),
               Catch::Contains("ran out of memory (worker limit 256 MiB)"));
  }
  CHECK(client.Get("/readyz").result_int() == 200);
}

TEST_CASE("Worker limits: what a step does after it ended is logged late, never charged to another sign-up",
          "[adapters][limits][serve]") {
  TempDir dir;
  dir.Write("tokens", std::string(kToken) + "\n");
  dir.Write("flow.json", json{{"steps",
                               {{{"name", "late"},
                                 {"script", Hostile("throws-late.js")},
                                 {"secrets", {{"KEY", "k-late-SECRET"}}}}}}}
                             .dump());
  // One worker: the next sign-up runs on the worker where the first one's timers fire.
  ServeProcess serve(dir, {"--flow", "flow.json", "--token-file", "tokens", "--workers", "1"});
  HttpClient client(serve.port());
  auto first = client.Post(SignUp("ada@example.com"), kToken);
  REQUIRE(first.result_int() == 200);
  const std::string first_id(first["X-Request-Id"]);
  auto second = client.Post(SignUp("bob@example.com", {{"wait_ms", 400}}), kToken);
  INFO(second.body());
  REQUIRE(second.result_int() == 200);
  const auto record = json::parse(second.body());
  CHECK(record["outcome"] == "allow");  // ada's late throw did not fail bob's sign-up
  CHECK(record["user"]["app_metadata"]["done"] == "bob@example.com");
  CHECK(record["steps"][0]["logs"] == json::array({"in-step log of bob@example.com"}));
  // The third runs on a fresh worker: the one that did late work was replaced after bob's step.
  auto third = client.Post(SignUp("cy@example.com"), kToken);
  CHECK(json::parse(third.body())["outcome"] == "allow");

  serve.Signal(SIGTERM);
  REQUIRE(serve.Wait() == 0);
  // The executions' log lines (ss/fs) hold none of it.
  CHECK(serve.out().find("late ") == std::string::npos);
  // ada's late work is in the service log, attributed to her request, her secret masked.
  std::set<std::string> seen;
  for (const auto& late : LateWork(serve)) {
    CHECK(late["level"] == "warn");
    CHECK_THAT(late["script"].get<std::string>(), Catch::EndsWith("throws-late.js"));
    if (late["origin"] == "step \"late\", request " + first_id) {
      seen.insert(late["what"].get<std::string>() + ": " + late["text"].get<std::string>());
    }
  }
  INFO(serve.err());
  CHECK(seen.count("log: late log from the sign-up of ada@example.com") == 1);
  bool threw = false, rejected = false;
  for (const auto& s : seen) {
    threw = threw || s.rfind("uncaught exception: ", 0) == 0 &&
                         s.find("late throw from the sign-up of ada@example.com") != std::string::npos;
    rejected = rejected || s.rfind("unhandled promise rejection: ", 0) == 0 &&
                               s.find("ada@example.com [secret]") != std::string::npos;
  }
  CHECK(threw);
  CHECK(rejected);
  CHECK(serve.err().find("k-late-SECRET") == std::string::npos);
}

TEST_CASE("Worker limits: a step that leaves timers running has its worker recycled",
          "[adapters][limits][serve]") {
  TempDir dir;
  dir.Write("tokens", std::string(kToken) + "\n");
  dir.Write("flow.json", json{{"steps", {{{"name", "timers"}, {"script", Hostile("leaves-timers.js")}}}}}.dump());
  ServeProcess serve(dir, {"--flow", "flow.json", "--token-file", "tokens", "--workers", "1"});
  HttpClient client(serve.port());
  std::vector<std::string> ids;
  for (const char* email : {"ada@example.com", "bob@example.com"}) {
    auto res = client.Post(SignUp(email), kToken);
    REQUIRE(res.result_int() == 200);
    CHECK(json::parse(res.body())["outcome"] == "allow");
    ids.emplace_back(res["X-Request-Id"]);
  }
  serve.Signal(SIGTERM);
  REQUIRE(serve.Wait() == 0);
  CHECK(serve.out().find("late log from") == std::string::npos);
  int recycled = 0;
  for (const auto& late : LateWork(serve)) {
    CHECK(late["what"] == "recycled");  // killed before its interval could log anything
    CHECK_THAT(late["text"].get<std::string>(), Catch::Contains("left 1 timer(s) running"));
    for (const auto& id : ids) recycled += late["origin"] == "step \"timers\", request " + id;
  }
  CHECK(recycled == 2);
}

TEST_CASE("Worker limits: workers are recycled after a number of executions", "[adapters][limits]") {
  adapters::PoolOptions options;
  options.workers = 1;
  options.spares = 0;
  options.recycle_after_executions = 2;
  JsFixture f(options);
  auto flow = f.Load({{"pid", testing::Action("api.user.setAppMetadata('pid', process.pid);")}});
  REQUIRE(flow.ok());
  CheckReplacedEverySecondSignUp(f, *flow.value());
}

TEST_CASE("Worker limits: a script that puts an index on Array.prototype or Object.prototype has its worker recycled",
          "[adapters][limits]") {
  // Node's async context tracking keeps its state in arrays; an index on their prototypes breaks
  // it for the script's own worker. Each worker's first execution adds one; the next execution
  // there runs untracked and ends with the worker replaced.
  const char* target = GENERATE("Array.prototype", "Object.prototype");
  adapters::PoolOptions options;
  options.workers = 1;
  options.spares = 0;
  JsFixture f(options);
  auto flow = f.Load({{"breaker", std::string("let executions = 0;\n") +
                                      testing::Action(
                                          "if (++executions === 1) {\n"
                                          "  Object.defineProperty(" + std::string(target) + ", '3', "
                                          "{get() { return undefined; }, set() {}, configurable: true});\n"
                                          "}\n"
                                          "api.user.setAppMetadata('pid', process.pid);")}});
  REQUIRE(flow.ok());
  INFO(target);
  CheckReplacedEverySecondSignUp(f, *flow.value());
}

}  // namespace
}  // namespace prereg
