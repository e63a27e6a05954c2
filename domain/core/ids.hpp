#pragma once
#include <string>
#include <string_view>

namespace troupe::domain {

// prefix + 24 random hex digits, e.g. "sess-5f0c…"; unguessable enough that
// generated session ids do not collide or leak other users' conversations.
std::string new_id(std::string_view prefix);

// Client-chosen ids (agents, sessions): 1..128 of [A-Za-z0-9._:-].
bool valid_id(std::string_view id);

}  // namespace troupe::domain
