// Tenant exports (SPEC §9): the YAML reader, deploy-cli's keyword replacement, both export formats
// read into one pipeline, and `run`, `compare`, `test` and `tenant show` on the bundled example
// export (examples/tenant: a Hook, two bound Actions, and what must not run).

#include <filesystem>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "cli_fixture.h"
#include "js_fixture.h"
#include "serve_fixture.h"
#include "prereg/adapters/tenant_export.h"
#include "prereg/adapters/yaml.h"

namespace prereg {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;
using adapters::ParseYaml;
using adapters::ParseYamlOrdered;
using adapters::ReadTenantExport;
using adapters::SourceOptions;
using testing::Cli;
using testing::TempDir;

const std::string kExample = PREREG_EXAMPLES_DIR "/tenant";

// A copy of the example export (both formats, config, secrets) to change.
void CopyExample(const TempDir& dir) {
  fs::copy(kExample, dir.path(), fs::copy_options::recursive);
}

SourceOptions ExampleOptions(const std::string& base) {
  SourceOptions o;
  o.config_path = base + "/config.json";
  o.secrets_file = base + "/secrets.json";
  return o;
}

std::vector<std::string> Names(const std::vector<adapters::ExportScript>& scripts) {
  std::vector<std::string> names;
  for (const auto& s : scripts) names.push_back(s.name);
  return names;
}

void Replace(const std::string& file, const std::string& from, const std::string& to) {
  std::string text = testing::ReadAllText(file);
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
  std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
}

TEST_CASE("YAML reader: scalars resolve as js-yaml's default schema does", "[adapters][yaml]") {
  auto doc = ParseYaml(
      "a: true\nb: False\nc: ~\nd:\ne: 42\nf: -0x1F\ng: 1_000\nh: 1.5e3\ni: '7'\nj: \"true\"\n"
      "k: 1.7.2\nl: yes\nm: !!str 12\nn: .inf\no: |\n  line 1\n  line 2\np: [1, two]\n"
      "q: {r: s}\n",
      "doc");
  REQUIRE(doc.ok());
  const json& d = doc.value();
  CHECK(d["a"] == true);
  CHECK(d["b"] == false);
  CHECK(d["c"].is_null());
  CHECK(d["d"].is_null());
  CHECK(d["e"] == 42);
  CHECK(d["f"] == -31);
  CHECK(d["g"] == 1000);
  CHECK(d["h"] == 1500.0);
  CHECK(d["i"] == "7");
  CHECK(d["j"] == "true");
  CHECK(d["k"] == "1.7.2");
  CHECK(d["l"] == "yes");  // YAML 1.1's booleans are strings in js-yaml 4
  CHECK(d["m"] == "12");
  CHECK(d["n"] == ".inf");  // no infinity in JSON: kept as written
  CHECK(d["o"] == "line 1\nline 2\n");
  CHECK(d["p"] == json::array({1, "two"}));
  CHECK(d["q"] == json{{"r", "s"}});
}

TEST_CASE("YAML reader: anchors, aliases and merge keys work", "[adapters][yaml]") {
  auto doc = ParseYaml("base: &b {x: 1, y: 2}\ncopy: *b\nmerged:\n  <<: *b\n  y: 3\n", "doc");
  REQUIRE(doc.ok());
  CHECK(doc.value()["copy"] == json{{"x", 1}, {"y", 2}});
  CHECK(doc.value()["merged"] == json{{"x", 1}, {"y", 3}});
}

TEST_CASE("YAML reader: hostile documents are errors naming the line, never a crash",
          "[adapters][yaml]") {
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "[";
  auto nested = ParseYaml(deep, "deep.yaml");
  REQUIRE_FALSE(nested.ok());
  CHECK_THAT(nested.status().message(), Catch::Contains("deep.yaml line 1") &&
                                            Catch::Contains("nests deeper than 64 levels"));
  // The billion laughs: each level doubles what an alias expands to.
  std::string laughs = "a0: &a0 [x, x]\n";
  for (int i = 1; i < 40; ++i) {
    laughs += fmt::format("a{}: &a{} [*a{}, *a{}]\n", i, i, i - 1, i - 1);
  }
  auto bomb = ParseYaml(laughs, "laughs.yaml");
  REQUIRE_FALSE(bomb.ok());
  CHECK_THAT(bomb.status().message(), Catch::Contains("more than 1000000 values"));
  auto two = ParseYaml("a: 1\n---\nb: 2\n", "two.yaml");
  REQUIRE_FALSE(two.ok());
  CHECK_THAT(two.status().message(), Catch::Contains("two.yaml line 2") &&
                                         Catch::Contains("more than one document"));
  auto repeated = ParseYaml("a: 1\na: 2\n", "dup.yaml");
  REQUIRE_FALSE(repeated.ok());
  CHECK_THAT(repeated.status().message(), Catch::Contains("repeats the key \"a\""));
  auto bad = ParseYaml("a: [1, 2\nb: 3\n", "bad.yaml");
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.status().message(), Catch::Contains("bad.yaml line") &&
                                         Catch::Contains("not valid YAML"));
  auto alias = ParseYaml("a: *nowhere\n", "alias.yaml");
  REQUIRE_FALSE(alias.ok());
}

