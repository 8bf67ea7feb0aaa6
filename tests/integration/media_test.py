#!/usr/bin/env python3
"""Media anchoring through `parley serve`, judged by what the user agents hear (loopback).

A Python caller (1001) and callee (1002) set up calls with SDP; each has an RtpPeer socket that
sends paced RTP (20 ms frames in real time) and records what arrives.

1. Passthrough PCMU: the SDP each side receives names Parley's address and a relay port, not
   the other UA's; RTP arrives from that port, counts within 1 %, one SSRC, consecutive
   sequence numbers; the 1 kHz tone arrives at its level.
2. Transcoding: the caller offers only PCMU; a callee answering only PCMA, and one answering
   only Opus, hear the 1 kHz tone at the right frequency and level (Goertzel), and the caller
   hears the callee's 1 kHz tone; packet rates stay at 50/s.
3. RFC 4733: digits 1, 5, # arrive as the same events with the same durations, remapped from
   payload type 101 to the callee's 100; SIP INFO application/dtmf-relay is relayed unchanged.
4. Hold and resume by re-INVITE: the relay ports stay the same; nothing reaches the held caller
   while on hold; audio flows again after resume.
5. RTP bleed: a stream sent to the caller-side relay port from another address mid-call never
   reaches the callee.
6. Media timeout (media.timeout_s = 4): a call without RTP gets BYE on both legs and its call
   record says end_reason 'media_timeout'.
7. Bad SDP: garbage gets 400, SDP without audio 488; the server stays up.
"""

import os
import re
import secrets
import sys
import threading
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from call_client import DOMAIN, Caller, answer_bye, is_request, response_to  # noqa: E402
from media_peer import (Opus, RtpPeer, alaw_decode, alaw_encode, goertzel_amplitude,  # noqa: E402
                        rms, samples_of, tone, ulaw_decode, ulaw_encode)
from parley_harness import HarnessError, ParleyServer, report, run_main  # noqa: E402
from pbx_scenario import (call_records, checker, finish, media_config, provisioned,  # noqa: E402
                          registered, run_scenarios, script_arguments)
from sip_client import SipUA  # noqa: E402

PASSWORDS = {"1001": "pw-1001-secret", "1002": "pw-1002-secret"}
FRAMES = 100  # 2 s of 20 ms frames
AMPLITUDE = 8000
problems, check = checker()


def make_sdp(port: int, formats: list[tuple[int, str | None]], direction: str | None = None,
             media: str = "audio", session: int = 1) -> bytes:
    lines = ["v=0", f"o=- {session} {session} IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1",
             "t=0 0", f"m={media} {port} RTP/AVP " + " ".join(str(pt) for pt, _ in formats)]
    for pt, rtpmap in formats:
        if rtpmap:
            lines.append(f"a=rtpmap:{pt} {rtpmap}")
        if rtpmap and rtpmap.startswith("telephone-event"):
            lines.append(f"a=fmtp:{pt} 0-16")
    if direction:
        lines.append(f"a={direction}")
    return ("\r\n".join(lines) + "\r\n").encode()


class Sdp:
    def __init__(self, body: bytes):
        text = body.decode()
        self.text = text
        self.ip = re.search(r"^c=IN IP[46] (\S+)", text, re.M).group(1)
        m = re.search(r"^m=audio (\d+) \S+ ([\d ]+)", text, re.M)
        self.port = int(m.group(1))
        self.pts = [int(x) for x in m.group(2).split()]
        self.rtpmap = {int(pt): name for pt, name in re.findall(r"^a=rtpmap:(\d+) (\S+)", text, re.M)}
        found = re.search(r"^a=(sendrecv|sendonly|recvonly|inactive)", text, re.M)
        self.direction = found.group(1) if found else "sendrecv"

    def pt_of(self, name: str) -> int | None:
        for pt, value in self.rtpmap.items():
            if value.lower().startswith(name.lower() + "/"):
                return pt
        return {"pcmu": 0, "pcma": 8}.get(name.lower()) if {"pcmu": 0, "pcma": 8}.get(
            name.lower()) in self.pts else None


