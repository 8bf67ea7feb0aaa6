#pragma once
// The server's configuration: what config/parley.example.toml documents, with defaults that
// need no file at all. Loaded once on the main thread; the running server gets a copy.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace parley::app {

struct Config {
  // [sip]
  std::vector<std::string> sip_listen = {"127.0.0.1:5060"};  // each on UDP and TCP
  std::uint32_t t1_ms = 500;                                 // RFC 3261 T1: RTT estimate
  std::uint32_t t2_ms = 4000;             // T2: longest retransmit interval for non-INVITE
  std::uint32_t t4_ms = 5000;             // T4: longest time a message stays in the network
  std::size_t max_message_bytes = 65536;  // largest SIP message accepted on a stream
  double tcp_idle_timeout_s = 300;        // a connection quiet this long is closed
  std::size_t max_tcp_connections = 10000;
  // SIP over TLS (decision 0032): off unless set, e.g. "127.0.0.1:5061". The certificate is
  // tls_certificate_file/tls_key_file, or else the HTTPS one (configured or self-signed).
  std::string tls_listen;
  std::string tls_certificate_file;
  std::string tls_key_file;
  double tls_handshake_timeout_s = 10;          // a stalled handshake is closed after this
  std::size_t tls_max_connections_per_ip = 64;  // more from one address are closed on accept
  // [calls]
  double no_answer_timeout_s = 30;  // ringing longer than this: cancelled, the caller gets 480
  bool allow_inter_tenant_calls = false;  // calls from one tenant to another; refused (403) if off
  // [http]
  std::string http_listen = "127.0.0.1:8443";  // HTTPS (web app, API, SIP over WebSocket); "" = off
  std::string http_certificate_file;  // PEM; empty (with key_file empty) = self-signed in data dir
  std::string http_key_file;
  // Open HTTPS connections (web app, API, WebSockets, SIP over WebSocket) at once; beyond it a new
  // connection is closed on accept. Each signed-in browser holds one or two.
  std::size_t http_max_connections = 1000;
  std::string web_root;  // folder of the built web app served at /; empty = default_web_root()
  // Manifest of the web folder's files (trust/manifest.hpp); empty = web-manifest.json beside
  // the web folder. Nothing is served that differs from it.
  std::string web_manifest;
  // [trust] Ed25519 release public key; when set, manifests must be signed with it.
  std::string release_pubkey;
  // [media]
  bool media_anchor = true;            // relay every call's RTP through Parley (SDP rewritten)
  std::uint32_t rtp_port_min = 20000;  // even RTP ports (RTCP on the next) come from this range
  std::uint32_t rtp_port_max = 29999;
  // A relayed call's bound ports are kept for a later call on the same worker once they have
  // been quiet this long (decision 0060); 0 closes them at call end instead.
  std::uint32_t port_quarantine_ms = 1000;
  std::string rtp_address;             // IP the RTP sockets bind to; empty = first sip listen IP
  std::string rtp_advertised_address;  // c= address in our SDP; empty = rtp_address
  double media_timeout_s = 60;         // an answered call without RTP this long is ended; 0 = off
  double latch_window_s = 10;          // NAT latching to a source other than the SDP's
  bool transcoding = true;             // offer codecs the caller lacks and transcode
  bool webrtc_prefers_opus = true;     // browsers get Opus even when the phone has only G.711
  // SDES-SRTP (decision 0033): "off" (RTP/SAVP refused), "accept" (answered, never offered),
  // "tls" (also offered to phones registered over TLS).
  std::string sdes = "tls";
  // What held parties hear: a WAV file (16-bit PCM mono, 8/16/48 kHz); empty = the built-in
  // melody; "off" = no music on hold (decision 0017).
  std::string music_on_hold;
  // [recording] the file format of call recordings (decision 0039): "wav" (stereo 16-bit PCM)
  // or "opus" (stereo Ogg/Opus, RFC 7845, about a tenth of the size).
  std::string recording_format = "wav";
  // [registrar]
  std::uint32_t min_expires_s = 60;    // shorter non-zero registrations get 423 Interval Too Brief
  std::uint32_t max_expires_s = 7200;  // longer ones are shortened to this
  std::uint32_t default_expires_s = 3600;       // when the REGISTER names none
  std::size_t max_bindings_per_extension = 10;  // devices registered at once per extension
  // [presence] SUBSCRIBE/NOTIFY for BLF keys (dialog, RFC 4235) and presence (RFC 3856)
  std::uint32_t subscribe_min_expires_s = 60;  // shorter non-zero: 423 Interval Too Brief
  std::uint32_t subscribe_max_expires_s = 3600;
  std::uint32_t subscribe_default_expires_s = 3600;
  std::uint32_t notify_coalesce_ms = 80;  // changes of one extension within this: one NOTIFY
  std::size_t max_subscriptions_per_device = 200;   // past it: 403
  std::size_t max_subscriptions_per_tenant = 5000;  // past it: 503 with Retry-After
  // [trunks] the client side of provider trunks (issue 11)
  double trunk_keepalive_interval_s = 30;     // OPTIONS to every enabled trunk this often
  int trunk_keepalive_failures_for_down = 2;  // consecutive failed probes before "down"
  double trunk_register_retry_min_s = 30;     // first back-off after a failed registration
  double trunk_register_retry_max_s = 600;    // the back-off doubles up to this
  // TLS trunks: check the provider's certificate (chain and host name) against tls_ca_file (PEM;
  // empty = the system's store); Parley shows its SIP TLS certificate when a provider asks.
  bool trunk_tls_verify = true;
  std::string trunk_tls_ca_file;
  // [dns] RFC 3263 NAPTR/SRV/A/AAAA lookups of trunk hosts (decision 0042): "IP" or "IP:PORT"
  // ("[v6]:PORT"), port 53 when absent; empty = the nameservers of /etc/resolv.conf.
  std::vector<std::string> dns_servers;
  double dns_timeout_s = 2;        // one query to one server
  std::uint32_t dns_attempts = 2;  // rounds over the servers before a name counts as failed
  // [auth]
  // Digest algorithms offered, strongest first (RFC 8760): "SHA-256", "MD5".
  std::vector<std::string> auth_algorithms = {"SHA-256", "MD5"};
  std::uint32_t max_failures_per_ip = 20;    // within auth_window_s, then the address is banned
  std::uint32_t max_failures_per_user = 20;  // within auth_window_s, then the user is guarded
  double auth_window_s = 60;
  double ban_s = 300;
  // [park] call park (decision 0030): per tenant, `park_slots` slots from `park_first_slot`;
  // a call transferred to `park_code` takes the lowest free one.
  std::string park_code = "700";
  std::uint32_t park_first_slot = 701;
  std::uint32_t park_slots = 20;
  double park_timeout_s = 60;  // then the parked call rings its parker back
  bool park_announce = true;   // the parked caller hears its slot number (espeak-ng)
  // [smtp] voicemail to e-mail through a relay (decision 0034); off while smtp_host is empty.
  // No AUTH and no STARTTLS: point it at a relay on this host or a trusted network.
  std::string smtp_host;
  std::uint32_t smtp_port = 25;
  std::string smtp_from = "parley@localhost";  // the sender address of every mail
  std::string smtp_helo = "localhost";         // our name in EHLO
  double smtp_timeout_s = 30;                  // one whole attempt, connection to QUIT
  std::uint32_t smtp_attempts = 4;             // tries per message before giving up
  double smtp_retry_s = 30;                    // first back-off; doubles per failed try
  // [testing] TEST ONLY (decision 0040): seconds added to the wall clock that schedules (business
  // hours, holidays) are evaluated at, so an integration test can route at a chosen instant.
  // 0 (the default) is the real clock; never set it on a real server.
  std::int64_t testing_clock_offset_s = 0;
  // [server]
  std::size_t workers = 0;  // event-loop threads; 0 = one per hardware thread
  std::string data_dir = "var";
  // [log]
  std::string log_level = "info";  // trace, debug, info, warn, error, critical, off
};

// Reads a TOML file over the defaults. Errors are one line ("FILE:LINE: what is wrong"), e.g. for
// a missing file, a syntax error, a value of the wrong type or an unknown key (a misspelt key
// silently ignored is worse than a refusal to start).
Result<Config> load_config_file(const std::string& path);
// The same from text; `name` stands for the file name in messages.
Result<Config> parse_config(std::string_view text, const std::string& name = "config");

// Checks ranges and relations (t2 >= t1, addresses that parse, a known log level ...).
Result<void> validate(const Config& config);

// Where the built web app is when `http.web_root` is not set, found relative to the running
// binary so that no absolute path is compiled in (reproducible builds): the first of
// `<binary dir>/../share/parley/web` (an installed tree) and `<binary dir>/../../web` (the build
// tree: build/<preset>/src/app/parley -> build/<preset>/web) that holds an index.html.
// Empty when neither does. `find_web_root` takes the binary's path; `default_web_root` reads
// /proc/self/exe.
std::string find_web_root(const std::filesystem::path& executable);
std::string default_web_root();

}  // namespace parley::app
