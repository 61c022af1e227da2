// AsioScheduler: the engine's Scheduler on a Boost.Asio io_context, so flows, Node workers and
// the HTTP service share one event loop. Thread safety: as Scheduler (Post from any thread; the
// rest on the thread running the io_context).
//
// Every step sets a deadline and nearly every step cancels it, so timers live in one ordered
// queue behind a single Asio timer, re-armed only when the earliest deadline moves earlier:
// setting and cancelling a deadline costs no allocation of an Asio timer and, usually, no system
// call.

#ifndef PREREG_ADAPTERS_ASIO_SCHEDULER_H_
#define PREREG_ADAPTERS_ASIO_SCHEDULER_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "prereg/actions/scheduler.h"

namespace prereg::adapters {

class AsioScheduler : public Scheduler {
 public:
  explicit AsioScheduler(boost::asio::io_context& io) : io_(io), timer_(io) {}

  int64_t NowMicros() override;
  int64_t UnixMillis() override;
  void Post(std::function<void()> fn) override;
  TimerId SetTimer(int64_t at_micros, std::function<void()> fn) override;
  void CancelTimer(TimerId id) override;

 private:
  // Runs the timers that are due, then waits for the next one.
  void OnTimer();
  void Arm(int64_t at_micros);

  boost::asio::io_context& io_;
  boost::asio::steady_timer timer_;
  std::map<std::pair<int64_t, TimerId>, std::function<void()>> queue_;  // by deadline
  std::map<TimerId, int64_t> deadlines_;                                // id -> deadline
  std::optional<int64_t> armed_at_;  // what timer_ waits for, if it waits
  TimerId next_id_ = 1;
};

// Runs `io`'s handlers in the calling thread until `done()` holds. With `spin_us` > 0 it polls for
// that long before each sleep in the kernel, trading CPU for the tens of microseconds a wake-up
// costs. Returns false if `io` ran out of work first. REQUIRES: no other thread runs `io`.
bool RunUntil(boost::asio::io_context& io, const std::function<bool()>& done, int spin_us = 0);

}  // namespace prereg::adapters

#endif  // PREREG_ADAPTERS_ASIO_SCHEDULER_H_
