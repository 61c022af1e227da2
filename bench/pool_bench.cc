// Measures the Node worker pool: executions per second of a trivial Action through the whole
// engine (executor, Api, runner protocol, worker), and the overhead each step adds over a bare
// Node loop calling the same handler in-process. Both are measured in this one run.
//
// Usage: prereg_pool_bench [EXECUTIONS]   (default 5000)

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "prereg/adapters/runtime.h"

namespace {

using Clock = std::chrono::steady_clock;

const char* kEvent = R"({"user": {"email": "ada@example.com", "app_metadata": {}, "user_metadata": {}},
  "request": {"ip": "203.0.113.7", "language": "en", "method": "POST",
              "geoip": {"countryCode": "GB"}, "body": {}},
  "connection": {"id": "con_1", "name": "db", "strategy": "auth0"}, "tenant": {"id": "bench"}})";

// Seconds for `n` sequential executions of a flow of `steps` copies of the trivial Action.
double TimeFlow(prereg::adapters::Runtime& runtime, int steps, int n) {
  prereg::adapters::FlowSpec spec;
  for (int i = 0; i < steps; ++i) {
    spec.steps.push_back({fmt::format("s{}", i), PREREG_BENCH_DIR "/trivial-action.js", {}, {}, {}});
  }
  auto flow = runtime.Load(spec, {});
  if (!flow.ok()) {
    std::cerr << flow.status().ToString() << "\n";
    std::exit(1);
  }
  const auto event = nlohmann::json::parse(kEvent);
  for (int i = 0; i < 200; ++i) (void)runtime.Run(*flow.value(), event);  // warm-up
  const auto start = Clock::now();
  for (int i = 0; i < n; ++i) {
    auto r = runtime.Run(*flow.value(), event);
    if (!r.ok() || r.value().outcome != prereg::Outcome::kAllow) {
      std::cerr << "unexpected result in the benchmark\n";
      std::exit(1);
    }
  }
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double TimeBaseline(int n) {
  const std::string cmd = fmt::format("node '{}' {} '{}'", PREREG_BENCH_DIR "/node-baseline.js", n,
                                      nlohmann::json::parse(kEvent).dump());
  FILE* p = ::popen(cmd.c_str(), "r");
  char line[256] = {0};
  if (p == nullptr || std::fgets(line, sizeof line, p) == nullptr) {
    std::cerr << "the Node baseline did not run\n";
    std::exit(1);
  }
  ::pclose(p);
  int calls = 0;
  double seconds = 0;
  if (std::sscanf(line, "baseline %d %lf", &calls, &seconds) != 2) std::exit(1);
  return seconds;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 5000;
  prereg::adapters::PoolOptions options;
  options.workers = 1;
  prereg::adapters::Runtime runtime(options);
  if (auto s = runtime.Start(); !s.ok()) {
    std::cerr << s.ToString() << "\n";
    return 1;
  }
  const double one = TimeFlow(runtime, 1, n);
  const double five = TimeFlow(runtime, 5, n);
  const double base = TimeBaseline(n);

  const double us_one = one / n * 1e6;
  const double us_five = five / n * 1e6;
  const double us_base = base / n * 1e6;
  const double per_step = (us_five - us_one) / 4;  // cost of one more step in a flow
  fmt::print("executions: {} sequential, 1 worker\n", n);
  fmt::print("prereg, 1-step flow : {:9.1f} us/execution  {:9.0f} executions/s\n", us_one, 1e6 / us_one);
  fmt::print("prereg, 5-step flow : {:9.1f} us/execution  {:9.0f} executions/s\n", us_five, 1e6 / us_five);
  fmt::print("bare Node loop      : {:9.1f} us/call       {:9.0f} calls/s\n", us_base, 1e6 / us_base);
  fmt::print("per-step cost       : {:9.1f} us (one more step in a flow)\n", per_step);
  fmt::print("per-step overhead   : {:9.1f} us over the bare call (target <= 50)\n", per_step - us_base);
  fmt::print("ratio prereg/bare   : {:9.1f}x per step\n", per_step / us_base);
  return 0;
}
