// NodePool: real `node` processes that run the project's runner script (adapters/node/runner.js)
// and execute JavaScript Hooks and Actions one at a time each.
//
// Requests go to a worker's stdin and replies come back on a separate descriptor, so a script
// writing to stdout cannot corrupt the protocol; the worker's stdout and stderr are captured for
// diagnostics. A worker that must be stopped (a missed deadline) is killed and replaced at once
// by a warm spare; a worker that dies is replaced too, and the job it was running fails.
//
// Thread safety: use from the thread running the io_context only.

#ifndef PREREG_ADAPTERS_NODE_POOL_H_
#define PREREG_ADAPTERS_NODE_POOL_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "prereg/actions/status.h"
#include "prereg/actions/step.h"

namespace prereg::adapters {

class NodeWorker;

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
};

// What the pool reports about one job. on_sync answers a synchronous call (api.cache) and
// returns the result; on_done receives the final report; on_failure says why the job could not
// finish (its worker died: `platform` false; no worker could run it: `platform` true).
// Exactly one of on_done and on_failure is called, unless the job is aborted.
struct JobCallbacks {
  std::function<nlohmann::json(const nlohmann::json& msg)> on_sync;
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
  // Returns the job's id.
  uint64_t Submit(std::string request, JobCallbacks callbacks);
  // Drops a queued job, or kills the worker running it. Its callbacks are not called.
  void Abort(uint64_t job);
  // Kills every process. Queued jobs fail as platform errors.
  void Shutdown();

  // Loads `script` (an absolute path) in a worker and reports its kind, or kScriptError with
  // the runner's explanation (file, line, what to do). `generation` numbers a load of the flow:
  // a script loaded under a new generation is evaluated afresh, so a reload sees edited files
  // while executions of the previous generation keep the module they started with.
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
  boost::asio::io_context& io() { return io_; }

 private:
  using Worker = NodeWorker;
  struct Job {
    uint64_t id;
    std::string request;  // a JSON object, without the id
    JobCallbacks callbacks;
  };

  Status SpawnInto(std::vector<std::shared_ptr<Worker>>* list);
  void Dispatch();
  void OnMessage(const std::shared_ptr<Worker>& worker, const nlohmann::json& msg);
  void OnExit(const std::shared_ptr<Worker>& worker, const std::string& why);
  void Replace(const std::shared_ptr<Worker>& gone);
  void FailAll(const std::string& message);

  boost::asio::io_context& io_;
  PoolOptions options_;
  std::vector<std::shared_ptr<Worker>> workers_;
  std::vector<std::shared_ptr<Worker>> spares_;
  std::deque<Job> queue_;
  std::map<uint64_t, std::shared_ptr<Worker>> running_;  // job id -> worker
  std::map<uint64_t, JobCallbacks> jobs_;                 // callbacks of running jobs
  uint64_t next_job_ = 1;
  int restarts_ = 0;
  int failed_starts_ = 0;
  bool shut_down_ = false;
};

}  // namespace prereg::adapters

#endif  // PREREG_ADAPTERS_NODE_POOL_H_