TEST_CASE("YAML writer: what it writes reads back equal, strings that look like other types quoted",
          "[adapters][yaml]") {
  const ordered_json doc = ordered_json::parse(R"({
    "plain": "Tag signup source", "path": "./actions/My Action/code.js",
    "looks_bool": "true", "looks_null": "null", "looks_number": "18", "version": "1.7.2",
    "empty": "", "marker": "@@SECRETS@@", "hash": "##PLAN##", "colon": "a: b", "comment": "a #b",
    "quote": "it's", "lines": "one\ntwo", "lead": " x", "dash": "- x", "date": "2026-12-03",
    "n": 18, "f": 1.5, "t": true, "z": null, "list": [], "obj": {},
    "nested": [{"name": "x", "deps": [{"name": "a", "version": "1"}], "more": [[1, 2], ["a"]]}]})");
  const std::string text = adapters::DumpYaml(doc);
  INFO(text);
  auto back = adapters::ParseYamlOrdered(text, "dumped");
  REQUIRE(back.ok());
  CHECK(back.value() == doc);
  CHECK_THAT(text, Catch::Contains("plain: Tag signup source\n") &&
                       Catch::Contains("looks_bool: 'true'\n") &&
                       Catch::Contains("marker: '@@SECRETS@@'\n") &&
                       Catch::Contains("  - name: x\n    deps:\n      - name: a\n"));
  // The bundled tenant.yaml survives a round trip.
  auto example = ParseYamlOrdered(testing::ReadAllText(kExample + "/yaml/tenant.yaml"), "example");
  REQUIRE(example.ok());
  CHECK(ParseYamlOrdered(adapters::DumpYaml(example.value()), "again").value() == example.value());
}

TEST_CASE("Keyword replacement: @@KEY@@ as JSON with its quotes, ##KEY## as text, as deploy-cli",
          "[adapters][tenant]") {
  const ordered_json m = ordered_json::parse(
      R"({"LIST": ["a", "b"], "PLAN": "free", "N": 3, "OBJ": {"k": 1}, "DOLLAR": "x$$y$&z"})");
  CHECK(adapters::ReplaceKeywords("v: '@@LIST@@'", m) == "v: [\"a\",\"b\"]");
  CHECK(adapters::ReplaceKeywords("v: \"@@PLAN@@\"", m) == "v: \"free\"");
  CHECK(adapters::ReplaceKeywords("f(@@N@@, @@OBJ@@)", m) == "f(3, {\"k\":1})");
  CHECK(adapters::ReplaceKeywords("'##PLAN##' ##LIST## ##OBJ## ##N##", m) ==
        "'free' a,b [object Object] 3");
  // String.prototype.replace's patterns: $$ is one $, $& the match.
  CHECK(adapters::ReplaceKeywords("##DOLLAR##", m) == "x$y##DOLLAR##z");
  CHECK(adapters::ReplaceKeywords("##PLAN## ##OTHER##", ordered_json::object()) ==
        "##PLAN## ##OTHER##");
  CHECK(adapters::FindMarkers("a ##ONE## b @@TWO@@ ##ONE## ## not one ## x##y") ==
        std::vector<std::string>{"@@TWO@@", "##ONE##"});
}

