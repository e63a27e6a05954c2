#include "domain/upstream/sse_parser.hpp"

namespace troupe::domain {

bool sse_parser::end_of_line(const on_event& f) {
  std::string_view line(line_);
  bool ok = true;
  if (line.empty()) {  // blank line: dispatch
    if (has_data_) ok = f(data_);
    data_.clear();
    has_data_ = false;
  } else if (line.front() != ':') {  // ':' starts a comment
    auto colon = line.find(':');
    auto field = line.substr(0, colon);
    auto value = colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (field == "data") {
      if (has_data_) data_ += '\n';
      data_.append(value);
      has_data_ = true;
    }
  }
  line_.clear();
  return ok;
}

bool sse_parser::feed(std::string_view bytes, const on_event& f) {
  std::size_t i = 0;
  while (i < bytes.size()) {
    if (after_cr_ && bytes[i] == '\n') ++i;
    after_cr_ = false;
    auto eol = bytes.find_first_of("\r\n", i);
    auto piece = bytes.substr(i, eol == std::string_view::npos ? std::string_view::npos : eol - i);
    if (line_.size() + data_.size() + piece.size() > max_event_bytes_) {
      overflowed_ = true;
      return false;
    }
    line_.append(piece);
    if (eol == std::string_view::npos) break;
    after_cr_ = bytes[eol] == '\r';
    i = eol + 1;
    if (!end_of_line(f)) return false;
  }
  return true;
}

bool sse_parser::finish(const on_event& f) {
  if (!line_.empty() && !end_of_line(f)) return false;
  if (!has_data_) return true;
  line_.clear();
  return end_of_line(f);
}

}  // namespace troupe::domain
