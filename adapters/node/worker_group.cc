// One script's workers. Each worker is sent the script's source as its first request and takes
// jobs once it has loaded it; the group is loaded when the first worker has. Jobs go to ready
// workers only, oldest first, skipping those whose start_by is near or past: their owners are
// about to abort them, and starting one would only have it killed at its deadline.

#include "worker_group.h"

#include <algorithm>
#include <chrono>

#include <boost/asio/post.hpp>
#include <fmt/format.h>

#include "prereg/actions/json.h"
#include "reply.h"
#include "worker.h"

namespace prereg::adapters {

namespace asio = boost::asio;

namespace {

constexpr int kMaxFailedStarts = 3;     // consecutive workers dying before ready: give up
constexpr int kLoadTimeoutMs = 10000;   // loading the script at flow load time
// A job is not started with less of its budget left than this: it would almost surely be killed
// at its deadline, and sign-ups queued together have deadlines microseconds apart, so each kill
// would hand the replacement worker the next doomed job.
constexpr auto kMinTimeToStart = std::chrono::milliseconds(10);
// Jobs per worker whose origins are kept for late reports.
constexpr size_t kRecentOrigins = 8;
// How often workers' resident memory is compared with the limit (PoolOptions::memory_mb).
constexpr auto kMemoryCheck = std::chrono::milliseconds(50);
// A worker told to drop a job while it runs others must confirm within this: if it does not, a
// script is blocking its event loop, and it is killed.
constexpr auto kCancelGrace = std::chrono::milliseconds(100);
// A busy worker not heard from for this long (three heartbeats) has a blocked event loop.
constexpr auto kBlockedAfter = std::chrono::milliseconds(3 * kHeartbeatMs);

}  // namespace

WorkerGroup::WorkerGroup(std::shared_ptr<PoolShared> shared, std::string script,
                         std::string load_request)
    : shared_(std::move(shared)),
      script_(std::move(script)),
      load_line_(load_request.size() > 2 ? "{\"id\":0," + load_request.substr(1) + "\n"
                                          : "{\"id\":0}\n"),
      plan_(PlanWorker(shared_->sandbox, shared_->options, script_)),
      plan_key_(fmt::format("{}\n{}\n{}", fmt::join(plan_.argv, "\n"), fmt::join(plan_.env, "\n"),
                            plan_.data_limit_bytes)) {}

WorkerGroup::~WorkerGroup() { Shutdown(); }

void WorkerGroup::Load(std::function<void(Status)> done) {
  if (loaded() || shut_down_) {
    Status s = loaded() ? Status::OK()
                        : Status::Unavailable(fmt::format("{}: its workers were stopped", script_));
    asio::post(shared_->io, [done = std::move(done), s] { done(s); });
    return;
  }
  load_waiters_.push_back(std::move(done));
  if (load_waiters_.size() > 1) return;  // already loading
  const auto& options = shared_->options;
  for (int i = 0; i < options.workers; ++i) {
    if (Status s = SpawnInto(&workers_); !s.ok()) return FinishLoad(s);
  }
  for (int i = 0; i < options.spares; ++i) {
    if (Status s = SpawnInto(&spares_); !s.ok()) return FinishLoad(s);
  }
  if (options.memory_mb > 0) {
    memory_timer_ = std::make_unique<asio::steady_timer>(shared_->io);
    CheckMemory();
  }
  load_deadline_ = std::make_unique<asio::steady_timer>(shared_->io);
  load_deadline_->expires_after(std::chrono::milliseconds(kLoadTimeoutMs));
  std::weak_ptr<WorkerGroup> weak = weak_from_this();
  load_deadline_->async_wait([weak](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || self->loaded()) return;
    self->FinishLoad(Status::ScriptError(fmt::format(
        "{}: loading did not finish within {} s; top-level code must not block", self->script_,
        kLoadTimeoutMs / 1000)));
  });
}

void WorkerGroup::CheckMemory() {
  if (shut_down_) return;
  const size_t limit = static_cast<size_t>(shared_->options.memory_mb) * 1024 * 1024;
  std::vector<std::shared_ptr<Worker>> over;
  for (const auto* list : {&workers_, &spares_, &retiring_}) {
    for (const auto& w : *list) {
      if (!w->killed() && w->ResidentBytes() > limit) over.push_back(w);
    }
  }
  for (const auto& w : over) {
    // Its job fails when its exit is collected, described as running out of memory.
    w->KillOverMemory();
    Replace(w);
  }
  memory_timer_->expires_after(kMemoryCheck);
  std::weak_ptr<WorkerGroup> weak = weak_from_this();
  memory_timer_->async_wait([weak](const boost::system::error_code& ec) {
    if (auto self = weak.lock(); self && !ec) self->CheckMemory();
  });
}

