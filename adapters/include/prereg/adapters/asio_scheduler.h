// AsioScheduler: the engine's Scheduler on a Boost.Asio io_context, so flows, Node workers and
// the HTTP service share one event loop. Thread safety: as Scheduler (Post from any thread; the
// rest on the thread running the io_context).

#ifndef PREREG_ADAPTERS_ASIO_SCHEDULER_H_
#define PREREG_ADAPTERS_ASIO_SCHEDULER_H_

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

}  // namespace prereg::adapters

#endif  // PREREG_ADAPTERS_ASIO_SCHEDULER_H_
