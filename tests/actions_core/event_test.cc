#include "prereg/actions/event.h"

#include <initializer_list>

#include <catch2/catch.hpp>

namespace prereg {
namespace {

// An event ParseEvent must refuse, and the whole message it must give.
struct Refusal {
  const char* event;
  const char* message;
};

void CheckRefusals(std::initializer_list<Refusal> cases) {
  for (const auto& c : cases) {
    auto r = ParseEvent(c.event);
    CAPTURE(c.event);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() == c.message);
  }
}

TEST_CASE("Event: syntax errors name line and column", "[actions_core][event]") {
  auto r = ParseEvent("{\n  \"user\": {,\n}");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(r.status().message(), Catch::Contains("not valid JSON") && Catch::Contains("line 2"));
}

TEST_CASE("Event: the event must be an object", "[actions_core][event]") {
  for (const char* text : {"[]", "42", "\"x\"", "null"}) {
    auto r = ParseEvent(text);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Catch::Contains("must be a JSON object"));
  }
}

TEST_CASE("Event: fields the engine reads must have the right types", "[actions_core][event]") {
  CheckRefusals({
      {R"({"user": "ada"})", "event.user must be an object"},
      {R"({"user": {"app_metadata": []}})", "event.user.app_metadata must be an object"},
      {R"({"user": {"user_metadata": 5}})", "event.user.user_metadata must be an object"},
      {R"({"request": []})", "event.request must be an object"},
      {R"({"request": {"body": "x"}})", "event.request.body must be an object"},
      {R"({"request": {"geoip": 1}})", "event.request.geoip must be an object"},
      {R"({"request": {"ip": 1}})", "event.request.ip must be a string"},
      {R"({"request": {"body": {"password": 1}}})", "event.request.body.password must be a string"},
      {R"({"connection": {"strategy": 1}})", "event.connection.strategy must be a string"},
      {R"({"tenant": {"id": false}})", "event.tenant.id must be a string"},
      {R"({"transaction": {"locale": 1}})", "event.transaction.locale must be a string"},
      {R"({"transaction": 1})", "event.transaction must be an object"},
  });
}

TEST_CASE("Event: with several fields wrong, the first in a fixed order is named",
          "[actions_core][event]") {
  CheckRefusals({
      {R"({"transaction": 1, "tenant": [], "user": {"user_metadata": 5, "app_metadata": []}})",
       "event.user.app_metadata must be an object"},
      {R"({"tenant": {"id": 1}, "request": {"ip": "x", "body": {"password": 1}, "geoip": 2}})",
       "event.request.geoip must be an object"},
      {R"({"connection": {"id": 1}, "request": {"language": 2, "ip": "x"}})",
       "event.request.language must be a string"},
      {R"({"transaction": {"locale": 1}, "request": {"ip": "x"}})",
       "event.request.ip must be an IPv4 address (four numbers 0-255: 203.0.113.7) or an IPv6 "
       "address"},
  });
}

TEST_CASE("Event: request.ip must be an IPv4 or IPv6 address", "[actions_core][event]") {
  for (const char* ip : {"203.0.113.7", "0.0.0.0", "255.255.255.255", "2001:db8::1", "::1",
                         "::ffff:192.0.2.1", ""}) {
    CAPTURE(ip);
    CHECK(ParseEvent(nlohmann::json{{"request", {{"ip", ip}}}}.dump()).ok());
  }
  // Three octets (what `events generate` used to write), five, out of range, leading zeros,
  // words, spaces, a port, an IPv6 zone: each refused, without quoting the value.
  for (const char* ip : {"90.84.7", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "localhost",
                         " 1.2.3.4", "1.2.3.4:80", "2001:db8::1::2", "fe80::1%eth0",
                         "1.2.3.4\\u0000"}) {
    CAPTURE(ip);
    auto r = ParseEvent(R"({"request": {"ip": ")" + std::string(ip) + R"("}})");
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(),
               Catch::StartsWith("event.request.ip must be an IPv4 address (four numbers 0-255"));
  }
}

TEST_CASE("Event: unknown fields and null metadata are accepted and kept", "[actions_core][event]") {
  auto r = ParseEvent(
      R"({"user": {"app_metadata": null}, "custom": {"x": [1, 2]}, "transaction": null})");
  REQUIRE(r.ok());
  CHECK(r.value()["custom"]["x"] == nlohmann::json({1, 2}));
}

TEST_CASE("Event: hostile bodies are refused with messages that quote none of their bytes",
          "[actions_core][event]") {
  const std::string deep = "{\"x\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  const struct {
    std::string body;
    std::string message;
  } cases[] = {
      {deep, "the event nests arrays and objects deeper than 128 levels (at line 1, column 133)"},
      {"{\"user\":{\"name\":\"bad\xff\xfe\"},\"request\":{\"body\":{\"password\":\"s3cret\"}}}",
       "the event is not valid JSON at line 1, column 21: syntax error while parsing value - "
       "invalid string: ill-formed UTF-8 byte"},
      {"{\"x\":1e400}", "the event is not valid JSON at line 1, column 6: a number is too large to "
                        "represent"},
      {"{\"request\":{\"body\":{\"password\":\"s3cret\x01\"}}}",
       "the event is not valid JSON at line 1, column 39: syntax error while parsing value - "
       "invalid string: control character U+0001 (SOH) must be escaped to \\u0001"},
  };
  for (const auto& c : cases) {
    auto r = ParseEvent(c.body);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() == c.message);
    CHECK(r.status().message().find("s3cret") == std::string::npos);
  }
}

}  // namespace
}  // namespace prereg