void WorkerGroup::FinishLoad(Status status) {
  if (load_deadline_) load_deadline_->cancel();
  if (!status.ok()) Shutdown();  // nothing will run on this group
  auto waiters = std::move(load_waiters_);
  load_waiters_.clear();
  for (auto& done : waiters) done(status);
}

Status WorkerGroup::SpawnInto(std::vector<std::shared_ptr<Worker>>* list) {
  std::weak_ptr<WorkerGroup> weak = weak_from_this();
  auto on_message = [weak](const auto& w, const auto& msg) {
    if (auto self = weak.lock()) self->OnMessage(w, msg);
  };
  auto on_exit = [weak](const auto& w, const auto& why) {
    if (auto self = weak.lock()) self->OnExit(w, why);
  };
  auto on_violation = [weak](const auto& w, const auto& why) {
    if (auto self = weak.lock()) self->OnViolation(w, why);
  };
  auto worker = TakeWarm();
  if (worker) {
    worker->Rebind(on_message, on_exit, on_violation);
  } else {
    worker = std::make_shared<NodeWorker>(shared_->io, shared_->options.max_reply_bytes);
    if (Status s = worker->Spawn(plan_); !s.ok()) return s;
    worker->Begin(on_message, on_exit, on_violation, shared_->options.memory_mb);
  }
  worker->Send(load_line_);
  list->push_back(std::move(worker));
  StartWarm();
  return Status::OK();
}

std::shared_ptr<NodeWorker> WorkerGroup::TakeWarm() {
  auto it = shared_->warm.find(plan_key_);
  if (it == shared_->warm.end()) return nullptr;
  auto& warm = it->second;
  while (!warm.empty()) {
    auto worker = std::move(warm.back());
    warm.pop_back();
    if (!worker->killed()) return worker;
  }
  return nullptr;
}

void WorkerGroup::StartWarm() {
  if (shared_->shut_down || shared_->options.warm <= 0) return;
  auto& warm = shared_->warm[plan_key_];
  while (warm.size() < static_cast<size_t>(std::max(0, shared_->options.warm))) {
    auto worker = std::make_shared<NodeWorker>(shared_->io, shared_->options.max_reply_bytes);
    if (!worker->Spawn(plan_).ok()) return;
    // Until a group takes it, it only waits: an exit takes it off the list.
    std::weak_ptr<PoolShared> weak_shared = shared_;
    const std::string key = plan_key_;
    worker->Begin(
        [](const auto&, const auto&) {},
        [weak_shared, key](const std::shared_ptr<Worker>& w, const std::string&) {
          auto shared = weak_shared.lock();
          if (!shared) return;
          auto& list = shared->warm[key];
          list.erase(std::remove(list.begin(), list.end(), w), list.end());
        },
        [](const std::shared_ptr<Worker>&, const std::string&) {}, shared_->options.memory_mb);
    warm.push_back(std::move(worker));
  }
}

uint64_t WorkerGroup::Submit(std::string request, JobCallbacks callbacks,
                             std::optional<Clock::time_point> start_by) {
  const uint64_t id = next_job_++;
  if (shut_down_ || (workers_.empty() && failed_starts_ >= kMaxFailedStarts)) {
    auto fail = std::move(callbacks.on_failure);
    asio::post(shared_->io, [fail] { fail("no Node worker is available", true); });
    return id;
  }
  queue_.push_back(Job{id, std::move(request), std::move(callbacks), start_by});
  Dispatch();
  return id;
}

void WorkerGroup::Dispatch() {
  // Fills the first worker before the next: each process woken does as much as it can per
  // wake-up (its replies to jobs that finish together share a write), and the others sleep.
  // Measured: spreading jobs over the workers instead was slower (bench/README.md).
  const auto start_limit = Clock::now() + kMinTimeToStart;
  const size_t concurrency = static_cast<size_t>(std::max(1, shared_->options.concurrency));
  for (const auto& worker : workers_) {
    if (!worker->ready || worker->retiring) continue;
    while (worker->jobs.size() < concurrency) {
      if (queue_.empty() || !StartNext(worker, start_limit)) return;
    }
  }
}

