#include "http/metrics.hpp"

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <unordered_map>

#include <prometheus/text_serializer.h>

namespace troupe::http {

namespace {

using prometheus::Histogram;

template <class Builder>
auto& family(Builder b, const char* name, const char* help, prometheus::Registry& r) {
  return b.Name(name).Help(help).Register(r);
}

Histogram::BucketBoundaries latency_buckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};
}

Histogram::BucketBoundaries short_buckets() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5};
}

std::int64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::int64_t pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return pages_resident * static_cast<std::int64_t>(sysconf(_SC_PAGESIZE));
}

class provider_counters final : public actors::provider_telemetry {
 public:
  provider_counters(prometheus::Counter& calls, prometheus::Counter& errors,
                    prometheus::Counter& retries, prometheus::Counter& fallbacks)
      : calls_(calls), errors_(errors), retries_(retries), fallbacks_(fallbacks) {}
  void call() override { calls_.Increment(); }
  void error() override { errors_.Increment(); }
  void retry() override { retries_.Increment(); }
  void fallback() override { fallbacks_.Increment(); }

 private:
  prometheus::Counter &calls_, &errors_, &retries_, &fallbacks_;
};

std::atomic<std::uint64_t> next_instance{1};

}  // namespace

metrics::metrics()
    : instance_(next_instance.fetch_add(1, std::memory_order_relaxed)),
      registry_(std::make_shared<prometheus::Registry>()),
      requests_(family(prometheus::BuildCounter(), "troupe_http_requests_total",
                       "HTTP requests answered, by method, route and status", *registry_)),
      rejections_(family(prometheus::BuildCounter(), "troupe_rate_limit_rejections_total",
                         "Requests refused with 429 by a key's limits, by key and limit", *registry_)),
      provider_calls_(family(prometheus::BuildCounter(), "troupe_provider_calls_total",
                             "Calls a provider took", *registry_)),
      provider_errors_(family(prometheus::BuildCounter(), "troupe_provider_errors_total",
                              "Upstream attempts that failed", *registry_)),
      provider_retries_(family(prometheus::BuildCounter(), "troupe_provider_retries_total",
                               "Upstream attempts retried after a failure", *registry_)),
      provider_fallbacks_(family(prometheus::BuildCounter(), "troupe_provider_fallbacks_total",
                                 "Calls handed to the fallback provider", *registry_)),
      queue_wait_(family(prometheus::BuildHistogram(), "troupe_turn_queue_wait_seconds",
                         "From the request to its session taking the turn up", *registry_)
                      .Add({}, short_buckets())),
      first_token_(family(prometheus::BuildHistogram(), "troupe_turn_time_to_first_token_seconds",
                          "From the request to the first streamed output", *registry_)
                       .Add({}, latency_buckets())),
      turn_total_(family(prometheus::BuildHistogram(), "troupe_turn_duration_seconds",
                         "From the request to the end of its answer (every chat turn)", *registry_)
                      .Add({}, latency_buckets())),
      in_flight_(family(prometheus::BuildGauge(), "troupe_turns_in_flight",
                        "Chat turns admitted and not yet answered", *registry_)
                     .Add({})),
      commit_seconds_(family(prometheus::BuildHistogram(), "troupe_storage_commit_duration_seconds",
                             "Session store commits (group commit: several turns each)", *registry_)
                          .Add({}, short_buckets())),
      commit_turns_(family(prometheus::BuildHistogram(), "troupe_storage_commit_turns",
                           "Turns per session store commit", *registry_)
                        .Add({}, Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64, 128, 256, 512})),
      sessions_(family(prometheus::BuildGauge(), "troupe_sessions",
                       "Sessions: live (an actor), sleeping (stored, no actor), stored", *registry_)),
      rss_(family(prometheus::BuildGauge(), "process_resident_memory_bytes",
                  "Resident memory of the troupe process", *registry_)
               .Add({})),
      connections_(family(prometheus::BuildGauge(), "troupe_http_open_connections",
                          "Client connections open now", *registry_)
                       .Add({})) {}

void metrics::request_done(const std::string& method, const std::string& route, int status) {
  // Family::Add builds a label map and takes the family's mutex on every call
  // (1.4 % of a chat turn's CPU): each thread keeps the counters it has used,
  // by instance, method, route and status. A family never removes a counter,
  // so the pointers stay valid as long as this instance lives (instance ids
  // are never reused).
  thread_local std::unordered_map<std::string, prometheus::Counter*> cache;
  thread_local std::string key;
  key.assign(reinterpret_cast<const char*>(&instance_), sizeof instance_);
  key += method;
  key += '\n';
  key += route;
  key += '\n';
  key += std::to_string(status);
  auto it = cache.find(key);
  if (it == cache.end()) {
    auto* c = &requests_.Add({{"method", method}, {"route", route}, {"status", std::to_string(status)}});
    it = cache.emplace(key, c).first;
  }
  it->second->Increment();
}

void metrics::rate_limited(const std::string& key_id, domain::limit_refusal why) {
  rejections_.Add({{"key_id", key_id}, {"limit", std::string(domain::to_string(why))}}).Increment();
}

void metrics::turn_ended(double total_s) {
  in_flight_.Decrement();
  turn_total_.Observe(total_s);
}

std::shared_ptr<actors::provider_telemetry> metrics::provider(const std::string& name) {
  prometheus::Labels l{{"provider", name}};
  return std::make_shared<provider_counters>(provider_calls_.Add(l), provider_errors_.Add(l),
                                             provider_retries_.Add(l), provider_fallbacks_.Add(l));
}

void metrics::storage_commit(double seconds, std::size_t turns) {
  commit_seconds_.Observe(seconds);
  commit_turns_.Observe(static_cast<double>(turns));
}

std::string metrics::expose(const domain::runtime_counts& counts, std::int64_t open_connections) {
  auto live = static_cast<double>(counts.live_sessions);
  auto stored = static_cast<double>(counts.stored_sessions);
  sessions_.Add({{"state", "live"}}).Set(live);
  sessions_.Add({{"state", "sleeping"}}).Set(stored > live ? stored - live : 0);
  sessions_.Add({{"state", "stored"}}).Set(stored);
  rss_.Set(static_cast<double>(resident_bytes()));
  connections_.Set(static_cast<double>(open_connections));
  return prometheus::TextSerializer{}.Serialize(registry_->Collect());
}

}  // namespace troupe::http
