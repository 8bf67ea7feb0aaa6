#!/usr/bin/env python3
"""Conference rooms answered by `parley serve --workers 2`, judged by ear (loopback).

1. CLI: `parley conference add` refuses a number that is an extension and a bad PIN, and
   `parley user add` refuses a number that is a room; `conference list` shows the rooms.
2. Room 800 (no PIN): 1001, 1002 and 1003 (registered) call it, each from its own RTP socket
   with PCMU and telephone-event, and each sends its own tone (600, 900, 1300 Hz) all along.
   The calls' Call-IDs spread them over both workers, while the room lives on one. By Goertzel,
   each hears the other two tones and not its own.
3. 1003 hangs up: 1001 and 1002 stop hearing 1300 Hz and still hear each other.
4. Room 801 (PIN 2468): a caller keying three wrong PINs (RFC 4733 digits ended with #) gets a
   BYE from Parley. Two callers keying the right PIN hear each other; before keying it they hear
   nothing of each other.

Parley's RTP ports are 40000-40499 and the test peers' 40500-40999 (no other test uses them).
"""

import os
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from call_client import DOMAIN, Caller, answer_bye, no_request  # noqa: E402
from media_peer import RtpPeer, goertzel_amplitude, pcmu_samples  # noqa: E402
from media_test import Sdp, make_sdp  # noqa: E402
from parley_harness import HarnessError, ParleyServer, report, run_main, run_parley  # noqa: E402
from pbx_scenario import (checker, finish, media_config, provisioned, registered,  # noqa: E402
                          run_scenarios, script_arguments)
from sip_client import SipUA  # noqa: E402

PASSWORDS = {"1001": "pw-1001-secret", "1002": "pw-1002-secret", "1003": "pw-1003-secret"}
TONES = {"1001": 600.0, "1002": 900.0, "1003": 1300.0}
PEER_PORTS = range(40500, 41000, 2)
AMPLITUDE = 6000
problems, check = checker()


class Peer(RtpPeer):
    """An RtpPeer bound in the test's own port range that can talk and press keys."""

    def __init__(self):
        super().__init__(ports=PEER_PORTS)
        self.event_ts = 1_000_000

    def talk(self, to, frequency: float):
        """Sends `frequency` as PCMU, 20 ms a packet, until close() (bounded to 60 s)."""
        self.start_tone(to, frequency, AMPLITUDE, ssrc=0x1234, seq=1000, ts=8000, max_frames=3000)

    def key(self, to, digits: str):
        """Presses each key as a phone does (RFC 4733: three updates, three end packets)."""
        self.event_ts, _ = self.press_keys(to, digits, self.event_ts, 30000, gap=0.03)


class Member:
    """One extension's call to a room: SIP dialog and RTP peer."""

    def __init__(self, server, ext: str, room: str):
        self.ext = ext
        self.peer = Peer()
        self.ua = SipUA(server.udp, ext, DOMAIN, PASSWORDS[ext])
        self.caller = Caller(self.ua, room, make_sdp(self.peer.port, [(0, "PCMU/8000"),
                                                                      (101, "telephone-event/8000")]))
        try:
            self.ok = self.caller.connect(f"{ext} calling {room}")
        except HarnessError:
            self.close()
            raise
        answer = Sdp(self.ok.body)
        check(answer.pts == [0, 101], f"{ext}: answer offers {answer.pts}, expected [0, 101]")
        check(40000 <= answer.port <= 40499, f"{ext}: RTP port {answer.port} outside 40000-40499")
        self.to = (answer.ip, answer.port)

    def hang_up(self):
        check(self.caller.hang_up(self.ok) == 200, f"{self.ext}: BYE not answered 200")

    def heard(self) -> list[int]:
        return pcmu_samples(self.peer.packets(0))

    def close(self):
        self.peer.close()
        self.ua.close()


def levels(member: Member) -> dict[float, float]:
    samples = member.heard()
    # Parley's stream is continuous: at least half a second of audio in every window (>= 0.6 s).
    if not check(len(samples) >= 8000 // 2,
                 f"{member.ext} heard only {len(samples)} samples"):
        return {}
    return {f: goertzel_amplitude(samples, 8000, f) for f in TONES.values()}


def judge(what: str, members: list[Member], present: dict[str, list[str]]):
    """Each member must hear the tones of `present[ext]` and no other tone."""
    for member in members:
        heard = levels(member)
        if not heard:
            continue
        print(f"  {what}: {member.ext} hears " +
              ", ".join(f"{f:.0f} Hz at {a:.0f}" for f, a in heard.items()), flush=True)
        for other, frequency in TONES.items():
            if other in present[member.ext]:
                check(heard[frequency] > AMPLITUDE * 0.5,
                      f"{what}: {member.ext} hears {other}'s {frequency:.0f} Hz at only "
                      f"{heard[frequency]:.0f} (sent {AMPLITUDE})")
            else:
                check(heard[frequency] < AMPLITUDE * 0.08,
                      f"{what}: {member.ext} hears {frequency:.0f} Hz at {heard[frequency]:.0f}, "
                      "which it should not")


def listen(members: list[Member], seconds: float):
    for member in members:
        member.peer.clear()
    time.sleep(seconds)


