// Scheduler: where the engine gets time and runs its callbacks (leveldb's Env seam).
//
// The flow executor never reads a clock or sleeps: it asks a Scheduler for the time, for deadlines
// and to run continuations. Adapters implement it on an event loop (Boost.Asio); tests implement
// it with a manual clock so that timeouts are tested without sleeping. LoopScheduler below is a
// small real-time implementation for synchronous use of the library.
//
// Thread safety: Post() may be called from any thread. Everything else, and every callback the
// scheduler runs, happens on the scheduler's one thread.

#ifndef PREREG_ACTIONS_SCHEDULER_H_
#define PREREG_ACTIONS_SCHEDULER_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>

namespace prereg {

class Scheduler {
 public:
  using TimerId = uint64_t;

  virtual ~Scheduler() = default;

  // Monotonic time in microseconds. Only differences matter.
  virtual int64_t NowMicros() = 0;
  // Wall-clock time in milliseconds since the Unix epoch (cache expiry is expressed in it).
  virtual int64_t UnixMillis() = 0;
  // Runs `fn` soon on the scheduler's thread, after the current callback returns. Thread-safe.
  virtual void Post(std::function<void()> fn) = 0;
  // Runs `fn` on the scheduler's thread once NowMicros() >= at_micros, unless cancelled first.
  virtual TimerId SetTimer(int64_t at_micros, std::function<void()> fn) = 0;
  // Cancels a timer that has not fired. Cancelling a fired or unknown timer does nothing.
  virtual void CancelTimer(TimerId id) = 0;
};

// A real-time scheduler whose loop runs in the thread that calls RunUntil().
class LoopScheduler : public Scheduler {
 public:
  LoopScheduler() = default;
  LoopScheduler(const LoopScheduler&) = delete;
  LoopScheduler& operator=(const LoopScheduler&) = delete;

  int64_t NowMicros() override;
  int64_t UnixMillis() override;
  void Post(std::function<void()> fn) override;
  TimerId SetTimer(int64_t at_micros, std::function<void()> fn) override;
  void CancelTimer(TimerId id) override;

  // Runs posted callbacks and due timers until `done()` is true, checked after each callback.
  // Returns false if nothing is left to run or wait for while `done()` is still false.
  bool RunUntil(const std::function<bool()>& done);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> posted_;
  std::multimap<int64_t, std::pair<TimerId, std::function<void()>>> timers_;
  TimerId next_id_ = 1;
};

}  // namespace prereg

#endif  // PREREG_ACTIONS_SCHEDULER_H_
