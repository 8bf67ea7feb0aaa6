#include "protocol/sip/message.hpp"

namespace parley::protocol::sip {

std::string serialise(const Message& message) {
  std::size_t size = message.raw().size() + 2;
  for (const HeaderField& h : message.headers()) size += h.name.length + h.value.length + 4;
  std::string out;
  out.reserve(size);
  if (message.is_request()) {
    out.append(message.method_text()).append(" ").append(message.request_uri()).append(" ");
    out.append(message.version());
  } else {
    const int code = message.status_code();
    out.append(message.version()).append(" ");
    out.push_back(static_cast<char>('0' + code / 100));
    out.push_back(static_cast<char>('0' + code / 10 % 10));
    out.push_back(static_cast<char>('0' + code % 10));
    out.append(" ").append(message.reason_phrase());
  }
  out.append("\r\n");
  for (const HeaderField& h : message.headers()) {
    out.append(message.name(h)).append(": ").append(message.value(h)).append("\r\n");
  }
  out.append("\r\n").append(message.body());
  return out;
}

}  // namespace parley::protocol::sip
