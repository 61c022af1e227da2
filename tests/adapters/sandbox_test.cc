// The sandbox (SPEC §8), tried through `prereg run` and `prereg serve` with the hostile scripts of
// tests/hostile/: each attempt is refused by default, and — where it is safe to show — succeeds
// under --no-sandbox, so the refusal is the sandbox's doing and not a broken script.

#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "cli_fixture.h"
#include "serve_fixture.h"
#include "support/redis_server.h"

namespace prereg {
namespace {

using json = nlohmann::json;
using testing::Cli;
using testing::CliResult;
using testing::HttpClient;
using testing::ServeProcess;
using testing::TempDir;

std::string Hostile(const std::string& name) { return PREREG_HOSTILE_DIR "/" + name; }

// Runs one hostile script on the example sign-up; returns the result and its app_metadata.
struct Probe {
  CliResult result;
  json metadata;
};
Probe RunHostile(const TempDir& dir, const std::string& script, const std::string& options) {
  Probe p;
  p.result = Cli(dir, "run --event '" PREREG_EXAMPLES_DIR "/events/signup.json' " + options +
                          " '" + Hostile(script) + "'");
  auto record = json::parse(p.result.out, nullptr, false);
  if (!record.is_discarded()) p.metadata = record["user"]["app_metadata"];
  return p;
}

bool Refused(const json& v) {
  return v.is_string() && v.get<std::string>().rfind("refused: ", 0) == 0;
}

// Sets an environment variable for the prereg processes this test starts, and unsets it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~ScopedEnv() { ::unsetenv(name_); }

