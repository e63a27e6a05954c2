#pragma once
// Where conversations live. Only the session repository actor calls this.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/chat/chat_message.hpp"
#include "domain/chat/conversation_hash.hpp"
#include "domain/chat/session_info.hpp"
#include "domain/chat/stored_items.hpp"
#include "domain/chat/turn_key.hpp"
#include "storage/storage_error.hpp"

namespace troupe::storage {

struct session_dump {
  domain::session_info info;
  domain::message_list messages;
};

using continuation_candidate = domain::conversation_prefix;

struct turn_write {
  domain::session_info info;
  domain::message_list messages;
  // Item ids of the messages, in order; empty (or an empty id): derived.
  std::vector<std::string> item_ids;
  // A Responses API turn: its response, stored in the same transaction.
  std::optional<domain::response_record> response;
  // The client's idempotency key and the answer, stored with the turn.
  std::optional<domain::turn_key> key;
  // Cluster fencing: non-zero, the turn is stored only while `owner_node`
  // still holds the session at this epoch (see session_store::claim);
  // otherwise its failure starts with fenced_prefix and nothing is stored.
  std::uint64_t owner_epoch = 0;
  std::string owner_node;
};

// How append_turns says a turn was refused because another node took its
// session over.
inline constexpr const char* fenced_prefix = "fenced: ";

class session_store {
 public:
  virtual ~session_store() = default;
  // Whether calls wait for a disk (then its actor gets a thread of its own).
  virtual bool blocks() const { return true; }
  // Stores one completed turn atomically: creates the session on its first
  // turn, appends the messages, updates last_activity and message_count.
  virtual void append_turn(const domain::session_info& info,
                           const domain::message_list& messages) {
    turn_write t;
    t.info = info;
    t.messages = messages;
    auto failed = append_turns({t});
    if (!failed[0].empty()) throw storage_error(failed[0]);
  }
  // Several turns in one durable commit (group commit). A turn that cannot
  // be stored does not take the others with it: per turn, "" when stored,
  // else why not. Throws storage_error when the commit itself fails (then
  // none is stored).
  virtual std::vector<std::string> append_turns(const std::vector<turn_write>& turns) = 0;
  // Cluster: node `node_id` takes session `id` over (it need not exist yet)
  // in one statement and gets the new owner epoch, which deposes any
  // earlier owner. 0: this store does not fence (one node only).
  virtual std::uint64_t claim(const std::string& id, const std::string& node_id) {
    (void)id;
    (void)node_id;
    return 0;
  }
  // How many commits reached the disk (batching makes this less than turns).
  virtual std::uint64_t commits() const { return 0; }
  virtual std::optional<domain::session_info> get(const std::string& id) const = 0;
  // The newest `last_n` messages in conversation order.
  virtual domain::message_list history(const std::string& id, std::size_t last_n) const = 0;
  // A session and its whole history as of one moment (nullopt: no such session).
  virtual std::optional<session_dump> dump(const std::string& id) const;
  // The newest session of this agent and user whose whole conversation, as
  // its client has it, is one of the candidates (the longest one that
  // exists); nullopt when none. An indexed lookup by conversation hash; a
  // session may hold more messages than the candidate's length (the agent's
  // own tool rounds, never sent to the client, are not in the hash).
  virtual std::optional<domain::session_info> find_continuation(
      const std::string& agent_id, const std::string& user_id,
      const std::vector<continuation_candidate>& candidates) const = 0;
  // The turn of session `session_id` stored with idempotency key `key`.
  virtual std::optional<domain::turn_key> find_turn_key(const std::string& session_id,
                                                        const std::string& key) const = 0;
  // Creation order.
  virtual std::vector<domain::session_info> list(const domain::session_query& q) const = 0;
  virtual bool remove(const std::string& id) = 0;
  virtual std::vector<std::string> remove_by_agent(const std::string& agent_id) = 0;
  virtual std::size_t count() const = 0;

  // ---- Responses and Conversations ----
  virtual std::optional<domain::response_record> get_response(const std::string& id) const = 0;
  virtual bool remove_response(const std::string& id) = 0;
  // The session a stored response's output item is in.
  virtual std::optional<std::string> session_of_item(const std::string& item_id) const = 0;
  // Every message of a session with its item id, in conversation order.
  virtual std::vector<domain::stored_item> items(const std::string& session_id) const = 0;
  // A new session `new_id` holding the first `count` messages of `from`
  // (item ids kept), its hash computed; nullopt when `from` does not exist.
  virtual std::optional<domain::session_info> fork(const std::string& from, std::size_t count,
                                                   const std::string& new_id) = 0;
  virtual bool set_metadata(const std::string& id, const std::string& metadata_json) = 0;
  // Removes one item: a message, or one tool call of an assistant message.
  // The session's count and hash follow. nullopt when there is no such item.
  virtual std::optional<domain::session_info> remove_item(const std::string& session_id,
                                                          const std::string& item_id) = 0;
};

}  // namespace troupe::storage
