#!/usr/bin/env python3
"""Call park and retrieve through `parley serve` (issue 6, decision 0030).

Python user agents with RTP peers on loopback; park timeout 4 s:

1. Park and retrieve: 1001 calls 1002; 1002 parks the call as a desk phone does (blind REFER to
   the park code 700) → 202, NOTIFY "100" (active), NOTIFY "200 Parked at 701" (terminated), BYE.
   1001 is re-INVITEd to Parley's media and hears music (energy). 1003 dials 701 and is answered;
   1001 and 1003 hear each other's tones (Goertzel). 1003 hangs up: 1001 gets BYE.
2. The caller parks: 1001 REFERs its call with 1002 to slot 702; 1004 retrieves it and talks to
   1002; 1002 hanging up ends 1004's call.
3. Refusals and races: dialling an empty slot → 404; dialling the park code → 403; 1002 parks a
   call in slot 703 by number; a second call REFERred to the taken 703 → 486 (the transferor
   keeps its call); 1003 and 1004 dial 703 at the same moment → exactly one is answered, the
   other gets 404. The parked caller hanging up frees the slot (the winner gets BYE).
4. Timeout: a call parked and not retrieved rings its parker (1002) back after the timeout;
   1002 answers and hears 1001's tone again, 1001 hears 1002's.
"""

import os
import secrets
import sys
import threading
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from call_client import DOMAIN, Caller, answer_bye, is_request, response_to  # noqa: E402
from media_peer import RtpPeer, goertzel_amplitude, pcmu_samples, rms  # noqa: E402
from media_test import Sdp, make_sdp  # noqa: E402
from parley_harness import HarnessError, ParleyServer, report, run_main  # noqa: E402
from pbx_scenario import (checker, finish, provisioned, registered, run_scenarios,  # noqa: E402
                          script_arguments, write_config)
from sip_client import SipUA  # noqa: E402
from transfer_test import Dialog, answered_call, uri_in  # noqa: E402

PASSWORDS = {"1001": "pw-1001-secret", "1002": "pw-1002-secret", "1003": "pw-1003-secret",
             "1004": "pw-1004-secret"}
PARLEY_PORTS = (50000, 50499)
PEER_PORTS = range(50500, 51000, 2)
PARK_TIMEOUT_S = 4
MUSIC_RMS = 200  # the built-in melody is far above this; silence is 0
TONE = 6000
HEARD = 2500  # Goertzel amplitude of the other party's tone, well above leakage
problems, check = checker()


def pcmu(port: int) -> bytes:
    return make_sdp(port, [(0, "PCMU/8000")])


def level(peer: RtpPeer, seconds: float) -> float:
    peer.clear()
    time.sleep(seconds)
    return rms(pcmu_samples(peer.packets(0)))


def expect_notify(ua, status_line: str, state: str) -> None:
    notify, addr = ua.recv(5.0, is_request("NOTIFY"))
    ua.send(response_to(notify, 200, "OK", ""), addr)
    body = notify.body.decode(errors="replace")
    check(body.startswith(status_line), f"NOTIFY body {body!r}, expected {status_line!r}")
    check((notify.header("Subscription-State") or "").startswith(state),
          f"NOTIFY Subscription-State {notify.header('Subscription-State')!r}, expected {state}")


def accept_reinvite(ua, peer: RtpPeer, timeout: float = 5.0):
    """Answers Parley's re-INVITE with PCMU at `peer`; returns where RTP must go now."""
    invite, addr = ua.recv(timeout, is_request("INVITE"))
    ua.send(response_to(invite, 200, "OK", "unused", ua.contact_uri(), pcmu(peer.port)), addr)
    ua.recv(3.0, is_request("ACK"))
    offer = Sdp(invite.body)
    return (offer.ip, offer.port)


def in_parley_range(where, what: str) -> None:
    check(PARLEY_PORTS[0] <= where[1] <= PARLEY_PORTS[1],
          f"{what}: RTP port {where[1]} outside {PARLEY_PORTS}")


