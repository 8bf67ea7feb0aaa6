#!/usr/bin/env python3
"""DTMF translation through `parley serve` when only one leg negotiated telephone-event.

The caller (1001) offers PCMU and telephone-event/8000 (type 101); the callee (1002) answers
PCMU alone. Both sides send paced 20 ms RTP in real time on loopback.

1. Events to tones: the caller presses 1 5 9 # as a phone does (RFC 4733 packets every 20 ms
   instead of audio, three end packets) with known durations; the callee's PCMU, laid out by RTP
   timestamp and judged by Goertzel, holds those tone pairs in order, each lasting its event's
   duration within 20 ms.
2. Tones to events: the callee plays 1 5 9 # as in-band tones; the caller gets RFC 4733 events
   of its type 101 with the same digits in order, one timestamp per digit, a marked first packet,
   three end packets and a final duration within 40 ms of the tone's.
3. Offer: a caller without telephone-event has telephone-event/8000 offered to the callee.
"""

import math
import os
import struct
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from media_peer import goertzel_amplitude, rtp_header, samples_of, ulaw_decode, ulaw_encode  # noqa: E402
from media_test import PASSWORDS, Call  # noqa: E402
from parley_harness import ParleyServer, report, run_main  # noqa: E402
from pbx_scenario import (checker, finish, media_config, provisioned, registered,  # noqa: E402
                          run_scenarios, script_arguments)

ROWS = (697.0, 770.0, 852.0, 941.0)
COLUMNS = (1209.0, 1336.0, 1477.0, 1633.0)
KEYS = "123A456B789C*0#D"  # row-major keypad
EVENT_OF = {c: i for i, c in enumerate("0123456789*#ABCD")}
DIGITS = [("1", 120), ("5", 200), ("9", 160), ("#", 100)]  # digit, ms
GAP_MS = 120
SILENCE = ulaw_encode(b"\x00\x00" * 160)
problems, check = checker()


