// `prereg compare` and `prereg events generate`.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "prereg/actions/json.h"

#include "commands.h"
#include "prereg/actions/event.h"
#include "prereg/actions/executor.h"
#include "prereg/adapters/runtime.h"
#include "prereg/migration/compare.h"
#include "prereg/migration/events.h"
#include "side_by_side.h"

namespace prereg::cli {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string SelfPath() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("prereg") : p.string();
}

}  // namespace

int CompareCommand(const CompareArgs& args, std::ostream& out, std::ostream& err) {
  auto fail = [&err](const std::string& message) {
    err << "prereg compare: " << message << "\n";
    return kExitUsage;
  };
  for (const auto& path : args.ignore) {
    json probe = json::object();
    if (!migration::RemovePath(&probe, path)) return fail(fmt::format("--ignore {}: not a path like denial.user_message", path));
  }
  // The same secrets on both sides: each side's steps get them, and mask them alike.
  adapters::SourceOptions sources = args.sources;
  if (Status s = AddSecretArguments(args.secrets, &sources); !s.ok()) return fail(s.message());
  auto old_spec = adapters::ParseStepArguments(args.old_steps, sources);
  if (!old_spec.ok()) return fail("--old: " + old_spec.status().message());
  PrintSourceWarnings(old_spec.value(), "prereg compare: --old", err);
  auto new_spec = adapters::ParseStepArguments(args.new_steps, sources);
  if (!new_spec.ok()) return fail("--new: " + new_spec.status().message());
  PrintSourceWarnings(new_spec.value(), "prereg compare: --new", err);
  auto events = ReadEvents(args.events);
  if (!events.ok()) return fail(events.status().message());

  // Each side has its own cache, unless --cache names a store they share.
  auto open_cache = [&]() -> Result<std::shared_ptr<Cache>> {
    return args.cache_uri.empty() ? Result<std::shared_ptr<Cache>>(std::make_shared<MemoryCache>())
                                  : OpenCacheForCli(args.cache_uri, err);
  };
  auto old_cache = open_cache();
  auto new_cache = open_cache();
  if (!old_cache.ok()) return fail(old_cache.status().message());
  if (!new_cache.ok()) return fail(new_cache.status().message());

  adapters::Runtime runtime(WarningOfLateWork(args.pool, "prereg compare", err));
  if (Status s = runtime.Start(); !s.ok()) return fail(s.message());
  PrintWarnings(runtime.pool(), "prereg compare", err);
  FlowOptions old_options, new_options;
  old_options.cache = old_cache.value();
  new_options.cache = new_cache.value();
  if (old_spec.value().timeout_ms) old_options.timeout_ms = *old_spec.value().timeout_ms;
  if (new_spec.value().timeout_ms) new_options.timeout_ms = *new_spec.value().timeout_ms;
  auto old_flow = runtime.Load(old_spec.value(), old_options);
  if (!old_flow.ok()) return fail("--old: " + old_flow.status().message());
  auto new_flow = runtime.Load(new_spec.value(), new_options);
  if (!new_flow.ok()) return fail("--new: " + new_flow.status().message());

  // Run every event through both sides, as many at a time as the workers can take without a
  // queue: a flow's budget runs while it waits for a worker, so queueing would let load, not
  // the scripts, decide which sign-ups time out. Each script has its own workers, and an event
  // is in one step of each side at a time: workers x executions per worker events fit.
  const auto& list = events.value();
  const auto start = std::chrono::steady_clock::now();
  const auto results = RunSideBySide(
      runtime, *old_flow.value(), *new_flow.value(), list,
      static_cast<size_t>(std::max(1, args.pool.workers)) * static_cast<size_t>(std::max(1, args.pool.concurrency)),
      [&err](size_t done, size_t total) { err << fmt::format("prereg compare: {}/{} events\n", done, total); });
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // A module that cannot be found is a setup error, not a difference: nothing is compared.
  std::set<std::string> missing;
  for (const auto& r : results) {
    if (r.old_record) {
      if (auto m = MissingModule(*r.old_record, old_spec.value())) missing.insert("--old: " + *m);
    }
    if (r.new_record) {
      if (auto m = MissingModule(*r.new_record, new_spec.value())) missing.insert("--new: " + *m);
    }
  }
  if (!missing.empty()) {
    for (const auto& m : missing) err << "prereg compare: " << m << "\n";
    return fail("nothing was compared: install what the scripts require and run again");
  }

  // Compare and report.
  const std::string self = SelfPath();
  auto side = [&](const std::vector<std::string>& steps) {
    std::string s;
    for (const auto& step : steps) {
      s += ' ';
      s += ShellQuote(step);  // not " " + ShellQuote(): GCC 12 warns falsely (-Wrestrict) on it
    }
    return s;
  };
  size_t equal = 0, different = 0, errors = 0;
  json report_diffs = json::array(), report_errors = json::array();
  std::string junit_cases;
  for (size_t i = 0; i < list.size(); ++i) {
    const auto& src = list[i];
    const std::string label = src.where + (src.id.empty() ? "" : " (id " + src.id + ")");
    if (!src.event.ok()) {
      ++errors;
      out << "ERROR " << label << ": " << src.event.status().message() << "\n";
      report_errors.push_back({{"index", i}, {"where", src.where}, {"error", src.event.status().message()}});
      junit_cases += fmt::format("    <testcase name=\"{}\"><error message=\"invalid event\"/></testcase>\n", XmlEscape(label));
      continue;
    }
    if (!results[i].old_record || !results[i].new_record) {  // the event loop stopped early
      ++errors;
      out << "ERROR " << label << ": no decision was reached\n";
      report_errors.push_back({{"index", i}, {"where", src.where}, {"error", "no decision was reached"}});
      continue;
    }
    const auto a = migration::NormalizeRecord(*results[i].old_record, args.ignore);
    const auto b = migration::NormalizeRecord(*results[i].new_record, args.ignore);
    const auto diffs = migration::DiffRecords(a, b);
    if (diffs.empty()) {
      ++equal;
      junit_cases += fmt::format("    <testcase name=\"{}\"/>\n", XmlEscape(label));
      continue;
    }
    ++different;
    const auto [fields, names] = DescribeDiffs(diffs, "old", "new");
    const auto run = [&](const std::vector<std::string>& steps) {
      return fmt::format("{}{} run --event {}{}", src.pipe_prefix, ShellQuote(self), src.event_arg, side(steps));
    };
    const std::string command = fmt::format("diff <({}) <({})", run(args.old_steps), run(args.new_steps));
    out << "DIFF " << label << ": " << names << "\n  " << DumpJson(fields) << "\n  reproduce: " << command << "\n";
    report_diffs.push_back({{"index", i}, {"where", src.where}, {"id", src.id.empty() ? json() : json(src.id)},
                            {"fields", fields}, {"reproduce", command}});
    junit_cases += fmt::format("    <testcase name=\"{}\"><failure message=\"differs in {}\">{}</failure></testcase>\n",
                               XmlEscape(label), XmlEscape(names), XmlEscape(DumpJson(fields)));
  }
  const double rate = seconds > 0 ? static_cast<double>(list.size()) / seconds : 0;
  out << fmt::format("prereg compare: {} events: {} equal, {} different, {} errors ({:.0f} events/s)\n",
                     list.size(), equal, different, errors, rate);
  if (!args.report.empty()) {
    json report = {{"summary", {{"events", list.size()}, {"equal", equal}, {"different", different},
                                {"errors", errors}, {"events_per_second", rate}}},
                   {"compared", "outcome, denial (kind, reason, user_message), error class, created user"},
                   {"ignored", args.ignore},
                   {"differences", report_diffs},
                   {"errors", report_errors}};
    std::ofstream file(args.report, std::ios::binary | std::ios::trunc);
    if (!(file << DumpJson(report, 2) << "\n")) return fail(fmt::format("cannot write {}", args.report));
  }
  if (!args.junit.empty()) {
    std::ofstream file(args.junit, std::ios::binary | std::ios::trunc);
    file << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         << fmt::format("<testsuites tests=\"{}\" failures=\"{}\" errors=\"{}\">\n", list.size(), different, errors)
         << fmt::format("  <testsuite name=\"prereg compare\" tests=\"{}\" failures=\"{}\" errors=\"{}\">\n",
                        list.size(), different, errors)
         << junit_cases << "  </testsuite>\n</testsuites>\n";
    if (!file) return fail(fmt::format("cannot write {}", args.junit));
  }
  if (different > 0) return kExitDeny;
  return errors > 0 ? kExitUsage : kExitAllow;
}

int EventsGenerateCommand(const EventsArgs& args, std::ostream& out, std::ostream& err) {
  if (args.count < 0) {
    err << "prereg events generate: --count must be 0 or more\n";
    return kExitUsage;
  }
  json base = json::object();
  if (!args.base.empty()) {
    auto read = ReadEvent(args.base);
    if (!read.ok()) {
      err << "prereg events generate: " << read.status().message() << "\n";
      return kExitUsage;
    }
    base = std::move(read).value();
  }
  for (int64_t i = 0; i < args.count; ++i) {
    out << DumpJson(migration::GenerateEvent(args.seed, static_cast<uint64_t>(i), base)) << "\n";
  }
  return out ? kExitAllow : kExitUsage;
}

}  // namespace prereg::cli
