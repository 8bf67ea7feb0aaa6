// serialise(): RFC 8866 line order, CRLF line ends, single spaces between fields.

#include <string>
#include <string_view>
#include <utility>

#include "protocol/sdp/session_description.hpp"

namespace parley::protocol::sdp {
namespace {

class Writer {
 public:
  void line(char type, std::string_view value) {
    out_.push_back(type);
    out_.push_back('=');
    out_ += value;
    out_ += "\r\n";
  }
  // Starts a line whose value is built with append(); end() closes it.
  Writer& begin(char type) {
    out_.push_back(type);
    out_.push_back('=');
    return *this;
  }
  Writer& append(std::string_view text) {
    out_ += text;
    return *this;
  }
  Writer& append(char c) {
    out_.push_back(c);
    return *this;
  }
  template <typename Number>
  Writer& number(Number n) {
    out_ += std::to_string(n);
    return *this;
  }
  void end() { out_ += "\r\n"; }

  void connection(char type, const Connection& c) {
    begin(type).append("IN ").append(c.address_type).append(' ').append(c.address);
    append(c.suffix).end();
  }
  void attribute(const Attribute& a) {
    begin('a').append(a.name);
    if (a.has_value) append(':').append(a.value);
    end();
  }

  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

void write_other_lines(Writer& w, const SessionDescription& sd, std::string_view types) {
  for (const SessionDescription::Line& l : sd.other_lines) {
    if (types.find(l.type) != std::string_view::npos) w.line(l.type, l.value);
  }
}

void write_media(Writer& w, const Media& m) {
  w.begin('m').append(m.type).append(' ').number(m.port);
  if (m.port_count) w.append('/').number(*m.port_count);
  w.append(' ').append(m.protocol);
  const bool rtp = m.is_rtp();
  if (rtp) {
    for (const Format& f : m.formats) w.append(' ').number(f.payload_type);
  } else {
    for (const std::string& f : m.raw_formats) w.append(' ').append(f);
  }
  w.end();
  if (m.title) w.line('i', *m.title);
  if (m.connection) w.connection('c', *m.connection);
  for (const std::string& b : m.bandwidths) w.line('b', b);
  if (m.key) w.line('k', *m.key);
  if (rtp) {
    for (const Format& f : m.formats) {
      if (f.has_rtpmap) {
        w.begin('a').append("rtpmap:").number(f.payload_type).append(' ').append(f.encoding);
        w.append('/').number(f.clock_rate);
        if (f.channels != 1) w.append('/').number(f.channels);
        w.end();
      }
      if (!f.fmtp.empty()) {
        w.begin('a').append("fmtp:").number(f.payload_type).append(' ').append(f.fmtp).end();
      }
    }
  }
  if (m.ptime) w.begin('a').append("ptime:").number(*m.ptime).end();
  if (m.maxptime) w.begin('a').append("maxptime:").number(*m.maxptime).end();
  if (m.rtcp_port) {
    w.begin('a').append("rtcp:").number(*m.rtcp_port);
    if (m.rtcp_connection) {
      const Connection& c = *m.rtcp_connection;
      w.append(" IN ").append(c.address_type).append(' ').append(c.address).append(c.suffix);
    }
    w.end();
  }
  if (m.rtcp_mux) w.line('a', "rtcp-mux");
  if (m.direction) w.line('a', to_string(*m.direction));
  for (const Attribute& a : m.attributes) w.attribute(a);
}

}  // namespace

std::string serialise(const SessionDescription& sd) {
  Writer w;
  w.begin('v').number(sd.version).end();
  const Origin& o = sd.origin;
  w.begin('o').append(o.username).append(' ').append(o.session_id).append(' ');
  w.number(o.version).append(" IN ").append(o.address_type).append(' ').append(o.address).end();
  w.line('s', sd.session_name);
  write_other_lines(w, sd, "i");
  write_other_lines(w, sd, "u");
  write_other_lines(w, sd, "e");
  write_other_lines(w, sd, "p");
  if (sd.connection) w.connection('c', *sd.connection);
  for (const std::string& b : sd.bandwidths) w.line('b', b);
  bool has_time = false;
  for (const SessionDescription::Line& l : sd.other_lines) has_time = has_time || l.type == 't';
  // RFC 8866 requires a t= line; "0 0" is the permanent session every offer/answer uses.
  if (!has_time) w.line('t', "0 0");
  // Each r= belongs to the t= before it, so the two keep their relative order.
  write_other_lines(w, sd, "tr");
  write_other_lines(w, sd, "z");
  write_other_lines(w, sd, "k");
  if (sd.direction) w.line('a', to_string(*sd.direction));
  for (const Attribute& a : sd.attributes) w.attribute(a);
  for (const Media& m : sd.media) write_media(w, m);
  return w.take();
}

}  // namespace parley::protocol::sdp