 private:
  const char* name_;
};

TEST_CASE("Sandbox: a script sees a minimal environment and cannot read the service's credentials",
          "[adapters][sandbox]") {
  TempDir dir;
  ScopedEnv token("PREREG_TOKENS", "service-token-7f3a");
  ScopedEnv cloud("AWS_SECRET_ACCESS_KEY", "cloud-key-91b2");
  ScopedEnv region("RISK_REGION", "eu");
  const std::string secrets = "--secret TOKEN_FILE='" + dir.Write("tokens", "file-token-c4d5\n") + "'";

  auto contained = RunHostile(dir, "reads-secrets.js", secrets + " --pass-env RISK_REGION");
  INFO(contained.result.out << contained.result.err);
  REQUIRE(contained.result.code == 0);
  std::vector<std::string> env = contained.metadata["env"];
  std::vector<std::string> expected = {"LANG", "PATH", "RISK_REGION"};
  if (std::getenv("TZ")) expected.insert(expected.begin() + 2, "TZ");
  CHECK(env == expected);
  CHECK(Refused(contained.metadata["token_file"]));
  CHECK(Refused(contained.metadata["parent_environ"]));
  CHECK(contained.result.out.find("service-token-7f3a") == std::string::npos);
  CHECK(contained.result.out.find("file-token-c4d5") == std::string::npos);
  CHECK(contained.result.err.find("--no-sandbox") == std::string::npos);

  // The same script without the sandbox finds all three: the attempts are real.
  auto open = RunHostile(dir, "reads-secrets.js", secrets + " --no-sandbox");
  REQUIRE(open.result.code == 0);
  CHECK_THAT(open.metadata["env"].dump(), Catch::Contains("PREREG_TOKENS"));
  CHECK(open.metadata["token_file"] == "file-token-c4d5\n");
  CHECK_THAT(open.metadata["parent_environ"].get<std::string>(), Catch::Contains("cloud-key-91b2"));
  CHECK_THAT(open.result.err, Catch::Contains("prereg run: warning: --no-sandbox"));
}

TEST_CASE("Sandbox: a script cannot write, read outside its folder, run programs, start threads, load addons, reach bindings or signal prereg",
          "[adapters][sandbox]") {
  TempDir dir;
  const auto out = dir.path() / "pwned";
  const std::string secrets = "--secret WRITE_TO='" + out.string() + "' --secret READ_FROM='" +
                              dir.Write("private.txt", "not yours") + "'";
  auto contained = RunHostile(dir, "escapes.js", secrets);
  INFO(contained.result.out << contained.result.err);
  REQUIRE(contained.result.code == 0);
  for (const char* attempt :
       {"write", "read_outside", "spawn", "worker", "addon", "binding", "signal", "raw_signal", "priority"}) {
    INFO(attempt);
    CHECK(Refused(contained.metadata[attempt]));
  }
  CHECK_FALSE(std::filesystem::exists(out));
  CHECK_FALSE(std::filesystem::exists(out.string() + ".sh"));

  auto open = RunHostile(dir, "escapes.js", secrets + " --no-sandbox");
  REQUIRE(open.result.code == 0);
  CHECK(open.metadata["write"] == "done");
  CHECK(open.metadata["read_outside"] == "done");
  CHECK(open.metadata["spawn"] == "done");
  CHECK(open.metadata["binding"] == "done");
  CHECK(open.metadata["signal"] == "done");
  CHECK(open.metadata["raw_signal"] == "done");
  CHECK(open.metadata["priority"] == "done");
  CHECK(open.metadata["addon"] == "refused: ERR_DLOPEN_FAILED");  // tried, and no such file
  CHECK(contained.metadata["addon"] != open.metadata["addon"]);   // not even tried
  CHECK(testing::ReadAllText(out.string() + ".sh") == "pwned\n");
}

TEST_CASE("Sandbox: connections to loopback, private and metadata addresses are refused unless allowed",
          "[adapters][sandbox]") {
  TempDir dir;
  testing::RedisServer redis;
  const std::string local = "127.0.0.1:" + std::to_string(redis.port());
  const std::vector<std::string> targets = {
      local, "localhost:" + std::to_string(redis.port()), "[::ffff:127.0.0.1]:" + std::to_string(redis.port()),
      "169.254.169.254:80", "10.1.2.3:6379", "192.168.1.1:80", "[::1]:" + std::to_string(redis.port())};
  std::string list;
  for (const auto& t : targets) list += (list.empty() ? "" : ",") + t;

  auto contained = RunHostile(dir, "connects.js", "--secret TARGETS='" + list + "'");
  INFO(contained.result.out << contained.result.err);
  REQUIRE(contained.result.code == 0);
  REQUIRE(contained.metadata["tcp"].size() == targets.size());
  for (size_t i = 0; i < targets.size(); ++i) {
    INFO(targets[i]);
    const std::string why = contained.metadata["tcp"][i];
    CHECK_THAT(why, Catch::StartsWith("refused: prereg: ") && Catch::Contains("--allow-egress"));
  }
  CHECK_THAT(contained.metadata["udp"].get<std::string>(),
             Catch::Contains("UDP sockets are not allowed"));

  // The operator allows the cache's Redis: that destination only.
  auto allowed = RunHostile(dir, "connects.js", "--secret TARGETS='" + list + "' --allow-egress " + local);
  REQUIRE(allowed.result.code == 0);
  CHECK(allowed.metadata["tcp"][0] == "connected");                // 127.0.0.1:port
  CHECK(Refused(allowed.metadata["tcp"][1]));                        // localhost:port
  CHECK(Refused(allowed.metadata["tcp"][3]));                        // 169.254.169.254:80

  // A CIDR allows a whole range.
  auto range = RunHostile(dir, "connects.js", "--secret TARGETS='" + local + "' --allow-egress 127.0.0.0/8");
  CHECK(range.metadata["tcp"][0] == "connected");

  auto bad = Cli(dir, "run --allow-egress 127.0.0.1 '" + Hostile("connects.js") + "'");
  CHECK(bad.code == 1);
  CHECK_THAT(bad.err, Catch::Contains("--allow-egress 127.0.0.1: no port"));
}

TEST_CASE("Sandbox: an outbound connection that does not connect in time is aborted",
          "[adapters][sandbox]") {
  // A listener whose backlog is full: the kernel drops further SYNs, so a connect hangs.
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(listener, 0) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  std::vector<int> fillers;
  for (int i = 0; i < 4; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    fillers.push_back(fd);
  }
  const std::string target = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));

  TempDir dir;
  auto p = RunHostile(dir, "connects.js", "--secret TARGETS='" + target + "' --allow-egress " +
                                              target + " --connect-timeout-ms 300");
  for (int fd : fillers) ::close(fd);
  ::close(listener);
  INFO(p.result.out << p.result.err);
  REQUIRE(p.result.code == 0);
  CHECK(p.metadata["tcp"][0] ==
        "refused: prereg: the connection to " + target + " did not connect within 300 ms");
}

