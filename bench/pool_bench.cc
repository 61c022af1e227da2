// Measures the Node worker pool: executions per second of a trivial Action through the whole
// engine (executor, Api, runner protocol, worker), and the overhead each step adds over a bare
// Node loop calling the same handler in-process. Both are measured in this one run.
//
// The 1-step and the 5-step flow are timed in alternating rounds, after both have warmed up, and
// the per-step cost is the median over rounds of what the 5-step flow took more: on a shared VM
// the speed drifts from second to second, and two flows timed one after the other measured the
// drift as much as the step (bench/README.md).
//
// Usage: prereg_pool_bench [EXECUTIONS]   (of each flow; default 5000)

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "prereg/adapters/runtime.h"

namespace {

using Clock = std::chrono::steady_clock;

const char* kEvent = R"({"user": {"email": "ada@example.com", "app_metadata": {}, "user_metadata": {}},
  "request": {"ip": "203.0.113.7", "language": "en", "method": "POST",
              "geoip": {"countryCode": "GB"}, "body": {}},
  "connection": {"id": "con_1", "name": "db", "strategy": "auth0"}, "tenant": {"id": "bench"}})";

constexpr int kRounds = 20;
// Steps each flow's worker runs before timing: 5,000 executions of the 1-step flow, 1,000 of the
// 5-step flow. Each flow has a worker of its own (a process per script and load), which must have
// compiled its hot code before it is timed, as a long-running service's workers have; with fewer
// executions than the 5-step flow's, the 1-step flow's worker was still measurably slower.
constexpr int kWarmupSteps = 5000;

std::unique_ptr<prereg::Flow> LoadFlow(prereg::adapters::Runtime& runtime, int steps) {
  prereg::adapters::FlowSpec spec;
  for (int i = 0; i < steps; ++i) {
    spec.steps.push_back({fmt::format("s{}", i), PREREG_BENCH_DIR "/trivial-action.js", {}, {}, {}});
  }
  auto flow = runtime.Load(spec, {});
  if (!flow.ok()) {
    std::cerr << flow.status().ToString() << "\n";
    std::exit(1);
  }
  return std::move(flow).value();
}

// Microseconds per execution of `n` sequential executions of `flow`.
double TimeFlow(prereg::adapters::Runtime& runtime, const prereg::Flow& flow,
                const nlohmann::json& event, int n) {
  const auto start = Clock::now();
  for (int i = 0; i < n; ++i) {
    auto r = runtime.Run(flow, event);
    if (!r.ok() || r.value().outcome != prereg::Outcome::kAllow) {
      std::cerr << "unexpected result in the benchmark\n";
      std::exit(1);
    }
  }
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count() / n;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
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
  const int n = std::max(kRounds, argc > 1 ? std::atoi(argv[1]) : 5000);
  prereg::adapters::PoolOptions options;
  options.workers = 1;
  prereg::adapters::Runtime runtime(options);
  if (auto s = runtime.Start(); !s.ok()) {
    std::cerr << s.ToString() << "\n";
    return 1;
  }
  const auto event = nlohmann::json::parse(kEvent);
  const auto one_step = LoadFlow(runtime, 1);
  const auto five_steps = LoadFlow(runtime, 5);
  (void)TimeFlow(runtime, *one_step, event, kWarmupSteps);
  (void)TimeFlow(runtime, *five_steps, event, kWarmupSteps / 5);

  std::vector<double> one, five, step;
  const int block = n / kRounds;
  for (int round = 0; round < kRounds; ++round) {
    // Which flow goes first alternates too: neither always follows the other's idle worker.
    const bool one_first = round % 2 == 0;
    double a = one_first ? TimeFlow(runtime, *one_step, event, block) : 0;
    const double b = TimeFlow(runtime, *five_steps, event, block);
    if (!one_first) a = TimeFlow(runtime, *one_step, event, block);
    one.push_back(a);
    five.push_back(b);
    step.push_back((b - a) / 4);  // the cost of one more step in a flow
  }
  const double us_base = TimeBaseline(n) / n * 1e6;
  const double us_one = Median(one);
  const double us_five = Median(five);
  const double per_step = Median(step);
  fmt::print("executions: {} of each flow, sequential, 1 worker per script, {} alternating rounds "
             "(medians)\n", block * kRounds, kRounds);
  fmt::print("prereg, 1-step flow : {:9.1f} us/execution  {:9.0f} executions/s\n", us_one, 1e6 / us_one);
  fmt::print("prereg, 5-step flow : {:9.1f} us/execution  {:9.0f} executions/s\n", us_five, 1e6 / us_five);
  fmt::print("bare Node loop      : {:9.1f} us/call       {:9.0f} calls/s\n", us_base, 1e6 / us_base);
  const auto [low, high] = std::minmax_element(step.begin(), step.end());
  fmt::print("per-step cost       : {:9.1f} us (one more step in a flow; rounds {:.1f} to {:.1f})\n",
             per_step, *low, *high);
  fmt::print("per-step overhead   : {:9.1f} us over the bare call (target <= 50)\n", per_step - us_base);
  fmt::print("ratio prereg/bare   : {:9.1f}x per step\n", per_step / us_base);
  return 0;
}
