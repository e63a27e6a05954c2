#include "actors/tools/mcp_server.hpp"

#include <algorithm>
#include <deque>
#include <unordered_map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "actors/tools/mcp_transport.hpp"
#include "domain/tools/mcp_codec.hpp"

namespace troupe::actors::detail {
struct mcp_tick {};      // deadlines and abandoned calls
struct mcp_restart {};   // the backoff is over
}  // namespace troupe::actors::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::detail::mcp_tick)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::detail::mcp_restart)

namespace troupe::actors {

using namespace detail;

namespace {

using clock = std::chrono::steady_clock;
constexpr auto tick_every = std::chrono::milliseconds(250);

enum class phase { down, starting, ready };
enum class request_kind { initialize, discover, list, call };

struct waiting_call {
  call_tool call;
  caf::typed_response_promise<domain::tool_outcome> rp;
  clock::time_point deadline;
};

struct in_flight {
  request_kind kind;
  waiting_call call;  // kind::call
  clock::time_point deadline;
};

struct mcp_state {
  domain::toolset_config cfg;
  mcp_server_deps deps;
  std::unique_ptr<mcp_transport> transport;
  phase now = phase::down;
  std::uint64_t gen = 0;
  std::int64_t next_id = 1;
  std::string version;
  bool stateless = false;
  std::unordered_map<std::int64_t, in_flight> pending;
  std::deque<waiting_call> queued;  // until the server is ready
  std::vector<caf::typed_response_promise<tool_list>> listeners;
  std::vector<domain::tool_definition> tools, listing;
  bool relist = false;  // tools/list_changed came while listing
  std::string last_error;
  int failures = 0;
  clock::time_point next_start{};
  bool restart_scheduled = false;
  bool ticking = false;
};

using self_ptr = caf::stateful_actor<mcp_state>*;

clock::duration timeout_of(const domain::toolset_config& cfg) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(cfg.timeout_s * 1000));
}

// Starting a server (a node process loading its packages) may take longer
// than a tool call may: the handshake and listing get at least this.
clock::duration start_allowance(const domain::toolset_config& cfg) {
  return std::max<clock::duration>(timeout_of(cfg), std::chrono::seconds(10));
}

void start(self_ptr self);
void ensure_ticking(self_ptr self);

void send_request(self_ptr self, request_kind kind, std::string_view method,
                  std::string_view params, std::optional<waiting_call> call = std::nullopt) {
  auto& st = self->state;
  auto id = st.next_id++;
  auto deadline = call ? call->deadline : clock::now() + start_allowance(st.cfg);
  st.transport->send(domain::mcp_request(id, method, params, st.version), id, deadline);
  st.pending.emplace(id, in_flight{kind, call ? std::move(*call) : waiting_call{}, deadline});
}

void answer_listeners(self_ptr self) {
  auto& st = self->state;
  tool_list l{st.now == phase::ready ? st.tools : std::vector<domain::tool_definition>{},
              st.now == phase::ready ? std::string() : st.last_error};
  for (auto& rp : st.listeners) rp.deliver(l);
  st.listeners.clear();
}

void run_call(self_ptr self, waiting_call w) {
  w.deadline = clock::now() + timeout_of(self->state.cfg);  // the call's own time starts now
  std::string error;
  auto params = domain::mcp_call_params(w.call.tool, w.call.arguments, error);
  if (!params) {
    w.rp.deliver(domain::tool_outcome{error, true});
    return;
  }
  send_request(self, request_kind::call, "tools/call", *params, std::move(w));
}

// The server is gone or unusable: what waits on it fails, a restart waits for
// its backoff (and for someone to need it).
void fail_server(self_ptr self, const std::string& why) {
  auto& st = self->state;
  if (st.now == phase::down) return;
  spdlog::warn("toolset {}: {}", st.cfg.name, why);
  st.last_error = why;
  st.now = phase::down;
  if (st.transport) st.transport->close();
  st.transport.reset();
  ++st.gen;  // late messages of this one are ignored
  for (auto& [id, p] : st.pending)
    if (p.kind == request_kind::call) p.call.rp.deliver(domain::tool_outcome{why, true});
  st.pending.clear();
  st.failures = std::min(st.failures + 1, 8);
  st.next_start = clock::now() + std::chrono::milliseconds(250 << (st.failures - 1));
  answer_listeners(self);
  if (!st.queued.empty() && !st.restart_scheduled) {
    st.restart_scheduled = true;
    self->delayed_send(self, st.next_start - clock::now(), mcp_restart{});
  }
}

void became_ready(self_ptr self) {
  auto& st = self->state;
  st.now = phase::ready;
  st.failures = 0;
  st.tools = std::move(st.listing);  // the agent names them across its toolsets
  st.listing.clear();
  answer_listeners(self);
  auto queued = std::move(st.queued);
  st.queued.clear();
  for (auto& w : queued) run_call(self, std::move(w));
}