def answer_pcmu_invite(ua: SipUA, rtp: RtpPeer, timeout: float = 5.0):
    """Waits for an INVITE at `ua` and answers 200 with PCMU at `rtp`'s port; returns the INVITE
    and the address Parley wants this side's RTP sent to."""
    invite, addr = ua.recv(timeout, is_request("INVITE"))
    ua.send(response_to(invite, 200, "OK", secrets.token_hex(4), ua.contact_uri(),
                        make_sdp(rtp.port, [(0, "PCMU/8000")])), addr)
    ua.recv(3.0, is_request("ACK"))
    offer = Sdp(invite.body)
    return invite, (offer.ip, offer.port)


class Call:
    """1001 calls 1002; the callee answers with `answer` formats. Gives both RTP peers and the
    addresses each must send to (from the SDP it received)."""

    def __init__(self, server, callee_ua, offer_formats, answer_formats, direction=None):
        self.caller_rtp, self.callee_rtp = RtpPeer(), RtpPeer()
        self.ua = SipUA(server.udp, "1001", DOMAIN, PASSWORDS["1001"])
        self.callee_ua = callee_ua
        self.caller = Caller(self.ua, "1002", make_sdp(self.caller_rtp.port, offer_formats))
        self.caller.start()
        self.invite, self.callee_addr = callee_ua.recv(5.0, is_request("INVITE"))
        self.callee_offer = Sdp(self.invite.body)
        self.tag = secrets.token_hex(4)
        self.answer_formats = answer_formats
        callee_ua.send(response_to(self.invite, 200, "OK", self.tag, callee_ua.contact_uri(),
                                   make_sdp(self.callee_rtp.port, answer_formats)), self.callee_addr)
        self.ok = self.caller.final()
        if self.ok.status != 200:
            raise HarnessError(f"call answered {self.ok.status} at the caller, expected 200")
        self.caller.ack_2xx(self.ok)
        callee_ua.recv(3.0, is_request("ACK"))
        self.caller_answer = Sdp(self.ok.body)
        self.to_relay_from_caller = (self.caller_answer.ip, self.caller_answer.port)
        self.to_relay_from_callee = (self.callee_offer.ip, self.callee_offer.port)
        self.cseq = self.caller.cseq

    def reinvite(self, offer_formats, direction, answer_direction):
        """Caller re-INVITE (hold/resume); the callee answers with `answer_direction`."""
        self.cseq += 1
        body = make_sdp(self.caller_rtp.port, offer_formats, direction, session=self.cseq)
        self.caller.in_dialog("INVITE", self.ok, self.cseq, body)
        reinvite, addr = self.callee_ua.recv(5.0, is_request("INVITE"))
        offer = Sdp(reinvite.body)
        self.callee_ua.send(response_to(reinvite, 200, "OK", self.tag, self.callee_ua.contact_uri(),
                                        make_sdp(self.callee_rtp.port, self.answer_formats,
                                                 answer_direction, session=self.cseq)), addr)
        ok = self.ua.final_response("INVITE", 5.0)
        if ok.status != 200:
            raise HarnessError(f"re-INVITE answered {ok.status}")
        self.caller.in_dialog("ACK", self.ok, self.cseq)
        self.callee_ua.recv(3.0, is_request("ACK"))
        return offer, Sdp(ok.body)

    def hang_up(self):
        self.cseq += 1
        self.caller.in_dialog("BYE", self.ok, self.cseq)
        try:
            answer_bye(self.callee_ua)
            self.ua.final_response("BYE", 3.0)
        finally:
            self.close()

    def close(self):
        self.caller_rtp.close()
        self.callee_rtp.close()
        self.ua.close()


def tone_frames(name: str, frequency: float = 1000.0) -> list[bytes]:
    if name == "opus":
        opus = Opus()
        return [opus.encode(tone(frequency, AMPLITUDE, 48000, 960, i * 960)) for i in range(FRAMES)]
    encode = ulaw_encode if name == "PCMU" else alaw_encode
    return [encode(tone(frequency, AMPLITUDE, 8000, 160, i * 160)) for i in range(FRAMES)]


def decode_all(name: str, packets) -> tuple[list[int], int]:
    """Decoded samples of `packets` in sequence order, and their sample rate."""
    ordered = sorted(packets, key=lambda p: p.seq)
    if name == "opus":
        opus = Opus()
        return samples_of(b"".join(opus.decode(p.payload) for p in ordered)), 48000
    decode = ulaw_decode if name == "PCMU" else alaw_decode
    return samples_of(b"".join(decode(p.payload) for p in ordered)), 8000


