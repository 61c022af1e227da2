#include "prereg/adapters/cache_stores.h"

#include <fmt/format.h>

namespace prereg::adapters {

void IncidentLog::Failed(const std::string& what) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (failing_) return;
    failing_ = true;
  }
  if (log_) {
    log_(fmt::format("cache {}: {}; cache calls fail (get finds nothing, set and delete return "
                     "errors) until it recovers",
                     store_, what));
  }
}

void IncidentLog::Succeeded() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!failing_) return;
    failing_ = false;
  }
  if (log_) log_(fmt::format("cache {}: recovered", store_));
}

}  // namespace prereg::adapters
