#!/usr/bin/env python3
"""Conference rooms and ring groups changed in place over the REST API of the real
`parley serve` (HTTPS, SQLite, SIP and RTP on loopback; decision 0054), reaching the running
server's calls without a restart.

Set-up through the CLI: tenants example.com (1002, 1003) and other.org (2001), the tenant admins
boss (example.com) and stranger (other.org); 1002 registers from a Python UA. Over the API,
signed in as boss (cookie + CSRF token):
1. Room 800 is created with PIN 2468, then PATCHed to PIN 1357, moderator PIN 9753 and 5
   participants; GET reads that back (the PINs only as has_pin/has_moderator_pin). The next
   callers meet the new PINs: 1003 keying the old PIN three times is hung up by Parley, and
   1003 keying the new moderator PIN is listed by the live participants API as the room's
   moderator. Keys and the participant list are cheap to drive with the Python phone and need
   no audio judgement, so the test checks the running server, not only the stored row.
2. Whole or nothing: a PATCH with a good name and a bad PIN (or a moderator PIN equal to the
   PIN, or an unknown member) is a 400 problem document naming that field, and GET shows every
   setting as before; a PATCH of a missing room is 404.
3. Ring group 600 (no members, final destination hangup): a call from 1003 gets 480. PATCH its
   name, strategy, ring time and final destination (1002) in one request: the next call to 600
   rings 1002. A refused PATCH changes nothing.
4. stranger, the admin of other.org, gets 404 for example.com's room and group (PATCH included)
   and changes nothing.

Parley's RTP ports are 63500-63749 and the test's RTP peers 63750-63999 (the admin range).
"""

import os
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from api_test import Client, wait_for_https  # noqa: E402
from call_client import Caller, answer_bye, is_request, no_request, response_to  # noqa: E402
from media_peer import RtpPeer  # noqa: E402
from media_test import Sdp, make_sdp  # noqa: E402
from parley_harness import HarnessError, ParleyServer, report, run_main  # noqa: E402
from pbx_scenario import (checker, media_config, provisioned, script_arguments,  # noqa: E402
                          two_tenants_with_admins)
from sip_client import SipUA  # noqa: E402

DOMAIN = "example.com"
PASSWORDS = {"1002": "pw-1002-secret", "1003": "pw-1003-secret"}
ADMINS = {"boss": "boss-password-123", "stranger": "stranger-password-123"}
BASE = f"/api/v1/tenants/{DOMAIN}"
ROOM = BASE + "/conference-rooms/800"
GROUP = BASE + "/ring-groups/600"
PEER_PORTS = range(63750, 64000, 2)
problems, check = checker()




class Keypad:
    """1003 calling a room: the SIP dialog and an RTP peer that presses keys (RFC 4733)."""

    def __init__(self, server, number: str):
        self.peer = RtpPeer(ports=PEER_PORTS)
        self.ua = SipUA(server.udp, "1003", DOMAIN, PASSWORDS["1003"])
        self.caller = Caller(self.ua, number, make_sdp(self.peer.port, [
            (0, "PCMU/8000"), (101, "telephone-event/8000")]))
        self.event_ts = 1_000_000
        try:
            self.ok = self.caller.connect(f"1003 calling {number}")
            answer = Sdp(self.ok.body)
            self.to = (answer.ip, answer.port)
        except (HarnessError, AttributeError):
            self.close()
            raise

    def key(self, digits: str):
        self.event_ts, _ = self.peer.press_keys(self.to, digits, self.event_ts, 30000, gap=0.03)

    def close(self):
        self.peer.close()
        self.ua.close()


def unchanged(boss, path, before, what):
    after = boss.request("GET", path)
    check(after.status == 200 and after.json() == before,
          f"{what} changed something: {before} became {after.status} {after.text}")


def refused(boss, path, body, field, what):
    answer = boss.request("PATCH", path, body)
    problem = answer.json() or {}
    check(answer.status == 400 and
          answer.headers.get("Content-Type") == "application/problem+json" and
          problem.get("field") == field,
          f"{what}: {answer.status} {answer.text} (expected 400 beside {field})")