bool WorkerGroup::StartNext(const std::shared_ptr<Worker>& worker, Clock::time_point start_limit) {
  auto next = std::find_if(queue_.begin(), queue_.end(), [start_limit](const Job& j) {
    return !j.start_by || *j.start_by > start_limit;
  });
  if (next == queue_.end()) return false;
  Job job = std::move(*next);
  queue_.erase(next);
  worker->jobs.push_back(job.id);
  // {"id":N, ...the request's members...}
  std::string line = fmt::format("{{\"id\":{}", job.id);
  if (job.request.size() > 2) line += ',';
  line.append(job.request, 1);
  line += '\n';
  worker->Send(line);
  running_.emplace(job.id, worker);
  worker->recent_origins.push_back(
      {job.id, std::move(job.callbacks.origin), std::move(job.callbacks.mask)});
  const size_t keep = std::max<size_t>(kRecentOrigins, 2 * worker->jobs.size());
  while (worker->recent_origins.size() > keep) worker->recent_origins.pop_front();
  auto on_start = std::move(job.callbacks.on_start);
  jobs_.emplace(job.id, std::move(job.callbacks));
  if (on_start) on_start();
  return true;
}

void WorkerGroup::Abort(uint64_t job) {
  auto queued =
      std::find_if(queue_.begin(), queue_.end(), [job](const Job& j) { return j.id == job; });
  if (queued != queue_.end()) {
    queue_.erase(queued);
    return;
  }
  auto it = running_.find(job);
  if (it == running_.end()) return;
  auto worker = it->second;
  running_.erase(it);
  jobs_.erase(job);
  const bool was_syncing = worker->sync_job == job;
  const uint64_t first_since_heard = worker->FirstSentAfter(worker->last_heard);
  worker->Drop(job);
  if (worker->jobs.empty()) {  // nothing else runs on it: killed at once
    worker->Kill();
    Replace(worker);
    return;
  }
  // Others run on it: it is told to drop the job and replaced, and finishes the others unless its
  // event loop is blocked — then it does not answer in time, and it is killed.
  if (worker->culprit != 0) {  // already waiting for an answer about another job
    worker->Send(fmt::format("{{\"t\":\"cancel\",\"id\":{}}}\n", job));
    return;
  }
  worker->culprit = job;
  if (!was_syncing && worker->sync_job == 0 && Clock::now() - worker->last_heard > kBlockedAfter) {
    // No heartbeat: a script blocks its event loop. The worker reads its requests in order and
    // ran none after the one that blocked it, so that one is the first written to it after it
    // was last heard from; when none was, the code of a job already running blocked it, and the
    // job whose budget ran out is named.
    const uint64_t blocker = first_since_heard;
    const auto silent =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - worker->last_heard);
    if (blocker != 0) worker->culprit = blocker;
    worker->culprit_reason = fmt::format(
        "it blocked the worker's event loop (no heartbeat for {} ms){}", silent.count(),
        worker->culprit == job ? " past its time budget" : "");
    return KillBlocked(worker);
  }
  if (was_syncing) worker->Answer("{\"r\":null}\n");  // a job waiting on api.cache is not blocked
  worker->Send(fmt::format("{{\"t\":\"cancel\",\"id\":{}}}\n", job));
  Retire(worker);
  worker->culprit_reason = fmt::format(
      "it ran past its time budget and its worker's event loop did not answer within {} ms",
      kCancelGrace.count());
  worker->cancel_timer.expires_after(kCancelGrace);
  std::weak_ptr<Worker> weak_worker = worker;
  std::weak_ptr<WorkerGroup> weak_group = weak_from_this();
  worker->cancel_timer.async_wait([weak_worker, weak_group](const boost::system::error_code& ec) {
    auto w = weak_worker.lock();
    auto self = weak_group.lock();
    if (ec || !w || !self || w->killed()) return;
    self->KillBlocked(w);
  });
}

void WorkerGroup::KillBlocked(const std::shared_ptr<Worker>& worker) {
  Retire(worker);
  worker->Kill();
  // The jobs on it end now, not when its exit is collected: their own budgets run on meanwhile.
  FailJobsOf(worker, "its worker was killed");
}

