#include "app/applications.hpp"

#include "app/echo_application.hpp"
#include "net/worker_pool.hpp"

namespace parley::app {

Applications::Applications(net::WorkerPool& pool, media::PortPool& ports, const Clock& clock,
                           media::LocalEndpointOptions endpoint)
    : pool_(pool), ports_(ports), clock_(clock), endpoint_(std::move(endpoint)) {
  add("echo", make_echo_session);
}

void Applications::add(std::string kind, ApplicationMaker make) {
  makers_.insert_or_assign(std::move(kind), std::move(make));
}

bool Applications::has(std::string_view kind) const {
  return makers_.find(kind) != makers_.end();
}

Result<std::unique_ptr<sip::LocalSession>> Applications::create(const sip::CallMediaInfo& info,
                                                                std::string_view application,
                                                                std::function<void()> hang_up) {
  const std::size_t colon = application.find(':');
  const std::string_view kind = application.substr(0, colon);
  const std::string_view argument =
      colon == std::string_view::npos ? std::string_view{} : application.substr(colon + 1);
  const auto maker = makers_.find(kind);
  if (maker == makers_.end()) return Error{404, "No such application"};
  const std::size_t worker = pool_.current_worker();
  if (worker == net::kNoWorker) return Error{500, "applications need a worker loop"};
  ApplicationContext context{pool_,     worker, ports_,   clock_,
                             endpoint_, info,   argument, std::move(hang_up)};
  return maker->second(context);
}

std::optional<std::string> application_for_dialled(std::string_view dialled) {
  if (dialled == kEchoTestCode) return std::string("echo");
  if (dialled == kVoicemailMenuCode) return std::string("voicemail-menu");
  return std::nullopt;
}

}  // namespace parley::app
