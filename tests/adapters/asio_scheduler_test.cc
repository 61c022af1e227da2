// AsioScheduler: deadlines in one queue behind a single Asio timer fire in order, cancelled ones
// never fire, and a deadline earlier than the one the timer waits for re-arms it.

#include "prereg/adapters/asio_scheduler.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace prereg {
namespace {

using adapters::AsioScheduler;

TEST_CASE("AsioScheduler: timers fire in deadline order and cancelled ones never fire",
          "[adapters][scheduler]") {
  boost::asio::io_context io;
  AsioScheduler scheduler(io);
  std::vector<std::string> fired;
  const int64_t now = scheduler.NowMicros();
  // Set latest first, so that each new deadline is earlier than the armed one.
  scheduler.SetTimer(now + 30'000, [&] { fired.push_back("30ms"); });
  const auto cancelled = scheduler.SetTimer(now + 20'000, [&] { fired.push_back("20ms"); });
  scheduler.SetTimer(now + 10'000, [&] { fired.push_back("10ms"); });
  scheduler.SetTimer(now + 10'000, [&] { fired.push_back("10ms second"); });
  scheduler.CancelTimer(cancelled);
  scheduler.CancelTimer(cancelled);  // twice: nothing happens
  scheduler.CancelTimer(12345);      // unknown: nothing happens
  io.run();
  CHECK(fired == std::vector<std::string>{"10ms", "10ms second", "30ms"});
  CHECK(scheduler.NowMicros() >= now + 30'000);
}

TEST_CASE("AsioScheduler: a timer can set and cancel timers from its callback",
          "[adapters][scheduler]") {
  boost::asio::io_context io;
  AsioScheduler scheduler(io);
  std::vector<std::string> fired;
  const int64_t now = scheduler.NowMicros();
  Scheduler::TimerId doomed = 0;
  scheduler.SetTimer(now + 5'000, [&] {
    fired.push_back("first");
    scheduler.CancelTimer(doomed);
    scheduler.SetTimer(scheduler.NowMicros() + 1'000, [&] { fired.push_back("chained"); });
    scheduler.SetTimer(0, [&] { fired.push_back("already due"); });  // a deadline in the past
  });
  doomed = scheduler.SetTimer(now + 8'000, [&] { fired.push_back("doomed"); });
  scheduler.SetTimer(now + 40'000, [&] { fired.push_back("last"); });
  io.run();
  CHECK(fired == std::vector<std::string>{"first", "already due", "chained", "last"});
}

TEST_CASE("AsioScheduler: cancelling the earliest timer leaves the later ones on time",
          "[adapters][scheduler]") {
  boost::asio::io_context io;
  AsioScheduler scheduler(io);
  bool fired = false;
  const int64_t now = scheduler.NowMicros();
  const auto early = scheduler.SetTimer(now + 5'000, [] { FAIL("a cancelled timer fired"); });
  scheduler.SetTimer(now + 15'000, [&] { fired = true; });
  scheduler.CancelTimer(early);
  io.run();  // wakes at 5 ms for nothing due, waits again for 15 ms
  CHECK(fired);
  CHECK(scheduler.NowMicros() >= now + 15'000);
}

}  // namespace
}  // namespace prereg
