// The Node worker pool (the processes themselves are in worker.cc). Workers run one job at a
// time. `spares` processes wait, started, to take the place of a worker that is killed or dies,
// so the next job does not wait for Node to boot. Jobs go to ready workers only, oldest first,
// skipping those whose start_by has passed: their owners are about to abort them, and starting
// one would only have it killed at its deadline.

#include "prereg/adapters/node_pool.h"

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>

#include "prereg/actions/json.h"
#include "prereg/adapters/asio_scheduler.h"
#include "reply.h"
#include "worker.h"

namespace prereg::adapters {

namespace asio = boost::asio;

namespace {

constexpr int kMaxFailedStarts = 3;       // consecutive workers dying before ready: give up
constexpr int kCheckTimeoutMs = 10000;    // loading a script at flow load time
// A job is not started with less of its budget left than this: it would almost surely be killed
// at its deadline, and sign-ups queued together have deadlines microseconds apart, so each kill
// would hand the replacement worker the next doomed job.
constexpr auto kMinTimeToStart = std::chrono::milliseconds(10);

std::string DefaultRunnerPath() {
  if (const char* env = std::getenv("PREREG_RUNNER_JS"); env && *env) return env;
  return PREREG_DEFAULT_RUNNER_JS;
}

}  // namespace

NodePool::NodePool(asio::io_context& io, PoolOptions options)
    : io_(io), options_(std::move(options)) {
  if (options_.runner_path.empty()) options_.runner_path = DefaultRunnerPath();
  options_.workers = std::max(1, options_.workers);
  options_.spares = std::max(0, options_.spares);
  ::signal(SIGPIPE, SIG_IGN);  // a worker dying mid-write must not kill the engine
}

NodePool::~NodePool() { Shutdown(); }

Status NodePool::Start() {
  if (!std::filesystem::is_regular_file(options_.runner_path)) {
    return Status::Unavailable(
        fmt::format("the worker script {} does not exist (set PREREG_RUNNER_JS)",
                    options_.runner_path));
  }
  for (int i = 0; i < options_.workers; ++i) {
    if (Status s = SpawnInto(&workers_); !s.ok()) return s;
  }
  for (int i = 0; i < options_.spares; ++i) {
    if (Status s = SpawnInto(&spares_); !s.ok()) return s;
  }
  return Status::OK();
}

Status NodePool::SpawnInto(std::vector<std::shared_ptr<Worker>>* list) {
  auto worker = std::make_shared<NodeWorker>(io_, options_.max_reply_bytes);
  if (Status s = worker->Spawn(options_); !s.ok()) return s;
  worker->Begin([this](const auto& w, const auto& msg) { OnMessage(w, msg); },
                [this](const auto& w, const auto& why) { OnExit(w, why); },
                [this](const auto& w, const auto& why) { OnViolation(w, why); },
                options_.max_old_space_mb);
  list->push_back(std::move(worker));
  return Status::OK();
}

std::string NodePool::ScriptKey(const std::string& script, uint64_t generation) {
  return fmt::format("{}:{}", generation, script);
}

uint64_t NodePool::Submit(std::string request, JobCallbacks callbacks,
                          std::optional<Clock::time_point> start_by, std::string script_key) {
  const uint64_t id = next_job_++;
  if (shut_down_ || (workers_.empty() && failed_starts_ >= kMaxFailedStarts)) {
    auto fail = std::move(callbacks.on_failure);
    asio::post(io_, [fail] { fail("no Node worker is available", true); });
    return id;
  }
  Enqueue(Job{id, std::move(request), std::move(callbacks), start_by, std::move(script_key)});
  return id;
}

void NodePool::Enqueue(Job job) {
  queue_.push_back(std::move(job));
  Dispatch();
}

void NodePool::Dispatch() {
  const auto start_limit = Clock::now() + kMinTimeToStart;
  for (auto& worker : workers_) {
    if (queue_.empty()) return;
    if (worker->job != 0 || !worker->ready) continue;
    auto next = std::find_if(queue_.begin(), queue_.end(), [start_limit](const Job& j) {
      return !j.start_by || *j.start_by > start_limit;
    });
    if (next == queue_.end()) return;
    Job job = std::move(*next);
    queue_.erase(next);
    worker->job = job.id;
    if (!job.script_key.empty() && worker->scripts.insert(job.script_key).second && !job.loads) {
      auto load = script_loads_.find(job.script_key);
      if (load != script_loads_.end()) worker->Send(load->second);
    }
    // {"id":N, ...the request's members...}
    std::string line = fmt::format("{{\"id\":{}", job.id);
    if (job.request.size() > 2) line += ',';
    line.append(job.request, 1);
    line += '\n';
    worker->Send(std::move(line));
    running_.emplace(job.id, worker);
    auto on_start = std::move(job.callbacks.on_start);
    jobs_.emplace(job.id, std::move(job.callbacks));
    if (on_start) on_start();
  }
}

void NodePool::Abort(uint64_t job) {
  auto queued = std::find_if(queue_.begin(), queue_.end(), [job](const Job& j) { return j.id == job; });
  if (queued != queue_.end()) {
    queue_.erase(queued);
    return;
  }
  auto it = running_.find(job);
  if (it == running_.end()) return;
  auto worker = it->second;
  running_.erase(it);
  jobs_.erase(job);
  worker->job = 0;
  worker->Kill();
  Replace(worker);
}

void NodePool::OnMessage(const std::shared_ptr<Worker>& worker, const WorkerMessage& msg) {
  const auto& type = msg.type;
  if (type == "ready") {
    if (worker->ready) return;
    worker->ready = true;
    failed_starts_ = 0;
    return Dispatch();
  }
  if (worker->job == 0 || msg.id != worker->job) return;
  auto callbacks = jobs_.find(worker->job);
  if (callbacks == jobs_.end()) return;
  if (type == "sync") {
    // The worker blocks until answered; the answer may come later (a cache store on a network),
    // and is dropped if the job has ended or the worker has gone by then.
    std::weak_ptr<Worker> weak = worker;
    JobCallbacks::Answer answer = [weak, job = msg.id](nlohmann::json result) {
      auto w = weak.lock();
      if (!w || w->job != job || w->killed()) return;
      w->Answer(DumpJson(nlohmann::json{{"r", std::move(result)}}) + "\n");
    };
    if (!callbacks->second.on_sync) return answer(nullptr);
    return callbacks->second.on_sync(msg.body, std::move(answer));
  }
  if (type == "done" || type == "loaded") {
    auto on_done = std::move(callbacks->second.on_done);
    jobs_.erase(callbacks);
    running_.erase(worker->job);
    worker->job = 0;
    Dispatch();
    if (on_done) on_done(msg.body);
  }
}

void NodePool::OnViolation(const std::shared_ptr<Worker>& worker, const std::string& why) {
  const uint64_t job = worker->job;
  worker->job = 0;
  Replace(worker);  // it has been killed; its exit is collected without another replacement
  if (job == 0) return;
  running_.erase(job);
  auto it = jobs_.find(job);
  if (it == jobs_.end()) return;
  auto on_failure = std::move(it->second.on_failure);
  jobs_.erase(it);
  if (on_failure) on_failure(why + "; the worker was replaced", false);
}

void NodePool::OnExit(const std::shared_ptr<Worker>& worker, const std::string& why) {
  if (!worker->ready && !worker->killed()) ++failed_starts_;
  const uint64_t job = worker->job;
  worker->job = 0;
  if (!worker->killed()) Replace(worker);
  if (job != 0) {
    running_.erase(job);
    auto it = jobs_.find(job);
    if (it != jobs_.end()) {
      auto on_failure = std::move(it->second.on_failure);
      jobs_.erase(it);
      if (on_failure) on_failure(why, false);
    }
  }
  if (failed_starts_ >= kMaxFailedStarts) {
    FailAll(fmt::format("Node workers keep dying as they start: {}", why));
  }
}

void NodePool::Replace(const std::shared_ptr<Worker>& gone) {
  auto erase = [&gone](std::vector<std::shared_ptr<Worker>>* list) {
    auto it = std::find(list->begin(), list->end(), gone);
    if (it == list->end()) return false;
    list->erase(it);
    return true;
  };
  const bool was_worker = erase(&workers_);
  if (!was_worker && !erase(&spares_)) return;
  if (shut_down_ || failed_starts_ >= kMaxFailedStarts) return;
  ++restarts_;
  if (was_worker && !spares_.empty()) {
    workers_.push_back(spares_.front());
    spares_.erase(spares_.begin());
    (void)SpawnInto(&spares_);
  } else {
    (void)SpawnInto(was_worker ? &workers_ : &spares_);
  }
  Dispatch();
}

void NodePool::FailAll(const std::string& message) {
  std::deque<Job> queued;
  queued.swap(queue_);
  for (auto& job : queued) {
    if (job.callbacks.on_failure) job.callbacks.on_failure(message, true);
  }
}

void NodePool::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  for (auto* list : {&workers_, &spares_}) {
    for (auto& w : *list) w->Kill();
  }
  FailAll("the worker pool is shutting down");
}

