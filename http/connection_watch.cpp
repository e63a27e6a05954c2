#include "http/connection_watch.hpp"

#include <algorithm>

namespace troupe::http {

void connection_watch::state_changed(const restinio::connection_state::notice_t& notice) noexcept {
  if (restinio::holds_alternative<restinio::connection_state::accepted_t>(notice.cause())) {
    open_count_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (!restinio::holds_alternative<restinio::connection_state::closed_t>(notice.cause())) return;
  open_count_.fetch_sub(1, std::memory_order_relaxed);
  std::vector<std::weak_ptr<http_sink>> sinks;
  {
    std::lock_guard<std::mutex> g{mu_};
    auto it = open_.find(notice.connection_id());
    if (it == open_.end()) return;
    sinks.swap(it->second);
    open_.erase(it);
  }
  for (auto& w : sinks)
    if (auto s = w.lock()) s->mark_client_gone();
}

void connection_watch::watch(restinio::connection_id_t id, const std::shared_ptr<http_sink>& sink) {
  std::lock_guard<std::mutex> g{mu_};
  auto& sinks = open_[id];
  sinks.erase(std::remove_if(sinks.begin(), sinks.end(), [](auto& w) { return w.expired(); }),
              sinks.end());
  sinks.push_back(sink);
}

}  // namespace troupe::http
