#!/usr/bin/env python3
"""Conference rooms, call queues and call recordings over the REST API of the real
`parley serve` (HTTPS, SQLite, SIP and RTP on loopback; docs/api.md), reaching calls without a
restart.

Set-up through the CLI: tenants example.com (1001, 1002, 1003; 1001's calls are recorded) and
other.org (2001), the tenant admins boss (example.com) and stranger (other.org). Over the API,
signed in as boss (cookie + CSRF token):
1. POST room 800: a call from 1003 to 800 is answered by the conference at once (no sleep: the
   API reloads the rooms before it answers). DELETE it: the next call to 800 gets 404.
2. POST queue 700 with member 1002: a call from 1003 to 700 is answered by the queue and 1002 is
   offered the call. PATCH its members to 1003 and its wait: read back as sent.
3. A recorded call 1001 -> 1002 (one second of tone each way): GET .../recordings lists it
   (within 5 s of the hang-up; application/json, no-store, format "wav"); its audio_url gives
   exactly the bytes of the WAV on disk, whole and as byte ranges (206 with Content-Range; a
   suffix range; 416 beyond the end), inline or, with ?download=1, as an attachment, named
   recording-<id>.wav either way.
4. Tenant scoping: stranger gets 404 for example.com's rooms, queues, recordings and audio; a
   user gets 403; a change without the CSRF token changes nothing.

Parley's RTP ports are 47000-47499 (no other test uses them).
"""

import glob
import os
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from api_test import Client, wait_for_https  # noqa: E402
from call_client import Caller, is_request, response_to  # noqa: E402
from media_peer import RtpPeer  # noqa: E402
from media_test import PASSWORDS as MEDIA_PASSWORDS, Call, make_sdp  # noqa: E402
from parley_harness import HarnessError, ParleyServer, report, run_main  # noqa: E402
from recording_test import send_tones  # noqa: E402
from pbx_scenario import (checker, media_config, provisioned, script_arguments,  # noqa: E402
                          two_tenants_with_admins)
from sip_client import SipUA  # noqa: E402

DOMAIN = "example.com"
PASSWORDS = {**MEDIA_PASSWORDS, "1003": "pw-1003-secret"}
ADMINS = {"boss": "boss-password-123", "stranger": "stranger-password-123"}
BASE = "/api/v1/tenants/example.com"
problems, check = checker()




def dial(server, number):
    """1003 calls `number` with a PCMU offer; returns the UA, the Caller and its RTP peer."""
    peer = RtpPeer()
    ua = SipUA(server.udp, "1003", DOMAIN, PASSWORDS["1003"])
    caller = Caller(ua, number, make_sdp(peer.port, [(0, "PCMU/8000")]))
    caller.start()
    return ua, caller, peer


def rooms(server, boss):
    print("- POST room 800: the conference answers a call to it; DELETE: 404", flush=True)
    created = boss.request("POST", BASE + "/conference-rooms",
                           {"number": "800", "name": "Board", "max_participants": 5})
    check(created.status == 201 and (created.json() or {}).get("has_pin") is False,
          f"create 800: {created.status} {created.text}")
    ua, caller, peer = dial(server, "800")
    try:
        ok = caller.final()
        if check(ok.status == 200, f"a call to room 800 got {ok.status}, expected 200"):
            caller.ack_2xx(ok)
            caller.in_dialog("BYE", ok, caller.cseq + 1)
            ua.final_response("BYE", 3.0)
    finally:
        ua.close()
        peer.close()
    check(boss.request("DELETE", BASE + "/conference-rooms/800").status == 204, "delete 800")
    ua, caller, peer = dial(server, "800")
    try:
        final = caller.final()
        check(final.status == 404, f"a call to the removed room got {final.status}, expected 404")
    finally:
        ua.close()
        peer.close()


def queues(server, boss, agent):
    print("- POST queue 700 (member 1002): a call is queued and offered to 1002", flush=True)
    created = boss.request("POST", BASE + "/queues",
                           {"number": "700", "name": "Support", "members": ["1002"],
                            "ring_timeout_seconds": 10})
    check(created.status == 201, f"create 700: {created.status} {created.text}")
    ua, caller, peer = dial(server, "700")
    try:
        ok = caller.final()
        if check(ok.status == 200, f"a call to queue 700 got {ok.status}, expected 200"):
            caller.ack_2xx(ok)
            invite, addr = agent.recv(6.0, is_request("INVITE"))
            check("1003" in (invite.header("From") or ""), "1002 was offered another call")
            agent.send(response_to(invite, 486, "Busy Here", "agent-tag"), addr)
            caller.in_dialog("BYE", ok, caller.cseq + 1)
            ua.final_response("BYE", 3.0)
    finally:
        ua.close()
        peer.close()
    patched = boss.request("PATCH", BASE + "/queues/700",
                           {"members": ["1003"], "max_wait_seconds": 60})
    body = patched.json() or {}
    check(patched.status == 200 and body.get("members") == ["1003"] and
          body.get("max_wait_seconds") == 60 and body.get("ring_timeout_seconds") == 10,
          f"patch 700: {patched.status} {patched.text}")


