// `prereg serve --tls-cert/--tls-key`: HTTPS checked with a real client (curl) against a
// certificate generated for the test, a front door over it, and what a TLS port does with
// clients that do not speak TLS or never finish the handshake.

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "cli_fixture.h"
#include "js_fixture.h"
#include "serve_fixture.h"

namespace prereg {
namespace {

using json = nlohmann::json;
using testing::Shell;
using testing::TempDir;

void MakeCertificate(const TempDir& dir) {
  auto made = Shell(dir,
                    "openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem "
                    "-days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1");
  INFO(made.err);
  REQUIRE(made.code == 0);
}

TEST_CASE("Serve TLS: curl verifies the certificate and gets decisions over HTTPS",
          "[adapters][serve][tls]") {
  TempDir dir;
  MakeCertificate(dir);
  dir.Write("gate.js", testing::Action(
      "if (event.user.email.endsWith('@blocked.example')) return api.access.deny('blocked', 'No.');"));
  dir.Write("tokens", "tls-token\n");
  testing::ServeProcess serve(dir, {"--flow", "gate.js", "--token-file", "tokens", "--tls-cert",
                                    "cert.pem", "--tls-key", "key.pem"});
  const std::string url = "https://127.0.0.1:" + std::to_string(serve.port());
  dir.Write("event.json", json{{"user", {{"email", "ada@example.com"}}}, {"request", {{"ip", "1.2.3.4"}}},
                               {"connection", {{"id", "c"}, {"name", "db"}, {"strategy", "auth0"}}},
                               {"tenant", {{"id", "t"}}}}
                              .dump());
  auto allowed = Shell(dir, "curl -s --cacert cert.pem -H 'Authorization: Bearer tls-token' "
                            "--data-binary @event.json " + url + "/v1/pre-user-registration");
  INFO(allowed.err);
  REQUIRE(allowed.code == 0);
  CHECK(json::parse(allowed.out)["outcome"] == "allow");
  // Several requests on one kept-alive TLS connection.
  auto twice = Shell(dir, "curl -s --cacert cert.pem -o /dev/null -o /dev/null -w '%{http_code} ' " +
                              url + "/healthz " + url + "/healthz");
  CHECK(twice.out == "200 200 ");
  // A client that does not trust the certificate refuses it; plain HTTP gets no answer.
  CHECK(Shell(dir, "curl -s " + url + "/healthz").code != 0);
  CHECK(Shell(dir, "curl -s http://127.0.0.1:" + std::to_string(serve.port()) + "/healthz").code != 0);
  // A connection that never starts its handshake does not hold up others.
  const int idle = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(serve.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(idle, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  CHECK(Shell(dir, "curl -s --cacert cert.pem " + url + "/healthz").out.find("ok") != std::string::npos);
  ::close(idle);
  serve.Signal(SIGTERM);
  CHECK(serve.Wait() == 0);
}

TEST_CASE("Serve TLS: a missing or mismatched key stops serve with the file named",
          "[adapters][serve][tls]") {
  TempDir dir;
  MakeCertificate(dir);
  dir.Write("gate.js", testing::Action(""));
  auto only_cert = testing::Cli(dir, "serve --flow gate.js --no-auth --listen 127.0.0.1:0 --tls-cert cert.pem");
  CHECK(only_cert.code == 1);
  CHECK_THAT(only_cert.err, Catch::Contains("TLS needs both --tls-cert and --tls-key"));
  auto missing = testing::Cli(dir, "serve --flow gate.js --no-auth --listen 127.0.0.1:0 --tls-cert cert.pem --tls-key nowhere.pem");
  CHECK(missing.code == 1);
  CHECK_THAT(missing.err, Catch::Contains("--tls-key nowhere.pem"));
}

}  // namespace
}  // namespace prereg