def pair_of(digit: str) -> tuple[float, float]:
    index = KEYS.index(digit)
    return ROWS[index // 4], COLUMNS[index % 4]


def dtmf_pcm(digit: str, count: int, amplitude: float = 5000.0) -> bytes:
    row, column = pair_of(digit)
    return b"".join(struct.pack("<h", int(amplitude * (math.sin(2 * math.pi * row * n / 8000) +
                                                       math.sin(2 * math.pi * column * n / 8000))))
                    for n in range(count))


class Pacer:
    """Sends one packet every 20 ms of real time."""

    def __init__(self, sock, to):
        self.sock, self.to, self.start, self.sent = sock, to, time.monotonic(), 0

    def send(self, data: bytes):
        self.sock.sendto(data, self.to)
        self.sent += 1
        delay = self.start + self.sent * 0.02 - time.monotonic()
        if delay > 0:
            time.sleep(delay)


def timeline(packets, pt: int) -> list[int]:
    """The received PCMU laid out by RTP timestamp (gaps as silence)."""
    audio = sorted((p for p in packets if p.pt == pt), key=lambda p: p.seq)
    if not audio:
        return []
    base = audio[0].ts
    out = [0] * ((audio[-1].ts - base) + 160)
    for p in audio:
        at = (p.ts - base) & 0xFFFFFFFF
        if at + len(p.payload) <= len(out):
            out[at:at + len(p.payload)] = samples_of(ulaw_decode(p.payload))
    return out


def tone_segments(samples: list[int]) -> list[tuple[str, float]]:
    """Digits heard (Goertzel on 20 ms windows) with durations from a 5 ms energy envelope."""
    found = []
    window, hop = 160, 40
    start = None
    current = None
    for at in range(0, len(samples) - window, hop):
        block = samples[at:at + window]
        rows = [goertzel_amplitude(block, 8000, f) for f in ROWS]
        columns = [goertzel_amplitude(block, 8000, f) for f in COLUMNS]
        r, c = max(range(4), key=rows.__getitem__), max(range(4), key=columns.__getitem__)
        clear = all(rows[r] > 3 * x for i, x in enumerate(rows) if i != r) and \
            all(columns[c] > 3 * x for i, x in enumerate(columns) if i != c)
        digit = KEYS[r * 4 + c] if clear and rows[r] > 1000 and columns[c] > 1000 else None
        if digit != current:
            if current is not None:
                found.append((current, start, at + window))
            current, start = digit, at
    segments = []
    for digit, begin, end in found:
        # Exact edges: 5 ms chunks around the detected span whose energy is tone-like.
        chunk = 40
        lo, hi = max(begin - window, 0), min(end + window, len(samples))
        energies = [math.sqrt(sum(x * x for x in samples[i:i + chunk]) / chunk)
                    for i in range(lo, hi - chunk + 1, chunk)]
        peak = max(energies)
        on = [e > 0.5 * peak for e in energies]
        segments.append((digit, sum(on) * chunk / 8.0))
    return segments


def scenario_events_to_tones(server, callee_ua):
    call = Call(server, callee_ua, [(0, "PCMU/8000"), (101, "telephone-event/8000")],
                [(0, "PCMU/8000")])
    try:
        answer_pts = call.caller_answer.pts
        check(101 in answer_pts and call.caller_answer.rtpmap.get(101, "").lower().startswith(
            "telephone-event"), f"caller's answer lacks telephone-event 101: {call.caller_answer.text}")
        pacer = Pacer(call.caller_rtp.sock, call.to_relay_from_caller)
        seq, ts, ssrc = 100, 16000, 0x5151

        def audio(frames):
            nonlocal seq, ts
            for _ in range(frames):
                pacer.send(rtp_header(0, seq, ts, ssrc) + SILENCE)
                seq, ts = seq + 1, ts + 160

        audio(10)
        for digit, ms in DIGITS:
            event, start, frames = EVENT_OF[digit], ts, ms // 20
            for i in range(frames):
                payload = bytes([event, 10]) + ((i + 1) * 160).to_bytes(2, "big")
                pacer.send(rtp_header(101, seq, start, ssrc, i == 0) + payload)
                seq += 1
            for _ in range(3):
                pacer.send(rtp_header(101, seq, start, ssrc) + bytes([event, 0x80 | 10]) +
                           (frames * 160).to_bytes(2, "big"))
                seq += 1
            ts = start + (frames + 3) * 160
            audio(GAP_MS // 20)
        audio(10)
        time.sleep(0.3)
        check(call.callee_rtp.packets(101) == [], "events reached the callee, which has none")
        heard = tone_segments(timeline(call.callee_rtp.packets(), 0))
        digits = "".join(d for d, _ in heard)
        check(digits == "159#", f"callee heard tones {heard}, expected 1 5 9 #")
        for (digit, ms), (_, got) in zip(DIGITS, heard):
            check(abs(got - ms) <= 20, f"tone {digit} lasted {got:.0f} ms, expected {ms} ± 20")
    finally:
        call.hang_up()


def scenario_tones_to_events(server, callee_ua):
    call = Call(server, callee_ua, [(0, "PCMU/8000"), (101, "telephone-event/8000")],
                [(0, "PCMU/8000")])
    try:
        pcm = b"\x00\x00" * 160 * 10
        for digit, ms in DIGITS:
            pcm += dtmf_pcm(digit, ms * 8) + b"\x00\x00" * GAP_MS * 8
        pcm += b"\x00\x00" * 160 * 10
        payloads = [ulaw_encode(pcm[i:i + 320]) for i in range(0, len(pcm) - 319, 320)]
        call.callee_rtp.send_frames(call.to_relay_from_callee, 0, payloads, 160)
        time.sleep(0.3)
        events = call.caller_rtp.packets(101)
        by_ts: dict[int, list] = {}
        for p in events:
            by_ts.setdefault(p.ts, []).append(p)
        order = sorted(by_ts, key=lambda t: min(p.seq for p in by_ts[t]))
        digits = "".join("0123456789*#ABCD"[by_ts[t][0].payload[0]] for t in order)
        check(digits == "159#", f"caller got events for {digits!r}, expected '159#'")
        for (digit, ms), t in zip(DIGITS, order):
            group = sorted(by_ts[t], key=lambda p: p.seq)
            ends = [p for p in group if p.payload[1] & 0x80]
            check(group[0].marker, f"first event packet of {digit} lacks the marker")
            check(len(ends) == 3, f"{digit}: {len(ends)} end packets, expected 3")
            check(len({p.payload[0] for p in group}) == 1, f"{digit}: mixed events in one timestamp")
            if ends:
                duration = int.from_bytes(ends[-1].payload[2:4], "big") / 8
                check(abs(duration - ms) <= 40, f"{digit}: event lasted {duration} ms, expected {ms}")
            volume = group[0].payload[1] & 0x3F
            check(0 < volume < 20, f"{digit}: volume {volume} is not the tone's level")
        audio = call.caller_rtp.packets(0)
        check(len(audio) >= len(payloads) - 5, f"caller got {len(audio)} audio packets of "
              f"{len(payloads)}: the audio must still flow")
    finally:
        call.hang_up()


def scenario_offer(server, callee_ua):
    call = Call(server, callee_ua, [(0, "PCMU/8000")], [(0, "PCMU/8000")])
    try:
        offered = call.callee_offer.pt_of("telephone-event")
        check(offered is not None, f"callee was not offered telephone-event: {call.callee_offer.text}")
    finally:
        call.hang_up()


def main():
    args = script_arguments()
    with provisioned(args.parley, "parley-dtmf-", PASSWORDS) as (tmp, data):
        config = media_config(tmp, 33000, 33999)
        with ParleyServer(args.parley, data_dir=data, args=["--config", config]) as server:
            callee = registered(server, "1002", PASSWORDS, check)
            run_scenarios([("events to tones", scenario_events_to_tones),
                           ("tones to events", scenario_tones_to_events),
                           ("telephone-event offered", scenario_offer)], check, server, callee)
            callee.close()
            finish(server, problems, check)
    return report(problems, "DTMF is translated between events and tones")


if __name__ == "__main__":
    run_main(main)
