#include "domain/tools/calculator.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

#include <fmt/format.h>

namespace troupe::domain {

namespace {

constexpr std::size_t max_length = 1000;
constexpr int max_depth = 64;

struct parse_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class parser {
 public:
  explicit parser(std::string_view text) : s_(text) {}

  double run() {
    double v = expr(0);
    skip();
    if (i_ != s_.size()) fail(fmt::format("unexpected '{}' at position {}", s_[i_], i_ + 1));
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& why) { throw parse_error(why); }

  void skip() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool eat(char c) {
    skip();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  void deeper(int depth) {
    if (depth > max_depth) fail("the expression is nested too deeply");
  }

  double expr(int depth) {
    deeper(depth);
    double v = term(depth + 1);
    for (;;) {
      if (eat('+')) v += term(depth + 1);
      else if (eat('-')) v -= term(depth + 1);
      else return v;
    }
  }

  double term(int depth) {
    double v = unary(depth + 1);
    for (;;) {
      if (eat('*')) {
        v *= unary(depth + 1);
      } else if (eat('/')) {
        double d = unary(depth + 1);
        if (d == 0) fail("division by zero");
        v /= d;
      } else if (eat('%')) {
        double d = unary(depth + 1);
        if (d == 0) fail("division by zero");
        v = std::fmod(v, d);
      } else {
        return v;
      }
    }
  }

  // Signs bind looser than ^, as in mathematics: -2^2 = -(2^2) = -4.
  double unary(int depth) {
    deeper(depth);
    if (eat('-')) return -unary(depth + 1);
    if (eat('+')) return unary(depth + 1);
    return power(depth + 1);
  }

  double power(int depth) {
    deeper(depth);
    double base = primary(depth + 1);
    if (eat('^')) return std::pow(base, unary(depth + 1));  // right-associative; 2^-1 allowed
    return base;
  }

  double primary(int depth) {
    skip();
    if (eat('(')) {
      double v = expr(depth + 1);
      if (!eat(')')) fail("a ')' is missing");
      return v;
    }
    if (i_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[i_])) || s_[i_] == '.'))
      return number();
    if (i_ < s_.size() && std::isalpha(static_cast<unsigned char>(s_[i_]))) return named(depth);
    if (i_ >= s_.size()) fail("the expression ends too early");
    fail(fmt::format("unexpected '{}' at position {}", s_[i_], i_ + 1));
  }

  double number() {
    std::string digits;
    while (i_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[i_])) || s_[i_] == '.' ||
                              ((s_[i_] == 'e' || s_[i_] == 'E') && i_ + 1 < s_.size() &&
                               (std::isdigit(static_cast<unsigned char>(s_[i_ + 1])) ||
                                s_[i_ + 1] == '-' || s_[i_ + 1] == '+')))) {
      digits += s_[i_++];
      if ((digits.back() == 'e' || digits.back() == 'E') && (s_[i_] == '-' || s_[i_] == '+'))
        digits += s_[i_++];
    }
    char* end = nullptr;
    double v = std::strtod(digits.c_str(), &end);
    if (end != digits.c_str() + digits.size()) fail("'" + digits + "' is not a number");
    return v;
  }

  double named(int depth) {
    std::string name;
    while (i_ < s_.size() && std::isalnum(static_cast<unsigned char>(s_[i_]))) name += s_[i_++];
    if (name == "pi") return M_PI;
    if (name == "e") return M_E;
    static const std::pair<const char*, double (*)(double)> functions[] = {
        {"sqrt", [](double x) { return std::sqrt(x); }}, {"abs", [](double x) { return std::fabs(x); }},
        {"sin", [](double x) { return std::sin(x); }},   {"cos", [](double x) { return std::cos(x); }},
        {"tan", [](double x) { return std::tan(x); }},   {"asin", [](double x) { return std::asin(x); }},
        {"acos", [](double x) { return std::acos(x); }}, {"atan", [](double x) { return std::atan(x); }},
        {"exp", [](double x) { return std::exp(x); }},   {"ln", [](double x) { return std::log(x); }},
        {"log10", [](double x) { return std::log10(x); }}, {"log2", [](double x) { return std::log2(x); }},
        {"floor", [](double x) { return std::floor(x); }}, {"ceil", [](double x) { return std::ceil(x); }},
        {"round", [](double x) { return std::round(x); }}};
    for (auto& [fname, f] : functions) {
      if (name != fname) continue;
      if (!eat('(')) fail(name + " needs its argument in parentheses");
      double v = f(expr(depth + 1));
      if (!eat(')')) fail("a ')' is missing");
      return v;
    }
    fail("unknown name '" + name + "'");
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace

std::optional<double> evaluate_arithmetic(std::string_view expression, std::string& error) {
  if (expression.size() > max_length) {
    error = fmt::format("the expression is longer than {} characters", max_length);
    return std::nullopt;
  }
  try {
    double v = parser(expression).run();
    if (!std::isfinite(v)) {
      error = "the result is not a finite number";
      return std::nullopt;
    }
    return v;
  } catch (const parse_error& e) {
    error = e.what();
    return std::nullopt;
  }
}

std::string format_number(double value) {
  if (std::fabs(value) < 1e15 && std::floor(value) == value)
    return fmt::format("{}", static_cast<long long>(value));
  return fmt::format("{:.15g}", value);
}

}  // namespace troupe::domain
