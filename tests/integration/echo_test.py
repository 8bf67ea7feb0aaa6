#!/usr/bin/env python3
"""The echo test (*43) answered by `parley serve` itself, judged by ear (loopback).

A registered extension (1001) dials *43 with a real RTP socket; Parley answers (no phone
rings) and plays back what it hears through its LocalEndpoint.

1. PCMU: the answer picks PCMU and keeps telephone-event; Parley's stream runs on its own 20 ms
   clock (silence before anything is sent); a 700 Hz tone sent for 1.5 s comes back as 700 Hz at
   its level (Goertzel), and a 1,100 Hz tone sent afterwards replaces it. The caller's BYE ends
   the call.
2. Opus: an offer of PCMA, PCMU and Opus is answered with Opus; the 700 Hz tone comes back in
   Opus. Pressing # (RFC 4733) makes Parley hang up: the caller gets a BYE.
3. The call records name *43 as the callee of two answered calls, the second hung up by Parley.

Parley's RTP ports are 39000-39499 and the test peer's 39500-39999 (no other test uses them).
"""

import os
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from call_client import DOMAIN, Caller, answer_bye  # noqa: E402
from media_peer import (Opus, RtpPeer, goertzel_amplitude, pcmu_frames,  # noqa: E402
                        pcmu_samples, rms, samples_of, tone)
from media_test import Sdp, make_sdp  # noqa: E402
from parley_harness import HarnessError, ParleyServer, report, run_main  # noqa: E402
from pbx_scenario import (call_records, checker, finish, media_config, provisioned,  # noqa: E402
                          registered, run_scenarios, script_arguments)
from sip_client import SipUA  # noqa: E402

PASSWORDS = {"1001": "pw-1001-secret"}
PEER_PORTS = range(39500, 40000, 2)
AMPLITUDE = 8000
problems, check = checker()


def level(samples: list[int], rate: int, frequency: float) -> float:
    return goertzel_amplitude(samples, rate, frequency)


