// Runs JavaScript steps through the real Node worker pool: scripts are written to a temporary
// directory, loaded like `prereg run` loads them, and executed on a Runtime.

#ifndef PREREG_TESTS_ADAPTERS_JS_FIXTURE_H_
#define PREREG_TESTS_ADAPTERS_JS_FIXTURE_H_

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "prereg/actions/executor.h"
#include "prereg/adapters/runtime.h"
#include "support/flow_runner.h"

namespace prereg::testing {

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("prereg-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& text) const {
    auto p = path_ / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
    return p.string();
  }

 private:
  std::filesystem::path path_;
};

inline std::string ReadAllText(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct JsStep {
  std::string name;
  std::string source;
  std::map<std::string, std::string> secrets = {};
  std::optional<int64_t> timeout_ms = std::nullopt;
};

// PREREG_TEST_WORKER_CONCURRENCY=N runs the tests that use the fixtures below with N executions
// per worker (tests/CMakeLists.txt runs the containment tests so too).
inline int TestWorkerConcurrency() {
  const char* n = std::getenv("PREREG_TEST_WORKER_CONCURRENCY");
  return n != nullptr && std::atoi(n) > 1 ? std::atoi(n) : 1;
}

inline adapters::PoolOptions WithTestConcurrency(adapters::PoolOptions options) {
  if (options.concurrency == 1) options.concurrency = TestWorkerConcurrency();
  return options;
}

class JsFixture {
 public:
  explicit JsFixture(adapters::PoolOptions options = {})
      : runtime_(WithTestConcurrency(std::move(options))) {
    Status s = runtime_.Start();
    INFO(s.ToString());
    REQUIRE(s.ok());
  }

  // Loads the steps as a flow; a script error is returned, not thrown.
  Result<std::unique_ptr<Flow>> Load(const std::vector<JsStep>& steps, FlowOptions options = {}) {
    // Workers cache modules by path for their lifetime, so every load gets its own directory.
    const std::string sub = "load" + std::to_string(++loads_) + "/";
    adapters::FlowSpec spec;
    for (const auto& s : steps) {
      auto path = dir_.Write(sub + s.name + ".js", s.source);
      spec.steps.push_back({s.name, path, s.secrets, s.timeout_ms, std::nullopt});
    }
    return runtime_.Load(spec, std::move(options));
  }

  // Loads and runs; REQUIREs that loading succeeds.
  DecisionRecord Run(const std::vector<JsStep>& steps, const nlohmann::json& event = SampleEvent(),
                     FlowOptions options = {}) {
    auto flow = Load(steps, std::move(options));
    INFO(flow.status().ToString());
    REQUIRE(flow.ok());
    return RunFlow(*flow.value(), event);
  }

  DecisionRecord RunFlow(const Flow& flow, const nlohmann::json& event = SampleEvent()) {
    auto record = runtime_.Run(flow, event);
    INFO(record.status().ToString());
    REQUIRE(record.ok());
    return std::move(record).value();
  }

  // Starts `n` executions of `flow` at once and drives the event loop until all have decided.
  std::vector<DecisionRecord> RunConcurrently(const Flow& flow, size_t n,
                                              const nlohmann::json& event = SampleEvent()) {
    return RunEach(flow, std::vector<nlohmann::json>(n, event));
  }

  // Starts one execution of `flow` per event, at once, and drives the event loop until all have
  // decided; the records are in the events' order.
  std::vector<DecisionRecord> RunEach(const Flow& flow, const std::vector<nlohmann::json>& events) {
    std::vector<std::optional<DecisionRecord>> slots(events.size());
    for (size_t i = 0; i < events.size(); ++i) {
      Status s = ExecuteFlow(flow, events[i], &runtime_.scheduler(),
                             [&slot = slots[i]](DecisionRecord r) { slot = std::move(r); });
      REQUIRE(s.ok());
    }
    REQUIRE(adapters::RunUntil(runtime_.io(), [&slots] {
      return std::all_of(slots.begin(), slots.end(), [](const auto& r) { return r.has_value(); });
    }));
    std::vector<DecisionRecord> records;
    for (auto& slot : slots) records.push_back(std::move(*slot));
    return records;
  }

  adapters::Runtime& runtime() { return runtime_; }
  const TempDir& dir() const { return dir_; }

 private:
  TempDir dir_;
  adapters::Runtime runtime_;
  int loads_ = 0;
};

// An Action whose body is `body`.
inline std::string Action(const std::string& body) {
  return "exports.onExecutePreUserRegistration = async (event, api) => {\n" + body + "\n};\n";
}
// A Hook whose body is `body`.
inline std::string Hook(const std::string& body) {
  return "module.exports = function (user, context, cb) {\n" + body + "\n};\n";
}

}  // namespace prereg::testing

#endif  // PREREG_TESTS_ADAPTERS_JS_FIXTURE_H_
