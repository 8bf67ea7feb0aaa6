#pragma once
// The SDP side of a WebRTC leg that Parley terminates (decision 0011): what a browser's
// description says about its ICE credentials, DTLS fingerprint and role, and how an answer to
// a browser's offer carries ours. Used by LocalEndpoint (calls Parley answers itself, decision
// 0043); the relay's MediaService renders its own offers and answers the same way.
//
// Pure work on protocol/sdp values; safe from any thread.

#include <cstddef>
#include <string_view>

#include "base/result.hpp"
#include "media/secure_leg.hpp"
#include "protocol/sdp/session_description.hpp"

namespace parley::media {

// DTLS-SRTP as WebRTC uses it (UDP/TLS/RTP/SAVP or SAVPF, RFC 5764, RFC 8827); RTP/SAVP with
// SDES keys is not.
bool is_webrtc_protocol(std::string_view protocol);

// The ICE credentials, DTLS fingerprint and role the author of `description` gave for stream
// `index` (media level first, then session level: RFC 8839 §5.4, RFC 8122 §5). Error 488
// without credentials or fingerprint.
Result<SecureRemote> webrtc_remote_of(const protocol::sdp::SessionDescription& description,
                                      std::size_t index);

// Turns `answer` (one stream per offered one, the audio one at `audio_index` with our port)
// into the answer a browser needs: ICE-lite with `local`'s credentials, one host candidate on
// `candidate_address` and the audio port, our fingerprint, setup:passive (setup:active when the
// offer said passive, RFC 5763 §5), rtcp-mux, every stream tagged with the offer's mid and the
// audio one alone bundled when the offer bundled.
void render_webrtc_answer(protocol::sdp::SessionDescription& answer,
                          const protocol::sdp::SessionDescription& offer, std::size_t audio_index,
                          const SecureLocal& local, std::string_view candidate_address);

}  // namespace parley::media
