#include "commands.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "prereg/actions/json.h"

#include "prereg/actions/event.h"
#include "prereg/adapters/cache_stores.h"
#include "prereg/adapters/runtime.h"
#include "side_by_side.h"

namespace prereg::cli {

using json = nlohmann::json;

int ExitCodeFor(Outcome outcome) {
  switch (outcome) {
    case Outcome::kAllow: return kExitAllow;
    case Outcome::kDeny: return kExitDeny;
    case Outcome::kError: return kExitError;
  }
  return kExitError;
}

json DefaultEvent() {
  return json::parse(R"({
    "user": {"email": "user@example.com", "user_metadata": {}, "app_metadata": {}},
    "request": {"ip": "127.0.0.1", "method": "POST", "language": "en", "geoip": {}, "body": {}},
    "connection": {"id": "con_local", "name": "Username-Password-Authentication",
                   "strategy": "auth0"},
    "tenant": {"id": "local"}
  })");
}

Result<json> ReadEvent(const std::string& path) {
  std::stringstream text;
  if (path == "-") {
    text << std::cin.rdbuf();
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::NotFound(fmt::format("cannot read event file {}", path));
    text << in.rdbuf();
  }
  auto event = ParseEvent(text.str());
  if (!event.ok()) {
    return Status::InvalidArgument(
        fmt::format("{}: {}", path == "-" ? "event on stdin" : path, event.status().message()));
  }
  return event;
}

void PrintWarnings(const adapters::NodePool& pool, const char* command, std::ostream& err) {
  for (const auto& w : pool.warnings()) err << command << ": warning: " << w << "\n";
}

void PrintSourceWarnings(const adapters::FlowSpec& spec, const char* command, std::ostream& err) {
  for (const auto& w : spec.warnings) err << command << ": warning: " << w << "\n";
}

adapters::PoolOptions WarningOfLateWork(adapters::PoolOptions pool, const char* command,
                                        std::ostream& err) {
  pool.on_late = [command, &err](const adapters::LateWork& late) {
    err << command << ": warning: late work from " << late.origin << " (" << late.script
        << "): " << late.what << ": " << late.text << "\n";
  };
  return pool;
}

Result<std::shared_ptr<Cache>> OpenCacheForCli(const std::string& uri, std::ostream& err) {
  return adapters::OpenCache(uri, [&err](const std::string& line) { err << "prereg: " << line << "\n"; });
}

std::string RenderText(const DecisionRecord& r) {
  std::string out;
  auto j = r.ToJson();
  switch (r.outcome) {
    case Outcome::kAllow: out += "ALLOW\n"; break;
    case Outcome::kDeny:
      out += fmt::format("DENY ({}) by step \"{}\"\n", j["denial"]["kind"].get<std::string>(),
                         r.denial->step);
      out += fmt::format("  reason:       {}\n", r.denial->denial.reason);
      out += fmt::format("  user message: {}\n", r.denial->denial.user_message.value_or("(none)"));
      break;
    case Outcome::kError:
      out += fmt::format("ERROR ({}) in step \"{}\"\n  {}\n", ErrorClassName(r.error->error_class),
                         r.error->step, r.error->message);
      break;
  }
  out += "steps:\n";
  for (const auto& s : r.steps) {
    out += fmt::format("  {:<24} {:<6} {:<8} {:>9.3f} ms\n", s.name, StepKindName(s.kind),
                       StepStatusName(s.status), s.duration_ms);
    for (const auto& line : s.logs) out += fmt::format("    | {}\n", line);
  }
  if (r.outcome == Outcome::kAllow) {
    if (r.user_id) out += fmt::format("user_id:       {}\n", *r.user_id);
    out += fmt::format("app_metadata:  {}\n", DumpJson(j["user"]["app_metadata"]));
    out += fmt::format("user_metadata: {}\n", DumpJson(j["user"]["user_metadata"]));
  } else if (!r.requested_app_metadata.empty() || !r.requested_user_metadata.empty() ||
             r.requested_user_id) {
    out += fmt::format("requested, not applied: {}\n", DumpJson(j["requested"]));
  }
  return out;
}

