#pragma once
// Who sent a request: the admin (the --token, or anyone when no token is
// set: loopback only) or the holder of a user key, who acts as its user.
#include <memory>
#include <string>

#include "domain/keys/key_directory.hpp"

namespace troupe::http {

struct caller {
  domain::key_grant grant;  // empty for the admin

  bool admin() const { return !grant.key; }
  const domain::api_key* key() const { return grant.key.get(); }
  // The user a user key speaks for; "" for the admin.
  const std::string& user_id() const {
    static const std::string none;
    return grant.key ? grant.key->user_id : none;
  }
  bool may_use_agent(const std::string& agent_id) const {
    return !grant.key || grant.key->allows_agent(agent_id);
  }
};

}  // namespace troupe::http