def recordings(server, boss, callee, data):
    print("- a recorded call: listed, and its audio whole and in ranges", flush=True)
    call = Call(server, callee, [(0, "PCMU/8000")], [(0, "PCMU/8000")])
    try:
        send_tones(call, "PCMU", 0, "PCMU", 0, frames=50)
    finally:
        call.hang_up()
    deadline = time.monotonic() + 5.0
    items = []
    while not items and time.monotonic() < deadline:
        listed = boss.request("GET", BASE + "/recordings")
        items = (listed.json() or {}).get("items", [])
        if not items:
            time.sleep(0.2)
    check(listed.headers.get("Content-Type") == "application/json" and
          listed.headers.get("Cache-Control") == "no-store",
          f"the list's headers: {listed.headers.get('Content-Type')} "
          f"{listed.headers.get('Cache-Control')}")
    if not check(len(items) == 1, f"recordings listed after the call: {items}"):
        return None
    item = items[0]
    check((item.get("caller"), item.get("callee"), item.get("format")) == ("1001", "1002", "wav"),
          f"listed as {item}")
    files = glob.glob(os.path.join(data, "recordings", DOMAIN, "*", "*", "*.wav"))
    if not check(len(files) == 1, f"WAV files on disk: {files}"):
        return None
    with open(files[0], "rb") as f:
        on_disk = f.read()
    url = item.get("audio_url", "")
    whole = boss.request("GET", url)
    check(whole.status == 200 and whole.raw == on_disk and
          whole.headers.get("Content-Type") == "audio/wav" and
          whole.headers.get("Accept-Ranges") == "bytes",
          f"GET {url}: {whole.status}, {len(whole.raw)} bytes of {len(on_disk)}")
    name = f'filename="recording-{item.get("id")}.wav"'
    saved = boss.request("GET", url + "?download=1")
    check(whole.headers.get("Content-Disposition") == "inline; " + name and
          saved.status == 200 and saved.raw == on_disk and
          saved.headers.get("Content-Disposition") == "attachment; " + name,
          f"Content-Disposition: played {whole.headers.get('Content-Disposition')}, "
          f"saved {saved.status} {saved.headers.get('Content-Disposition')}")
    head = boss.request("GET", url, headers={"Range": "bytes=0-43"})
    check(head.status == 206 and head.raw == on_disk[:44] and head.raw.startswith(b"RIFF") and
          head.headers.get("Content-Range") == f"bytes 0-43/{len(on_disk)}",
          f"Range 0-43: {head.status} {head.headers.get('Content-Range')}")
    tail = boss.request("GET", url, headers={"Range": "bytes=-100"})
    check(tail.status == 206 and tail.raw == on_disk[-100:], f"Range -100: {tail.status}")
    beyond = boss.request("GET", url, headers={"Range": f"bytes={len(on_disk)}-"})
    check(beyond.status == 416 and
          beyond.headers.get("Content-Range") == f"bytes */{len(on_disk)}",
          f"Range beyond the end: {beyond.status}")
    return url


def scoping(address, boss, audio_url):
    print("- tenant scoping, roles, CSRF", flush=True)
    boss.request("POST", BASE + "/conference-rooms", {"number": "801"})
    stranger = Client(address)
    check(stranger.login("stranger", ADMINS["stranger"]).status == 200, "stranger sign-in")
    paths = [BASE + "/conference-rooms", BASE + "/conference-rooms/801", BASE + "/queues",
             BASE + "/queues/700", BASE + "/recordings"]
    if audio_url:
        paths.append(audio_url)
    for path in paths:
        answer = stranger.request("GET", path)
        check(answer.status == 404 and
              answer.headers.get("Content-Type") == "application/problem+json",
              f"other tenant's admin: GET {path} answered {answer.status}")
    check(stranger.request("DELETE", BASE + "/queues/700").status == 404, "stranger DELETE")
    own = stranger.request("GET", "/api/v1/tenants/other.org/queues")
    check(own.status == 200 and (own.json() or {}).get("items") == [],
          f"other.org's own queues: {own.status} {own.text}")
    user = Client(address)
    check(user.login(f"1001@{DOMAIN}", PASSWORDS["1001"]).status == 200, "user sign-in")
    for path in (BASE + "/queues", BASE + "/recordings"):
        check(user.request("GET", path).status == 403, f"a user may GET {path}")
    forged = boss.request("DELETE", BASE + "/queues/700", csrf=False)
    check(forged.status == 403, f"DELETE without CSRF token: {forged.status}")
    check(boss.request("GET", BASE + "/queues/700").status == 200, "700 gone after refusals")
    check(boss.request("GET", BASE + "/conference-rooms/801").status == 200, "801 gone")


def main():
    args = script_arguments(__doc__)
    with provisioned(args.parley, "parley-api-rooms-") as (tmp, data):
        two_tenants_with_admins(args.parley, data, DOMAIN, PASSWORDS, ADMINS,
                                extra=(["user", "record", f"1001@{DOMAIN}", "always"],))
        config = media_config(tmp, 47000, 47499)
        with ParleyServer(args.parley, data_dir=data,
                          args=["--config", config, "--workers", "2"]) as server:
            address = wait_for_https(server)
            boss = Client(address)
            check(boss.login("boss", ADMINS["boss"]).status == 200, "boss sign-in")
            agent = SipUA(server.udp, "1002", DOMAIN, PASSWORDS["1002"])
            audio_url = None
            try:
                check(agent.register(expires=300).status == 200, "1002 REGISTER failed")
                for name, step in (("rooms", lambda: rooms(server, boss)),
                                   ("queues", lambda: queues(server, boss, agent)),
                                   ("recordings", lambda: recordings(server, boss, agent, data))):
                    try:
                        result = step()
                        if name == "recordings":
                            audio_url = result
                    except HarnessError as error:
                        check(False, f"{name}: {error}")
                scoping(address, boss, audio_url)
            finally:
                agent.close()
            if problems:
                print("---- server stderr (tail) ----\n" + server.stderr_text()[-3000:])
            check(server.stop() == 0, "server did not exit 0 on SIGTERM")
    return report(problems, "rooms, queues and recordings over the API reach calls at once")


if __name__ == "__main__":
    run_main(main)
