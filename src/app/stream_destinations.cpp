#include "app/stream_destinations.hpp"

#include <algorithm>
#include <utility>

namespace parley::app {

void StreamDestinations::replace(std::vector<StreamDestination> destinations) {
  const std::lock_guard lock(mutex_);
  destinations_ = std::move(destinations);
}

std::optional<StreamDestination> StreamDestinations::find(sip::TransportKind transport,
                                                          const net::SocketAddress& remote) const {
  const std::lock_guard lock(mutex_);
  const auto found = std::find_if(
      destinations_.begin(), destinations_.end(),
      [&](const StreamDestination& d) { return d.transport == transport && d.remote == remote; });
  if (found == destinations_.end()) return std::nullopt;
  return *found;
}

}  // namespace parley::app
