// NodePool: real `node` processes that run the project's runner (adapters/node/runner.js), each
// loading exactly one script (SPEC §8).
//
// The pool keeps a group of workers per script: one generation of one file with one step's
// secrets (steps that name the same file and the same secrets share a group). A worker receives
// only its own step's requests — its event, its secrets and, for a Hook, the password — so no
// other step's secrets and no other script's code ever reach it. Each group has `workers`
// processes and `spares` started ones waiting to replace a worker that is killed or dies; each
// worker compiles the source the engine read when the group was created, so every worker of a
// flow generation runs the same code whatever the file holds later. A group lives as long as the
// steps that use it: when a reloaded flow replaces the old one, the old groups stop once their
// last execution has ended.
//
// Requests go to a worker's stdin and replies come back on a separate descriptor, so a script
// writing to stdout cannot corrupt the protocol. Replies are read as hostile: a line over
// `max_reply_bytes`, or one that is not a well-formed message, fails the job running on that
// worker at once and the worker is replaced. Jobs go only to workers that have loaded their script,
// and a job is never handed to a worker within 10 ms of its `start_by` time: it stays queued until
// its owner aborts it, so a sign-up whose budget ran out while it waited costs no worker.
//
// Thread safety: use from the thread running the io_context only.

#ifndef PREREG_ADAPTERS_NODE_POOL_H_
#define PREREG_ADAPTERS_NODE_POOL_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "prereg/actions/decision.h"
#include "prereg/actions/status.h"
#include "prereg/actions/step.h"

namespace prereg::adapters {

class WorkerGroup;
struct PoolShared;

// Work a script did after the step it belongs to had ended (see PoolOptions::on_late).
struct LateWork {
  std::string script;
  std::string origin;  // the job's JobCallbacks::origin ("step \"gate\", request r-1"), or
                       // "outside any step" (a timer set at load)
  std::string what;    // "log", "uncaught exception", "unhandled promise rejection", "recycled"
  std::string text;    // the line or error, at most about 1000 characters
};

struct PoolOptions {
  // The node executable, looked up in PATH when it has no slash. Default: "node"
  std::string node_path = "node";
  // The runner script. Default: PREREG_RUNNER_JS, else the one installed beside the sources
  std::string runner_path;
  // Processes executing each script concurrently (per script, not in all). Default: 2
  int workers = 2;
  // Executions one worker runs at once (SPEC §8: module state shared, event and api each
  // execution's own). When a job on a worker that runs others is aborted (its budget ran out),
  // the worker is told to drop it and replaced; if its event loop does not answer within 100 ms
  // (a script blocking it), it is killed, and the other jobs on it fail with a message naming the
  // aborted one. Default: 1
  int concurrency = 1;
  // Started processes kept per script, beyond its groups, for the next group of the same script
  // to take: a flow loaded again (each `prereg test` case, with fresh module state) starts on
  // processes that have already started Node, and its replacements start while it runs. They
  // have not loaded the script. Default: 0
  int warm = 0;
  // Started processes per script kept idle to replace a killed or dead worker at once. Default: 1
  int spares = 1;
  // Memory limit per worker in MiB; 0: none. A worker's resident memory (V8 heap, Buffers,
  // everything) is checked every 50 ms and past the limit the worker is killed: its job fails
  // with "the script ran out of memory". It is also the V8 heap limit (--max-old-space-size),
  // and twice it bounds the worker's private memory outright (RLIMIT_DATA), so that what it
  // allocates between two checks cannot take the machine's. Default: 0 (256 under `prereg serve`)
  int memory_mb = 0;
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
  // The sandbox of SPEC §8 (adapters/node/sandbox.h says what it does and does not stop): a
  // minimal environment, Node's permission model, and no connections to loopback, private or
  // metadata addresses. Default: true
  bool sandbox = true;
  // Variables of prereg's environment that workers get too (with the sandbox). Default: none
  std::vector<std::string> pass_env;
  // Destinations the sandbox lets workers connect to anyway: a CIDR or HOST:PORT. Default: none
  std::vector<std::string> allow_egress;
  // An outbound connection that has not connected by then is aborted (with the sandbox).
  // Default: 10000
  int connect_timeout_ms = 10000;
  // When prereg runs as root, workers run as this user. Default: prereg's own user
  std::string worker_user;
  // A worker is replaced after this many executions, or once it is this old (checked after each
  // execution); 0: never. Default: 0
  int recycle_after_executions = 0;
  int recycle_after_minutes = 0;
  // Hears what a script did after its step ended, or outside any step: a log line, an uncaught
  // exception or an unhandled rejection (SPEC §8: never charged to another sign-up), and the
  // recycling of a worker that kept timers running. Called on the event loop's thread. Default:
  // none (dropped)
  std::function<void(const LateWork&)> on_late;
};

// What the pool reports about one job. on_start says a worker has it now (it may have waited in
// the queue); on_sync gets a synchronous call (api.cache) and answers it by calling `answer` once,
// now or later, while the worker waits; on_done receives the final report; on_failure says why the
// job could not finish (its worker died or broke the protocol: `platform` false; no worker could
// run it: `platform` true). Exactly one of on_done and on_failure is called, unless the job is
// aborted.
struct WorkerMessage;  // a worker's message, decoded (adapters/node/reply.h)

struct JobCallbacks {
  using Answer = std::function<void(nlohmann::json result)>;
  std::function<void()> on_start;
  std::function<void(const WorkerMessage& msg, Answer answer)> on_sync;
  std::function<void(const WorkerMessage& msg)> on_done;
  std::function<void(const std::string& message, bool platform)> on_failure;
  // Who the job is for, in late-work reports: "step \"NAME\"", with the request id if known;
  // and what such a report must not show (the step's secret values, the password).
  std::string origin;
  std::shared_ptr<const SecretMask> mask;
};

// The workers of one script, as NodePool::LoadScriptAsync hands them out. Shared by the steps
// that run the script; when the last holder lets go, its workers are stopped.
class ScriptWorkers {
 public:
  using Clock = std::chrono::steady_clock;
  virtual ~ScriptWorkers() = default;

