#pragma once
// A stored conversation and the JSON of /v1/sessions.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "domain/chat/chat_message.hpp"
#include "domain/chat/conversation_hash.hpp"

namespace troupe::domain {

struct session_info {
  std::string id;
  std::string agent_id;
  std::string user_id;  // the owner; empty: anonymous
  std::int64_t created_at_ms = 0;
  std::int64_t last_activity_ms = 0;
  std::int64_t message_count = 0;
  // conversation_hash of all its messages: how a client that resends the
  // conversation without the session id finds it again.
  std::uint64_t conv_hash = empty_conversation_hash;
  std::string metadata_json;  // a conversation's metadata (Conversations API); empty: none
  // Positions handed out so far: more than message_count once items were removed.
  std::int64_t next_position = 0;

  bool edited() const { return next_position > message_count; }
};

// A session's row before its first turn is stored.
inline session_info new_session_info(std::string id, std::string agent_id, std::string user_id,
                                     std::int64_t now_ms) {
  session_info s;
  s.id = std::move(id);
  s.agent_id = std::move(agent_id);
  s.user_id = std::move(user_id);
  s.created_at_ms = s.last_activity_ms = now_ms;
  return s;
}

struct session_query {
  std::string agent_id;
  std::string user_id;
  std::int64_t limit = 100;
  std::int64_t offset = 0;
};
bool matches(const session_query& q, const session_info& s);

std::string encode_session_list(const std::vector<session_info>& sessions);
std::string encode_session_detail(const session_info& s, const message_list& messages);

}  // namespace troupe::domain
