#include "actors/errors.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

namespace troupe::actors {

namespace {
constexpr auto category = caf::atom("troupe");
}

caf::error to_caf_error(const domain::api_error& e) {
  return caf::error(1, category,
                    caf::make_message(static_cast<std::int32_t>(e.status), e.type, e.code,
                                      e.message, e.param, e.retry_after_s));
}

domain::api_error to_api_error(const caf::error& e) {
  if (e.category() == category) {
    const auto& ctx = e.context();
    if (ctx.match_elements<std::int32_t, std::string, std::string, std::string, std::string,
                           std::int64_t>())
      return domain::api_error{ctx.get_as<std::int32_t>(0), ctx.get_as<std::string>(1),
                               ctx.get_as<std::string>(2), ctx.get_as<std::string>(3),
                               ctx.get_as<std::string>(4), ctx.get_as<std::int64_t>(5)};
  }
  if (e == caf::sec::request_timeout)
    return domain::gateway_timeout("the agent did not answer in time");
  if (e == caf::exit_reason::user_shutdown)
    return domain::service_unavailable("the server is shutting down");
  return domain::internal_error("internal error: " + caf::to_string(e));
}

bool is_actor_failure(const caf::error& e) { return e && e.category() != category; }

caf::error log_and_stop(caf::scheduled_actor* self, std::exception_ptr& eptr) {
  std::string what = "unknown exception";
  try {
    std::rethrow_exception(eptr);
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
  }
  spdlog::error("actor {} ({}) failed: {}", self->id(), self->name(), what);
  return caf::make_error(caf::exit_reason::unhandled_exception);
}

}  // namespace troupe::actors
