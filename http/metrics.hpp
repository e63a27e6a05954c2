#pragma once
// Prometheus metrics (prometheus-cpp's registry and text format): HTTP
// requests, chat turns, providers, storage commits, rate limits, process.
// Counters and histograms are written where things happen (atomics and
// short locks inside prometheus-cpp); gauges of state are read at scrape.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "actors/telemetry.hpp"
#include "domain/keys/key_meter.hpp"
#include "domain/service/service_codec.hpp"

namespace troupe::http {

class metrics final : public actors::telemetry {
 public:
  metrics();

  // Every answered request, by method, route pattern ("unmatched" for 404s) and status.
  void request_done(const std::string& method, const std::string& route, int status);
  void rate_limited(const std::string& key_id, domain::limit_refusal why);

  // Chat turns: admitted (in flight from now), then their latencies.
  void turn_admitted() { in_flight_.Increment(); }
  void turn_queue_wait(double s) { queue_wait_.Observe(s); }
  void turn_first_token(double s) { first_token_.Observe(s); }
  void turn_ended(double total_s);

  std::shared_ptr<actors::provider_telemetry> provider(const std::string& name) override;
  void storage_commit(double seconds, std::size_t turns) override;

  // The text exposition, with the state gauges set from `counts` and now.
  std::string expose(const domain::runtime_counts& counts, std::int64_t open_connections);

 private:
  // Distinguishes instances in the per-thread cache of request counters.
  const std::uint64_t instance_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Counter>& rejections_;
  prometheus::Family<prometheus::Counter>& provider_calls_;
  prometheus::Family<prometheus::Counter>& provider_errors_;
  prometheus::Family<prometheus::Counter>& provider_retries_;
  prometheus::Family<prometheus::Counter>& provider_fallbacks_;
  prometheus::Histogram& queue_wait_;
  prometheus::Histogram& first_token_;
  prometheus::Histogram& turn_total_;
  prometheus::Gauge& in_flight_;
  prometheus::Histogram& commit_seconds_;
  prometheus::Histogram& commit_turns_;
  prometheus::Family<prometheus::Gauge>& sessions_;
  prometheus::Gauge& rss_;
  prometheus::Gauge& connections_;
};

}  // namespace troupe::http