int NodePool::ready_workers() const {
  return static_cast<int>(
      std::count_if(workers_.begin(), workers_.end(), [](const auto& w) { return w->ready; }));
}

namespace {

constexpr size_t kMaxScriptBytes = 16 * 1024 * 1024;

Result<std::string> ReadScript(const std::string& script) {
  std::ifstream in(script, std::ios::binary);
  if (!in) return Status::ScriptError(fmt::format("{}: cannot be read", script));
  std::string source((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (source.size() > kMaxScriptBytes) {
    return Status::ScriptError(fmt::format("{}: is larger than {} MiB", script,
                                           kMaxScriptBytes / (1024 * 1024)));
  }
  return source;
}

}  // namespace

void NodePool::CheckScriptAsync(const std::string& script, uint64_t generation,
                                std::function<void(Result<StepKind>)> done) {
  auto source = ReadScript(script);
  if (!source.ok()) {
    asio::post(io_, [done = std::move(done), s = source.status()] { done(s); });
    return;
  }
  const std::string key = ScriptKey(script, generation);
  nlohmann::json load = {{"t", "load"}, {"script", script}, {"gen", generation},
                         {"source", std::move(source).value()}};
  const std::string request = DumpJson(load);
  load["quiet"] = true;
  script_loads_[key] = DumpJson(load) + "\n";
  // Exactly one of: the worker's answer, its failure, or the deadline, calls `done`.
  auto finish = std::make_shared<std::function<void(Result<StepKind>)>>(std::move(done));
  auto deadline = std::make_shared<asio::steady_timer>(io_);
  auto complete = [finish, deadline](Result<StepKind> r) {
    if (!*finish) return;
    auto fn = std::move(*finish);
    *finish = nullptr;
    deadline->cancel();
    fn(std::move(r));
  };
  const uint64_t job = next_job_++;
  if (shut_down_ || (workers_.empty() && failed_starts_ >= kMaxFailedStarts)) {
    asio::post(io_, [complete, script] {
      complete(Status::ScriptError(fmt::format("{}: loading it failed: no Node worker is available", script)));
    });
    return;
  }
  Job load_job{job, request, {}, std::nullopt, key, /*loads=*/true};
  load_job.callbacks.on_done = [this, complete, key](const nlohmann::json& msg) {
                     if (MemberOf(msg, "error").is_string()) {
                       script_loads_.erase(key);  // never run: no worker needs its source
                       complete(Status::ScriptError(StringMember(msg, "error")));
                     } else {
                       complete(StringMember(msg, "kind") == "hook" ? StepKind::kHook
                                                                     : StepKind::kAction);
                     }
                   };
  load_job.callbacks.on_failure = [complete, script](const std::string& why, bool) {
    complete(Status::ScriptError(fmt::format("{}: loading it failed: {}", script, why)));
  };
  Enqueue(std::move(load_job));
  deadline->expires_after(std::chrono::milliseconds(kCheckTimeoutMs));
  deadline->async_wait([this, complete, job, script](const boost::system::error_code& ec) {
    if (ec) return;
    Abort(job);
    complete(Status::ScriptError(fmt::format(
        "{}: loading did not finish within {} s; top-level code must not block", script,
        kCheckTimeoutMs / 1000)));
  });
}

Result<StepKind> NodePool::CheckScript(const std::string& script, uint64_t generation) {
  auto result = std::make_shared<std::optional<Result<StepKind>>>();
  CheckScriptAsync(script, generation, [result](Result<StepKind> r) { *result = std::move(r); });
  if (!RunUntil(io_, [&result] { return result->has_value(); })) return Status::Internal("the event loop stopped while loading " + script);
  return std::move(**result);
}

}  // namespace prereg::adapters