def stop_tones(*peers: RtpPeer) -> None:
    for peer in peers:
        for sender in peer.tone_senders:
            sender.stop()


def hear_each_other(first: RtpPeer, first_to, second: RtpPeer, second_to, label: str) -> None:
    """`first` sends 600 Hz, `second` 900 Hz; each must hear the other's tone."""
    stop_tones(first, second)
    # Fresh streams (new SSRC, sequence and timestamp), as a phone's after a re-INVITE.
    first.start_tone(first_to, 600.0, TONE, ssrc=secrets.randbits(32), seq=secrets.randbits(15),
                     ts=secrets.randbits(30), max_frames=150)
    second.start_tone(second_to, 900.0, TONE, ssrc=secrets.randbits(32),
                      seq=secrets.randbits(15), ts=secrets.randbits(30), max_frames=150)
    time.sleep(0.6)
    first.clear()
    second.clear()
    time.sleep(1.2)
    first_heard = goertzel_amplitude(pcmu_samples(first.packets(0)), 8000, 900.0)
    second_heard = goertzel_amplitude(pcmu_samples(second.packets(0)), 8000, 600.0)
    print(f"  {label}: first hears 900 Hz at {first_heard:.0f}, second hears 600 Hz at "
          f"{second_heard:.0f}", flush=True)
    check(first_heard > HEARD, f"{label}: the first party does not hear the second "
                               f"({first_heard:.0f})")
    check(second_heard > HEARD, f"{label}: the second party does not hear the first "
                                f"({second_heard:.0f})")
    stop_tones(first, second)


class ParkedCall:
    """1001 calls 1002 (PCMU), then 1002 REFERs the call to `target` (with `by_caller`, 1001
    REFERs and 1002 is parked; `a_*` are always the parked party's)."""

    def __init__(self, server, b_ua, target: str, expect: int = 202, note: str = "",
                 by_caller: bool = False):
        self.a_rtp, self.b_rtp = RtpPeer(ports=PEER_PORTS), RtpPeer(ports=PEER_PORTS)
        self.a_ua = SipUA(server.udp, "1001", DOMAIN, PASSWORDS["1001"])
        self.b_ua = b_ua
        try:
            self.a, self.b, self.a_to, self.b_to = answered_call(
                self.a_ua, b_ua, "1002", pcmu(self.a_rtp.port), pcmu(self.b_rtp.port))
        except HarnessError:
            self.close()
            raise
        # 1001 talks from the start: latching and the media timeout want RTP.
        self.a_rtp.start_tone(self.a_to, 600.0, TONE, ssrc=0x1111, seq=10, ts=800,
                              max_frames=1500)
        if by_caller:
            # From here on the "a" side is the parked one: 1002.
            self.a, self.b = self.b, self.a
            self.a_ua, self.b_ua = b_ua, self.a_ua
            self.a_rtp, self.b_rtp = self.b_rtp, self.a_rtp
            self.a_to, self.b_to = self.b_to, self.a_to
        status = self.b.ask("REFER", [f"Refer-To: <sip:{target}@{DOMAIN}>"])
        check(status == expect, f"REFER to {target}: {status}, expected {expect}")
        if status != 202:
            return
        expect_notify(self.b_ua, "SIP/2.0 100", "active")
        expect_notify(self.b_ua, f"SIP/2.0 200 Parked at {note}", "terminated")
        answer_bye(self.b_ua, 5.0)
        self.a_to = accept_reinvite(self.a_ua, self.a_rtp)
        in_parley_range(self.a_to, "parked caller")
        stop_tones(self.a_rtp)
        self.a_rtp.start_tone(self.a_to, 600.0, TONE, ssrc=0x1112, seq=2000, ts=80000,
                              max_frames=1500)

    def close(self) -> None:
        stop_tones(self.a_rtp, self.b_rtp)
        self.a_rtp.close()
        self.b_rtp.close()
        for ua in (self.a_ua, self.b_ua):
            if ua.user == "1001":
                ua.close()