TEST_CASE("Tenant export: both formats give the enabled Hook, then the bound Actions in order",
          "[adapters][tenant]") {
  for (const std::string format : {"yaml/tenant.yaml", "directory"}) {
    INFO(format);
    auto t = ReadTenantExport(kExample + "/" + format, ExampleOptions(kExample));
    REQUIRE(t.ok());
    CHECK(t.value().format == (format == "directory" ? "directory" : "yaml"));
    CHECK(Names(t.value().pipeline) ==
          std::vector<std::string>{"deny-disposable", "Tag signup source", "Require audit token"});
    CHECK(t.value().pipeline[0].kind == "hook");
    CHECK(t.value().pipeline[0].secret_names == std::vector<std::string>{"DISPOSABLE_DOMAINS"});
    CHECK(t.value().pipeline[0].secret_values.empty());  // _VALUE_NOT_SHOWN_ is no value
    CHECK(t.value().pipeline[0].runtime == "node18");  // the tenant's sandbox_version
    CHECK(t.value().pipeline[1].runtime == "node18");
    CHECK(t.value().pipeline[1].replaced);  // ##DEFAULT_PLAN## from the config
    CHECK_THAT(t.value().pipeline[1].source, Catch::Contains("setAppMetadata('plan', 'free')"));
    CHECK(Names(t.value().not_run) ==
          std::vector<std::string>{"legacy-gate", "welcome-email", "Login audit", "Unused draft"});
    CHECK(t.value().not_run_why ==
          std::vector<std::string>{"disabled (enabled: false)",
                                   "a Hook of the post-user-registration trigger",
                                   "bound to post-login only", "not bound to any trigger"});
  }
}

TEST_CASE("Tenant export: one command runs a sign-up through either format",
          "[adapters][tenant][cli]") {
  TempDir dir;
  const std::string opts = "--config " + kExample + "/config.json --secrets-file " + kExample +
                           "/secrets.json";
  for (const std::string format : {"yaml/tenant.yaml", "directory"}) {
    INFO(format);
    const std::string path = kExample + "/" + format;
    auto allow = Cli(dir, "run " + opts + " --event " PREREG_EXAMPLES_DIR "/events/signup.json '" +
                              path + "'");
    INFO(allow.err);
    REQUIRE(allow.code == 0);
    const json record = json::parse(allow.out);
    CHECK(record["user"]["app_metadata"] ==
          json{{"plan", "free"}, {"screened_by", "deny-disposable"}});
    CHECK(record["user"]["user_metadata"]["signup_source"] == "Example Web");
    REQUIRE(record["steps"].size() == 3);
    CHECK(record["steps"][0]["name"] == "deny-disposable");
    CHECK(record["steps"][2]["name"] == "Require audit token");
    CHECK(allow.out.find("example-audit-token") == std::string::npos);

    auto deny = Cli(dir, "run " + opts + " --event " PREREG_EXAMPLES_DIR
                         "/events/disposable.json '" + path + "'");
    CHECK(deny.code == 2);
    CHECK(json::parse(deny.out)["denial"]["user_message"] ==
          "Please sign up with a permanent e-mail address.");
  }
}

