// Hostile files given to the CLI: events, flow files, case files, compare inputs and cache files
// that crashed prereg (deep nesting, invalid UTF-8, numbers out of range) are input errors now.

#include <catch2/catch.hpp>

#include "cli_fixture.h"

namespace prereg {
namespace {

using json = nlohmann::json;
using testing::Action;
using testing::Cli;
using testing::TempDir;

const std::string kDeep = "{\"x\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
const std::string kBadUtf8 = "{\"user\":{\"name\":\"bad\xff\xfe\"},\"request\":{\"body\":{\"password\":\"s3cret\"}}}";
const std::string kHuge = "{\"x\":1e400}";

TEST_CASE("CLI hostile: run refuses events that crashed it, naming file and position",
          "[adapters][cli][hostile]") {
  TempDir dir;
  dir.Write("ok.js", Action("api.user.setAppMetadata('a', 1);"));
  const struct {
    const char* file;
    const std::string& text;
    const char* message;
  } cases[] = {
      {"deep.json", kDeep, "prereg run: deep.json: the event nests arrays and objects deeper than "
                           "128 levels (at line 1, column 133)"},
      {"utf8.json", kBadUtf8, "prereg run: utf8.json: the event is not valid JSON at line 1, "
                              "column 21: syntax error while parsing value - invalid string: "
                              "ill-formed UTF-8 byte"},
      {"huge.json", kHuge, "prereg run: huge.json: the event is not valid JSON at line 1, column 6: "
                           "a number is too large to represent"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.file);
    dir.Write(c.file, c.text);
    auto r = Cli(dir, std::string("run --event ") + c.file + " ok.js");
    CHECK(r.code == 1);
    CHECK(r.err == std::string(c.message) + "\n");
    CHECK(r.err.find("s3cret") == std::string::npos);
    auto piped = Cli(dir, "run --event - ok.js", c.text);
    CHECK(piped.code == 1);
    CHECK_THAT(piped.err, Catch::StartsWith("prereg run: event on stdin: the event"));
  }
}

TEST_CASE("CLI hostile: flow files that do not parse are input errors", "[adapters][cli][hostile]") {
  TempDir dir;
  dir.Write("ok.js", Action(""));
  dir.Write("deep.json", "{\"steps\":" + std::string(5000, '[') + std::string(5000, ']') + "}");
  dir.Write("huge.json", R"({"timeout_ms": 1e999, "steps": [{"script": "ok.js"}]})");
  dir.Write("odd.json", R"({"timeout_ms": 18446744073709551615, "steps": [{"script": "ok.js"}]})");
  auto deep = Cli(dir, "run deep.json");
  CHECK(deep.code == 1);
  CHECK_THAT(deep.err, Catch::Contains("flow file deep.json nests arrays and objects deeper than 128"));
  auto huge = Cli(dir, "run huge.json");
  CHECK(huge.code == 1);
  CHECK_THAT(huge.err, Catch::Contains("flow file huge.json is not valid JSON at line 1, column 16"));
  auto odd = Cli(dir, "run odd.json");
  CHECK(odd.code == 1);
  CHECK_THAT(odd.err, Catch::Contains("timeout_ms must be a positive whole number of ms"));
}

TEST_CASE("CLI hostile: test reports broken case files as failures instead of crashing",
          "[adapters][cli][hostile]") {
  TempDir dir;
  dir.Write("ok.js", Action("api.user.setAppMetadata('a', 1);"));
  dir.Write("deep.case.json", kDeep);
  dir.Write("types.case.json", R"([
    {"name": "message_contains not a string", "steps": ["ok.js"],
     "expect": {"outcome": "error", "error": {"message_contains": 5}}},
    {"name": "denial not an object", "steps": ["ok.js"], "expect": {"denial": "x"}},
    {"name": "inline event of the wrong shape", "steps": ["ok.js"],
     "event": {"tenant": {"id": 5}}, "cache": {"k": "v"}, "expect": {"outcome": "allow"}}
  ])");
  auto r = Cli(dir, "test .");
  CHECK(r.code == 2);
  CHECK_THAT(r.out, Catch::Contains("FAIL ./deep.case.json: deep.case: the case file nests arrays and objects deeper than 128"));
  CHECK_THAT(r.out, Catch::Contains("message_contains not a string: expect.error.message_contains "
                                    "must be a string"));
  CHECK_THAT(r.out, Catch::Contains("denial not an object: expect.denial must be an object"));
  CHECK_THAT(r.out, Catch::Contains("inline event of the wrong shape: \"event\": event.tenant.id "
                                    "must be a string"));
  CHECK_THAT(r.out, Catch::EndsWith("0 passed, 4 failed\n"));
}

TEST_CASE("CLI hostile: compare counts hostile event lines as errors and goes on",
          "[adapters][cli][hostile]") {
  TempDir dir;
  dir.Write("ok.js", Action("api.user.setAppMetadata('a', 1);"));
  dir.Write("events.jsonl", "{\"user\":{}}\n" + kDeep + "\n" + kBadUtf8 + "\n" + kHuge + "\n{\"user\":{}}\n");
  auto r = Cli(dir, "compare --old ok.js --new ok.js --events events.jsonl");
  CHECK(r.code == 1);  // errors, no difference
  CHECK_THAT(r.out, Catch::Contains("ERROR line 2: events.jsonl line 2: the event nests arrays and "
                                    "objects deeper than 128 levels"));
  CHECK_THAT(r.out, Catch::Contains("ERROR line 3: events.jsonl line 3: the event is not valid JSON "
                                    "at line 1, column 21"));
  CHECK_THAT(r.out, Catch::Contains("ERROR line 4: events.jsonl line 4: the event is not valid JSON "
                                    "at line 1, column 6: a number is too large to represent"));
  CHECK_THAT(r.out, Catch::Contains("5 events: 2 equal, 0 different, 3 errors"));
  CHECK(r.out.find("s3cret") == std::string::npos);
}

TEST_CASE("CLI hostile: a damaged cache file is started afresh, whatever it holds",
          "[adapters][cli][hostile]") {
  TempDir dir;
  dir.Write("cache.js", Action("const r = api.cache.get('k');\n"
                               "api.user.setAppMetadata('had', r ? r.value : null);\n"
                               "api.cache.set('k', 'v');"));
  for (const std::string& damaged :
       {kDeep, kBadUtf8, kHuge, std::string(R"({"version":1,"scopes":{"local/pre-user-registration":)"
                                            R"({"k":{"value":5,"expires_at":"soon"}}}})"),
        std::string(R"({"version":1,"scopes":{"local/pre-user-registration":"x"}})")}) {
    dir.Write("cache.json", damaged);
    auto r = Cli(dir, "run --cache file:cache.json cache.js");
    REQUIRE(r.code == 0);
    CHECK(json::parse(r.out)["user"]["app_metadata"]["had"].is_null());
    auto again = Cli(dir, "run --cache file:cache.json cache.js");
    REQUIRE(again.code == 0);
    CHECK(json::parse(again.out)["user"]["app_metadata"]["had"] == "v");
  }
}

TEST_CASE("CLI hostile: run ends a script's step at once for what it wrote, and says what",
          "[adapters][cli][hostile]") {
  TempDir dir;
  dir.Write("garbage.js", Action("require('fs').writeSync(3, 'garbage\\n');\n"
                                 "await new Promise((r) => setTimeout(r, 60000));"));
  dir.Write("lone.js", Action("console.log('half', '😀'.slice(0, 1));\n"
                              "api.user.setUserMetadata('name', '😀'.slice(0, 1));"));
  dir.Write("huge.js", Action("api.user.setAppMetadata('big', 'x'.repeat(100 * 1024 * 1024));"));
  auto garbage = Cli(dir, "run --timeout-ms 60000 garbage.js");
  CHECK(garbage.code == 3);
  CHECK(json::parse(garbage.out)["error"]["message"] ==
        "step \"garbage\" failed: the worker wrote something other than a message on its reply "
        "channel: the line is not valid JSON at line 1, column 1: syntax error while parsing value "
        "- invalid literal; the worker was replaced");
  auto lone = Cli(dir, "run lone.js");
  CHECK(lone.code == 3);
  const auto record = json::parse(lone.out);
  CHECK(record["error"]["class"] == "invalid_api_call");
  CHECK_THAT(record["error"]["message"].get<std::string>(), Catch::Contains("not valid Unicode"));
  CHECK(record["steps"][0]["logs"][0] == "half \xef\xbf\xbd");
  auto huge = Cli(dir, "run huge.js");
  CHECK(huge.code == 3);
  CHECK_THAT(json::parse(huge.out)["error"]["message"].get<std::string>(),
             Catch::Contains("the value is a string of 104857600 bytes: too large to pass"));
}

}  // namespace
}  // namespace prereg
