// The WorkOS user-registration Action front door: the signature scheme against a vector WorkOS'
// SDK computes, the context -> event mapping, the signed Allow/Deny answers, and `prereg serve`
// checked from both sides with the npm @workos-inc/node SDK (tests/frontdoors/workos.js): it signs
// the requests, and its own verifier accepts the answers.

#include <chrono>

#include <catch2/catch.hpp>

#include "cli_fixture.h"
#include "js_fixture.h"
#include "prereg/actions/event.h"
#include "prereg/adapters/frontdoor_workos.h"
#include "serve_fixture.h"

namespace prereg {
namespace {

namespace workos = http::workos;
using json = nlohmann::json;
using testing::TempDir;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST_CASE("WorkOS front door: signatures are hex HMAC-SHA256 of t.payload under the secret's bytes",
          "[adapters][frontdoor][workos]") {
  // Computed with WorkOS' SDK (Actions.computeSignature) for the reference's vector.
  CHECK(workos::Sign("secret", "1700000000000",
                     R"({"timestamp":1700000000000,"verdict":"Deny","error_message":"Please use a work email"})") ==
        "6b9b2e36800fdec752f1091a6f4919186bfe05c030f13c415cfe4002353d568b");
  const std::string body = R"({"id":"action_1","user_data":{"email":"a@b.c"}})";
  const int64_t t = 1700000000000;
  const std::string v1 = workos::Sign("secret", std::to_string(t), body);
  CHECK(workos::Verify("t=" + std::to_string(t) + ", v1=" + v1, body, "secret", t).ok());
  CHECK(workos::Verify("v1=" + v1 + ",t=" + std::to_string(t), body, "secret", t + 30000).ok());
  CHECK_FALSE(workos::Verify("t=" + std::to_string(t) + ", v1=" + v1, body, "other", t).ok());
  CHECK_FALSE(workos::Verify("t=" + std::to_string(t) + ", v1=" + v1, body + " ", "secret", t).ok());
  CHECK_THAT(workos::Verify("t=" + std::to_string(t) + ", v1=" + v1, body, "secret", t + 30001).message(),
             Catch::Contains("too old"));
  CHECK_FALSE(workos::Verify("t=" + std::to_string(t), body, "secret", t).ok());
  CHECK_FALSE(workos::Verify("", body, "secret", t).ok());
  CHECK_FALSE(workos::Verify("t=abc, v1=" + v1, body, "secret", t).ok());
}

TEST_CASE("WorkOS front door: the action context becomes an Actions event, answers are signed",
          "[adapters][frontdoor][workos]") {
  const json context = json::parse(R"({"id": "01JATCMZJY26PQ59XT9BNT0FNN",
    "object": "user_registration_action_context",
    "user_data": {"object": "user_data", "email": "todd@example.com", "first_name": "Todd", "last_name": "Rundgren"},
    "ip_address": "50.247.30.1", "user_agent": "Mozilla/5.0", "device_fingerprint": "notafingerprint"})");
  auto mapped = workos::ToEvent(context, "acme");
  REQUIRE(mapped.ok());
  const json& e = mapped.value().event;
  CHECK(e["user"]["email"] == "todd@example.com");
  CHECK(e["user"]["given_name"] == "Todd");
  CHECK(e["user"]["family_name"] == "Rundgren");
  CHECK(e["request"]["ip"] == "50.247.30.1");
  CHECK(e["request"]["user_agent"] == "Mozilla/5.0");
  CHECK(e["frontdoor"]["raw"]["device_fingerprint"] == "notafingerprint");
  CHECK(mapped.value().correlation_id == "01JATCMZJY26PQ59XT9BNT0FNN");
  CHECK(CheckEvent(e).ok());
  CHECK_FALSE(workos::ToEvent(json::parse(R"({"id": "x"})"), "acme").ok());