TEST_CASE("Tenant export: what is missing is listed, every item, with how to give it",
          "[adapters][tenant][cli]") {
  TempDir dir;
  CopyExample(dir);
  auto bare = Cli(dir, "run directory");
  CHECK(bare.code == 1);
  CHECK_THAT(bare.err, Catch::Contains("##DEFAULT_PLAN## in ") &&
                           Catch::Contains("Tag signup source/code.js") &&
                           Catch::Contains("deny-disposable (hook): DISPOSABLE_DOMAINS") &&
                           Catch::Contains("Require audit token (action): AUDIT_TOKEN") &&
                           Catch::Contains("--allow-missing-secrets"));
  // --secret gives a value to the steps that declare that name, and only to them.
  auto given = Cli(dir, "run --config config.json --secret DISPOSABLE_DOMAINS=x.test "
                        "--secret AUDIT_TOKEN=t directory");
  INFO(given.err);
  CHECK(given.code == 0);
  auto allowed = Cli(dir, "run --config config.json --allow-missing-secrets directory");
  CHECK(allowed.code == 3);  // the Action throws without its token: an error outcome, not a crash
  CHECK_THAT(allowed.err, Catch::Contains("--allow-missing-secrets: they are left out"));

  // A declared dependency that is not installed: named, with the command that installs it.
  Replace((dir.path() / "directory/actions/Tag signup source.json").string(),
          "\"dependencies\": []", R"("dependencies": [{"name": "left-pad", "version": "1.3.0"}])");
  auto deps = Cli(dir, "run --config config.json --secrets-file secrets.json directory");
  CHECK(deps.code == 1);
  CHECK_THAT(deps.err, Catch::Contains("Tag signup source (action): the dependency left-pad@1.3.0 "
                                       "is not installed") &&
                           Catch::Contains("npm install --prefix ") &&
                           Catch::Contains(" left-pad@1.3.0"));
  dir.Write("directory/node_modules/left-pad/package.json", R"({"name": "left-pad", "version": "1.3.0"})");
  auto installed = Cli(dir, "run --config config.json --secrets-file secrets.json directory");
  INFO(installed.err);
  CHECK(installed.code == 0);
}

TEST_CASE("Tenant export: refusals name the file and what is wrong", "[adapters][tenant]") {
  TempDir dir;
  CopyExample(dir);
  const std::string yaml = (dir.path() / "yaml/tenant.yaml").string();
  const std::string directory = (dir.path() / "directory").string();
  SourceOptions options = ExampleOptions(dir.path().string());

  SECTION("two enabled Hooks: deploy-cli's message, both names") {
    Replace(yaml, "enabled: false", "enabled: true");
    auto t = ReadTenantExport(yaml, options);
    REQUIRE_FALSE(t.ok());
    CHECK_THAT(t.status().message(),
               Catch::Contains("Only one active hook allowed for \"pre-user-registration\" "
                               "extensibility point. Conflicting hooks: deny-disposable, "
                               "legacy-gate"));
  }
  SECTION("an Action bound but missing") {
    Replace(directory + "/triggers/triggers.json", "\"action_name\": \"Tag signup source\"",
            "\"action_name\": \"Tag signup sources\"");
    auto t = ReadTenantExport(directory, options);
    REQUIRE_FALSE(t.ok());
    CHECK_THAT(t.status().message(),
               Catch::Contains("triggers.json: pre-user-registration[0] binds the Action \"Tag "
                               "signup sources\", which the export does not contain"));
  }
  SECTION("a code path outside the export") {
    dir.Write("outside.js", "exports.onExecutePreUserRegistration = async () => {};");
    Replace(yaml, "code: ./actions/Tag signup source/code.js", "code: ../outside.js");
    auto t = ReadTenantExport(yaml, options);
    REQUIRE_FALSE(t.ok());
    CHECK_THAT(t.status().message(), Catch::Contains("tenant.yaml: actions[2] (Action \"Tag signup "
                                                     "source\"): \"../outside.js\" points outside "
                                                     "the export"));
  }
  SECTION("a marker left without a mapping breaks YAML: the marker is named") {
    Replace(yaml, "runtime: node18", "runtime: @@RUNTIME@@");
    auto t = ReadTenantExport(yaml, options);
    REQUIRE_FALSE(t.ok());
    CHECK_THAT(t.status().message(), Catch::Contains("tenant.yaml line") &&
                                         Catch::Contains("without a mapping: @@RUNTIME@@"));
  }
  SECTION("a wrong type is named with its record") {
    Replace(directory + "/hooks/deny-disposable.json", "\"enabled\": true", "\"enabled\": \"yes\"");
    auto t = ReadTenantExport(directory, options);
    REQUIRE_FALSE(t.ok());
    CHECK_THAT(t.status().message(), Catch::Contains("hooks/deny-disposable.json (Hook "
                                                     "\"deny-disposable\"): enabled must be true or "
                                                     "false"));
  }
  SECTION("deployed: false on a bound Action is a warning") {
    Replace(directory + "/actions/Tag signup source.json", "\"deployed\": true", "\"deployed\": false");
    auto spec = adapters::ExportFlowSpec(directory, options);
    REQUIRE(spec.ok());
    REQUIRE(spec.value().warnings.size() == 1);
    CHECK_THAT(spec.value().warnings[0],
               Catch::Contains("Tag signup source.json: deployed is false: the exported code is "
                               "the Action's draft"));
  }
  SECTION("secret values never appear in messages") {
    dir.Write("secrets.json", R"({"Require audit token": {"AUDIT_TOKEN": "s3cr3t-value", "EXTRA": "s3cr3t-extra"}})");
    auto spec = adapters::ExportFlowSpec(directory, options);
    REQUIRE_FALSE(spec.ok());
    CHECK(spec.status().message().find("s3cr3t") == std::string::npos);
    options.allow_missing_secrets = true;
    auto allowed = adapters::ExportFlowSpec(directory, options);
    REQUIRE(allowed.ok());
    bool warned_extra = false;
    for (const auto& w : allowed.value().warnings) {
      CHECK(w.find("s3cr3t") == std::string::npos);
      warned_extra = warned_extra || w.find("does not declare the secret EXTRA") != std::string::npos;
    }
    CHECK(warned_extra);
    CHECK(allowed.value().steps[2].secrets == std::map<std::string, std::string>{{"AUDIT_TOKEN", "s3cr3t-value"}});
  }
}

