// troupe_floor: the reference Troupe's benchmarks are measured against (issue 15).
//
// What the HTTP stack allows for Troupe's answers: RESTinio + RapidJSON, no
// actors, no state. It parses POST /v1/chat/completions as Troupe does
// (RapidJSON, iterative, UTF-8 validated; model, stream, messages, metadata)
// and answers the completion of Troupe's `test` provider with the same bytes:
// the same JSON shape and size, the same headers (X-Request-Id included), and
// for `"stream": true` the same 8 SSE events in the 2 HTTP chunks Troupe's
// sink writes them in (role + first word, then the rest + finish + [DONE]).
// GET /ping answers Troupe's pong.
//
// --actor-hop: the second reference. The HTTP thread parses, then sends the
// request to one of --actors (1000) CAF actors chosen by the session id and
// returns at once; the actor encodes and writes the reply (as Troupe's session
// actor does through its http_sink). Same scheduler settings as Troupe's
// (policy `sharing`, --actor-threads workers).
//
// Usage: troupe_floor [--listen=127.0.0.1:8090] [--http-threads=1]
//                     [--actor-hop] [--actors=1000] [--actor-threads=1]
#include <caf/all.hpp>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <restinio/all.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

// ---------------------------------------------------------------- options

struct options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8090;
  unsigned http_threads = 1;
  bool actor_hop = false;
  std::size_t actors = 1000;
  std::size_t actor_threads = 1;
};

bool starts(const char* arg, const char* prefix, std::string& rest) {
  auto n = std::strlen(prefix);
  if (std::strncmp(arg, prefix, n) != 0) return false;
  rest = arg + n;
  return true;
}

options parse_options(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string v;
    if (starts(argv[i], "--listen=", v)) {
      auto colon = v.rfind(':');
      o.host = v.substr(0, colon);
      o.port = static_cast<std::uint16_t>(std::stoi(v.substr(colon + 1)));
    } else if (starts(argv[i], "--http-threads=", v)) {
      o.http_threads = static_cast<unsigned>(std::stoul(v));
    } else if (std::strcmp(argv[i], "--actor-hop") == 0) {
      o.actor_hop = true;
    } else if (starts(argv[i], "--actors=", v)) {
      o.actors = std::stoul(v);
    } else if (starts(argv[i], "--actor-threads=", v)) {
      o.actor_threads = std::stoul(v);
    } else {
      std::fprintf(stderr,
                   "usage: %s [--listen=HOST:PORT] [--http-threads=N] [--actor-hop] "
                   "[--actors=N] [--actor-threads=N]\n",
                   argv[0]);
      std::exit(2);
    }
  }
  if (o.http_threads == 0) o.http_threads = 1;
  if (o.actors == 0) o.actors = 1;
  return o;
}

// ------------------------------------------------------ request and reply

// Troupe's ids: prefix + 24 hex digits from a per-thread mt19937_64.
std::string new_id(const char* prefix) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  std::string out(prefix);
  out.reserve(out.size() + 24);
  for (int part = 0; part < 2; ++part) {
    auto bits = rng();
    for (int i = 0; i < 12; ++i, bits >>= 4) out.push_back(hex[bits & 0xf]);
  }
  return out;
}

// What a chat request carries that the reply needs.
struct chat_request {
  std::string model;
  std::string session_id;
  std::string user_id;  // empty: null
  bool stream = false;
  int prompt_tokens = 0;
};

// The test provider's reply, and the system prompt of the demo agent that
// Troupe's test provider counts into the prompt's tokens.
constexpr const char* reply_text = "Test response from mock LLM";
constexpr const char* reply_words[] = {"Test ", "response ", "from ", "mock ", "LLM"};
constexpr int system_prompt_words = 5;  // "You are a helpful assistant."

int count_words(const char* s, std::size_t n) {
  int words = 0;
  bool in = false;
  for (std::size_t i = 0; i < n; ++i) {
    bool space = s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r';
    words += !space && !in;
    in = !space;
  }
  return words;
}

struct bad_request {
  std::string message;
};

// Troupe's parse flags (domain/core/json.cpp).
constexpr unsigned parse_flags = rapidjson::kParseIterativeFlag |
                                 rapidjson::kParseValidateEncodingFlag |
                                 rapidjson::kParseFullPrecisionFlag;

