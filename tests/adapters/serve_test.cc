// `prereg serve` as a real process on loopback, with a real HTTP client.

#include <atomic>
#include <thread>

#include <catch2/catch.hpp>

#include "serve_fixture.h"
#include "support/redis_server.h"

namespace prereg {
namespace {

using json = nlohmann::json;
using testing::Action;
using testing::HttpClient;
using testing::ServeProcess;
using testing::TempDir;

const char* kToken = "test-token-1";

// Waits until the service reports `n` sign-ups in flight (a request has reached the engine).
void WaitForInFlight(int port, int n) {
  const std::string needle = "prereg_in_flight " + std::to_string(n) + "\n";
  for (int i = 0; i < 500; ++i) {
    if (HttpClient(port).Get("/metrics").body().find(needle) != std::string::npos) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  FAIL("the service never had " << n << " request(s) in flight");
}

// A flow whose Action sleeps for event.user.app_metadata.sleep_ms, loops forever when
// event.user.app_metadata.loop is set, and denies @blocked.example addresses.
void WriteFlow(const TempDir& dir) {
  dir.Write("tokens", std::string("# rotation: both are valid\n") + kToken + "\n  test-token-2  \n");
  dir.Write("gate.js", Action(
                           "const md = event.user.app_metadata || {};\n"
                           "if (md.loop) { while (true) {} }\n"
                           "if (md.sleep_ms) await new Promise((r) => setTimeout(r, md.sleep_ms));\n"
                           "console.log('secret is ' + event.secrets.KEY + ', pw ' + "
                           "event.request.body.password);\n"
                           "if ((event.user.email || '').endsWith('@blocked.example')) "
                           "api.access.deny('blocked domain ' + event.secrets.KEY, 'Not allowed');\n"
                           "api.user.setAppMetadata('served', true);"));
  dir.Write("legacy.js", testing::Hook("console.log('password', user.password); cb();"));
  dir.Write("flow.json", R"({"steps": [
      {"name": "legacy", "script": "legacy.js"},
      {"name": "gate", "script": "gate.js", "timeout_ms": 1000, "secrets": {"KEY": "k-SECRET-9"}}]})");
}

std::string Event(const std::string& email, json app_metadata = json::object()) {
  return json{{"user", {{"email", email}, {"app_metadata", app_metadata}}},
              {"request", {{"ip", "203.0.113.5"}, {"body", {{"password", "pa55-w0rd-xyz"}}}}},
              {"connection", {{"name", "db"}, {"strategy", "auth0"}}},
              {"tenant", {{"id", "acme"}}}}
      .dump();
}

TEST_CASE("Serve: decisions, every status code and the Auth0-like log lines", "[adapters][serve]") {
  TempDir dir;
  WriteFlow(dir);
  ServeProcess serve(dir, {"--flow", "flow.json", "--token-file", "tokens", "--body-limit", "4096"},
                     {"PREREG_TOKENS=env-token"});
  HttpClient client(serve.port());

  auto allow = client.Post(Event("ada@example.com"), kToken);
  REQUIRE(allow.result_int() == 200);
  CHECK(json::parse(allow.body())["user"]["app_metadata"]["served"] == true);
  CHECK_FALSE(allow["X-Request-Id"].empty());
  auto deny = client.Post(Event("eve@blocked.example"), "test-token-2");
  REQUIRE(deny.result_int() == 200);
  CHECK(json::parse(deny.body())["denial"]["reason"] == "blocked domain [secret]");
  CHECK(client.Post(Event("env@example.com"), "env-token").result_int() == 200);

  CHECK(client.Post(Event("a@b.c"), "").result_int() == 401);
  CHECK(client.Post(Event("a@b.c"), "wrong").result_int() == 401);
  auto bad = client.Post("{\"user\": ", kToken);
  CHECK(bad.result_int() == 400);
  CHECK_THAT(json::parse(bad.body())["message"].get<std::string>(), Catch::Contains("not valid JSON"));
  CHECK(client.Post("[1]", kToken).result_int() == 400);
  CHECK(client.Get("/nope").result_int() == 404);
  CHECK(client.Get("/v1/pre-user-registration").result_int() == 405);
  CHECK(client.Get("/healthz").result_int() == 200);
  CHECK(client.Get("/readyz").result_int() == 200);
  auto metrics = client.Get("/metrics");
  CHECK_THAT(metrics.body(), Catch::Contains("prereg_executions_total{outcome=\"allow\"} 2") &&
                                 Catch::Contains("prereg_executions_total{outcome=\"deny\"} 1") &&
                                 Catch::Contains("prereg_step_duration_seconds_bucket{step=\"gate\"") &&
                                 Catch::Contains("prereg_flow_duration_seconds_count 3") &&
                                 Catch::Contains("prereg_worker_restarts_total") &&
                                 Catch::Contains("prereg_queue_depth"));
  HttpClient other(serve.port());
  CHECK(other.Post(std::string(5000, ' ') + Event("a@b.c"), kToken).result_int() == 413);

  serve.Signal(SIGTERM);
  CHECK(serve.Wait() == 0);
  auto lines = ServeProcess::Lines(serve.out());
  REQUIRE(lines.size() == 3);
  auto first = json::parse(lines[0]);
  CHECK(first["type"] == "ss");
  CHECK(first["user_name"] == "ada@example.com");
  CHECK(first["details"]["steps"].size() == 2);
  auto second = json::parse(lines[1]);
  CHECK(second["type"] == "fs");
  CHECK(second["description"] == "blocked domain [secret]");
  const auto all = serve.out() + serve.err();
  CHECK(all.find("k-SECRET-9") == std::string::npos);
  CHECK(all.find("pa55-w0rd-xyz") == std::string::npos);
}

TEST_CASE("Serve: refuses to start without tokens or with a broken flow", "[adapters][serve]") {
  TempDir dir;
  WriteFlow(dir);
  auto run = [&dir](const std::string& args) {
    const std::string cmd = "cd '" + dir.path().string() + "' && '" PREREG_BINARY "' serve " +
                            args + " > out 2> err";
    int status = std::system(cmd.c_str());
    return std::make_pair(WEXITSTATUS(status), testing::ReadAllText(dir.path() / "err"));
  };
  auto [code, err] = run("--flow flow.json --listen 127.0.0.1:0");
  CHECK(code == 1);
  CHECK_THAT(err, Catch::Contains("no bearer tokens") && Catch::Contains("--no-auth"));
  dir.Write("broken.js", "exports.onExecutePreUserRegistration = async (event, api) => {");
  auto [code2, err2] = run("--flow broken.js --no-auth --listen 127.0.0.1:0");
  CHECK(code2 == 1);
  CHECK_THAT(err2, Catch::Contains("broken.js") && Catch::Contains("syntax error"));
}

TEST_CASE("Serve: keep-alive connections and concurrent clients", "[adapters][serve]") {
  TempDir dir;
  WriteFlow(dir);
  ServeProcess serve(dir, {"--flow", "flow.json", "--token-file", "tokens", "--workers", "2"});
  HttpClient keep(serve.port());
  for (int i = 0; i < 5; ++i) CHECK(keep.Post(Event("k@example.com"), kToken).result_int() == 200);
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&] {
      HttpClient client(serve.port());
      for (int i = 0; i < 10; ++i) {
        auto res = client.Post(Event("c@example.com", {{"sleep_ms", 5}}), kToken);
        if (res.result_int() == 200 && json::parse(res.body())["outcome"] == "allow") ++ok;
      }
    });
  }
  for (auto& t : clients) t.join();
  CHECK(ok == 40);
}

