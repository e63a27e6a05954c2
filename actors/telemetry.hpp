#pragma once
// What the actors report for metrics, without knowing who exports them
// (http/metrics does, with prometheus-cpp). The defaults count nothing.
#include <cstddef>
#include <memory>
#include <string>

namespace troupe::actors {

// One provider's counters; its actor holds them, so a call costs no lookup.
class provider_telemetry {
 public:
  virtual ~provider_telemetry() = default;
  virtual void call() {}      // an llm_call the provider took
  virtual void error() {}     // an upstream attempt that failed
  virtual void retry() {}     // an attempt scheduled again after a failure
  virtual void fallback() {}  // a call handed to the fallback provider
};

class telemetry {
 public:
  virtual ~telemetry() = default;
  virtual std::shared_ptr<provider_telemetry> provider(const std::string& /*name*/) {
    return std::make_shared<provider_telemetry>();
  }
  // A session-store commit: how long it took and how many turns it carried.
  virtual void storage_commit(double /*seconds*/, std::size_t /*turns*/) {}
};

}  // namespace troupe::actors