void list_page(self_ptr self, const std::string& cursor) {
  send_request(self, request_kind::list, "tools/list", domain::mcp_tools_list_params(cursor));
}

void on_response(self_ptr self, const domain::mcp_message& m) {
  auto& st = self->state;
  auto it = m.id ? st.pending.find(*m.id) : st.pending.end();
  if (it == st.pending.end()) return;  // cancelled or timed out meanwhile
  auto p = std::move(it->second);
  st.pending.erase(it);
  switch (p.kind) {
    case request_kind::initialize: {
      if (m.is_error && !st.stateless) {  // maybe the stateless revision: ask it
        st.stateless = true;
        st.version = domain::mcp_stateless;
        return send_request(self, request_kind::discover, "server/discover", "{}");
      }
      auto info = domain::read_initialize_result(m.result_json);
      if (!info.error.empty()) return fail_server(self, info.error);
      st.version = info.version;
      st.transport->set_version(st.version);
      st.transport->send(domain::mcp_notification("notifications/initialized"), std::nullopt,
                         clock::now() + timeout_of(st.cfg));
      return list_page(self, "");
    }
    case request_kind::discover: {
      if (m.is_error) return fail_server(self, "the MCP handshake failed: " + m.error_message);
      auto info = domain::read_discover_result(m.result_json);
      if (!info.error.empty()) return fail_server(self, info.error);
      st.version = info.version;
      return list_page(self, "");
    }
    case request_kind::list: {
      if (m.is_error) return fail_server(self, "tools/list failed: " + m.error_message);
      auto page = domain::read_tools_list(m.result_json, st.cfg.name);
      if (!page.error.empty()) return fail_server(self, page.error);
      for (auto& t : page.tools) st.listing.push_back(std::move(t));
      if (!page.next_cursor.empty()) return list_page(self, page.next_cursor);
      if (st.relist) {  // it changed while we listed: once more
        st.relist = false;
        st.listing.clear();
        return list_page(self, "");
      }
      return became_ready(self);
    }
    case request_kind::call:
      if (m.is_error)
        p.call.rp.deliver(domain::tool_outcome{"the tool failed: " + m.error_message, true});
      else
        p.call.rp.deliver(domain::read_tool_result(m.result_json));
      return;
  }
}

void on_message(self_ptr self, const std::string& text) {
  auto& st = self->state;
  auto m = domain::parse_mcp_message(text);
  using k = domain::mcp_message::kind;
  switch (m.k) {
    case k::response: return on_response(self, m);
    case k::request:  // the server asks us: a ping is answered, nothing else is offered
      if (m.method == "ping")
        st.transport->send(domain::mcp_response(m.id_json, "{}"), std::nullopt,
                           clock::now() + timeout_of(st.cfg));
      else
        st.transport->send(domain::mcp_error_response(m.id_json, -32601, "method not found"),
                           std::nullopt, clock::now() + timeout_of(st.cfg));
      return;
    case k::notification:
      if (m.method == "notifications/tools/list_changed") {
        bool listing = std::any_of(st.pending.begin(), st.pending.end(),
                                   [](auto& p) { return p.second.kind == request_kind::list; });
        if (st.now == phase::ready && !listing) list_page(self, "");
        else st.relist = true;
      } else if (m.method == "notifications/message") {
        spdlog::info("toolset {}: {}", st.cfg.name, m.params_json.substr(0, 500));
      }
      return;
    case k::invalid:
      return fail_server(self, "the MCP server wrote something that is not JSON-RPC: " +
                                   text.substr(0, 200));
  }
}

void start(self_ptr self) {
  auto& st = self->state;
  st.restart_scheduled = false;
  if (st.now != phase::down) return;
  ++st.gen;
  st.now = phase::starting;
  st.stateless = false;
  st.version.clear();
  st.listing.clear();
  auto me = self->address();
  st.transport = st.cfg.transport == "http"
                     ? http_transport(st.deps.http, st.cfg, me, st.gen)
                     : stdio_transport(st.deps.processes, st.cfg, me, st.gen);
  send_request(self, request_kind::initialize, "initialize", domain::mcp_initialize_params());
  ensure_ticking(self);
}

// Starts the server if it is down and its backoff allows; else later.
void wake(self_ptr self) {
  auto& st = self->state;
  if (st.now != phase::down) return;
  auto now = clock::now();
  if (now >= st.next_start) return start(self);
  if (!st.restart_scheduled) {
    st.restart_scheduled = true;
    self->delayed_send(self, st.next_start - now, mcp_restart{});
  }
}

void ensure_ticking(self_ptr self) {
  if (self->state.ticking) return;
  self->state.ticking = true;
  self->delayed_send(self, tick_every, mcp_tick{});
}

