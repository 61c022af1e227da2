#include "prereg/adapters/http_routes.h"

#include <catch2/catch.hpp>

namespace prereg::http {
namespace {

Request Make(bhttp::verb method, const std::string& target, const std::string& body = "",
             const std::string& auth = "") {
  Request req{method, target, 11};
  if (!auth.empty()) req.set(bhttp::field::authorization, auth);
  req.body() = body;
  req.prepare_payload();
  return req;
}

unsigned Status(const RouteResult& r) {
  if (std::holds_alternative<RunEvent>(r)) return 0;  // to be run
  return std::get<Response>(r).result_int();
}

TEST_CASE("Routes: each request maps to one status or to running the event", "[adapters][http]") {
  const std::vector<std::string> tokens = {"old-token", "new-token"};
  RouteContext ctx;
  ctx.tokens = &tokens;
  ctx.ready = true;
  ctx.render_metrics = [] { return std::string("prereg_x 1\n"); };
  const std::string event = R"({"user": {"email": "a@b.c"}})";
  const struct {
    bhttp::verb method;
    const char* target;
    std::string body, auth;
    unsigned want;
  } cases[] = {
      {bhttp::verb::post, "/v1/pre-user-registration", event, "Bearer old-token", 0},
      {bhttp::verb::post, "/v1/pre-user-registration", event, "Bearer new-token", 0},
      {bhttp::verb::post, "/v1/pre-user-registration?x=1", event, "Bearer new-token", 0},
      {bhttp::verb::post, "/v1/pre-user-registration", event, "", 401},
      {bhttp::verb::post, "/v1/pre-user-registration", event, "Bearer wrong", 401},
      {bhttp::verb::post, "/v1/pre-user-registration", event, "Bearer old-token2", 401},
      {bhttp::verb::post, "/v1/pre-user-registration", event, "Basic old-token", 401},
      {bhttp::verb::post, "/v1/pre-user-registration", "{not json", "Bearer old-token", 400},
      {bhttp::verb::post, "/v1/pre-user-registration", "[1, 2]", "Bearer old-token", 400},
      {bhttp::verb::post, "/v1/pre-user-registration", R"({"user": 5})", "Bearer old-token", 400},
      {bhttp::verb::get, "/v1/pre-user-registration", "", "Bearer old-token", 405},
      {bhttp::verb::get, "/healthz", "", "", 200},
      {bhttp::verb::post, "/healthz", "", "", 405},
      {bhttp::verb::get, "/readyz", "", "", 200},
      {bhttp::verb::get, "/metrics", "", "", 200},
      {bhttp::verb::get, "/", "", "", 404},
      {bhttp::verb::post, "/v2/other", event, "Bearer old-token", 404},
  };
  for (const auto& c : cases) {
    CAPTURE(c.target, c.body, c.auth);
    CHECK(Status(HandleRequest(Make(c.method, c.target, c.body, c.auth), ctx)) == c.want);
  }
}

TEST_CASE("Routes: error bodies are JSON naming the problem", "[adapters][http]") {
  RouteContext ctx;
  auto r = std::get<Response>(
      HandleRequest(Make(bhttp::verb::post, "/v1/pre-user-registration", "{\"user\": "), ctx));
  auto body = nlohmann::json::parse(r.body());
  CHECK(body["error"] == "bad_request");
  CHECK_THAT(body["message"].get<std::string>(), Catch::Contains("not valid JSON"));
  auto m = std::get<Response>(HandleRequest(Make(bhttp::verb::delete_, "/metrics"), ctx));
  CHECK(m[bhttp::field::allow] == "GET");
  const std::vector<std::string> tokens = {"t"};
  ctx.tokens = &tokens;
  auto u = std::get<Response>(
      HandleRequest(Make(bhttp::verb::post, "/v1/pre-user-registration", "{}"), ctx));
  CHECK(u[bhttp::field::www_authenticate] == "Bearer");
}

TEST_CASE("Routes: not ready, shutting down and a full queue give 503 with Retry-After",
          "[adapters][http]") {
  RouteContext ctx;
  ctx.ready = false;
  CHECK(Status(HandleRequest(Make(bhttp::verb::get, "/readyz"), ctx)) == 503);
  ctx.ready = true;
  ctx.in_flight = 10;
  ctx.capacity = 10;
  auto full = HandleRequest(Make(bhttp::verb::post, "/v1/pre-user-registration", "{}"), ctx);
  REQUIRE(Status(full) == 503);
  CHECK(std::get<Response>(full)[bhttp::field::retry_after] == "1");
  ctx.in_flight = 0;
  ctx.accepting = false;
  CHECK(Status(HandleRequest(Make(bhttp::verb::post, "/v1/pre-user-registration", "{}"), ctx)) == 503);
  CHECK(Status(HandleRequest(Make(bhttp::verb::get, "/readyz"), ctx)) == 503);
  CHECK(Status(HandleRequest(Make(bhttp::verb::get, "/healthz"), ctx)) == 200);
}

TEST_CASE("Routes: token comparison is exact", "[adapters][http]") {
  CHECK(ConstantTimeEquals("abc", "abc"));
  CHECK_FALSE(ConstantTimeEquals("abc", "abd"));
  CHECK_FALSE(ConstantTimeEquals("abc", "abcd"));
  CHECK_FALSE(ConstantTimeEquals("", "a"));
  CHECK(ConstantTimeEquals("", ""));
}

}  // namespace
}  // namespace prereg::http
