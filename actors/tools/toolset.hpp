#pragma once
// A toolset as the agent sees it: an actor that lists its tools and runs
// them. MCP servers and the built-in tools both answer this interface.
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/turn_reply.hpp"
#include "domain/tools/tool_catalog.hpp"

namespace troupe::actors {

struct list_tools {};
struct tool_list {
  std::vector<domain::tool_definition> tools;  // names as the toolset knows them
  std::string error;                           // the toolset is unavailable (no tools then)
};
struct call_tool {
  std::string tool;       // its name in the toolset
  std::string arguments;  // JSON text, as the model wrote it
  std::shared_ptr<turn_reply> turn;  // a call its turn no longer needs is cancelled
};

using toolset_actor =
    caf::typed_actor<caf::replies_to<list_tools>::with<tool_list>,
                     caf::replies_to<call_tool>::with<domain::tool_outcome>>;

}  // namespace troupe::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::list_tools)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::tool_list)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::call_tool)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::domain::tool_outcome)