def participants(boss):
    listed = boss.request("GET", ROOM + "/participants")
    return (listed.json() or {}).get("items", []) if listed.status == 200 else []


def room(server, boss):
    print("- room 800: PIN 2468 changed in place to 1357 (moderator 9753, 5 places)", flush=True)
    created = boss.request("POST", BASE + "/conference-rooms",
                           {"number": "800", "name": "Board", "pin": "2468"})
    check(created.status == 201, f"create 800: {created.status} {created.text}")
    patched = boss.request("PATCH", ROOM, {"pin": "1357", "moderator_pin": "9753",
                                           "max_participants": 5})
    body = patched.json() or {}
    check(patched.status == 200 and body.get("name") == "Board" and body.get("has_pin") is True
          and body.get("has_moderator_pin") is True and body.get("max_participants") == 5 and
          "pin" not in body and "moderator_pin" not in body,
          f"PATCH 800: {patched.status} {patched.text}")
    read = boss.request("GET", ROOM)
    check(read.status == 200 and read.json() == body, f"GET 800 after the change: {read.text}")

    print("  the next caller keying the old PIN three times is hung up", flush=True)
    old = Keypad(server, "800")
    try:
        old.key("2468#2468#")
        check(no_request(old.ua, "BYE", 0.3), "BYE after only two refusals of the old PIN")
        old.key("2468#")
        try:
            answer_bye(old.ua)
        except HarnessError as error:
            check(False, f"the old PIN was still accepted (no BYE after three tries): {error}")
    finally:
        old.close()
    check(participants(boss) == [], f"a caller with the old PIN joined: {participants(boss)}")

    print("  the next caller keying the new moderator PIN joins as the moderator", flush=True)
    moderator = Keypad(server, "800")
    try:
        moderator.key("9753#")
        deadline = time.monotonic() + 3.0
        people = participants(boss)
        while not people and time.monotonic() < deadline:
            time.sleep(0.1)
            people = participants(boss)
        check(len(people) == 1 and people[0].get("caller") == "1003" and
              people[0].get("moderator") is True,
              f"participants after the new moderator PIN: {people}")
        check(moderator.caller.hang_up(moderator.ok) == 200, "BYE to room 800 not answered 200")
    finally:
        moderator.close()

    print("- room 800: refusals change nothing; a missing room is 404", flush=True)
    before = boss.request("GET", ROOM).json()
    refused(boss, ROOM, {"name": "Renamed", "pin": "12"}, "pin", "a 2-digit PIN")
    refused(boss, ROOM, {"name": "Renamed", "pin": "9753"}, "pin", "the PIN = moderator PIN")
    refused(boss, ROOM, {"name": "Renamed", "max_participants": 500}, "max_participants",
            "500 participants")
    refused(boss, ROOM, {"name": "Renamed", "number": "801"}, "number", "a new number")
    unchanged(boss, ROOM, before, "a refused room PATCH")
    missing = boss.request("PATCH", BASE + "/conference-rooms/899", {"name": "x"})
    check(missing.status == 404 and
          missing.headers.get("Content-Type") == "application/problem+json",
          f"PATCH of a missing room: {missing.status}")


def call_group(server):
    """1003 calls 600; returns the final response (a 200 is hung up at once)."""
    peer = RtpPeer(ports=PEER_PORTS)
    ua = SipUA(server.udp, "1003", DOMAIN, PASSWORDS["1003"])
    try:
        caller = Caller(ua, "600", make_sdp(peer.port, [(0, "PCMU/8000")]))
        caller.start()
        return caller.final(8.0)
    finally:
        ua.close()
        peer.close()


