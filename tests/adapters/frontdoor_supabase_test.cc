// The Supabase before-user-created front door: Standard Webhooks verification against the spec's
// test vector and its negative cases, the payload -> event mapping, one golden reply per row of the
// decision table (../shared/reference/idp-frontdoors.md §5), and `prereg serve` answering requests
// signed by the npm standardwebhooks reference library as Supabase sends them.

#include <chrono>
#include <utility>

#include <catch2/catch.hpp>

#include "cli_fixture.h"
#include "js_fixture.h"
#include "prereg/actions/event.h"
#include "prereg/adapters/frontdoor_supabase.h"
#include "serve_fixture.h"

namespace prereg {
namespace {

namespace supabase = http::supabase;
using json = nlohmann::json;
using testing::TempDir;

// The Standard Webhooks test vector (every reference library's tests).
const std::string kSecret = "v1,whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const std::string kId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const std::string kTimestamp = "1614265330";
const int64_t kNow = 1614265330;
const std::string kBody = R"({"test": 2432232314})";
const std::string kSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

std::vector<std::string> Keys() { return supabase::DecodeSecrets({kSecret}).value(); }

Status VerifyWith(const std::string& signature, int64_t now = kNow,
                  const std::string& id = kId, const std::string& ts = kTimestamp) {
  return supabase::Verify({id, ts, signature}, kBody, Keys(), now);
}

TEST_CASE("Supabase front door: the Standard Webhooks test vector signs and verifies",
          "[adapters][frontdoor][supabase]") {
  CHECK(supabase::Sign(Keys()[0], kId, kTimestamp, kBody) == kSignature);
  CHECK(VerifyWith(kSignature).ok());
  // Several signatures: one valid among others, space-separated (the spec) or ", " (Supabase).
  CHECK(VerifyWith("v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= " + kSignature + " v2,abc").ok());
  CHECK(VerifyWith("v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=, " + kSignature).ok());
  CHECK(VerifyWith(kSignature + ", v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=").ok());
}

TEST_CASE("Supabase front door: wrong, empty, missing and stale signatures are refused",
          "[adapters][frontdoor][supabase]") {
  CHECK_FALSE(VerifyWith("v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=").ok());
  CHECK_FALSE(VerifyWith("v1,").ok());
  CHECK_FALSE(VerifyWith("").ok());
  CHECK_FALSE(VerifyWith("v2," + kSignature.substr(3)).ok());
  CHECK_FALSE(VerifyWith(kSignature, kNow, "").ok());
  CHECK_FALSE(VerifyWith(kSignature, kNow, kId, "").ok());
  CHECK(VerifyWith(kSignature, kNow + 300).ok());
  auto old = VerifyWith(kSignature, kNow + 301);
  CHECK_THAT(old.message(), Catch::Contains("too old"));
  auto ahead = VerifyWith(kSignature, kNow - 301);
  CHECK_THAT(ahead.message(), Catch::Contains("future"));
  // The body is what is signed, byte for byte.
  CHECK_FALSE(supabase::Verify({kId, kTimestamp, kSignature}, R"({"test":2432232314})", Keys(), kNow).ok());
}

TEST_CASE("Supabase front door: secrets as Supabase configures them, refused without echo",
          "[adapters][frontdoor][supabase]") {
  auto two = supabase::DecodeSecrets({kSecret + "|whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"});
  REQUIRE(two.ok());
  CHECK(two.value().size() == 2);
  CHECK(two.value()[0].size() == 24);
  for (const std::string bad : {"v1,whsec_not-base64!!", "v1,whsec_c2hvcnQ=", "v1a,whpk_x:whsk_y"}) {
    auto r = supabase::DecodeSecrets({bad});
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Catch::Contains("--supabase-secret #1"));
    CHECK(r.status().message().find(bad.substr(3)) == std::string::npos);
  }
}

const char* kPayload = R"({
  "metadata": {"uuid": "8b34dcdd-9df1-4c10-850a-b3277c653040", "time": "2025-04-29T13:13:24.755552-07:00",
               "name": "before-user-created", "ip_address": "203.0.113.7"},
  "user": {"id": "ff7fc9ae-3b1b-4642-9241-64adb9848a03", "aud": "authenticated", "role": "",
           "email": "valid.email@supabase.com", "phone": "15555550123",
           "app_metadata": {"provider": "google", "providers": ["google"]},
           "user_metadata": {"full_name": "Val Id", "avatar_url": "https://example.com/a.png"},
           "identities": [], "created_at": "0001-01-01T00:00:00Z", "is_anonymous": false}})";

