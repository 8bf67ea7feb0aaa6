#!/usr/bin/env python3
"""Call queues (ACD, decision 0023) with real SIP and RTP peers on loopback.

1. CLI: `parley queue add|set|members|list|rm`; a number that is an extension, a bad strategy
   and an unknown member are refused.
2. 1001 and then 1003 call queue 700 while its only agent, 1002, is not registered: Parley
   answers both and both hear music on hold (energy, not silence). 1002 registers: the first
   INVITE it gets is for 1001 (first come, first served). It answers; Parley re-INVITEs 1001 to
   the relay and the two hear each other's tones (Goertzel). 1001 hangs up, 1002 gets BYE;
   then 1002 is offered 1003, answers, and they hear each other too.
3. 1004 calls queue 701 (max wait 4 s, announcements off, nobody registered, fallback hang-up):
   Parley answers and sends BYE after about four seconds; what 1004 heard is music only (the
   announcement matcher below finds no announcement in it: the negative control).
4. By ear: 1001 and then 1003 wait in queue 702 (announce every 2 s): 1003 hears "You are caller
   number two" on entering and again after two seconds of music. Found by matching the energy
   envelope (10 ms frames, log energy, Pearson correlation over every lag) of the prompt files
   Parley synthesised into its data folder against what 1003 received.
5. Ring-all credit: queue 703 (ring-all, wrap-up 3 s) rings 1002 and 1005; 1005 answers 1001.
   When that call ends, 1005 is in its wrap-up: the next caller (1003) rings 1002 only. Before
   the B2BUA named the answering extension no agent of a ring-all offer got a wrap-up.

Parley's RTP ports are 43000-43499 and the test peers' 43500-43999 (no other test uses them).
"""

import math
import os
import secrets
import sys
import time
import wave

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from call_client import DOMAIN, Caller, is_request, response_to  # noqa: E402
from media_peer import (RtpPeer, goertzel_amplitude, pcmu_samples, rms,  # noqa: E402
                        samples_of)
from media_test import Sdp, answer_pcmu_invite, make_sdp  # noqa: E402
from parley_harness import HarnessError, ParleyServer, report, run_main, run_parley  # noqa: E402
from pbx_scenario import checker, media_config, provisioned, script_arguments  # noqa: E402
from sip_client import SipUA  # noqa: E402

PASSWORDS = {"1001": "pw-1001-secret", "1002": "pw-1002-secret", "1003": "pw-1003-secret",
             "1004": "pw-1004-secret", "1005": "pw-1005-secret"}
PEER_PORTS = range(43500, 44000, 2)
MUSIC_RMS = 200  # the built-in melody as PCMU is far above this; Parley's silence is 0
ANNOUNCEMENT_MATCH = 0.8  # envelope correlation of a played prompt; music stays far below
FRAME_S = 0.01  # envelope frames
problems, check = checker()


def level(peer: RtpPeer, seconds: float) -> float:
    """RMS of what Parley sent `peer` in the next `seconds`."""
    peer.clear()
    time.sleep(seconds)
    return rms(pcmu_samples(peer.packets(0)))


class QueueCall:
    """`ext` calling queue `number`, answered by Parley."""

    def __init__(self, server, ext: str, number: str, keep_alive_hz: float):
        self.ext = ext
        self.peer = RtpPeer(ports=PEER_PORTS)
        self.ua = SipUA(server.udp, ext, DOMAIN, PASSWORDS[ext])
        self.caller = Caller(self.ua, number, make_sdp(self.peer.port, [(0, "PCMU/8000")]))
        self.caller.start()
        self.ok = self.caller.final()
        if self.ok.status != 200:
            self.close()
            raise HarnessError(f"{ext} calling {number}: {self.ok.status}, expected 200")
        self.caller.ack_2xx(self.ok)
        answer = Sdp(self.ok.body)
        check(43000 <= answer.port <= 43499, f"RTP port {answer.port} outside 43000-43499")
        self.to = (answer.ip, answer.port)
        # The caller's own voice from the start: latching and the media timeout want RTP.
        self.peer.start_tone(self.to, keep_alive_hz, 100, ssrc=0x1234, seq=1000, ts=8000,
                             max_frames=3000)

    def accept_reinvite(self, timeout: float = 5.0) -> tuple[str, int]:
        """Answers Parley's re-INVITE (to the agent's relay); returns the new RTP destination."""
        invite, addr = self.ua.recv(timeout, is_request("INVITE"))
        sdp = make_sdp(self.peer.port, [(0, "PCMU/8000")])
        self.ua.send(response_to(invite, 200, "OK", "unused", self.ua.contact_uri(), sdp), addr)
        self.ua.recv(3.0, is_request("ACK"))
        offer = Sdp(invite.body)
        return (offer.ip, offer.port)

    def hang_up(self):
        self.caller.in_dialog("BYE", self.ok, self.caller.cseq + 1)
        check(self.ua.final_response("BYE", 3.0).status == 200, f"{self.ext}: BYE not answered")

    def close(self):
        self.peer.close()
        self.ua.close()