def judge(what: str, samples: list[int], rate: int, frequency: float, other: float):
    if not check(len(samples) >= rate // 4, f"{what}: only {len(samples)} samples came back"):
        return
    heard = level(samples, rate, frequency)
    wrong = level(samples, rate, other)
    purity = heard / (rms(samples) * 2 ** 0.5 + 1e-9)
    print(f"  {what}: {frequency:.0f} Hz at {heard:.0f} (sent {AMPLITUDE}), {other:.0f} Hz at "
          f"{wrong:.0f}, purity {purity:.2f}", flush=True)
    check(AMPLITUDE * 0.7 <= heard <= AMPLITUDE * 1.3,
          f"{what}: {frequency:.0f} Hz came back at {heard:.0f}, sent {AMPLITUDE}")
    check(wrong < heard * 0.1, f"{what}: {other:.0f} Hz at {wrong:.0f} beside {heard:.0f}")
    check(purity > 0.85, f"{what}: the tone is only {purity:.2f} of what came back")


def dial_echo(server, formats):
    peer = RtpPeer(ports=PEER_PORTS)
    ua = SipUA(server.udp, "1001", DOMAIN, PASSWORDS["1001"])
    caller = Caller(ua, "*43", make_sdp(peer.port, formats))
    try:
        ok = caller.connect("*43 answered")
    except HarnessError:
        peer.close()
        ua.close()
        raise
    return peer, ua, caller, ok


def send_tone(peer, to, codec, frequency, frames, seq, ts):
    if codec == "opus":
        opus = Opus()
        payloads = [opus.encode(tone(frequency, AMPLITUDE, 48000, 960, i * 960))
                    for i in range(frames)]
        peer.send_frames(to, 111, payloads, 960, seq=seq, ts=ts)
    else:
        peer.send_frames(to, 0, pcmu_frames(frequency, AMPLITUDE, frames), 160, seq=seq, ts=ts)


def scenario_pcmu(server):
    peer, ua, caller, ok = dial_echo(server, [(0, "PCMU/8000"), (101, "telephone-event/8000")])
    try:
        answer = Sdp(ok.body)
        check(answer.pts == [0, 101], f"answer offers {answer.pts}, expected [0, 101]")
        check(39000 <= answer.port <= 39499, f"RTP port {answer.port} outside 39000-39499")
        to = (answer.ip, answer.port)
        time.sleep(0.5)
        before = peer.packets(0)
        check(20 <= len(before) <= 30, f"{len(before)} packets in the first 0.5 s, expected ~25 "
                                       "(Parley's own 20 ms clock)")
        check(all(abs(s) < 50 for s in pcmu_samples(before)), "Parley sent sound before any came")
        peer.clear()
        send_tone(peer, to, "PCMU", 700.0, 75, seq=1000, ts=8000)
        time.sleep(0.15)
        first = pcmu_samples(peer.packets(0))
        judge("PCMU 700 Hz", first[-8000 // 2 - 1600:-1600], 8000, 700.0, 1100.0)
        peer.clear()
        send_tone(peer, to, "PCMU", 1100.0, 40, seq=1075, ts=8000 + 75 * 160)
        time.sleep(0.15)
        second = pcmu_samples(peer.packets(0))
        judge("PCMU 1100 Hz", second[-4000 - 1600:-1600], 8000, 1100.0, 700.0)
        sources = {p.source for p in peer.packets()}
        check(sources == {to}, f"RTP came from {sources}, expected only {to}")
        check(caller.hang_up(ok) == 200, "BYE to *43 not answered 200")
    finally:
        peer.close()
        ua.close()


def scenario_opus_and_hash(server):
    peer, ua, caller, ok = dial_echo(server, [(8, "PCMA/8000"), (0, "PCMU/8000"),
                                              (111, "opus/48000/2"),
                                              (101, "telephone-event/8000")])
    try:
        answer = Sdp(ok.body)
        check(answer.pts == [111, 101], f"answer offers {answer.pts}, expected Opus and events")
        to = (answer.ip, answer.port)
        send_tone(peer, to, "opus", 700.0, 60, seq=1, ts=48000)
        time.sleep(0.15)
        opus = Opus()
        ordered = sorted(peer.packets(111), key=lambda p: p.seq)
        track = samples_of(b"".join(opus.decode(p.payload) for p in ordered))
        judge("Opus 700 Hz", track[-48000 // 2 - 9600:-9600], 48000, 700.0, 1100.0)
        # '#' (event 11): three updates, three end packets, as a phone sends it.
        peer.send_event(to, 11, ts=48000 * 3, seq=200, ssrc=0x1234, end_duration=480)
        try:
            answer_bye(ua)
        except HarnessError as e:
            check(False, f"# did not end the echo test: {e}")
    finally:
        peer.close()
        ua.close()


def main():
    args = script_arguments()
    with provisioned(args.parley, "parley-echo-", PASSWORDS) as (tmp, data):
        config = media_config(tmp, 39000, 39499)
        with ParleyServer(args.parley, data_dir=data, args=["--config", config]) as server:
            registered(server, "1001", PASSWORDS, check).close()
            run_scenarios([("PCMU echo, caller hangs up", scenario_pcmu),
                           ("Opus echo, # hangs up", scenario_opus_and_hash)], check, server)
            time.sleep(0.5)  # call records are written asynchronously
            finish(server, problems, check)
        print("- call records", flush=True)
        rows = call_records(data, "caller, callee, disposition, hangup_side")
        print("  " + "\n  ".join(map(str, rows)))
        check(rows == [("1001", "*43", "answered", "caller"), ("1001", "*43", "answered", "callee")],
              f"call records {rows}, expected two answered *43 calls (caller, then Parley hung up)")
    return report(problems, "the echo test answers *43 and plays the caller back")


if __name__ == "__main__":
    run_main(main)
