// `prereg test`: hermetic test cases for flows.
//
// A case file holds one case (an object) or several (an array):
//   {"name": "...", "steps": ["hook.js", "flow.json"], "event": {...} | "event.json",
//    "secrets": {"NAME": "value"}, "timeout_ms": N, "cache": {"key": "value"},
//    "expect": {"outcome": "allow|deny|error",
//               "denial": {partial denial}, "error": {partial error, "message_contains": "..."},
//               "user_id": "auth0|...", "app_metadata": {...}, "user_metadata": {...},
//               "requested": {partial requested}, "logs": ["substring", ...]}}
// Paths are relative to the case file. Each case runs on fresh Node workers and a fresh cache,
// so no state leaks from one case to the next (unless --cache names a shared store).

#include <chrono>
#include <filesystem>
#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "prereg/actions/event.h"
#include "prereg/actions/json.h"

#include "commands.h"
#include "prereg/adapters/runtime.h"

namespace prereg::cli {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

struct CaseResult {
  std::string file;
  std::string name;
  std::vector<std::string> failures;
  double seconds = 0;
};

void Subset(const json& want, const json& got, const std::string& path,
            std::vector<std::string>* failures) {
  if (want.is_object() && got.is_object()) {
    for (const auto& [key, value] : want.items()) {
      auto it = got.find(key);
      if (it == got.end()) {
        failures->push_back(fmt::format("{}.{}: expected {}, but it is absent", path, key, DumpJson(value)));
      } else {
        Subset(value, *it, path + "." + key, failures);
      }
    }
    return;
  }
  if (want != got) {
    failures->push_back(fmt::format("{}: expected {}, got {}", path, DumpJson(want), DumpJson(got)));
  }
}

// The members of "expect" that have the wrong type: the case is malformed, whatever the record.
std::vector<std::string> CheckExpectShape(const json& expect) {
  std::vector<std::string> failures;
  for (const auto& [key, want] : expect.items()) {
    if ((key == "denial" || key == "error" || key == "requested") && !want.is_object()) {
      failures.push_back(fmt::format("expect.{} must be an object", key));
    } else if (key == "error" && want.contains("message_contains") &&
               !want["message_contains"].is_string()) {
      failures.push_back("expect.error.message_contains must be a string");
    } else if ((key == "outcome" || key == "user_id") && !want.is_string()) {
      failures.push_back(fmt::format("expect.{} must be a string", key));
    } else if (key == "logs" && !want.is_array()) {
      failures.push_back("expect.logs must be an array of substrings");
    }
  }
  return failures;
}

std::vector<std::string> CheckExpectations(const json& expect, const DecisionRecord& record) {
  std::vector<std::string> failures;
  const json got = json(record.ToJson());
  // The outcome first: when it is wrong, it explains the failures that follow.
  std::vector<std::pair<std::string, json>> ordered;
  if (expect.contains("outcome")) ordered.emplace_back("outcome", expect["outcome"]);
  for (const auto& [key, want] : expect.items()) {
    if (key != "outcome") ordered.emplace_back(key, want);
  }
  for (const auto& [key, want] : ordered) {
    if (key == "outcome") {
      if (got["outcome"] != want) {
        std::string detail;
        if (got.contains("error")) detail = " (" + got["error"]["message"].get<std::string>() + ")";
        if (got.contains("denial")) detail = " (" + got["denial"]["reason"].get<std::string>() + ")";
        failures.push_back(fmt::format("outcome: expected {}, got {}{}", DumpJson(want),
                                       DumpJson(got["outcome"]), detail));
      }
    } else if (key == "denial" || key == "error") {
      if (!got.contains(key)) {
        failures.push_back(fmt::format("{}: expected one, but the outcome is {}", key,
                                       got["outcome"].get<std::string>()));
        continue;
      }
      json partial = want;
      if (key == "error" && want.contains("message_contains")) {
        const auto needle = want["message_contains"].get<std::string>();
        if (got["error"]["message"].get<std::string>().find(needle) == std::string::npos) {
          failures.push_back(fmt::format("error.message: expected it to contain \"{}\", got {}",
                                         needle, DumpJson(got["error"]["message"])));
        }
        partial.erase("message_contains");
      }
      Subset(partial, got[key], key, &failures);
    } else if (key == "user_id" || key == "app_metadata" || key == "user_metadata") {
      if (!got.contains("user")) {
        failures.push_back(fmt::format("{}: expected {}, but the user is not created (outcome {})",
                                       key, DumpJson(want), got["outcome"].get<std::string>()));
      } else if (got["user"].value(key, json()) != want) {
        failures.push_back(fmt::format("user.{}: expected {}, got {}", key, DumpJson(want),
                                       DumpJson(got["user"].value(key, json()))));
      }
    } else if (key == "requested") {
      Subset(want, got["requested"], "requested", &failures);
    } else if (key == "logs") {
      std::vector<std::string> lines;
      for (const auto& s : record.steps) lines.insert(lines.end(), s.logs.begin(), s.logs.end());
      size_t at = 0;
      for (const auto& needle : want) {
        const auto text = needle.is_string() ? needle.get<std::string>() : DumpJson(needle);
        while (at < lines.size() && lines[at].find(text) == std::string::npos) ++at;
        if (at == lines.size()) {
          failures.push_back(fmt::format("logs: no line (in order) contains \"{}\"", text));
          break;
        }
        ++at;
      }
    } else {
      failures.push_back(fmt::format("expect.{}: unknown expectation (use outcome, denial, error, "
                                     "user_id, app_metadata, user_metadata, requested, logs)",
                                     key));
    }
  }
  return failures;
}

// Runs one case; failures describe what did not match or why the case could not run.
// Each case loads its flow anew on `runtime`: its scripts get workers of their own (fresh module
// state), taken from the processes the pool keeps started (PoolOptions::warm).
std::vector<std::string> RunCase(const json& c, const fs::path& dir,
                                 const adapters::SourceOptions& sources, adapters::Runtime& runtime,
                                 const std::shared_ptr<Cache>& shared_cache, std::ostream& err,
                                 bool* setup_error) {
  for (const auto& [key, value] : c.items()) {
    static const std::set<std::string> kKnown = {"name", "steps", "event", "secrets",
                                                 "timeout_ms", "cache", "expect"};
    if (!kKnown.count(key)) return {fmt::format("unknown field \"{}\"", key)};
  }
  if (!c.contains("steps") || !c["steps"].is_array() || c["steps"].empty()) {
    return {"\"steps\" must be a non-empty array of script or flow file paths"};
  }
  if (!c.contains("expect") || !c["expect"].is_object()) return {"\"expect\" must be an object"};
  if (auto malformed = CheckExpectShape(c["expect"]); !malformed.empty()) return malformed;
  std::vector<std::string> steps;
  for (const auto& s : c["steps"]) {
    if (!s.is_string()) return {"\"steps\" must hold paths (strings)"};
    steps.push_back((dir / s.get<std::string>()).string());
  }
  adapters::SourceOptions case_sources = sources;
  auto& secrets = case_sources.secrets;
  if (c.contains("secrets")) {
    if (!c["secrets"].is_object()) return {"\"secrets\" must be an object of strings"};
    for (const auto& [k, v] : c["secrets"].items()) {
      if (!v.is_string()) return {fmt::format("secrets.{} must be a string", k)};
      secrets[k] = v.get<std::string>();
    }
  }
  auto spec = adapters::ParseStepArguments(steps, case_sources);
  if (!spec.ok()) return {spec.status().message()};
  PrintSourceWarnings(spec.value(), "prereg test", err);

  json event = DefaultEvent();
  if (c.contains("event")) {
    if (c["event"].is_string()) {
      auto read = ReadEvent((dir / c["event"].get<std::string>()).string());
      if (!read.ok()) return {read.status().message()};
      event = std::move(read).value();
    } else {
      event = c["event"];
      if (Status s = CheckEvent(event); !s.ok()) return {"\"event\": " + s.message()};
    }
  }
  FlowOptions options;
  options.cache = shared_cache;  // null: a fresh in-memory cache for this case
  if (spec.value().timeout_ms) options.timeout_ms = *spec.value().timeout_ms;
  if (c.contains("timeout_ms")) {
    if (!c["timeout_ms"].is_number_integer() || c["timeout_ms"].get<int64_t>() <= 0) {
      return {"\"timeout_ms\" must be a positive whole number"};
    }
    options.timeout_ms = c["timeout_ms"].get<int64_t>();
  }
  auto flow = runtime.Load(spec.value(), options);
  if (!flow.ok()) return {flow.status().message()};
  if (c.contains("cache")) {
    if (!c["cache"].is_object()) return {"\"cache\" must be an object of key: string value"};
    const int64_t now = runtime.scheduler().UnixMillis();
    const auto& tenant = event.contains("tenant") ? event["tenant"] : json::object();
    const auto scope = CacheScope(tenant.is_object() ? tenant.value("id", "") : "");
    for (const auto& [k, v] : c["cache"].items()) {
      if (!v.is_string()) return {fmt::format("cache.{} must be a string", k)};
      auto r = flow.value()->cache().Set(scope, k, v.get<std::string>(), {}, now);
      if (!r.ok()) return {fmt::format("cache.{}: {}", k, CacheErrorName(*r.error))};
    }
  }
  auto record = runtime.Run(*flow.value(), event);
  if (!record.ok()) return {record.status().message()};
  if (auto missing = MissingModule(record.value(), spec.value())) {
    *setup_error = true;
    return {"setup error: " + *missing};
  }
  return CheckExpectations(c["expect"], record.value());
}

Status WriteJUnit(const std::string& path, const std::vector<CaseResult>& results) {
  size_t failures = 0;
  double total = 0;
  for (const auto& r : results) {
    if (!r.failures.empty()) ++failures;
    total += r.seconds;
  }
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  xml += fmt::format("<testsuites tests=\"{}\" failures=\"{}\" time=\"{:.3f}\">\n", results.size(),
                     failures, total);
  xml += fmt::format("  <testsuite name=\"prereg\" tests=\"{}\" failures=\"{}\" time=\"{:.3f}\">\n",
                     results.size(), failures, total);
  for (const auto& r : results) {
    xml += fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3f}\"", XmlEscape(r.file),
                       XmlEscape(r.name), r.seconds);
    if (r.failures.empty()) {
      xml += "/>\n";
      continue;
    }
    std::string all;
    for (const auto& f : r.failures) all += f + "\n";
    xml += fmt::format(">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                       XmlEscape(r.failures.front()), XmlEscape(all));
  }
  xml += "  </testsuite>\n</testsuites>\n";
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!(out << xml)) return Status::InvalidArgument(fmt::format("cannot write {}", path));
  return Status::OK();
}

}  // namespace