TEST_CASE("Supabase front door: the hook payload becomes an Actions event",
          "[adapters][frontdoor][supabase]") {
  auto mapped = supabase::ToEvent(json::parse(kPayload), "acme");
  REQUIRE(mapped.ok());
  const json& e = mapped.value().event;
  CHECK(mapped.value().correlation_id == "8b34dcdd-9df1-4c10-850a-b3277c653040");
  CHECK(e["user"]["email"] == "valid.email@supabase.com");
  CHECK(e["user"]["phone_number"] == "+15555550123");
  CHECK(e["user"]["name"] == "Val Id");
  CHECK(e["user"]["picture"] == "https://example.com/a.png");
  CHECK(e["user"]["app_metadata"]["provider"] == "google");
  CHECK(e["request"]["ip"] == "203.0.113.7");
  CHECK(e["connection"]["strategy"] == "google-oauth2");
  CHECK(e["tenant"]["id"] == "acme");
  CHECK(e["transaction"]["correlation_id"] == "8b34dcdd-9df1-4c10-850a-b3277c653040");
  CHECK(e["frontdoor"]["platform"] == "supabase");
  CHECK(CheckEvent(e).ok());
  CHECK_FALSE(supabase::ToEvent(json::parse(R"({"user": []})"), "acme").ok());
  CHECK_FALSE(supabase::ToEvent(json::array(), "acme").ok());
}

DecisionRecord Record(Outcome outcome) {
  DecisionRecord r;
  r.outcome = outcome;
  return r;
}

DecisionRecord Denied(Denial::Kind kind, std::string reason, std::optional<std::string> message) {
  DecisionRecord r = Record(Outcome::kDeny);
  r.denial = DecisionRecord::DenialInfo{Denial{kind, std::move(reason), std::move(message)}, "s"};
  return r;
}

TEST_CASE("Supabase front door: every decision has its reply, never an error without a message",
          "[adapters][frontdoor][supabase]") {
  supabase::Config config;
  auto allow = supabase::FromDecision(Record(Outcome::kAllow), config);
  CHECK(allow.status == 204);
  CHECK(allow.body.empty());
  CHECK(allow.warning.empty());

  DecisionRecord changed = Record(Outcome::kAllow);
  changed.requested_app_metadata = {{"plan", "free"}};
  auto warned = supabase::FromDecision(changed, config);
  CHECK(warned.status == 204);
  CHECK_THAT(warned.warning, Catch::Contains("cannot apply"));
  config.changes = supabase::Changes::kFail;
  auto failed = supabase::FromDecision(changed, config);
  CHECK(failed.status == 200);
  CHECK(json::parse(failed.body) ==
        json::parse(R"({"error": {"http_code": 500, "message": "Sign-up is temporarily unavailable"}})"));
  config.changes = supabase::Changes::kWarn;

  auto deny = supabase::FromDecision(Denied(Denial::Kind::kAccessDenied, "blocked domain", "Use your work address."), config);
  CHECK(deny.status == 200);
  CHECK(json::parse(deny.body) ==
        json::parse(R"({"error": {"http_code": 403, "message": "Use your work address."}})"));
  auto bare = supabase::FromDecision(Denied(Denial::Kind::kAccessDenied, "internal reason", std::nullopt), config);
  CHECK(json::parse(bare.body)["error"]["message"] == "Sign-up is not allowed");  // not the reason
  auto invalid = supabase::FromDecision(Denied(Denial::Kind::kValidationError, "bad_name", "Tell us your name."), config);
  CHECK(json::parse(invalid.body) ==
        json::parse(R"({"error": {"http_code": 400, "message": "Tell us your name."}})"));
  auto error = supabase::FromDecision(Record(Outcome::kError), config);
  CHECK(error.status == 200);
  CHECK(json::parse(error.body)["error"]["http_code"] == 500);
  CHECK(json::parse(error.body)["error"]["message"] == "Sign-up is temporarily unavailable");

  config.reject_style = supabase::RejectStyle::kStatus;
  auto status = supabase::FromDecision(Denied(Denial::Kind::kAccessDenied, "r", "No."), config);
  CHECK(status.status == 403);
}