TEST_CASE("Tenant export: older layouts, base paths and empty triggers load", "[adapters][tenant]") {
  TempDir dir;
  CopyExample(dir);
  const std::string directory = (dir.path() / "directory").string();
  SourceOptions options = ExampleOptions(dir.path().string());

  SECTION("a code path prefixed with the export folder (deploy-cli before 8.4.2)") {
    Replace(directory + "/actions/Tag signup source.json", "\"./actions/Tag signup source/code.js\"",
            "\"/home/ci/exports/directory/actions/Tag signup source/code.js\"");
    auto t = ReadTenantExport(directory, options);
    REQUIRE(t.ok());
    CHECK(t.value().pipeline[1].script ==
          fs::canonical(directory + "/actions/Tag signup source/code.js").string());
  }
  SECTION("triggers: {} and no hooks: nothing runs, and run says so") {
    std::ofstream(directory + "/triggers/triggers.json") << "{}";
    fs::remove_all(directory + "/hooks");
    auto t = ReadTenantExport(directory, options);
    REQUIRE(t.ok());
    CHECK(t.value().pipeline.empty());
    CHECK(t.value().not_run.size() == 4);
    auto spec = adapters::ExportFlowSpec(directory, options);
    REQUIRE_FALSE(spec.ok());
    CHECK_THAT(spec.status().message(), Catch::Contains("nothing runs at pre-user-registration"));
  }
  SECTION("AUTH0_BASE_PATH anchors tenant.yaml's paths") {
    fs::create_directories(dir.path() / "elsewhere");
    fs::rename(dir.path() / "yaml/tenant.yaml", dir.path() / "elsewhere/tenant.yaml");
    dir.Write("base.json", fmt::format(R"({{"AUTH0_BASE_PATH": "{}", "AUTH0_KEYWORD_REPLACE_MAPPINGS": {{"DEFAULT_PLAN": "pro"}}}})",
                                       (dir.path() / "yaml").string()));
    options.config_path = (dir.path() / "base.json").string();
    auto t = ReadTenantExport((dir.path() / "elsewhere/tenant.yaml").string(), options);
    REQUIRE(t.ok());
    REQUIRE(t.value().pipeline.size() == 3);
    CHECK_THAT(t.value().pipeline[1].source, Catch::Contains("'pro'"));
  }
}

