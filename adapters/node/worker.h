// Internal to the Node pool: one `node runner.js` process and its four pipes.
//   fd 0      <- requests (async writes from the engine)
//   fd 1, 2   -> captured output (a script's stdout cannot reach the protocol)
//   fd 3      -> replies and synchronous requests, one JSON document per line, at most
//                max_reply_bytes each; a longer line or one ParseWorkerMessage refuses is a
//                protocol violation: the worker is killed and its owner told why
//   fd 4      <- answers to synchronous requests, written while the worker blocks on them; it is
//                non-blocking, so a worker that does not read its answers cannot stall the engine
// Use on the event loop's thread.

#ifndef PREREG_ADAPTERS_NODE_WORKER_H_
#define PREREG_ADAPTERS_NODE_WORKER_H_

#include <sys/types.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <nlohmann/json.hpp>

#include "prereg/adapters/node_pool.h"
#include "reply.h"
#include "sandbox.h"

namespace prereg::adapters {

namespace asio = boost::asio;

class NodeWorker : public std::enable_shared_from_this<NodeWorker> {
 public:
  using MessageFn = std::function<void(const std::shared_ptr<NodeWorker>&, const WorkerMessage&)>;
  using ExitFn = std::function<void(const std::shared_ptr<NodeWorker>&, const std::string&)>;

  NodeWorker(asio::io_context& io, size_t max_reply_bytes)
      : cancel_timer(io), stdin_(io), replies_(io), output_(io), reap_timer_(io),
        reply_buf_(max_reply_bytes + 1), max_reply_bytes_(max_reply_bytes) {}
  ~NodeWorker() {
    if (sync_fd_ >= 0) ::close(sync_fd_);
  }

  // Starts the process `plan` describes, leading a process group of its own.
  Status Spawn(const SpawnPlan& plan);

  // `on_violation` hears a protocol violation once, after the worker was killed.
  void Begin(MessageFn on_message, ExitFn on_exit, ExitFn on_violation, int memory_mb);
  // Hands a started worker to new owners (a warm process taken by a group).
  void Rebind(MessageFn on_message, ExitFn on_exit, ExitFn on_violation);

  // Writes `line` (one whole line) to the worker's stdin. Lines sent in one turn of the event
  // loop go out together after it, or as soon as kLinesPerEarlyWrite of them wait; lines sent
  // while a write is under way go out with the next.
  void Send(std::string_view line);
  static constexpr int kLinesPerEarlyWrite = 4;

  // Answers a synchronous request; the worker is blocked reading fd 4. A worker that has not
  // left room for the answer is not waiting for one: a protocol violation.
  void Answer(const std::string& line);

  void Kill();
  // Kills it for using more memory than its limit: its exit is described as running out of it.
  void KillOverMemory();
  // Its resident memory now (/proc/PID/statm), 0 when it cannot be read.
  size_t ResidentBytes() const;

  pid_t pid() const { return pid_; }
  bool ready = false;  // it has loaded its script
  bool killed() const { return killed_; }
  // When it last wrote a message: while it runs jobs with concurrency > 1, at least every
  // kHeartbeatMs unless its event loop is blocked.
  std::chrono::steady_clock::time_point last_heard = std::chrono::steady_clock::now();
  // The jobs running on it (at most PoolOptions::concurrency), oldest first.
  std::vector<uint64_t> jobs;
  bool Runs(uint64_t job) const;
  void Drop(uint64_t job);
  // The job blocked on a synchronous call (api.cache) waiting for its answer; 0 when none.
  uint64_t sync_job = 0;
  // It takes no new jobs: it is replaced, and killed once its last job ends.
  bool retiring = false;
  // Armed when a job on it was cancelled while others ran: the runner must confirm in time, or
  // its event loop is blocked and it is killed (see WorkerGroup::Abort).
  asio::steady_timer cancel_timer;
  // Why it was killed on purpose: the job whose overrun or exit it was, for the messages of the
  // other jobs running on it (0: not one job's doing).
  uint64_t culprit = 0;
  std::string culprit_reason;  // what it did; empty: the worker's exit says
  // Kept by its group: executions it finished, when it started, whether it must be replaced once
  // idle (it left work running), and the origins of its last jobs, for late reports.
  int executions = 0;
  std::chrono::steady_clock::time_point born = std::chrono::steady_clock::now();
  bool recycle = false;
  static constexpr std::chrono::steady_clock::time_point kNotWritten =
      std::chrono::steady_clock::time_point::max();
  struct Origin {
    uint64_t job;
    std::string origin;
    std::shared_ptr<const SecretMask> mask;
    // When the job was written to the worker; kNotWritten while its line waits in the outbox.
    std::chrono::steady_clock::time_point sent = kNotWritten;
  };
  std::deque<Origin> recent_origins;
  // The origin recorded for `job`, or "" when it is no longer among the recent ones.
  std::string OriginOf(uint64_t job) const;
  // The first job it runs that was written to it after `t`, or 0.
  uint64_t FirstSentAfter(std::chrono::steady_clock::time_point t) const;

 private:
  void Flush();
  // Writes what the outbox holds now, as far as the pipe takes it without waiting.
  void WriteNow();
  // Stamps the jobs whose lines are being written as sent.
  void MarkSent();

  void ReadReply();
  // Handles the reply line of `n` bytes at the front of reply_buf_; false when reading stops.
  bool HandleReply(size_t n);
  // The length of the whole line at the front of reply_buf_, newline included, or 0.
  size_t WholeLineBuffered() const;
  void Violation(const std::string& why);

  void ReadOutput();

  // The reply channel closed: the process is ending. Collect its status without blocking.
  void Reap(int attempt);

  asio::posix::stream_descriptor stdin_;
  asio::posix::stream_descriptor replies_;
  asio::posix::stream_descriptor output_;
  asio::steady_timer reap_timer_;
  int sync_fd_ = -1;
  pid_t pid_ = -1;
  bool killed_ = false;
  bool reaped_ = false;
  bool over_memory_ = false;
  int reported_code_ = -1;
  int memory_mb_ = 0;
  std::string outbox_;   // lines not written yet
  std::string writing_;  // the lines being written
  bool flush_posted_ = false;  // a Flush is queued on the event loop
  int outbox_lines_ = 0;        // lines in outbox_ (Send's count, for the early write)
  asio::streambuf reply_buf_;
  const size_t max_reply_bytes_;
  bool violated_ = false;
  std::array<char, 4096> output_chunk_{};
  std::string output_tail_;
  MessageFn on_message_;
  ExitFn on_exit_;
  ExitFn on_violation_;
};

}  // namespace prereg::adapters

#endif  // PREREG_ADAPTERS_NODE_WORKER_H_