chat_request parse_chat(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse<parse_flags>(body.data(), body.size());
  if (doc.HasParseError()) throw bad_request{rapidjson::GetParseError_En(doc.GetParseError())};
  if (!doc.IsObject()) throw bad_request{"the body must be a JSON object"};
  chat_request r;
  auto model = doc.FindMember("model");
  if (model == doc.MemberEnd() || !model->value.IsString()) throw bad_request{"model is required"};
  r.model.assign(model->value.GetString(), model->value.GetStringLength());
  auto stream = doc.FindMember("stream");
  if (stream != doc.MemberEnd() && stream->value.IsBool()) r.stream = stream->value.GetBool();
  auto messages = doc.FindMember("messages");
  if (messages == doc.MemberEnd() || !messages->value.IsArray() || messages->value.Empty())
    throw bad_request{"messages must be a non-empty array"};
  r.prompt_tokens = system_prompt_words;
  for (auto& m : messages->value.GetArray()) {
    if (!m.IsObject()) throw bad_request{"a message must be an object"};
    auto role = m.FindMember("role");
    if (role == m.MemberEnd() || !role->value.IsString()) throw bad_request{"role is required"};
    auto content = m.FindMember("content");
    if (content != m.MemberEnd() && content->value.IsString())
      r.prompt_tokens += count_words(content->value.GetString(), content->value.GetStringLength());
  }
  auto meta = doc.FindMember("metadata");
  if (meta != doc.MemberEnd() && meta->value.IsObject()) {
    auto sid = meta->value.FindMember("session_id");
    if (sid != meta->value.MemberEnd() && sid->value.IsString())
      r.session_id.assign(sid->value.GetString(), sid->value.GetStringLength());
    auto uid = meta->value.FindMember("user_id");
    if (uid != meta->value.MemberEnd() && uid->value.IsString())
      r.user_id.assign(uid->value.GetString(), uid->value.GetStringLength());
  }
  if (r.session_id.empty()) r.session_id = new_id("sess-");
  return r;
}

using writer_t = rapidjson::Writer<rapidjson::StringBuffer>;

struct reply_ids {
  std::string id = new_id("chatcmpl-");
  std::string message_id = new_id("msg-");
  std::int64_t created =
      std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count();
};

void write_head(writer_t& w, const chat_request& r, const reply_ids& ids, const char* object) {
  w.Key("id");
  w.String(ids.id.data(), static_cast<rapidjson::SizeType>(ids.id.size()));
  w.Key("object");
  w.String(object);
  w.Key("created");
  w.Int64(ids.created);
  w.Key("model");
  w.String(r.model.data(), static_cast<rapidjson::SizeType>(r.model.size()));
}

void write_meta(writer_t& w, const chat_request& r, const reply_ids& ids, bool provider) {
  w.Key("metadata");
  w.StartObject();
  w.Key("session_id");
  w.String(r.session_id.data(), static_cast<rapidjson::SizeType>(r.session_id.size()));
  w.Key("user_id");
  if (r.user_id.empty())
    w.Null();
  else
    w.String(r.user_id.data(), static_cast<rapidjson::SizeType>(r.user_id.size()));
  w.Key("agent_id");
  w.String(r.model.data(), static_cast<rapidjson::SizeType>(r.model.size()));
  w.Key("message_id");
  w.String(ids.message_id.data(), static_cast<rapidjson::SizeType>(ids.message_id.size()));
  if (provider) {
    w.Key("provider");
    w.String("test");
  }
  w.EndObject();
}

std::string encode_completion(const chat_request& r) {
  reply_ids ids;
  rapidjson::StringBuffer buf;
  writer_t w{buf};
  w.StartObject();
  write_head(w, r, ids, "chat.completion");
  w.Key("choices");
  w.StartArray();
  w.StartObject();
  w.Key("index");
  w.Int(0);
  w.Key("message");
  w.StartObject();
  w.Key("role");
  w.String("assistant");
  w.Key("content");
  w.String(reply_text);
  w.Key("refusal");
  w.Null();
  w.EndObject();
  w.Key("logprobs");
  w.Null();
  w.Key("finish_reason");
  w.String("stop");
  w.EndObject();
  w.EndArray();
  w.Key("usage");
  w.StartObject();
  w.Key("prompt_tokens");
  w.Int(r.prompt_tokens);
  w.Key("completion_tokens");
  w.Int(5);
  w.Key("total_tokens");
  w.Int(r.prompt_tokens + 5);
  w.EndObject();
  write_meta(w, r, ids, true);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

// One `data: {chunk}\n\n` event. role: the first event; text: a content
// delta; neither: the finish event.
void append_event(std::string& out, const chat_request& r, const reply_ids& ids, bool role,
                  const char* text) {
  rapidjson::StringBuffer buf;
  writer_t w{buf};
  w.StartObject();
  write_head(w, r, ids, "chat.completion.chunk");
  w.Key("choices");
  w.StartArray();
  w.StartObject();
  w.Key("index");
  w.Int(0);
  w.Key("delta");
  w.StartObject();
  if (role) {
    w.Key("role");
    w.String("assistant");
    w.Key("content");
    w.String("");
  } else if (text) {
    w.Key("content");
    w.String(text);
  }
  w.EndObject();
  w.Key("finish_reason");
  if (role || text)
    w.Null();
  else
    w.String("stop");
  w.EndObject();
  w.EndArray();
  write_meta(w, r, ids, !role && !text);
  w.EndObject();
  out += "data: ";
  out.append(buf.GetString(), buf.GetSize());
  out += "\n\n";
}

// ----------------------------------------------------------------- replies

restinio::http_status_line_t ok() { return restinio::status_ok(); }

void send_json(const restinio::request_handle_t& req, restinio::http_status_line_t status,
               std::string body) {
  req->create_response(std::move(status))
      .append_header(restinio::http_field::content_type, "application/json")
      .append_header("X-Request-Id", new_id("req-"))
      .set_body(std::move(body))
      .done();
}

// Troupe's stream on the wire: headers + [role, "Test "] as the first chunk
// (written at once), then the other 4 words, the finish event and [DONE] as
// the second, gathered while the first was being written.
void send_stream(const restinio::request_handle_t& req, const chat_request& r) {
  reply_ids ids;
  std::string first, rest;
  first.reserve(700);
  rest.reserve(1600);
  append_event(first, r, ids, true, nullptr);
  append_event(first, r, ids, false, reply_words[0]);
  for (int i = 1; i < 5; ++i) append_event(rest, r, ids, false, reply_words[i]);
  append_event(rest, r, ids, false, nullptr);
  rest += "data: [DONE]\n\n";
  auto resp = req->create_response<restinio::chunked_output_t>(ok());
  resp.append_header(restinio::http_field::content_type, "text/event-stream")
      .append_header(restinio::http_field::cache_control, "no-cache")
      .append_header("X-Accel-Buffering", "no")
      .append_header("X-Request-Id", new_id("req-"));
  resp.append_chunk(std::move(first));
  resp.flush();
  resp.append_chunk(std::move(rest));
  resp.done();
}

void answer_chat(const restinio::request_handle_t& req, const chat_request& r) {
  if (r.stream)
    send_stream(req, r);
  else
    send_json(req, ok(), encode_completion(r));
}

// -------------------------------------------------------------- actor hop

struct floor_turn {
  restinio::request_handle_t req;
  std::shared_ptr<const chat_request> chat;
};

}  // namespace

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(floor_turn)