TEST_CASE("Serve: a full queue answers 503 with Retry-After", "[adapters][serve]") {
  TempDir dir;
  WriteFlow(dir);
  ServeProcess serve(dir, {"--flow", "flow.json", "--token-file", "tokens", "--workers", "1",
                           "--worker-concurrency", "1", "--queue", "0"});
  std::thread slow([&] {
    HttpClient client(serve.port());
    CHECK(client.Post(Event("s@example.com", {{"sleep_ms", 800}}), kToken).result_int() == 200);
  });
  WaitForInFlight(serve.port(), 1);  // the slow sign-up fills the only place
  auto res = HttpClient(serve.port()).Post(Event("x@example.com"), kToken);
  CHECK(res.result_int() == 503);
  CHECK(res[boost::beast::http::field::retry_after] == "1");
  slow.join();
}

TEST_CASE("Serve: SIGTERM lets in-flight requests finish, then exits 0", "[adapters][serve]") {
  TempDir dir;
  WriteFlow(dir);
  ServeProcess serve(dir, {"--flow", "flow.json", "--token-file", "tokens"});
  HttpClient idle(serve.port());  // an idle keep-alive connection must not hold the shutdown
  CHECK(idle.Get("/healthz").result_int() == 200);
  testing::HttpResponse in_flight;
  std::thread request([&] {
    HttpClient client(serve.port());
    in_flight = client.Post(Event("late@example.com", {{"sleep_ms", 600}}), kToken);
  });
  WaitForInFlight(serve.port(), 1);
  serve.Signal(SIGTERM);
  request.join();
  CHECK(in_flight.result_int() == 200);
  CHECK(json::parse(in_flight.body())["outcome"] == "allow");
  CHECK(serve.Wait() == 0);
  CHECK_THAT(serve.err(), Catch::Contains("\"msg\":\"stopping\"") && Catch::Contains("\"msg\":\"stopped\""));
}