// Timed-out and abandoned calls end (cancelled on the server), as does a start that hangs.
void tick(self_ptr self) {
  auto& st = self->state;
  st.ticking = false;
  auto now = clock::now();
  std::vector<std::int64_t> ended;
  for (auto& [id, p] : st.pending) {
    if (p.kind != request_kind::call) {
      if (now > p.deadline) return fail_server(self, "the MCP server did not answer its handshake in time");
      continue;
    }
    auto& turn = p.call.call.turn;
    bool gone = turn && (turn->client_gone() || turn->finished());
    if (!gone && now < p.call.deadline) continue;
    auto why = gone ? "the turn no longer needs it" : "timed out";
    st.transport->send(domain::mcp_notification("notifications/cancelled",
                                                domain::mcp_cancelled_params(id, why)),
                       std::nullopt, now + timeout_of(st.cfg));
    p.call.rp.deliver(domain::tool_outcome{
        gone ? "cancelled: the turn ended"
             : fmt::format("the tool did not answer within {} s", st.cfg.timeout_s),
        true});
    ended.push_back(id);
  }
  for (auto id : ended) st.pending.erase(id);
  for (auto it = st.queued.begin(); it != st.queued.end();) {
    if (now < it->deadline) {
      ++it;
      continue;
    }
    it->rp.deliver(domain::tool_outcome{"the MCP server did not become ready: " +
                                            (st.last_error.empty() ? "still starting" : st.last_error),
                                        true});
    it = st.queued.erase(it);
  }
  if (!st.pending.empty() || !st.queued.empty() || st.now == phase::starting) ensure_ticking(self);
}

caf::behavior mcp_server(self_ptr self, domain::toolset_config cfg, mcp_server_deps deps) {
  self->state.cfg = std::move(cfg);
  self->state.deps = std::move(deps);
  self->set_exit_handler([=](caf::exit_msg& m) {
    auto& st = self->state;
    if (st.transport) st.transport->close();  // its process group goes
    st.now = phase::down;
    st.last_error = "the server stops";
    answer_listeners(self);
    for (auto& [id, p] : st.pending)
      if (p.kind == request_kind::call) p.call.rp.deliver(domain::tool_outcome{"the server stops", true});
    for (auto& w : st.queued) w.rp.deliver(domain::tool_outcome{"the server stops", true});
    self->quit(m.reason);
  });
  return {
      [=](const list_tools&) -> caf::result<tool_list> {
        auto& st = self->state;
        if (st.now == phase::ready) return tool_list{st.tools, {}};
        auto rp = self->make_response_promise<tool_list>();
        if (st.now == phase::down && clock::now() < st.next_start) {
          rp.deliver(tool_list{{}, st.last_error});  // in its backoff: no tools this turn
          return rp;
        }
        st.listeners.push_back(rp);
        wake(self);
        return rp;
      },
      [=](call_tool& c) -> caf::result<domain::tool_outcome> {
        auto& st = self->state;
        auto rp = self->make_response_promise<domain::tool_outcome>();
        // A call waiting for its server to start waits for the start first.
        auto wait = st.now == phase::ready ? clock::duration{} : start_allowance(st.cfg);
        waiting_call w{std::move(c), rp, clock::now() + wait + timeout_of(st.cfg)};
        if (st.now == phase::ready) {
          run_call(self, std::move(w));
        } else {
          st.queued.push_back(std::move(w));
          wake(self);
        }
        ensure_ticking(self);
        return rp;
      },
      [=](mcp_in& m) {
        if (m.gen == self->state.gen) on_message(self, m.text);
      },
      [=](const mcp_log& m) {
        if (m.gen == self->state.gen) spdlog::info("toolset {} stderr: {}", self->state.cfg.name, m.line);
      },
      [=](const mcp_gone& m) {
        if (m.gen == self->state.gen) fail_server(self, m.why);
      },
      [=](const mcp_http_failed& m) {
        auto& st = self->state;
        if (m.gen != st.gen) return;
        // A POST whose request already ended here (timed out, cancelled) says nothing of the server.
        if (m.id && !m.session_lost && st.pending.find(*m.id) == st.pending.end()) return;
        auto it = m.id ? st.pending.find(*m.id) : st.pending.end();
        bool call = it != st.pending.end() && it->second.kind == request_kind::call;
        if (call && !m.session_lost) {  // one call failed; the server may be fine
          it->second.call.rp.deliver(domain::tool_outcome{m.why, true});
          st.pending.erase(it);
          return;
        }
        fail_server(self, m.why);
      },
      [=](const mcp_session& m) {
        auto& st = self->state;
        if (m.gen == st.gen && st.transport) st.transport->set_session(m.id);
      },
      [=](mcp_tick) { tick(self); },
      [=](mcp_restart) {
        self->state.restart_scheduled = false;
        if (!self->state.queued.empty() || !self->state.listeners.empty()) wake(self);
      },
  };
}

}  // namespace

toolset_actor spawn_mcp_server(caf::actor_system& sys, const domain::toolset_config& cfg,
                               mcp_server_deps deps) {
  return caf::actor_cast<toolset_actor>(sys.spawn(mcp_server, cfg, std::move(deps)));
}

}  // namespace troupe::actors