namespace {

caf::behavior turn_actor(caf::event_based_actor*) {
  return {[](const floor_turn& t) { answer_chat(t.req, *t.chat); }};
}

// ------------------------------------------------------------------ server

struct handler {
  const std::vector<caf::actor>* actors;  // empty: answer here

  restinio::request_handling_status_t operator()(const restinio::request_handle_t& req) const {
    auto& h = req->header();
    auto path = h.path();
    if (h.method() == restinio::http_method_get() && path == "/ping") {
      send_json(req, ok(), R"({"status":"ok","message":"pong"})");
      return restinio::request_accepted();
    }
    if (h.method() != restinio::http_method_post() || path != "/v1/chat/completions") {
      send_json(req, restinio::status_not_found(),
                R"({"error":{"message":"no route","type":"invalid_request_error"}})");
      return restinio::request_accepted();
    }
    try {
      auto chat = parse_chat(req->body());
      if (actors->empty()) {
        answer_chat(req, chat);
      } else {
        auto& a = (*actors)[std::hash<std::string>{}(chat.session_id) % actors->size()];
        caf::anon_send(a, floor_turn{req, std::make_shared<const chat_request>(std::move(chat))});
      }
    } catch (const bad_request& e) {
      rapidjson::StringBuffer buf;
      writer_t w{buf};
      w.StartObject();
      w.Key("error");
      w.StartObject();
      w.Key("message");
      w.String(e.message.c_str());
      w.Key("type");
      w.String("invalid_request_error");
      w.EndObject();
      w.EndObject();
      send_json(req, restinio::status_bad_request(), std::string(buf.GetString(), buf.GetSize()));
    }
    return restinio::request_accepted();
  }
};

using traits_t = restinio::traits_t<restinio::asio_timer_manager_t, restinio::null_logger_t,
                                    handler>;

}  // namespace

int main(int argc, char** argv) {
  auto o = parse_options(argc, argv);
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", o.actor_threads);
  cfg.set("scheduler.policy", caf::atom("sharing"));  // as Troupe
  caf::actor_system sys{cfg};
  std::vector<caf::actor> actors;
  if (o.actor_hop)
    for (std::size_t i = 0; i < o.actors; ++i) actors.push_back(sys.spawn(turn_actor));
  std::fprintf(stderr, "troupe_floor listening on http://%s:%u (%u HTTP threads, %s)\n",
               o.host.c_str(), o.port, o.http_threads,
               o.actor_hop ? ("actor hop: " + std::to_string(o.actors) + " actors, " +
                              std::to_string(o.actor_threads) + " actor threads")
                                 .c_str()
                           : "no actors");
  try {
    restinio::run(restinio::on_thread_pool<traits_t>(o.http_threads)
                      .address(o.host)
                      .port(o.port)
                      .concurrent_accepts_count(o.http_threads)
                      .max_pipelined_requests(2)  // as Troupe
                      .socket_options_setter([](auto& opts) {
                        opts.set_option(restinio::asio_ns::ip::tcp::no_delay{true});
                      })
                      .request_handler(handler{&actors}));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "troupe_floor: %s\n", e.what());
    return 1;
  }
  for (auto& a : actors) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  return 0;
}