// Headers for `body` signed by the standardwebhooks library, as Supabase sends them.
std::vector<std::pair<std::string, std::string>> SignedBy(const TempDir& dir,
                                                          const std::string& body,
                                                          const std::vector<std::string>& secrets,
                                                          int64_t timestamp) {
  std::string args;
  for (const auto& s : secrets) args += " --secret '" + s + "'";
  auto signed_ = testing::Shell(dir, "node '" PREREG_FRONTDOORS_DIR "/sign-supabase.js'" + args +
                                         " --id msg_" + std::to_string(timestamp) +
                                         " --timestamp " + std::to_string(timestamp),
                                body);
  INFO(signed_.err);
  REQUIRE(signed_.code == 0);
  std::vector<std::pair<std::string, std::string>> headers;
  const json signature = json::parse(signed_.out);
  for (const auto& [name, value] : signature.items()) {
    headers.emplace_back(name, value.get<std::string>());
  }
  return headers;
}

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST_CASE("Supabase front door: serve answers requests signed as Supabase signs them",
          "[adapters][frontdoor][supabase][serve]") {
  REQUIRE(std::filesystem::exists(PREREG_FRONTDOORS_DIR "/node_modules/standardwebhooks/package.json"));
  TempDir dir;
  dir.Write("gate.js", testing::Action(
      "if (event.user.email.endsWith('@blocked.example')) return api.access.deny('blocked domain', 'Use your work address.');\n"
      "if (event.connection.strategy !== 'google-oauth2') throw new Error('unexpected strategy ' + event.connection.strategy);\n"
      "if (event.user.email.startsWith('tag')) api.user.setAppMetadata('tagged', true);"));
  const std::string rotated = "v1,whsec_" + std::string("c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24tMzJieXRlcw==");
  testing::ServeProcess serve(dir, {"--flow", "gate.js", "--supabase-secret", kSecret,
                                    "--supabase-secret", rotated});
  testing::HttpClient client(serve.port());
  auto post = [&](const json& payload, const std::vector<std::string>& secrets) {
    const std::string body = payload.dump();
    return client.Send(boost::beast::http::verb::post, std::string(supabase::kPath), body, "",
                       SignedBy(dir, body, secrets, Now()));
  };
  json payload = json::parse(kPayload);

  auto allowed = post(payload, {kSecret});
  CHECK(allowed.result_int() == 204);
  CHECK(allowed.body().empty());
  // Signed with the second secret, joined as Supabase joins several.
  CHECK(post(payload, {"v1,whsec_" + std::string("b3RoZXItc2VjcmV0LW5vdC1jb25maWd1cmVkLTMyYnk="), rotated})
            .result_int() == 204);

  payload["user"]["email"] = "eve@blocked.example";
  auto denied = post(payload, {kSecret});
  REQUIRE(denied.result_int() == 200);
  CHECK(json::parse(denied.body()) ==
        json::parse(R"({"error": {"http_code": 403, "message": "Use your work address."}})"));

  payload["user"]["email"] = "tag@example.com";
  auto changed = post(payload, {kSecret});
  CHECK(changed.result_int() == 204);  // allowed; the metadata it cannot take is logged

  payload["user"]["app_metadata"]["provider"] = "email";  // the flow throws: fail closed
  auto failed = post(payload, {kSecret});
  REQUIRE(failed.result_int() == 200);
  CHECK(json::parse(failed.body())["error"]["http_code"] == 500);
  CHECK(failed.body().find("unexpected strategy") == std::string::npos);

  // A bad signature, or none: 401, and the flow never runs.
  auto forged = client.Send(boost::beast::http::verb::post, std::string(supabase::kPath),
                            payload.dump(), "",
                            SignedBy(dir, payload.dump(), {"v1,whsec_" + std::string("b3RoZXItc2VjcmV0LW5vdC1jb25maWd1cmVkLTMyYnk=")}, Now()));
  CHECK(forged.result_int() == 401);
  auto unsigned_ = client.Send(boost::beast::http::verb::post, std::string(supabase::kPath), payload.dump());
  CHECK(unsigned_.result_int() == 401);
  auto stale = client.Send(boost::beast::http::verb::post, std::string(supabase::kPath),
                           payload.dump(), "", SignedBy(dir, payload.dump(), {kSecret}, Now() - 600));
  CHECK(stale.result_int() == 401);
  // Only the signed front door is served: the plain endpoint has no token to accept.
  CHECK(client.Post(payload.dump(), "").result_int() == 401);

  const auto metrics = client.Get("/metrics").body();
  CHECK_THAT(metrics, Catch::Contains("prereg_frontdoor_decisions_total{frontdoor=\"supabase\",result=\"deny\"} 1"));
  CHECK_THAT(metrics, Catch::Contains("prereg_frontdoor_decisions_total{frontdoor=\"supabase\",result=\"allow\"} 3"));
  CHECK_THAT(metrics, Catch::Contains("prereg_frontdoor_decisions_total{frontdoor=\"supabase\",result=\"error\"} 1"));
  CHECK_THAT(serve.out(), Catch::Contains("\"frontdoor\":\"supabase\"") &&
                              Catch::Contains("\"correlation_id\":\"8b34dcdd-9df1-4c10-850a-b3277c653040\""));
  CHECK_THAT(serve.err(), Catch::Contains("cannot apply"));
}

