#!/usr/bin/env python3
"""Music on hold for a silent phone behind NAT (issue 6, decisions 0017 and 0041).

1001 (A) is "behind NAT": every SDP it sends names a port of a socket that only listens (the
private address a NAT'd phone would write), while its RTP leaves from another socket (the
address the NAT maps it to). 1002 (B) is an ordinary phone. RTP 60200–60299.

1. Before the hold, Parley latches onto A's real source: B hears A's tone, A hears B's tone at
   its real source.
2. A holds (re-INVITE, a=sendonly, the same private SDP) and then sends no RTP at all, as
   phones do, and B (answering recvonly) sends none either: B must hear the music on hold all
   the same, also past the media timeout (2 s here), and the call must not be ended.
3. A resumes (sendrecv, still the private SDP) and starts sending again a moment later: media
   latches to A's real source again, so A hears B's tone there and B hears A's; once A's first
   packet arrived, the private address gets nothing.
4. The other way round (decision 0047): B is behind NAT, its SDP naming a private port. After
   both talked, both fall silent, A holds and B answers recvonly with the same private SDP and
   sends nothing after it: the music must reach B's real source (the latch survives a re-INVITE that names the same
   address) and the private address must get nothing.
"""

import os
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import hold_test  # noqa: E402
from hold_test import (AMPLITUDE, CALLEE_HZ, CALLER_HZ, Peer, hears_music,  # noqa: E402
                       hears_tone, make_sdp)
from media_test import PASSWORDS  # noqa: E402
from parley_harness import ParleyServer, report, run_main  # noqa: E402
from pbx_scenario import (finish, media_config, provisioned, registered,  # noqa: E402
                          run_scenarios, script_arguments)
from sip_client import SipUA  # noqa: E402
from call_client import DOMAIN, no_request  # noqa: E402
from transfer_test import answered_call  # noqa: E402

# hold_test's Peer binds in this range: this test's own ports.
hold_test.PEER_PORTS = range(60250, 60300, 2)
problems, check = hold_test.problems, hold_test.check
MEDIA_TIMEOUT_S = 2


class NatCall(hold_test.Call):
    """hold_test.Call whose caller (`natted` "a") or callee ("b") writes the port of `private`
    (a listening socket that must never receive anything) into every SDP, while its RTP leaves
    from its own peer."""

    def __init__(self, server, callee_ua: SipUA, natted: str = "a"):
        self.a_rtp, self.b_rtp, self.private = Peer(), Peer(), Peer()
        self.natted = natted
        self.a_ua, self.b_ua = SipUA(server.udp, "1001", DOMAIN, PASSWORDS["1001"]), callee_ua
        self.version = 1
        a_port, b_port = ((self.private.port, self.b_rtp.port) if natted == "a"
                          else (self.a_rtp.port, self.private.port))
        self.a, self.b, self.a_to, self.b_to = answered_call(
            self.a_ua, callee_ua, "1002", make_sdp(a_port, "sendrecv", 1),
            make_sdp(b_port, "sendrecv", 1))
        self.senders = [self.a_tone(0xA1A1), self.b_tone(0xB2B2)]

    def a_tone(self, ssrc: int):
        return self.a_rtp.start_tone(self.a_to, CALLER_HZ, AMPLITUDE, ssrc=ssrc, max_frames=1500)

    def b_tone(self, ssrc: int):
        return self.b_rtp.start_tone(self.b_to, CALLEE_HZ, AMPLITUDE, ssrc=ssrc, max_frames=1500)

    def reinvite(self, holder: str, direction: str, answer_direction: str):
        # The NAT'd side's offers and answers name its private port too.
        side = f"{self.natted}_rtp"
        real = getattr(self, side)
        setattr(self, side, self.private)
        try:
            return super().reinvite(holder, direction, answer_direction)
        finally:
            setattr(self, side, real)

    def hang_up(self):
        try:
            super().hang_up()
        finally:
            self.private.close()


