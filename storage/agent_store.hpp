#pragma once
// Where agents live. Only the agent repository actor calls this.
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "domain/agents/agent_codec.hpp"
#include "domain/agents/agent_config.hpp"
#include "storage/storage_error.hpp"

namespace troupe::storage {

enum class write_status { ok, not_found, duplicate_id, duplicate_name };

class agent_store {
 public:
  virtual ~agent_store() = default;
  // Whether calls wait for a disk (then its actor gets a thread of its own).
  virtual bool blocks() const { return true; }
  virtual write_status insert(const domain::agent_config& a) = 0;
  virtual write_status update(const domain::agent_config& a) = 0;
  virtual bool remove(const std::string& id) = 0;
  virtual std::optional<domain::agent_config> get(const std::string& id) const = 0;
  // Creation order.
  virtual std::vector<domain::agent_config> list(const domain::agent_query& q) const = 0;
  virtual std::size_t count() const = 0;
};

}  // namespace troupe::storage