TEST_CASE("Supabase front door: the execution gets its budget, and an error answer past it",
          "[adapters][frontdoor][supabase][serve]") {
  TempDir dir;
  dir.Write("hang.js", testing::Action("await new Promise(() => {});"));
  testing::ServeProcess serve(dir, {"--flow", "hang.js", "--supabase-secret", kSecret,
                                    "--supabase-timeout-ms", "300", "--timeout-ms", "3000"});
  testing::HttpClient client(serve.port());
  const std::string body = json::parse(kPayload).dump();
  auto late = client.Send(boost::beast::http::verb::post, std::string(supabase::kPath), body, "",
                          SignedBy(dir, body, {kSecret}, Now()));
  REQUIRE(late.result_int() == 200);
  CHECK(json::parse(late.body())["error"]["http_code"] == 500);
  // The execution ran on the front door's budget, not the flow's 3 s: the log says which.
  CHECK_THAT(client.Get("/metrics").body(),
             Catch::Contains("prereg_frontdoor_decisions_total{frontdoor=\"supabase\",result=\"error\"} 1"));
  CHECK_THAT(serve.out(), Catch::Contains("the flow's 300 ms budget"));
  auto refused = testing::Cli(dir, "serve --flow hang.js --listen 127.0.0.1:0 --supabase-secret '" +
                                       kSecret + "' --supabase-timeout-ms 5000");
  CHECK(refused.code == 1);
  CHECK_THAT(refused.err, Catch::Contains("--supabase-timeout-ms must be between 1 and 4999"));
}

TEST_CASE("Supabase front door: off without secrets, and bad secrets stop serve",
          "[adapters][frontdoor][supabase][serve]") {
  TempDir dir;
  dir.Write("gate.js", testing::Action(""));
  dir.Write("tokens", "t0ken\n");
  testing::ServeProcess serve(dir, {"--flow", "gate.js", "--token-file", "tokens"});
  testing::HttpClient client(serve.port());
  auto off = client.Send(boost::beast::http::verb::post, std::string(supabase::kPath), kPayload);
  CHECK(off.result_int() == 404);
  CHECK_THAT(off.body(), Catch::Contains("--supabase-secret"));

  auto bad = testing::Cli(dir, "serve --flow gate.js --listen 127.0.0.1:0 --supabase-secret 'v1,whsec_xyz'");
  CHECK(bad.code == 1);
  CHECK_THAT(bad.err, Catch::Contains("--supabase-secret #1: not a Standard Webhooks secret"));
}

}  // namespace
}  // namespace prereg
