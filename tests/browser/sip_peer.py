#!/usr/bin/env python3
"""Python phones on the far side of a browser scenario (standard library only; inside --netns).

The scenario (web/tests/e2e/*.mjs) runs this as a child process through PARLEY_SIP_PEER
(browser_test.py --sip-peer) and reads one JSON object per line from its stdout, each with an
"event" member; the last one is {"event": "done", "ok": bool, "problems": [...], ...} and the
exit code is 0 only when ok. Each mode is one short call with RTP (PCMU) on loopback:

  answer --user 1002
      registers, answers the next INVITE (PCMU and telephone-event), sends a 1 kHz tone and
      records what arrives until BYE: the RFC 4733 digits (event packets, one per timestamp)
      and in-band DTMF pairs (Goertzel on the PCMU), so the scenario sees how the browser's
      keypad reached a desk phone. Its "levels" list the browser's sound as it arrived: one
      [epoch ms, peak, packets] per LEVEL_BUCKET_MS of PCMU, so a scenario can tell when the
      browser's microphone reached the far end (mute) by its own Date.now() marks.
  transfer --caller 1002 --callee 1001 --target 1003
      1002 calls the browser (1001); after the answer the browser blind-transfers to 1003; 1003
      must get the INVITE from 1002 referred by 1001 and answer; then 1002 (never re-INVITEd)
      and 1003 must hear each other's tones (1 kHz and 1.5 kHz) through the relay; 1002 hangs
      up and 1003 gets the BYE.
  attended --caller 1002 --callee 1001 --target 1003 [--rounds cancel,elsewhere,transfer]
      1002 calls the browser (1001), which answers; then, per round, the browser holds 1002 and:
      cancel: consults 1003 (answered here, sending 1.5 kHz), hangs it up and resumes 1002;
      elsewhere: consults someone else (its transfer refused, say) and resumes 1002; transfer
      (last): consults 1003 and completes the attended transfer, which must take 1002 off hold
      and leave 1003's call up. 1002 acts as a desk phone (sip_line.py): silent while held, heard
      again only once a re-INVITE takes it off hold. Then 1002 and 1003 must hear each other's
      tones (1 kHz and 1.5 kHz); 1002 hangs up and 1003 gets the BYE. Events: answered; per
      round held, consulted (1003 called), resumed; then joined, talked.
  refused --caller 1002 --callee 1001 --status 480
      1002 calls the browser, which must refuse the call with that status (a denied
      microphone ends an answered call with 480).
  message --caller 1001 --callee 1002
      1001 calls 1002, whose calls the scenario sends to voicemail, and leaves 2 s of 700 Hz.
  talk --user 1003 --number 800 --send 440 --listen 1000 [--seconds 4] [--sdes]
      registers nothing; calls NUMBER (a conference room, **1002 to pick up a ringing call,
      a browser's extension), sends a SEND Hz tone for SECONDS and judges by Goertzel that
      LISTEN Hz arrived (after the first second) at a clear level and that its own SEND Hz did
      not come back; then BYE. Emits "answered" once the call is up, so the scenario can listen
      meanwhile. With --sdes it is a desk phone with SRTP keyed by SDES (RFC 4568, srtp_peer.py):
      it offers RTP/SAVP with one AES_CM_128_HMAC_SHA1_80 key, requires an answer with one key
      of Parley's own, encrypts what it sends and judges only what authenticates under that key
      (every packet must).
  ring --user 1002
      registers, rings (180) on the next INVITE and never answers; expects the CANCEL with
      "Call completed elsewhere" (RFC 3326) a pickup sends, then 487s the INVITE.

    sip_peer.py --server 127.0.0.1:5060 --domain parley.local --password PW answer --user 1002
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import sys
import threading
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from call_client import Caller, is_request, response_to  # noqa: E402
from media_peer import (Packet, RtpPeer, goertzel_amplitude, rtp_header,  # noqa: E402
                        samples_of, tone, ulaw_decode, ulaw_encode)
from parley_harness import HarnessError  # noqa: E402
from sip_client import SipUA  # noqa: E402
from srtp_peer import SUITE, SrtpStream, inline_key, new_master, parse_inline  # noqa: E402
from sip_line import Line  # noqa: E402
from transfer_test import Dialog, relay_address, uri_in  # noqa: E402

PCMU = 0
AMPLITUDE = 8000
EVENT_DIGITS = "0123456789*#ABCD"
ROWS = (697.0, 770.0, 852.0, 941.0)
COLUMNS = (1209.0, 1336.0, 1477.0, 1633.0)
KEYPAD = "123A456B789C*0#D"
CALL_WAIT_S = 20       # the browser dials or answers within this
CALL_LENGTH_S = 60     # the longest a call of a scenario may last
TALK_S = 1.5           # transfer: how long transferee and target exchange tones
LEVEL_BUCKET_MS = 100  # answer: the resolution of the "levels" it reports
MESSAGE_S = 2.0        # message: how long the voicemail left is
MIN_HEARD = 2000       # talk: the far end's tone (a browser sends about 16000 at 0.5 FS)
MAX_OWN = 0.25         # talk: our own tone coming back, relative to the far end's


def emit(event: str, **fields) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


def sdp(port: int, event_pt: int | None, crypto: str | None = None) -> bytes:
    """PCMU (+ telephone-event) on `port`; with `crypto` (an a=crypto value), RTP/SAVP."""
    formats = f"{PCMU}" + (f" {event_pt}" if event_pt is not None else "")
    profile = "RTP/SAVP" if crypto else "RTP/AVP"
    lines = ["v=0", f"o=- {secrets.randbelow(1 << 30)} 1 IN IP4 127.0.0.1", "s=-",
             "c=IN IP4 127.0.0.1", "t=0 0", f"m=audio {port} {profile} {formats}",
             "a=rtpmap:0 PCMU/8000"] + ([f"a=crypto:{crypto}"] if crypto else [])
    if event_pt is not None:
        lines += [f"a=rtpmap:{event_pt} telephone-event/8000", f"a=fmtp:{event_pt} 0-15"]
    return ("\r\n".join(lines + ["a=sendrecv"]) + "\r\n").encode()


def telephone_event_pt(body: bytes) -> int | None:
    match = re.search(rb"^a=rtpmap:(\d+) telephone-event/8000", body, re.M | re.I)
    return int(match.group(1)) if match else None


class ToneSender(threading.Thread):
    """Sends a PCMU tone, one 20 ms packet per 20 ms of real time, until stopped."""

    def __init__(self, rtp: RtpPeer, to: tuple[str, int], frequency: float,
                 srtp: SrtpStream | None = None):
        super().__init__(daemon=True)
        self.rtp, self.to, self.frequency, self.srtp = rtp, to, frequency, srtp
        self.stopping = threading.Event()

    def run(self) -> None:
        ssrc = secrets.randbits(32)
        start = time.monotonic()
        for i in range(int(CALL_LENGTH_S / 0.02)):
            if self.stopping.is_set():
                return
            payload = ulaw_encode(tone(self.frequency, AMPLITUDE, 8000, 160, i * 160))
            packet = rtp_header(PCMU, i, i * 160, ssrc, i == 0) + payload
            try:
                self.rtp.sock.sendto(self.srtp.protect(packet) if self.srtp else packet, self.to)
            except OSError:
                return
            delay = start + (i + 1) * 0.02 - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def stop(self) -> None:
        self.stopping.set()
        self.join(1.0)


def event_digits(packets, pt: int) -> str:
    """RFC 4733 digits in arrival order: one per event timestamp (updates and ends repeat it)."""
    digits, seen = [], set()
    for packet in packets:
        if packet.pt != pt or len(packet.payload) < 4 or packet.ts in seen:
            continue
        seen.add(packet.ts)
        event = packet.payload[0]
        digits.append(EVENT_DIGITS[event] if event < len(EVENT_DIGITS) else f"<{event}>")
    return "".join(digits)


def event_durations_ms(packets, pt: int) -> list[int]:
    """The final duration of each event (its end packets' field, 8000 Hz units) in ms."""
    ends: dict[int, int] = {}
    for packet in packets:
        if packet.pt == pt and len(packet.payload) >= 4 and packet.payload[1] & 0x80:
            ends.setdefault(packet.ts, int.from_bytes(packet.payload[2:4], "big"))
    return [duration // 8 for _, duration in sorted(ends.items())]


def tone_digits(packets) -> str:
    """In-band DTMF in the PCMU, frame by frame: a key counts once per run of frames."""
    digits, previous = [], None
    for packet in sorted((p for p in packets if p.pt == PCMU), key=lambda p: p.arrival):
        samples = samples_of(ulaw_decode(packet.payload))
        if len(samples) < 160:
            continue
        rows = [goertzel_amplitude(samples, 8000, f) for f in ROWS]
        columns = [goertzel_amplitude(samples, 8000, f) for f in COLUMNS]
        row, column = max(range(4), key=rows.__getitem__), max(range(4), key=columns.__getitem__)
        strong = rows[row] > 500 and columns[column] > 500
        clear = all(rows[row] > 4 * r for i, r in enumerate(rows) if i != row) and \
            all(columns[column] > 4 * c for i, c in enumerate(columns) if i != column)
        key = KEYPAD[row * 4 + column] if strong and clear else None
        if key and key != previous:
            digits.append(key)
        previous = key
    return "".join(digits)


def levels(packets) -> list[list[int]]:
    """[epoch ms of the bucket's start, peak sample, packets] per LEVEL_BUCKET_MS of PCMU
    arrivals; the monotonic arrival times are moved onto the wall clock the scenario reads."""
    to_epoch_ms = (time.time() - time.monotonic()) * 1000
    buckets: dict[int, list[int]] = {}
    for packet in (p for p in packets if p.pt == PCMU):
        start = int((packet.arrival * 1000 + to_epoch_ms) // LEVEL_BUCKET_MS) * LEVEL_BUCKET_MS
        peak = max((abs(x) for x in samples_of(ulaw_decode(packet.payload))), default=0)
        bucket = buckets.setdefault(start, [start, 0, 0])
        bucket[1], bucket[2] = max(bucket[1], peak), bucket[2] + 1
    return [buckets[start] for start in sorted(buckets)]


def decrypted(packets, srtp: SrtpStream) -> list[Packet]:
    """The packets whose SRTP tag verifies, decrypted, in arrival order (so that the rollover
    counter follows the stream as a phone's would)."""
    plain = []
    for p in sorted(packets, key=lambda p: p.arrival):
        data = srtp.unprotect(p.data)
        if data is not None:
            plain.append(Packet(data, p.source, p.arrival))
    return plain


def hears(rtp: RtpPeer, frequency: float, since: float,
          arrived: list[Packet] | None = None) -> tuple[int, float]:
    """Packets that arrived after `since` and the amplitude of `frequency` in them (`arrived`:
    the packets to judge instead of what `rtp` recorded, e.g. those an SRTP call decrypted)."""
    arrived = rtp.packets(PCMU) if arrived is None else arrived
    packets = sorted((p for p in arrived if p.pt == PCMU and p.arrival >= since),
                     key=lambda p: p.seq)
    samples = samples_of(b"".join(ulaw_decode(p.payload) for p in packets))
    return len(packets), (goertzel_amplitude(samples, 8000, frequency) if samples else 0.0)


def answer_call(ua: SipUA, rtp: RtpPeer, timeout: float):
    """Answers the next INVITE with PCMU (+ telephone-event when offered); returns the callee's
    dialog, the INVITE, where to send RTP and the event payload type agreed (or None)."""
    invite, addr = ua.recv(timeout, is_request("INVITE"))
    event_pt = telephone_event_pt(invite.body)
    tag = secrets.token_hex(4)
    ua.send(response_to(invite, 180, "Ringing", tag), addr)
    ua.send(response_to(invite, 200, "OK", tag, ua.contact_uri(), sdp(rtp.port, event_pt)), addr)
    ua.recv(5.0, is_request("ACK"))
    dialog = Dialog(ua, invite.header("Call-ID"), f"{invite.header('To')};tag={tag}",
                    invite.header("From"), uri_in(invite.header("Contact")), 0)
    return dialog, invite, relay_address(invite.body), event_pt


def registered(server, user: str, args) -> SipUA:
    ua = SipUA(server, user, args.domain, args.password)
    reply = ua.register(expires=300)
    if reply.status != 200:
        ua.close()
        raise HarnessError(f"{user} REGISTER answered {reply.status}")
    return ua


def mode_answer(server, args) -> dict:
    ua = registered(server, args.user, args)
    rtp = RtpPeer()
    sender = None
    try:
        emit("registered", user=args.user)
        _, invite, relay, event_pt = answer_call(ua, rtp, CALL_WAIT_S)
        emit("answered", caller=invite.header("From"), telephone_event=event_pt)
        sender = ToneSender(rtp, relay, 1000.0)
        sender.start()
        bye, addr = ua.recv(CALL_LENGTH_S, is_request("BYE"))
        ua.send(response_to(bye, 200, "OK", ""), addr)
        time.sleep(0.1)
        packets = rtp.packets()
        events = event_digits(packets, event_pt) if event_pt is not None else ""
        durations = event_durations_ms(packets, event_pt) if event_pt is not None else []
        return {"ok": True, "problems": [], "event_digits": events, "event_ms": durations,
                "tone_digits": tone_digits(packets), "packets": len(packets),
                "levels": levels(packets),
                "event_packets": sum(1 for p in packets if p.pt == event_pt),
                "payload_types": sorted({p.pt for p in packets})}
    finally:
        if sender:
            sender.stop()
        rtp.close()
        ua.close()


def place_call(ua: SipUA, callee: str, domain: str, rtp: RtpPeer,
               crypto: str | None = None) -> Caller:
    caller = Caller(ua, callee, sdp(rtp.port, 101, crypto))
    caller.uri = f"sip:{callee}@{domain}"
    caller.start()
    emit("calling", callee=callee)
    return caller


def answered_call(ua: SipUA, callee: str, domain: str, rtp: RtpPeer, who: str,
                  crypto: str | None = None):
    """Calls `callee`, which must answer 200 (else HarnessError naming `who`); ACKs it and
    returns the caller and its 200."""
    caller = place_call(ua, callee, domain, rtp, crypto)
    final = caller.final(CALL_WAIT_S)
    if final.status != 200:
        raise HarnessError(f"{who} answered {final.status}")
    caller.ack_2xx(final)
    return caller, final


def mode_refused(server, args) -> dict:
    ua = registered(server, args.caller, args)
    rtp = RtpPeer()
    try:
        emit("registered", user=args.caller)
        caller = place_call(ua, args.callee, args.domain, rtp)
        final = caller.final(CALL_WAIT_S)
        problems = [] if final.status == args.status else [
            f"the browser answered the call {final.status}, expected {args.status}"]
        if final.status == 200:
            caller.ack_2xx(final)
            caller.in_dialog("BYE", final, caller.cseq + 1)
        return {"ok": not problems, "problems": problems, "status": final.status}
    finally:
        rtp.close()
        ua.close()


def mode_message(server, args) -> dict:
    """The caller reaches the callee's voicemail (the scenario forwards it there), waits out the
    greeting and leaves MESSAGE_S of a 700 Hz tone, then hangs up."""
    ua = registered(server, args.caller, args)
    rtp = RtpPeer()
    try:
        caller, final = answered_call(ua, args.callee, args.domain, rtp, "the voicemail")
        relay = relay_address(final.body)
        time.sleep(0.8)  # the greeting's beep
        frames = [ulaw_encode(tone(700.0, AMPLITUDE, 8000, 160, i * 160))
                  for i in range(int(MESSAGE_S * 50))]
        rtp.send_frames(relay, PCMU, frames, 160)
        caller.in_dialog("BYE", final, caller.cseq + 1)
        bye = ua.final_response("BYE", 3.0)
        problems = [] if bye.status == 200 else [f"BYE answered {bye.status}"]
        return {"ok": not problems, "problems": problems, "seconds": MESSAGE_S}
    finally:
        rtp.close()
        ua.close()


def mode_transfer(server, args) -> dict:
    transferee = registered(server, args.caller, args)
    target = registered(server, args.target, args)
    transferee_rtp, target_rtp = RtpPeer(), RtpPeer()
    senders: list[ToneSender] = []
    problems: list[str] = []
    try:
        emit("registered", user=args.caller, target=args.target)
        caller = place_call(transferee, args.callee, args.domain, transferee_rtp)
        answer = caller.final(CALL_WAIT_S)
        if answer.status != 200:
            raise HarnessError(f"the browser answered {answer.status}, expected 200")
        caller.ack_2xx(answer)
        emit("answered", by=answer.header("To"))
        senders.append(ToneSender(transferee_rtp, relay_address(answer.body), 1000.0))
        senders[-1].start()

        _, invite, relay, _ = answer_call(target, target_rtp, CALL_WAIT_S)
        answered_at = time.monotonic()
        emit("target-answered", caller=invite.header("From"),
             referred_by=invite.header("Referred-By") or "")
        if f"sip:{args.caller}@" not in (invite.header("From") or ""):
            problems.append(f"{args.target} was called from {invite.header('From')!r}, expected "
                            f"the transferee {args.caller}")
        if f"sip:{args.callee}@" not in (invite.header("Referred-By") or ""):
            problems.append(f"Referred-By is {invite.header('Referred-By')!r}, expected the "
                            f"browser {args.callee}")
        senders.append(ToneSender(target_rtp, relay, 1500.0))
        senders[-1].start()
        time.sleep(TALK_S)
        # Skip the first 0.5 s: the relay re-points and latches the new leg.
        heard = judge_talk(problems, [
            ("target", target_rtp, 1000.0, answered_at + 0.5),
            ("transferee", transferee_rtp, 1500.0, answered_at + 0.5)])
        emit("talked", **heard)
        caller.in_dialog("BYE", answer, caller.cseq + 1)
        bye_answer = transferee.final_response("BYE", 5.0)
        if bye_answer.status != 200:
            problems.append(f"the transferee's BYE got {bye_answer.status}")
        bye, addr = target.recv(5.0, is_request("BYE"))
        target.send(response_to(bye, 200, "OK", ""), addr)
        return {"ok": not problems, "problems": problems, **heard}
    finally:
        for sender in senders:
            sender.stop()
        transferee_rtp.close()
        target_rtp.close()
        transferee.close()
        target.close()


def answered_keys(answer: bytes, offered_key: bytes) -> SrtpStream:
    """The SRTP stream Parley's SDES answer keys (RFC 4568 §6.1: one a=crypto line under the
    offer's tag and suite, with a key of the answerer's own); HarnessError otherwise."""
    text = answer.decode(errors="replace")
    profile = re.search(r"^m=audio \d+ (\S+)", text, re.M)
    lines = re.findall(r"^a=crypto:(\d+) (\S+) (\S+)", text, re.M)
    if not profile or profile.group(1) != "RTP/SAVP":
        raise HarnessError(f"the answer's audio profile is {profile and profile.group(1)}, "
                           "expected RTP/SAVP")
    if len(lines) != 1 or lines[0][:2] != ("1", SUITE):
        raise HarnessError(f"the answer's a=crypto lines are {lines}, expected one: 1 {SUITE}")
    key, salt = parse_inline(lines[0][2])
    if key == offered_key:
        raise HarnessError("Parley answered with the phone's own master key")
    return SrtpStream(key, salt)


def judge_talk(problems: list[str], listeners) -> dict:
    """listeners: (who, rtp, frequency it must hear, since): packets and Goertzel level of each;
    a problem for too few packets or a level far from what was sent."""
    heard = {}
    for who, rtp, frequency, since in listeners:
        packets, level = hears(rtp, frequency, since)
        heard[f"{who}_packets"], heard[f"{who}_{frequency:.0f}hz"] = packets, round(level)
        if packets < 25:
            problems.append(f"{who} got {packets} RTP packets in {TALK_S - 0.5:.1f} s, "
                            f"expected about 50")
        elif not AMPLITUDE * 0.7 <= level <= AMPLITUDE * 1.4:
            problems.append(f"{who} heard the other party's {frequency:.0f} Hz tone at amplitude "
                            f"{level:.0f}, sent {AMPLITUDE}")
    return heard


def consulted(target: SipUA, rtp: RtpPeer, who: str) -> Line:
    """Answers the browser's consultation call at `target` and starts its 1.5 kHz tone."""
    dialog, invite, relay, _ = answer_call(target, rtp, CALL_WAIT_S)
    line = Line(target, dialog.call_id, rtp, relay, 1500.0, lambda: dialog.send("BYE"))
    line.start()
    emit("consulted", user=who, caller=invite.header("From"))
    return line


def mode_attended(server, args) -> dict:
    transferee = registered(server, args.caller, args)
    target = registered(server, args.target, args)
    transferee_rtp, target_rtp = RtpPeer(), RtpPeer()
    lines: list[Line] = []
    problems: list[str] = []
    try:
        emit("registered", user=args.caller, target=args.target)
        caller = place_call(transferee, args.callee, args.domain, transferee_rtp)
        answer = caller.final(CALL_WAIT_S)
        if answer.status != 200:
            raise HarnessError(f"the browser answered {answer.status}, expected 200")
        caller.ack_2xx(answer)
        first = Line(transferee, caller.call_id, transferee_rtp, relay_address(answer.body), 1000.0,
                     lambda: caller.in_dialog("BYE", answer, caller.cseq + 1))
        first.start()
        lines.append(first)
        emit("answered", by=answer.header("To"))

        rounds = args.rounds.split(",")
        if rounds[-1] != "transfer" or "transfer" in rounds[:-1] or \
                not set(rounds) <= {"cancel", "elsewhere", "transfer"}:
            raise HarnessError(f"--rounds {args.rounds}: cancel or elsewhere, then transfer")
        for number, kind in enumerate(rounds, 1):
            first.wait_for(lambda: first.held, CALL_LENGTH_S,
                           f"{args.caller} was not put on hold for round {number}")
            emit("held", round=number)
            if kind in ("cancel", "transfer"):
                consultation = consulted(target, target_rtp, args.target)
                lines.append(consultation)
            if kind == "cancel":
                consultation.wait_for(lambda: consultation.ended.is_set(), CALL_LENGTH_S,
                                      "the cancelled consultation was not hung up")
            if kind == "transfer":
                break
            first.wait_for(lambda: len(first.resumes) == number, CALL_LENGTH_S,
                           f"{args.caller} was not taken off hold after round {number}")
            emit("resumed", round=number)
        # The transfer: Parley's re-INVITE joins 1002 to 1003 and takes it off hold.
        first.wait_for(lambda: len(first.resumes) == len(rounds) or first.ended.is_set(),
                       CALL_LENGTH_S, f"{args.caller} was never taken off hold by the transfer")
        if first.ended.is_set():
            raise HarnessError(f"{args.caller}'s call ended instead of being transferred")
        joined_at = first.resumes[-1]
        emit("joined")
        time.sleep(TALK_S)
        if consultation.ended.is_set():
            problems.append(f"{args.target}'s call ended with the transfer")
        # Skip the first 0.5 s: the relay re-points and latches the joined leg.
        heard = judge_talk(problems, [
            ("target", target_rtp, 1000.0, joined_at + 0.5),
            ("transferee", transferee_rtp, 1500.0, joined_at + 0.5)])
        emit("talked", **heard)
        status = first.hang_up()
        if status != 200:
            problems.append(f"the transferee's BYE got {status or 'no answer'}")
        if not consultation.ended.wait(5.0) or not consultation.ended_by_peer:
            problems.append(f"{args.target} got no BYE after {args.caller} hung up")
        problems += [p for line in lines for p in line.problems]
        return {"ok": not problems, "problems": problems, **heard}
    finally:
        for line in lines:
            line.finish(by_peer=False)
            line.join(1.0)
        transferee_rtp.close()
        target_rtp.close()
        transferee.close()
        target.close()


def mode_talk(server, args) -> dict:
    ua = SipUA(server, args.user, args.domain, args.password)
    rtp = RtpPeer()
    sender = None
    sending = receiving = crypto = None
    if args.sdes:
        key, salt = new_master()
        sending = SrtpStream(key, salt)
        crypto = f"1 {SUITE} {inline_key(key, salt)}"
    try:
        caller, final = answered_call(ua, args.number, args.domain, rtp, args.number, crypto)
        answered_at = time.monotonic()
        if args.sdes:
            receiving = answered_keys(final.body, key)
        emit("answered", number=args.number, srtp=bool(args.sdes))
        sender = ToneSender(rtp, relay_address(final.body), args.send, sending)
        sender.start()
        time.sleep(args.seconds)
        arrived = None if receiving is None else decrypted(rtp.packets(), receiving)
        packets, level = hears(rtp, args.listen, answered_at + 1.0, arrived)
        _, own = hears(rtp, args.send, answered_at + 1.0, arrived)
        heard = {"packets": packets, "heard": round(level), "own": round(own)}
        if receiving is not None:
            heard["srtp_failed"] = receiving.failed
        emit("talked", **heard)
        problems = []
        if receiving is not None and receiving.failed:
            problems.append(f"{receiving.failed} of the SRTP packets Parley sent {args.user} "
                            "failed authentication")
        if packets < 25 * (args.seconds - 1):
            problems.append(f"{args.user} got {packets} RTP packets in {args.seconds - 1:.0f} s")
        elif level < MIN_HEARD:
            problems.append(f"{args.user} heard {args.listen:.0f} Hz at amplitude {level:.0f}, "
                            f"expected at least {MIN_HEARD}")
        elif own > MAX_OWN * level:
            problems.append(f"{args.user} hears its own {args.send:.0f} Hz at {own:.0f} "
                            f"(the far end's {args.listen:.0f} Hz at {level:.0f})")
        caller.in_dialog("BYE", final, caller.cseq + 1)
        bye = ua.final_response("BYE", 3.0)
        if bye.status != 200:
            problems.append(f"BYE answered {bye.status}")
        return {"ok": not problems, "problems": problems, **heard}
    finally:
        if sender:
            sender.stop()
        rtp.close()
        ua.close()


def mode_ring(server, args) -> dict:
    ua = registered(server, args.user, args)
    try:
        emit("registered", user=args.user)
        invite, source = ua.recv(CALL_WAIT_S, is_request("INVITE"))
        tag = secrets.token_hex(4)
        ua.send(response_to(invite, 180, "Ringing", tag), source)
        emit("ringing", caller=invite.header("From"))
        call_id = invite.header("Call-ID")
        cancel, cancel_source = ua.recv(
            CALL_WAIT_S, lambda m: is_request("CANCEL")(m) and m.header("Call-ID") == call_id)
        ua.send(response_to(cancel, 200, "OK", tag), cancel_source)
        ua.send(response_to(invite, 487, "Request Terminated", tag), source)
        reason = cancel.header("Reason") or ""
        problems = [] if "completed elsewhere" in reason.lower() else [
            f"the CANCEL's Reason is {reason!r}, expected 'Call completed elsewhere'"]
        return {"ok": not problems, "problems": problems, "reason": reason}
    finally:
        ua.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True, help="the server's SIP UDP HOST:PORT")
    parser.add_argument("--domain", required=True)
    parser.add_argument("--password", required=True, help="password of every extension used")
    modes = parser.add_subparsers(dest="mode", required=True)
    answer = modes.add_parser("answer")
    answer.add_argument("--user", required=True)
    for name in ("transfer", "attended", "refused", "message"):
        mode = modes.add_parser(name)
        mode.add_argument("--caller", required=True)
        mode.add_argument("--callee", required=True)
    talk = modes.add_parser("talk")
    talk.add_argument("--user", required=True)
    talk.add_argument("--number", required=True)
    talk.add_argument("--send", type=float, required=True)
    talk.add_argument("--listen", type=float, required=True)
    talk.add_argument("--seconds", type=float, default=4.0)
    talk.add_argument("--sdes", action="store_true",
                      help="offer SRTP (RTP/SAVP, one a=crypto line, RFC 4568) and speak it")
    modes.add_parser("ring").add_argument("--user", required=True)
    modes.choices["transfer"].add_argument("--target", required=True)
    modes.choices["attended"].add_argument("--target", required=True)
    modes.choices["attended"].add_argument(
        "--rounds", default="cancel,elsewhere,transfer",
        help="what the browser does with 1002 on hold, in order: cancel (consults 1003, hangs "
             "up), elsewhere (consults someone else, resumes), transfer (consults 1003, "
             "completes; last)")
    modes.choices["refused"].add_argument("--status", type=int, default=480)
    args = parser.parse_args()
    host, _, port = args.server.rpartition(":")
    server = (host, int(port))
    run = {"answer": mode_answer, "transfer": mode_transfer, "attended": mode_attended,
           "refused": mode_refused,
           "message": mode_message, "talk": mode_talk, "ring": mode_ring}[args.mode]
    try:
        result = run(server, args)
    except HarnessError as error:
        result = {"ok": False, "problems": [str(error)]}
    emit("done", **result)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
