#include "sip/via_stamp.hpp"

#include "protocol/sip/headers.hpp"

namespace parley::sip {
namespace {

bool is_rport(std::string_view name) {
  constexpr std::string_view kRport = "rport";
  if (name.size() != kRport.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if ((name[i] | 0x20) != kRport[i]) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> stamp_top_via(const protocol::sip::Message& request,
                                         const net::SocketAddress& source) {
  if (!request.is_request() || source.empty()) return std::nullopt;
  const protocol::sip::HeaderField* top = nullptr;
  for (const auto& field : request.headers()) {
    if (field.id == protocol::sip::HeaderId::kVia) {
      top = &field;
      break;
    }
  }
  if (top == nullptr) return std::nullopt;
  const std::string_view value = request.value(*top);
  auto via = protocol::sip::parse_via(value);
  if (!via) return std::nullopt;

  const std::string ip = source.ip();
  const auto rport = via->rport();
  const bool fill_rport = rport.has_value() && rport->empty();
  std::string_view host = via->host;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const bool add_received = !via->received().has_value() && (fill_rport || host != ip);
  if (!fill_rport && !add_received) return std::nullopt;

  // Rebuild the value: everything up to the parameters, then each parameter, with rport filled.
  std::string stamped;
  stamped.reserve(value.size() + ip.size() + 24);
  const std::string_view params = via->params.text();
  // The parameters must be a view into this very value (they are, unless the parser had to
  // unfold the line); otherwise leave the message alone rather than guess.
  if (!params.empty() && (params.data() < value.data() ||
                          params.data() + params.size() > value.data() + value.size())) {
    return std::nullopt;
  }
  const std::size_t params_at =
      params.empty() ? value.size() : static_cast<std::size_t>(params.data() - value.data());
  stamped.append(value.substr(0, params_at));
  if (!params.empty()) {
    // params_at points after the first ';'. Walk ";name[=value]" pieces, rewriting a bare rport.
    std::size_t start = 0;
    while (start <= params.size()) {
      std::size_t end = params.find(';', start);
      if (end == std::string_view::npos) end = params.size();
      std::string_view piece = params.substr(start, end - start);
      if (start != 0) stamped.push_back(';');
      std::string_view name = piece.substr(0, piece.find('='));
      while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
      if (fill_rport && piece.find('=') == std::string_view::npos && is_rport(name)) {
        stamped.append("rport=").append(std::to_string(source.port()));
      } else {
        stamped.append(piece);
      }
      if (end == params.size()) break;
      start = end + 1;
    }
  } else {
    while (!stamped.empty() && (stamped.back() == ' ' || stamped.back() == '\t')) {
      stamped.pop_back();
    }
  }
  if (add_received) stamped.append(";received=").append(ip);

  const std::string_view raw = request.raw();
  const std::size_t at = top->value.offset;
  std::string out;
  out.reserve(raw.size() + stamped.size() - value.size());
  out.append(raw.substr(0, at)).append(stamped).append(raw.substr(at + top->value.length));
  return out;
}

}  // namespace parley::sip
