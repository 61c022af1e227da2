#include "side_by_side.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>

#include <fmt/format.h>

#include "commands.h"
#include "prereg/actions/event.h"
#include "prereg/actions/executor.h"

namespace prereg::cli {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

DescribedDiffs DescribeDiffs(const std::vector<migration::FieldDiff>& diffs, const char* old_label,
                             const char* new_label) {
  DescribedDiffs out{json::object(), ""};
  for (const auto& d : diffs) {
    out.fields[d.path] = {{old_label, d.old_value}, {new_label, d.new_value}};
    out.names += (out.names.empty() ? "" : ", ") + d.path;
  }
  return out;
}

EventSource WithCorrelationId(EventSource s) {
  if (s.event.ok()) {
    const auto& e = s.event.value();
    if (e.contains("transaction") && e["transaction"].is_object() &&
        e["transaction"].value("correlation_id", json()).is_string()) {
      s.id = e["transaction"]["correlation_id"].get<std::string>();
    }
  }
  return s;
}

Result<std::vector<EventSource>> ReadEvents(const std::string& path) {
  std::vector<EventSource> events;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      events.push_back(WithCorrelationId(
          {f.filename().string(), "", "", ShellQuote(f.string()), ReadEvent(f.string())}));
    }
    if (events.empty()) return Status::InvalidArgument(fmt::format("no *.json events in {}", path));
    return events;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(fmt::format("cannot read events file {}", path));
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto parsed = ParseEvent(line);
    events.push_back(WithCorrelationId(
        {fmt::format("line {}", n), "", fmt::format("sed -n '{}p' {} | ", n, ShellQuote(path)), "-",
         parsed.ok() ? Result<json>(parsed.value())
                     : Result<json>(Status::InvalidArgument(
                           fmt::format("{} line {}: {}", path, n, parsed.status().message())))}));
  }
  if (events.empty()) return Status::InvalidArgument(fmt::format("{} holds no events", path));
  return events;
}

std::vector<SideRecords> RunSideBySide(adapters::Runtime& runtime, const Flow& old_flow,
                                       const Flow& new_flow, const std::vector<EventSource>& list,
                                       size_t window,
                                       const std::function<void(size_t, size_t)>& progress) {
  std::vector<SideRecords> results(list.size());
  window = std::max<size_t>(1, window);
  size_t next = 0, done = 0, in_flight = 0;
  auto last_progress = std::chrono::steady_clock::now();
  std::function<void()> launch = [&] {
    while (in_flight < window && next < list.size()) {
      const size_t i = next++;
      if (!list[i].event.ok()) {
        ++done;
        continue;
      }
      in_flight += 1;
      auto pending = std::make_shared<int>(2);
      auto finish_one = [&, pending] {
        if (--*pending > 0) return;
        --in_flight;
        ++done;
        const auto now = std::chrono::steady_clock::now();
        if (now - last_progress > std::chrono::seconds(1)) {
          last_progress = now;
          progress(done, list.size());
        }
        launch();
      };
      // The events passed ParseEvent, so the executor accepts them.
      (void)ExecuteFlow(old_flow, list[i].event.value(), &runtime.scheduler(),
                        [&, i, finish_one](DecisionRecord r) { results[i].old_record = std::move(r); finish_one(); });
      (void)ExecuteFlow(new_flow, list[i].event.value(), &runtime.scheduler(),
                        [&, i, finish_one](DecisionRecord r) { results[i].new_record = std::move(r); finish_one(); });
    }
  };
  launch();
  // Events left without both decisions (the loop ran out of work) are the caller's to report.
  (void)adapters::RunUntil(runtime.io(), [&] { return done == list.size(); });
  return results;
}

}  // namespace prereg::cli