def judge_tone(what: str, samples: list[int], rate: int):
    # Skip the first 200 ms (codec start-up, jitter buffer fill) and judge 1 s.
    body = samples[rate // 5: rate // 5 + rate]
    if not check(len(body) >= rate // 2, f"{what}: only {len(samples)} samples arrived"):
        return
    level = goertzel_amplitude(body, rate, 1000.0)
    purity = level / (rms(body) * 2 ** 0.5 + 1e-9)
    off = max(goertzel_amplitude(body, rate, f) for f in (500.0, 1500.0, 2000.0))
    print(f"  {what}: 1 kHz amplitude {level:.0f} (sent {AMPLITUDE}), purity {purity:.2f}, "
          f"largest other {off:.0f}", flush=True)
    check(AMPLITUDE * 0.79 <= level <= AMPLITUDE * 1.26,
          f"{what}: 1 kHz arrived at amplitude {level:.0f}, sent {AMPLITUDE} (beyond ±2 dB)")
    check(purity > 0.9, f"{what}: the 1 kHz tone is only {purity:.2f} of the signal")
    check(off < level * 0.05, f"{what}: other frequencies at {off:.0f} against {level:.0f}")


def send_both(call: Call, caller_codec: str, caller_pt: int, callee_codec: str, callee_pt: int):
    caller_frames = tone_frames(caller_codec)
    callee_frames = tone_frames(callee_codec)
    a = threading.Thread(target=call.caller_rtp.send_frames,
                         args=(call.to_relay_from_caller, caller_pt, caller_frames,
                               960 if caller_codec == "opus" else 160))
    b = threading.Thread(target=call.callee_rtp.send_frames,
                         args=(call.to_relay_from_callee, callee_pt, callee_frames,
                               960 if callee_codec == "opus" else 160),
                         kwargs={"ssrc": 0x5678})
    a.start()
    b.start()
    a.join()
    b.join()
    time.sleep(0.3)


def scenario_passthrough(server, callee_ua):
    call = Call(server, callee_ua, [(0, "PCMU/8000")], [(0, "PCMU/8000")])
    try:
        check(call.callee_offer.port != call.caller_rtp.port and call.callee_offer.ip == "127.0.0.1",
              "the callee's offer names the caller's own port: media is not anchored")
        check(call.caller_answer.port != call.callee_rtp.port,
              "the caller's answer names the callee's own port: media is not anchored")
        check(call.caller_answer.port != call.callee_offer.port, "both legs share one relay port")
        send_both(call, "PCMU", 0, "PCMU", 0)
        at_callee = call.callee_rtp.packets()
        at_caller = call.caller_rtp.packets()
        check(len(at_callee) >= FRAMES * 0.99, f"callee got {len(at_callee)} of {FRAMES} packets")
        check(len(at_caller) >= FRAMES * 0.99, f"caller got {len(at_caller)} of {FRAMES} packets")
        if at_callee:
            sources = {p.source for p in at_callee}
            check(sources == {call.to_relay_from_callee},
                  f"callee's RTP came from {sources}, not the relay port in its SDP")
            check(len({p.ssrc for p in at_callee}) == 1, "several SSRCs reached the callee")
            seqs = sorted(p.seq for p in at_callee)
            check(seqs[-1] - seqs[0] + 1 == len(seqs), "sequence numbers at the callee have gaps")
            judge_tone("PCMU passthrough at the callee", *decode_all("PCMU", at_callee))
    finally:
        call.hang_up()


def scenario_transcode(server, callee_ua, callee_codec, callee_pt, rtpmap):
    call = Call(server, callee_ua, [(0, "PCMU/8000")], [(callee_pt, rtpmap)])
    try:
        check(call.callee_offer.pt_of(callee_codec) is not None,
              f"Parley did not offer {callee_codec} to the callee: {call.callee_offer.pts}")
        check(call.caller_answer.pts[:1] == [0],
              f"the caller's answer has {call.caller_answer.pts}, expected PCMU (0)")
        send_both(call, "PCMU", 0, callee_codec, callee_pt)
        at_callee = call.callee_rtp.packets(callee_pt)
        at_caller = call.caller_rtp.packets(0)
        print(f"  PCMU -> {callee_codec}: {len(at_callee)} packets at the callee, "
              f"{len(at_caller)} at the caller", flush=True)
        check(len(at_callee) >= FRAMES * 0.95, f"{callee_codec} callee got {len(at_callee)} packets")
        check(len(at_caller) >= FRAMES * 0.95, f"PCMU caller got {len(at_caller)} packets")
        judge_tone(f"PCMU -> {callee_codec} at the callee", *decode_all(callee_codec, at_callee))
        judge_tone(f"{callee_codec} -> PCMU at the caller", *decode_all("PCMU", at_caller))
    finally:
        call.hang_up()


def scenario_dtmf(server, callee_ua):
    call = Call(server, callee_ua, [(0, "PCMU/8000"), (101, "telephone-event/8000")],
                [(0, "PCMU/8000"), (100, "telephone-event/8000")])
    try:
        payloads = []
        for digit in (1, 5, 11):
            for step in range(1, 6):
                payloads.append((digit, False, step * 160))
            for _ in range(3):
                payloads.append((digit, True, 960))
        for i, (digit, end, duration) in enumerate(payloads):
            event_ts = 8000 + (i // 8) * 2000
            data = bytes([0x80, (0x80 if i % 8 == 0 else 0) | 101, 0, i & 0xFF]) + \
                event_ts.to_bytes(4, "big") + (0x4321).to_bytes(4, "big") + \
                bytes([digit, (0x80 if end else 0) | 10]) + duration.to_bytes(2, "big")
            call.caller_rtp.sock.sendto(data, call.to_relay_from_caller)
            time.sleep(0.02)
        time.sleep(0.3)
        events = [(p.payload[0], bool(p.payload[1] & 0x80), int.from_bytes(p.payload[2:4], "big"))
                  for p in call.callee_rtp.packets(100)]
        check(call.callee_rtp.packets(101) == [], "telephone-event kept the caller's type 101")
        digits = []
        for digit, end, duration in events:
            if end and (not digits or digits[-1] != (digit, duration)):
                digits.append((digit, duration))
        check(digits == [(1, 960), (5, 960), (11, 960)],
              f"callee got events {digits}, expected 1, 5, # each lasting 960")
    finally:
        call.hang_up()


def scenario_info_dtmf(server, callee_ua):
    """SIP INFO with application/dtmf-relay (the desk-phone way) reaches the callee unchanged."""
    call = Call(server, callee_ua, [(0, "PCMU/8000")], [(0, "PCMU/8000")])
    try:
        call.cseq += 1
        body = b"Signal=5\r\nDuration=160\r\n"
        call.caller.in_dialog("INFO", call.ok, call.cseq, body, "application/dtmf-relay")
        info, addr = callee_ua.recv(3.0, is_request("INFO"))
        check(info.body == body, f"INFO body arrived as {info.body!r}")
        check((info.header("Content-Type") or "").lower() == "application/dtmf-relay",
              f"INFO Content-Type arrived as {info.header('Content-Type')}")
        callee_ua.send(response_to(info, 200, "OK", call.tag), addr)
        status = call.ua.final_response("INFO", 3.0).status
        check(status == 200, f"INFO answered {status} to the caller, expected 200")
    finally:
        call.hang_up()


def scenario_hold(server, callee_ua):
    call = Call(server, callee_ua, [(0, "PCMU/8000")], [(0, "PCMU/8000")])
    try:
        offer, answer = call.reinvite([(0, "PCMU/8000")], "sendonly", "recvonly")
        check(offer.direction == "sendonly", f"hold offer reached the callee as {offer.direction}")
        check(answer.direction == "recvonly", f"hold answer reached the caller as {answer.direction}")
        check(offer.port == call.callee_offer.port and answer.port == call.caller_answer.port,
              "hold changed the relay ports")
        send_both(call, "PCMU", 0, "PCMU", 0)
        check(len(call.caller_rtp.packets()) == 0,
              f"held caller (sendonly) still got {len(call.caller_rtp.packets())} packets")
        check(len(call.callee_rtp.packets()) >= FRAMES * 0.99, "audio to the callee stopped on hold")
        call.caller_rtp.clear()
        call.callee_rtp.clear()
        offer, answer = call.reinvite([(0, "PCMU/8000")], "sendrecv", "sendrecv")
        check(offer.port == call.callee_offer.port and answer.port == call.caller_answer.port,
              "resume changed the relay ports")
        send_both(call, "PCMU", 0, "PCMU", 0)
        check(len(call.caller_rtp.packets()) >= FRAMES * 0.99,
              f"after resume the caller got {len(call.caller_rtp.packets())} packets")
        judge_tone("after resume at the caller", *decode_all("PCMU", call.caller_rtp.packets()))
    finally:
        call.hang_up()


def scenario_bleed(server, callee_ua):
    call = Call(server, callee_ua, [(0, "PCMU/8000")], [(0, "PCMU/8000")])
    attacker = RtpPeer()
    try:
        legit = threading.Thread(target=call.caller_rtp.send_frames,
                                 args=(call.to_relay_from_caller, 0, tone_frames("PCMU"), 160))
        legit.start()
        time.sleep(0.5)  # the caller's stream has latched
        attacker.send_frames(call.to_relay_from_caller, 0, [b"\x55" * 160] * 25, 160,
                             ssrc=0xBAD, pace=0.01)
        legit.join()
        time.sleep(0.3)
        spoofed = [p for p in call.callee_rtp.packets() if p.payload == b"\x55" * 160]
        check(not spoofed, f"{len(spoofed)} spoofed packets reached the callee (RTP bleed)")
        check(len(call.callee_rtp.packets()) >= FRAMES * 0.99,
              "the legitimate stream suffered from the spoofed one")
    finally:
        attacker.close()
        call.hang_up()


def scenario_media_timeout(server, callee_ua):
    call = Call(server, callee_ua, [(0, "PCMU/8000")], [(0, "PCMU/8000")])
    try:
        started = time.monotonic()
        answer_bye(callee_ua, 10.0)
        answer_bye(call.ua)
        elapsed = time.monotonic() - started
        check(3.0 <= elapsed <= 8.0, f"media timeout fired after {elapsed:.1f} s, configured 4 s")
    finally:
        call.close()


def scenario_bad_sdp(server):
    for body, expected in ((b"this is not SDP\r\n", 400),
                           (make_sdp(40000, [(31, "H261/90000")], media="video"), 488)):
        ua = SipUA(server.udp, "1001", DOMAIN, PASSWORDS["1001"])
        try:
            caller = Caller(ua, "1002", body)
            caller.start()
            status = caller.final().status
            check(status == expected, f"INVITE with {body[:20]!r}: {status}, expected {expected}")
        finally:
            ua.close()


def main():
    args = script_arguments()
    with provisioned(args.parley, "parley-media-", PASSWORDS) as (tmp, data):
        config = media_config(tmp, 31000, 31999, "timeout_s = 4\n")
        with ParleyServer(args.parley, data_dir=data, args=["--config", config]) as server:
            callee = registered(server, "1002", PASSWORDS, check)
            scenarios = [("passthrough PCMU", lambda: scenario_passthrough(server, callee)),
                         ("PCMU caller, PCMA callee", lambda: scenario_transcode(
                             server, callee, "PCMA", 8, "PCMA/8000")),
                         ("PCMU caller, Opus callee", lambda: scenario_transcode(
                             server, callee, "opus", 111, "opus/48000/2")),
                         ("RFC 4733 digits", lambda: scenario_dtmf(server, callee)),
                         ("SIP INFO dtmf-relay", lambda: scenario_info_dtmf(server, callee)),
                         ("hold and resume", lambda: scenario_hold(server, callee)),
                         ("RTP bleed", lambda: scenario_bleed(server, callee)),
                         ("media timeout", lambda: scenario_media_timeout(server, callee)),
                         ("bad SDP", lambda: scenario_bad_sdp(server))]
            run_scenarios(scenarios, check)
            callee.close()
            time.sleep(0.5)
            finish(server, problems, check)
        reasons = [r[0] for r in call_records(data, "end_reason", "disposition = 'answered'")]
        check(reasons.count("media_timeout") == 1,
              f"end reasons {reasons}: expected exactly one media_timeout")
    return report(problems, "media is anchored, transcoded by ear, and safe")


if __name__ == "__main__":
    run_main(main)
