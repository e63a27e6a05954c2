#include "actors/cluster/forward_proxy.hpp"

#include <map>

#include "actors/cluster/cluster_messages.hpp"
#include "domain/core/json.hpp"

namespace troupe::actors {

namespace {

using proxy_timeout = caf::atom_constant<caf::atom("fwdtimeout")>;

struct proxy_state {
  sink_ptr sink;
  std::uint64_t next = 0;  // the seq of the next piece to write
  std::map<std::uint64_t, reply_piece> early;  // pieces that overtook one another
  bool streaming = false;
  bool done = false;
};

// A turn that cannot finish where it runs: before the reply started, a
// status; inside a stream, an error event (the status went out already).
void give_up(caf::stateful_actor<proxy_state>* self, const domain::api_error& e) {
  auto& st = self->state;
  if (st.done) return;
  st.done = true;
  if (st.streaming)
    st.sink->end_stream("data: " + domain::encode_error(e) + "\n\ndata: [DONE]\n\n");
  else
    send_error(*st.sink, e);
  self->quit();
}

void write(caf::stateful_actor<proxy_state>* self, reply_piece& p) {
  auto& st = self->state;
  for (std::size_t i = 0; i + 1 < p.headers.size(); i += 2)
    st.sink->add_header(std::move(p.headers[i]), std::move(p.headers[i + 1]));
  switch (p.kind) {
    case reply_piece::chunk:
      st.streaming = true;
      st.sink->stream(std::move(p.body));
      return;
    case reply_piece::last:
      st.sink->end_stream(std::move(p.body));
      break;
    case reply_piece::empty:
      st.sink->send_empty(p.status);
      break;
    default:
      st.sink->send(p.status, std::move(p.body));
  }
  st.done = true;
  self->quit();
}

caf::behavior forward_proxy(caf::stateful_actor<proxy_state>* self, sink_ptr sink,
                            std::chrono::milliseconds timeout) {
  self->state.sink = std::move(sink);
  self->delayed_send(self, timeout, proxy_timeout::value);
  self->set_down_handler([=](caf::down_msg&) {
    auto e = domain::service_unavailable("the node running this turn was lost; retry");
    e.retry_after_s = 1;
    give_up(self, e);
  });
  return {
      [=](reply_piece& p) {
        auto& st = self->state;
        if (st.done) return;
        if (p.seq != st.next) {
          st.early.emplace(p.seq, std::move(p));
          return;
        }
        write(self, p);
        ++st.next;
        for (auto it = st.early.find(st.next); !st.done && it != st.early.end();
             it = st.early.find(st.next)) {
          auto q = std::move(it->second);
          st.early.erase(it);
          write(self, q);
          ++st.next;
        }
      },
      [=](const owner_is& m) { self->monitor(m.node); },
      [=](const owner_unreachable& m) {
        auto e = domain::service_unavailable("the node that owns this session cannot be reached (" +
                                             m.why + "); retry");
        e.retry_after_s = 1;
        give_up(self, e);
      },
      [=](proxy_timeout) {
        give_up(self, domain::gateway_timeout("the node running this turn did not answer in time"));
      },
  };
}

}  // namespace

caf::actor spawn_forward_proxy(caf::actor_system& sys, sink_ptr sink,
                               std::chrono::milliseconds timeout) {
  return sys.spawn(forward_proxy, std::move(sink), timeout);
}

}  // namespace troupe::actors
