#!/usr/bin/env python3
"""Conference mute, moderators and removal (decision 0034) with the real `parley serve
--workers 2`, judged by ear (Goertzel) and over the REST API (HTTPS, loopback).

Room 810 has PIN 1357 and moderator PIN 9876. 1001 (600 Hz) and 1002 (900 Hz) key the PIN,
1003 (1300 Hz) the moderator PIN; each sends its tone all along from its own RTP socket.
1. Everyone hears the other two.
2. The API lists the three in join order, 1003 as moderator, to the tenant admin and to 1003
   signed in as a user; 1002 (not a moderator) and another tenant's admin get 404.
3. 1003 (as a user, over the API) mutes 1001: 1002 and 1003 no longer hear 600 Hz, 1001 still
   hears both others. The admin unmutes 1001: 600 Hz is back.
4. 1002 keys *6: nobody hears 900 Hz, 1002 still hears the rest; *6 again brings it back.
   Each mute change in 3 and 4 is confirmed to the participant whose state changed, and to no
   one else: the "muted" cue (440 Hz then 330 Hz) or the "unmuted" one (1500 Hz then 1750 Hz;
   decision 0040). 1003 (moderator) keys *4 then *5: 1001 and 1002 hear the cues, 1003 none.
5. The admin removes 1001 (DELETE): 1001's call gets a BYE from Parley; 1002 and 1003 go on
   hearing each other and no 600 Hz; the API lists two. 1003 keys *7 (remove the last
   participant who is not a moderator): 1002 gets a BYE.
6. CLI: a moderator PIN equal to the PIN, or not digits, is refused.

Parley's RTP ports are 54000-54499 and the test peers' 54700-54899 (no other test uses them).
"""

import sys
import os
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from api_test import Client, wait_for_https  # noqa: E402
from call_client import DOMAIN, Caller, answer_bye  # noqa: E402
from media_peer import RtpPeer, goertzel_amplitude, pcmu_samples  # noqa: E402
from media_test import Sdp, make_sdp  # noqa: E402
from parley_harness import HarnessError, ParleyServer, report, run_main, run_parley  # noqa: E402
from pbx_scenario import (checker, finish, media_config, provisioned, run_scenarios,  # noqa: E402
                          script_arguments)
from sip_client import SipUA  # noqa: E402

PASSWORDS = {"1001": "pw-1001-secret", "1002": "pw-1002-secret", "1003": "pw-1003-secret"}
TONES = {"1001": 600.0, "1002": 900.0, "1003": 1300.0}
ADMINS = {"boss": "boss-password-123", "stranger": "stranger-password-123"}
ROOM = "810"
PIN = "1357"
MODERATOR_PIN = "9876"
PEER_PORTS = range(54700, 54900, 2)
AMPLITUDE = 6000
ROOM_PATH = f"/api/v1/tenants/{DOMAIN}/conference-rooms/{ROOM}/participants"
problems, check = checker()


class Member:
    """One extension in room 810: its SIP dialog and an RTP peer that talks and keys."""

    def __init__(self, server, ext: str):
        self.ext = ext
        self.peer = RtpPeer(ports=PEER_PORTS)
        self.event_ts = 1_000_000
        self.ua = SipUA(server.udp, ext, DOMAIN, PASSWORDS[ext])
        self.caller = Caller(self.ua, ROOM, make_sdp(self.peer.port, [
            (0, "PCMU/8000"), (101, "telephone-event/8000")]))
        try:
            self.ok = self.caller.connect(f"{ext} calling {ROOM}")
        except HarnessError:
            self.close()
            raise
        answer = Sdp(self.ok.body)
        check(54000 <= answer.port <= 54499, f"{ext}: RTP port {answer.port} outside 54000-54499")
        self.to = (answer.ip, answer.port)
        self.peer.start_tone(self.to, TONES[ext], AMPLITUDE, ssrc=0x1234, seq=1000, ts=8000,
                             max_frames=3000)

    def key(self, digits: str):
        self.event_ts, _ = self.peer.press_keys(self.to, digits, self.event_ts, 30000, gap=0.03)

    def levels(self) -> dict[float, float]:
        samples = pcmu_samples(self.peer.packets(0))
        if not check(len(samples) >= 4000, f"{self.ext} heard only {len(samples)} samples"):
            return {}
        return {f: goertzel_amplitude(samples, 8000, f) for f in TONES.values()}

    def hang_up(self):
        check(self.caller.hang_up(self.ok) == 200, f"{self.ext}: BYE not answered 200")

    def close(self):
        self.peer.close()
        self.ua.close()