TEST_CASE("Serve: SIGHUP reloads the flow, and a broken one is rejected", "[adapters][serve]") {
  TempDir dir;
  WriteFlow(dir);
  dir.Write("version.js", Action("api.user.setAppMetadata('version', 1);"));
  dir.Write("flow.json", R"({"steps": [{"script": "version.js"}]})");
  ServeProcess serve(dir, {"--flow", "flow.json", "--token-file", "tokens"});
  HttpClient client(serve.port());
  auto version = [&] {
    return json::parse(client.Post(Event("v@example.com"), kToken).body())["user"]["app_metadata"]["version"];
  };
  CHECK(version() == 1);
  dir.Write("version.js", Action("api.user.setAppMetadata('version', 2);"));
  serve.Signal(SIGHUP);
  for (int i = 0; i < 100 && version() != 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(version() == 2);
  dir.Write("version.js", "exports.onExecutePreUserRegistration = async (event, api) => {");
  serve.Signal(SIGHUP);
  for (int i = 0; i < 100 && serve.err().find("reload rejected") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK_THAT(serve.err(), Catch::Contains("reload rejected") && Catch::Contains("syntax error"));
  CHECK(version() == 2);
  CHECK(serve.running());
}

TEST_CASE("Serve: a bounded fault run, 1% of requests looping, every request decided",
          "[adapters][serve][slow]") {
  TempDir dir;
  WriteFlow(dir);
  ServeProcess serve(dir, {"--flow", "flow.json", "--token-file", "tokens", "--workers", "2"});
  std::atomic<int> decided{0}, errors{0}, looping{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 2; ++c) {
    clients.emplace_back([&, c] {
      HttpClient client(serve.port());
      for (int i = 0; i < 100; ++i) {
        const bool loop = i == 50;  // one request in a hundred, per client
        auto res = client.Post(Event("f" + std::to_string(c) + "@example.com", {{"loop", loop}}), kToken);
        if (res.result_int() != 200) continue;
        auto record = json::parse(res.body());
        ++decided;
        if (!record.contains("error")) continue;
        ++errors;
        // With several executions per worker, one looping request can also end another that
        // waited on the same worker, naming the looping one.
        const std::string message = record["error"]["message"];
        if (record["error"]["class"] == "action_timeout" ||
            message.find("blocked the worker's event loop") != std::string::npos ||
            message.find("its worker was stopped because of") != std::string::npos) {
          ++looping;
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  CHECK(decided == 200);
  // The two looping requests, and (several executions per worker) at most the one other request
  // in flight with each on its worker.
  CHECK(errors >= 2);
  CHECK(errors <= 4);
  CHECK(looping == errors);  // every error is a looping request's doing
  HttpClient probe(serve.port());
  CHECK(probe.Get("/readyz").result_int() == 200);
  CHECK_THAT(probe.Get("/metrics").body(),
             Catch::Contains("prereg_executions_total{outcome=\"error\"} " +
                             std::to_string(errors.load()) + "\n"));
}

TEST_CASE("Serve: two replicas sharing a Redis cache see each other's records",
          "[adapters][serve]") {
  TempDir dir;
  testing::RedisServer redis;
  dir.Write("tokens", std::string(kToken) + "\n");
  dir.Write("share.js", Action(
                            "const seen = api.cache.get('shared');\n"
                            "if (!seen) api.cache.set('shared', event.user.email);\n"
                            "api.user.setAppMetadata('first', seen ? seen.value : null);"));
  ServeProcess a(dir, {"--flow", "share.js", "--token-file", "tokens", "--cache", redis.uri(0)});
  ServeProcess b(dir, {"--flow", "share.js", "--token-file", "tokens", "--cache", redis.uri(0)});
  auto first = json::parse(HttpClient(a.port()).Post(Event("one@example.com"), kToken).body());
  auto second = json::parse(HttpClient(b.port()).Post(Event("two@example.com"), kToken).body());
  CHECK(first["user"]["app_metadata"]["first"].is_null());
  CHECK(second["user"]["app_metadata"]["first"] == "one@example.com");
}

}  // namespace
}  // namespace prereg

namespace prereg {
namespace {

TEST_CASE("Serve: a shadow flow never changes or holds up responses, divergences are counted",
          "[adapters][serve][shadow]") {
  TempDir dir;
  dir.Write("tokens", std::string(kToken) + "\n");
  dir.Write("primary.js", Action("api.user.setAppMetadata('plan', 'free');"));
  // The shadow disagrees on plan, and takes five seconds for every sign-up.
  dir.Write("shadow.js", Action("await new Promise((r) => setTimeout(r, 5000));\n"
                                "api.user.setAppMetadata('plan', 'pro');"));
  ServeProcess serve(dir, {"--flow", "primary.js", "--token-file", "tokens", "--shadow", "shadow.js",
                           "--shadow-limit", "2"});
  HttpClient client(serve.port());
  for (int i = 0; i < 4; ++i) {
    auto res = client.Post(Event("s@example.com"), kToken);
    REQUIRE(res.result_int() == 200);
    CHECK(json::parse(res.body())["user"]["app_metadata"]["plan"] == "free");  // the primary decides
  }
  // The four responses came while the first shadows were still sleeping: nothing waited on them.
  auto early = client.Get("/metrics").body();
  CHECK(early.find("prereg_shadow_executions_total{result=\"divergent\"}") == std::string::npos);
  CHECK_THAT(early, Catch::Contains("prereg_shadow_executions_total{result=\"skipped\"} 2"));
  std::string metrics;
  for (int i = 0; i < 300; ++i) {
    metrics = client.Get("/metrics").body();
    if (metrics.find("result=\"divergent\"} 2") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK_THAT(metrics, Catch::Contains("prereg_shadow_executions_total{result=\"divergent\"} 2"));
  CHECK_THAT(serve.err(), Catch::Contains("shadow divergence") &&
                              Catch::Contains("user.app_metadata.plan"));
}

}  // namespace
}  // namespace prereg

namespace prereg {
namespace {

TEST_CASE("Serve: SIGHUP reloads the shadow flow too", "[adapters][serve][shadow]") {
  TempDir dir;
  dir.Write("tokens", std::string(kToken) + "\n");
  dir.Write("primary.js", Action("api.user.setAppMetadata('plan', 'free');"));
  dir.Write("shadow.js", Action("api.user.setAppMetadata('plan', 'pro');"));
  ServeProcess serve(dir, {"--flow", "primary.js", "--token-file", "tokens", "--shadow", "shadow.js"});
  HttpClient client(serve.port());
  auto wait_for = [&](const std::string& needle) {
    std::string metrics;
    for (int i = 0; i < 100 && metrics.find(needle) == std::string::npos; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      metrics = client.Get("/metrics").body();
    }
    return metrics;
  };
  CHECK(client.Post(Event("a@example.com"), kToken).result_int() == 200);
  CHECK_THAT(wait_for("result=\"divergent\"} 1"), Catch::Contains("result=\"divergent\"} 1"));
  dir.Write("shadow.js", Action("api.user.setAppMetadata('plan', 'free');"));  // now agrees
  serve.Signal(SIGHUP);
  for (int i = 0; i < 100 && serve.err().find("shadow flow reloaded") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE_THAT(serve.err(), Catch::Contains("shadow flow reloaded"));
  CHECK(client.Post(Event("b@example.com"), kToken).result_int() == 200);
  auto metrics = wait_for("result=\"equal\"} 1");
  CHECK_THAT(metrics, Catch::Contains("result=\"equal\"} 1") && Catch::Contains("result=\"divergent\"} 1"));
}

}  // namespace
}  // namespace prereg
