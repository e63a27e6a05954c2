#include "actors/session_reader.hpp"

#include "actors/errors.hpp"
#include "domain/chat/history.hpp"

namespace troupe::actors {

session_snapshot read_snapshot(storage::session_store& store, const load_session& m) {
  std::uint64_t epoch = m.claim_for.empty() ? 0 : store.claim(m.id, m.claim_for);
  auto& id = m.id;
  auto info = store.get(id);
  auto history = std::make_shared<domain::message_list>(
      info ? store.history(id, domain::max_history_window) : domain::message_list{});
  return session_snapshot{std::move(info), std::move(history), epoch};
}

continuation find_in(const storage::session_store& store, const find_continuation& m) {
  return continuation{store.find_continuation(m.agent_id, m.user_id, m.candidates)};
}

response_found find_in(const storage::session_store& store, const find_response& m) {
  response_found out;
  out.response = store.get_response(m.id);
  if (out.response) out.session = store.get(out.response->session_id);
  return out;
}

item_session find_in(const storage::session_store& store, const find_item_session& m) {
  return item_session{store.session_of_item(m.item_id)};
}

session_row find_in(const storage::session_store& store, const get_session_row& m) {
  return session_row{store.get(m.id)};
}

turn_key_found find_in(const storage::session_store& store, const find_turn_key& m) {
  return turn_key_found{store.find_turn_key(m.session_id, m.key)};
}

item_list find_in(const storage::session_store& store, const get_items& m) {
  item_list out;
  out.session = store.get(m.session_id);
  if (out.session) out.items = store.items(m.session_id);
  return out;
}

namespace {

session_loader_actor::behavior_type session_reader(session_loader_actor::pointer,
                                                   std::shared_ptr<storage::session_store> store,
                                                   std::shared_ptr<component_status> health) {
  return {
      [=](const load_session& m) {
        return guarded<session_snapshot>(*health, [&] { return read_snapshot(*store, m); });
      },
      [=](const claim_session& m) {
        return guarded<claimed>(*health, [&] { return claimed{store->claim(m.id, m.node_id)}; });
      },
      [=](const find_continuation& m) {
        return guarded<continuation>(*health, [&] { return find_in(*store, m); });
      },
      [=](const find_response& m) {
        return guarded<response_found>(*health, [&] { return find_in(*store, m); });
      },
      [=](const find_item_session& m) {
        return guarded<item_session>(*health, [&] { return find_in(*store, m); });
      },
      [=](const get_session_row& m) {
        return guarded<session_row>(*health, [&] { return find_in(*store, m); });
      },
      [=](const get_items& m) {
        return guarded<item_list>(*health, [&] { return find_in(*store, m); });
      },
      [=](const find_turn_key& m) {
        return guarded<turn_key_found>(*health, [&] { return find_in(*store, m); });
      },
  };
}

}  // namespace

session_loader_actor spawn_session_reader(caf::actor_system& sys,
                                          std::shared_ptr<storage::session_store> store,
                                          std::shared_ptr<component_status> health) {
  return sys.spawn<caf::detached>(session_reader, std::move(store), std::move(health));
}

}  // namespace troupe::actors
