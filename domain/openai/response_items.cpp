#include "domain/openai/response_items.hpp"

#include <fmt/format.h>

#include "domain/core/ids.hpp"
#include "domain/openai/message_codec.hpp"

namespace troupe::domain {

namespace {

const json_value* member(const json_value& obj, const char* key) {
  auto it = obj.FindMember(key);
  return it == obj.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
}

const json_value& required(const json_value& obj, const char* key, const std::string& p) {
  auto* v = member(obj, key);
  if (!v) throw unprocessable(fmt::format("'{}.{}' is required", p, key), join_path(p, key));
  return *v;
}

std::string str(const json_value& obj, const char* key, const std::string& p) {
  return get_string(required(obj, key, p), join_path(p, key));
}

// One content part of an input message, as a chat content part (written to `w`).
// Returns the text it adds to the message's text, if any.
void write_chat_part(json_writer_t& w, const json_value& part, const std::string& p, role r,
                     std::string& text, std::string& refusal) {
  get_object(part, p);
  auto type = str(part, "type", p);
  w.StartObject();
  if (type == "input_text" || type == "output_text" || type == "text") {
    auto t = str(part, "text", p);
    if (!text.empty() && r != role::assistant) text += '\n';
    text += t;
    w.Key("type");
    w.String("text");
    w.Key("text");
    write_string(w, t);
  } else if (type == "refusal") {
    auto r_text = str(part, "refusal", p);
    refusal += r_text;
    w.Key("type");
    w.String("refusal");
    w.Key("refusal");
    write_string(w, r_text);
  } else if (type == "input_image") {
    auto* url = member(part, "image_url");
    if (!url)
      throw bad_request(fmt::format("'{}.image_url' is required: images by file_id cannot go to a "
                                    "chat-completions upstream",
                                    p),
                        p + ".image_url");
    w.Key("type");
    w.String("image_url");
    w.Key("image_url");
    w.StartObject();
    w.Key("url");
    write_string(w, get_string(*url, p + ".image_url"));
    if (auto* d = member(part, "detail")) {
      w.Key("detail");
      write_string(w, get_string(*d, p + ".detail"));
    }
    w.EndObject();
  } else if (type == "input_file") {
    w.Key("type");
    w.String("file");
    w.Key("file");
    w.StartObject();
    for (auto key : {"file_data", "file_id", "filename"})
      if (auto* v = member(part, key)) {
        w.Key(key);
        write_string(w, get_string(*v, join_path(p, key)));
      }
    w.EndObject();
  } else if (type == "input_audio") {
    w.Key("type");
    w.String("input_audio");
    w.Key("input_audio");
    get_object(required(part, "input_audio", p), p + ".input_audio").Accept(w);
  } else {
    throw bad_request(fmt::format("'{}.type': unknown content type '{}'", p, type), p + ".type");
  }
  w.EndObject();
}

// A message item as a chat message. Text-only content becomes a string (an
// assistant's always: that is how a session keeps replies).
chat_message read_message_item(const json_value& v, const std::string& p) {
  auto role_name = str(v, "role", p);
  auto r = parse_role(role_name);
  if (!r || role_name == "tool" || role_name == "function")
    throw bad_request(fmt::format("'{}.role' must be user, assistant, system or developer", p),
                      p + ".role");
  auto& content = required(v, "content", p);
  json_out chat;
  chat.w.StartObject();
  chat.w.Key("role");
  write_string(chat.w, to_string(*r));
  chat.w.Key("content");
  if (content.IsString()) {
    content.Accept(chat.w);
  } else {
    get_array(content, p + ".content");
    json_out parts;
    std::string text, refusal;
    parts.w.StartArray();
    for (rapidjson::SizeType i = 0; i < content.Size(); ++i)
      write_chat_part(parts.w, content[i], fmt::format("{}.content[{}]", p, i), *r, text, refusal);
    parts.w.EndArray();
    bool only_text = true;
    for (auto& part : content.GetArray()) {
      auto t = part.FindMember("type");
      std::string_view type = t != part.MemberEnd() && t->value.IsString() ? t->value.GetString() : "";
      only_text = only_text && (type == "input_text" || type == "output_text" || type == "text");
    }
    if (only_text && (*r == role::assistant || content.Size() == 1))
      write_string(chat.w, text);
    else if (*r == role::assistant && !refusal.empty() && text.empty())
      chat.w.Null();
    else
      write_raw(chat.w, std::string_view(parts.buf.GetString(), parts.buf.GetSize()));
    if (*r == role::assistant && !refusal.empty()) {
      chat.w.Key("refusal");
      write_string(chat.w, refusal);
    }
  }
  chat.w.EndObject();
  rapidjson::Document doc;
  parse_json(chat.str(), doc);
  return read_message(doc, p);
}

chat_message tool_result(std::string call_id, std::string output) {
  chat_message m{role::tool, std::move(output)};
  message_extra x;
  x.tool_call_id = std::move(call_id);
  m.extra = std::make_shared<const message_extra>(std::move(x));
  return m;
}

input_piece read_item(const json_value& v, const std::string& p) {
  get_object(v, p);
  input_piece out;
  out.param = p;
  auto* type = member(v, "type");
  auto t = type ? get_string(*type, p + ".type") : std::string("message");
  if (t == "message") {
    out.message = read_message_item(v, p);
  } else if (t == "function_call") {
    out.k = input_piece::kind::function_call;
    out.call = {str(v, "call_id", p), str(v, "name", p), str(v, "arguments", p)};
  } else if (t == "function_call_output") {
    out.k = input_piece::kind::function_call_output;
    auto& o = required(v, "output", p);
    std::string output;
    if (o.IsString()) {
      output.assign(o.GetString(), o.GetStringLength());
    } else {  // an array of output parts: their texts
      get_array(o, p + ".output");
      for (auto& part : o.GetArray())
        if (auto* text = part.IsObject() ? member(part, "text") : nullptr; text && text->IsString())
          output += text->GetString();
    }
    out.message = tool_result(str(v, "call_id", p), std::move(output));
  } else if (t == "item_reference") {
    out.k = input_piece::kind::reference;
    out.reference = str(v, "id", p);
  } else {
    throw bad_request(fmt::format("'{}.type': '{}' items cannot go to a chat-completions model "
                                  "(message, function_call, function_call_output and "
                                  "item_reference can)",
                                  p, t),
                      p + ".type");
  }
  return out;
}

void write_content_part(json_writer_t& w, const json_value& chat_part, bool output) {
  auto type = std::string_view(chat_part["type"].GetString());
  w.StartObject();
  if (type == "text") {
    w.Key("type");
    w.String(output ? "output_text" : "input_text");
    w.Key("text");
    chat_part["text"].Accept(w);
    if (output) {
      w.Key("annotations");
      w.StartArray();
      w.EndArray();
    }
  } else if (type == "image_url") {
    w.Key("type");
    w.String("input_image");
    auto& img = chat_part["image_url"];
    w.Key("image_url");
    img["url"].Accept(w);
    w.Key("detail");
    auto d = img.FindMember("detail");
    if (d != img.MemberEnd() && d->value.IsString()) d->value.Accept(w);
    else w.String("auto");
  } else if (type == "file") {
    w.Key("type");
    w.String("input_file");
    for (auto it = chat_part["file"].MemberBegin(); it != chat_part["file"].MemberEnd(); ++it) {
      write_string_key(w, key_of(it));
      it->value.Accept(w);
    }
  } else {  // input_audio, refusal: the same shape in both APIs
    for (auto it = chat_part.MemberBegin(); it != chat_part.MemberEnd(); ++it) {
      write_string_key(w, key_of(it));
      it->value.Accept(w);
    }
  }
  w.EndObject();
}

void write_message_item(json_writer_t& w, const stored_item& item) {
  auto& m = item.message;
  bool output = m.role == role::assistant;
  w.StartObject();
  w.Key("id");
  write_string(w, item.id);
  w.Key("type");
  w.String("message");
  w.Key("status");
  w.String("completed");
  w.Key("role");
  write_string(w, to_string(m.role));
  w.Key("content");
  w.StartArray();
  if (m.kind == content_kind::parts) {
    rapidjson::Document parts;
    parts.Parse(m.extra->parts_json.data(), m.extra->parts_json.size());
    for (auto& part : parts.GetArray()) write_content_part(w, part, output);
  } else if (m.kind == content_kind::text && !(output && m.content.empty())) {
    rapidjson::Document part;
    part.SetObject();
    part.AddMember("type", "text", part.GetAllocator());
    part.AddMember("text", rapidjson::StringRef(m.content.data(), m.content.size()),
                   part.GetAllocator());
    write_content_part(w, part, output);
  }
  if (m.extra && m.extra->refusal) {
    w.StartObject();
    w.Key("type");
    w.String("refusal");
    w.Key("refusal");
    write_string(w, *m.extra->refusal);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

}  // namespace

std::vector<input_piece> read_input(const json_value& input, std::string_view param) {
  std::string p(param);
  std::vector<input_piece> out;
  if (input.IsString()) {
    input_piece piece;
    piece.message = chat_message{role::user, std::string(input.GetString(), input.GetStringLength())};
    piece.param = p;
    out.push_back(std::move(piece));
    return out;
  }
  if (!input.IsArray())
    throw unprocessable(fmt::format("'{}' must be a string or an array of items", p), p);
  for (rapidjson::SizeType i = 0; i < input.Size(); ++i)
    out.push_back(read_item(input[i], fmt::format("{}[{}]", p, i)));
  return out;
}

std::vector<std::string> references_of(const std::vector<input_piece>& pieces) {
  std::vector<std::string> out;
  for (auto& p : pieces)
    if (p.k == input_piece::kind::reference) out.push_back(p.reference);
  return out;
}

message_list assemble_input(const std::vector<input_piece>& pieces,
                            const std::vector<stored_item>& stored) {
  message_list out;
  bool joinable = false;  // the last message is an assistant one that calls may join
  auto add_call = [&](const tool_call& c) {
    if (!joinable) {
      chat_message m{role::assistant, ""};
      m.kind = content_kind::null;
      out.push_back(std::move(m));
    }
    auto x = out.back().extra ? *out.back().extra : message_extra{};
    x.tool_calls.push_back(c);
    out.back().extra = std::make_shared<const message_extra>(std::move(x));
    joinable = true;
  };
  for (auto& p : pieces) {
    switch (p.k) {
      case input_piece::kind::message:
        out.push_back(p.message);
        joinable = p.message.role == role::assistant;
        break;
      case input_piece::kind::function_call: add_call(p.call); break;
      case input_piece::kind::function_call_output:
        out.push_back(p.message);
        joinable = false;
        break;
      case input_piece::kind::reference: {
        auto* item = find_item(stored, p.reference);
        if (!item)
          throw bad_request(fmt::format("'{}.id': no stored item '{}'", p.param, p.reference),
                            p.param + ".id", "item_not_found");
        if (item->id == p.reference) {  // the message item: its calls are items of their own
          auto m = item->message;
          if (!m.tool_calls().empty()) {
            auto x = *m.extra;
            x.tool_calls.clear();
            m.extra = x.empty() ? nullptr : std::make_shared<const message_extra>(std::move(x));
          }
          out.push_back(std::move(m));
          joinable = out.back().role == role::assistant;
        } else {
          for (auto& c : item->message.tool_calls())
            if (function_call_item_id(item->id, c.id) == p.reference) add_call(c);
        }
        break;
      }
    }
  }
  return out;
}

const stored_item* find_item(const std::vector<stored_item>& stored, std::string_view id) {
  for (auto& item : stored) {
    if (item.id == id) return &item;
    for (auto& c : item.message.tool_calls())
      if (function_call_item_id(item.id, c.id) == id) return &item;
  }
  return nullptr;
}

void write_items(json_writer_t& w, const stored_item& item) {
  auto& m = item.message;
  if (m.role == role::tool) {
    w.StartObject();
    w.Key("id");
    write_string(w, item.id);
    w.Key("type");
    w.String("function_call_output");
    w.Key("status");
    w.String("completed");
    w.Key("call_id");
    write_string(w, m.tool_call_id());
    w.Key("output");
    write_string(w, m.content);
    w.EndObject();
    return;
  }
  bool only_calls = m.role == role::assistant && !m.tool_calls().empty() &&
                    (m.kind == content_kind::null || m.content.empty()) &&
                    !(m.extra && m.extra->refusal);
  if (!only_calls) write_message_item(w, item);
  for (auto& c : m.tool_calls()) {
    w.StartObject();
    w.Key("id");
    write_string(w, function_call_item_id(item.id, c.id));
    w.Key("type");
    w.String("function_call");
    w.Key("status");
    w.String("completed");
    w.Key("call_id");
    write_string(w, c.id);
    w.Key("name");
    write_string(w, c.name);
    w.Key("arguments");
    write_string(w, c.arguments);
    w.EndObject();
  }
}

std::vector<std::string> item_jsons(const std::vector<stored_item>& stored) {
  std::vector<std::string> out;
  for (auto& item : stored) {
    json_out one;
    one.w.StartArray();
    write_items(one.w, item);
    one.w.EndArray();
    rapidjson::Document d;
    d.Parse(one.buf.GetString(), one.buf.GetSize());
    for (auto& x : d.GetArray()) out.push_back(to_json_text(x));
  }
  return out;
}

std::string new_item_id(role r) { return new_id(r == role::tool ? "fco_" : "msg_"); }

}  // namespace troupe::domain
