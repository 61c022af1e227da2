// The Node worker pool. A worker is a `node runner.js` process with four pipes:
//   fd 0      <- requests (async writes from the engine)
//   fd 1, 2   -> captured output (a script's stdout cannot reach the protocol)
//   fd 3      -> replies and synchronous requests, one JSON document per line
//   fd 4      <- answers to synchronous requests, written while the worker blocks on them
// Workers run one job at a time. `spares` processes wait, started, to take the place of a
// worker that is killed or dies, so the next job does not wait for Node to boot.

#include "prereg/adapters/node_pool.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

extern char** environ;

namespace prereg::adapters {

namespace asio = boost::asio;

namespace {

constexpr size_t kOutputTail = 4096;      // bytes of a worker's output kept for diagnostics
constexpr int kMaxFailedStarts = 3;       // consecutive workers dying before ready: give up
constexpr int kCheckTimeoutMs = 10000;    // loading a script at flow load time

std::string DefaultRunnerPath() {
  if (const char* env = std::getenv("PREREG_RUNNER_JS"); env && *env) return env;
  return PREREG_DEFAULT_RUNNER_JS;
}

// A pipe whose two ends are >= 10 and close-on-exec, so dup2 onto 0-4 in the child never
// collides with them.
Status MakePipe(int fds[2]) {
  int raw[2];
  if (::pipe2(raw, O_CLOEXEC) != 0) {
    return Status::Unavailable(fmt::format("pipe: {}", std::strerror(errno)));
  }
  for (int i = 0; i < 2; ++i) {
    fds[i] = ::fcntl(raw[i], F_DUPFD_CLOEXEC, 10);
    ::close(raw[i]);
  }
  if (fds[0] < 0 || fds[1] < 0) return Status::Unavailable("fcntl(F_DUPFD_CLOEXEC) failed");
  return Status::OK();
}

// Why a worker ended, for the step's error message. The tail of its output is quoted only when
// nothing more specific is known (a crash with a stack, a failed start).
std::string DescribeExit(int status, int reported_code, const std::string& output,
                         int max_old_space_mb) {
  if (output.find("heap out of memory") != std::string::npos ||
      output.find("Reached heap limit") != std::string::npos) {
    return max_old_space_mb > 0
               ? fmt::format("the script ran out of memory (worker limit {} MiB)", max_old_space_mb)
               : std::string("the script ran out of memory");
  }
  if (reported_code >= 0) {
    return fmt::format("the script ended its process (process.exit({}))", reported_code);
  }
  std::string why = "the worker process ended";
  if (WIFEXITED(status)) {
    why = fmt::format("the worker process exited with code {}", WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) {
    why = fmt::format("the worker process was killed by signal {} ({})", WTERMSIG(status),
                      strsignal(WTERMSIG(status)));
  }
  std::string tail = output;
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.pop_back();
  if (tail.size() > 400) tail = tail.substr(tail.size() - 400);
  if (!tail.empty()) why += "; its last output: " + tail;
  return why;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

class NodePool::Worker : public std::enable_shared_from_this<Worker> {
 public:
  using MessageFn = std::function<void(const std::shared_ptr<Worker>&, const nlohmann::json&)>;
  using ExitFn = std::function<void(const std::shared_ptr<Worker>&, const std::string&)>;

  explicit Worker(asio::io_context& io)
      : stdin_(io), replies_(io), output_(io), reap_timer_(io) {}
  ~Worker() {
    if (sync_fd_ >= 0) ::close(sync_fd_);
  }

  Status Spawn(const PoolOptions& options) {
    int in[2], rep[2], sync[2], out[2];
    for (int* p : {in, rep, sync, out}) {
      if (Status s = MakePipe(p); !s.ok()) return s;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, out[1], 2);
    posix_spawn_file_actions_adddup2(&actions, rep[1], 3);
    posix_spawn_file_actions_adddup2(&actions, sync[0], 4);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);  // the engine ignores SIGPIPE; the worker must not inherit it
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);

    std::vector<std::string> args = {options.node_path};
    if (options.max_old_space_mb > 0) {
      args.push_back(fmt::format("--max-old-space-size={}", options.max_old_space_mb));
    }
    args.push_back(options.runner_path);
    args.push_back(fmt::format("--spin-us={}", options.spin_us));
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int rc = ::posix_spawnp(&pid_, options.node_path.c_str(), &actions, &attr, argv.data(),
                            environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    for (int fd : {in[0], out[1], rep[1], sync[0]}) ::close(fd);
    if (rc != 0) {
      for (int fd : {in[1], out[0], rep[0], sync[1]}) ::close(fd);
      return Status::Unavailable(fmt::format(
          "cannot start node ('{}'): {}. Install Node.js 18 or later (apt-get install nodejs) "
          "or give the path to node with --node",
          options.node_path, std::strerror(rc)));
    }
    stdin_.assign(in[1]);
    replies_.assign(rep[0]);
    output_.assign(out[0]);
    sync_fd_ = sync[1];
    return Status::OK();
  }

  void Begin(MessageFn on_message, ExitFn on_exit, int max_old_space_mb) {
    on_message_ = std::move(on_message);
    on_exit_ = std::move(on_exit);
    max_old_space_mb_ = max_old_space_mb;
    ReadReply();
    ReadOutput();
  }

  void Send(std::string line) {
    writes_.push_back(std::move(line));
    if (writes_.size() == 1) WriteNext();
  }

  // Answers a synchronous request; the worker is blocked reading fd 4.
  void Answer(const std::string& line) {
    size_t off = 0;
    while (off < line.size()) {
      ssize_t n = ::write(sync_fd_, line.data() + off, line.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // the worker is gone; its exit will be reported
      off += static_cast<size_t>(n);
    }
  }

  void Kill() {
    killed_ = true;
    if (pid_ > 0 && !reaped_) ::kill(pid_, SIGKILL);
  }

  pid_t pid() const { return pid_; }
  bool ready = false;
  bool killed() const { return killed_; }
  uint64_t job = 0;  // the job running, 0 when idle

 private:
  void WriteNext() {
    auto self = shared_from_this();
    asio::async_write(stdin_, asio::buffer(writes_.front()),
                      [self](const boost::system::error_code& ec, size_t) {
                        if (ec) {
                          self->writes_.clear();  // the worker is gone; its exit is reported
                          return;
                        }
                        self->writes_.pop_front();
                        if (!self->writes_.empty()) self->WriteNext();
                      });
  }

  void ReadReply() {
    auto self = shared_from_this();
    asio::async_read_until(replies_, reply_buf_, '\n',
                           [self](const boost::system::error_code& ec, size_t n) {
                             if (ec) return self->Reap(0);
                             std::string line(asio::buffers_begin(self->reply_buf_.data()),
                                              asio::buffers_begin(self->reply_buf_.data()) +
                                                  static_cast<std::ptrdiff_t>(n));
                             self->reply_buf_.consume(n);
                             auto msg = nlohmann::json::parse(line, nullptr, false);
                             if (!msg.is_discarded()) {
                               if (msg.value("t", "") == "exit") {
                                 self->reported_code_ = msg.value("code", 0);
                               }
                               self->on_message_(self, msg);
                             }
                             if (!self->reaped_) self->ReadReply();
                           });
  }

  void ReadOutput() {
    auto self = shared_from_this();
    output_.async_read_some(asio::buffer(output_chunk_),
                            [self](const boost::system::error_code& ec, size_t n) {
                              if (ec) return;
                              self->output_tail_.append(self->output_chunk_.data(), n);
                              if (self->output_tail_.size() > kOutputTail) {
                                self->output_tail_.erase(
                                    0, self->output_tail_.size() - kOutputTail);
                              }
                              self->ReadOutput();
                            });
  }

  // The reply channel closed: the process is ending. Collect its status without blocking.
  void Reap(int attempt) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == 0) {
      if (attempt == 50) ::kill(pid_, SIGKILL);  // closed fd 3 but kept running
      reap_timer_.expires_after(std::chrono::milliseconds(20));
      auto self = shared_from_this();
      reap_timer_.async_wait([self, attempt](const boost::system::error_code&) {
        self->Reap(attempt + 1);
      });
      return;
    }
    reaped_ = true;
    boost::system::error_code ignored;
    stdin_.close(ignored);
    replies_.close(ignored);
    // Let the last output arrive before describing the exit (an OOM message, a stack).
    reap_timer_.expires_after(std::chrono::milliseconds(5));
    auto self = shared_from_this();
    reap_timer_.async_wait([self, status](const boost::system::error_code&) {
      boost::system::error_code ignored_ec;
      self->output_.close(ignored_ec);
      auto why = DescribeExit(status, self->reported_code_, self->output_tail_,
                              self->max_old_space_mb_);
      auto on_exit = std::move(self->on_exit_);
      self->on_message_ = nullptr;
      if (on_exit) on_exit(self, why);
    });
  }

  asio::posix::stream_descriptor stdin_;
  asio::posix::stream_descriptor replies_;
  asio::posix::stream_descriptor output_;
  asio::steady_timer reap_timer_;
  int sync_fd_ = -1;
  pid_t pid_ = -1;
  bool killed_ = false;
  bool reaped_ = false;
  int reported_code_ = -1;
  int max_old_space_mb_ = 0;
  std::deque<std::string> writes_;
  asio::streambuf reply_buf_;
  std::array<char, 4096> output_chunk_{};
  std::string output_tail_;
  MessageFn on_message_;
  ExitFn on_exit_;
};

// ---------------------------------------------------------------------------------------------

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
  auto worker = std::make_shared<Worker>(io_);
  if (Status s = worker->Spawn(options_); !s.ok()) return s;
  worker->Begin([this](const auto& w, const auto& msg) { OnMessage(w, msg); },
                [this](const auto& w, const auto& why) { OnExit(w, why); },
                options_.max_old_space_mb);
  list->push_back(std::move(worker));
  return Status::OK();
}

uint64_t NodePool::Submit(nlohmann::json request, JobCallbacks callbacks) {
  const uint64_t id = next_job_++;
  if (shut_down_ || (workers_.empty() && failed_starts_ >= kMaxFailedStarts)) {
    auto fail = std::move(callbacks.on_failure);
    asio::post(io_, [fail] { fail("no Node worker is available", true); });
    return id;
  }
  request["id"] = id;
  queue_.push_back(Job{id, std::move(request), std::move(callbacks)});
  Dispatch();
  return id;
}

void NodePool::Dispatch() {
  for (auto& worker : workers_) {
    if (queue_.empty()) return;
    if (worker->job != 0) continue;
    Job job = std::move(queue_.front());
    queue_.pop_front();
    worker->job = job.id;
    worker->Send(job.request.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
    running_.emplace(job.id, worker);
    jobs_.emplace(job.id, std::move(job.callbacks));
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

void NodePool::OnMessage(const std::shared_ptr<Worker>& worker, const nlohmann::json& msg) {
  const auto type = msg.value("t", "");
  if (type == "ready") {
    worker->ready = true;
    failed_starts_ = 0;
    return;
  }
  if (worker->job == 0 || msg.value("id", uint64_t{0}) != worker->job) return;
  auto callbacks = jobs_.find(worker->job);
  if (callbacks == jobs_.end()) return;
  if (type == "sync") {
    nlohmann::json result = callbacks->second.on_sync ? callbacks->second.on_sync(msg) : nullptr;
    worker->Answer(nlohmann::json{{"r", result}}.dump(-1, ' ', false,
                                                       nlohmann::json::error_handler_t::replace) +
                   "\n");
    return;
  }
  if (type == "done" || type == "loaded") {
    auto on_done = std::move(callbacks->second.on_done);
    jobs_.erase(callbacks);
    running_.erase(worker->job);
    worker->job = 0;
    Dispatch();
    if (on_done) on_done(msg);
  }
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

void NodePool::CheckScriptAsync(const std::string& script, uint64_t generation,
                                std::function<void(Result<StepKind>)> done) {
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
  const uint64_t job = Submit(
      {{"t", "load"}, {"script", script}, {"gen", generation}},
      JobCallbacks{nullptr,
                   [complete](const nlohmann::json& msg) {
                     if (msg.contains("error")) {
                       complete(Status::ScriptError(msg.value("error", "")));
                     } else {
                       complete(msg.value("kind", "") == "hook" ? StepKind::kHook
                                                                : StepKind::kAction);
                     }
                   },
                   [complete, script](const std::string& why, bool) {
                     complete(Status::ScriptError(fmt::format("{}: loading it failed: {}", script, why)));
                   }});
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
  if (io_.stopped()) io_.restart();
  while (!result->has_value() && io_.run_one() > 0) {
  }
  if (!result->has_value()) return Status::Internal("the event loop stopped while loading " + script);
  return std::move(**result);
}

}  // namespace prereg::adapters
