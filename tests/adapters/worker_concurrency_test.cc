// Several executions per worker (PoolOptions::concurrency, `--worker-concurrency`): each keeps its
// own event, api and logs while module state is shared (SPEC §8), and when a worker must die for
// one of them, the others on it end naming that one.

#include <atomic>
#include <chrono>
#include <optional>
#include <set>
#include <thread>

#include <boost/asio/steady_timer.hpp>
#include <catch2/catch.hpp>

#include "serve_fixture.h"

namespace prereg {
namespace {

using json = nlohmann::json;
using testing::Action;
using testing::HttpClient;
using testing::JsFixture;
using testing::ServeProcess;
using testing::TempDir;

json EventFor(const std::string& email) {
  json event = testing::SampleEvent();
  event["user"]["email"] = email;
  return event;
}

// One worker per script running `concurrency` executions at once.
adapters::PoolOptions OneWorker(int concurrency) {
  adapters::PoolOptions pool;
  pool.workers = 1;
  pool.concurrency = concurrency;
  return pool;
}

// Drives the fixture's event loop for `ms` milliseconds.
void RunFor(JsFixture& f, int ms) {
  boost::asio::steady_timer timer(f.runtime().io(), std::chrono::milliseconds(ms));
  bool fired = false;
  timer.async_wait([&fired](const boost::system::error_code&) { fired = true; });
  REQUIRE(adapters::RunUntil(f.runtime().io(), [&fired] { return fired; }));
}

// Starts `flow` on `event`; the record lands in `slot`.
void Start(JsFixture& f, const Flow& flow, const json& event, std::optional<DecisionRecord>* slot) {
  REQUIRE(ExecuteFlow(flow, event, &f.runtime().scheduler(),
                      [slot](DecisionRecord r) { *slot = std::move(r); })
              .ok());
}

void RunUntilDecided(JsFixture& f, std::vector<std::optional<DecisionRecord>>* slots) {
  REQUIRE(adapters::RunUntil(f.runtime().io(), [slots] {
    return std::all_of(slots->begin(), slots->end(), [](const auto& r) { return r.has_value(); });
  }));
}

TEST_CASE("Worker concurrency: executions on one worker keep their own event, api and logs",
          "[adapters][concurrency]") {
  JsFixture f(OneWorker(8));
  // Each execution waits a different time, so that they interleave; module state counts how
  // many ran at once.
  auto flow = f.Load({{"gate", "let running = 0, most = 0;\n" + Action(
      "running++; most = Math.max(most, running);\n"
      "const me = event.user.email;\n"
      "console.log('start', me);\n"
      "await new Promise((r) => setTimeout(r, 20 + (me.charCodeAt(0) * 37) % 60));\n"
      "console.log('end', me);\n"
      "api.user.setAppMetadata('who', me).user.setAppMetadata('pid', process.pid);\n"
      "api.user.setAppMetadata('most', most);\n"
      "running--;")}});
  REQUIRE(flow.ok());
  std::vector<json> events;
  for (char c = 'a'; c < 'a' + 8; ++c) events.push_back(EventFor(std::string(1, c) + "@example.com"));
  const auto records = f.RunEach(*flow.value(), events);
  std::set<int64_t> pids;
  int64_t most = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    const std::string email = events[i]["user"]["email"];
    INFO(email << ": " << (r.error ? r.error->message : std::string()));
    REQUIRE(r.outcome == Outcome::kAllow);
    CHECK(r.app_metadata["who"] == email);
    CHECK(r.steps[0].logs == std::vector<std::string>{"start " + email, "end " + email});
    pids.insert(r.app_metadata["pid"].get<int64_t>());
    most = std::max(most, r.app_metadata["most"].get<int64_t>());
  }
  CHECK(pids.size() == 1);  // one worker ran them all...
  CHECK(most > 1);          // ...several at once
}

TEST_CASE("Worker concurrency: a blocked event loop is found at the blocker's deadline, and the "
          "others on its worker end naming it",
          "[adapters][concurrency]") {
  JsFixture f(OneWorker(4));
  FlowOptions options;
  options.timeout_ms = 1500;
  auto flow = f.Load({{"gate", Action(
      "if (event.user.email.startsWith('loop')) { for (;;) {} }\n"
      "await new Promise((r) => setTimeout(r, 100));\n"
      "api.user.setAppMetadata('ok', true);")}}, options);
  REQUIRE(flow.ok());
  std::vector<std::optional<DecisionRecord>> slots(4);
  Start(f, *flow.value(), EventFor("loop@example.com"), &slots[0]);
  RunFor(f, 300);
  // These reach the same worker, whose event loop never reads them: their budgets end 300 ms
  // after the looping one's, and the worker is killed at its deadline.
  for (size_t i = 1; i < slots.size(); ++i) {
    Start(f, *flow.value(), EventFor("n" + std::to_string(i) + "@example.com"), &slots[i]);
  }
  const uint64_t collateral_before = f.runtime().pool().collateral_failures();
  RunUntilDecided(f, &slots);
  REQUIRE(slots[0]->outcome == Outcome::kError);
  CHECK(slots[0]->error->error_class == ErrorClass::kActionTimeout);
  for (size_t i = 1; i < slots.size(); ++i) {
    const auto& r = *slots[i];
    REQUIRE(r.outcome == Outcome::kError);
    CHECK(r.error->error_class == ErrorClass::kActionError);
    CHECK_THAT(r.error->message,
               Catch::Contains("its worker was stopped because of step \"gate\"") &&
                   Catch::Contains("it blocked the worker's event loop (no heartbeat for"));
  }
  CHECK(f.runtime().pool().collateral_failures() - collateral_before == 3);
  // The worker was replaced: the next sign-up is decided as usual.
  CHECK(f.RunFlow(*flow.value(), EventFor("after@example.com")).outcome == Outcome::kAllow);
}

TEST_CASE("Worker concurrency: a slow execution past its budget is dropped, and its worker "
          "finishes the others before it is replaced",
          "[adapters][concurrency]") {
  JsFixture f(OneWorker(4));
  FlowOptions options;
  options.timeout_ms = 2000;
  // The slow one awaits longer than its budget (its event loop keeps running); the others finish
  // 300 ms before their own budgets end, well after the slow one's.
  auto flow = f.Load({{"gate", Action(
      "const slow = event.user.email.startsWith('slow');\n"
      "await new Promise((r) => setTimeout(r, slow ? 10000 : 1500));\n"
      "if (slow) console.log('never reported');\n"
      "api.user.setAppMetadata('pid', process.pid);")}}, options);
  REQUIRE(flow.ok());
  const int restarts_before = f.runtime().pool().restarts();
  std::vector<std::optional<DecisionRecord>> slots(3);
  Start(f, *flow.value(), EventFor("slow@example.com"), &slots[0]);
  RunFor(f, 200);
  Start(f, *flow.value(), EventFor("a@example.com"), &slots[1]);
  Start(f, *flow.value(), EventFor("b@example.com"), &slots[2]);
  RunUntilDecided(f, &slots);
  REQUIRE(slots[0]->outcome == Outcome::kError);
  CHECK(slots[0]->error->error_class == ErrorClass::kActionTimeout);
  for (size_t i = 1; i < slots.size(); ++i) {
    INFO((slots[i]->error ? slots[i]->error->message : std::string()));
    CHECK(slots[i]->outcome == Outcome::kAllow);
  }
  CHECK(f.runtime().pool().collateral_failures() == 0);
  CHECK(f.runtime().pool().restarts() - restarts_before == 1);  // replaced, not killed mid-way
  CHECK(f.RunFlow(*flow.value(), EventFor("after@example.com")).outcome == Outcome::kAllow);
}

TEST_CASE("Worker concurrency: module state is shared by the executions of a worker",
          "[adapters][concurrency]") {
  JsFixture f(OneWorker(4));
  auto flow = f.Load({{"count", "let n = 0;\n" + Action(
      "const mine = ++n;\n"
      "await new Promise((r) => setTimeout(r, 30));\n"
      "api.user.setAppMetadata('n', mine);")}});
  REQUIRE(flow.ok());
  const auto records = f.RunConcurrently(*flow.value(), 4);
  std::set<int64_t> seen;
  for (const auto& r : records) {
    REQUIRE(r.outcome == Outcome::kAllow);
    seen.insert(r.app_metadata["n"].get<int64_t>());
  }
  CHECK(seen == std::set<int64_t>{1, 2, 3, 4});
}

// Requests started in one turn of the event loop are written a few at a time as they come
// (NodeWorker::Send), and replies likewise (the runner's REPLIES_PER_WRITE). A burst several times
// what a pipe holds must still arrive whole and in order, each reply reaching its own execution.
TEST_CASE("Worker concurrency: a burst of requests larger than the pipe holds arrives whole and in "
          "order", "[adapters][concurrency]") {
  constexpr int kBurst = 96;  // about 400 KB of requests against a 64 KB pipe
  JsFixture f(OneWorker(kBurst));
  auto flow = f.Load({{"echo", "let seen = 0;\n" + Action(
      "const order = ++seen;\n"
      "api.user.setAppMetadata('who', event.user.email);\n"
      "api.user.setAppMetadata('pad', event.user.user_metadata.pad);\n"
      "api.user.setAppMetadata('order', order);")}});
  REQUIRE(flow.ok());
  std::vector<json> events;
  for (int i = 0; i < kBurst; ++i) {
    json event = EventFor("u" + std::to_string(i) + "@example.com");
    event["user"]["user_metadata"]["pad"] =
        std::string(static_cast<size_t>(4000 + i), static_cast<char>('a' + i % 26));
    events.push_back(std::move(event));
  }
  const auto records = f.RunEach(*flow.value(), events);
  for (int i = 0; i < kBurst; ++i) {
    const auto& r = records[static_cast<size_t>(i)];
    INFO("request " << i << ": " << (r.error ? r.error->message : std::string()));
    REQUIRE(r.outcome == Outcome::kAllow);
    CHECK(r.app_metadata["who"] == events[static_cast<size_t>(i)]["user"]["email"]);
    CHECK(r.app_metadata["pad"] == events[static_cast<size_t>(i)]["user"]["user_metadata"]["pad"]);
    CHECK(r.app_metadata["order"] == i + 1);  // read and started in the order sent
  }
}

// A looping request in every 25, from four clients at once, on one worker running four
// executions: every sign-up is decided, the collateral is counted, the service stays ready.
TEST_CASE("Serve: with several executions per worker, a looping step under load leaves every "
          "sign-up decided",
          "[adapters][serve][concurrency][slow]") {
  TempDir dir;
  const std::string token = "concurrency-token";
  dir.Write("tokens", token + "\n");
  dir.Write("gate.js", Action(
      "if ((event.user.app_metadata || {}).loop) { for (;;) {} }\n"
      "await new Promise((r) => setTimeout(r, 5));\n"
      "api.user.setAppMetadata('served', true);"));
  ServeProcess serve(dir, {"--flow", "gate.js", "--token-file", "tokens", "--workers", "1",
                           "--worker-concurrency", "4", "--timeout-ms", "1000"});
  std::atomic<int> decided{0}, allowed{0}, timeouts{0}, blockers{0}, collateral{0}, loopers_allowed{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      HttpClient client(serve.port());
      for (int i = 0; i < 50; ++i) {
        const bool loop = i == 10 + c;  // each client's looping request, at different times
        auto body = json{{"user", {{"email", "c" + std::to_string(c) + "@example.com"},
                                   {"app_metadata", {{"loop", loop}}}}}}.dump();
        auto res = client.Post(body, token);
        if (res.result_int() != 200) continue;
        auto record = json::parse(res.body());
        ++decided;
        if (record["outcome"] == "allow") ++allowed;
        if (loop && record["outcome"] == "allow") ++loopers_allowed;
        if (!record.contains("error")) continue;
        const std::string message = record["error"]["message"];
        if (record["error"]["class"] == "action_timeout") {
          ++timeouts;
        } else if (message.find("failed: it blocked the worker's event loop") != std::string::npos) {
          ++blockers;  // a looping request, found blocking the worker at another's deadline
        } else if (message.find("its worker was stopped because of") != std::string::npos) {
          ++collateral;
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  CHECK(decided == 200);
  // No looper is allowed. Each ends as the blocker or timed out, or — sent to a worker another
  // looper already blocks, so never run — with that worker, as collateral.
  CHECK(loopers_allowed == 0);
  CHECK(timeouts + blockers >= 1);
  CHECK(allowed + timeouts + blockers + collateral == 200);
  CHECK(collateral > 0);  // requests sent to a blocked worker end with it
  HttpClient probe(serve.port());
  CHECK(probe.Get("/readyz").result_int() == 200);
  const std::string metrics = probe.Get("/metrics").body();
  CHECK_THAT(metrics, Catch::Contains("prereg_worker_collateral_failures_total " +
                                      std::to_string(collateral.load()) + "\n"));
}

}  // namespace
}  // namespace prereg
