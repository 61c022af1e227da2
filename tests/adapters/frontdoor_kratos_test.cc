// The Ory Kratos registration web_hook front door: request bodies rendered by Debian's jsonnet
// from the shipped template (examples/kratos/prereg.jsonnet) and a recorded Kratos context, the
// body -> event mapping, one golden reply per decision row (never a 5xx), and `prereg serve`
// answering with bearer and basic auth.

#include <catch2/catch.hpp>

#include "cli_fixture.h"
#include "js_fixture.h"
#include "prereg/actions/event.h"
#include "prereg/adapters/frontdoor_kratos.h"
#include "serve_fixture.h"

namespace prereg {
namespace {

namespace kratos = http::kratos;
using json = nlohmann::json;
using testing::TempDir;

// The body Kratos would send: the shipped template rendered by jsonnet from a recorded context.
std::string Rendered(const TempDir& dir, const std::string& context_file) {
  auto r = testing::Shell(dir, "jsonnet --tla-code-file ctx='" + context_file + "' '" +
                                   PREREG_EXAMPLES_DIR "/kratos/prereg.jsonnet'");
  INFO(r.err);
  REQUIRE(r.code == 0);
  return r.out;
}

const std::string kContext = PREREG_FRONTDOORS_DIR "/kratos-context.json";

TEST_CASE("Kratos front door: the template forwards what a flow reads, never cookies or the CSRF token",
          "[adapters][frontdoor][kratos]") {
  TempDir dir;
  const std::string body = Rendered(dir, kContext);
  CHECK(body.find("MUST-NOT-LEAVE") == std::string::npos);
  auto mapped = kratos::ToEvent(json::parse(body), "acme");
  REQUIRE(mapped.ok());
  const json& e = mapped.value().event;
  CHECK(e["user"]["email"] == "ada@example.com");
  CHECK(e["user"]["given_name"] == "Ada");
  CHECK(e["user"]["family_name"] == "Lovelace");
  CHECK(e["user"]["user_metadata"] == json::object());  // metadata_public null
  CHECK(e["request"]["ip"] == "203.0.113.7");
  CHECK(e["request"]["language"] == "en-GB");
  CHECK(e["request"]["user_agent"] == "Mozilla/5.0");
  CHECK(e["request"]["hostname"] == "auth.example.com");
  CHECK(e["request"]["body"] == json{{"plan", "team"}});  // transient_payload
  CHECK(e["connection"]["strategy"] == "auth0");
  CHECK(e["tenant"]["id"] == "acme");
  CHECK(mapped.value().correlation_id == "9f425a8d-7efc-4768-8f23-7647a74fdf13");
  CHECK(CheckEvent(e).ok());
  CHECK_FALSE(kratos::ToEvent(json::parse(R"({"flow": {}})"), "acme").ok());
}

DecisionRecord Record(Outcome outcome) {
  DecisionRecord r;
  r.outcome = outcome;
  return r;
}

TEST_CASE("Kratos front door: every decision has its reply, and none is a 5xx",
          "[adapters][frontdoor][kratos]") {
  kratos::Config config;
  config.fields = {{"invalid_email", "email"}};
  auto allow = kratos::FromDecision(Record(Outcome::kAllow), config);
  CHECK(allow.status == 200);
  CHECK(allow.body == "{}");  // never an empty 200 body: Kratos fails on it

  DecisionRecord changed = Record(Outcome::kAllow);
  changed.requested_app_metadata = {{"plan", "team"}};
  changed.app_metadata = {{"plan", "team"}, {"kept", 1}};
  auto with_metadata = kratos::FromDecision(changed, config);
  CHECK(json::parse(with_metadata.body) ==
        json::parse(R"({"identity": {"metadata_admin": {"plan": "team", "kept": 1}}})"));
  changed.requested_user_id = "u-42";
  CHECK(json::parse(kratos::FromDecision(changed, config).body)["identity"]["external_id"] == "u-42");

  DecisionRecord deny = Record(Outcome::kDeny);
  deny.denial = DecisionRecord::DenialInfo{Denial{Denial::Kind::kAccessDenied, "internal reason", "Not from there."}, "s"};
  auto denied = kratos::FromDecision(deny, config);
  CHECK(denied.status == 403);
  CHECK(json::parse(denied.body) == json::parse(R"({"messages": [{"instance_ptr": "#/", "messages": [
      {"id": 4000001, "text": "Not from there.", "type": "error", "context": {"reason": "Not from there."}}]}]})"));
  CHECK(denied.body.find("internal reason") == std::string::npos);

  DecisionRecord invalid = Record(Outcome::kDeny);
  invalid.denial = DecisionRecord::DenialInfo{Denial{Denial::Kind::kValidationError, "invalid_email", "Use your work address."}, "s"};
  auto field = kratos::FromDecision(invalid, config);
  CHECK(field.status == 400);
  CHECK(json::parse(field.body)["messages"][0]["instance_ptr"] == "#/traits/email");
  CHECK(json::parse(field.body)["messages"][0]["messages"][0]["context"]["code"] == "invalid_email");

  auto error = kratos::FromDecision(Record(Outcome::kError), config);
  CHECK(error.status == 400);
  CHECK(json::parse(error.body)["messages"][0]["messages"][0]["id"] == 5000001);
}

