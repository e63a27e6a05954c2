#pragma once
// The built-in `calculator` tool: arithmetic on numbers, parsed and computed
// here (no code execution): + - * / % ^, parentheses, unary signs, the
// constants pi and e, and sqrt abs sin cos tan asin acos atan exp ln log10
// log2 floor ceil round.
#include <optional>
#include <string>
#include <string_view>

namespace troupe::domain {

// The value, or nullopt with `error` saying what is wrong with `expression`.
std::optional<double> evaluate_arithmetic(std::string_view expression, std::string& error);

// A result as the tool reports it: integers without a fraction, others to 15 digits.
std::string format_number(double value);

}  // namespace troupe::domain
