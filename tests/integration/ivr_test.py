#!/usr/bin/env python3
"""The auto attendant (IVR) and schedules, with real SIP and RTP peers on loopback.

1. CLI: `parley ivr add|option|list` and `parley schedule add|list`; bad hours, a bad
   destination and a number that is an extension are refused.
2. 1001 calls menu number 500: Parley answers and speaks the greeting (espeak-ng; energy, not
   silence). When the greeting is over, an invalid key (7, RFC 4733) makes Parley speak again
   ("invalid choice" and the greeting). Then key 1: extension 1002 rings (an INVITE from Parley),
   answers; Parley re-INVITEs 1001 to the relay and 1002's tone reaches 1001.
3. 1001 calls 601, a schedule that is never open: it routes to 1003 at once, which rings.
4. 1001 calls 600, a schedule that is always open: it routes to the menu, whose greeting plays.
5. `parley ivr add recorded@… --audio FILE.opus` (opusenc's 700 Hz, tests/data/audio) checks and
   converts the file into the data folder; the original is deleted before the server starts, and
   1001 calling 502 hears 700 Hz. A text file given as --audio is refused with the reason.
6. Key 3 passes the caller to 1003, which forwards to 1002 on no answer (5 s) and on busy:
   1003 rings unanswered, then 1002 rings and talks with the caller; then 1003's phone answers
   486 and 1002 rings at once (decision 0058).

Parley's RTP ports are 42000-42499 and the test peers' 42500-42999 (no other test uses them).
"""

import os
import secrets
import shutil
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from call_client import (DOMAIN, Caller, answer_bye, is_request, no_request,  # noqa: E402
                         response_to)
from media_peer import RtpPeer, goertzel_amplitude, pcmu_samples  # noqa: E402
from media_test import Sdp, answer_pcmu_invite, make_sdp  # noqa: E402
from parley_harness import HarnessError, ParleyServer, report, run_main, run_parley  # noqa: E402
from pbx_scenario import (checker, finish, media_config, provisioned, registered,  # noqa: E402
                          run_scenarios, script_arguments)
from sip_client import SipUA  # noqa: E402

PASSWORDS = {"1001": "pw-1001-secret", "1002": "pw-1002-secret", "1003": "pw-1003-secret"}
PEER_PORTS = range(42500, 43000, 2)
SPEECH_RMS = 300  # espeak-ng speech as PCMU is far above this; Parley's silence is 0
problems, check = checker()


class Peer(RtpPeer):
    def __init__(self):
        super().__init__(ports=PEER_PORTS)
        self.event_ts = 1_000_000
        self.seq = 30000

    def key(self, to, digit: str):
        self.event_ts, self.seq = self.press_keys(to, digit, self.event_ts, self.seq)


class IvrCall:
    """1001 calling `number`, answered by Parley."""

    def __init__(self, server, number: str):
        self.peer = Peer()
        self.ua = SipUA(server.udp, "1001", DOMAIN, PASSWORDS["1001"])
        self.caller = Caller(self.ua, number, make_sdp(self.peer.port, [(0, "PCMU/8000"),
                                                                        (101, "telephone-event/8000")]))
        try:
            self.ok = self.caller.connect()
        except HarnessError:
            self.close()
            raise
        answer = Sdp(self.ok.body)
        check(42000 <= answer.port <= 42499, f"RTP port {answer.port} outside 42000-42499")
        self.to = (answer.ip, answer.port)
        # Keep-alive audio from the caller: latching and the media timeout want RTP.
        self.peer.start_tone(self.to, 300.0, 100, ssrc=0x1234, seq=1000, ts=8000, max_frames=2000)

    def accept_reinvite(self, timeout: float = 5.0) -> tuple[str, int]:
        """Answers Parley's re-INVITE (the transfer) and returns the new RTP destination."""
        invite, addr = self.ua.recv(timeout, is_request("INVITE"))
        sdp = make_sdp(self.peer.port, [(0, "PCMU/8000"), (101, "telephone-event/8000")])
        self.ua.send(response_to(invite, 200, "OK", "unused", self.ua.contact_uri(), sdp), addr)
        self.ua.recv(3.0, is_request("ACK"))
        offer = Sdp(invite.body)
        return (offer.ip, offer.port)

    def hang_up(self):
        check(self.caller.hang_up(self.ok) == 200, "BYE not answered 200")

    def close(self):
        self.peer.close()
        self.ua.close()