TEST_CASE("CLI tenant show: the pipeline, what does not run and why, secrets and dependencies",
          "[adapters][tenant][cli]") {
  TempDir dir;
  CopyExample(dir);
  auto text = Cli(dir, "tenant show yaml/tenant.yaml --config config.json --secrets-file secrets.json");
  INFO(text.err);
  CHECK(text.code == 0);
  CHECK_THAT(text.out, Catch::Contains("1. deny-disposable (hook)") &&
                           Catch::Contains("2. Tag signup source (action)") &&
                           Catch::Contains("3. Require audit token (action)") &&
                           Catch::Contains("AUDIT_TOKEN (value given)") &&
                           Catch::Contains("runtime: node18 (the tenant's sandbox_version)") &&
                           Catch::Contains("runtime: node22") &&
                           Catch::Contains("legacy-gate (hook): disabled (enabled: false)") &&
                           Catch::Contains("Unused draft (action): not bound to any trigger") &&
                           Catch::Contains("Ready: prereg run"));
  CHECK(text.out.find("example-audit-token") == std::string::npos);

  auto missing = Cli(dir, "tenant show directory --format json");
  CHECK(missing.code == 1);
  const json doc = json::parse(missing.out);
  CHECK(doc["ready"] == false);
  CHECK(doc["pipeline"][0]["secrets"] == json::array({{{"name", "DISPOSABLE_DOMAINS"}, {"has_value", false}}}));
  CHECK(doc["pipeline"][1]["unmapped_markers"].size() == 1);
  CHECK(doc["not_run"][2]["bound_to"] == json::array({"post-login"}));
  CHECK_THAT(doc["problem"].get<std::string>(), Catch::Contains("##DEFAULT_PLAN##"));

  auto unreadable = Cli(dir, "tenant show nowhere.yaml");
  CHECK(unreadable.code == 1);
  CHECK_THAT(unreadable.err, Catch::Contains("nowhere.yaml does not exist"));
}

TEST_CASE("Tenant export: compare and test take exports like any flow source",
          "[adapters][tenant][cli]") {
  TempDir dir;
  CopyExample(dir);
  auto gen = Cli(dir, "events generate --count 20 --seed 5");
  REQUIRE(gen.code == 0);
  dir.Write("events.jsonl", gen.out);
  const std::string opts = "--config config.json --secrets-file secrets.json";
  auto same = Cli(dir, "compare " + opts + " --old yaml/tenant.yaml --new directory --events events.jsonl");
  INFO(same.out << same.err);
  CHECK(same.code == 0);
  CHECK_THAT(same.out, Catch::Contains("20 events: 20 equal"));

  dir.Write("case.json", R"({"name": "export case", "steps": ["yaml/tenant.yaml"],
    "event": {"user": {"email": "x@mailinator.com"}, "request": {"ip": "1.2.3.4"}},
    "expect": {"outcome": "deny"}})");
  auto test = Cli(dir, "test " + opts + " case.json");
  INFO(test.out << test.err);
  CHECK(test.code == 0);
}

