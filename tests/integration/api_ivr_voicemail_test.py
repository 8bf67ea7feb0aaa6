#!/usr/bin/env python3
"""IVR menus, schedules, voicemail boxes and the users' own forwarding and do-not-disturb over
the REST API of the real `parley serve` (HTTPS, SQLite, SIP and RTP on loopback; docs/api.md),
each reaching calls without a restart.

Set-up through the CLI: tenants example.com (1001, 1002, 1003) and other.org (2001), the tenant
admins boss (example.com) and stranger (other.org).
1. boss POSTs IVR menu "main" on 500: a call from 1001 to 500 is answered by the menu at once
   and its greeting is heard; a bad option is refused beside "options" and a taken number 409;
   DELETE: the next call to 500 gets 404. A schedule is created, read back and refused with an
   unknown time zone beside "time_zone".
2. User 1002 switches on their own do-not-disturb with PATCH .../extensions/1002/call-features:
   1001's call to 1002 is refused busy (486) at once; 1002 may not touch 1003's (403).
3. User 1003 forwards their own calls when unregistered to voicemail:1003 (PUT .../forwards/
   unregistered): 1001's call leaves a message of 1.5 s. 1003 lists it (GET .../voicemail-boxes/
   1003/messages), fetches its WAV whole and as a byte range (the bytes on disk), marks it saved;
   1002 gets 403 for 1003's box; stranger gets 404; boss resets the PIN (stored hashed, has_pin);
   1003 deletes the message: 204, the file is gone from disk and the box is empty.

Parley's RTP ports are 47500-47749 and the test peers' 47750-47999 (no other test uses them).
"""

import glob
import os
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from api_test import Client, wait_for_https  # noqa: E402
from call_client import Caller  # noqa: E402
from media_peer import RtpPeer, pcmu_frames  # noqa: E402
from media_test import Sdp, make_sdp  # noqa: E402
from parley_harness import HarnessError, ParleyServer, report, run_main  # noqa: E402
from pbx_scenario import (checker, media_config, provisioned, script_arguments,  # noqa: E402
                          two_tenants_with_admins)
from sip_client import SipUA  # noqa: E402

DOMAIN = "example.com"
PASSWORDS = {"1001": "pw-1001-secret", "1002": "pw-1002-secret", "1003": "pw-1003-secret"}
ADMINS = {"boss": "boss-password-123", "stranger": "stranger-password-123"}
BASE = "/api/v1/tenants/example.com"
PEER_PORTS = range(47750, 48000, 2)
problems, check = checker()




class Dial:
    """1001 calling `number` with a PCMU offer."""

    def __init__(self, server, number):
        self.peer = RtpPeer(ports=PEER_PORTS)
        self.ua = SipUA(server.udp, "1001", DOMAIN, PASSWORDS["1001"])
        self.caller = Caller(self.ua, number, make_sdp(self.peer.port, [(0, "PCMU/8000")]))
        self.caller.start()

    def close(self):
        self.peer.close()
        self.ua.close()


