#pragma once
// One message of a conversation, as OpenAI's chat format defines it. The
// common case (a role and a text) is small; tool calls, content parts, names
// and other fields live in an immutable `message_extra` shared between the
// request, the session's history and storage.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace troupe::domain {

// `developer` is read as system, the legacy `function` as tool.
enum class role : std::uint8_t { system, user, assistant, tool };

std::string_view to_string(role r);
std::optional<role> parse_role(std::string_view s);

// How `content` was given: a string, null (an assistant message that only
// calls tools), or an array of parts (text, image_url, input_audio, file, refusal).
enum class content_kind : std::uint8_t { text, null, parts };

struct tool_call {
  std::string id;
  std::string name;
  std::string arguments;  // JSON text, as the model wrote it
};

// A JSON member kept verbatim: its key and its value as compact JSON text.
using raw_member = std::pair<std::string, std::string>;

struct message_extra {
  std::string parts_json;  // content_kind::parts: the array, compact JSON
  std::string name;
  std::vector<tool_call> tool_calls;
  std::string tool_call_id;
  std::optional<std::string> refusal;
  // Fields Troupe does not model (e.g. assistant `audio`, a provider's
  // extension), passed on in the order received.
  std::vector<raw_member> other;

  bool empty() const {
    return parts_json.empty() && name.empty() && tool_calls.empty() && tool_call_id.empty() &&
           !refusal && other.empty();
  }
};

struct chat_message {
  domain::role role = role::user;
  content_kind kind = content_kind::text;
  // The text; for parts, their text parts joined (what a word count sees).
  std::string content;
  std::int64_t created_at_ms = 0;
  std::shared_ptr<const message_extra> extra;  // null: nothing beyond role and content
  // Words of `content` (the `test` provider's usage), counted once where the
  // message is made so that a turn does not recount its history; -1: not
  // counted. Whoever changes `content` afterwards resets it.
  std::int32_t words = -1;

  chat_message() = default;
  chat_message(domain::role r, std::string text, std::int64_t at_ms = 0)
      : role(r), content(std::move(text)), created_at_ms(at_ms) {}

  // Only a role and a string content: stored and sent in the plain form.
  bool plain() const { return kind == content_kind::text && !extra; }
  const std::vector<tool_call>& tool_calls() const;
  std::string_view tool_call_id() const;
  std::string_view name() const;

  // Equality for resend reconciliation: the same speaker saying the same
  // thing (content, name, tool calls, tool result id, refusal). Tool call
  // arguments compare as JSON, so a client that re-serializes them still
  // matches; null and empty content are the same. When the server stored it
  // and unmodelled fields are not part of what a client resends.
  bool same_as(const chat_message& other) const;
};

using message_list = std::vector<chat_message>;

// The id a legacy function call gets: legacy clients send none, and the
// function's result names only the function.
std::string legacy_call_id(std::string_view function_name);

// Tool call arguments in the form used for comparison: compact JSON when
// they parse as JSON, else as given.
std::string canonical_arguments(std::string_view arguments);

}  // namespace troupe::domain