def ring_group(server, boss, agent):
    print("- ring group 600: final destination hangup, then 1002 after one PATCH", flush=True)
    created = boss.request("POST", BASE + "/ring-groups", {"number": "600", "name": "Sales"})
    check(created.status == 201, f"create 600: {created.status} {created.text}")
    final = call_group(server)
    check(final.status == 480, f"a call to the empty group got {final.status}, expected 480")

    patched = boss.request("PATCH", GROUP, {"name": "Front desk", "strategy": "hunt",
                                            "member_timeout_seconds": 20,
                                            "final_destination": "1002"})
    body = patched.json() or {}
    check(patched.status == 200 and body.get("name") == "Front desk" and
          body.get("strategy") == "hunt" and body.get("member_timeout_seconds") == 20 and
          body.get("final_destination") == "1002" and body.get("members") == [],
          f"PATCH 600: {patched.status} {patched.text}")
    peer = RtpPeer(ports=PEER_PORTS)
    ua = SipUA(server.udp, "1003", DOMAIN, PASSWORDS["1003"])
    try:
        caller = Caller(ua, "600", make_sdp(peer.port, [(0, "PCMU/8000")]))
        caller.start()
        try:
            invite, addr = agent.recv(5.0, is_request("INVITE"))
            check("1003" in (invite.header("From") or ""), "1002 was offered another call")
            agent.send(response_to(invite, 486, "Busy Here", "agent-tag"), addr)
        except HarnessError as error:
            check(False, f"the changed group did not ring 1002: {error}")
        caller.final(8.0)
    finally:
        ua.close()
        peer.close()

    print("- ring group 600: refusals change nothing; a missing group is 404", flush=True)
    before = boss.request("GET", GROUP).json()
    refused(boss, GROUP, {"name": "Renamed", "members": ["1002", "1999"]}, "members",
            "an unknown member")
    refused(boss, GROUP, {"name": "Renamed", "final_destination": "600"}, "final_destination",
            "the group as its own final destination")
    refused(boss, GROUP, {"name": "Renamed", "strategy": "random"}, "strategy", "a strategy")
    unchanged(boss, GROUP, before, "a refused ring group PATCH")
    check(boss.request("PATCH", BASE + "/ring-groups/699", {"name": "x"}).status == 404,
          "PATCH of a missing ring group")


def scoping(address, boss):
    print("- another tenant's admin: 404 for example.com's room and group, nothing changes",
          flush=True)
    stranger = Client(address)
    check(stranger.login("stranger", ADMINS["stranger"]).status == 200, "stranger sign-in")
    room_before = boss.request("GET", ROOM).json()
    group_before = boss.request("GET", GROUP).json()
    for path, body in ((ROOM, {"pin": "4444"}), (GROUP, {"final_destination": "hangup"})):
        for method in ("GET", "PATCH"):
            answer = stranger.request(method, path, body if method == "PATCH" else None)
            check(answer.status == 404 and
                  answer.headers.get("Content-Type") == "application/problem+json",
                  f"stranger: {method} {path} answered {answer.status}")
    unchanged(boss, ROOM, room_before, "stranger's room PATCH")
    unchanged(boss, GROUP, group_before, "stranger's ring group PATCH")
    forged = boss.request("PATCH", ROOM, {"name": "Forged"}, csrf=False)
    check(forged.status == 403, f"PATCH without the CSRF token: {forged.status}")
    unchanged(boss, ROOM, room_before, "a PATCH without the CSRF token")


def main():
    args = script_arguments(__doc__)
    with provisioned(args.parley, "parley-api-edit-") as (tmp, data):
        two_tenants_with_admins(args.parley, data, DOMAIN, PASSWORDS, ADMINS)
        config = media_config(tmp, 63500, 63749)
        with ParleyServer(args.parley, data_dir=data,
                          args=["--config", config, "--workers", "2"]) as server:
            address = wait_for_https(server)
            boss = Client(address)
            check(boss.login("boss", ADMINS["boss"]).status == 200, "boss sign-in")
            agent = SipUA(server.udp, "1002", DOMAIN, PASSWORDS["1002"])
            try:
                check(agent.register(expires=300).status == 200, "1002 REGISTER failed")
                for name, step in (("room", lambda: room(server, boss)),
                                   ("ring group", lambda: ring_group(server, boss, agent)),
                                   ("scoping", lambda: scoping(address, boss))):
                    try:
                        step()
                    except HarnessError as error:
                        check(False, f"{name}: {error}")
            finally:
                agent.close()
            if problems:
                print("---- server stderr (tail) ----\n" + server.stderr_text()[-3000:])
            check(server.stop() == 0, "server did not exit 0 on SIGTERM")
    return report(problems, "rooms and ring groups change in place and reach calls at once")


if __name__ == "__main__":
    run_main(main)
