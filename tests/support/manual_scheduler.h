// ManualScheduler: a Scheduler whose clock moves only when a test says so, so deadlines are
// tested without sleeping (leveldb's fake Env, Beast's test stream).

#ifndef PREREG_TESTS_SUPPORT_MANUAL_SCHEDULER_H_
#define PREREG_TESTS_SUPPORT_MANUAL_SCHEDULER_H_

#include <deque>
#include <functional>
#include <map>

#include "prereg/actions/scheduler.h"

namespace prereg::testing {

class ManualScheduler : public Scheduler {
 public:
  int64_t NowMicros() override { return now_us_; }
  int64_t UnixMillis() override { return unix_base_ms_ + now_us_ / 1000; }
  void Post(std::function<void()> fn) override { posted_.push_back(std::move(fn)); }
  TimerId SetTimer(int64_t at_micros, std::function<void()> fn) override {
    timers_.emplace(at_micros, std::make_pair(next_id_, std::move(fn)));
    return next_id_++;
  }
  void CancelTimer(TimerId id) override {
    for (auto it = timers_.begin(); it != timers_.end(); ++it) {
      if (it->second.first == id) {
        timers_.erase(it);
        return;
      }
    }
  }

  // Runs every posted callback, without moving the clock.
  void RunPosted() {
    while (!posted_.empty()) {
      auto fn = std::move(posted_.front());
      posted_.pop_front();
      fn();
    }
  }
  // Moves the clock forward by `ms`, firing due timers in order and running what they post.
  void AdvanceMillis(int64_t ms) {
    const int64_t target = now_us_ + ms * 1000;
    RunPosted();
    while (!timers_.empty() && timers_.begin()->first <= target) {
      auto it = timers_.begin();
      now_us_ = std::max(now_us_, it->first);
      auto fn = std::move(it->second.second);
      timers_.erase(it);
      fn();
      RunPosted();
    }
    now_us_ = target;
  }
  size_t pending_timers() const { return timers_.size(); }
  void set_unix_base_ms(int64_t ms) { unix_base_ms_ = ms; }

 private:
  int64_t now_us_ = 1'000'000;
  int64_t unix_base_ms_ = 1'700'000'000'000;
  std::deque<std::function<void()>> posted_;
  std::multimap<int64_t, std::pair<TimerId, std::function<void()>>> timers_;
  TimerId next_id_ = 1;
};

}  // namespace prereg::testing

#endif  // PREREG_TESTS_SUPPORT_MANUAL_SCHEDULER_H_
