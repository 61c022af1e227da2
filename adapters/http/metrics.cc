#include "metrics.h"

#include <prometheus/text_serializer.h>

namespace prereg::http {

namespace {

const prometheus::Histogram::BucketBoundaries& Buckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20};
  return kBuckets;
}

}  // namespace

ServiceMetrics::ServiceMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      executions_(prometheus::BuildCounter()
                      .Name("prereg_executions_total")
                      .Help("Flow executions by outcome (allow, deny, error)")
                      .Register(*registry_)),
      responses_(prometheus::BuildCounter()
                     .Name("prereg_http_responses_total")
                     .Help("HTTP responses by status code")
                     .Register(*registry_)),
      timeouts_(prometheus::BuildCounter()
                    .Name("prereg_timeouts_total")
                    .Help("Executions ended by a step or flow budget (action_timeout)")
                    .Register(*registry_)),
      reloads_(prometheus::BuildCounter()
                   .Name("prereg_flow_reloads_total")
                   .Help("Flow reloads (SIGHUP) by result")
                   .Register(*registry_)),
      restarts_(prometheus::BuildCounter()
                    .Name("prereg_worker_restarts_total")
                    .Help("Node workers replaced after being killed or dying")
                    .Register(*registry_)),
      collateral_(prometheus::BuildCounter()
                      .Name("prereg_worker_collateral_failures_total")
                      .Help("Executions that failed because another execution on their worker "
                            "overran, exited or ran out of memory (--worker-concurrency > 1)")
                      .Register(*registry_)),
      shadow_(prometheus::BuildCounter()
                  .Name("prereg_shadow_executions_total")
                  .Help("Shadow flow executions by result: equal, divergent, skipped (over the limit)")
                  .Register(*registry_)),
      frontdoor_(prometheus::BuildCounter()
                     .Name("prereg_frontdoor_decisions_total")
                     .Help("Decisions answered through a platform's front door, by front door and "
                           "result: allow, deny, error, unanswered (past its budget)")
                     .Register(*registry_)),
      connections_rejected_(prometheus::BuildCounter()
                                .Name("prereg_connections_rejected_total")
                                .Help("Connections answered 503 and closed: over --max-connections")
                                .Register(*registry_)),
      accept_errors_(prometheus::BuildCounter()
                         .Name("prereg_accept_errors_total")
                         .Help("Failed accepts by error (EMFILE, ENFILE, ...); each backs off")
                         .Register(*registry_)),
      connections_(prometheus::BuildGauge()
                       .Name("prereg_connections_open")
                       .Help("Open HTTP connections")
                       .Register(*registry_)),
      flow_seconds_(prometheus::BuildHistogram()
                        .Name("prereg_flow_duration_seconds")
                        .Help("Duration of one flow execution")
                        .Register(*registry_)),
      step_seconds_(prometheus::BuildHistogram()
                        .Name("prereg_step_duration_seconds")
                        .Help("Duration of one step, by step name")
                        .Register(*registry_)),
      workers_ready_(prometheus::BuildGauge()
                         .Name("prereg_workers_ready")
                         .Help("Node workers started and answering")
                         .Register(*registry_)),
      queue_depth_(prometheus::BuildGauge()
                       .Name("prereg_queue_depth")
                       .Help("Script jobs waiting for a free Node worker")
                       .Register(*registry_)),
      in_flight_(prometheus::BuildGauge()
                     .Name("prereg_in_flight")
                     .Help("Sign-ups being decided (running or waiting)")
                     .Register(*registry_)) {}

void ServiceMetrics::RecordExecution(const DecisionRecord& record, double seconds) {
  const auto outcome = static_cast<size_t>(record.outcome);
  if (outcome < executions_by_outcome_.size()) {
    auto*& counter = executions_by_outcome_[outcome];
    if (counter == nullptr) counter = &executions_.Add({{"outcome", OutcomeName(record.outcome)}});
    counter->Increment();
  } else {
    executions_.Add({{"outcome", OutcomeName(record.outcome)}}).Increment();
  }
  if (flow_series_ == nullptr) flow_series_ = &flow_seconds_.Add({}, Buckets());
  flow_series_->Observe(seconds);
  for (const auto& step : record.steps) {
    if (step.status == StepStatus::kSkipped) continue;
    auto it = step_series_.find(step.name);
    if (it == step_series_.end()) {
      it = step_series_.emplace(step.name, &step_seconds_.Add({{"step", step.name}}, Buckets()))
               .first;
    }
    it->second->Observe(step.duration_ms / 1000.0);
  }
  if (record.error && record.error->error_class == ErrorClass::kActionTimeout) {
    if (timeouts_series_ == nullptr) timeouts_series_ = &timeouts_.Add({});
    timeouts_series_->Increment();
  }
}

void ServiceMetrics::RecordResponse(unsigned status) {
  auto it = response_series_.find(status);
  if (it == response_series_.end()) {
    it = response_series_.emplace(status, &responses_.Add({{"code", std::to_string(status)}})).first;
  }
  it->second->Increment();
}

void ServiceMetrics::RecordReload(bool ok) {
  reloads_.Add({{"result", ok ? "ok" : "rejected"}}).Increment();
}

void ServiceMetrics::RecordConnectionRejected() { connections_rejected_.Add({}).Increment(); }

void ServiceMetrics::RecordAcceptError(const std::string& error) {
  accept_errors_.Add({{"error", error}}).Increment();
}

void ServiceMetrics::RecordShadow(const char* result) {
  shadow_.Add({{"result", result}}).Increment();
}

void ServiceMetrics::RecordFrontDoor(const std::string& frontdoor, const char* result) {
  frontdoor_.Add({{"frontdoor", frontdoor}, {"result", result}}).Increment();
}

std::string ServiceMetrics::Render(const PoolCounts& pool, size_t in_flight, size_t connections) {
  connections_.Add({}).Set(static_cast<double>(connections));
  restarts_.Add({}).Increment(pool.restarts - restarts_seen_);
  restarts_seen_ = pool.restarts;
  collateral_.Add({}).Increment(static_cast<double>(pool.collateral - collateral_seen_));
  collateral_seen_ = pool.collateral;
  workers_ready_.Add({}).Set(pool.ready_workers);
  queue_depth_.Add({}).Set(static_cast<double>(pool.queue_depth));
  in_flight_.Add({}).Set(static_cast<double>(in_flight));
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace prereg::http
