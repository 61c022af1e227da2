// AsioScheduler: the engine's Scheduler on a Boost.Asio io_context, so flows, Node workers and
// the HTTP service share one event loop. Thread safety: as Scheduler (Post from any thread; the
// rest on the thread running the io_context).

#ifndef PREREG_ADAPTERS_ASIO_SCHEDULER_H_
#define PREREG_ADAPTERS_ASIO_SCHEDULER_H_

#include <functional>
#include <map>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "prereg/actions/scheduler.h"

namespace prereg::adapters {

class AsioScheduler : public Scheduler {
 public:
  explicit AsioScheduler(boost::asio::io_context& io) : io_(io) {}

  int64_t NowMicros() override;
  int64_t UnixMillis() override;
  void Post(std::function<void()> fn) override;
  TimerId SetTimer(int64_t at_micros, std::function<void()> fn) override;
  void CancelTimer(TimerId id) override;

 private:
  boost::asio::io_context& io_;
  std::map<TimerId, std::shared_ptr<boost::asio::steady_timer>> timers_;
  TimerId next_id_ = 1;
};

// Runs `io`'s handlers in the calling thread until `done()` holds. With `spin_us` > 0 it polls for
// that long before each sleep in the kernel, trading CPU for the tens of microseconds a wake-up
// costs. Returns false if `io` ran out of work first. REQUIRES: no other thread runs `io`.
bool RunUntil(boost::asio::io_context& io, const std::function<bool()>& done, int spin_us = 0);

}  // namespace prereg::adapters

#endif  // PREREG_ADAPTERS_ASIO_SCHEDULER_H_