def ivr(server, boss):
    print("- IVR menu 500 over the API answers a call at once; DELETE: 404", flush=True)
    refused = boss.request("POST", BASE + "/ivrs", {"name": "main", "number": "500",
                                                   "options": {"1": "not a destination"}})
    check(refused.status == 400 and (refused.json() or {}).get("field") == "options",
          f"bad option: {refused.status} {refused.text}")
    taken = boss.request("POST", BASE + "/ivrs", {"name": "main", "number": "1002"})
    check(taken.status == 409 and (taken.json() or {}).get("field") == "number",
          f"an extension's number: {taken.status} {taken.text}")
    created = boss.request("POST", BASE + "/ivrs", {
        "name": "main", "number": "500", "greeting_text": "Welcome to Parley. Press one.",
        "options": {"1": "1002"}})
    check(created.status == 201 and (created.json() or {}).get("options") == {"1": "1002"},
          f"create main: {created.status} {created.text}")
    dial = Dial(server, "500")
    try:
        ok = dial.caller.final(5.0)
        if check(ok.status == 200, f"call to 500 answered {ok.status}, expected the menu's 200"):
            dial.caller.ack_2xx(ok)
            answer = Sdp(ok.body)
            check(47500 <= answer.port <= 47749, f"RTP port {answer.port} outside 47500-47749")
            dial.peer.send_frames((answer.ip, answer.port), 0, pcmu_frames(300.0, 2000, 10), 160)
            level = dial.peer.level(1.5)
            print(f"  greeting level {level:.0f}", flush=True)
            check(level > 100, f"the menu's greeting is silent (RMS {level:.0f})")
            check(dial.caller.hang_up(ok) == 200, "BYE to the menu not answered 200")
    finally:
        dial.close()
    check(boss.request("DELETE", BASE + "/ivrs/main").status == 204, "DELETE main")
    dial = Dial(server, "500")
    try:
        gone = dial.caller.final(5.0)
        check(gone.status == 404, f"call to 500 after DELETE answered {gone.status}")
    finally:
        dial.close()

    schedule = {"name": "office", "number": "510", "time_zone": "Europe/Berlin",
                "hours": "mon-fri 09:00-17:00", "holidays": "2026-12-25",
                "open_destination": "1002", "closed_destination": "voicemail:1002"}
    made = boss.request("POST", BASE + "/schedules", schedule)
    check(made.status == 201 and (made.json() or {}).get("hours") == schedule["hours"],
          f"create schedule: {made.status} {made.text}")
    bad_zone = boss.request("PATCH", BASE + "/schedules/office", {"time_zone": "Mars/Olympus"})
    check(bad_zone.status == 400 and (bad_zone.json() or {}).get("field") == "time_zone",
          f"unknown zone: {bad_zone.status} {bad_zone.text}")
    read = boss.request("GET", BASE + "/schedules/office")
    check(read.status == 200 and (read.json() or {}).get("time_zone") == "Europe/Berlin",
          f"schedule after a refused change: {read.status} {read.text}")


def own_dnd(address, server):
    print("- user 1002 switches on their own do-not-disturb: 1001's call is busy", flush=True)
    user = Client(address)
    check(user.login(f"1002@{DOMAIN}", PASSWORDS["1002"]).status == 200, "1002 sign-in")
    check(user.request("PATCH", BASE + "/extensions/1003/call-features",
                       {"dnd": True}).status == 403, "1002 changed 1003's do-not-disturb")
    on = user.request("PATCH", BASE + "/extensions/1002/call-features", {"dnd": True})
    check(on.status == 200 and (on.json() or {}).get("dnd") is True,
          f"own DND: {on.status} {on.text}")
    dial = Dial(server, "1002")
    try:
        busy = dial.caller.final(5.0)
        check(busy.status == 486, f"call to 1002 in do-not-disturb answered {busy.status}")
    finally:
        dial.close()
    off = user.request("PATCH", BASE + "/extensions/1002/call-features", {"dnd": False})
    check(off.status == 200 and (off.json() or {}).get("dnd") is False, f"DND off: {off.status}")


