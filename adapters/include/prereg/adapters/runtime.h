// Runtime: one event loop, its Scheduler and a NodePool — what every command needs to load and
// run JavaScript flows. Use from one thread.

#ifndef PREREG_ADAPTERS_RUNTIME_H_
#define PREREG_ADAPTERS_RUNTIME_H_

#include <memory>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "prereg/actions/decision.h"
#include "prereg/actions/flow.h"
#include "prereg/adapters/asio_scheduler.h"
#include "prereg/adapters/flow_builder.h"
#include "prereg/adapters/node_pool.h"

namespace prereg::adapters {

class Runtime {
 public:
  explicit Runtime(PoolOptions options);
  ~Runtime();

  // Starts the Node workers. kUnavailable when node cannot start.
  Status Start();
  // Loads every script of `spec` and builds the flow (see BuildFlow). Each load is a generation
  // of its own: its scripts run on workers of their own, with fresh module state.
  Result<std::unique_ptr<Flow>> Load(const FlowSpec& spec, FlowOptions options);
  // Runs one execution to its decision, driving the event loop in this thread.
  // kInvalidArgument for an event CheckEvent rejects.
  Result<DecisionRecord> Run(const Flow& flow, const nlohmann::json& event);

  boost::asio::io_context& io() { return io_; }
  AsioScheduler& scheduler() { return scheduler_; }
  NodePool& pool() { return *pool_; }

 private:
  // How long Run() polls for a ready event before blocking. Default: 200 us
  int spin_us_ = 200;
  uint64_t generation_ = 0;  // of the last Load
  boost::asio::io_context io_;
  AsioScheduler scheduler_;
  std::unique_ptr<NodePool> pool_;
};

}  // namespace prereg::adapters

#endif  // PREREG_ADAPTERS_RUNTIME_H_
