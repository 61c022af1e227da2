// Internal to the CLI: running events through two flows side by side, for `compare` and for
// `migrate`'s check of its own work.

#ifndef PREREG_ADAPTERS_CLI_SIDE_BY_SIDE_H_
#define PREREG_ADAPTERS_CLI_SIDE_BY_SIDE_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "prereg/actions/decision.h"
#include "prereg/actions/flow.h"
#include "prereg/actions/status.h"
#include "prereg/adapters/runtime.h"
#include "prereg/migration/compare.h"

namespace prereg::cli {

struct EventSource {
  std::string where;        // "line 17", a file name, or "generated event 3"
  std::string id;           // transaction.correlation_id when the event has one
  std::string pipe_prefix;  // shell text feeding this event to `--event -`, or empty
  std::string event_arg;    // the --event argument: "-" or a quoted file name
  Result<nlohmann::json> event = Status::Internal("not read");
};

// The events of a JSONL file or of a directory of *.json files; an event that does not parse
// is kept with its error, so that it is reported in its place.
Result<std::vector<EventSource>> ReadEvents(const std::string& path);

// Sets `id` from the event's transaction.correlation_id, when it has one.
EventSource WithCorrelationId(EventSource source);

// The two decisions for one event; either is missing when the event loop stopped early.
struct SideRecords {
  std::optional<DecisionRecord> old_record, new_record;
};

// Runs every readable event through both flows, `window` events at a time (no queueing: a
// flow's budget runs while it waits for a worker). `progress(done, total)` is called at most
// once a second.
std::vector<SideRecords> RunSideBySide(adapters::Runtime& runtime, const Flow& old_flow,
                                       const Flow& new_flow, const std::vector<EventSource>& events,
                                       size_t window,
                                       const std::function<void(size_t, size_t)>& progress);

// Differences as JSON ({"path": {<old_label>: ..., <new_label>: ...}}) and as a list of paths
// ("outcome, user.app_metadata.plan").
struct DescribedDiffs {
  nlohmann::json fields;
  std::string names;
};
DescribedDiffs DescribeDiffs(const std::vector<migration::FieldDiff>& diffs, const char* old_label,
                             const char* new_label);

std::string ShellQuote(const std::string& s);

}  // namespace prereg::cli

#endif  // PREREG_ADAPTERS_CLI_SIDE_BY_SIDE_H_
