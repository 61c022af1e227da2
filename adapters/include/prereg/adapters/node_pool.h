// NodePool: real `node` processes that run the project's runner script (adapters/node/runner.js)
// and execute JavaScript Hooks and Actions one at a time each.
//
// Requests go to a worker's stdin and replies come back on a separate descriptor, so a script
// writing to stdout cannot corrupt the protocol; the worker's stdout and stderr are captured for
// diagnostics. A worker that must be stopped (a missed deadline) is killed and replaced at once
// by a warm spare; a worker that dies is replaced too, and the job it was running fails.
//
// Replies are read as hostile: a line over `max_reply_bytes`, or one that is not a well-formed
// message, fails the job running on that worker at once and the worker is replaced. Jobs go only
// to workers that have said they are ready, and a job is never handed to a worker within 10 ms of
// its `start_by` time: it stays queued until its owner aborts it, so a sign-up whose budget ran
// out while it waited costs no worker.
//
// Thread safety: use from the thread running the io_context only.

#ifndef PREREG_ADAPTERS_NODE_POOL_H_
#define PREREG_ADAPTERS_NODE_POOL_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "prereg/actions/status.h"
#include "prereg/actions/step.h"

namespace prereg::adapters {

class NodeWorker;
struct WorkerMessage;

struct PoolOptions {
  // The node executable, looked up in PATH when it has no slash. Default: "node"
  std::string node_path = "node";
  // The runner script. Default: PREREG_RUNNER_JS, else the one installed beside the sources
  std::string runner_path;
  // Processes executing scripts concurrently. Default: 2
  int workers = 2;
  // Started processes kept idle to replace a killed or dead worker at once. Default: 1
  int spares = 1;
  // V8 heap limit per worker in MiB (--max-old-space-size); 0 keeps Node's default. Default: 0
  int max_old_space_mb = 0;
  // After each report a worker polls for its next request this long before sleeping: it saves
  // tens of microseconds per step when requests follow one another, and burns CPU otherwise.
  // Default: 100 (0 under `prereg serve`, where workers share the cores with the service)
  int spin_us = 100;
  // Longest line a worker may write on its reply channel; a longer one fails the job and the
  // worker is replaced. A job's calls and log lines are reported in batches of at most half this
  // (past it the job fails), so a legitimate report never reaches it. Default: 1 MiB
  size_t max_reply_bytes = 1024 * 1024;
  // Largest value one API call may pass, as JSON; a larger one reaches the engine only as its size
  // (an invalid call, or the cache's size error). Default: 256 KiB
  size_t max_value_bytes = 256 * 1024;
};

// What the pool reports about one job. on_start says a worker has it now (it may have waited in
// the queue); on_sync gets a synchronous call (api.cache) and answers it by calling `answer` once,
// now or later, while the worker waits; on_done receives the final report; on_failure says why the
// job could not finish (its worker died or broke the protocol: `platform` false; no worker could
// run it: `platform` true). Exactly one of on_done and on_failure is called, unless the job is
// aborted.
struct JobCallbacks {
  using Answer = std::function<void(nlohmann::json result)>;
  std::function<void()> on_start;
  std::function<void(const nlohmann::json& msg, Answer answer)> on_sync;
  std::function<void(const nlohmann::json& msg)> on_done;
  std::function<void(const std::string& message, bool platform)> on_failure;
};

class NodePool {
 public:
  NodePool(boost::asio::io_context& io, PoolOptions options);
  ~NodePool();
  NodePool(const NodePool&) = delete;
  NodePool& operator=(const NodePool&) = delete;

  // Starts the workers and spares. Returns kUnavailable when node or the runner cannot start.
  Status Start();
  // Queues a job: `request` is a runner request without its id ({t:'load'|'exec', ...}), as
  // JSON text on one line (callers serialise it, so a large event is written once, not copied).
  // A job not handed to a worker by `start_by` never is (its owner aborts it). A job that runs a
  // script loaded with CheckScriptAsync names it with ScriptKey: a worker that has not loaded that
  // generation gets its source first. Returns the job's id.
  using Clock = std::chrono::steady_clock;
  uint64_t Submit(std::string request, JobCallbacks callbacks,
                  std::optional<Clock::time_point> start_by = std::nullopt,
                  std::string script_key = "");
  // Names one generation of a script for Submit.
  static std::string ScriptKey(const std::string& script, uint64_t generation);
  // Drops a queued job, or kills the worker running it. Its callbacks are not called.
  void Abort(uint64_t job);
  // Kills every process. Queued jobs fail as platform errors.
  void Shutdown();

  // Reads `script` (an absolute path), loads it in a worker and reports its kind, or kScriptError
  // with the runner's explanation (file, line, what to do). `generation` numbers a load of the
  // flow: the source read now is what every worker runs for that generation, so a reload sees
  // edited files while executions of the previous generation keep the code they were loaded with,
  // even on a worker that never ran them, and even if the file has been broken since.
  void CheckScriptAsync(const std::string& script, uint64_t generation,
                        std::function<void(Result<StepKind>)> done);
  // The same, running io until it answers. REQUIRES: nothing else is running io.
  Result<StepKind> CheckScript(const std::string& script, uint64_t generation = 0);

  // Workers started and answering.
  int ready_workers() const;
  // Jobs waiting for a worker.
  size_t queue_depth() const { return queue_.size(); }
  // Workers replaced after being killed or dying.
  int restarts() const { return restarts_; }
  const PoolOptions& options() const { return options_; }
  boost::asio::io_context& io() { return io_; }

 private:
  using Worker = NodeWorker;
  struct Job {
    uint64_t id;
    std::string request;  // a JSON object, without the id
    JobCallbacks callbacks;
    std::optional<Clock::time_point> start_by;
    std::string script_key;  // the script generation it runs (or loads), if any
    bool loads = false;      // a CheckScriptAsync job: it loads script_key itself
  };

  Status SpawnInto(std::vector<std::shared_ptr<Worker>>* list);
  void Enqueue(Job job);
  void Dispatch();
  void OnMessage(const std::shared_ptr<Worker>& worker, const WorkerMessage& msg);
  void OnExit(const std::shared_ptr<Worker>& worker, const std::string& why);
  // The worker broke the reply protocol: its job fails with `why` and it is replaced.
  void OnViolation(const std::shared_ptr<Worker>& worker, const std::string& why);
  void Replace(const std::shared_ptr<Worker>& gone);
  void FailAll(const std::string& message);

  boost::asio::io_context& io_;
  PoolOptions options_;
  std::vector<std::shared_ptr<Worker>> workers_;
  std::vector<std::shared_ptr<Worker>> spares_;
  std::deque<Job> queue_;
  std::map<uint64_t, std::shared_ptr<Worker>> running_;  // job id -> worker
  std::map<uint64_t, JobCallbacks> jobs_;                 // callbacks of running jobs
  // ScriptKey -> the runner request that loads that generation's source, quietly. Kept for the
  // pool's life: a reload adds one per script it loads.
  std::map<std::string, std::string> script_loads_;
  uint64_t next_job_ = 1;
  int restarts_ = 0;
  int failed_starts_ = 0;
  bool shut_down_ = false;
};

}  // namespace prereg::adapters

#endif  // PREREG_ADAPTERS_NODE_POOL_H_