def expect_bye(ua: SipUA, who: str, timeout: float = 3.0) -> bool:
    try:
        bye, addr = ua.recv(timeout, is_request("BYE"))
        ua.send(response_to(bye, 200, "OK", ""), addr)
        return True
    except HarnessError:
        return False


def talk(call: QueueCall, agent_rtp: RtpPeer, agent_to, label: str):
    """Caller and agent exchange tones through the relay; each must hear the other's."""
    relay = call.accept_reinvite()
    check(43000 <= relay[1] <= 43499, f"relay port {relay[1]} outside 43000-43499")
    agent_rtp.start_tone(agent_to, 900.0, 6000, ssrc=0x9999, seq=500, ts=16000, max_frames=400)
    call.peer.tone_senders[0].stop()
    call.peer.start_tone(relay, 600.0, 6000, ssrc=0x4321, seq=5000, ts=80000, max_frames=400)
    time.sleep(0.5)
    call.peer.clear()
    agent_rtp.clear()
    time.sleep(1.0)
    heard = goertzel_amplitude(pcmu_samples(call.peer.packets(0)), 8000, 900.0)
    agent_heard = goertzel_amplitude(pcmu_samples(agent_rtp.packets(0)), 8000, 600.0)
    print(f"  {label}: caller hears 900 Hz at {heard:.0f}, agent hears 600 Hz at "
          f"{agent_heard:.0f}", flush=True)
    check(heard > 3000, f"{label}: the caller does not hear the agent ({heard:.0f})")
    check(agent_heard > 3000, f"{label}: the agent does not hear the caller ({agent_heard:.0f})")
    for sender in agent_rtp.tone_senders:
        sender.stop()


def scenario_fifo(server):
    first = QueueCall(server, "1001", "700", 300.0)
    second = None
    agent = None
    agent_rtp = RtpPeer(ports=PEER_PORTS)
    try:
        time.sleep(0.3)
        second = QueueCall(server, "1003", "700", 350.0)
        for call in (first, second):
            music = level(call.peer, 1.0)
            print(f"  {call.ext} waits hearing music at RMS {music:.0f}", flush=True)
            check(music > MUSIC_RMS, f"{call.ext} hears no music while waiting ({music:.0f})")
        agent = SipUA(server.udp, "1002", DOMAIN, PASSWORDS["1002"])
        check(agent.register(expires=300).status == 200, "1002 REGISTER failed")
        invite, agent_to = answer_pcmu_invite(agent, agent_rtp, timeout=6.0)
        check("1001" in (invite.header("From") or ""),
              f"the first offer is not for 1001: From {invite.header('From')!r}")
        talk(first, agent_rtp, agent_to, "1001 and 1002")
        still = level(second.peer, 0.6)
        check(still > MUSIC_RMS, f"1003 stopped hearing music while 1002 took 1001 ({still:.0f})")
        first.hang_up()
        check(expect_bye(agent, "1002"), "1002 got no BYE when 1001 hung up")
        invite, agent_to = answer_pcmu_invite(agent, agent_rtp, timeout=6.0)
        check("1003" in (invite.header("From") or ""),
              f"the second offer is not for 1003: From {invite.header('From')!r}")
        talk(second, agent_rtp, agent_to, "1003 and 1002")
        second.hang_up()
        check(expect_bye(agent, "1002"), "1002 got no BYE when 1003 hung up")
    finally:
        agent_rtp.close()
        if agent is not None:
            agent.close()
        if second is not None:
            second.close()
        first.close()