std::string XmlEscape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default:
        if (static_cast<unsigned char>(ch) < 0x20 && ch != '\n' && ch != '\t') {
          out += ' ';
        } else {
          out += ch;
        }
    }
  }
  return out;
}

int TestCommand(const TestArgs& args, std::ostream& out, std::ostream& err) {
  std::vector<fs::path> files;
  for (const auto& c : args.cases) {
    std::error_code ec;
    if (fs::is_directory(c, ec)) {
      std::vector<fs::path> found;
      for (const auto& entry : fs::recursive_directory_iterator(c, ec)) {
        if (entry.is_regular_file() && entry.path().extension() == ".json" &&
            entry.path().filename().string().ends_with(".case.json")) {
          found.push_back(entry.path());
        }
      }
      std::sort(found.begin(), found.end());
      if (found.empty()) {
        err << "prereg test: no *.case.json files under " << c << "\n";
        return kExitUsage;
      }
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(c, ec)) {
      files.emplace_back(c);
    } else {
      err << "prereg test: case file " << c << " does not exist\n";
      return kExitUsage;
    }
  }

  std::shared_ptr<Cache> shared_cache;
  if (!args.cache_uri.empty()) {
    auto cache = OpenCacheForCli(args.cache_uri, err);
    if (!cache.ok()) {
      err << "prereg test: " << cache.status().message() << "\n";
      return kExitUsage;
    }
    shared_cache = cache.value();
  }
  adapters::Runtime runtime(WarningOfLateWork(args.pool, "prereg test", err));
  if (Status s = runtime.Start(); !s.ok()) {
    err << "prereg test: " << s.message() << "\n";
    return kExitUsage;
  }
  PrintWarnings(runtime.pool(), "prereg test", err);
  std::vector<CaseResult> results;
  bool setup_error = false;  // a case could not run as written (a module is missing)
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = ParseJson(text.str(), "the case file");
    std::vector<json> cases;
    if (parsed.ok() && parsed.value().is_object()) {
      cases.push_back(std::move(parsed).value());
    } else if (parsed.ok() && parsed.value().is_array()) {
      cases.assign(parsed.value().begin(), parsed.value().end());
    }
    if (cases.empty()) {
      CaseResult r{file.string(), file.stem().string(),
                   {parsed.ok() ? "must hold a case object or an array of them"
                                : parsed.status().message()},
                   0};
      out << "FAIL " << r.file << ": " << r.name << ": " << r.failures.front() << "\n";
      results.push_back(std::move(r));
    }
    for (size_t i = 0; i < cases.size(); ++i) {
      const auto& c = cases[i];
      CaseResult r{file.string(), "", {}, 0};
      r.name = c.is_object() && c.contains("name") && c["name"].is_string()
                   ? c["name"].get<std::string>()
                   : file.stem().string() + (cases.size() > 1 ? fmt::format("[{}]", i) : "");
      const auto start = std::chrono::steady_clock::now();
      r.failures = c.is_object() ? RunCase(c, file.parent_path(), args.sources, runtime, shared_cache, err,
                                           &setup_error)
                                 : std::vector<std::string>{"a case must be a JSON object"};
      r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      for (const auto& f : r.failures) out << "FAIL " << r.file << ": " << r.name << ": " << f << "\n";
      results.push_back(std::move(r));
    }
  }
  size_t failed = 0;
  for (const auto& r : results) if (!r.failures.empty()) ++failed;
  if (!args.junit_path.empty()) {
    if (Status s = WriteJUnit(args.junit_path, results); !s.ok()) {
      err << "prereg test: " << s.message() << "\n";
      return kExitUsage;
    }
  }
  out << fmt::format("{} passed, {} failed\n", results.size() - failed, failed);
  if (setup_error) {
    err << "prereg test: some cases could not run: a module their scripts require is missing (see "
           "the setup errors above)\n";
    return kExitUsage;
  }
  return failed == 0 ? 0 : kExitDeny;
}

}  // namespace prereg::cli
