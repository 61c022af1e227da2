#include "prereg/adapters/asio_scheduler.h"

#include <chrono>

#include <boost/asio/post.hpp>

namespace prereg::adapters {

int64_t AsioScheduler::NowMicros() {
  using namespace std::chrono;
  return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

int64_t AsioScheduler::UnixMillis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

void AsioScheduler::Post(std::function<void()> fn) { boost::asio::post(io_, std::move(fn)); }

Scheduler::TimerId AsioScheduler::SetTimer(int64_t at_micros, std::function<void()> fn) {
  const TimerId id = next_id_++;
  auto timer = std::make_shared<boost::asio::steady_timer>(io_);
  timer->expires_at(std::chrono::steady_clock::time_point(std::chrono::microseconds(at_micros)));
  timers_.emplace(id, timer);
  timer->async_wait([this, id, fn = std::move(fn)](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled
    timers_.erase(id);
    fn();
  });
  return id;
}

void AsioScheduler::CancelTimer(TimerId id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  it->second->cancel();
  timers_.erase(it);
}

}  // namespace prereg::adapters