def scenario_max_wait(server, data):
    call = QueueCall(server, "1004", "701", 300.0)
    try:
        started = time.monotonic()
        music = level(call.peer, 0.8)
        check(music > MUSIC_RMS, f"1004 hears no music while waiting ({music:.0f})")
        got_bye = expect_bye(call.ua, "1004", timeout=8.0)
        waited = time.monotonic() - started
        print(f"  1004 sent to the fallback (hang-up) after {waited:.1f} s", flush=True)
        check(got_bye, "1004 was not hung up after the maximum wait")
        check(got_bye and 3.0 <= waited <= 7.0, f"the maximum wait of 4 s took {waited:.1f} s")
        # The negative control of scenario_announce's matcher: music alone matches no
        # announcement (announcements are off in 701).
        heard = envelope(pcmu_samples(call.peer.packets(0)), 8000)
        best = max(match_scores(heard, announcement_template(data, 1)), default=1.0)
        print(f"  music alone matches the announcement at {best:.2f}", flush=True)
        check(best < ANNOUNCEMENT_MATCH - 0.15,
              f"1004 (announcements off) heard something like an announcement ({best:.2f})")
    finally:
        call.close()


def scenario_announce(server, data):
    first = QueueCall(server, "1001", "702", 300.0)
    second = None
    try:
        time.sleep(0.3)
        second = QueueCall(server, "1003", "702", 350.0)
        time.sleep(6.5)
        template = announcement_template(data, 2)
        length = len(template)
        heard_samples = pcmu_samples(second.peer.packets(0))
        scores = match_scores(envelope(heard_samples, 8000), template)
        check(len(scores) > int(4.0 / FRAME_S), f"1003 heard only {len(heard_samples)} samples")
        if len(scores) <= int(4.0 / FRAME_S):
            return
        entering = max(range(int(2.0 / FRAME_S)), key=lambda i: scores[i])
        after = entering + length + int(1.0 / FRAME_S)
        again = max(range(after, len(scores)), key=lambda i: scores[i])
        gap = (again - entering - length) * FRAME_S
        print(f"  1003 hears 'caller number two' at {entering * FRAME_S:.2f} s "
              f"(match {scores[entering]:.2f}) and after {gap:.2f} s of music again "
              f"(match {scores[again]:.2f}); announcement {length * FRAME_S:.2f} s", flush=True)
        check(scores[entering] >= ANNOUNCEMENT_MATCH,
              f"1003 did not hear 'you are caller number two' on entering ({scores[entering]:.2f})")
        check(entering * FRAME_S <= 1.0, f"the first announcement came {entering * FRAME_S:.2f} s "
              "after the answer")
        check(scores[again] >= ANNOUNCEMENT_MATCH,
              f"1003 did not hear the announcement again ({scores[again]:.2f})")
        check(1.7 <= gap <= 2.9, f"{gap:.2f} s of music between announcements, configured 2 s")
        music_from = (entering + length) * 80 + 1600
        music = rms(heard_samples[music_from:music_from + 8000])
        check(music > MUSIC_RMS, f"the music does not resume after the announcement ({music:.0f})")
        first_scores = match_scores(envelope(pcmu_samples(first.peer.packets(0)), 8000),
                                    announcement_template(data, 1))
        best_first = max(first_scores[:int(2.0 / FRAME_S)], default=0.0)
        check(best_first >= ANNOUNCEMENT_MATCH,
              f"1001 did not hear 'you are caller number one' ({best_first:.2f})")
        second.hang_up()
        first.hang_up()
    finally:
        if second is not None:
            second.close()
        first.close()


