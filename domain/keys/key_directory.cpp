#include "domain/keys/key_directory.hpp"

#include <mutex>

#include "domain/service/http_rules.hpp"

namespace troupe::domain {

std::optional<key_grant> key_directory::find(const std::string& hash) const {
  std::shared_lock<std::shared_mutex> g{mu_};
  auto it = by_hash_.find(hash);
  // The map compares hashes, not secrets: its timing tells nothing about a
  // secret. The final comparison is constant-time all the same.
  if (it == by_hash_.end() || !constant_time_equal(it->second.key->hash, hash)) return std::nullopt;
  return it->second;
}

void key_directory::put(const api_key& k) {
  auto snapshot = std::make_shared<const api_key>(k);
  std::unique_lock<std::shared_mutex> g{mu_};
  std::shared_ptr<key_meter> meter;
  if (auto old = hash_of_id_.find(k.id); old != hash_of_id_.end()) {
    auto it = by_hash_.find(old->second);
    if (it != by_hash_.end()) {
      meter = it->second.meter;
      by_hash_.erase(it);
    }
  }
  if (!meter) meter = std::make_shared<key_meter>();
  hash_of_id_[k.id] = k.hash;
  by_hash_[k.hash] = key_grant{std::move(snapshot), std::move(meter)};
}

void key_directory::erase(const std::string& key_id) {
  std::unique_lock<std::shared_mutex> g{mu_};
  auto it = hash_of_id_.find(key_id);
  if (it == hash_of_id_.end()) return;
  by_hash_.erase(it->second);
  hash_of_id_.erase(it);
}

std::shared_ptr<key_meter> key_directory::meter_of(const std::string& key_id) const {
  std::shared_lock<std::shared_mutex> g{mu_};
  auto it = hash_of_id_.find(key_id);
  if (it == hash_of_id_.end()) return nullptr;
  auto grant = by_hash_.find(it->second);
  return grant == by_hash_.end() ? nullptr : grant->second.meter;
}

}  // namespace troupe::domain