def scenario_room(server):
    members: list[Member] = []
    try:
        for ext in ("1001", "1002", "1003"):
            member = Member(server, ext, "800")
            members.append(member)
            member.peer.talk(member.to, TONES[ext])
        time.sleep(0.6)  # join tones and jitter buffers settle
        listen(members, 1.0)
        judge("three in the room", members,
              {"1001": ["1002", "1003"], "1002": ["1001", "1003"], "1003": ["1001", "1002"]})
        leaving = members.pop()
        leaving.hang_up()
        leaving.close()
        time.sleep(0.4)
        listen(members, 1.0)
        judge("after 1003 left", members, {"1001": ["1002"], "1002": ["1001"]})
        for member in members:
            member.hang_up()
    finally:
        for member in members:
            member.close()


def scenario_pin(server):
    intruder = Member(server, "1001", "801")
    try:
        intruder.peer.key(intruder.to, "1111#2222#")
        # Still in: two tries are not three.
        check(no_request(intruder.ua, "BYE", 0.3), "BYE after only two wrong PINs")
        intruder.peer.key(intruder.to, "3333#")
        try:
            answer_bye(intruder.ua)
            print("  three wrong PINs: Parley hung up", flush=True)
        except HarnessError as e:
            check(False, f"three wrong PINs did not end the call: {e}")
    finally:
        intruder.close()

    members: list[Member] = []
    try:
        for ext in ("1002", "1003"):
            member = Member(server, ext, "801")
            members.append(member)
            member.peer.talk(member.to, TONES[ext])
        listen(members, 0.6)
        judge("before the PIN", members, {"1002": [], "1003": []})
        for member in members:
            member.peer.key(member.to, "2468#")
        time.sleep(0.6)
        listen(members, 1.0)
        judge("with the right PIN", members, {"1002": ["1003"], "1003": ["1002"]})
        for member in members:
            member.hang_up()
    finally:
        for member in members:
            member.close()


def cli(parley: str, data: str, args: list[str]):
    return run_parley(parley, [*args, "--data", data])


def scenario_cli(parley: str, data: str):
    added = cli(parley, data, ["conference", "add", f"800@{DOMAIN}", "--name", "Team"])
    check(added.returncode == 0, f"conference add 800: {added.stderr}")
    added = cli(parley, data, ["conference", "add", f"801@{DOMAIN}", "--pin", "2468", "--max", "5"])
    check(added.returncode == 0, f"conference add 801: {added.stderr}")
    taken = cli(parley, data, ["conference", "add", f"1001@{DOMAIN}"])
    check(taken.returncode == 1 and "1001" in taken.stderr,
          f"a room on extension 1001: exit {taken.returncode}, {taken.stderr!r}")
    bad_pin = cli(parley, data, ["conference", "add", f"802@{DOMAIN}", "--pin", "12"])
    check(bad_pin.returncode == 1 and "PIN" in bad_pin.stderr,
          f"PIN 12: exit {bad_pin.returncode}, {bad_pin.stderr!r}")
    user = cli(parley, data, ["user", "add", f"800@{DOMAIN}", "--password", "pw-800-secret"])
    check(user.returncode == 1, f"an extension on room 800: exit {user.returncode}")
    listed = cli(parley, data, ["conference", "list"])
    check(listed.stdout == f"800@{DOMAIN}\tTeam\t-\t50\n801@{DOMAIN}\t\tpin\t5\n",
          f"conference list: {listed.stdout!r}")
    removed = cli(parley, data, ["conference", "rm", f"802@{DOMAIN}"])
    check(removed.returncode == 1, "removing a room that does not exist succeeded")
    # set: only the given settings change, whole or not at all ("" removes a PIN).
    changed = cli(parley, data, ["conference", "set", f"800@{DOMAIN}", "--pin", "1357",
                                 "--name", "Team B"])
    check(changed.returncode == 0 and "changed: with a PIN" in changed.stdout,
          f"conference set 800: {changed.returncode}, {changed.stdout!r} {changed.stderr!r}")
    refused = cli(parley, data, ["conference", "set", f"800@{DOMAIN}", "--name", "Team C",
                                 "--moderator-pin", "1357"])
    check(refused.returncode == 1 and "PIN" in refused.stderr,
          f"a moderator PIN equal to the PIN: exit {refused.returncode}, {refused.stderr!r}")
    listed = cli(parley, data, ["conference", "list", DOMAIN])
    check(listed.stdout.startswith(f"800@{DOMAIN}\tTeam B\tpin\t50\n"),
          f"after set (and a refused set): {listed.stdout!r}")
    restored = cli(parley, data, ["conference", "set", f"800@{DOMAIN}", "--pin", "",
                                  "--name", "Team"])
    check(restored.returncode == 0 and "no PIN" in restored.stdout,
          f"conference set --pin '': {restored.returncode}, {restored.stderr!r}")
    for args, pattern in ((["conference", "set", f"800@{DOMAIN}"], "nothing to change"),
                          (["conference", "set", f"809@{DOMAIN}", "--max", "5"], "809")):
        result = cli(parley, data, args)
        check(result.returncode == 1 and pattern in result.stderr,
              f"{' '.join(args)}: exit {result.returncode}, {result.stderr!r}")


def main():
    args = script_arguments()
    with provisioned(args.parley, "parley-conference-", PASSWORDS) as (tmp, data):
        print("- CLI", flush=True)
        scenario_cli(args.parley, data)
        config = media_config(tmp, 40000, 40499)
        with ParleyServer(args.parley, data_dir=data,
                          args=["--config", config, "--workers", "2"]) as server:
            for ext in PASSWORDS:
                registered(server, ext, PASSWORDS, check).close()
            run_scenarios([("room 800: three callers, one leaves", scenario_room),
                           ("room 801: PIN", scenario_pin)], check, server)
            finish(server, problems, check)
    return report(problems, "conference rooms mix every caller but themselves, with PINs")


if __name__ == "__main__":
    run_main(main)