def expect_bye(ua: SipUA, who: str):
    try:
        answer_bye(ua)
    except HarnessError:
        check(False, f"{who} got no BYE when the caller hung up")


def scenario_menu(server, agents):
    call = IvrCall(server, "500")
    agent_rtp = Peer()
    try:
        greeting = call.peer.level(1.2)
        print(f"  greeting level {greeting:.0f}", flush=True)
        check(greeting > SPEECH_RMS, f"the greeting is silent (RMS {greeting:.0f})")
        check(call.peer.wait_for_silence(), "the greeting never ended")
        call.peer.key(call.to, "7")
        replay = call.peer.level(1.0)
        print(f"  after an invalid key: level {replay:.0f}", flush=True)
        check(replay > SPEECH_RMS, f"an invalid key was not answered with speech ({replay:.0f})")
        check(no_request(agents["1002"], "INVITE", 0.2), "an invalid key rang 1002")
        check(call.peer.wait_for_silence(), "the replayed greeting never ended")
        call.peer.key(call.to, "1")
        _, agent_to = answer_pcmu_invite(agents["1002"], agent_rtp)
        print("  key 1: 1002 rang and answered", flush=True)
        relay = call.accept_reinvite()
        check(42000 <= relay[1] <= 42499, f"relay port {relay[1]} outside 42000-42499")
        agent_rtp.start_tone(agent_to, 900.0, 6000, ssrc=0x9999, seq=500, ts=16000,
                             max_frames=500)
        call.peer.tone_senders[0].stop()
        call.peer.start_tone(relay, 600.0, 6000, ssrc=0x4321, seq=5000, ts=80000, max_frames=500)
        time.sleep(0.5)
        call.peer.clear()
        agent_rtp.clear()
        time.sleep(1.0)
        heard = goertzel_amplitude(pcmu_samples(call.peer.packets(0)), 8000, 900.0)
        agent_heard = goertzel_amplitude(pcmu_samples(agent_rtp.packets(0)), 8000, 600.0)
        print(f"  1001 hears 1002's 900 Hz at {heard:.0f}; 1002 hears 600 Hz at "
              f"{agent_heard:.0f}", flush=True)
        check(heard > 3000, f"1001 does not hear 1002 after the transfer ({heard:.0f})")
        check(agent_heard > 3000, f"1002 does not hear 1001 after the transfer ({agent_heard:.0f})")
        call.hang_up()
        expect_bye(agents["1002"], "1002")
    finally:
        agent_rtp.close()
        call.close()


def scenario_night(server, agents):
    call = IvrCall(server, "601")
    agent_rtp = Peer()
    try:
        answer_pcmu_invite(agents["1003"], agent_rtp)
        print("  closed schedule: 1003 rang and answered", flush=True)
        call.accept_reinvite()
        call.hang_up()
        expect_bye(agents["1003"], "1003")
    finally:
        agent_rtp.close()
        call.close()


def scenario_day(server, agents):
    call = IvrCall(server, "600")
    try:
        greeting = call.peer.level(1.2)
        print(f"  open schedule: greeting level {greeting:.0f}", flush=True)
        check(greeting > SPEECH_RMS, f"the open schedule did not reach the menu ({greeting:.0f})")
        check(no_request(agents["1003"], "INVITE", 0.2),
              "the open schedule rang the night extension")
        call.hang_up()
    finally:
        call.close()


