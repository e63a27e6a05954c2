#pragma once
// Messages and typed interfaces of the key and usage repositories.
#include <optional>
#include <string>
#include <vector>

#include "actors/messages.hpp"
#include "domain/keys/api_key.hpp"
#include "domain/keys/key_codec.hpp"
#include "domain/keys/usage.hpp"

namespace troupe::actors {

// ---- key repository --------------------------------------------------------

struct create_key { domain::key_patch patch; };
struct update_key { std::string id; domain::key_patch patch; };
struct delete_key { std::string id; };
struct get_key { std::string id; };
struct list_keys { domain::key_query query; };

// The secret is in the create answer only; nothing keeps it.
struct key_created { domain::api_key key; std::string secret; };
struct key_reply { domain::api_key key; };
struct found_key { std::optional<domain::api_key> key; };
struct key_list { std::vector<domain::api_key> keys; };

// Membership → key repository (cluster): another node wrote this key; the
// directory takes it as it is stored now.
struct key_changed { std::string id; };

using key_repo_actor = caf::typed_actor<
    caf::reacts_to<key_changed>,
    caf::replies_to<create_key>::with<key_created>,
    caf::replies_to<update_key>::with<key_reply>,
    caf::replies_to<delete_key>::with<deleted>,
    caf::replies_to<get_key>::with<found_key>,
    caf::replies_to<list_keys>::with<key_list>>;

// ---- usage repository ------------------------------------------------------

struct query_usage { domain::usage_query query; };
struct usage_report { std::vector<domain::usage_total> groups; };
// Usage repository → itself: write what the usage meter gathered.
struct flush_usage {};

using usage_repo_actor = caf::typed_actor<
    caf::replies_to<query_usage>::with<usage_report>,
    caf::reacts_to<flush_usage>>;

}  // namespace troupe::actors

TROUPE_LOCAL_MESSAGE(create_key)
TROUPE_LOCAL_MESSAGE(update_key)
TROUPE_LOCAL_MESSAGE(delete_key)
TROUPE_LOCAL_MESSAGE(get_key)
TROUPE_LOCAL_MESSAGE(list_keys)
TROUPE_LOCAL_MESSAGE(key_created)
TROUPE_LOCAL_MESSAGE(key_reply)
TROUPE_LOCAL_MESSAGE(found_key)
TROUPE_LOCAL_MESSAGE(key_list)
TROUPE_LOCAL_MESSAGE(key_changed)
TROUPE_LOCAL_MESSAGE(query_usage)
TROUPE_LOCAL_MESSAGE(usage_report)
TROUPE_LOCAL_MESSAGE(flush_usage)
