// Containment (SPEC §8): each script runs in workers of its own, receives only its own step's
// requests, and cannot change what the runner records, whatever built-ins it replaces.

#include <functional>
#include <string>

#include <catch2/catch.hpp>

#include "js_fixture.h"

namespace prereg {
namespace {

using json = nlohmann::json;
using testing::Action;
using testing::Hook;
using testing::JsFixture;

// An Action that, from the moment it loads, records every byte its process receives (through the
// read callback of its request pipe, which it wraps) and every string JSON.parse is given, and
// reports whether it ever saw `needles`.
std::string Spy(const std::vector<std::string>& needles) {
  std::string list;
  for (const auto& n : needles) list += (list.empty() ? "'" : ", '") + n + "'";
  return "const seen = [];\n"
         "const handle = process.stdin._handle;\n"
         "const onread = handle.onread;\n"
         "handle.onread = function (buffer) {\n"
         "  if (buffer) seen.push(Buffer.from(buffer).toString('latin1'));\n"
         "  return onread.apply(this, arguments);\n"
         "};\n"
         "const parse = JSON.parse;\n"
         "JSON.parse = function (t, ...r) { seen.push(String(t)); return parse(t, ...r); };\n" +
         Action("const all = seen.join('\\n') + JSON.stringify(event);\n"
                "for (const n of [" + list + "]) api.user.setAppMetadata('saw ' + n, all.includes(n));");
}

// Loads the one script `tamperer` as a flow and runs three sign-ups of `event`, named "Zoë 0" to
// "Zoë 2": each must be allowed, and `check` is given its record and the name it carried.
void RunTamperer(const std::string& tamperer, nlohmann::json event,
                 const std::function<void(const DecisionRecord&, const std::string&)>& check) {
  JsFixture f;
  auto flow = f.Load({{"tamperer", tamperer}});
  REQUIRE(flow.ok());
  for (int signup = 0; signup < 3; ++signup) {
    const std::string name = "Zoë " + std::to_string(signup);
    event["user"]["name"] = name;
    auto r = f.RunFlow(*flow.value(), event);
    INFO("sign-up " << signup << ": " << (r.error ? r.error->message : std::string()));
    REQUIRE(r.outcome == Outcome::kAllow);
    check(r, name);
  }
}

TEST_CASE("Containment: a script never receives another step's secrets or another's password",
          "[adapters][containment]") {
  JsFixture f;
  const auto spy = Spy({"hook-SECRET-1", "pa55word-9", "spy-SECRET-2"});
  const auto hook = Hook("console.log('hook has', context.webtask.secrets.K, user.password);\n"
                         "cb(null, {user: {app_metadata: {hook_ran: true}}});");
  auto flow = f.Load({{"hook", hook, {{"K", "hook-SECRET-1"}}}, {"spy", spy, {{"S", "spy-SECRET-2"}}}});
  REQUIRE(flow.ok());
  auto event = testing::SampleEvent();
  event["request"]["body"]["password"] = "pa55word-9";
  for (int signup = 0; signup < 3; ++signup) {  // the spy keeps what it saw across sign-ups
    auto r = f.RunFlow(*flow.value(), event);
    REQUIRE(r.outcome == Outcome::kAllow);
    CHECK(r.app_metadata["hook_ran"] == true);
    CHECK(r.app_metadata["saw hook-SECRET-1"] == false);
    CHECK(r.app_metadata["saw pa55word-9"] == false);
    CHECK(r.app_metadata["saw spy-SECRET-2"] == true);  // its own secret: it may see that
    // The Hook itself gets its secret and the password (masked in the record).
    CHECK(r.steps[0].logs == std::vector<std::string>{"hook has [secret] [password]"});
  }
}

TEST_CASE("Containment: steps share workers only for the same script with the same secrets",
          "[adapters][containment]") {
  // One worker per script, so that two steps sharing a script also share its process.
  adapters::PoolOptions one;
  one.workers = 1;
  one.spares = 0;
  JsFixture f(one);
  // Each process counts its executions: two steps in one process set NAME1 and NAME2.
  const auto pid = Action("globalThis.n = (globalThis.n || 0) + 1;\n"
                          "api.user.setAppMetadata(event.secrets.NAME + globalThis.n, process.pid);");
  auto flow = f.Load({{"a", pid, {{"NAME", "a"}}}});
  REQUIRE(flow.ok());
  // The same file three times: twice with the same secrets, once with others.
  const std::string path = (f.dir().path() / "load1" / "a.js").string();
  adapters::FlowSpec spec;
  spec.steps = {{"x", path, {{"NAME", "x"}}, std::nullopt, std::nullopt},
                {"y", path, {{"NAME", "x"}}, std::nullopt, std::nullopt},
                {"z", path, {{"NAME", "z"}}, std::nullopt, std::nullopt}};
  auto shared = adapters::BuildFlow(spec, {}, &f.runtime().pool(), 7);
  REQUIRE(shared.ok());
  auto r = f.RunFlow(*shared.value());
  REQUIRE(r.outcome == Outcome::kAllow);
  CHECK(r.app_metadata["x1"] == r.app_metadata["x2"]);  // same script, same secrets: shared
  CHECK(r.app_metadata["z1"] != r.app_metadata["x1"]);  // other secrets: another process
  CHECK_FALSE(r.app_metadata.contains("z2"));
}

TEST_CASE("Containment: built-ins a script replaces change only its own behaviour",
          "[adapters][containment]") {
  // At load, the attacker replaces what a runner might rely on to read requests, record calls
  // and write replies. Its own calls are still recorded as it made them, and the next step's
  // deny still denies, sign-up after sign-up.
  const std::string attacker =
      "JSON.parse = () => ({t: 'exec', kind: 'action'});\n"
      "JSON.stringify = () => '{\"t\":\"done\",\"calls\":[]}';\n"
      "Array.prototype.push = function () { return this.length; };\n"
      "Object.prototype.toJSON = function () { return {}; };\n"
      "Object.defineProperty(Array.prototype, '0', {set() {}, configurable: true});\n"
      "Map.prototype.set = function () { return this; };\n"
      "Map.prototype.get = function () { return undefined; };\n"
      "Promise.prototype.then = function () { return this; };\n"
      "process.stdout.write = () => true;\n"
      "Function.prototype.apply = function () { return undefined; };\n"
      "Function.prototype.call = function () { return undefined; };\n"
      "RegExp.prototype.exec = () => null;\n"
      "String.prototype.slice = () => '';\n"
      "String.prototype.indexOf = () => -1;\n"
      "Buffer.from = () => Buffer.alloc(0);\n" +
      Action("console.log('attacker ran');\n"
             "api.user.setAppMetadata('attacker', 'recorded');\n"
             "api.access.deny('attacker denies too', 'No');");
  const std::string victim = Hook("cb(new PreUserRegistrationError('victim denies', 'Sorry'));");
  JsFixture f;
  SECTION("the attacker first: its own deny is recorded as made") {
    auto flow = f.Load({{"attacker", attacker}, {"victim", victim}});
    REQUIRE(flow.ok());
    for (int signup = 0; signup < 3; ++signup) {
      auto r = f.RunFlow(*flow.value());
      INFO("sign-up " << signup << ": " << (r.error ? r.error->message : std::string()));
      REQUIRE(r.outcome == Outcome::kDeny);
      CHECK(r.denial->step == "attacker");
      CHECK(r.denial->denial.reason == "attacker denies too");
      CHECK(r.requested_app_metadata == json{{"attacker", "recorded"}});
      CHECK(r.steps[0].logs == std::vector<std::string>{"attacker ran"});
    }
  }
  SECTION("the attacker allows: the victim after it still denies") {
    const std::string allowing = attacker.substr(0, attacker.find("exports.")) +
                                 Action("api.user.setAppMetadata('attacker', 'recorded');");
    auto flow = f.Load({{"attacker", allowing}, {"victim", victim}});
    REQUIRE(flow.ok());
    for (int signup = 0; signup < 3; ++signup) {
      auto r = f.RunFlow(*flow.value());
      INFO("sign-up " << signup << ": " << (r.error ? r.error->message : std::string()));
      REQUIRE(r.outcome == Outcome::kDeny);
      CHECK(r.denial->step == "victim");
      CHECK(r.denial->denial.reason == "victim denies");
      CHECK(r.denial->denial.user_message == "Sorry");
    }
  }
}

TEST_CASE("Containment: a script replacing what decodes bytes still gets every event whole",
          "[adapters][containment]") {
  // The runner reads requests as bytes and decodes each line; a script that replaces the typed
  // arrays' methods and getters, Buffer's and TextDecoder's, must not garble the events its
  // worker receives next. The event is large and multi-byte, so that it arrives in several
  // chunks and a chunk ends inside a character.
  const std::string tamperer =
      "const T = Object.getPrototypeOf(Uint8Array.prototype);\n"
      "T.indexOf = () => -1;\n"
      "T.set = function () {};\n"
      "T.subarray = function () { return new Uint8Array(0); };\n"
      "for (const name of ['length', 'byteLength', 'byteOffset', 'buffer']) {\n"
      "  Object.defineProperty(T, name, {configurable: true,\n"
      "    get() { return name === 'buffer' ? new ArrayBuffer(1) : 1; }});\n"
      "}\n"
      "Buffer.prototype.utf8Slice = () => '';\n"
      "Buffer.prototype.copy = () => 0;\n"
      "Buffer.prototype.toString = () => '';\n"
      "Buffer.allocUnsafeSlow = () => new Uint8Array(1);\n"
      "TextDecoder.prototype.decode = () => '';\n" +
      Action("api.user.setAppMetadata('name', event.user.name);\n"
             "api.user.setAppMetadata('essay_ok', "
             "event.request.body.essay === '\\u00e9\\u{1F600}'.repeat(30000));");
  auto event = testing::SampleEvent();
  std::string essay;
  for (int i = 0; i < 30000; ++i) essay += "\xC3\xA9\xF0\x9F\x98\x80";  // é😀, 180 KB
  event["request"]["body"]["essay"] = essay;
  RunTamperer(tamperer, event, [](const DecisionRecord& r, const std::string& name) {
    CHECK(r.app_metadata["name"] == name);
    CHECK(r.app_metadata["essay_ok"] == true);
  });
}

TEST_CASE("Containment: a script replacing the typed arrays' getters still gets its cache answers",
          "[adapters][containment]") {
  // api.cache answers arrive on a channel of their own, read synchronously (fs.readSync, which
  // checks the buffer's byteLength). A script that makes every typed array claim to hold no
  // bytes, or one, must still get them whole, multi-byte text included.
  const std::string tamperer =
      "const T = Object.getPrototypeOf(Uint8Array.prototype);\n"
      "Object.defineProperty(T, 'byteLength', {configurable: true, get() { return 0; }});\n"
      "Object.defineProperty(T, 'length', {configurable: true, get() { return 1; }});\n"
      "TextDecoder.prototype.decode = () => '';\n" +
      Action(
          "const value = '\\u00e9\\u{1F600}'.repeat(600) + event.user.name;\n"
          "const set = api.cache.set('k', value);\n"
          "api.user.setAppMetadata('set', set.type);\n"
          "api.user.setAppMetadata('same', api.cache.get('k').value === value);\n"
          "api.user.setAppMetadata('deleted', api.cache.delete('k').type);");
  RunTamperer(tamperer, testing::SampleEvent(), [](const DecisionRecord& r, const std::string&) {
    CHECK(r.app_metadata["set"] == "success");
    CHECK(r.app_metadata["same"] == true);
    CHECK(r.app_metadata["deleted"] == "success");
  });
}

TEST_CASE("Containment: a script whose typed arrays claim no length still gets its requests",
          "[adapters][containment]") {
  // Node's streams drop a chunk whose `length` reads 0: had the runner read its requests through
  // process.stdin's stream, this script would stall its own worker until every step timed out.
  const std::string tamperer =
      "const T = Object.getPrototypeOf(Uint8Array.prototype);\n"
      "Object.defineProperty(T, 'length', {configurable: true, get() { return 0; }});\n" +
      Action("api.user.setAppMetadata('seen', event.user.name);");
  RunTamperer(tamperer, testing::SampleEvent(),
              [](const DecisionRecord& r, const std::string& name) {
                CHECK(r.app_metadata["seen"] == name);
              });
}

}  // namespace
}  // namespace prereg