def scenario_recorded(server, agents):
    call = IvrCall(server, "502")
    try:
        time.sleep(1.0)
        heard = goertzel_amplitude(pcmu_samples(call.peer.packets(0)), 8000, 700.0)
        print(f"  recorded greeting: 700 Hz at {heard:.0f}", flush=True)
        check(heard > 2000, f"the imported Ogg/Opus greeting is not heard ({heard:.0f})")
        call.hang_up()
    finally:
        call.close()


def ring_without_answer(ua: SipUA, who: str):
    """`ua` rings (180) on the next INVITE and never answers: expects the CANCEL, 487s it."""
    invite, addr = ua.recv(5.0, is_request("INVITE"))
    tag = secrets.token_hex(4)
    ua.send(response_to(invite, 180, "Ringing", tag), addr)
    print(f"  {who} rings", flush=True)
    cancel, cancel_addr = ua.recv(8.0, is_request("CANCEL"))
    ua.send(response_to(cancel, 200, "OK", tag), cancel_addr)
    ua.send(response_to(invite, 487, "Request Terminated", tag), addr)
    ua.recv(3.0, is_request("ACK"))


def refuse_busy(ua: SipUA, who: str):
    """`ua`'s phone answers the next INVITE 486 Busy Here, as a phone in a call of its own does."""
    invite, addr = ua.recv(5.0, is_request("INVITE"))
    ua.send(response_to(invite, 486, "Busy Here", secrets.token_hex(4)), addr)
    ua.recv(3.0, is_request("ACK"))
    print(f"  {who} answers 486", flush=True)


