// Internal to the Node pool: the workers of one script (see node_pool.h) and their job queue.
// Use on the event loop's thread.

#ifndef PREREG_ADAPTERS_NODE_WORKER_GROUP_H_
#define PREREG_ADAPTERS_NODE_WORKER_GROUP_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "prereg/adapters/node_pool.h"
#include "sandbox.h"

namespace prereg::adapters {

class NodeWorker;
struct WorkerMessage;

// What every group of a pool shares: the options and the pool-wide counters.
struct PoolShared {
  explicit PoolShared(boost::asio::io_context& io_context, PoolOptions pool_options)
      : io(io_context), options(std::move(pool_options)) {}
  boost::asio::io_context& io;
  PoolOptions options;
  SandboxSetup sandbox;   // set by NodePool::Start
  int restarts = 0;       // workers replaced, over the pool's life
  // Executions that ended because their worker was killed for another execution's overrun,
  // exit or memory (with concurrency > 1), over the pool's life.
  uint64_t collateral = 0;
  // Started processes that have loaded nothing yet (PoolOptions::warm), by SpawnPlan.
  std::map<std::string, std::vector<std::shared_ptr<NodeWorker>>> warm;
  bool shut_down = false;
};

class WorkerGroup : public ScriptWorkers, public std::enable_shared_from_this<WorkerGroup> {
 public:
  // `load_request` is the runner request that loads the script's source (without an id).
  WorkerGroup(std::shared_ptr<PoolShared> shared, std::string script,
              std::string load_request);
  // Kills the group's processes.
  ~WorkerGroup() override;

  // Starts the workers and spares; `done` hears once, from the first worker to load the script
  // (or from the load's failure or deadline). Later callers are queued behind it.
  void Load(std::function<void(Status)> done);
  bool loaded() const { return kind_.has_value(); }

  // ScriptWorkers
  StepKind kind() const override { return kind_.value_or(StepKind::kAction); }
  uint64_t Submit(std::string request, JobCallbacks callbacks,
                  std::optional<Clock::time_point> start_by) override;
  void Abort(uint64_t job) override;
  size_t max_report_bytes() const override { return shared_->options.max_reply_bytes / 2; }

  // Kills every process; queued jobs fail as platform errors.
  void Shutdown();
  int ready_workers() const;
  size_t queue_depth() const { return queue_.size(); }

 private:
  using Worker = NodeWorker;
  struct Job {
    uint64_t id;
    std::string request;  // a JSON object, without the id
    JobCallbacks callbacks;
    std::optional<Clock::time_point> start_by;
  };

  Status SpawnInto(std::vector<std::shared_ptr<Worker>>* list);
  // A started process of this group's plan, from the pool's warm ones (then started anew, for
  // the next taker), or null.
  std::shared_ptr<Worker> TakeWarm();
  void StartWarm();
  void Dispatch();
  void OnMessage(const std::shared_ptr<Worker>& worker, const WorkerMessage& msg);
  void OnLoaded(const std::shared_ptr<Worker>& worker, const WorkerMessage& msg);
  void OnExit(const std::shared_ptr<Worker>& worker, const std::string& why);
  // The worker broke the reply protocol: its job fails with `why` and it is replaced.
  void OnViolation(const std::shared_ptr<Worker>& worker, const std::string& why);
  void Replace(const std::shared_ptr<Worker>& gone);
  // Replaces `worker` now and kills it once the jobs it runs have ended (at once when none).
  void Retire(const std::shared_ptr<Worker>& worker);
  // Kills `worker`, whose event loop a job blocks (its culprit), and fails the jobs on it now.
  void KillBlocked(const std::shared_ptr<Worker>& worker);
  // The worker has ended (or broke the protocol): every job on it fails with `why`, and those not
  // at fault are told which job was.
  void FailJobsOf(const std::shared_ptr<Worker>& worker, const std::string& why);
  // Sends the job at the head of the queue that may still start to `worker`; false when none may.
  bool StartNext(const std::shared_ptr<Worker>& worker, Clock::time_point start_limit);
  // A late-work report from `worker`: passed on, and the worker replaced once idle.
  void OnLate(const std::shared_ptr<Worker>& worker, const WorkerMessage& msg);
  // After a job: replaces the worker if it left timers running, was marked, or is due
  // (recycle_after_*). True when it did.
  bool RecycleIfDue(const std::shared_ptr<Worker>& worker, const WorkerMessage& done);
  void Late(const std::shared_ptr<Worker>& worker, uint64_t job, std::string what,
            std::string text);
  void FailAll(const std::string& message);
  // Every kMemoryCheck while the group runs: kills (and replaces) workers over the memory limit.
  void CheckMemory();
  void FinishLoad(Status status);

  const std::shared_ptr<PoolShared> shared_;
  const std::string script_;
  const std::string load_line_;  // {"id":0,...load_request...}\n
  const SpawnPlan plan_;         // how its workers start
  const std::string plan_key_;   // plan_, as a key of PoolShared::warm
  std::optional<StepKind> kind_;
  std::vector<std::function<void(Status)>> load_waiters_;
  std::unique_ptr<boost::asio::steady_timer> load_deadline_;
  std::unique_ptr<boost::asio::steady_timer> memory_timer_;
  std::vector<std::shared_ptr<Worker>> workers_;
  std::vector<std::shared_ptr<Worker>> spares_;
  std::vector<std::shared_ptr<Worker>> retiring_;  // replaced, finishing their last jobs
  std::deque<Job> queue_;
  std::map<uint64_t, std::shared_ptr<Worker>> running_;  // job id -> worker
  std::map<uint64_t, JobCallbacks> jobs_;                 // callbacks of running jobs
  uint64_t next_job_ = 1;
  int failed_starts_ = 0;
  bool shut_down_ = false;
};

}  // namespace prereg::adapters

#endif  // PREREG_ADAPTERS_NODE_WORKER_GROUP_H_
