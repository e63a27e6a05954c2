#pragma once
// Where user keys live (hashed; never the secret). Only the key repository
// actor calls this, and the start-up that fills the key directory.
#include <optional>
#include <string>
#include <vector>

#include "domain/keys/api_key.hpp"
#include "storage/agent_store.hpp"

namespace troupe::storage {

class key_store {
 public:
  virtual ~key_store() = default;
  // Whether calls wait for a disk (then its actor gets a thread of its own).
  virtual bool blocks() const { return true; }
  // False when the id or the hash exists already.
  virtual bool insert(const domain::api_key& k) = 0;
  // False when no key has this id.
  virtual bool update(const domain::api_key& k) = 0;
  virtual bool remove(const std::string& id) = 0;
  virtual std::optional<domain::api_key> get(const std::string& id) const = 0;
  // Creation order.
  virtual std::vector<domain::api_key> list(const domain::key_query& q) const = 0;
};

}  // namespace troupe::storage
