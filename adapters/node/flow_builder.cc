#include "prereg/adapters/flow_builder.h"

#include <optional>

#include "prereg/adapters/asio_scheduler.h"
#include "prereg/adapters/script_step.h"

namespace prereg::adapters {

namespace {

// Loads every step's script at once (each in workers of its own), then builds the flow; when
// several fail, the earliest step's error is reported.
struct FlowBuild : std::enable_shared_from_this<FlowBuild> {
  FlowSpec spec;
  FlowOptions options;
  NodePool* pool;
  uint64_t generation;
  std::function<void(Result<std::unique_ptr<Flow>>)> done;
  std::vector<std::optional<Result<std::shared_ptr<ScriptWorkers>>>> loads;
  size_t pending = 0;

  void Start() {
    loads.resize(spec.steps.size());
    pending = spec.steps.size();
    for (size_t i = 0; i < spec.steps.size(); ++i) {
      const auto& step = spec.steps[i];
      pool->LoadSourceAsync(step.script, step.source, generation, step.secrets,
                            [self = shared_from_this(), i](Result<std::shared_ptr<ScriptWorkers>> r) {
                              self->loads[i] = std::move(r);
                              if (--self->pending == 0) self->Finish();
                            });
    }
  }

  void Finish() {
    for (auto& load : loads) {
      if (!load->ok()) return done(load->status());
    }
    auto flow = std::make_unique<Flow>(std::move(options));
    for (size_t i = 0; i < spec.steps.size(); ++i) {
      const auto& s = spec.steps[i];
      auto step = std::make_shared<ScriptStep>(loads[i]->value(), s.script, generation);
      flow->Add(StepConfig{s.name, std::move(step), s.secrets, s.timeout_ms});
    }
    done(std::move(flow));
  }
};

}  // namespace

void BuildFlowAsync(const FlowSpec& spec, FlowOptions options, NodePool* pool, uint64_t generation,
                    std::function<void(Result<std::unique_ptr<Flow>>)> done) {
  auto build = std::make_shared<FlowBuild>();
  build->spec = spec;
  build->options = std::move(options);
  build->pool = pool;
  build->generation = generation;
  build->done = std::move(done);
  if (build->spec.steps.empty()) return build->Finish();
  build->Start();
}

Result<std::unique_ptr<Flow>> BuildFlow(const FlowSpec& spec, FlowOptions options,
                                        NodePool* pool, uint64_t generation) {
  std::optional<Result<std::unique_ptr<Flow>>> result;
  BuildFlowAsync(spec, std::move(options), pool, generation,
                 [&result](Result<std::unique_ptr<Flow>> r) { result = std::move(r); });
  if (!RunUntil(pool->io(), [&result] { return result.has_value(); })) return Status::Internal("the event loop stopped while loading the flow");
  return std::move(*result);
}

}  // namespace prereg::adapters
