#include "app/serve.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include "app/applications.hpp"
#include "app/call_recording.hpp"
#include "app/chat_websocket.hpp"
#include "app/conference_application.hpp"
#include "app/events_websocket.hpp"
#include "app/feature_code_application.hpp"
#include "app/ivr_application.hpp"
#include "app/park_presence.hpp"
#include "app/park_service.hpp"
#include "app/pbx_core.hpp"
#include "app/queue_application.hpp"
#include "app/sip_message_bridge.hpp"
#include "app/sip_service.hpp"
#include "app/sip_tls.hpp"
#include "app/sip_websocket.hpp"
#include "app/sip_worker.hpp"
#include "app/stream_destinations.hpp"
#include "app/trunk_service.hpp"
#include "app/voicemail_service.hpp"
#include "app/web_api.hpp"
#include "app/web_assets.hpp"
#include "base/os_random.hpp"
#include "http/certificate.hpp"
#include "http/http_server.hpp"
#include "http/router.hpp"
#include "http/static_files.hpp"
#include "media/call_media.hpp"
#include "media/music_on_hold.hpp"
#include "net/asio.hpp"
#include "net/worker_pool.hpp"
#include "pbx/pickup_groups.hpp"
#include "protocol/sip/digest.hpp"
#include "sip/call_placement.hpp"
#include "webrtc/dtls_identity.hpp"
#include "webrtc/webrtc_leg.hpp"

#ifndef PARLEY_VERSION
#define PARLEY_VERSION "0.0.0"
#endif

