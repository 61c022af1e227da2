#include "prereg/actions/scheduler.h"

#include <string>

#include <catch2/catch.hpp>

namespace prereg {
namespace {

TEST_CASE("LoopScheduler: runs posted callbacks, then timers in deadline order",
          "[actions_core][scheduler]") {
  LoopScheduler s;
  std::string order;
  const int64_t now = s.NowMicros();
  s.SetTimer(now + 2000, [&] { order += "late;"; });
  s.SetTimer(now + 1000, [&] { order += "early;"; });
  auto cancelled = s.SetTimer(now + 1500, [&] { order += "cancelled;"; });
  s.CancelTimer(cancelled);
  s.Post([&] { order += "posted;"; });
  CHECK_FALSE(s.RunUntil([] { return false; }));  // runs everything, then nothing is left
  CHECK(order == "posted;early;late;");
}

TEST_CASE("LoopScheduler: RunUntil stops as soon as the condition holds",
          "[actions_core][scheduler]") {
  LoopScheduler s;
  int runs = 0;
  s.Post([&] { ++runs; });
  s.Post([&] { ++runs; });
  CHECK(s.RunUntil([&] { return runs == 1; }));
  CHECK(runs == 1);
}

}  // namespace
}  // namespace prereg
