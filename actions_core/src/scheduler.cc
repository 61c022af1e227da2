#include "prereg/actions/scheduler.h"

#include <chrono>

namespace prereg {

int64_t LoopScheduler::NowMicros() {
  using namespace std::chrono;
  return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

int64_t LoopScheduler::UnixMillis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

void LoopScheduler::Post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    posted_.push_back(std::move(fn));
  }
  cv_.notify_one();
}

Scheduler::TimerId LoopScheduler::SetTimer(int64_t at_micros, std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  TimerId id = next_id_++;
  timers_.emplace(at_micros, std::make_pair(id, std::move(fn)));
  return id;
}

void LoopScheduler::CancelTimer(TimerId id) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = timers_.begin(); it != timers_.end(); ++it) {
    if (it->second.first == id) {
      timers_.erase(it);
      return;
    }
  }
}

bool LoopScheduler::RunUntil(const std::function<bool()>& done) {
  while (!done()) {
    std::function<void()> next;
    {
      std::unique_lock<std::mutex> lock(mu_);
      for (;;) {
        if (!posted_.empty()) {
          next = std::move(posted_.front());
          posted_.pop_front();
          break;
        }
        if (timers_.empty()) return false;
        auto first = timers_.begin();
        int64_t now = NowMicros();
        if (first->first <= now) {
          next = std::move(first->second.second);
          timers_.erase(first);
          break;
        }
        cv_.wait_for(lock, std::chrono::microseconds(first->first - now));
      }
    }
    next();
  }
  return true;
}

}  // namespace prereg
