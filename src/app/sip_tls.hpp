#pragma once
// What `parley serve` needs for SIP over TLS (decision 0032), made from the configuration at
// start-up: the server context for the `sip.tls_listen` listener (certificate from
// sip.tls_certificate_file/tls_key_file, else the HTTPS one, configured or self-signed in the
// data folder), the client context for TLS trunks (the provider's certificate checked against
// trunks.tls_ca_file or the system store when trunks.tls_verify; our certificate shown when a
// provider asks for one), and the listener's options.

#include <memory>

#include "app/config.hpp"
#include "base/result.hpp"
#include "net/tls_context.hpp"
#include "net/tls_server.hpp"

namespace parley::app {

struct SipTls {
  std::unique_ptr<net::TlsContext> server;  // null when sip.tls_listen is off
  std::unique_ptr<net::TlsContext> client;  // always made: a trunk may use TLS at any time
};

// Blocking file I/O (may write the self-signed pair): call at start-up.
Result<SipTls> make_sip_tls(const Config& config);

net::TlsServerOptions sip_tls_options(const Config& config);

}  // namespace parley::app