def talk_then_hold_silently(call: NatCall, silent_first: bool = False) -> None:
    """Both hear each other (latching the NAT'd side's real source); then A holds (sendonly),
    B answers recvonly, and neither sends anything more. `silent_first`: both fall silent
    before the re-INVITE, so the held side sends nothing after its answer (nothing can latch
    it again)."""
    a_got, b_got = call.listen(1.2)
    hears_tone(f"B before the hold ({call.natted} behind NAT)", b_got, CALLER_HZ)
    hears_tone(f"A before the hold ({call.natted} behind NAT)", a_got, CALLEE_HZ)
    if silent_first:
        for sender in call.senders:
            sender.stop()
        time.sleep(0.1)
    offered, answered = call.reinvite("a", "sendonly", "recvonly")
    check(offered == "sendonly" and answered == "recvonly",
          f"hold offered {offered}, answered {answered}")
    for sender in call.senders:
        sender.stop()  # the holder sends nothing, nor does the recvonly held phone


def scenario_silent_nat_holder(server, callee_ua):
    call = NatCall(server, callee_ua)
    try:
        talk_then_hold_silently(call)
        a_got, b_got = call.listen(MEDIA_TIMEOUT_S + 1.5)
        hears_music("B held by a silent NAT'd phone", b_got)
        late = [p for p in b_got if p.arrival >= time.monotonic() - 1.0]
        check(len(late) >= 35, f"B got only {len(late)} packets of music in the last second, "
                               f"{MEDIA_TIMEOUT_S + 1.5:.1f} s into the hold")
        check(no_request(call.b_ua, "BYE", 0.1) and no_request(call.a_ua, "BYE", 0.1),
              "the silent held call was ended")

        offered, answered = call.reinvite("a", "sendrecv", "sendrecv")
        check(offered == "sendrecv" and answered == "sendrecv",
              f"resume offered {offered}, answered {answered}")
        time.sleep(0.3)
        call.senders = [call.a_tone(0xA1A2), call.b_tone(0xB2B3)]
        # Until A's first packet latches, the relay may send to the SDP address (a real NAT'd
        # phone's private address drops it); from then on, only to the real source.
        time.sleep(0.1)
        call.private.clear()
        a_got, b_got = call.listen(1.5)
        hears_tone("A (behind NAT) after resume", a_got, CALLEE_HZ)
        hears_tone("B after resume", b_got, CALLER_HZ)
        check(not call.private.packets(),
              f"A's private SDP address got {len(call.private.packets())} packets once latched")
    finally:
        call.hang_up()


def scenario_silent_nat_held(server, callee_ua):
    call = NatCall(server, callee_ua, natted="b")
    try:
        talk_then_hold_silently(call, silent_first=True)
        call.private.clear()
        _, b_got = call.listen(1.5)
        hears_music("B (behind NAT, silent) held", b_got)
        check(not call.private.packets(),
              f"B's private SDP address got {len(call.private.packets())} packets on hold")
    finally:
        call.hang_up()


def main():
    args = script_arguments()
    with provisioned(args.parley, "parley-hold-nat-", PASSWORDS) as (tmp, data):
        config = media_config(tmp, 60200, 60249, f"timeout_s = {MEDIA_TIMEOUT_S}\n")
        with ParleyServer(args.parley, data_dir=data, args=["--config", config]) as server:
            callee_ua = registered(server, "1002", PASSWORDS, check)
            run_scenarios([("a silent NAT'd phone holds and resumes",
                            lambda: scenario_silent_nat_holder(server, callee_ua)),
                           ("a silent NAT'd phone is held",
                            lambda: scenario_silent_nat_held(server, callee_ua))], check)
            callee_ua.close()
            finish(server, problems, check)
    return report(problems, "a silent phone behind NAT holds with music and resumes latched")


if __name__ == "__main__":
    run_main(main)
