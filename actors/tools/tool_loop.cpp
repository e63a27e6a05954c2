#include "actors/tools/tool_loop.hpp"

#include <spdlog/spdlog.h>

#include "actors/errors.hpp"
#include "domain/core/json.hpp"
#include "domain/tools/tool_round.hpp"
#include "domain/upstream/upstream_policy.hpp"

namespace troupe::actors::detail {
struct loop_keepalive {};
}  // namespace troupe::actors::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::detail::loop_keepalive)

namespace troupe::actors {

using detail::loop_keepalive;

namespace {

using clock = std::chrono::steady_clock;

// One call of the agent's, while it runs.
struct running_call {
  domain::server_tool_call record;
  clock::time_point started;
  std::string result;  // the tool message's content
};

struct loop_state {
  tool_loop_config cfg;
  llm_call base;  // the prompt as the agent built it
  caf::response_promise rp;
  std::vector<domain::tool_definition> catalog;
  std::vector<domain::tool_spec> specs;
  std::string tools_json;
  std::vector<toolset_actor> owners;  // by toolset name, for the catalog's entries
  std::vector<std::string> owner_names;
  domain::message_list loop;  // calls and results so far
  domain::usage tokens;
  std::vector<domain::server_tool_call> server_calls;
  int rounds = 0;
  bool done = false;
};

using self_ptr = caf::stateful_actor<loop_state>*;

void call_model(self_ptr self, bool last);

void end(self_ptr self, caf::error e) {
  auto& st = self->state;
  if (st.done) return;
  st.done = true;
  st.rp.deliver(std::move(e));
  self->quit();
}

void end(self_ptr self, llm_result r) {
  auto& st = self->state;
  if (st.done) return;
  st.done = true;
  if (st.rounds > 0) {
    r.tokens = st.tokens;
    r.usage_json.clear();  // the last call's usage object counts only that call
  }
  r.steps = std::move(st.loop);
  r.server_calls = std::move(st.server_calls);
  st.rp.deliver(std::move(r));
  self->quit();
}

bool client_left(const loop_state& st) {
  return st.base.reply && st.base.reply->client_gone();
}

caf::error cancelled(const loop_state& st) {
  domain::upstream_outcome o;
  o.failure = domain::upstream_failure::cancelled;
  o.message = "the client went away";
  (void)st;
  return to_caf_error(domain::client_error(o, "tools"));
}

toolset_actor owner_of(const loop_state& st, const domain::tool_definition& t) {
  for (std::size_t i = 0; i < st.owner_names.size(); ++i)
    if (st.owner_names[i] == t.toolset) return st.owners[i];
  return {};
}

// Arguments must be a JSON object; the model is told when they are not.
std::string bad_arguments(const std::string& args) {
  rapidjson::Document d;
  d.Parse(args.empty() ? "{}" : args.c_str(), args.empty() ? 2 : args.size());
  if (d.HasParseError()) return "Error: the arguments are not valid JSON: " + args.substr(0, 200);
  if (!d.IsObject()) return "Error: the arguments must be a JSON object";
  return {};
}

// All of a round's calls are back: their results join the conversation.
void round_done(self_ptr self, llm_result r, std::shared_ptr<std::vector<running_call>> calls,
                std::vector<std::size_t> client) {
  auto& st = self->state;
  for (auto& c : *calls) {
    st.loop.push_back(domain::tool_result_message(c.record.call_id, std::move(c.result)));
    st.server_calls.push_back(c.record);
  }
  if (client_left(st)) return end(self, cancelled(st));
  if (!client.empty()) {  // the client has tools to run: the turn ends here
    auto& choice = r.first();
    choice.message = domain::with_calls_only(choice.message, client);
    choice.finish_reason = "tool_calls";
    r.reply_in_steps = true;
    return end(self, std::move(r));
  }
  call_model(self, st.rounds >= st.cfg.max_iterations);
}

void run_round(self_ptr self, llm_result r, const domain::call_split& split) {
  auto& st = self->state;
  ++st.rounds;
  auto& answer = r.first().message;
  st.loop.push_back(domain::stored_reply(answer, false));
  auto calls = std::make_shared<std::vector<running_call>>();
  auto& all = answer.tool_calls();
  for (auto i : split.server) {
    running_call c;
    c.record = {all[i].id, all[i].name, all[i].arguments, "running", 0};
    c.started = clock::now();
    calls->push_back(std::move(c));
  }
  auto left = std::make_shared<std::size_t>(calls->size());
  auto client = split.client;
  auto finish_one = [=](std::size_t k, domain::tool_outcome o) {
    auto& c = (*calls)[k];
    c.record.status = o.error ? "error" : "done";
    c.record.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - c.started).count();
    c.result = domain::tool_message_content(o, self->state.cfg.max_result_bytes);
    if (self->state.base.reply) self->state.base.reply->tool_activity(c.record);
    if (--*left == 0) round_done(self, r, calls, client);
  };
  for (std::size_t k = 0; k < calls->size(); ++k) {
    auto& c = (*calls)[k];
    if (st.base.reply) st.base.reply->tool_activity(c.record);
    auto* def = domain::find_tool(st.catalog, c.record.name);
    auto owner = def ? owner_of(st, *def) : toolset_actor{};
    if (auto bad = bad_arguments(c.record.arguments); !bad.empty()) {
      finish_one(k, {bad.substr(7), true});  // without "Error: ", which the result adds
      continue;
    }
    if (!owner) {
      finish_one(k, {"the toolset of '" + c.record.name + "' is not available", true});
      continue;
    }
    self->request(owner, caf::infinite, call_tool{def->original, c.record.arguments, st.base.reply})
        .then([=](domain::tool_outcome& o) { finish_one(k, std::move(o)); },
              [=](caf::error& e) { finish_one(k, {"the toolset failed: " + caf::to_string(e), true}); });
  }
}

void on_answer(self_ptr self, llm_result r, bool last) {
  auto& st = self->state;
  st.tokens.prompt_tokens += r.tokens.prompt_tokens;
  st.tokens.completion_tokens += r.tokens.completion_tokens;
  auto split = domain::split_calls(r.first().message, st.catalog);
  if (split.server.empty()) return end(self, std::move(r));
  if (last) {  // the model called our tools although it may not: it answers without them
    auto& choice = r.first();
    choice.message = domain::with_calls_only(choice.message, split.client);
    if (split.client.empty() && choice.finish_reason == "tool_calls") choice.finish_reason = "stop";
    return end(self, std::move(r));
  }
  run_round(self, std::move(r), split);
}

void call_model(self_ptr self, bool last) {
  auto& st = self->state;
  llm_call c = st.base;
  if (!st.loop.empty()) c.prompt.loop = std::make_shared<const domain::message_list>(st.loop);
  c.prompt.server_tools = st.specs;
  c.prompt.server_tools_json = st.tools_json;
  if (last) c.prompt.tool_choice_override = "\"none\"";
  self->request(st.cfg.provider, caf::infinite, std::move(c))
      .then([=](llm_result& r) { on_answer(self, std::move(r), last); },
            [=](caf::error& e) { end(self, std::move(e)); });
}

// Every toolset listed its tools (or said why not): name them, then start.
void begin(self_ptr self, std::vector<domain::tool_definition> tools) {
  auto& st = self->state;
  std::vector<std::string> taken;
  for (auto& t : st.base.prompt.request->tools) taken.push_back(t.name);
  st.catalog = domain::unique_tool_names(std::move(tools), taken);
  st.specs = domain::tool_specs(st.catalog);
  st.tools_json = domain::openai_tool_elements(st.catalog);
  if (!st.catalog.empty() && st.base.reply) {
    st.base.reply->hold_tool_calls();
    if (st.base.reply->streaming())
      self->delayed_send(self, st.cfg.keepalive, loop_keepalive{});
  }
  call_model(self, false);
}

caf::behavior tool_loop(self_ptr self, tool_loop_config cfg) {
  self->state.cfg = std::move(cfg);
  return {
      [=](llm_call& call) {
        auto& st = self->state;
        st.rp = self->make_response_promise();
        st.base = std::move(call);
        auto n = st.cfg.toolsets.size();
        if (n == 0) return begin(self, {});
        auto listed = std::make_shared<std::vector<domain::tool_definition>>();
        auto left = std::make_shared<std::size_t>(n);
        for (auto& ts : st.cfg.toolsets) {
          auto one = [=](tool_list l) {
            if (!l.error.empty()) spdlog::warn("a toolset is unavailable this turn: {}", l.error);
            for (auto& t : l.tools) {
              if (std::find(self->state.owner_names.begin(), self->state.owner_names.end(),
                            t.toolset) == self->state.owner_names.end()) {
                self->state.owner_names.push_back(t.toolset);
                self->state.owners.push_back(ts);
              }
              listed->push_back(std::move(t));
            }
            if (--*left == 0) begin(self, std::move(*listed));
          };
          self->request(ts, caf::infinite, list_tools{})
              .then([=](tool_list& l) { one(std::move(l)); },
                    [=](caf::error& e) { one(tool_list{{}, caf::to_string(e)}); });
        }
      },
      [=](loop_keepalive) {
        auto& st = self->state;
        if (st.done || !st.base.reply) return;
        st.base.reply->keepalive();
        self->delayed_send(self, st.cfg.keepalive, loop_keepalive{});
      },
  };
}

}  // namespace

provider_actor spawn_tool_loop(caf::actor_system& sys, tool_loop_config cfg) {
  return caf::actor_cast<provider_actor>(sys.spawn(tool_loop, std::move(cfg)));
}

}  // namespace troupe::actors
