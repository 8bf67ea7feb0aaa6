#!/usr/bin/env python3
"""Hold and resume with music on hold through `parley serve`, judged by ear (decision 0017).

1001 calls 1002 (PCMU both). Each party sends its own test tone in paced 20 ms RTP: the caller
1400 Hz, the callee 1850 Hz; the built-in hold music's notes lie between 261 and 524 Hz.

1. The caller holds (re-INVITE, a=sendonly): the callee is offered sendonly and answers
   recvonly, the caller gets recvonly. The callee then hears the melody (energy at its notes)
   and not the caller's tone; the caller gets nothing. After resume (sendrecv) each hears the
   other's tone and no melody; the callee's stream keeps one SSRC and consecutive sequence
   numbers from before the hold through the music to after the resume.
2. The callee holds with a=inactive: the caller is offered sendonly and hears the melody, the
   callee is answered inactive and gets nothing; resume restores both tones.
3. Both hold (the caller sendonly, then the callee inactive): neither gets any RTP (decision:
   silence), and the server stays up; when the callee resumes while the caller still holds,
   the callee hears music again.
"""

import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from call_client import DOMAIN, answer_bye, is_request, response_to  # noqa: E402
from media_peer import RtpPeer, goertzel_amplitude, pcmu_samples  # noqa: E402
from media_test import PASSWORDS, Sdp  # noqa: E402
from parley_harness import HarnessError, ParleyServer, report, run_main, run_parley  # noqa: E402
from pbx_scenario import (checker, finish, media_config, provisioned, registered,  # noqa: E402
                          run_scenarios, script_arguments)
from sip_client import SipUA  # noqa: E402
from transfer_test import answered_call  # noqa: E402

CALLER_HZ, CALLEE_HZ = 1400.0, 1850.0
MELODY_HZ = (261.63, 293.66, 329.63, 349.23, 392.00, 440.00, 493.88, 523.25)
AMPLITUDE = 8000
PEER_PORTS = range(38000, 39000, 2)
problems, check = checker()


class Peer(RtpPeer):
    """An RtpPeer bound to a port of this test's own range (38000-38999) that keeps what it
    received before each clear()."""

    def __init__(self):
        self.history = []  # everything clear() dropped, for the stream checks
        super().__init__(ports=PEER_PORTS)

    def clear(self):
        with self.lock:
            self.history += self.received
            self.received = []

    def everything(self):
        with self.lock:
            return self.history + self.received


def make_sdp(port: int, direction: str, version: int) -> bytes:
    lines = ["v=0", f"o=- 1 {version} IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1", "t=0 0",
             f"m=audio {port} RTP/AVP 0", "a=rtpmap:0 PCMU/8000", f"a={direction}"]
    return ("\r\n".join(lines) + "\r\n").encode()


class Call:
    """1001 calls 1002; both sides can re-INVITE; each has an RTP peer sending its tone."""

    def __init__(self, server, callee_ua: SipUA):
        self.a_rtp, self.b_rtp = Peer(), Peer()
        self.a_ua, self.b_ua = SipUA(server.udp, "1001", DOMAIN, PASSWORDS["1001"]), callee_ua
        self.version = 1
        self.a, self.b, self.a_to, self.b_to = answered_call(
            self.a_ua, callee_ua, "1002", make_sdp(self.a_rtp.port, "sendrecv", 1),
            make_sdp(self.b_rtp.port, "sendrecv", 1))
        # Each party's tone, one 20 ms PCMU frame every 20 ms until the call ends (<= 30 s).
        self.senders = [
            self.a_rtp.start_tone(self.a_to, CALLER_HZ, AMPLITUDE, ssrc=0xA1A1, max_frames=1500),
            self.b_rtp.start_tone(self.b_to, CALLEE_HZ, AMPLITUDE, ssrc=0xB2B2, max_frames=1500)]

    def reinvite(self, holder: str, direction: str, answer_direction: str):
        """`holder` ('a' or 'b') re-INVITEs with `direction`; the other side answers with
        `answer_direction`. Returns the direction the answerer was offered and the one the
        offerer was answered."""
        offerer, answerer = (self.a, self.b) if holder == "a" else (self.b, self.a)
        offer_rtp, answer_rtp = (self.a_rtp, self.b_rtp) if holder == "a" else (self.b_rtp,
                                                                               self.a_rtp)
        self.version += 1
        offerer.send("INVITE", ["Content-Type: application/sdp"],
                     make_sdp(offer_rtp.port, direction, self.version))
        request, addr = answerer.ua.recv(5.0, is_request("INVITE"))
        offered = Sdp(request.body)
        answerer.ua.send(response_to(request, 200, "OK", "x", answerer.ua.contact_uri(),
                                     make_sdp(answer_rtp.port, answer_direction, self.version)),
                         addr)
        ok = offerer.ua.final_response("INVITE", 5.0)
        if ok.status != 200:
            raise HarnessError(f"re-INVITE answered {ok.status}")
        offerer.cseq -= 1  # the ACK carries the INVITE's CSeq number
        offerer.send("ACK")
        answerer.ua.recv(3.0, is_request("ACK"))
        return offered.direction, Sdp(ok.body).direction

    def listen(self, seconds: float):
        """What each peer receives (caller's, callee's) in the `seconds` after packets still in
        flight from before have landed."""
        time.sleep(0.2)
        self.a_rtp.clear()
        self.b_rtp.clear()
        time.sleep(seconds)
        return self.a_rtp.packets(), self.b_rtp.packets()

    def hang_up(self):
        for sender in self.senders:
            sender.stop()
        try:
            self.a.send("BYE")
            answer_bye(self.b_ua)
            self.a_ua.final_response("BYE", 3.0)
        finally:
            self.a_rtp.close()
            self.b_rtp.close()
            self.a_ua.close()