TEST_CASE("Tenant export: serve --flow EXPORT gates sign-ups with the export's pipeline",
          "[adapters][tenant][serve]") {
  TempDir dir;
  CopyExample(dir);
  testing::ServeProcess serve(dir, {"--flow", (dir.path() / "directory").string(), "--no-auth",
                                    "--config", (dir.path() / "config.json").string(),
                                    "--secrets-file", (dir.path() / "secrets.json").string()});
  testing::HttpClient client(serve.port());
  auto allow = client.Post(testing::ReadAllText(PREREG_EXAMPLES_DIR "/events/signup.json"), "");
  REQUIRE(allow.result_int() == 200);
  const json record = json::parse(allow.body());
  CHECK(record["outcome"] == "allow");
  CHECK(record["user"]["app_metadata"]["plan"] == "free");
  CHECK(record["steps"][0]["name"] == "deny-disposable");
  auto deny = client.Post(testing::ReadAllText(PREREG_EXAMPLES_DIR "/events/disposable.json"), "");
  REQUIRE(deny.result_int() == 200);
  CHECK(json::parse(deny.body())["outcome"] == "deny");
}

TEST_CASE("Tenant migrate: a whole export becomes a new one, and compare proves it in one command",
          "[adapters][tenant][cli][migrate]") {
  TempDir dir;
  CopyExample(dir);
  auto gen = Cli(dir, "events generate --count 40 --seed 9");
  REQUIRE(gen.code == 0);
  // A deny among them.
  dir.Write("events.jsonl",
            gen.out + json::parse(testing::ReadAllText(PREREG_EXAMPLES_DIR "/events/disposable.json"))
                          .dump() + "\n");
  for (const std::string format : {"yaml", "directory"}) {
    INFO(format);
    const std::string source = format == "yaml" ? "yaml/tenant.yaml" : "directory";
    auto migrated = Cli(dir, "migrate " + source + " -o new-" + format);
    INFO(migrated.err);
    REQUIRE(migrated.code == 0);
    CHECK_THAT(migrated.err, Catch::Contains("Action \"deny-disposable\": bound first") &&
                                 Catch::Contains("Action \"legacy-gate\": not bound"));
    const fs::path out = dir.path() / ("new-" + format);
    auto t = ReadTenantExport(out.string(), ExampleOptions(dir.path().string()));
    REQUIRE(t.ok());
    CHECK(t.value().format == format);
    CHECK(Names(t.value().pipeline) ==
          std::vector<std::string>{"deny-disposable", "Tag signup source", "Require audit token"});
    CHECK(t.value().pipeline[0].kind == "action");
    CHECK(t.value().pipeline[0].runtime == "node22");
    CHECK(t.value().pipeline[0].secret_names == std::vector<std::string>{"DISPOSABLE_DOMAINS"});
    CHECK(t.value().pipeline[0].secret_values.empty());
    CHECK(t.value().pipeline[0].supported_triggers == std::vector<std::string>{"pre-user-registration"});
    for (const auto& s : t.value().not_run) {
      if (s.kind == "hook" && s.trigger == "pre-user-registration") CHECK_FALSE(s.enabled);
    }
    // Markers stay markers: the new export is still a template.
    CHECK_THAT(testing::ReadAllText(out / "actions/Tag signup source/code.js"),
               Catch::Contains("##DEFAULT_PLAN##"));
    const json report = json::parse(testing::ReadAllText(out / "prereg-migration-report.json"));
    CHECK(report["summary"]["hooks"] == 2);
    CHECK(report["hooks"][0]["hook"] == "deny-disposable");
    CHECK(report["hooks"][0]["bound_first"] == true);
    CHECK(report["hooks"][0]["findings"].is_array());

    auto proof = Cli(dir, "compare --config config.json --secrets-file secrets.json --old " +
                              source + " --new new-" + format + " --events events.jsonl");
    INFO(proof.out << proof.err);
    CHECK(proof.code == 0);
    CHECK_THAT(proof.out, Catch::Contains("41 events: 41 equal"));
  }
}

