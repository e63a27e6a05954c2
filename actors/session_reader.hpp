#pragma once
// Loads waking sessions on a connection of its own. The session repository's
// thread spends most of its time in commits (an fsync each); a load queued
// behind them would wait for the disk although it only reads. With WAL, a
// read on another connection sees every committed turn and never blocks the
// writer. Loading only sessions without a turn in flight (sleeping, or never
// seen by this process) keeps that safe: their last turn is committed.
#include <memory>
#include <string>

#include "actors/component_status.hpp"
#include "actors/messages.hpp"
#include "storage/session_store.hpp"

namespace troupe::actors {

// A session's row and the newest messages a live session keeps (claimed
// first when the load asks for it).
session_snapshot read_snapshot(storage::session_store& store, const load_session& m);
// The session a resent conversation continues, if one is stored.
continuation find_in(const storage::session_store& store, const find_continuation& m);
// Responses and Conversations reads.
response_found find_in(const storage::session_store& store, const find_response& m);
item_session find_in(const storage::session_store& store, const find_item_session& m);
item_list find_in(const storage::session_store& store, const get_items& m);
session_row find_in(const storage::session_store& store, const get_session_row& m);
turn_key_found find_in(const storage::session_store& store, const find_turn_key& m);

session_loader_actor spawn_session_reader(caf::actor_system& sys,
                                          std::shared_ptr<storage::session_store> store,
                                          std::shared_ptr<component_status> health);

}  // namespace troupe::actors