TEST_CASE("Kratos front door: serve answers the rendered body with bearer or basic auth",
          "[adapters][frontdoor][kratos][serve]") {
  TempDir dir;
  dir.Write("gate.js", testing::Action(
      "if (event.request.body.plan === 'blocked') return api.access.deny('plan', 'That plan is closed.');\n"
      "if (!event.user.email.endsWith('@example.com')) return api.validation.error('invalid_email', 'Use your work address.');\n"
      "api.user.setAppMetadata('plan', event.request.body.plan);"));
  dir.Write("tokens", "kratos-token\n");
  dir.Write("basic", "kratos:s3cret-pass\n");
  testing::ServeProcess serve(dir, {"--flow", "gate.js", "--token-file", "tokens", "--kratos",
                                    "--kratos-basic-auth-file", "basic", "--kratos-field",
                                    "invalid_email=email"});
  testing::HttpClient client(serve.port());
  const std::string path(kratos::kPath);
  auto post = [&](const std::string& body, std::vector<std::pair<std::string, std::string>> headers) {
    return client.Send(boost::beast::http::verb::post, path, body, "", headers);
  };
  const std::string bearer = "Bearer kratos-token";
  const std::string basic = "Basic a3JhdG9zOnMzY3JldC1wYXNz";  // kratos:s3cret-pass

  auto allowed = post(Rendered(dir, kContext), {{"Authorization", bearer}});
  REQUIRE(allowed.result_int() == 200);
  CHECK(json::parse(allowed.body()) == json::parse(R"({"identity": {"metadata_admin": {"plan": "team"}}})"));
  CHECK(post(Rendered(dir, kContext), {{"Authorization", basic}}).result_int() == 200);

  json context = json::parse(testing::ReadAllText(kContext));
  context["flow"]["transient_payload"]["plan"] = "blocked";
  dir.Write("blocked.json", context.dump());
  auto denied = post(Rendered(dir, (dir.path() / "blocked.json").string()), {{"Authorization", bearer}});
  CHECK(denied.result_int() == 403);
  CHECK(json::parse(denied.body())["messages"][0]["messages"][0]["text"] == "That plan is closed.");

  context["flow"]["transient_payload"]["plan"] = "team";
  context["identity"]["traits"]["email"] = "ada@gmail.com";
  context["identity"]["verifiable_addresses"][0]["value"] = "ada@gmail.com";
  dir.Write("personal.json", context.dump());
  auto invalid = post(Rendered(dir, (dir.path() / "personal.json").string()), {{"Authorization", bearer}});
  CHECK(invalid.result_int() == 400);
  CHECK(json::parse(invalid.body())["messages"][0]["instance_ptr"] == "#/traits/email");

  CHECK(post(Rendered(dir, kContext), {}).result_int() == 401);
  CHECK(post(Rendered(dir, kContext), {{"Authorization", "Basic a3JhdG9zOndyb25n"}}).result_int() == 401);
  CHECK(post(Rendered(dir, kContext), {{"Authorization", "Bearer wrong"}}).result_int() == 401);
  // A body that is not the template's is a 4xx, never a 5xx.
  CHECK(post("{\"x\": 1}", {{"Authorization", bearer}}).result_int() == 400);
  CHECK_THAT(client.Get("/metrics").body(),
             Catch::Contains("prereg_frontdoor_decisions_total{frontdoor=\"kratos\",result=\"allow\"} 2"));

  auto refused = testing::Cli(dir, "serve --flow gate.js --listen 127.0.0.1:0 --kratos --supabase-secret 'v1,whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'");
  CHECK(refused.code == 1);
  CHECK_THAT(refused.err, Catch::Contains("--kratos needs a way to authenticate Kratos"));
}

}  // namespace
}  // namespace prereg
