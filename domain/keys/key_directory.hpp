#pragma once
// Where a request's bearer token is checked: every user key by the SHA-256 of
// its secret, in memory, with its live meter. The key repository writes it
// (before it answers a create, patch or delete, so a revoked key is refused
// at once); HTTP threads read it without asking an actor.
//
// `key_lookup` is the seam for a cluster: a node would also apply the key
// changes other nodes broadcast (put / erase) to its own directory.
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "domain/keys/api_key.hpp"
#include "domain/keys/key_meter.hpp"

namespace troupe::domain {

struct key_grant {
  std::shared_ptr<const api_key> key;  // a snapshot: a patch replaces it
  std::shared_ptr<key_meter> meter;    // lives as long as the key id
};

class key_lookup {
 public:
  virtual ~key_lookup() = default;
  // The key whose secret hashes to `hash` (hex SHA-256); nullopt when none.
  virtual std::optional<key_grant> find(const std::string& hash) const = 0;
  virtual void put(const api_key& k) = 0;
  virtual void erase(const std::string& key_id) = 0;
};

class key_directory final : public key_lookup {
 public:
  std::optional<key_grant> find(const std::string& hash) const override;
  // Adds or replaces a key; a key that stays keeps its meter (its limits
  // go on counting across a patch).
  void put(const api_key& k) override;
  void erase(const std::string& key_id) override;
  std::shared_ptr<key_meter> meter_of(const std::string& key_id) const;

 private:
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, key_grant> by_hash_;
  std::unordered_map<std::string, std::string> hash_of_id_;
};

}  // namespace troupe::domain