def scenario_forwarded(server, agents, parley: str, data: str):
    """Key 3 passes the caller to 1003, whose forwarding sends calls it does not answer within
    5 s, or refuses busy, to 1002 (decision 0058: the menu's transfer follows the extension's
    plan, as a dialled call does). No answer: 1003 rings, is cancelled, and 1002 rings and talks
    with the caller. Busy by its phone: 1003 answers 486 and 1002 rings at once."""
    done = cli(parley, data, ["user", "forward", f"1003@{DOMAIN}", "--no-answer", "1002",
                              "--after", "5", "--busy", "1002"])
    check(done.returncode == 0, f"user forward 1003: {done.stderr!r}")
    time.sleep(1.5)  # the running server reloads within 1 s
    for refusal in ("no answer", "busy"):
        call = IvrCall(server, "500")
        agent_rtp = Peer()
        try:
            check(call.peer.wait_for_silence(), "the greeting never ended")
            call.peer.key(call.to, "3")
            if refusal == "no answer":
                ring_without_answer(agents["1003"], "1003")
            else:
                refuse_busy(agents["1003"], "1003")
            _, agent_to = answer_pcmu_invite(agents["1002"], agent_rtp)
            print(f"  {refusal}: 1002 rang and answered", flush=True)
            relay = call.accept_reinvite()
            agent_rtp.start_tone(agent_to, 900.0, 6000, ssrc=0x9998, seq=700, ts=16000,
                                 max_frames=200)
            time.sleep(0.5)
            call.peer.clear()
            time.sleep(1.0)
            heard = goertzel_amplitude(pcmu_samples(call.peer.packets(0)), 8000, 900.0)
            print(f"  {refusal}: 1001 hears 1002's 900 Hz at {heard:.0f}", flush=True)
            check(heard > 3000, f"{refusal}: 1001 does not hear 1002 ({heard:.0f})")
            call.hang_up()
            expect_bye(agents["1002"], "1002")
            check(relay[1] != 0, "no relay port in the re-INVITE")
        finally:
            agent_rtp.close()
            call.close()


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

    ok(["ivr", "add", f"main@{DOMAIN}", "--number", "500", "--greeting",
        "Welcome to Example. For sales, press one.", "--timeout", "3", "--attempts", "5"])
    ok(["ivr", "option", f"main@{DOMAIN}", "1", "1002"])
    ok(["ivr", "option", f"main@{DOMAIN}", "2", "menu:main"])
    ok(["ivr", "option", f"main@{DOMAIN}", "2", "-"])
    ok(["ivr", "option", f"main@{DOMAIN}", "3", "1003"])
    refused(["ivr", "option", f"main@{DOMAIN}", "3", "park:5"], "destination")
    refused(["ivr", "add", f"other@{DOMAIN}", "--number", "1001"], "extension")
    # A recorded greeting: imported from a copy that is gone before the server starts.
    upload = os.path.join(os.path.dirname(data), "greeting-upload.opus")
    shutil.copyfile(os.path.join(HERE, "..", "data", "audio", "tone-700-mono.opus"), upload)
    ok(["ivr", "add", f"recorded@{DOMAIN}", "--number", "502", "--audio", upload])
    os.remove(upload)
    imported = os.path.join(data, "imported-audio", f"ivr-{DOMAIN}-recorded.wav")
    check(os.path.isfile(imported), f"no converted greeting at {imported}")
    not_audio = os.path.join(os.path.dirname(data), "greeting.txt")
    with open(not_audio, "w") as f:
        f.write("Welcome to Example.\n")
    refused(["ivr", "set", f"recorded@{DOMAIN}", "--audio", not_audio], "neither a WAV")
    all_week = "mon-sun 00:00-24:00"
    ok(["schedule", "add", f"day@{DOMAIN}", "--number", "600", "--zone", "Europe/Berlin",
        "--hours", all_week, "--open", "menu:main", "--closed", "1003"])
    ok(["schedule", "add", f"night@{DOMAIN}", "--number", "601", "--zone", "America/New_York",
        "--open", "menu:main", "--closed", "1003"])
    refused(["schedule", "add", f"bad@{DOMAIN}", "--hours", "mon 17:00-09:00", "--open", "hangup",
             "--closed", "hangup"], "end must be after")
    refused(["schedule", "add", f"bad@{DOMAIN}", "--zone", "Mars/Olympus", "--open", "hangup",
             "--closed", "hangup"], "time zone")
    listed = cli(parley, data, ["ivr", "list"])
    check(listed.stdout.startswith(f"main@{DOMAIN}\t500\t3s\t5\thangup\t-\t1=1002 3=1003\t"),
          f"ivr list: {listed.stdout!r}")
    listed = cli(parley, data, ["schedule", "list", DOMAIN])
    check(f"day@{DOMAIN}\t600\tEurope/Berlin\t{all_week}\t-\topen=menu:main\tclosed=1003\n"
          in listed.stdout, f"schedule list: {listed.stdout!r}")


def main():
    args = script_arguments()
    with provisioned(args.parley, "parley-ivr-", PASSWORDS) as (tmp, data):
        print("- CLI", flush=True)
        scenario_cli(args.parley, data)
        config = media_config(tmp, 42000, 42499)
        with ParleyServer(args.parley, data_dir=data,
                          args=["--config", config, "--workers", "2"]) as server:
            agents = {}
            try:
                for ext in ("1002", "1003"):
                    agents[ext] = registered(server, ext, PASSWORDS, check)
                run_scenarios([("menu 500: greeting, invalid key, key 1 to 1002", scenario_menu),
                               ("schedule 601 (closed): to 1003", scenario_night),
                               ("schedule 600 (open): the menu", scenario_day),
                               ("menu 502: an imported Ogg/Opus greeting", scenario_recorded),
                               ("menu 500, key 3: 1003's forwarding is followed",
                                lambda s, a: scenario_forwarded(s, a, args.parley, data))],
                              check, server, agents)
            finally:
                for ua in agents.values():
                    ua.close()
            finish(server, problems, check, tail=4000)
    return report(problems, "the IVR speaks, routes digits and follows schedules")


if __name__ == "__main__":
    run_main(main)