def judge(what: str, members: list, present: dict[str, list[str]], settle: float = 0.5):
    """After `settle` s, listens 1 s: each member hears the tones of `present[ext]` only."""
    time.sleep(settle)
    for member in members:
        member.peer.clear()
    time.sleep(1.0)
    for member in members:
        heard = member.levels()
        if not heard:
            continue
        print(f"  {what}: {member.ext} hears " +
              ", ".join(f"{f:.0f} Hz at {a:.0f}" for f, a in heard.items()), flush=True)
        for other, frequency in TONES.items():
            if other == member.ext:
                continue
            if other in present[member.ext]:
                check(heard[frequency] > AMPLITUDE * 0.5,
                      f"{what}: {member.ext} hears {other}'s {frequency:.0f} Hz at only "
                      f"{heard[frequency]:.0f}")
            else:
                check(heard[frequency] < AMPLITUDE * 0.08,
                      f"{what}: {member.ext} hears {other}'s {frequency:.0f} Hz at "
                      f"{heard[frequency]:.0f}, which it should not")
        check(heard[TONES[member.ext]] < AMPLITUDE * 0.08, f"{what}: {member.ext} hears itself")


CUES = {"muted": (440.0, 330.0), "unmuted": (1500.0, 1750.0)}
CUE_HEARD = 500     # a 150 ms note at ~8000 in a ~0.9 s window gives ~1300
CUE_ABSENT = 200


def cued(what: str, members: list, change, expected: dict[str, str]):
    """Clears what every member heard, runs change(), listens 0.8 s: each member hears the cue
    `expected[ext]` names ("muted" or "unmuted") and no other; the rest hear no cue. Returns
    what change() returned."""
    for member in members:
        member.peer.clear()
    result = change()
    time.sleep(0.8)
    for member in members:
        samples = pcmu_samples(member.peer.packets(0))
        wanted = CUES.get(expected.get(member.ext, ""), ())
        for frequency in (f for pair in CUES.values() for f in pair):
            level = goertzel_amplitude(samples, 8000, frequency) if samples else 0.0
            if frequency in wanted:
                check(level > CUE_HEARD, f"{what}: {member.ext} hears the {expected[member.ext]} "
                      f"cue's {frequency:.0f} Hz at only {level:.0f}")
            else:
                check(level < CUE_ABSENT, f"{what}: {member.ext} hears {frequency:.0f} Hz at "
                      f"{level:.0f}, a cue that is not its own")
    print(f"  {what}: cues {expected or 'none'}", flush=True)
    return result


def participants(client) -> list[dict]:
    answer = client.request("GET", ROOM_PATH)
    if answer.status != 200:
        raise HarnessError(f"GET participants: {answer.status} {answer.text}")
    return (answer.json() or {}).get("items", [])


