// Internal to the HTTP service: its Prometheus metrics (prometheus-cpp's registry and text
// serializer). Use from the service's thread.

#ifndef PREREG_ADAPTERS_HTTP_METRICS_H_
#define PREREG_ADAPTERS_HTTP_METRICS_H_

#include <array>
#include <map>
#include <memory>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "prereg/actions/decision.h"

namespace prereg::http {

class ServiceMetrics {
 public:
  ServiceMetrics();

  void RecordExecution(const DecisionRecord& record, double seconds);
  void RecordResponse(unsigned status);
  void RecordReload(bool ok);
  // A connection over --max-connections was turned away.
  void RecordConnectionRejected();
  // accept() failed; `error` names it (EMFILE, ENFILE, ...).
  void RecordAcceptError(const std::string& error);
  // result: equal, divergent or skipped (over the shadow limit).
  void RecordShadow(const char* result);
  // A front door's answer: result is allow, deny, error, unanswered (no decision in its budget).
  void RecordFrontDoor(const std::string& frontdoor, const char* result);
  // What the worker pool counts, read when /metrics is rendered.
  struct PoolCounts {
    int ready_workers = 0;
    int restarts = 0;          // over the pool's life
    uint64_t collateral = 0;   // over the pool's life
    size_t queue_depth = 0;
  };
  // The text exposition, with the gauges read now.
  std::string Render(const PoolCounts& pool, size_t in_flight, size_t connections);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& executions_;
  prometheus::Family<prometheus::Counter>& responses_;
  prometheus::Family<prometheus::Counter>& timeouts_;
  prometheus::Family<prometheus::Counter>& reloads_;
  prometheus::Family<prometheus::Counter>& restarts_;
  prometheus::Family<prometheus::Counter>& collateral_;
  prometheus::Family<prometheus::Counter>& shadow_;
  prometheus::Family<prometheus::Counter>& frontdoor_;
  prometheus::Family<prometheus::Counter>& connections_rejected_;
  prometheus::Family<prometheus::Counter>& accept_errors_;
  prometheus::Family<prometheus::Gauge>& connections_;
  prometheus::Family<prometheus::Histogram>& flow_seconds_;
  prometheus::Family<prometheus::Histogram>& step_seconds_;
  prometheus::Family<prometheus::Gauge>& workers_ready_;
  prometheus::Family<prometheus::Gauge>& queue_depth_;
  prometheus::Family<prometheus::Gauge>& in_flight_;
  double restarts_seen_ = 0;
  uint64_t collateral_seen_ = 0;
  // The series each request updates, looked up once (a family's Add builds and hashes a label
  // map; the series it returns lives as long as the registry).
  std::array<prometheus::Counter*, 3> executions_by_outcome_{};
  prometheus::Histogram* flow_series_ = nullptr;
  prometheus::Counter* timeouts_series_ = nullptr;
  std::map<std::string, prometheus::Histogram*, std::less<>> step_series_;
  std::map<unsigned, prometheus::Counter*> response_series_;
};

}  // namespace prereg::http

#endif  // PREREG_ADAPTERS_HTTP_METRICS_H_