class Retriever:
    """`ext` dials `number` (PCMU)."""

    def __init__(self, server, ext: str, number: str):
        self.rtp = RtpPeer(ports=PEER_PORTS)
        self.ua = SipUA(server.udp, ext, DOMAIN, PASSWORDS[ext])
        self.caller = Caller(self.ua, number, pcmu(self.rtp.port))
        self.answer = None
        self.to = None

    def start(self) -> None:
        self.caller.start()

    def final(self) -> int:
        reply = self.caller.final()
        if reply.status == 200:
            self.caller.ack_2xx(reply)
            self.answer = reply
            self.to = (Sdp(reply.body).ip, Sdp(reply.body).port)
            in_parley_range(self.to, f"{self.ua.user} retrieving")
        return reply.status

    def hang_up(self) -> None:
        check(self.caller.hang_up(self.answer) == 200, f"{self.ua.user}: BYE not answered 200")

    def close(self) -> None:
        stop_tones(self.rtp)
        self.rtp.close()
        self.ua.close()


def dial(server, ext: str, number: str) -> int:
    retriever = Retriever(server, ext, number)
    try:
        retriever.start()
        return retriever.final()
    finally:
        retriever.close()


def expect_hang_up(ua, what: str) -> None:
    try:
        answer_bye(ua, 3.0)
    except HarnessError:
        check(False, f"{what} got no BYE")


def retrieve(server, parked: ParkedCall, ext: str, slot: str):
    """`ext` dials `slot` and must talk with the parked party; returns its Retriever (None when
    it was not answered)."""
    retriever = Retriever(server, ext, slot)
    retriever.start()
    if not check(retriever.final() == 200, f"dialling slot {slot} was not answered"):
        retriever.close()
        return None
    hear_each_other(parked.a_rtp, parked.a_to, retriever.rtp, retriever.to,
                    f"parked {parked.a_ua.user} <-> retriever {ext}")
    return retriever


def scenario_park_and_retrieve(server, b_ua):
    parked = ParkedCall(server, b_ua, "700", note="701")
    retriever = None
    try:
        music = level(parked.a_rtp, 1.0)
        print(f"  parked caller hears RMS {music:.0f}", flush=True)
        check(music > MUSIC_RMS, f"the parked caller hears no music (RMS {music:.0f})")
        retriever = retrieve(server, parked, "1003", "701")
        if retriever is None:
            return
        # The slot is free again.
        check(dial(server, "1004", "701") == 404, "slot 701 is not empty after the retrieve")
        retriever.hang_up()
        expect_hang_up(parked.a_ua, "the parked caller, when its retriever hung up,")
    finally:
        if retriever is not None:
            retriever.close()
        parked.close()


def scenario_caller_parks(server, b_ua):
    parked = ParkedCall(server, b_ua, "702", note="702", by_caller=True)
    retriever = None
    try:
        retriever = retrieve(server, parked, "1004", "702")
        if retriever is None:
            return
        parked.a.send("BYE")  # the parked callee hangs up
        expect_hang_up(retriever.ua, "the retriever, when the parked callee hung up,")
    finally:
        if retriever is not None:
            retriever.close()
        parked.close()


