#include "sip/call_affinity.hpp"

namespace parley::sip {

std::size_t call_owner(std::string_view call_id, std::size_t workers) {
  if (workers <= 1) return 0;
  std::uint64_t hash = 14695981039346656037ULL;
  for (const char c : call_id) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return static_cast<std::size_t>(hash % workers);
}

bool needs_call_affinity(const protocol::sip::Message& message) {
  if (!message.is_request()) return true;
  switch (message.method()) {
    case protocol::sip::Method::kRegister:
      return false;
    case protocol::sip::Method::kOptions:
      return !message.to_tag().empty();
    default:
      return true;
  }
}

std::string make_owned_call_id(std::size_t worker, std::size_t workers,
                               const std::function<std::string()>& random_token) {
  for (;;) {
    std::string call_id = random_token();
    if (call_owner(call_id, workers) == worker) return call_id;
  }
}

}  // namespace parley::sip