def scenario_ring_all_credit(server):
    agents = {ext: SipUA(server.udp, ext, DOMAIN, PASSWORDS[ext]) for ext in ("1004", "1005")}
    rtp = RtpPeer(ports=PEER_PORTS)
    calls = []
    try:
        for ext, ua in agents.items():
            check(ua.register(expires=60).status == 200, f"{ext} REGISTER failed")
        calls.append(QueueCall(server, "1001", "703", 300.0))
        ringing, ringing_addr = agents["1004"].recv(6.0, is_request("INVITE"))
        tag = secrets.token_hex(4)
        agents["1004"].send(response_to(ringing, 180, "Ringing", tag), ringing_addr)
        _, agent_to = answer_pcmu_invite(agents["1005"], rtp)
        cancel, cancel_addr = agents["1004"].recv(3.0, is_request("CANCEL"))
        agents["1004"].send(response_to(cancel, 200, "OK", tag), cancel_addr)
        agents["1004"].send(response_to(ringing, 487, "Request Terminated", tag), ringing_addr)
        calls[0].accept_reinvite()
        time.sleep(0.3)
        calls[0].hang_up()
        check(expect_bye(agents["1005"], "1005"), "1005 got no BYE when 1001 hung up")
        # 1005 answered the ring-all offer: its 3 s wrap-up keeps it out of the next offer.
        calls.append(QueueCall(server, "1003", "703", 350.0))
        invite, invite_addr = agents["1004"].recv(6.0, is_request("INVITE"))
        check("1003" in (invite.header("From") or ""), "1004 was not offered 1003")
        tag = secrets.token_hex(4)
        agents["1004"].send(response_to(invite, 180, "Ringing", tag), invite_addr)
        try:
            agents["1005"].recv(1.0, is_request("INVITE"))
            check(False, "1005 rang during its wrap-up: the ring-all answer was not credited")
        except HarnessError:
            print("  1005 (answered the ring-all offer) rests; 1004 rings alone", flush=True)
        calls[1].hang_up()
        cancel, cancel_addr = agents["1004"].recv(3.0, is_request("CANCEL"))
        agents["1004"].send(response_to(cancel, 200, "OK", tag), cancel_addr)
        agents["1004"].send(response_to(invite, 487, "Request Terminated", tag), invite_addr)
    finally:
        rtp.close()
        for call in calls:
            call.close()
        for ua in agents.values():
            ua.close()


# --- hearing an announcement ---------------------------------------------------------------