def voicemail(address, server, boss, data):
    print("- 1003 forwards to its voicemail; lists, plays and deletes the message", flush=True)
    owner = Client(address)
    check(owner.login(f"1003@{DOMAIN}", PASSWORDS["1003"]).status == 200, "1003 sign-in")
    forward = owner.request("PUT", BASE + "/extensions/1003/forwards/unregistered",
                            {"destination": "voicemail:1003"})
    check(forward.status == 200, f"own forward: {forward.status} {forward.text}")
    dial = Dial(server, "1003")
    try:
        ok = dial.caller.final(5.0)
        if not check(ok.status == 200, f"voicemail of 1003 answered {ok.status}"):
            return
        dial.caller.ack_2xx(ok)
        answer = Sdp(ok.body)
        time.sleep(0.8)  # the greeting and its beep
        dial.peer.send_frames((answer.ip, answer.port), 0, pcmu_frames(700.0, 8000, 75), 160)
        check(dial.caller.hang_up(ok) == 200, "BYE to voicemail not answered 200")
    finally:
        dial.close()

    box = BASE + "/voicemail-boxes/1003"
    items = []
    deadline = time.monotonic() + 5.0
    while not items and time.monotonic() < deadline:
        listed = owner.request("GET", box + "/messages")
        items = (listed.json() or {}).get("items", []) if listed.status == 200 else []
        if not items:
            time.sleep(0.2)
    if not check(len(items) == 1, f"1003's box lists {len(items)} messages, expected 1"):
        return
    message = items[0]
    check(message.get("caller") == "1001" and message.get("state") == "new" and
          1000 <= message.get("duration_ms", 0) <= 2500, f"the message reads {message}")
    files = glob.glob(os.path.join(data, "voicemail", "**", "*.wav"), recursive=True)
    if not check(len(files) == 1, f"{len(files)} voicemail files on disk, expected 1"):
        return
    with open(files[0], "rb") as f:
        on_disk = f.read()
    url = message["audio_url"]
    whole = owner.request("GET", url)
    check(whole.status == 200 and whole.raw == on_disk and
          whole.headers.get("Content-Type") == "audio/wav",
          f"GET {url}: {whole.status}, {len(whole.raw)} of {len(on_disk)} bytes")
    head = owner.request("GET", url, headers={"Range": "bytes=0-43"})
    check(head.status == 206 and head.raw == on_disk[:44] and
          head.headers.get("Content-Range") == f"bytes 0-43/{len(on_disk)}",
          f"Range 0-43: {head.status} {head.headers.get('Content-Range')}")
    saved = owner.request("PATCH", f"{box}/messages/{message['id']}", {"state": "saved"})
    check(saved.status == 200 and (saved.json() or {}).get("state") == "saved",
          f"mark saved: {saved.status}")

    other_user = Client(address)
    check(other_user.login(f"1002@{DOMAIN}", PASSWORDS["1002"]).status == 200, "1002 sign-in")
    for path in (box, box + "/messages", url):
        check(other_user.request("GET", path).status == 403, f"1002 reached {path}")
    check(other_user.request("DELETE", f"{box}/messages/{message['id']}").status == 403,
          "1002 deleted 1003's message")
    stranger = Client(address)
    check(stranger.login("stranger", ADMINS["stranger"]).status == 200, "stranger sign-in")
    for path in (box, box + "/messages", url):
        check(stranger.request("GET", path).status == 404, f"stranger: GET {path}")

    pin = boss.request("PATCH", box, {"pin": "4826"})
    check(pin.status == 200 and (pin.json() or {}).get("has_pin") is True and
          "pin" not in (pin.json() or {}), f"PIN reset: {pin.status} {pin.text}")
    check(owner.request("PATCH", box, {"max_messages": 5}).status == 403,
          "a user changed their box's limit")
    removed = owner.request("DELETE", f"{box}/messages/{message['id']}")
    check(removed.status == 204, f"DELETE the message: {removed.status} {removed.text}")
    check(not os.path.exists(files[0]), "the message's file is still on disk")
    after = owner.request("GET", box)
    check(after.status == 200 and (after.json() or {}).get("new_messages") == 0 and
          (after.json() or {}).get("saved_messages") == 0, f"the box after: {after.text}")


def main():
    args = script_arguments(__doc__)
    with provisioned(args.parley, "parley-api-ivr-") as (tmp, data):
        two_tenants_with_admins(args.parley, data, DOMAIN, PASSWORDS, ADMINS)
        config = media_config(tmp, 47500, 47749)
        with ParleyServer(args.parley, data_dir=data,
                          args=["--config", config, "--workers", "2"]) as server:
            address = wait_for_https(server)
            boss = Client(address)
            check(boss.login("boss", ADMINS["boss"]).status == 200, "boss sign-in")
            for name, step in (("ivr", lambda: ivr(server, boss)),
                               ("dnd", lambda: own_dnd(address, server)),
                               ("voicemail", lambda: voicemail(address, server, boss, data))):
                try:
                    step()
                except HarnessError as error:
                    check(False, f"{name}: {error}")
            if problems:
                print("---- server stderr (tail) ----\n" + server.stderr_text()[-3000:])
            check(server.stop() == 0, "server did not exit 0 on SIGTERM")
    return report(problems, "IVRs, schedules, voicemail and own DND over the API reach calls")


if __name__ == "__main__":
    run_main(main)