void WorkerGroup::OnMessage(const std::shared_ptr<Worker>& worker, const WorkerMessage& msg) {
  if (msg.type == "loaded" && msg.id == 0) return OnLoaded(worker, msg);
  if (msg.type == "late") return OnLate(worker, msg);
  if (msg.type == "cancelled") {
    // Its event loop runs: the other jobs on it may finish.
    if (msg.id == worker->culprit) {
      worker->culprit = 0;
      worker->culprit_reason.clear();
      worker->cancel_timer.cancel();
    }
    if (worker->jobs.empty() && !worker->killed()) worker->Kill();
    return;
  }
  if (msg.id == 0 || !worker->Runs(msg.id)) return;
  auto callbacks = jobs_.find(msg.id);
  if (callbacks == jobs_.end()) return;
  if (msg.type == "sync") {
    // The worker blocks until answered; the answer may come later (a cache store on a network),
    // and is dropped if the job has ended or the worker has gone by then.
    worker->sync_job = msg.id;
    std::weak_ptr<Worker> weak = worker;
    JobCallbacks::Answer answer = [weak, job = msg.id](nlohmann::json result) {
      auto w = weak.lock();
      if (!w || w->sync_job != job || w->killed()) return;
      w->sync_job = 0;
      w->Answer(DumpJson(nlohmann::json{{"r", std::move(result)}}) + "\n");
    };
    if (!callbacks->second.on_sync) return answer(nullptr);
    return callbacks->second.on_sync(msg, std::move(answer));
  }
  if (msg.type == "done") {
    auto on_done = std::move(callbacks->second.on_done);
    jobs_.erase(callbacks);
    running_.erase(msg.id);
    worker->Drop(msg.id);
    ++worker->executions;
    if (worker->retiring) {
      if (worker->jobs.empty() && worker->culprit == 0) worker->Kill();
    } else {
      RecycleIfDue(worker, msg);
    }
    Dispatch();
    if (on_done) on_done(msg);
  }
}

void WorkerGroup::Late(const std::shared_ptr<Worker>& worker, uint64_t job, std::string what,
                       std::string text) {
  if (!shared_->options.on_late) return;
  LateWork late{script_, "outside any step", std::move(what), std::move(text)};
  for (const auto& o : worker->recent_origins) {
    if (o.job != job || job == 0) continue;
    if (!o.origin.empty()) late.origin = o.origin;
    if (o.mask) o.mask->Apply(&late.text);
  }
  shared_->options.on_late(late);
}

void WorkerGroup::OnLate(const std::shared_ptr<Worker>& worker, const WorkerMessage& msg) {
  Late(worker, msg.id, msg.what, msg.text);
  // Work from outside any step (a timer set at load) would be set again by a fresh worker: only
  // what a step left behind makes a worker worth replacing.
  if (worker->killed() || msg.id == 0) return;
  worker->recycle = true;
  if (worker->jobs.empty() && worker->ready && !worker->retiring) {
    worker->Kill();
    Replace(worker);
  }
}

bool WorkerGroup::RecycleIfDue(const std::shared_ptr<Worker>& worker, const WorkerMessage& done) {
  const auto& o = shared_->options;
  std::string why;
  if (done.lingering > 0) {
    why = fmt::format("its step left {} timer(s) running", done.lingering);
    Late(worker, done.id, "recycled", why + "; the worker was replaced");
  } else if (done.untracked) {
    // The script broke async context tracking: its worker could no longer tell executions apart.
    why = "its script broke async context tracking";
    Late(worker, done.id, "recycled", why + "; the worker was replaced");
  } else if (worker->recycle) {
    why = "it did work after its step ended";
  } else if (o.recycle_after_executions > 0 && worker->executions >= o.recycle_after_executions) {
    why = "recycle_after_executions";
  } else if (o.recycle_after_minutes > 0 &&
             Clock::now() - worker->born >= std::chrono::minutes(o.recycle_after_minutes)) {
    why = "recycle_after_minutes";
  }
  if (why.empty() || worker->killed()) return false;
  Retire(worker);
  return true;
}

void WorkerGroup::Retire(const std::shared_ptr<Worker>& worker) {
  if (worker->retiring) return;
  worker->retiring = true;
  Replace(worker);  // takes it off the lists; its replacement takes new jobs
  if (worker->jobs.empty()) {
    worker->Kill();
  } else {
    retiring_.push_back(worker);
  }
}

// A worker has loaded (or failed to load) the script it was started with.
void WorkerGroup::OnLoaded(const std::shared_ptr<Worker>& worker, const WorkerMessage& msg) {
  if (worker->ready || worker->killed()) return;
  if (msg.error) {
    const auto& error = *msg.error;
    if (!loaded()) return FinishLoad(Status::ScriptError(error));
    // The same source loaded before: its top-level code is not deterministic. Replace it, within
    // the limit on workers failing as they start.
    worker->Kill();
    if (++failed_starts_ >= kMaxFailedStarts) {
      FailAll(fmt::format("{}: workers keep failing to load it: {}", script_, error));
      return;
    }
    return Replace(worker);
  }
  worker->ready = true;
  failed_starts_ = 0;
  if (!loaded()) {
    kind_ = msg.kind == "hook" ? StepKind::kHook : StepKind::kAction;
    FinishLoad(Status::OK());
  }
  Dispatch();
}