def prompt_file(data: str, text: str) -> str:
    """The prompt library's cache file for `text` (media/prompt_library.cpp: FNV-1a 64 of the
    voice tag, a newline and the text)."""
    h = 0xcbf29ce484222325
    for byte in ("espeak-ng/en/160wpm/v1\n" + text).encode():
        h = ((h ^ byte) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return os.path.join(data, "prompts", f"{h:016x}.wav")


def wav_samples(path: str) -> tuple[list[int], int]:
    with wave.open(path, "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1, path
        raw = w.readframes(w.getnframes())
        return samples_of(raw), w.getframerate()


def envelope(samples: list[int], rate: int) -> list[float]:
    """Log energy of each 10 ms frame."""
    n = int(rate * FRAME_S)
    return [10 * math.log10(sum(x * x for x in samples[i:i + n]) / n + 1.0)
            for i in range(0, len(samples) - n + 1, n)]


def match_scores(heard: list[float], template: list[float]) -> list[float]:
    """Pearson correlation of `template` with `heard` at every lag (one score per frame)."""
    m = len(template)
    t_mean = sum(template) / m
    t = [v - t_mean for v in template]
    t_norm = math.sqrt(sum(v * v for v in t)) or 1.0
    scores = []
    for lag in range(0, len(heard) - m + 1):
        window = heard[lag:lag + m]
        w_mean = sum(window) / m
        w = [v - w_mean for v in window]
        w_norm = math.sqrt(sum(v * v for v in w))
        scores.append(sum(a * b for a, b in zip(t, w)) / (t_norm * w_norm) if w_norm else 0.0)
    return scores


def announcement_template(data: str, position: int) -> list[float]:
    """The envelope of "You are caller number" and the position's digits, as Parley plays them."""
    names = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    samples: list[int] = []
    rate = 0
    for text in ["You are caller number"] + [names[int(d)] for d in str(position)]:
        clip, rate = wav_samples(prompt_file(data, text))
        samples += clip
    return envelope(samples, rate)


def cli(parley: str, data: str, args: list[str]):
    return run_parley(parley, [*args, "--data", data], timeout=60.0)


def scenario_cli(parley: str, data: str):
    def ok(args):
        done = cli(parley, data, args)
        check(done.returncode == 0, f"{' '.join(args)}: exit {done.returncode}, {done.stderr!r}")

    def refused(args, words):
        done = cli(parley, data, args)
        check(done.returncode == 1 and words in done.stderr,
              f"{' '.join(args)}: exit {done.returncode}, {done.stderr!r}, expected {words!r}")

    ok(["queue", "add", f"700@{DOMAIN}", "--name", "Sales", "--members", "1002,1004",
        "--ring-timeout", "5", "--max-wait", "120"])
    ok(["queue", "set", f"700@{DOMAIN}", "--strategy", "longest-idle", "--wrap-up", "0"])
    ok(["queue", "members", f"700@{DOMAIN}", "1002"])
    ok(["queue", "add", f"701@{DOMAIN}", "--members", "1004", "--max-wait", "4", "--announce",
        "0"])
    refused(["queue", "add", f"1001@{DOMAIN}"], "extension")
    refused(["queue", "add", f"702@{DOMAIN}", "--strategy", "random"], "strategy")
    refused(["queue", "members", f"700@{DOMAIN}", "1999"], "1999")
    refused(["queue", "rm", f"799@{DOMAIN}"], "799")
    refused(["queue", "set", f"701@{DOMAIN}", "--announce", "3601"], "announce")
    ok(["queue", "add", f"709@{DOMAIN}"])
    ok(["queue", "rm", f"709@{DOMAIN}"])
    ok(["queue", "add", f"702@{DOMAIN}", "--members", "1004", "--max-wait", "0", "--announce",
        "1"])
    ok(["queue", "set", f"702@{DOMAIN}", "--announce", "2"])
    ok(["queue", "add", f"703@{DOMAIN}", "--members", "1004,1005", "--wrap-up", "3",
        "--ring-timeout", "5", "--max-wait", "30"])
    listed = cli(parley, data, ["queue", "list", DOMAIN])
    check(listed.stdout == f"700@{DOMAIN}\tSales\tlongest-idle\t5\t0\t120\t20\t30\t-\t1002\n"
          f"701@{DOMAIN}\t\tring-all\t15\t0\t4\t20\t0\t-\t1004\n"
          f"702@{DOMAIN}\t\tring-all\t15\t0\t0\t20\t2\t-\t1004\n"
          f"703@{DOMAIN}\t\tring-all\t5\t3\t30\t20\t30\t-\t1004,1005\n",
          f"queue list: {listed.stdout!r}")


def main():
    args = script_arguments()
    with provisioned(args.parley, "parley-queue-", PASSWORDS) as (tmp, data):
        print("- CLI", flush=True)
        scenario_cli(args.parley, data)
        config = media_config(tmp, 43000, 43499)
        with ParleyServer(args.parley, data_dir=data,
                          args=["--config", config, "--workers", "2"]) as server:
            for name, run in [("queue 700: two callers wait, 1002 takes them in order",
                               scenario_fifo),
                              ("queue 701: maximum wait, then the fallback",
                               lambda s: scenario_max_wait(s, data)),
                              ("queue 702: callers hear their position", lambda s:
                               scenario_announce(s, data)),
                              ("queue 703: ring-all credits the agent who answered",
                               scenario_ring_all_credit)]:
                print(f"- {name}", flush=True)
                try:
                    run(server)
                except HarnessError as e:
                    check(False, f"{name}: {e}")
            if problems:
                print("---- server stderr (tail) ----\n" + server.stderr_text()[-4000:])
            check(server.stop() == 0, "server did not exit 0 on SIGTERM")
    return report(problems, "queue callers wait with music and reach the agent in order")


if __name__ == "__main__":
    run_main(main)
