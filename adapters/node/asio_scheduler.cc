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

bool RunUntil(boost::asio::io_context& io, const std::function<bool()>& done, int spin_us) {
  if (io.stopped()) io.restart();
  while (!done()) {
    if (io.poll_one() > 0) continue;
    bool ran = false;
    const auto spin_until = std::chrono::steady_clock::now() + std::chrono::microseconds(spin_us);
    while (!ran && std::chrono::steady_clock::now() < spin_until) ran = io.poll_one() > 0;
    if (!ran && io.run_one() == 0) return false;
  }
  return true;
}

}  // namespace prereg::adapters
