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
  queue_.emplace(std::pair(at_micros, id), std::move(fn));
  deadlines_.emplace(id, at_micros);
  if (!armed_at_ || at_micros < *armed_at_) Arm(at_micros);
  return id;
}

void AsioScheduler::CancelTimer(TimerId id) {
  // The Asio timer stays armed: when it fires early it finds nothing due and waits again.
  auto it = deadlines_.find(id);
  if (it == deadlines_.end()) return;
  queue_.erase(std::pair(it->second, id));
  deadlines_.erase(it);
}

void AsioScheduler::Arm(int64_t at_micros) {
  armed_at_ = at_micros;
  timer_.expires_at(std::chrono::steady_clock::time_point(std::chrono::microseconds(at_micros)));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // re-armed or destroyed: `this` may be gone
    OnTimer();
  });
}

void AsioScheduler::OnTimer() {
  armed_at_.reset();
  const int64_t now = NowMicros();
  while (!queue_.empty() && queue_.begin()->first.first <= now) {
    auto node = queue_.extract(queue_.begin());
    deadlines_.erase(node.key().second);
    node.mapped()();  // may set or cancel timers
  }
  if (!queue_.empty() && !armed_at_) Arm(queue_.begin()->first.first);
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