void WorkerGroup::OnExit(const std::shared_ptr<Worker>& worker, const std::string& why) {
  if (!worker->ready && !worker->killed()) {
    ++failed_starts_;
    if (!loaded() && !load_waiters_.empty()) {
      // A worker died while loading the script (process.exit at top level, say).
      return FinishLoad(
          Status::ScriptError(fmt::format("{}: loading it failed: {}", script_, why)));
    }
  }
  worker->cancel_timer.cancel();
  retiring_.erase(std::remove(retiring_.begin(), retiring_.end(), worker), retiring_.end());
  if (!worker->killed()) Replace(worker);
  FailJobsOf(worker, why);
  if (failed_starts_ >= kMaxFailedStarts) {
    FailAll(fmt::format("Node workers keep dying as they start: {}", why));
  }
}

void WorkerGroup::FailJobsOf(const std::shared_ptr<Worker>& worker, const std::string& why) {
  std::vector<uint64_t> failed;
  failed.swap(worker->jobs);
  worker->sync_job = 0;
  std::string culprit;
  if (worker->culprit != 0) {
    culprit = worker->OriginOf(worker->culprit);
    if (culprit.empty()) culprit = "another execution";
  }
  for (uint64_t job : failed) {
    running_.erase(job);
    auto it = jobs_.find(job);
    if (it == jobs_.end()) continue;
    auto on_failure = std::move(it->second.on_failure);
    jobs_.erase(it);
    std::string message = why;
    if (job == worker->culprit && !worker->culprit_reason.empty()) {
      message = fmt::format("{}; its worker was killed", worker->culprit_reason);
    } else if (!culprit.empty() && job != worker->culprit) {
      message = fmt::format("its worker was stopped because of {}, which ran on the same worker: {}",
                            culprit, worker->culprit_reason.empty() ? why : worker->culprit_reason);
      ++shared_->collateral;
    } else if (culprit.empty() && failed.size() > 1) {
      message = fmt::format("{} (while the worker ran {} executions: which one caused it is not "
                            "known)", why, failed.size());
      if (job != failed.front()) ++shared_->collateral;
    }
    if (on_failure) on_failure(message, false);
  }
}

void WorkerGroup::OnViolation(const std::shared_ptr<Worker>& worker, const std::string& why) {
  worker->cancel_timer.cancel();
  retiring_.erase(std::remove(retiring_.begin(), retiring_.end(), worker), retiring_.end());
  Replace(worker);  // it has been killed; its exit is collected without another replacement
  FailJobsOf(worker, why + "; the worker was replaced");
}

void WorkerGroup::Replace(const std::shared_ptr<Worker>& gone) {
  auto erase = [&gone](std::vector<std::shared_ptr<Worker>>* list) {
    auto it = std::find(list->begin(), list->end(), gone);
    if (it == list->end()) return false;
    list->erase(it);
    return true;
  };
  const bool was_worker = erase(&workers_);
  if (!was_worker && !erase(&spares_)) return;
  if (shut_down_ || failed_starts_ >= kMaxFailedStarts) return;
  ++shared_->restarts;
  if (was_worker && !spares_.empty()) {
    workers_.push_back(spares_.front());
    spares_.erase(spares_.begin());
    (void)SpawnInto(&spares_);
  } else {
    (void)SpawnInto(was_worker ? &workers_ : &spares_);
  }
  Dispatch();
}

void WorkerGroup::FailAll(const std::string& message) {
  std::deque<Job> queued;
  queued.swap(queue_);
  for (auto& job : queued) {
    if (job.callbacks.on_failure) job.callbacks.on_failure(message, true);
  }
}

void WorkerGroup::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (memory_timer_) memory_timer_->cancel();
  for (auto* list : {&workers_, &spares_, &retiring_}) {
    for (auto& w : *list) w->Kill();
  }
  FailAll("the worker pool is shutting down");
}

int WorkerGroup::ready_workers() const {
  return static_cast<int>(
      std::count_if(workers_.begin(), workers_.end(), [](const auto& w) { return w->ready; }));
}

}  // namespace prereg::adapters
