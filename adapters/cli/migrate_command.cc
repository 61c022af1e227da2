// `prereg migrate HOOK.js [-o ACTION.js] [--report FILE.json] [--mode rewrite|wrap]`, and
// `prereg migrate EXPORT -o OUTDIR`: a whole tenant export (tenant_migration.h).

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>

#include "prereg/actions/json.h"

#include "commands.h"
#include "prereg/adapters/node_transform.h"
#include "prereg/adapters/runtime.h"
#include "prereg/adapters/tenant_export.h"
#include "prereg/adapters/tenant_migration.h"
#include "prereg/migration/compare.h"
#include "prereg/migration/events.h"
#include "side_by_side.h"

namespace prereg::cli {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr uint64_t kVerifySeed = 1;
constexpr int64_t kMaxVerifyEvents = 100000;

bool EventsGenerated(const std::string& spec) {
  return !spec.empty() && std::all_of(spec.begin(), spec.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The verification events: `spec` generated events (a count), or an events file.
Result<std::vector<EventSource>> VerificationEvents(const std::string& spec) {
  if (!EventsGenerated(spec)) return ReadEvents(spec);
  if (spec.size() > 6 || std::stoll(spec) < 1 || std::stoll(spec) > kMaxVerifyEvents) {
    return Status::InvalidArgument(fmt::format(
        "--verify-events {}: give 1 to {} events, an events file, or --no-verify", spec, kMaxVerifyEvents));
  }
  const auto count = std::stoll(spec);
  std::vector<EventSource> events;
  for (int64_t i = 0; i < count; ++i) {
    events.push_back(WithCorrelationId(
        {fmt::format("generated event {}", i + 1), "",
         fmt::format("prereg events generate --seed {} --count {} | sed -n '{}p' | ", kVerifySeed, count, i + 1), "-",
         migration::GenerateEvent(kVerifySeed, static_cast<uint64_t>(i), json::object())}));
  }
  return events;
}

// Does this error say that the script could not reach what it needs here — a module, the
// network, a service — rather than that it decided? Both sides failing so proves nothing.
bool LacksItsSetting(const std::string& message) {
  for (const char* sign : {"Cannot find module", "ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED",
                           "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "fetch failed",
                           "getaddrinfo", "socket hang up", "timed out"}) {
    if (message.find(sign) != std::string::npos) return true;
  }
  return false;
}

// Runs the Hook (`hook_path`) and its Action (`m->action`, loaded as if at `action_path`, so
// that it requires modules from there) side by side, and turns what differs into findings:
// an error for each set of differing fields, a warning when both failed on some events (a
// comparison that proved nothing there). Only a setup failure is returned as a Status.
// The check's options, before any work: a mistake there is a usage error.
Status CheckVerifyOptions(const MigrateArgs& args) {
  if (args.no_verify) return Status::OK();
  for (const auto& path : args.verify_ignore) {
    json probe = json::object();
    if (!migration::RemovePath(&probe, path)) {
      return Status::InvalidArgument(fmt::format("--verify-ignore {}: not a path like user.app_metadata.signup_ts", path));
    }
  }
  if (args.verify_timeout_ms <= 0) return Status::InvalidArgument("--verify-timeout-ms must be a positive number of ms");
  adapters::SourceOptions sources;
  if (Status s = AddSecretArguments(args.secrets, &sources); !s.ok()) return s;
  return VerificationEvents(args.verify_events).status();
}

Status Verify(const MigrateArgs& args, const std::string& hook_path, const std::string& action_path,
              migration::Migration* m, std::ostream& err) {
  auto events = VerificationEvents(args.verify_events);
  if (!events.ok()) return events.status();
  adapters::SourceOptions sources = args.sources;
  if (Status s = AddSecretArguments(args.secrets, &sources); !s.ok()) return s;
  auto hook_spec = adapters::ParseStepArguments({hook_path}, sources);
  if (!hook_spec.ok()) return hook_spec.status();
  adapters::FlowSpec action_spec;
  adapters::StepSpec action_step = hook_spec.value().steps.at(0);
  action_step.name = fs::path(action_path).stem().string();
  action_step.script = fs::absolute(action_path).string();
  action_step.source = m->action;
  action_spec.steps.push_back(std::move(action_step));

  adapters::Runtime runtime(WarningOfLateWork(args.pool, "prereg migrate", err));
  if (Status s = runtime.Start(); !s.ok()) return s;
  FlowOptions hook_options, action_options;
  hook_options.timeout_ms = action_options.timeout_ms = args.verify_timeout_ms;
  hook_options.cache = std::make_shared<MemoryCache>();
  action_options.cache = std::make_shared<MemoryCache>();
  auto hook = runtime.Load(hook_spec.value(), hook_options);
  if (!hook.ok()) {  // a module it loads at the top is not installed here, say
    m->findings.push_back({"verify-inconclusive", migration::Severity::kWarning, 0, 0,
                           "the Hook does not load here, so the Action was not checked against it: " +
                               hook.status().message(),
                           "check again where the Hook loads (its modules installed beside it)"});
    return Status::OK();
  }
  auto action = runtime.Load(action_spec, action_options);
  if (!action.ok()) {
    m->findings.push_back({"verify-load", migration::Severity::kError, 0, 0,
                           "the Action does not load: " + action.status().message(),
                           "convert with --mode wrap, or fix the Action by hand"});
    return Status::OK();
  }
  const auto& list = events.value();
  err << fmt::format("prereg migrate: checking the Action against the Hook on {} events\n", list.size());
  const auto results = RunSideBySide(
      runtime, *hook.value(), *action.value(), list,
      static_cast<size_t>(std::max(1, args.pool.workers)) * static_cast<size_t>(std::max(1, args.pool.concurrency)),
      [&err](size_t done, size_t total) { err << fmt::format("prereg migrate: {}/{} events\n", done, total); });

  // Differences grouped by the fields that differ: one finding per group, every event in the
  // report.
  struct Group {
    size_t count = 0;
    size_t first = 0;
    json fields;
  };
  std::map<std::string, Group> groups;
  json differences = json::array();
  size_t equal = 0, different = 0, inconclusive = 0, invalid = 0;
  std::string first_failure;
  for (size_t i = 0; i < list.size(); ++i) {
    if (!list[i].event.ok() || !results[i].old_record || !results[i].new_record) {
      ++invalid;
      continue;
    }
    const auto& hook_record = *results[i].old_record;
    const auto& action_record = *results[i].new_record;
    if (hook_record.outcome == Outcome::kError && action_record.outcome == Outcome::kError &&
        hook_record.error && LacksItsSetting(hook_record.error->message)) {
      if (inconclusive++ == 0) {
        first_failure = MissingModule(hook_record, hook_spec.value()).value_or(hook_record.error->message);
      }
      continue;
    }
    const auto diffs = migration::DiffRecords(migration::NormalizeRecord(hook_record, args.verify_ignore),
                                              migration::NormalizeRecord(action_record, args.verify_ignore));
    if (diffs.empty()) {
      ++equal;
      continue;
    }
    ++different;
    auto [fields, names] = DescribeDiffs(diffs, "hook", "action");
    auto& group = groups[names];
    if (group.count++ == 0) {
      group.first = i;
      group.fields = fields;
    }
    differences.push_back({{"where", list[i].where}, {"fields", fields}});
  }
  const bool generated = EventsGenerated(args.verify_events);
  const std::string reproduce = fmt::format(
      "{}prereg compare --old {} --new {} --events {}",
      generated ? fmt::format("prereg events generate --seed {} --count {} > events.jsonl; ", kVerifySeed, list.size()) : "",
      ShellQuote(hook_path), args.output.empty() || args.output == "-" ? "ACTION.js" : ShellQuote(action_path),
      generated ? "events.jsonl" : ShellQuote(args.verify_events));
  for (const auto& [names, group] : groups) {
    m->findings.push_back(
        {"verify-difference", migration::Severity::kError, 0, 0,
         fmt::format("the Action decides differently from the Hook on {} of {} events, in {}; "
                     "first: {}: {}",
                     group.count, list.size(), names, list[group.first].where, DumpJson(group.fields)),
         "fix the Action where the fields differ, or convert with --mode wrap (--verify-ignore "
         "PATH for a field meant to differ between runs, such as a time); reproduce: " + reproduce});
  }
  if (inconclusive > 0) {
    m->findings.push_back(
        {"verify-inconclusive", migration::Severity::kWarning, 0, 0,
         fmt::format("on {} of {} events both the Hook and the Action failed for want of a module "
                     "or a service, so nothing was compared there; the first: {}",
                     inconclusive, list.size(), first_failure),
         "verify where the Hook's services and modules are reachable, or give --verify-events "
         "FILE with events the Hook handles"});
  }
  if (invalid > 0) {
    m->findings.push_back(
        {"verify-events", migration::Severity::kWarning, 0, 0,
         fmt::format("{} of {} verification events are not valid events and were not run", invalid, list.size()),
         "check the events file with prereg run --event"});
  }
  m->verification = {{"events", list.size()}, {"equal", equal}, {"different", different},
                     {"inconclusive", inconclusive}, {"not_run", invalid},
                     {"differences", differences}};
  err << fmt::format("prereg migrate: {} events: {} decided alike, {} differently, {} inconclusive\n",
                     list.size(), equal, different, inconclusive);
  return Status::OK();
}

int MigrateExport(const MigrateArgs& args, std::ostream& err) {
  auto fail = [&err](const std::string& message) {
    err << "prereg migrate: " << message << "\n";
    return kExitUsage;
  };
  if (args.output.empty() || args.output == "-") {
    return fail(fmt::format("{} is a tenant export: give -o OUTDIR, a new folder for the migrated "
                            "export", args.hook));
  }
  if (Status s = CheckVerifyOptions(args); !s.ok()) return fail(s.message());
  adapters::NodeTransformRunner runner(args.pool.node_path);
  const auto mode = args.mode == "wrap" ? migration::Mode::kWrap : migration::Mode::kRewrite;
  auto migrated = adapters::MigrateTenantExport(args.hook, args.output, mode, runner);
  if (!migrated.ok()) return fail(migrated.status().message());
  auto& m = migrated.value();
  for (auto& h : m.hooks) {
    const auto action = fmt::format("{}/actions/{}/code.js", m.output, adapters::ExportFileName(h.name));
    if (!args.no_verify) {
      err << fmt::format("prereg migrate: Hook \"{}\"\n", h.name);
      if (Status s = Verify(args, h.script, action, &h.migration, err); !s.ok()) {
        h.migration.findings.push_back({"verify-not-run", migration::Severity::kWarning, 0, 0,
                                        "the Action was not checked against the Hook: " + s.message(),
                                        "run prereg compare --old on the Hook and --new on the Action "
                                        "with the secrets they need"});
      }
    }
    err << migration::Summary(h.migration, h.script, action);
    err << fmt::format("  Action \"{}\": {}\n", h.name,
                       h.enabled ? "bound first at pre-user-registration; the Hook is disabled"
                                 : "not bound (its Hook was disabled)");
  }
  const auto report = adapters::TenantMigrationReport(m, args.hook, mode);
  if (!args.no_verify) {  // the export's own report, now with what the check found
    std::ofstream file(m.report, std::ios::binary | std::ios::trunc);
    if (!(file << DumpJson(report, 2) << "\n")) return fail(fmt::format("cannot write {}", m.report));
  }
  if (!args.report.empty()) {
    std::ofstream file(args.report, std::ios::binary | std::ios::trunc);
    if (!(file << DumpJson(report, 2) << "\n")) return fail(fmt::format("cannot write {}", args.report));
  }
  err << fmt::format("prereg migrate: wrote the migrated {} export to {} (report: {})\n", m.format,
                     m.output, m.report);
  return m.HasFindingsAboveInfo() ? kExitDeny : kExitAllow;
}

}  // namespace

int MigrateCommand(const MigrateArgs& args, std::ostream& out, std::ostream& err) {
  auto fail = [&err](const std::string& message) {
    err << "prereg migrate: " << message << "\n";
    return kExitUsage;
  };
  if (adapters::IsTenantExport(args.hook)) return MigrateExport(args, err);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(args.hook, ec)) {
    return fail(fmt::format("{} does not exist", args.hook));
  }
  if (Status s = CheckVerifyOptions(args); !s.ok()) return fail(s.message());
  adapters::NodeTransformRunner runner(args.pool.node_path);
  const auto mode = args.mode == "wrap" ? migration::Mode::kWrap : migration::Mode::kRewrite;
  auto migrated = migration::Migrate(args.hook, mode, runner);
  if (!migrated.ok()) return fail(fmt::format("could not convert {}: {}", args.hook, migrated.status().message()));
  auto& m = migrated.value();
  if (args.output.empty() || args.output == "-") {
    out << m.action;
  } else {
    std::ofstream file(args.output, std::ios::binary | std::ios::trunc);
    if (!(file << m.action)) return fail(fmt::format("cannot write {}", args.output));
  }
  if (!args.no_verify) {
    // Without -o the Action is loaded as if beside the Hook, where its modules are.
    const auto action_path = args.output.empty() || args.output == "-"
        ? (fs::path(args.hook).parent_path() / (fs::path(args.hook).stem().string() + ".action.js")).string()
        : args.output;
    if (Status s = Verify(args, args.hook, action_path, &m, err); !s.ok()) {
      return fail(fmt::format("could not check the Action against {}: {} (--no-verify skips the check)",
                              args.hook, s.message()));
    }
  }
  if (!args.report.empty()) {
    std::ofstream file(args.report, std::ios::binary | std::ios::trunc);
    if (!(file << DumpJson(migration::ReportJson(m, args.hook), 2) << "\n")) {
      return fail(fmt::format("cannot write {}", args.report));
    }
  }
  err << migration::Summary(m, args.hook, args.output.empty() ? "stdout" : args.output);
  return m.HasFindingsAboveInfo() ? kExitDeny : kExitAllow;
}

}  // namespace prereg::cli