  workos::Config config;
  config.secret = "secret";
  DecisionRecord deny;
  deny.outcome = Outcome::kDeny;
  deny.denial = DecisionRecord::DenialInfo{Denial{Denial::Kind::kAccessDenied, "internal", "Please use a work email"}, "s"};
  const auto reply = workos::FromDecision(deny, config, 1700000000000);
  CHECK(reply.body ==
        R"({"object":"user_registration_action_response","payload":{"timestamp":1700000000000,"verdict":"Deny","error_message":"Please use a work email"},"signature":"6b9b2e36800fdec752f1091a6f4919186bfe05c030f13c415cfe4002353d568b"})");
  DecisionRecord allow;
  allow.outcome = Outcome::kAllow;
  CHECK(json::parse(workos::FromDecision(allow, config, 1).body)["payload"] ==
        json::parse(R"({"timestamp": 1, "verdict": "Allow"})"));
  DecisionRecord error;
  error.outcome = Outcome::kError;
  CHECK(json::parse(workos::FromDecision(error, config, 1).body)["payload"]["error_message"] ==
        "Sign-up is temporarily unavailable");
  allow.requested_user_metadata = {{"x", 1}};
  CHECK_THAT(workos::FromDecision(allow, config, 1).warning, Catch::Contains("cannot apply"));
  config.changes = workos::Changes::kFail;
  CHECK(json::parse(workos::FromDecision(allow, config, 1).body)["payload"]["verdict"] == "Deny");
}

TEST_CASE("WorkOS front door: serve answers what WorkOS' SDK signs, and the SDK accepts the answers",
          "[adapters][frontdoor][workos][serve]") {
  REQUIRE(std::filesystem::exists(PREREG_FRONTDOORS_DIR "/node_modules/@workos-inc/node/package.json"));
  TempDir dir;
  dir.Write("gate.js", testing::Action(
      "if (event.user.email.endsWith('@gmail.com')) return api.access.deny('personal', 'Please use a work email');"));
  const std::string secret = "wos_action_secret_for_tests";
  testing::ServeProcess serve(dir, {"--flow", "gate.js", "--workos-secret", secret});
  testing::HttpClient client(serve.port());
  auto post = [&](const std::string& email, const std::string& key) {
    const std::string context = json{{"id", "ctx_1"}, {"object", "user_registration_action_context"},
                                     {"user_data", {{"object", "user_data"}, {"email", email}}},
                                     {"ip_address", "50.247.30.1"}}
                                    .dump();
    auto signed_ = testing::Shell(dir, "node '" PREREG_FRONTDOORS_DIR "/workos.js' sign --secret '" +
                                           key + "' --timestamp " + std::to_string(NowMs()),
                                  context);
    INFO(signed_.err);
    REQUIRE(signed_.code == 0);
    const json s = json::parse(signed_.out);
    return client.Send(boost::beast::http::verb::post, std::string(workos::kPath),
                       s["body"].get<std::string>(), "",
                       {{"WorkOS-Signature", s["header"].get<std::string>()}});
  };
  auto check = [&](const std::string& body) {
    return testing::Shell(dir, "node '" PREREG_FRONTDOORS_DIR "/workos.js' check-response --secret '" +
                                   secret + "'", body);
  };

  auto allowed = post("ada@example.com", secret);
  REQUIRE(allowed.result_int() == 200);
  auto verified = check(allowed.body());
  INFO(verified.err);
  REQUIRE(verified.code == 0);
  CHECK(json::parse(verified.out)["verdict"] == "Allow");

  auto denied = post("eve@gmail.com", secret);
  REQUIRE(denied.result_int() == 200);
  auto deny_payload = check(denied.body());
  REQUIRE(deny_payload.code == 0);
  CHECK(json::parse(deny_payload.out)["verdict"] == "Deny");
  CHECK(json::parse(deny_payload.out)["error_message"] == "Please use a work email");

  // Signed with another secret: 401, and the SDK would refuse an answer signed with another key.
  CHECK(post("ada@example.com", "not-the-secret").result_int() == 401);
  auto tampered = json::parse(allowed.body());
  tampered["payload"]["verdict"] = "Deny";
  CHECK(check(tampered.dump()).code == 1);
}

}  // namespace
}  // namespace prereg
