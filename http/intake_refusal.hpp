#pragma once
// Our answer to a request the intake gate refused (see intake_gate.hpp): the
// exact status with the error envelope, then the connection closes.
#include "http/http_sink.hpp"
#include "http/intake_gate.hpp"

namespace troupe::http {

// The note the gate put on a request; nullopt if it carries none.
std::optional<intake_note> intake_note_of(const restinio::request_handle_t& req);

void answer_refusal(http_sink& sink, const intake_note& note, const intake_limits& limits);

}  // namespace troupe::http