TEST_CASE("Tenant migrate: refusals leave nothing behind", "[adapters][tenant][cli][migrate]") {
  TempDir dir;
  CopyExample(dir);
  auto no_output = Cli(dir, "migrate directory");
  CHECK(no_output.code == 1);
  CHECK_THAT(no_output.err, Catch::Contains("give -o OUTDIR"));

  dir.Write("taken/file", "x");
  auto taken = Cli(dir, "migrate directory -o taken");
  CHECK(taken.code == 1);
  CHECK_THAT(taken.err, Catch::Contains("-o taken: exists and is not an empty folder"));

  auto inside = Cli(dir, "migrate directory -o directory/new");
  CHECK(inside.code == 1);
  CHECK_THAT(inside.err, Catch::Contains("lies inside the export"));

  // A Hook that cannot be converted: exit 1, named, and no new export.
  dir.Write("directory/hooks/deny-disposable.js", "module.exports = function (user, context, cb) {");
  auto broken = Cli(dir, "migrate directory -o new");
  CHECK(broken.code == 1);
  CHECK_THAT(broken.err, Catch::Contains("could not convert the Hook \"deny-disposable\""));
  CHECK_FALSE(fs::exists(dir.path() / "new"));
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    CHECK(entry.path().filename().string().find(".prereg-") == std::string::npos);
  }

  // An Action already named like the Hook.
  fs::copy(dir.path() / "yaml", dir.path() / "clash", fs::copy_options::recursive);
  Replace((dir.path() / "clash/tenant.yaml").string(), "- name: Unused draft", "- name: legacy-gate");
  auto clash = Cli(dir, "migrate clash/tenant.yaml -o new");
  CHECK(clash.code == 1);
  CHECK_THAT(clash.err, Catch::Contains("the Hook \"legacy-gate\" would become an Action of the same name"));
}

// Runs auth0-deploy-cli's own loaders and schema validation on EXPORT (tests/deploy-cli).
testing::CliResult DeployCliCheck(const TempDir& dir, const std::string& export_path,
                                  const std::string& mappings) {
  return testing::Shell(dir, "node '" PREREG_DEPLOY_CLI_DIR "/check-export.js' '" + export_path +
                                 "' --mappings '" + mappings + "'");
}

TEST_CASE("Tenant migrate: auth0-deploy-cli's own loaders accept what migrate writes",
          "[adapters][tenant][migrate][deploy-cli]") {
  REQUIRE(fs::exists(PREREG_DEPLOY_CLI_DIR "/node_modules/auth0-deploy-cli/package.json"));
  TempDir dir;
  CopyExample(dir);
  const std::string mappings = R"({"DEFAULT_PLAN": "free"})";
  for (const std::string source : {"yaml/tenant.yaml", "directory"}) {
    INFO(source);
    const std::string out = (dir.path() / ("new-" + fs::path(source).begin()->string())).string();
    REQUIRE(Cli(dir, "migrate " + source + " -o " + out).code == 0);
    auto loaded = DeployCliCheck(dir, out, mappings);
    INFO(loaded.err);
    REQUIRE(loaded.code == 0);
    const json assets = json::parse(loaded.out);
    json action;
    for (const auto& a : assets["actions"]) {
      if (a["name"] == "deny-disposable") action = a;
    }
    CHECK(action["runtime"] == "node22");
    CHECK(action["deployed"] == true);
    CHECK(action["secrets"] == json::array({{{"name", "DISPOSABLE_DOMAINS"}}}));
    CHECK(action["supported_triggers"] ==
          json::array({{{"id", "pre-user-registration"}, {"version", "v2"}}}));
    CHECK(action["code_bytes"].get<int>() > 0);
    CHECK(assets["triggers"]["pre-user-registration"][0]["action_name"] == "deny-disposable");
    CHECK(assets["triggers"]["pre-user-registration"].size() == 3);
    for (const auto& h : assets["hooks"]) {
      if (h["triggerId"] == "pre-user-registration") CHECK(h["enabled"] == false);
    }
  }
  // The check can fail: an Action without supported_triggers is refused by deploy-cli's schema.
  Replace((dir.path() / "new-directory/actions/deny-disposable.json").string(),
          "\"supported_triggers\"", "\"supported_trigger\"");
  auto refused = DeployCliCheck(dir, (dir.path() / "new-directory").string(), mappings);
  CHECK(refused.code == 1);
  CHECK_THAT(refused.err, Catch::Contains("supported_triggers"));
}

}  // namespace
}  // namespace prereg