def audio(packets) -> list[int]:
    return pcmu_samples(packets, order="seq")


def melody_level(samples: list[int]) -> float:
    """The median over 250 ms blocks of the strongest melody note: high only while music plays."""
    levels = sorted(max(goertzel_amplitude(samples[at:at + 2000], 8000, f) for f in MELODY_HZ)
                    for at in range(0, len(samples) - 1999, 2000))
    return levels[len(levels) // 2] if levels else 0.0


def hears_music(who: str, packets):
    samples = audio(packets)[1600:]  # past the switch-over
    if not check(len(samples) >= 6000, f"{who} got only {len(samples)} samples of music"):
        return
    music = melody_level(samples)
    caller, callee = (goertzel_amplitude(samples, 8000, f) for f in (CALLER_HZ, CALLEE_HZ))
    print(f"  {who}: melody {music:.0f}, caller's tone {caller:.0f}, callee's {callee:.0f}",
          flush=True)
    check(music > 800, f"{who} hears no hold music (melody level {music:.0f})")
    check(max(caller, callee) < 150, f"{who} hears a party's tone on hold "
          f"({caller:.0f} at {CALLER_HZ:.0f} Hz, {callee:.0f} at {CALLEE_HZ:.0f} Hz)")


def hears_tone(who: str, packets, frequency: float):
    samples = audio(packets)[1600:]
    if not check(len(samples) >= 6000, f"{who} got only {len(samples)} samples after resume"):
        return
    level = goertzel_amplitude(samples, 8000, frequency)
    music = melody_level(samples)
    print(f"  {who}: {frequency:.0f} Hz at {level:.0f}, melody {music:.0f}", flush=True)
    check(AMPLITUDE * 0.79 <= level <= AMPLITUDE * 1.26,
          f"{who} hears {frequency:.0f} Hz at {level:.0f}, sent {AMPLITUDE}")
    check(music < 150, f"{who} still hears the hold music after resume ({music:.0f})")


def one_stream(who: str, packets):
    """One SSRC and consecutive sequence numbers (a lost packet or two on a loaded machine aside)
    from the call's start through hold, music and resume."""
    ordered = sorted(packets, key=lambda p: p.arrival)
    ssrcs = {p.ssrc for p in ordered}
    check(len(ssrcs) == 1, f"{who}: {len(ssrcs)} SSRCs across hold and resume")
    jumps = [(a.seq, b.seq) for a, b in zip(ordered, ordered[1:])
             if not 1 <= (b.seq - a.seq) & 0xFFFF <= 3]
    check(not jumps, f"{who}: sequence numbers jump across hold and resume: {jumps[:5]}")
    check(len(ordered) > 150, f"{who}: only {len(ordered)} packets in all")


def scenario_caller_holds(server, callee_ua):
    call = Call(server, callee_ua)
    try:
        time.sleep(0.4)  # the callee hears the caller's tone first
        offered, answered = call.reinvite("a", "sendonly", "recvonly")
        check(offered == "sendonly", f"the held callee was offered {offered}, expected sendonly")
        check(answered == "recvonly", f"the holding caller was answered {answered}")
        a_got, b_got = call.listen(1.5)
        check(not a_got, f"the holding (sendonly) caller got {len(a_got)} packets")
        hears_music("callee on hold", b_got)
        offered, answered = call.reinvite("a", "sendrecv", "sendrecv")
        check(offered == "sendrecv" and answered == "sendrecv",
              f"resume offered {offered}, answered {answered}")
        a_got, b_got = call.listen(1.5)
        hears_tone("caller after resume", a_got, CALLEE_HZ)
        hears_tone("callee after resume", b_got, CALLER_HZ)
        one_stream("callee", call.b_rtp.everything())
    finally:
        call.hang_up()


def scenario_callee_holds_inactive(server, callee_ua):
    call = Call(server, callee_ua)
    try:
        time.sleep(0.2)
        offered, answered = call.reinvite("b", "inactive", "recvonly")
        check(offered == "sendonly", f"the held caller was offered {offered}, expected sendonly")
        check(answered == "inactive", f"the callee holding with inactive was answered {answered}")
        a_got, b_got = call.listen(1.5)
        check(not b_got, f"the holding (inactive) callee got {len(b_got)} packets")
        hears_music("caller on hold", a_got)
        call.reinvite("b", "sendrecv", "sendrecv")
        a_got, b_got = call.listen(1.5)
        hears_tone("caller after resume", a_got, CALLEE_HZ)
        hears_tone("callee after resume", b_got, CALLER_HZ)
    finally:
        call.hang_up()


def scenario_both_hold(server, callee_ua):
    call = Call(server, callee_ua)
    try:
        call.reinvite("a", "sendonly", "recvonly")
        offered, answered = call.reinvite("b", "inactive", "inactive")
        a_got, b_got = call.listen(0.6)
        check(not a_got and not b_got,
              f"with both holding the caller got {len(a_got)}, the callee {len(b_got)} packets")
        # The callee resumes while the caller still holds (it answers sendonly): music again.
        offered, answered = call.reinvite("b", "sendrecv", "sendonly")
        check(answered == "sendonly", f"the resuming callee was answered {answered}")
        a_got, b_got = call.listen(1.3)
        check(not a_got, f"the still-holding caller got {len(a_got)} packets")
        hears_music("callee, the caller still holding", b_got)
    finally:
        call.hang_up()


def main():
    args = script_arguments()
    with provisioned(args.parley, "parley-hold-", PASSWORDS) as (tmp, data):
        config = media_config(tmp, 37000, 37999)
        with ParleyServer(args.parley, data_dir=data, args=["--config", config]) as server:
            callee = registered(server, "1002", PASSWORDS, check)
            run_scenarios([("caller holds (sendonly)", scenario_caller_holds),
                           ("callee holds (inactive)", scenario_callee_holds_inactive),
                           ("both hold", scenario_both_hold)], check, server, callee)
            callee.close()
            finish(server, problems, check)
        # A music_on_hold file that is no WAV stops the server at start-up with a clear error.
        bad = os.path.join(tmp, "bad.wav")
        with open(bad, "wb") as f:
            f.write(b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00" + bytes(16))
        with open(config, "a") as f:
            f.write(f'music_on_hold = "{bad}"\n')
        check_bad_file(args.parley, data, config, bad)
    return report(problems, "held parties hear music on hold; resume restores both directions")


def check_bad_file(parley: str, data: str, config: str, path: str):
    try:
        result = run_parley(parley, ["serve", "--data", data, "--sip-listen", "127.0.0.1:0",
                                     "--http-listen", "127.0.0.1:0", "--config", config])
    except subprocess.TimeoutExpired:
        check(False, "the server started with a broken music_on_hold file")
        return
    output = result.stdout + result.stderr
    check(result.returncode != 0, "the server started with a broken music_on_hold file")
    check("media.music_on_hold" in output and path in output and "not PCM" in output,
          f"no clear error for the broken music_on_hold file: {output[-500:]!r}")


if __name__ == "__main__":
    run_main(main)