namespace parley::app {
namespace {

// How long in-flight work may take once a stop signal arrived.
constexpr std::chrono::milliseconds kStopGrace{2000};

std::string_view lowercase_name(sip::TransportKind kind) {
  switch (kind) {
    case sip::TransportKind::kUdp:
      return "udp";
    case sip::TransportKind::kTcp:
      return "tcp";
    case sip::TransportKind::kTls:
      return "tls";
    case sip::TransportKind::kWs:
      return "ws";
    case sip::TransportKind::kWss:
      return "wss";
  }
  return "?";
}

}  // namespace

std::string_view version() {
  return PARLEY_VERSION;
}

void configure_logging(std::string_view level) {
  // Not registered by name, so configuring twice (tests) is harmless.
  auto logger =
      std::make_shared<spdlog::logger>("parley", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %l %v");
  logger->set_level(spdlog::level::from_str(std::string(level)));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

int serve(const Config& config) {
  std::error_code error;
  std::filesystem::create_directories(config.data_dir, error);
  if (error) {
    spdlog::error("cannot create the data directory {}: {}", config.data_dir, error.message());
    return kExitRuntimeError;
  }
  // Writes to a closed TCP connection must fail with EPIPE, not kill the process.
  std::signal(SIGPIPE, SIG_IGN);

  // The signal set exists before any worker starts, so an early SIGTERM still stops us cleanly.
  boost::asio::io_context main_loop(1);
  boost::asio::signal_set signals(main_loop, SIGINT, SIGTERM);

  PbxCoreOptions core_options;
  core_options.data_dir = config.data_dir;
  core_options.server_header = "Parley/" + std::string(version());
  for (const std::string& text : config.sip_listen) {
    if (const auto address = net::SocketAddress::parse(text, 5060)) {
      core_options.own_hosts.push_back(address->ip());
    }
  }
  core_options.registrar.min_expires = config.min_expires_s;
  core_options.registrar.max_expires = config.max_expires_s;
  core_options.registrar.default_expires = config.default_expires_s;
  core_options.registrar.max_bindings_per_aor = config.max_bindings_per_extension;
  core_options.algorithms.clear();
  for (const std::string& name : config.auth_algorithms) {
    if (auto algorithm = protocol::sip::parse_digest_algorithm(name)) {
      core_options.algorithms.push_back(*algorithm);
    }
  }
  const auto seconds = [](double s) {
    return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s));
  };
  core_options.throttle.max_failures_per_ip = config.max_failures_per_ip;
  core_options.throttle.max_failures_per_user = config.max_failures_per_user;
  core_options.throttle.ip_window = seconds(config.auth_window_s);
  core_options.throttle.user_window = seconds(config.auth_window_s);
  core_options.throttle.ban_duration = seconds(config.ban_s);
  core_options.presence.max_subscriptions_per_device = config.max_subscriptions_per_device;
  core_options.presence.max_subscriptions_per_tenant = config.max_subscriptions_per_tenant;
  auto core = PbxCore::open(core_options);
  if (!core) {
    spdlog::error("cannot open the data folder {}: {}", config.data_dir, core.error().message);
    return kExitRuntimeError;
  }

  // Call recording: both outlive the worker pool, so that the calls still up at shutdown have
  // their recordings finalised and listed when the writer goes.
  std::unique_ptr<CallRecording> call_recording;
  const SteadyClock recording_clock;
  std::unique_ptr<media::RecordingWriter> recorder;
  // Voicemail (decision 0021): outlives the pool, so that messages still being left at shutdown
  // are sealed and indexed when its writer goes.
  std::unique_ptr<VoicemailService> voicemail;
  // SIP over TLS and TCP/TLS trunks (decision 0032): the contexts and the trunks' destinations
  // outlive the pool, whose connections use them until its end.
  std::unique_ptr<net::TlsContext> sip_tls_server;
  std::unique_ptr<net::TlsContext> sip_tls_client;
  StreamDestinations stream_destinations;
  net::WorkerPool pool(config.workers);
  SipServiceOptions sip_options;
  sip_options.max_message_bytes = config.max_message_bytes;
  sip_options.tcp.idle_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::duration<double>(config.tcp_idle_timeout_s));
  sip_options.tcp.max_connections = config.max_tcp_connections;
  sip_options.advertisement.server = "Parley/" + std::string(version());
  sip_options.advertisement.allow =
      "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, UPDATE, INFO, SUBSCRIBE, PUBLISH";
  // MESSAGE is bridged to team chat, which runs with the HTTPS listener (SipMessageBridge).
  if (!config.http_listen.empty()) sip_options.advertisement.allow += ", MESSAGE";
  SipWorkerOptions worker_options;
  worker_options.advertisement = sip_options.advertisement;
  worker_options.timers.t1 = std::chrono::milliseconds(config.t1_ms);
  worker_options.timers.t2 = std::chrono::milliseconds(config.t2_ms);
  worker_options.timers.t4 = std::chrono::milliseconds(config.t4_ms);
  worker_options.allow_inter_tenant_calls = config.allow_inter_tenant_calls;
  worker_options.subscribe_min_expires = config.subscribe_min_expires_s;
  worker_options.subscribe_max_expires = config.subscribe_max_expires_s;
  worker_options.subscribe_default_expires = config.subscribe_default_expires_s;
  worker_options.notify_coalesce_window = std::chrono::milliseconds(config.notify_coalesce_ms);
  worker_options.no_answer_timeout = std::chrono::duration_cast<Duration>(
      std::chrono::duration<double>(config.no_answer_timeout_s));
  std::unique_ptr<media::PortPool> rtp_ports;
  std::unique_ptr<webrtc::WebRtcLegFactory> webrtc_legs;  // outlives media_service
  std::unique_ptr<media::MediaService> media_service;
  std::unique_ptr<media::ConferenceRooms> conference_rooms;  // outlives applications' sessions
  std::unique_ptr<ParkService> park;         // call park (decision 0030); outlives its sessions too
  ConferenceRoster conference_roster(pool);  // who is in which room (decision 0034)
  std::unique_ptr<Applications> applications;  // calls Parley answers itself (echo, ...)
  // Feature codes (*78, *72 ...): its thread posts to the pool, so it goes before the pool.
  std::unique_ptr<FeatureCodeService> feature_codes;
  const SteadyClock media_clock;
  if (config.media_anchor) {
    std::string rtp_ip = config.rtp_address;
    if (rtp_ip.empty()) rtp_ip = net::SocketAddress::parse(config.sip_listen.front(), 5060)->ip();
    media::MediaOptions media_options;
    media_options.bind_address = *net::SocketAddress::parse(
        rtp_ip.find(':') != std::string::npos ? "[" + rtp_ip + "]:0" : rtp_ip + ":0");
    media_options.advertised_address = config.rtp_advertised_address;
    media_options.latch_window = seconds(config.latch_window_s);
    media_options.transcoding = config.transcoding;
    media_options.webrtc_prefers_opus = config.webrtc_prefers_opus;
    media_options.sdes = config.sdes == "off"      ? media::SdesPolicy::kOff
                         : config.sdes == "accept" ? media::SdesPolicy::kAccept
                                                   : media::SdesPolicy::kOfferOverTls;
    if (config.music_on_hold.empty()) {
      media_options.music_on_hold = media::built_in_hold_music();
    } else if (config.music_on_hold != "off") {
      auto clip = media::AudioClip::load(config.music_on_hold);
      if (!clip.ok()) {
        spdlog::error("media.music_on_hold: {}", clip.error().message);
        return kExitRuntimeError;
      }
      media_options.music_on_hold = std::move(clip).value();
      spdlog::info("music on hold from {} ({:.1f} s at {} Hz)", config.music_on_hold,
                   media_options.music_on_hold->seconds(),
                   media_options.music_on_hold->sample_rate());
    }
    // One DTLS certificate for every WebRTC leg of this process: browsers check it by the
    // fingerprint in our SDP, so a fresh one per start costs nothing.
    auto identity = webrtc::DtlsIdentity::generate();
    if (!identity.ok()) {
      spdlog::error("cannot make the DTLS certificate for WebRTC: {}", identity.error().message);
      return kExitRuntimeError;
    }
    webrtc_legs = std::make_unique<webrtc::WebRtcLegFactory>(std::move(identity).value());
    media_options.webrtc = webrtc_legs.get();
    // Nothing is recorded until a tenant or extension policy says so (`parley tenant record`).
    auto recording = CallRecording::open(config.data_dir);
    if (!recording) {
      spdlog::error("call recording: {}", recording.error().message);
      return kExitRuntimeError;
    }
    call_recording = std::move(recording).value();
    media::RecordingWriterOptions recorder_options;
    std::error_code absolute_error;  // listed paths stay valid whatever the CLI's folder
    recorder_options.directory =
        std::filesystem::absolute(config.data_dir, absolute_error) / "recordings";
    // validate() accepted only the names parse_recording_format() knows.
    recorder_options.format = media::parse_recording_format(config.recording_format)
                                  .value_or(media::RecordingFormat::kWav);
    recorder = std::make_unique<media::RecordingWriter>(recorder_options, recording_clock,
                                                        call_recording.get());
    media_options.recorder = recorder.get();
    media_options.recording_policy = call_recording.get();
    rtp_ports = std::make_unique<media::PortPool>(static_cast<std::uint16_t>(config.rtp_port_min),
                                                  static_cast<std::uint16_t>(config.rtp_port_max),
                                                  base::os_random_u64());
    if (config.port_quarantine_ms > 0) {
      // At most half the range parked (each worker takes its own parked pairs first when the
      // range runs out, and one that has none has every worker close theirs:
      // PortParking::release_everywhere). A worker relaying R calls/s reuses every pair while
      // its share covers R x 2 pairs x the quarantine.
      media::ParkingOptions parking;
      parking.quarantine = std::chrono::milliseconds(config.port_quarantine_ms);
      parking.idle_limit = std::max(parking.idle_limit, 4 * parking.quarantine);
      parking.max_pairs_per_worker = rtp_ports->capacity() / (2 * pool.size());
      rtp_ports->enable_parking(pool, parking);
    }
    media_service =
        std::make_unique<media::MediaService>(pool, *rtp_ports, media_clock, media_options);
    worker_options.media = media_service.get();
    applications = std::make_unique<Applications>(
        pool, *rtp_ports, media_clock,
        media::LocalEndpointOptions{.bind_address = media_options.bind_address,
                                    .advertised_address = media_options.advertised_address,
                                    .latch_window = media_options.latch_window,
                                    .webrtc = media_options.webrtc,
                                    .sdes = media_options.sdes != media::SdesPolicy::kOff});
    conference_rooms = std::make_unique<media::ConferenceRooms>(pool);
    applications->add("conference", conference_maker(*conference_rooms, (*core)->conference_rooms(),
                                                     conference_roster));
    if (config.testing_clock_offset_s != 0) {
      spdlog::warn("[testing] clock_offset_s = {}: schedules run on a shifted clock (test only)",
                   config.testing_clock_offset_s);
    }
    applications->add("ivr", ivr_maker((*core)->ivr(), (*core)->prompts(),
                                       shifted_unix_clock(config.testing_clock_offset_s)));
    applications->add("queue", queue_maker((*core)->queues(),
                                           std::make_shared<LiveCallState>((*core)->location(),
                                                                           (*core)->presence()),
                                           media::built_in_hold_music(), (*core)->prompts()));
    park = std::make_unique<ParkService>(
        pool, ParkOptions{.lot = {.park_code = config.park_code,
                                  .first_slot = config.park_first_slot,
                                  .slots = config.park_slots},
                          .timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::duration<double>(config.park_timeout_s)),
                          .music = media_options.music_on_hold,
                          .announce = config.park_announce});
    park->add_to(*applications);
    park->lot().set_slot_listener(park_slot_reporter((*core)->presence()));  // BLF on slots
    (*core)->set_park_lot(park->lot());  // ... and on nothing else (decision 0045)
    worker_options.park = park.get();
    VoicemailServiceOptions voicemail_options;
    if (!config.smtp_host.empty()) {  // voicemail to e-mail (decision 0034)
      voicemail_options.mail = VoicemailMailerOptions{
          .smtp = {.host = config.smtp_host,
                   .port = static_cast<std::uint16_t>(config.smtp_port),
                   .helo = config.smtp_helo,
                   .timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::duration<double>(config.smtp_timeout_s))},
          .from = config.smtp_from,
          .attempts = static_cast<int>(config.smtp_attempts),
          .first_retry = std::chrono::duration_cast<std::chrono::milliseconds>(
              std::chrono::duration<double>(config.smtp_retry_s))};
      spdlog::info("voicemail e-mail through {}:{} from {}", config.smtp_host, config.smtp_port,
                   config.smtp_from);
    }
    auto opened_voicemail =
        VoicemailService::open(config.data_dir, (*core)->prompts(), {}, voicemail_options);
    if (!opened_voicemail) {
      spdlog::error("voicemail: {}", opened_voicemail.error().message);
      return kExitRuntimeError;
    }
    voicemail = std::move(opened_voicemail).value();
    voicemail->add_to(*applications);
    // Feature codes carried out on calls (decision 0028): store writes on the service's thread.
    auto opened_feature_codes = FeatureCodeService::open(config.data_dir, pool);
    if (!opened_feature_codes) {
      spdlog::error("feature codes: {}", opened_feature_codes.error().message);
      return kExitRuntimeError;
    }
    feature_codes = std::move(opened_feature_codes).value();
    feature_codes->add_to(*applications);
    worker_options.applications = applications.get();
    worker_options.media_timeout = seconds(config.media_timeout_s);
    spdlog::info("anchoring media on {} ports {}-{}", rtp_ip, config.rtp_port_min,
                 config.rtp_port_max);
  }
  // Provider trunks (issue 11): registrations and keep-alives run on one worker; the service
  // outlives the workers.
  TrunkServiceOptions trunk_options;
  trunk_options.data_dir = config.data_dir;
  trunk_options.user_agent = sip_options.advertisement.server;
  trunk_options.keepalive_interval = seconds(config.trunk_keepalive_interval_s);
  trunk_options.keepalive_failures_for_down = config.trunk_keepalive_failures_for_down;
  trunk_options.retry_min = seconds(config.trunk_register_retry_min_s);
  trunk_options.retry_max = seconds(config.trunk_register_retry_max_s);
  trunk_options.stream_destinations = &stream_destinations;
  for (const std::string& server : config.dns_servers) {
    if (auto address = net::SocketAddress::parse(server, 53)) {
      trunk_options.dns.servers.push_back(*address);
    }
  }
  trunk_options.dns.timeout = seconds(config.dns_timeout_s);
  trunk_options.dns.attempts = config.dns_attempts;
  auto opened_trunks = TrunkService::open(pool, trunk_options);
  if (!opened_trunks) {
    spdlog::error("trunks: {}", opened_trunks.error().message);
    return kExitRuntimeError;
  }
  TrunkService& trunks = *opened_trunks.value();
  worker_options.trunks = &trunks;
  // SIP MESSAGE <-> team chat; outlives the workers and the chat endpoint.
  SipMessageBridge sip_messages(pool, *core.value());
  worker_options.messages = &sip_messages;
  PbxCore& shared = *core.value();
  // A phone's calls share a worker, so that attended transfer can join them (decision 0024).
  const SteadyClock placement_clock;
  sip::CallPlacement placement(sip::CallPlacementOptions{
      .workers = pool.size(),
      .clock = placement_clock,
      .linger = 64 * worker_options.timers.t1,
      .tenant_of_host = [&shared](std::string_view host) -> std::optional<store::TenantId> {
        const sip::TenantInfo* tenant = shared.directory().snapshot()->tenant_for_host(host);
        if (tenant == nullptr) return std::nullopt;
        return tenant->id;
      },
      // A pickup INVITE goes where the call it picks up rings (decision 0031).
      .pickup_from = [&shared](store::TenantId tenant, std::string_view caller,
                               std::string_view dialled) -> std::vector<std::string> {
        auto request =
            pbx::pickup_request(*shared.pickup_groups().current(), tenant, caller, dialled, {});
        if (!request) return {};
        return std::move(request->ringing_at);
      }});
  sip_options.placement = &placement;
  if (auto secured = make_sip_tls(config); !secured) {
    spdlog::error("SIP over TLS: {}", secured.error().message);
    return kExitRuntimeError;
  } else {
    sip_tls_server = std::move(secured->server);
    sip_tls_client = std::move(secured->client);
  }
  sip_options.stream_destinations = &stream_destinations;
  sip_options.client_tls = sip_tls_client.get();
  sip_options.peer_certificates = &trunks.calls().peer_certificates();  // mutual TLS, 0048
  worker_options.placement = &placement;
  SipService sip(pool, sip_options,
                 [&pool, &shared, &worker_options](std::size_t worker, sip::Transport& transport,
                                                   const Clock& clock) {
                   return std::make_unique<SipWorker>(pool, worker, transport, clock, shared,
                                                      worker_options);
                 });

  for (const std::string& text : config.sip_listen) {
    const auto address = net::SocketAddress::parse(text, 5060);
    if (!address) {
      spdlog::error("sip.listen: '{}' is not an address", text);
      return kExitRuntimeError;
    }
    if (auto listening = sip.listen(*address); !listening) {
      spdlog::error("cannot listen for SIP on {}: {}", text, listening.error().message);
      return kExitRuntimeError;
    }
  }
  if (sip_tls_server) {
    const auto address = net::SocketAddress::parse(config.tls_listen, 5061);
    if (auto listening = sip.listen_tls(*address, *sip_tls_server, sip_tls_options(config));
        !listening) {
      spdlog::error("cannot listen for SIP over TLS on {}: {}", config.tls_listen,
                    listening.error().message);
      return kExitRuntimeError;
    }
  }
  std::vector<net::SocketAddress> trunk_tls_sockets;
  for (const auto& socket : sip.listening()) {
    if (socket.transport == sip::TransportKind::kTls) trunk_tls_sockets.push_back(socket.address);
  }
  trunks.set_local_tls_addresses(std::move(trunk_tls_sockets));
  std::vector<net::SocketAddress> trunk_sockets;
  for (const auto& socket : sip.listening()) {
    if (socket.transport == sip::TransportKind::kUdp) trunk_sockets.push_back(socket.address);
  }
  trunks.set_local_addresses(std::move(trunk_sockets));

  // HTTPS: the router and the static files outlive the server, which dies before the pool.
  http::Router router;
  SipWebSocket sip_websocket(pool, sip, sip_options.max_message_bytes);  // outlives `https`
  std::optional<WebAssetVerifier> web_verifier;                          // outlives web_files
  std::optional<http::StaticFiles> web_files;
  std::unique_ptr<ChatWebSocket> chat_websocket;  // team chat at /chat; outlives `https`
  std::unique_ptr<WebApi> web_api;          // the REST API; outlives `https`; uses chat attachments
  std::unique_ptr<EventsWebSocket> events;  // dashboard counts; outlives `https`
  std::unique_ptr<http::HttpServer> https;
  std::optional<http::CertificateFiles> certificate;
  if (!config.http_listen.empty()) {
    auto files = http::load_or_create_certificate(config.data_dir, config.http_certificate_file,
                                                  config.http_key_file);
    if (!files) {
      spdlog::error("https certificate: {}", files.error().message);
      return kExitRuntimeError;
    }
    certificate = std::move(files).value();
    if (!config.web_root.empty()) {
      // Nothing of the web app is served unless it matches its manifest (supply-chain issue):
      // a changed file is named now and refused with 500 whenever it is asked for.
      const std::string manifest =
          config.web_manifest.empty() ? WebAssetVerifier::default_manifest(config.web_root).string()
                                      : config.web_manifest;
      auto verifier = WebAssetVerifier::load(manifest, config.release_pubkey);
      if (!verifier) {
        spdlog::error("web app not served: {}", verifier.error().message);
      } else {
        web_verifier.emplace(std::move(verifier).value());
        if (auto differences = web_verifier->differences(config.web_root); !differences) {
          spdlog::error("web app check: {}", differences.error().message);
        } else {
          for (const std::string& line : *differences) {
            spdlog::error("web asset differs from {}: {} (refused when asked for)", manifest, line);
          }
        }
        auto opened = http::StaticFiles::open(config.web_root, {}, &*web_verifier);
        if (!opened) {
          spdlog::error("http.web_root {}: {}", config.web_root, opened.error().message);
          return kExitRuntimeError;
        }
        web_files.emplace(std::move(opened).value());
        router.add_prefix("/", web_files->handler());
      }
    }
    // SIP over WebSocket (RFC 7118), decision 0009.
    router.add_websocket("/sip", sip_websocket);
    auto chat = ChatWebSocket::open(config.data_dir, pool);  // docs/chat-protocol.md
    if (!chat) {
      spdlog::error("chat: {}", chat.error().message);
      return kExitRuntimeError;
    }
    chat_websocket = std::move(chat).value();
    router.add_websocket(std::string(ChatWebSocket::kPath), *chat_websocket);
    auto api = WebApi::open(config.data_dir, shared, sip, router,  // /api/v1/, docs/api.md
                            &chat_websocket->attachments(),
                            conference_rooms ? &conference_roster : nullptr, voicemail.get());
    if (!api) {
      spdlog::error("REST API: {}", api.error().message);
      return kExitRuntimeError;
    }
    web_api = std::move(api).value();
    auto opened_events = EventsWebSocket::open(config.data_dir, pool, shared.live_calls());
    if (!opened_events) {
      spdlog::error("dashboard events: {}", opened_events.error().message);
      return kExitRuntimeError;
    }
    events = std::move(opened_events).value();
    router.add_websocket(std::string(EventsWebSocket::kPath), *events);
    sip_messages.attach_chat(*chat_websocket);
    auto address = net::SocketAddress::parse(config.http_listen, 8443);
    http::HttpOptions http_options;
    http_options.max_connections = config.http_max_connections;
    auto listening = http::HttpServer::listen(pool, *address, router, *certificate, http_options);
    if (!listening) {
      spdlog::error("cannot listen for HTTPS on {}: {}", config.http_listen,
                    listening.error().message);
      return kExitRuntimeError;
    }
    https = std::move(listening).value();
  }

  pool.start();
  trunks.start();
  spdlog::info("parley {} serving with {} worker(s), data in {}", version(), pool.size(),
               config.data_dir);
  for (const auto& socket : sip.listening()) {
    std::printf("listening sip %.*s %s\n",
                static_cast<int>(lowercase_name(socket.transport).size()),
                lowercase_name(socket.transport).data(), socket.address.to_string().c_str());
    spdlog::info("listening for SIP over {} on {}", to_text(socket.transport),
                 socket.address.to_string());
  }
  if (https) {
    std::printf("listening https %s\n", https->local_address().to_string().c_str());
    std::printf("listening sip wss %s/sip\n", https->local_address().to_string().c_str());
    std::printf("https certificate sha256 %s%s\n", certificate->fingerprint.c_str(),
                certificate->generated ? " (new self-signed)" : "");
  }
  std::fflush(stdout);

  signals.async_wait([](const boost::system::error_code& wait_error, int signal_number) {
    if (!wait_error) spdlog::info("signal {} received: stopping", signal_number);
  });
  main_loop.run();

  const auto stop_started = std::chrono::steady_clock::now();
  trunks.stop(std::chrono::milliseconds(1500));  // unregisters while SIP still runs
  sip.stop();
  if (https) https->stop();
  pool.shutdown(kStopGrace);
  if (voicemail) voicemail->stop_jobs();  // its jobs post to the loops: before the pool goes
  spdlog::info("stopped in {} ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::steady_clock::now() - stop_started)
                                       .count());
  spdlog::default_logger()->flush();
  return kExitOk;
}

}  // namespace parley::app
