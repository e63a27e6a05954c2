#pragma once
// What a Responses API turn echoes in its response object, decided when the
// request is parsed; shared read-only by the turn's reply and its storage.
#include <cstdint>
#include <optional>
#include <string>

namespace troupe::domain {

struct response_spec {
  std::string id;               // resp_<hex>
  std::string message_item_id;  // the reply's message item: msg_<same hex>
  std::int64_t created_at = 0;  // seconds
  std::string model;            // the agent id
  std::string instructions;     // empty: null
  std::string previous_response_id;
  std::string conversation_id;  // the request named a conversation
  std::string tools_json = "[]";
  std::string tool_choice_json = "\"auto\"";
  std::string text_json = R"({"format":{"type":"text"}})";
  std::string metadata_json = "{}";
  std::string reasoning_json = R"({"effort":null,"summary":null})";
  std::string truncation = "disabled";
  std::optional<double> temperature, top_p;
  std::optional<std::int64_t> max_output_tokens;
  bool parallel_tool_calls = true;
  bool store = true;
  std::string user;               // empty: null
  std::string safety_identifier;  // empty: not written
  bool output_logprobs = false;   // include: message.output_text.logprobs
};

}  // namespace troupe::domain
