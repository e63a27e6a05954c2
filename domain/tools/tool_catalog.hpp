#pragma once
// The tools an agent offers the model on its own behalf: their definitions
// (from MCP servers' tools/list or built in), names made unique and valid for
// OpenAI, and tool results turned into tool message content.
#include <string>
#include <string_view>
#include <vector>

#include "domain/service/services_config.hpp"

namespace troupe::domain {

struct tool_definition {
  std::string name;      // as the model sees it: unique, ^[a-zA-Z0-9_-]{1,64}$
  std::string original;  // as its toolset knows it
  std::string toolset;
  std::string description;
  std::string parameters_json = R"({"type":"object","properties":{}})";  // JSON Schema
};

// Valid OpenAI names for all: other characters become '_', too long ones are
// cut; a name two toolsets share (or a client tool has) gets its toolset's
// name as prefix ("fs_read_file").
std::vector<tool_definition> unique_tool_names(std::vector<tool_definition> tools,
                                               const std::vector<std::string>& taken = {});

// The tools as OpenAI function tools, comma-separated array elements.
std::string openai_tool_elements(const std::vector<tool_definition>& tools);

// The definitions of a builtin toolset's tools.
std::vector<tool_definition> builtin_tools(const toolset_config& toolset);

// What a tool call produced.
struct tool_outcome {
  std::string text;
  bool error = false;  // the tool failed: the model is told so
};

// A tool message's content: the text (errors say so), cut to `max_bytes`
// at a UTF-8 boundary with a note.
std::string tool_message_content(const tool_outcome& o, std::size_t max_bytes);

}  // namespace troupe::domain