std::optional<std::string> MissingModule(const DecisionRecord& record, const adapters::FlowSpec& spec) {
  if (record.outcome != Outcome::kError || !record.error) return std::nullopt;
  static constexpr std::string_view kSign = "Cannot find module '";
  const auto& message = record.error->message;
  const auto at = message.find(kSign);
  if (at == std::string::npos) return std::nullopt;
  const auto end = message.find('\'', at + kSign.size());
  if (end == std::string::npos) return std::nullopt;
  const std::string module = message.substr(at + kSign.size(), end - at - kSign.size());
  std::string script = record.error->step;
  for (const auto& step : spec.steps) {
    if (step.name == record.error->step) script = step.script;
  }
  const auto dir = std::filesystem::path(script).parent_path().string();
  if (module.empty() || module[0] == '.' || module[0] == '/') {
    return fmt::format("step \"{}\" ({}) requires {}, which does not exist", record.error->step, script,
                       module);
  }
  // The package: "x" of "x/sub", "@scope/x" of "@scope/x/sub".
  auto slash = module.find('/', module[0] == '@' ? module.find('/') + 1 : 0);
  const auto package = module.substr(0, slash);
  return fmt::format("step \"{}\" ({}) requires '{}', which is not installed where the script can load "
                     "it: run  cd {} && npm install {}",
                     record.error->step, script, module, ShellQuote(dir.empty() ? "." : dir), ShellQuote(package));
}

Status AddSecretArguments(const std::vector<std::string>& texts, adapters::SourceOptions* sources) {
  for (const auto& text : texts) {
    auto secret = adapters::ParseSecret(text);
    if (!secret.ok()) return secret.status();
    sources->secrets[secret.value().first] = secret.value().second;
  }
  return Status::OK();
}

int RunCommand(const RunArgs& args, std::ostream& out, std::ostream& err) {
  auto fail = [&err](const Status& s) {
    err << "prereg run: " << s.message() << "\n";
    return kExitUsage;
  };
  adapters::SourceOptions sources = args.sources;
  if (Status s = AddSecretArguments(args.secrets, &sources); !s.ok()) return fail(s);
  if (args.timeout_ms && *args.timeout_ms <= 0) {
    return fail(Status::InvalidArgument("--timeout-ms must be a positive number of ms"));
  }
  auto spec = adapters::ParseStepArguments(args.steps, sources);
  if (!spec.ok()) return fail(spec.status());
  PrintSourceWarnings(spec.value(), "prereg run", err);
  json event = DefaultEvent();
  if (!args.event_path.empty()) {
    auto read = ReadEvent(args.event_path);
    if (!read.ok()) return fail(read.status());
    event = std::move(read).value();
  }
  auto cache = OpenCacheForCli(args.cache_uri, err);
  if (!cache.ok()) return fail(cache.status());

  adapters::Runtime runtime(WarningOfLateWork(args.pool, "prereg run", err));
  Status started = runtime.Start();
  if (started.code() == StatusCode::kInvalidArgument) return fail(started);  // a sandbox option
  if (started.ok()) PrintWarnings(runtime.pool(), "prereg run", err);
  if (Status s = started; !s.ok()) {
    // The engine itself cannot run: an error outcome, not a usage error (SPEC §2).
    DecisionRecord record;
    record.outcome = Outcome::kError;
    record.error = DecisionRecord::ErrorInfo{ErrorClass::kPlatformError, s.message(), ""};
    err << "prereg run: " << s.message() << "\n";
    out << (args.format == "text" ? RenderText(record) : DumpJson(record.ToJson(), 2) + "\n");
    return kExitError;
  }
  FlowOptions options;
  options.timeout_ms = args.timeout_ms.value_or(spec.value().timeout_ms.value_or(options.timeout_ms));
  options.cache = cache.value();
  auto flow = runtime.Load(spec.value(), options);
  if (!flow.ok()) return fail(flow.status());
  auto record = runtime.Run(*flow.value(), event);
  if (!record.ok()) return fail(record.status());
  out << (args.format == "text" ? RenderText(record.value())
                                : DumpJson(record.value().ToJson(), 2) + "\n");
  if (auto missing = MissingModule(record.value(), spec.value())) {
    return fail(Status::NotFound(*missing));
  }
  return ExitCodeFor(record.value().outcome);
}

}  // namespace prereg::cli