  // The script's contract, read from its exports when it was loaded.
  virtual StepKind kind() const = 0;
  // Queues a job: `request` is a runner request without its id ({t:'exec', ...}), as JSON text
  // on one line (callers serialise it, so a large event is written once, not copied). A job not
  // handed to a worker by `start_by` never is (its owner aborts it). Returns the job's id.
  virtual uint64_t Submit(std::string request, JobCallbacks callbacks,
                          std::optional<Clock::time_point> start_by = std::nullopt) = 0;
  // Drops a queued job, or kills the worker running it. Its callbacks are not called.
  virtual void Abort(uint64_t job) = 0;
  // The limit of one report of calls and log lines (half of max_reply_bytes).
  virtual size_t max_report_bytes() const = 0;
};

class NodePool {
 public:
  NodePool(boost::asio::io_context& io, PoolOptions options);
  ~NodePool();
  NodePool(const NodePool&) = delete;
  NodePool& operator=(const NodePool&) = delete;

  // Checks that node and the runner can be found and prepares the sandbox: kUnavailable when node
  // cannot run, kInvalidArgument for a bad sandbox option. Workers start when scripts are loaded.
  Status Start();
  // What the operator should know about the sandbox (no permission model, --no-sandbox), one line
  // each; set by Start().
  const std::vector<std::string>& warnings() const;
  // Kills every process. Queued jobs fail as platform errors; later loads fail.
  void Shutdown();

  // Reads `script` (an absolute path), starts its workers (or finds those of a step with the same
  // file, generation and secrets) and reports them once the first has loaded the script, or
  // kScriptError with the runner's explanation (file, line, what to do). `generation` numbers a
  // load of the flow: the source read now is what every worker of the group runs, so a reload sees
  // edited files while executions of the previous generation keep the code they were loaded with.
  using LoadDone = std::function<void(Result<std::shared_ptr<ScriptWorkers>>)>;
  void LoadScriptAsync(const std::string& script, uint64_t generation,
                       const std::map<std::string, std::string>& secrets, LoadDone done);
  // The same with the code given (`source`; nullopt: read `script`), which still runs as `script`
  // (its require, __dirname, node_modules): a tenant export's code with keyword markers replaced.
  void LoadSourceAsync(const std::string& script, std::optional<std::string> source,
                       uint64_t generation, const std::map<std::string, std::string>& secrets,
                       LoadDone done);
  // The same, running io until it answers. REQUIRES: nothing else is running io.
  Result<std::shared_ptr<ScriptWorkers>> LoadScript(
      const std::string& script, uint64_t generation = 0,
      const std::map<std::string, std::string>& secrets = {});

  // Workers of every live script that have loaded their script.
  int ready_workers() const;
  // True when at least one script is loaded and every loaded script has a ready worker (scripts
  // still loading for a reload do not count: the flow serving is the loaded one).
  bool ready() const;
  // Jobs waiting for a worker, over every script.
  size_t queue_depth() const;
  // Workers replaced after being killed or dying, over the pool's life.
  int restarts() const;
  // Executions that failed because another execution on their worker overran, exited or ran out
  // of memory (PoolOptions::concurrency > 1), over the pool's life.
  uint64_t collateral_failures() const;
  const PoolOptions& options() const;
  boost::asio::io_context& io() { return io_; }

 private:
  std::vector<std::shared_ptr<WorkerGroup>> LiveGroups() const;

  boost::asio::io_context& io_;
  std::shared_ptr<PoolShared> shared_;  // options and counters, shared with the groups
  // By file, generation and secrets; expired entries are dropped as they are found.
  mutable std::map<std::string, std::weak_ptr<WorkerGroup>> groups_;
};

}  // namespace prereg::adapters

#endif  // PREREG_ADAPTERS_NODE_POOL_H_
