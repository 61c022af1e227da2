#include "worker.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include "prereg/actions/json.h"

extern char** environ;

namespace prereg::adapters {

namespace {

constexpr size_t kOutputTail = 4096;  // bytes of a worker's output kept for diagnostics

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
                         int memory_mb, bool over_memory) {
  if (over_memory || output.find("heap out of memory") != std::string::npos ||
      output.find("Reached heap limit") != std::string::npos) {
    return memory_mb > 0
               ? fmt::format("the script ran out of memory (worker limit {} MiB)", memory_mb)
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

// SCHED_BATCH for a worker: woken by a request, it does not preempt the process running on that
// core (the service, most often); by the time it runs, more requests have queued behind the first
// and it takes them in one wake-up (bench/README.md, 2026-12-06). Its share of the CPU is
// unchanged. A child inherits its parent thread's policy, and glibc's posix_spawnattr takes only
// OTHER, FIFO and RR, so the spawning thread holds the policy for the spawn and then returns to
// its own. A system that refuses it leaves the worker as it was.
class BatchPolicyWhileSpawning {
 public:
  BatchPolicyWhileSpawning()
      : changed_(::sched_getscheduler(0) == SCHED_OTHER &&
                 ::sched_setscheduler(0, SCHED_BATCH, &kNoPriority) == 0) {}
  ~BatchPolicyWhileSpawning() {
    if (changed_) ::sched_setscheduler(0, SCHED_OTHER, &kNoPriority);
  }
  BatchPolicyWhileSpawning(const BatchPolicyWhileSpawning&) = delete;
  BatchPolicyWhileSpawning& operator=(const BatchPolicyWhileSpawning&) = delete;

 private:
  static constexpr sched_param kNoPriority{};
  const bool changed_;
};

}  // namespace

Status NodeWorker::Spawn(const SpawnPlan& plan) {
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
  // Its own process group: whatever it starts is killed with it.
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

  std::vector<std::string> args = plan.argv;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env = plan.env;
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  int rc;
  {
    const BatchPolicyWhileSpawning batch;
    rc = ::posix_spawnp(&pid_, args[0].c_str(), &actions, &attr, argv.data(),
                        plan.env.empty() ? environ : envp.data());
  }
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  for (int fd : {in[0], out[1], rep[1], sync[0]}) ::close(fd);
  if (rc == 0 && plan.data_limit_bytes > 0) {
    // Set from outside, before the script is sent: posix_spawn cannot set limits, and setting
    // prereg's own would limit its other threads while the child starts.
    const rlimit limit{plan.data_limit_bytes, plan.data_limit_bytes};
    ::prlimit(pid_, RLIMIT_DATA, &limit, nullptr);
  }
  if (rc != 0) {
    for (int fd : {in[1], out[0], rep[0], sync[1]}) ::close(fd);
    return Status::Unavailable(fmt::format(
        "cannot start node ('{}'): {}. Install Node.js 18 or later (apt-get install nodejs) "
        "or give the path to node with --node",
        args[0], std::strerror(rc)));
  }
  stdin_.assign(in[1]);
  replies_.assign(rep[0]);
  output_.assign(out[0]);
  sync_fd_ = sync[1];
  ::fcntl(sync_fd_, F_SETFL, ::fcntl(sync_fd_, F_GETFL) | O_NONBLOCK);
  return Status::OK();
}

void NodeWorker::Begin(MessageFn on_message, ExitFn on_exit, ExitFn on_violation,
                       int memory_mb) {
  on_message_ = std::move(on_message);
  on_exit_ = std::move(on_exit);
  on_violation_ = std::move(on_violation);
  memory_mb_ = memory_mb;
  ReadReply();
  ReadOutput();
}

void NodeWorker::Rebind(MessageFn on_message, ExitFn on_exit, ExitFn on_violation) {
  on_message_ = std::move(on_message);
  on_exit_ = std::move(on_exit);
  on_violation_ = std::move(on_violation);
}

void NodeWorker::Send(std::string_view line) {
  outbox_.append(line);
  ++outbox_lines_;
  // Lines sent while the event loop works through what is ready go out together, in one write
  // after it: one wake-up of the worker for all of them. But once kLinesPerEarlyWrite wait, they
  // go at once, so that the worker starts on them while the engine prepares the rest of a burst
  // instead of idling until the whole burst is ready (bench/README.md, 2026-12-07, fifth session).
  if (outbox_lines_ >= kLinesPerEarlyWrite && writing_.empty()) {
    WriteNow();
    if (outbox_.empty()) return;
  }
  if (!writing_.empty() || flush_posted_) return;  // goes out with that write
  flush_posted_ = true;
  asio::post(stdin_.get_executor(), [self = shared_from_this()] {
    self->flush_posted_ = false;
    self->Flush();
  });
}

void NodeWorker::WriteNow() {
  outbox_lines_ = 0;  // the next early write, if any, comes kLinesPerEarlyWrite lines later
  boost::system::error_code ec;
  if (!stdin_.non_blocking()) stdin_.non_blocking(true, ec);
  if (ec) return;  // left to the posted Flush
  const size_t written = stdin_.write_some(asio::buffer(outbox_), ec);
  // Nothing written (the pipe is full, or the worker is gone): the posted Flush writes it, or
  // meets the same error and handles it.
  if (written == 0) return;
  MarkSent();
  outbox_.erase(0, written);  // what the pipe did not take goes with the posted Flush
}

void NodeWorker::MarkSent() {
  const auto now = std::chrono::steady_clock::now();
  for (auto o = recent_origins.rbegin(); o != recent_origins.rend() && o->sent == kNotWritten;
       ++o) {
    o->sent = now;
  }
}

bool NodeWorker::Runs(uint64_t job) const {
  return std::find(jobs.begin(), jobs.end(), job) != jobs.end();
}

void NodeWorker::Drop(uint64_t job) {
  auto it = std::find(jobs.begin(), jobs.end(), job);
  if (it != jobs.end()) jobs.erase(it);
  if (sync_job == job) sync_job = 0;
}

uint64_t NodeWorker::FirstSentAfter(std::chrono::steady_clock::time_point t) const {
  for (const auto& o : recent_origins) {
    if (o.sent > t && o.sent != kNotWritten && Runs(o.job)) return o.job;
  }
  return 0;
}

std::string NodeWorker::OriginOf(uint64_t job) const {
  for (const auto& o : recent_origins) {
    if (o.job == job) return o.origin;
  }
  return "";
}

void NodeWorker::Answer(const std::string& line) {
  size_t off = 0;
  while (off < line.size()) {
    ssize_t n = ::write(sync_fd_, line.data() + off, line.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      return Violation("the worker did not read its answers to api.cache calls (something other "
                       "than the runner wrote a synchronous request on file descriptor 3)");
    }
    if (n <= 0) return;  // the worker is gone; its exit will be reported
    off += static_cast<size_t>(n);
  }
}

size_t NodeWorker::ResidentBytes() const {
  if (pid_ <= 0 || reaped_) return 0;
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/statm", static_cast<int>(pid_));
  FILE* f = std::fopen(path, "re");
  if (f == nullptr) return 0;
  unsigned long size = 0, resident = 0;
  const int n = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  static const long page = ::sysconf(_SC_PAGESIZE);
  return n == 2 ? resident * static_cast<size_t>(page) : 0;
}

void NodeWorker::KillOverMemory() {
  over_memory_ = true;
  Kill();
}

void NodeWorker::Kill() {
  killed_ = true;
  if (pid_ > 0 && !reaped_) {
    ::kill(-pid_, SIGKILL);  // its process group: what the script started goes too
    ::kill(pid_, SIGKILL);
  }
}

void NodeWorker::Flush() {
  if (outbox_.empty() || !writing_.empty()) return;
  writing_.swap(outbox_);
  outbox_lines_ = 0;
  MarkSent();
  auto self = shared_from_this();
  asio::async_write(stdin_, asio::buffer(writing_),
                    [self](const boost::system::error_code& ec, size_t) {
                      self->writing_.clear();
                      if (ec) {
                        self->outbox_.clear();  // the worker is gone; its exit is reported
                        return;
                      }
                      self->Flush();
                    });
}

void NodeWorker::ReadReply() {
  auto self = shared_from_this();
  asio::async_read_until(
      replies_, reply_buf_, '\n', [self](const boost::system::error_code& ec, size_t n) {
        if (ec == asio::error::not_found) {  // the buffer is full and holds no newline
          self->Violation(fmt::format(
              "the worker wrote a line of more than {} bytes on its reply channel (a report too "
              "large to send, or something other than the runner writing to file descriptor 3)",
              self->max_reply_bytes_));
          self->reply_buf_.consume(self->reply_buf_.size());
          return self->ReadReply();
        }
        if (ec) return self->Reap(0);
        // Every whole line read so far is handled now rather than one per turn of the event
        // loop, so that the requests they lead to share a write (see Send).
        do {
          if (!self->HandleReply(n)) return;
        } while ((n = self->WholeLineBuffered()) != 0);
        self->ReadReply();
      });
}

size_t NodeWorker::WholeLineBuffered() const {
  const auto data = reply_buf_.data();
  const auto* begin = static_cast<const char*>(data.data());
  const auto* nl = static_cast<const char*>(std::memchr(begin, '\n', data.size()));
  return nl == nullptr ? 0 : static_cast<size_t>(nl - begin) + 1;
}

bool NodeWorker::HandleReply(size_t n) {
  // After a violation the worker is being killed: what it still wrote is dropped, and the
  // channel is read to its end so that the exit is collected.
  if (violated_) {
    reply_buf_.consume(n);
    return true;
  }
  last_heard = std::chrono::steady_clock::now();
  const auto* data = static_cast<const char*>(reply_buf_.data().data());
  auto msg = ParseWorkerMessage(std::string_view(data, n - 1));  // without the newline
  reply_buf_.consume(n);
  if (!msg.ok()) {
    Violation(
        fmt::format("the worker wrote something other than a message on its reply channel: {}",
                    msg.status().message()));
    return true;
  }
  if (msg.value().type == "exit") {
    reported_code_ = msg.value().code;
    if (msg.value().id != 0 && Runs(msg.value().id)) culprit = msg.value().id;
  }
  if (on_message_) on_message_(shared_from_this(), msg.value());
  return !reaped_ && !violated_;
}

void NodeWorker::Violation(const std::string& why) {
  if (violated_) return;
  violated_ = true;
  Kill();
  auto on_violation = std::move(on_violation_);
  if (on_violation) on_violation(shared_from_this(), why);
}

void NodeWorker::ReadOutput() {
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

void NodeWorker::Reap(int attempt) {
  // Look without reaping first: while the leader is a zombie its pid cannot be reused, so the
  // group can be killed without hitting an unrelated process.
  siginfo_t info{};
  const bool exited = ::waitid(P_PID, static_cast<id_t>(pid_), &info,
                               WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid_;
  if (!exited) {
    if (attempt == 50) {  // closed fd 3 but kept running
      ::kill(-pid_, SIGKILL);
      ::kill(pid_, SIGKILL);
    }
    reap_timer_.expires_after(std::chrono::milliseconds(20));
    auto self = shared_from_this();
    reap_timer_.async_wait([self, attempt](const boost::system::error_code&) {
      self->Reap(attempt + 1);
    });
    return;
  }
  ::kill(-pid_, SIGKILL);  // anything it started that is still running (a group outlives its leader)
  int status = 0;
  ::waitpid(pid_, &status, 0);
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
                            self->memory_mb_, self->over_memory_);
    auto on_exit = std::move(self->on_exit_);
    self->on_message_ = nullptr;
    if (on_exit) on_exit(self, why);
  });
}

}  // namespace prereg::adapters
