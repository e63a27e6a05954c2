#define BOOST_TEST_MODULE calculator
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <string>

#include "domain/tools/calculator.hpp"

using namespace troupe::domain;

namespace {

// The value of `expr`, failing the test if it is refused.
double eval(const std::string& expr) {
  std::string error;
  auto v = evaluate_arithmetic(expr, error);
  BOOST_TEST_INFO("expression: " << expr << " error: " << error);
  BOOST_REQUIRE(v.has_value());
  return *v;
}

// The error for `expr`, failing the test if it gives a value.
std::string refused(const std::string& expr) {
  std::string error;
  auto v = evaluate_arithmetic(expr, error);
  BOOST_TEST_INFO("expression: " << expr.substr(0, 80));
  BOOST_TEST(!v.has_value());
  BOOST_TEST(!error.empty());
  return error;
}

bool close(double a, double b) { return std::fabs(a - b) <= 1e-12 * std::max(1.0, std::fabs(b)); }

std::string repeat(const std::string& s, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(precedence) {
  BOOST_TEST(eval("2+3*4") == 14);
  BOOST_TEST(eval("2*3+4") == 10);
  BOOST_TEST(eval("(2+3)*4") == 20);
  BOOST_TEST(eval("2+12/4") == 5);
  BOOST_TEST(eval("1+2^3") == 9);
  BOOST_TEST(eval("2*3^2") == 18);
  BOOST_TEST(eval("2+7%4") == 5);  // % binds like * and /
}

BOOST_AUTO_TEST_CASE(associativity) {
  BOOST_TEST(eval("10-4-3") == 3);    // (10-4)-3, not 10-(4-3)=9
  BOOST_TEST(eval("100/10/5") == 2);  // (100/10)/5, not 50
  BOOST_TEST(eval("2*7%4") == 2);     // (2*7)%4, not 2*(7%4)=6
  BOOST_TEST(eval("17%5*3") == 6);    // (17%5)*3, not 17%15=2
  BOOST_TEST(eval("2^3^2") == 512);   // right-associative: 2^(3^2), not (2^3)^2=64
  BOOST_TEST(eval("(2^3)^2") == 64);
}

BOOST_AUTO_TEST_CASE(unary_signs) {
  BOOST_TEST(eval("-3") == -3);
  BOOST_TEST(eval("+3") == 3);
  BOOST_TEST(eval("--3") == 3);
  BOOST_TEST(eval("-+-3") == 3);
  BOOST_TEST(eval("3--2") == 5);
  BOOST_TEST(eval("3-+2") == 1);
  BOOST_TEST(eval("2*-3") == -6);
  BOOST_TEST(eval("-(2+3)") == -5);
  BOOST_TEST(eval("2^-1") == 0.5);
  BOOST_TEST(eval("-(2^2)") == -4);
  BOOST_TEST(eval("-2^2") == -4);  // signs bind looser than ^, as in mathematics
  BOOST_TEST(eval("2^-2^2") == 0.0625);  // 2^(-(2^2))
  BOOST_TEST(eval("3*-2^2") == -12);
  BOOST_TEST(eval("(-2)^2") == 4);
  BOOST_TEST(eval("(-2)^3") == -8);
}

BOOST_AUTO_TEST_CASE(parentheses_and_whitespace) {
  BOOST_TEST(eval("((1))") == 1);
  BOOST_TEST(eval("((2+3)*(4-1))/5") == 3);
  BOOST_TEST(eval("  2 *\t( 3 + 4 )\n") == 14);
  // Moderate nesting is fine.
  BOOST_TEST(eval(repeat("(", 10) + "1+2" + repeat(")", 10)) == 3);
}

BOOST_AUTO_TEST_CASE(numbers) {
  BOOST_TEST(eval("1e3") == 1000);
  BOOST_TEST(eval("2E+2") == 200);
  BOOST_TEST(eval("1.5e-3") == 0.0015);
  BOOST_TEST(eval(".5") == 0.5);
  BOOST_TEST(eval("3.") == 3);
  BOOST_TEST(eval("0.25*4") == 1);
  BOOST_TEST(eval("1e3+1") == 1001);
  refused("1.2.3");
  refused(".");
  refused("1e");
  refused("1e+");
}

BOOST_AUTO_TEST_CASE(modulo) {
  BOOST_TEST(eval("7%3") == 1);
  BOOST_TEST(eval("-7%3") == -1);  // the sign of the dividend, as fmod
  BOOST_TEST(eval("7%-3") == 1);
  BOOST_TEST(eval("5.5%2") == 1.5);
  BOOST_TEST(eval("6%3") == 0);
}

BOOST_AUTO_TEST_CASE(constants_and_functions) {
  BOOST_TEST(close(eval("pi"), 3.14159265358979323846));
  BOOST_TEST(close(eval("e"), 2.71828182845904523536));
  BOOST_TEST(close(eval("2*pi"), 6.28318530717958647692));
  BOOST_TEST(eval("sqrt(16)") == 4);
  BOOST_TEST(eval("(2 + 3) * sqrt(16)") == 20);
  BOOST_TEST(eval("abs(-3.5)") == 3.5);
  BOOST_TEST(eval("abs(2-5)") == 3);
  BOOST_TEST(close(eval("sin(0)"), 0));
  BOOST_TEST(close(eval("sin(pi/2)"), 1));
  BOOST_TEST(close(eval("cos(pi)"), -1));
  BOOST_TEST(close(eval("tan(pi/4)"), 1));
  BOOST_TEST(close(eval("asin(1)"), 3.14159265358979323846 / 2));
  BOOST_TEST(close(eval("acos(1)"), 0));
  BOOST_TEST(close(eval("atan(1)*4"), 3.14159265358979323846));
  BOOST_TEST(eval("exp(0)") == 1);
  BOOST_TEST(close(eval("ln(e)"), 1));
  BOOST_TEST(close(eval("ln(exp(2))"), 2));
  BOOST_TEST(close(eval("log10(1000)"), 3));
  BOOST_TEST(close(eval("log2(8)"), 3));
  BOOST_TEST(eval("floor(2.7)") == 2);
  BOOST_TEST(eval("floor(-2.1)") == -3);
  BOOST_TEST(eval("ceil(2.1)") == 3);
  BOOST_TEST(eval("ceil(-2.7)") == -2);
  BOOST_TEST(eval("round(2.5)") == 3);  // half away from zero
  BOOST_TEST(eval("round(-2.5)") == -3);
  BOOST_TEST(eval("round(2.4)") == 2);
  BOOST_TEST(eval("sqrt(sqrt(16))") == 2);
  BOOST_TEST(eval("sqrt( 9 ) + 1") == 4);
  BOOST_TEST(eval("2^sqrt(4)") == 4);
}

BOOST_AUTO_TEST_CASE(function_misuse_refused) {
  refused("sqrt 4");
  refused("sqrt");
  refused("sqrt(4");
  refused("sqrt()");
  refused("foo(1)");
  refused("pie");
  refused("pi2");
  refused("PI");  // names are lower case
  refused("2pi");
  refused("x+1");
}

BOOST_AUTO_TEST_CASE(division_by_zero) {
  for (auto* expr : {"1/0", "0/0", "1/(2-2)", "5%0", "1/0.0", "-1/0", "2^3/(1-1)"}) {
    auto error = refused(expr);
    BOOST_TEST_INFO(expr);
    BOOST_TEST(error.find("zero") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(non_finite_results_refused) {
  for (auto* expr : {"sqrt(-1)", "ln(0)", "ln(-1)", "asin(2)", "10^400", "1e309", "exp(1000)"}) {
    BOOST_TEST_INFO(expr);
    refused(expr);
  }
}

BOOST_AUTO_TEST_CASE(garbage_refused) {
  for (auto* expr : {"", "   ", "2+", "*2", "2+*3", "(2", "2)", "()", "(", ")", "2 3", "2+3)",
                     "1,5", "2 # 3", "2;3", "abc", "2**3", "1 = 1", "$", "'1'", "\"1\"", "[1]",
                     "import os", "2+3 junk", "3^", "^3", "%3", "/3", "2//3", "--", "-"}) {
    BOOST_TEST_INFO("expression: '" << expr << "'");
    refused(expr);
  }
  // Non-ASCII characters: a fullwidth digit, pi, a multiplication sign.
  refused("\xEF\xBC\x92+1");
  refused("\xCF\x80");
  refused("2\xC3\x97" "3");
  // An embedded NUL is not the end of the expression.
  refused(std::string("1+1\0+1", 6));
  refused(std::string("\0", 1));
}

BOOST_AUTO_TEST_CASE(trailing_junk_names_its_position) {
  auto error = refused("2+3 x");
  BOOST_TEST(error.find('x') != std::string::npos);
  BOOST_TEST(error.find('5') != std::string::npos);  // position 5
}

BOOST_AUTO_TEST_CASE(deep_nesting_refused_without_crash) {
  // Within the length limit: refused for depth, not by running out of stack.
  refused(repeat("(", 400) + "1" + repeat(")", 400));
  refused(repeat("-", 900) + "1");
  refused(repeat("sqrt(", 150) + "1" + repeat(")", 150));
  refused(repeat("2^", 450) + "2");
  refused(repeat("(", 990));
  // Beyond it: refused for length.
  refused(repeat("(", 100000) + "1" + repeat(")", 100000));
  refused(repeat("-", 1000000) + "1");
}

BOOST_AUTO_TEST_CASE(long_input) {
  // 500 ones: 999 characters, allowed.
  std::string sum = "1" + repeat("+1", 499);
  BOOST_REQUIRE(sum.size() == 999u);
  BOOST_TEST(eval(sum) == 500);
  // Over 1000 characters: refused, even when it would be valid.
  std::string longer = "1" + repeat("+1", 600);
  auto error = refused(longer);
  BOOST_TEST(error.find("1000") != std::string::npos);
  refused(repeat(" ", 5000) + "1");
  refused(std::string(1u << 20, '1'));
}

BOOST_AUTO_TEST_CASE(format_integers) {
  BOOST_TEST(format_number(14) == "14");
  BOOST_TEST(format_number(-3) == "-3");
  BOOST_TEST(format_number(0) == "0");
  BOOST_TEST(format_number(-0.0) == "0");
  BOOST_TEST(format_number(1e6) == "1000000");
  BOOST_TEST(format_number(999999999999999.0) == "999999999999999");
  BOOST_TEST(format_number(-999999999999999.0) == "-999999999999999");
  BOOST_TEST(format_number(4.0) == "4");
}

BOOST_AUTO_TEST_CASE(format_fractions_to_15_digits) {
  BOOST_TEST(format_number(0.1 + 0.2) == "0.3");  // 0.30000000000000004 rounded
  BOOST_TEST(format_number(2.5) == "2.5");
  BOOST_TEST(format_number(-0.5) == "-0.5");
  BOOST_TEST(format_number(1.0 / 3) == "0.333333333333333");
  BOOST_TEST(format_number(2.0 / 3) == "0.666666666666667");
  BOOST_TEST(format_number(3.14159265358979323846) == "3.14159265358979");
  BOOST_TEST(format_number(std::sqrt(2.0)) == "1.4142135623731");  // 1.41421356237310 without the 0
  BOOST_TEST(format_number(1.1 * 1.1) == "1.21");
  BOOST_TEST(format_number(123.456) == "123.456");
}

BOOST_AUTO_TEST_CASE(format_large_and_small) {
  BOOST_TEST(format_number(1e15) == "1e+15");
  BOOST_TEST(format_number(1e20) == "1e+20");
  BOOST_TEST(format_number(-1e20) == "-1e+20");
  BOOST_TEST(format_number(1e-20) == "1e-20");
  BOOST_TEST(format_number(1.5e300) == "1.5e+300");
  BOOST_TEST(format_number(std::numeric_limits<double>::max()) == "1.79769313486232e+308");
}

BOOST_AUTO_TEST_CASE(format_non_finite_without_crash) {
  BOOST_TEST(format_number(std::numeric_limits<double>::infinity()) == "inf");
  BOOST_TEST(format_number(-std::numeric_limits<double>::infinity()) == "-inf");
  BOOST_TEST(format_number(std::numeric_limits<double>::quiet_NaN()) == "nan");
}

BOOST_AUTO_TEST_CASE(evaluate_then_format) {
  auto show = [](const std::string& expr) { return format_number(eval(expr)); };
  BOOST_TEST(show("0.1+0.2") == "0.3");
  BOOST_TEST(show("10/4") == "2.5");
  BOOST_TEST(show("2^10") == "1024");
  BOOST_TEST(show("2^0.5") == "1.4142135623731");
  BOOST_TEST(show("1/3") == "0.333333333333333");
  BOOST_TEST(show("2^60") == "1.15292150460685e+18");
  BOOST_TEST(show("sin(pi)") == "1.22464679914735e-16");  // not an integer: as computed
}