bool Alive(pid_t pid) { return ::kill(pid, 0) == 0; }

TEST_CASE("Sandbox: what a worker starts is killed with it", "[adapters][sandbox]") {
  TempDir dir;
  const auto pid_file = dir.path() / "child.pid";
  const std::string options = "--timeout-ms 1500 --secret PID_FILE='" + pid_file.string() + "'";

  // With the sandbox, it cannot start anything at all.
  auto contained = RunHostile(dir, "leaves-a-child.js", options);
  CHECK(contained.result.code == 3);
  CHECK_THAT(contained.result.out, Catch::Contains("Access to this API has been restricted"));
  CHECK_FALSE(std::filesystem::exists(pid_file));

  // Without it, the child is in the worker's process group and dies with the worker.
  auto open = RunHostile(dir, "leaves-a-child.js", options + " --no-sandbox");
  CHECK(open.result.code == 3);
  const std::string text = testing::ReadAllText(pid_file);
  REQUIRE_FALSE(text.empty());
  const pid_t child = std::stoi(text);
  for (int i = 0; i < 100 && Alive(child); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK_FALSE(Alive(child));
}

TEST_CASE("Sandbox: as root, --worker-user runs the workers as that user", "[adapters][sandbox]") {
  TempDir dir;
  dir.Write("whoami.js", testing::Action("api.user.setAppMetadata('uid', process.getuid());"));
  if (::geteuid() != 0) {
    auto refused = Cli(dir, "run --worker-user nobody whoami.js");
    CHECK(refused.code == 1);
    CHECK_THAT(refused.err, Catch::Contains("must run as root"));
    return;
  }
  // The worker must be able to read its script as that user.
  std::filesystem::permissions(dir.path(), std::filesystem::perms::others_read |
                                               std::filesystem::perms::others_exec,
                               std::filesystem::perm_options::add);
  auto r = Cli(dir, "run --worker-user nobody whoami.js");
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK(json::parse(r.out)["user"]["app_metadata"]["uid"] == 65534);
  auto unknown = Cli(dir, "run --worker-user no-such-user-here whoami.js");
  CHECK(unknown.code == 1);
  CHECK_THAT(unknown.err, Catch::Contains("--worker-user no-such-user-here: no such user"));
}

TEST_CASE("Sandbox: under serve, scripts reach neither the service's credentials nor its cache's Redis",
          "[adapters][sandbox][serve]") {
  TempDir dir;
  testing::RedisServer redis;
  const std::string local = "127.0.0.1:" + std::to_string(redis.port());
  const auto tokens = dir.Write("tokens", "file-token-c4d5\n");
  dir.Write("flow.json", json{{"steps",
                               {{{"name", "reader"},
                                 {"script", Hostile("reads-secrets.js")},
                                 {"secrets", {{"TOKEN_FILE", tokens}}}},
                                {{"name", "connector"},
                                 {"script", Hostile("connects.js")},
                                 {"secrets", {{"TARGETS", local}}}}}}}
                             .dump());
  ServeProcess serve(dir, {"--flow", "flow.json", "--token-file", "tokens", "--cache", redis.uri()},
                     {"PREREG_TOKENS=service-token-7f3a"});
  HttpClient client(serve.port());
  auto r = client.Post(json{{"user", {{"email", "eve@example.com"}}}}.dump(), "service-token-7f3a");
  INFO(r.body());
  REQUIRE(r.result_int() == 200);
  const auto md = json::parse(r.body())["user"]["app_metadata"];
  CHECK(md["env"].dump().find("PREREG_TOKENS") == std::string::npos);
  CHECK(Refused(md["token_file"]));
  CHECK(Refused(md["parent_environ"]));
  CHECK(Refused(md["tcp"][0]));
  CHECK(r.body().find("file-token-c4d5") == std::string::npos);
  CHECK(r.body().find("service-token-7f3a") == std::string::npos);
}

}  // namespace
}  // namespace prereg
