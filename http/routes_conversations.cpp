// /v1/conversations: the Conversations API. A conversation is a Troupe
// session (its id works in /v1/sessions too); edits of its items run in its
// session actor, in order with its turns.
#include "domain/core/clock.hpp"
#include "domain/core/ids.hpp"
#include "domain/chat/conversation_hash.hpp"
#include "domain/openai/conversations_codec.hpp"
#include "http/api_context.hpp"
#include "http/query.hpp"

namespace troupe::http {

namespace {

domain::api_error conversation_not_found(const std::string& id) {
  return domain::not_found("conversation '" + id + "' not found", "conversation_not_found");
}

domain::api_error item_not_found(const std::string& id) {
  return domain::not_found("item '" + id + "' not found", "item_not_found");
}

actors::session_loader_actor loader_of(const api_context& ctx) {
  return ctx.rt.session_reader ? ctx.rt.session_reader
                               : actors::session_loader_actor{ctx.rt.sessions};
}

// Items with fresh ids, as an edit of `id` appends them.
actors::session_edit additions(const std::string& id, domain::message_list items) {
  actors::session_edit e;
  e.session_id = id;
  for (auto& m : items) e.item_ids.push_back(domain::new_item_id(m.role));
  e.add = std::move(items);
  return e;
}

bool visible(const std::optional<domain::session_info>& s, const std::optional<std::string>& owner) {
  return s && (!owner || s->user_id == *owner);
}

// Answers with the conversation as it is now.
void send_conversation(const api_context& ctx, const std::string& id,
                       std::optional<std::string> owner, std::shared_ptr<http_sink> sink) {
  ask(ctx, loader_of(ctx), actors::get_session_row{id}, sink,
      [sink, id, owner](const actors::session_row& s) {
        if (!visible(s.session, owner)) return actors::send_error(*sink, conversation_not_found(id));
        sink->send(200, domain::encode_conversation(*s.session));
      });
}

}  // namespace

void add_conversation_routes(router& r, const api_context& ctx) {
  using namespace restinio;
  r.add(http_method_post(), "/v1/conversations", [&ctx](const exchange& x) {
    require_json_body(x, ctx);
    auto c = domain::parse_conversation_create(x.req->body());
    if (!x.who.admin()) {  // a user key creates its user's conversations
      if (!c.user_id.empty() && c.user_id != x.who.user_id())
        throw domain::forbidden("metadata.user_id names another user than the key's",
                                "metadata.user_id");
      c.user_id = x.who.user_id();
    }
    auto now = domain::now_ms();
    actors::store_turn t;
    t.info = domain::new_session_info(domain::new_id("conv_"), "", c.user_id, now);
    t.info.metadata_json = c.metadata_json.empty() ? "{}" : c.metadata_json;
    for (auto& m : c.items) {
      m.created_at_ms = now;
      t.item_ids.push_back(domain::new_item_id(m.role));
    }
    t.info.conv_hash = domain::conversation_hash(c.items.begin(), c.items.end());
    t.messages = std::move(c.items);
    auto info = t.info;
    info.message_count = static_cast<std::int64_t>(t.messages.size());
    auto sink = x.sink;
    ask(ctx, ctx.rt.sessions, std::move(t), sink, [sink, info](const actors::stored&) {
      sink->send(200, domain::encode_conversation(info));
    });
  });

  r.add(http_method_get(), "/v1/conversations/:id", [&ctx](const exchange& x) {
    send_conversation(ctx, x.params[0], owner_scope(x), x.sink);
  });

  r.add(http_method_post(), "/v1/conversations/:id", [&ctx](const exchange& x) {
    require_json_body(x, ctx);
    auto metadata = domain::parse_conversation_update(x.req->body());
    auto sink = x.sink;
    auto id = x.params[0];
    auto owner = owner_scope(x);
    ask(ctx, loader_of(ctx), actors::get_session_row{id}, sink,
        [&ctx, sink, id, owner, metadata](const actors::session_row& s) {
          if (!visible(s.session, owner)) return actors::send_error(*sink, conversation_not_found(id));
          ask(ctx, ctx.rt.sessions, actors::set_session_metadata{id, metadata}, sink,
              [&ctx, sink, id, owner](const actors::deleted& d) {
                if (!d.existed) return actors::send_error(*sink, conversation_not_found(id));
                send_conversation(ctx, id, owner, sink);
              });
        });
  });

  r.add(http_method_delete(), "/v1/conversations/:id", [&ctx](const exchange& x) {
    auto sink = x.sink;
    auto id = x.params[0];
    ask(ctx, ctx.rt.sessions, actors::delete_session{id, owner_scope(x)}, sink,
        [sink, id](const actors::deleted& d) {
          if (!d.existed) return actors::send_error(*sink, conversation_not_found(id));
          sink->send(200, domain::encode_conversation_deleted(id));
        });
  });

  r.add(http_method_get(), "/v1/conversations/:id/items", [&ctx](const exchange& x) {
    auto q = query_of(x);
    auto page = domain::parse_item_page(q.text("after"), q.text("limit"), q.text("order"));
    auto sink = x.sink;
    auto id = x.params[0];
    auto owner = owner_scope(x);
    ask(ctx, loader_of(ctx), actors::get_items{id}, sink,
        [sink, id, page, owner](const actors::item_list& l) {
          if (!visible(l.session, owner)) return actors::send_error(*sink, conversation_not_found(id));
          try {
            sink->send(200, domain::encode_item_page(domain::item_jsons(l.items), page));
          } catch (const domain::api_error& e) {
            actors::send_error(*sink, e);
          }
        });
  });

  r.add(http_method_post(), "/v1/conversations/:id/items", [&ctx](const exchange& x) {
    require_json_body(x, ctx);
    auto edit = additions(x.params[0], domain::parse_conversation_items(x.req->body()));
    edit.user_id = owner_scope(x).value_or("");
    std::vector<domain::stored_item> added;
    for (std::size_t i = 0; i < edit.add.size(); ++i) added.push_back({edit.item_ids[i], edit.add[i]});
    auto sink = x.sink;
    auto id = x.params[0];
    ask(ctx, ctx.rt.scheduler, std::move(edit), sink,
        [sink, id, added](const actors::edit_done& d) {
          if (!d.session) return actors::send_error(*sink, conversation_not_found(id));
          domain::item_page_query all;
          all.limit = 1000;
          all.ascending = true;
          sink->send(200, domain::encode_item_page(domain::item_jsons(added), all));
        });
  });

  r.add(http_method_get(), "/v1/conversations/:id/items/:item", [&ctx](const exchange& x) {
    auto sink = x.sink;
    auto id = x.params[0];
    auto item = x.params[1];
    auto owner = owner_scope(x);
    ask(ctx, loader_of(ctx), actors::get_items{id}, sink,
        [sink, id, item, owner](const actors::item_list& l) {
          if (!visible(l.session, owner)) return actors::send_error(*sink, conversation_not_found(id));
          for (auto& json : domain::item_jsons(l.items))
            if (domain::item_id_of(json) == item) return sink->send(200, json);
          actors::send_error(*sink, item_not_found(item));
        });
  });

  r.add(http_method_delete(), "/v1/conversations/:id/items/:item", [&ctx](const exchange& x) {
    actors::session_edit edit;
    edit.session_id = x.params[0];
    edit.remove_item = x.params[1];
    edit.user_id = owner_scope(x).value_or("");
    auto sink = x.sink;
    auto id = x.params[0];
    auto item = x.params[1];
    ask(ctx, ctx.rt.scheduler, std::move(edit), sink,
        [sink, item](const actors::edit_done& d) {
          if (!d.session) return actors::send_error(*sink, item_not_found(item));
          sink->send(200, domain::encode_conversation(*d.session));
        });
  });
}

}  // namespace troupe::http
