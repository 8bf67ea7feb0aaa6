#include "sip/via_stamp.hpp"

#include "protocol/sip/headers.hpp"
#include "protocol/sip/message_edit.hpp"

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

// The index of the top Via among the request's fields, or nullopt.
std::optional<std::size_t> top_via_index(const protocol::sip::Message& request) {
  const auto fields = request.headers();
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].id == protocol::sip::HeaderId::kVia) return i;
  }
  return std::nullopt;
}

// A stamped top Via value and where its branch's value is in it (nullopt: no branch), so the
// in-place stamp need not parse the value again to find it (decision 0049).
struct StampedVia {
  std::string value;
  std::optional<protocol::sip::Span> branch;
};

// The stamped value of the top Via (field `index`), or nullopt when nothing needs to change.
std::optional<StampedVia> stamped_value(const protocol::sip::Message& request, std::size_t index,
                                        const net::SocketAddress& source) {
  const std::string_view value = request.value(request.headers()[index]);
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
  // Every byte is copied as it is except bare rport pieces, so the branch (a view into `value`)
  // moves by what the rport pieces before it grew.
  const auto branch = via->branch();
  const std::size_t branch_at =
      branch ? static_cast<std::size_t>(branch->data() - value.data()) : value.size();
  std::size_t branch_shift = 0;
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
        const std::size_t before = stamped.size();
        stamped.append("rport=").append(std::to_string(source.port()));
        if (params_at + start < branch_at) branch_shift += stamped.size() - before - piece.size();
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
  StampedVia result{std::move(stamped), std::nullopt};
  if (branch) {
    result.branch = protocol::sip::Span{static_cast<std::uint32_t>(branch_at + branch_shift),
                                        static_cast<std::uint32_t>(branch->size())};
  }
  return result;
}

}  // namespace

std::optional<std::string> stamp_top_via(const protocol::sip::Message& request,
                                         const net::SocketAddress& source) {
  if (!request.is_request() || source.empty()) return std::nullopt;
  const auto index = top_via_index(request);
  if (!index) return std::nullopt;
  const auto stamped = stamped_value(request, *index, source);
  if (!stamped) return std::nullopt;
  const protocol::sip::HeaderField& top = request.headers()[*index];
  const std::string_view raw = request.raw();
  const std::size_t at = top.value.offset;
  std::string out;
  out.reserve(raw.size() + stamped->value.size() - top.value.length);
  out.append(raw.substr(0, at)).append(stamped->value).append(raw.substr(at + top.value.length));
  return out;
}

bool stamp_top_via_in_place(protocol::sip::Message& request, const net::SocketAddress& source) {
  if (!request.is_request() || source.empty()) return false;
  const auto index = top_via_index(request);
  if (!index) return false;
  const auto stamped = stamped_value(request, *index, source);
  if (!stamped) return false;
  return protocol::sip::replace_top_via_value(request, *index, stamped->value, stamped->branch)
      .ok();
}

}  // namespace parley::sip
