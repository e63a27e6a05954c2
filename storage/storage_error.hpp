#pragma once
#include <stdexcept>

namespace troupe::storage {

// A backend that cannot read or write (disk full, corrupt file…).
struct storage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace troupe::storage