def scenario_room(server, address):
    boss = Client(address)
    check(boss.login("boss", ADMINS["boss"]).status == 200, "boss sign-in")
    members = {}
    try:
        for ext, pin in (("1001", PIN), ("1002", PIN), ("1003", MODERATOR_PIN)):
            members[ext] = Member(server, ext)
            members[ext].key(pin + "#")
            time.sleep(0.2)  # a join order the API can show
        everyone = list(members.values())
        judge("three in the room", everyone,
              {"1001": ["1002", "1003"], "1002": ["1001", "1003"], "1003": ["1001", "1002"]})

        listed = participants(boss)
        print(f"  participants: {listed}", flush=True)
        check([p.get("caller") for p in listed] == ["1001", "1002", "1003"],
              f"participants in join order: {listed}")
        check([p.get("moderator") for p in listed] == [False, False, True],
              f"only 1003 is a moderator: {listed}")
        ids = {p.get("caller"): p.get("id") for p in listed}
        moderator = Client(address)
        check(moderator.login(f"1003@{DOMAIN}", PASSWORDS["1003"]).status == 200,
              "1003 signs in as a user")
        check(len(participants(moderator)) == 3, "the moderator lists the room")
        plain = Client(address)
        check(plain.login(f"1002@{DOMAIN}", PASSWORDS["1002"]).status == 200, "1002 signs in")
        refused = plain.request("GET", ROOM_PATH)
        check(refused.status == 404 and "problem+json" in refused.headers.get("Content-Type", ""),
              f"a participant who is no moderator lists the room: {refused.status}")
        refused = plain.request("POST", f"{ROOM_PATH}/{ids['1001']}/mute")
        check(refused.status == 404, f"a non-moderator mutes: {refused.status}")
        stranger = Client(address)
        check(stranger.login("stranger", ADMINS["stranger"]).status == 200, "stranger sign-in")
        refused = stranger.request("GET", ROOM_PATH)
        check(refused.status == 404, f"another tenant's admin lists the room: {refused.status}")
        missing = boss.request("POST", f"{ROOM_PATH}/999999/mute")
        check(missing.status == 404, f"muting an unknown participant: {missing.status}")

        muted = cued("API mutes 1001", everyone,
                     lambda: moderator.request("POST", f"{ROOM_PATH}/{ids['1001']}/mute"),
                     {"1001": "muted"})
        check(muted.status == 200 and (muted.json() or {}).get("muted") is True,
              f"moderator mutes 1001: {muted.status} {muted.text}")
        judge("1001 muted", everyone,
              {"1001": ["1002", "1003"], "1002": ["1003"], "1003": ["1002"]})
        unmuted = cued("API unmutes 1001", everyone,
                       lambda: boss.request("POST", f"{ROOM_PATH}/{ids['1001']}/unmute"),
                       {"1001": "unmuted"})
        check(unmuted.status == 200 and (unmuted.json() or {}).get("muted") is False,
              f"admin unmutes 1001: {unmuted.status} {unmuted.text}")
        judge("1001 unmuted", everyone,
              {"1001": ["1002", "1003"], "1002": ["1001", "1003"], "1003": ["1001", "1002"]})

        cued("1002 keys *6", everyone, lambda: members["1002"].key("*6"), {"1002": "muted"})
        judge("1002 keyed *6", everyone,
              {"1001": ["1003"], "1002": ["1001", "1003"], "1003": ["1001"]})
        check([p.get("muted") for p in participants(boss)] == [False, True, False],
              "the API shows 1002 muted")
        cued("1002 keys *6 again", everyone, lambda: members["1002"].key("*6"),
             {"1002": "unmuted"})
        judge("1002 keyed *6 again", everyone,
              {"1001": ["1002", "1003"], "1002": ["1001", "1003"], "1003": ["1001", "1002"]})
        cued("moderator keys *4", everyone, lambda: members["1003"].key("*4"),
             {"1001": "muted", "1002": "muted"})
        judge("moderator keyed *4", everyone, {"1001": ["1003"], "1002": ["1003"], "1003": []})
        cued("moderator keys *5", everyone, lambda: members["1003"].key("*5"),
             {"1001": "unmuted", "1002": "unmuted"})

        removed = boss.request("DELETE", f"{ROOM_PATH}/{ids['1001']}")
        check(removed.status == 204, f"admin removes 1001: {removed.status} {removed.text}")
        try:
            answer_bye(members["1001"].ua)
            print("  1001 removed: Parley sent BYE", flush=True)
        except HarnessError as error:
            check(False, f"removing 1001 did not end its call: {error}")
        members.pop("1001").close()
        remaining = list(members.values())
        judge("after the removal", remaining, {"1002": ["1003"], "1003": ["1002"]}, settle=0.3)
        check([p.get("caller") for p in participants(boss)] == ["1002", "1003"],
              "the API lists the two who remain")

        members["1003"].key("*7")
        try:
            answer_bye(members["1002"].ua)
            print("  1003 keyed *7: 1002 got BYE", flush=True)
        except HarnessError as error:
            check(False, f"the moderator's *7 did not remove 1002: {error}")
        members.pop("1002").close()
        members["1003"].hang_up()
    finally:
        for member in members.values():
            member.close()


def scenario_cli(parley: str, data: str):
    def cli(*args):
        return run_parley(parley, [*args, "--data", data])

    added = cli("conference", "add", f"{ROOM}@{DOMAIN}", "--pin", PIN, "--moderator-pin",
                MODERATOR_PIN)
    check(added.returncode == 0 and "with a moderator PIN" in added.stdout,
          f"conference add with a moderator PIN: {added.stdout} {added.stderr}")
    same = cli("conference", "add", f"811@{DOMAIN}", "--pin", PIN, "--moderator-pin", PIN)
    check(same.returncode == 1 and "differ" in same.stderr,
          f"moderator PIN = PIN: exit {same.returncode}, {same.stderr!r}")
    bad = cli("conference", "add", f"812@{DOMAIN}", "--moderator-pin", "12ab")
    check(bad.returncode == 1 and "moderator PIN" in bad.stderr,
          f"moderator PIN 12ab: exit {bad.returncode}, {bad.stderr!r}")
    for argv in (["tenant", "add", "other.org"],
                 ["admin", "add", "boss", "--tenant", DOMAIN, "--password", ADMINS["boss"]],
                 ["admin", "add", "stranger", "--tenant", "other.org", "--password",
                  ADMINS["stranger"]]):
        result = cli(*argv)
        if result.returncode != 0:
            raise HarnessError(f"parley {' '.join(argv)}: {result.stderr}")


def main():
    args = script_arguments(__doc__)
    with provisioned(args.parley, "parley-conference-moderator-", PASSWORDS) as (tmp, data):
        print("- CLI", flush=True)
        scenario_cli(args.parley, data)
        config = media_config(tmp, 54000, 54499)
        with ParleyServer(args.parley, data_dir=data,
                          args=["--config", config, "--workers", "2"]) as server:
            address = wait_for_https(server)
            run_scenarios([("room 810: mute, moderator, removal", scenario_room)], check, server,
                          address)
            finish(server, problems, check)
    return report(problems, "conference mute and removal by moderators and over the API")


if __name__ == "__main__":
    run_main(main)