def scenario_refusals_and_race(server, b_ua):
    check(dial(server, "1003", "702") == 404, "an empty slot was not answered 404")
    check(dial(server, "1003", "700") == 403, "dialling the park code was not answered 403")
    parked = ParkedCall(server, b_ua, "703", note="703")
    racers = [Retriever(server, "1003", "703"), Retriever(server, "1004", "703")]
    try:
        # A second call REFERred to the taken slot: refused, and 1002 keeps that call.
        second = ParkedCall(server, b_ua, "703", expect=486)
        check(second.b.ask("BYE") == 200, "the call whose park was refused did not go on")
        answer_bye(second.a_ua, 3.0)
        second.close()
        barrier = threading.Barrier(len(racers))
        statuses: list[int] = []

        def race(retriever: Retriever) -> None:
            barrier.wait(5.0)
            retriever.start()
            statuses.append(retriever.final())

        threads = [threading.Thread(target=race, args=(r,)) for r in racers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(15.0)
        print(f"  racing retrievers got {sorted(statuses)}", flush=True)
        check(sorted(statuses) == [200, 404], f"racing retrievers got {statuses}, "
                                              "expected one 200 and one 404")
        winner = next((r for r in racers if r.answer is not None), None)
        if winner is None:
            return
        # The parked caller hangs up: the retriever's call ends too.
        parked.a.send("BYE")
        expect_hang_up(winner.ua, "the retriever, when the parked caller hung up,")
    finally:
        for retriever in racers:
            retriever.close()
        parked.close()


def scenario_timeout_rings_parker(server, b_ua):
    parked = ParkedCall(server, b_ua, "700", note="701")
    try:
        started = time.monotonic()
        invite, addr = b_ua.recv(PARK_TIMEOUT_S + 5.0, is_request("INVITE"))
        waited = time.monotonic() - started
        print(f"  parker rung back after {waited:.1f} s", flush=True)
        check(waited >= PARK_TIMEOUT_S - 1.0, f"the parker was rung back after {waited:.1f} s, "
                                              f"before the {PARK_TIMEOUT_S} s timeout")
        check("sip:1001@" in (invite.header("From") or ""),
              f"the ring-back is from {invite.header('From')!r}, expected the parked 1001")
        tag = secrets.token_hex(4)
        b_ua.send(response_to(invite, 200, "OK", tag, b_ua.contact_uri(),
                              pcmu(parked.b_rtp.port)), addr)
        b_ua.recv(3.0, is_request("ACK"))
        b_to = (Sdp(invite.body).ip, Sdp(invite.body).port)
        b = Dialog(b_ua, invite.header("Call-ID"), f"{invite.header('To')};tag={tag}",
                   invite.header("From"), uri_in(invite.header("Contact")), 0)
        a_to = accept_reinvite(parked.a_ua, parked.a_rtp)
        hear_each_other(parked.a_rtp, a_to, parked.b_rtp, b_to, "1001 <-> parker 1002 rung back")
        check(b.ask("BYE") == 200, "the parker's BYE was not answered 200")
        answer_bye(parked.a_ua, 3.0)
        check(dial(server, "1003", "701") == 404, "slot 701 is not empty after the timeout")
    finally:
        parked.close()


def main():
    args = script_arguments()
    with provisioned(args.parley, "parley-park-", PASSWORDS) as (tmp, data):
        config = write_config(tmp, f"[media]\nrtp_port_min = {PARLEY_PORTS[0]}\n"
                                   f"rtp_port_max = {PARLEY_PORTS[1]}\n"
                                   f"[park]\ntimeout_s = {PARK_TIMEOUT_S}\n")
        with ParleyServer(args.parley, data_dir=data, args=["--config", config]) as server:
            b_ua = registered(server, "1002", PASSWORDS, check)
            scenarios = [
                ("park and retrieve", lambda: scenario_park_and_retrieve(server, b_ua)),
                ("the caller parks the callee", lambda: scenario_caller_parks(server, b_ua)),
                ("refusals and racing retrievers", lambda: scenario_refusals_and_race(server, b_ua)),
                ("timeout rings the parker back",
                 lambda: scenario_timeout_rings_parker(server, b_ua)),
            ]
            run_scenarios(scenarios, check)
            b_ua.close()
            finish(server, problems, check)
    return report(problems, "calls park, are retrieved, refuse races and ring their parker back")


if __name__ == "__main__":
    run_main(main)
