// The Node worker pool: a registry of per-script worker groups (worker_group.cc; the processes
// themselves are in worker.cc).

#include "prereg/adapters/node_pool.h"

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>

#include <boost/asio/post.hpp>
#include <fmt/format.h>

#include "prereg/actions/json.h"
#include "prereg/adapters/asio_scheduler.h"
#include "worker.h"
#include "worker_group.h"

namespace prereg::adapters {

namespace asio = boost::asio;

namespace {

constexpr size_t kMaxScriptBytes = 16 * 1024 * 1024;

std::string DefaultRunnerPath() {
  if (const char* env = std::getenv("PREREG_RUNNER_JS"); env && *env) return env;
  return PREREG_DEFAULT_RUNNER_JS;
}

Result<std::string> ReadScript(const std::string& script) {
  std::ifstream in(script, std::ios::binary);
  if (!in) return Status::ScriptError(fmt::format("{}: cannot be read", script));
  std::string source((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (source.size() > kMaxScriptBytes) {
    return Status::ScriptError(fmt::format("{}: is larger than {} MiB", script,
                                           kMaxScriptBytes / (1024 * 1024)));
  }
  return source;
}

// Steps share workers only when they run the same code with the same secrets.
std::string GroupKey(const std::string& script, uint64_t generation,
                     const std::map<std::string, std::string>& secrets) {
  std::string key = fmt::format("{}\n{}", generation, script);
  for (const auto& [name, value] : secrets) {
    key += '\n';
    key += DumpJson(nlohmann::json::array({name, value}));
  }
  return key;
}

}  // namespace

NodePool::NodePool(asio::io_context& io, PoolOptions options)
    : io_(io), shared_(std::make_shared<PoolShared>(io, std::move(options))) {
  auto& o = shared_->options;
  if (o.runner_path.empty()) o.runner_path = DefaultRunnerPath();
  o.workers = std::max(1, o.workers);
  o.spares = std::max(0, o.spares);
  ::signal(SIGPIPE, SIG_IGN);  // a worker dying mid-write must not kill the engine
}

NodePool::~NodePool() { Shutdown(); }

Status NodePool::Start() {
  const auto& o = shared_->options;
  if (!std::filesystem::is_regular_file(o.runner_path)) {
    return Status::Unavailable(fmt::format(
        "the worker script {} does not exist (set PREREG_RUNNER_JS)", o.runner_path));
  }
  auto sandbox = PrepareSandbox(o);
  if (!sandbox.ok()) return sandbox.status();
  shared_->sandbox = std::move(sandbox).value();
  return Status::OK();
}

const std::vector<std::string>& NodePool::warnings() const { return shared_->sandbox.warnings; }

void NodePool::Shutdown() {
  if (shared_->shut_down) return;
  shared_->shut_down = true;
  for (auto& group : LiveGroups()) group->Shutdown();
  for (auto& [plan, workers] : shared_->warm) {
    for (auto& w : workers) w->Kill();
  }
}

std::vector<std::shared_ptr<WorkerGroup>> NodePool::LiveGroups() const {
  std::vector<std::shared_ptr<WorkerGroup>> live;
  for (auto it = groups_.begin(); it != groups_.end();) {
    if (auto group = it->second.lock()) {
      live.push_back(std::move(group));
      ++it;
    } else {
      it = groups_.erase(it);
    }
  }
  return live;
}

void NodePool::LoadScriptAsync(const std::string& script, uint64_t generation,
                               const std::map<std::string, std::string>& secrets, LoadDone done) {
  LoadSourceAsync(script, std::nullopt, generation, secrets, std::move(done));
}

void NodePool::LoadSourceAsync(const std::string& script, std::optional<std::string> source,
                               uint64_t generation, const std::map<std::string, std::string>& secrets,
                               LoadDone done) {
  auto fail = [this, &done](Status s) {
    asio::post(io_, [done = std::move(done), s] { done(s); });
  };
  if (shared_->shut_down) return fail(Status::Unavailable("the worker pool is shutting down"));
  std::string key = GroupKey(script, generation, secrets);
  if (source.has_value()) key += fmt::format("\nsource {}", std::hash<std::string>{}(*source));
  std::shared_ptr<WorkerGroup> group;
  if (auto it = groups_.find(key); it != groups_.end()) group = it->second.lock();
  if (!group) {
    if (!source.has_value()) {
      auto read = ReadScript(script);
      if (!read.ok()) return fail(read.status());
      source = std::move(read).value();
    } else if (source->size() > kMaxScriptBytes) {
      return fail(Status::ScriptError(fmt::format("{}: is larger than {} MiB", script,
                                                  kMaxScriptBytes / (1024 * 1024))));
    }
    group = std::make_shared<WorkerGroup>(
        shared_, script,
        DumpJson(nlohmann::json{{"t", "load"}, {"script", script}, {"gen", generation},
                                {"source", std::move(*source)}}));
    groups_[key] = group;
  }
  group->Load([group, done = std::move(done)](Status s) {
    if (!s.ok()) return done(s);
    done(std::shared_ptr<ScriptWorkers>(group));
  });
}

Result<std::shared_ptr<ScriptWorkers>> NodePool::LoadScript(
    const std::string& script, uint64_t generation,
    const std::map<std::string, std::string>& secrets) {
  std::optional<Result<std::shared_ptr<ScriptWorkers>>> result;
  LoadScriptAsync(script, generation, secrets,
                  [&result](Result<std::shared_ptr<ScriptWorkers>> r) { result = std::move(r); });
  if (!RunUntil(io_, [&result] { return result.has_value(); })) {
    return Status::Internal("the event loop stopped while loading " + script);
  }
  return std::move(*result);
}

int NodePool::ready_workers() const {
  int n = 0;
  for (const auto& group : LiveGroups()) n += group->ready_workers();
  return n;
}

bool NodePool::ready() const {
  // Scripts still loading (a reload) do not serve yet: the flow that serves is the loaded one.
  bool any = false;
  for (const auto& group : LiveGroups()) {
    if (!group->loaded()) continue;
    if (group->ready_workers() == 0) return false;
    any = true;
  }
  return any;
}

size_t NodePool::queue_depth() const {
  size_t n = 0;
  for (const auto& group : LiveGroups()) n += group->queue_depth();
  return n;
}

int NodePool::restarts() const { return shared_->restarts; }
uint64_t NodePool::collateral_failures() const { return shared_->collateral; }

const PoolOptions& NodePool::options() const { return shared_->options; }

}  // namespace prereg::adapters
