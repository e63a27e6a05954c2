#pragma once
// A stored turn's idempotency key: the client's Idempotency-Key, the hash of
// the request it came with, and the answer (domain/openai/turn_replay), so
// that a retry of the turn is answered from storage instead of running again.
#include <string>

namespace troupe::domain {

struct turn_key {
  std::string key;
  std::string request_hash;
  std::string reply;
};

}  // namespace troupe::domain
