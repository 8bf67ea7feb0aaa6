#!/usr/bin/env python3
"""Live calls over the REST API (GET /api/v1/calls/live, DELETE /api/v1/calls/live/{id}) while
real SIP calls run through `parley serve`.

Set-up through the real CLI: tenants example.com (default) and other.org, extensions 1001 and
1002 of example.com and 2001 of other.org, admins root (system), boss (tenant admin of
example.com) and otherboss (tenant admin of other.org), an API token of other.org.

Checked: no call listed before; a Python caller 1001 calling a registered Python callee 1002
appears as "ringing" once the callee rang, then "answered" after the 200 OK, with caller, callee,
the caller's Call-ID and times; the tenant admin and the system admin see it, the other tenant's
token does not (empty list, and ?tenant=example.com is a 404 like a missing tenant). Hanging up:
another tenant's token or admin gets 404 (also naming our tenant), an unknown id 404, no CSRF
token 403, and the call goes on; the tenant admin's DELETE answers 204, caller and callee both
get BYE, the call leaves the list, a second DELETE is 404 and its call record says answered,
hang-up side "system". A second call, hung up by the system admin while it rings: the callee
gets CANCEL, the caller 487, the record says cancelled, hang-up side "system".

The dashboard's WebSocket /api/v1/events: without a session one 401 error message and a close;
the tenant admin gets example.com's counts at once and a new message as the call rings, is
answered and ends (registrations follow the REGISTER), the system admin gets both tenants.
"""

import json
import os
import secrets
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from api_test import Client, wait_for_https  # noqa: E402
from call_client import Caller, is_request, response_to  # noqa: E402
from parley_harness import (HarnessError, ParleyServer, new_branch, report,  # noqa: E402
                            run_cli, run_main)
from pbx_scenario import checker, finish, provisioned, registered, script_arguments  # noqa: E402
from sip_client import SipUA  # noqa: E402
from ws_client import WsClient  # noqa: E402

problems, check = checker()
DOMAIN = "example.com"
PASSWORDS = {"root": "root-password-123", "boss": "boss-password-123",
             "otherboss": "otherboss-password-123"}
SIP = {"1001": "sip-secret-1001", "1002": "sip-secret-1002", "2001": "sip-secret-2001"}


def setup(parley, data):
    def run(*argv):
        return run_cli(parley, data, *argv, timeout=30)

    run("tenant", "add", DOMAIN, "--default")
    run("tenant", "add", "other.org")
    run("user", "add", f"1001@{DOMAIN}", "--password", SIP["1001"])
    run("user", "add", f"1002@{DOMAIN}", "--password", SIP["1002"])
    run("user", "add", "2001@other.org", "--password", SIP["2001"])
    run("admin", "add", "root", "--password", PASSWORDS["root"])
    run("admin", "add", "boss", "--tenant", DOMAIN, "--password", PASSWORDS["boss"])
    run("admin", "add", "otherboss", "--tenant", "other.org", "--password",
        PASSWORDS["otherboss"])
    out = run("token", "add", "--tenant", "other.org", "--name", "ops")
    token = next((line.split(" ", 1)[1] for line in out.splitlines()
                  if line.startswith("token: ")), None)
    if token is None:
        raise HarnessError(f"token add printed no token: {out!r}")
    return token


def live(client, query=""):
    answer = client.request("GET", "/api/v1/calls/live" + query)
    return answer, (answer.json() or {})


def wait_live(client, predicate, what, timeout=5.0):
    """Polls the listing until `predicate(items)` holds (bounded), returns the last items."""
    deadline = time.monotonic() + timeout
    items = []
    while time.monotonic() < deadline:
        answer, body = live(client)
        items = body.get("items", [])
        if answer.status == 200 and predicate(items):
            return items
        time.sleep(0.05)
    check(False, f"{what}: still {items}")
    return items


def wait_record(client, sip_call_id, timeout=5.0):
    """The call record with that SIP Call-ID (the writer thread stores it a moment after the
    call ends); polls the newest page, bounded in time. None when it never appears."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = client.request("GET", f"/api/v1/tenants/{DOMAIN}/call-records?limit=20")
        for record in (answer.json() or {}).get("items", []):
            if record.get("call_id") == sip_call_id:
                return record
        time.sleep(0.1)
    return None


class Events:
    """The dashboard's events WebSocket, signed in with a client's session cookie."""

    def __init__(self, address, client):
        headers = [f"Cookie: {client.cookie}"] if client and client.cookie else []
        self.ws = WsClient(address, "/api/v1/events", extra_headers=headers)
        self.last = None

    def next(self, timeout):
        _, payload = self.ws.recv_message(timeout)
        self.last = json.loads(payload)
        return self.last

    def wait(self, predicate, what, timeout=6.0):
        """Reads messages until one satisfies `predicate` (bounded in time)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                message = self.next(max(0.1, deadline - time.monotonic()))
            except (HarnessError, ValueError):
                break
            if predicate(message):
                return message
        check(False, f"events: {what}; last message {self.last}")
        return None

    def close(self):
        self.ws.close()


def tenant_counts(message, domain):
    for item in (message or {}).get("tenants", []):
        if item.get("tenant") == domain:
            return item
    return None


def counts_are(domain, registrations=None, ringing=None, answered=None):
    def predicate(message):
        item = tenant_counts(message, domain)
        if message.get("type") != "counts" or item is None:
            return False
        calls = item.get("calls", {})
        return ((registrations is None or item.get("registrations") == registrations)
                and (ringing is None or calls.get("ringing") == ringing)
                and (answered is None or calls.get("answered") == answered))
    return predicate


def main():
    args = script_arguments(__doc__)
    with provisioned(args.parley, "parley-api-live-") as (tmp, data):
        token = setup(args.parley, data)
        with ParleyServer(args.parley, data_dir=data, args=["--workers", "2"]) as server:
            address = wait_for_https(server)
            root, boss, other = Client(address), Client(address), Client(address)
            other_boss = Client(address)
            check(root.login("root", PASSWORDS["root"]).status == 200, "root sign-in")
            check(boss.login("boss", PASSWORDS["boss"]).status == 200, "boss sign-in")
            check(other_boss.login("otherboss", PASSWORDS["otherboss"]).status == 200,
                  "otherboss sign-in")
            other.token = token

            print("- nothing listed before a call", flush=True)
            answer, body = live(boss)
            check(answer.status == 200 and body.get("items") == []
                  and body.get("counts") == {"total": 0, "answered": 0, "ringing": 0},
                  f"empty listing: {answer.status} {answer.text}")
            largest = boss.request("GET", f"/api/v1/tenants/{DOMAIN}/call-records?limit=1000")
            check(largest.status == 200 and (largest.json() or {}).get("next_cursor", 1) is None,
                  f"the largest call-record page (the dashboard reads it): {largest.status} "
                  f"{largest.text[:200]}")
            anonymous = Client(address).request("GET", "/api/v1/calls/live")
            check(anonymous.status == 401, f"unauthenticated listing: {anonymous.status}")

            print("- events WebSocket: refused without a session, counts for admins", flush=True)
            stranger = Events(address, None)
            refusal = stranger.next(5.0)
            check(refusal.get("type") == "error" and refusal.get("status") == 401,
                  f"events without a session: {refusal}")
            try:
                stranger.ws.wait_closed(3.0)
            except HarnessError as error:
                check(False, f"events without a session stays open: {error}")
            stranger.close()
            boss_events = Events(address, boss)
            root_events = Events(address, root)
            first = boss_events.next(5.0)
            check([t.get("tenant") for t in first.get("tenants", [])] == [DOMAIN]
                  and counts_are(DOMAIN, 0, 0, 0)(first),
                  f"tenant admin's first counts: {first}")
            everything = root_events.next(5.0)
            check(sorted(t.get("tenant") for t in everything.get("tenants", []))
                  == [DOMAIN, "other.org"], f"system admin's first counts: {everything}")

            callee = registered(server, "1002", SIP, check)
            caller_ua = SipUA(server.udp, "1001", DOMAIN, SIP["1001"])
            try:
                caller = Caller(caller_ua, "1002")
                caller.start()
                tag = secrets.token_hex(4)
                invite, addr = callee.recv(5.0, is_request("INVITE"))
                callee.send(response_to(invite, 180, "Ringing", tag), addr)
                caller.provisional(180)

                print("- a ringing call is listed and counted", flush=True)
                boss_events.wait(counts_are(DOMAIN, ringing=1, answered=0), "ringing call counted")
                items = wait_live(boss, lambda i: len(i) == 1, "ringing call listed")
                if items:
                    call = items[0]
                    check(call.get("state") == "ringing" and call.get("caller") == "1001"
                          and call.get("callee") == "1002" and call.get("tenant") == DOMAIN
                          and call.get("call_id") == caller.call_id
                          and call.get("answered_ms") is None
                          and abs(call.get("started_ms", 0) - time.time() * 1000) < 60000,
                          f"ringing call: {call}")

                callee.send(response_to(invite, 200, "OK", tag, callee.contact_uri()), addr)
                ok = caller.final()
                check(ok.status == 200, f"caller got {ok.status}, expected 200")
                caller.ack_2xx(ok)
                callee.recv(3.0, is_request("ACK"))

                print("- the answered call, per role and tenant", flush=True)
                boss_events.wait(counts_are(DOMAIN, registrations=1, ringing=0, answered=1),
                                 "answered call and the registration counted")
                root_events.wait(counts_are(DOMAIN, ringing=0, answered=1),
                                 "system admin sees the answered call")
                items = wait_live(boss, lambda i: len(i) == 1 and i[0].get("state") == "answered",
                                  "answered call listed")
                call_id = items[0]["id"] if items else "missing"
                if items:
                    check(isinstance(items[0].get("answered_ms"), int)
                          and items[0]["answered_ms"] >= items[0]["started_ms"],
                          f"answered call times: {items[0]}")
                answer, body = live(root)
                check(answer.status == 200 and [c.get("id") for c in body.get("items", [])]
                      == [call_id] and body.get("counts", {}).get("answered") == 1,
                      f"system admin listing: {answer.status} {answer.text}")
                answer, body = live(root, "?tenant=other.org")
                check(answer.status == 200 and body.get("items") == [],
                      f"system admin, other.org only: {answer.status} {answer.text}")
                answer, body = live(other)
                check(answer.status == 200 and body.get("items") == [],
                      f"other.org's token sees example.com's call: {answer.text}")
                answer, _ = live(other, f"?tenant={DOMAIN}")
                check(answer.status == 404, f"other.org asking for example.com: {answer.status}")
                answer, _ = live(boss, "?tenant=nosuch.example")
                check(answer.status == 404, f"unknown tenant: {answer.status}")

                print("- hang-up: another tenant's call is invisible", flush=True)
                refused = other.request("DELETE", f"/api/v1/calls/live/{call_id}")
                check(refused.status == 404, f"other tenant's token hangs up: {refused.status}")
                refused = other_boss.request("DELETE", f"/api/v1/calls/live/{call_id}")
                check(refused.status == 404, f"other tenant's admin hangs up: {refused.status}")
                refused = other_boss.request("DELETE",
                                             f"/api/v1/calls/live/{call_id}?tenant={DOMAIN}")
                check(refused.status == 404,
                      f"other tenant's admin naming our tenant: {refused.status}")
                unknown = boss.request("DELETE", "/api/v1/calls/live/nosuchcall")
                check(unknown.status == 404
                      and unknown.headers.get("Content-Type") == "application/problem+json",
                      f"unknown call hang-up: {unknown.status} {unknown.text}")
                no_csrf = boss.request("DELETE", f"/api/v1/calls/live/{call_id}", csrf=False)
                check(no_csrf.status == 403, f"hang-up without CSRF token: {no_csrf.status}")
                answer, body = live(boss)
                check(len(body.get("items", [])) == 1, "the call went away after a refused hang-up")

                print("- the tenant admin hangs the answered call up: BYE to both", flush=True)
                ended = boss.request("DELETE", f"/api/v1/calls/live/{call_id}")
                check(ended.status == 204 and ended.raw == b"",
                      f"hang-up: {ended.status} {ended.text}")
                for name, ua in (("caller", caller_ua), ("callee", callee)):
                    try:
                        bye, bye_addr = ua.recv(3.0, is_request("BYE"))
                        ua.send(response_to(bye, 200, "OK", "x"), bye_addr)
                    except HarnessError as error:
                        check(False, f"{name} got no BYE after the hang-up: {error}")
                wait_live(boss, lambda i: i == [], "call gone after the hang-up")
                boss_events.wait(counts_are(DOMAIN, ringing=0, answered=0), "call gone in events")
                gone = boss.request("DELETE", f"/api/v1/calls/live/{call_id}")
                check(gone.status == 404, f"hanging up an ended call: {gone.status}")
                record = wait_record(boss, caller.call_id)
                check(record is not None and record.get("disposition") == "answered"
                      and record.get("hangup_side") == "system"
                      and record.get("caller") == "1001" and record.get("callee") == "1002",
                      f"call record of the hung-up call: {record}")

                print("- the system admin hangs a ringing call up: 487 and CANCEL", flush=True)
                ringing = Caller(caller_ua, "1002")
                ringing.start()
                invite2, addr2 = callee.recv(5.0, is_request("INVITE"))
                callee.send(response_to(invite2, 180, "Ringing", tag + "2"), addr2)
                ringing.provisional(180)
                items = wait_live(root, lambda i: len(i) == 1 and i[0].get("state") == "ringing",
                                  "second call ringing")
                ringing_id = items[0]["id"] if items else "missing"
                check(ringing_id != call_id, "a new call has a new id")
                ended = root.request("DELETE", f"/api/v1/calls/live/{ringing_id}")
                check(ended.status == 204, f"ringing hang-up: {ended.status} {ended.text}")
                try:
                    cancel, cancel_addr = callee.recv(3.0, is_request("CANCEL"))
                    callee.send(response_to(cancel, 200, "OK", tag + "2"), cancel_addr)
                    callee.send(response_to(invite2, 487, "Request Terminated", tag + "2"), addr2)
                except HarnessError as error:
                    check(False, f"callee got no CANCEL: {error}")
                final = ringing.final(3.0)
                check(final.status == 487, f"caller of the ringing call got {final.status}")
                wait_live(root, lambda i: i == [], "ringing call gone after the hang-up")
                record = wait_record(boss, ringing.call_id)
                check(record is not None and record.get("disposition") == "cancelled"
                      and record.get("hangup_side") == "system",
                      f"call record of the cancelled call: {record}")
            finally:
                caller_ua.close()
                callee.close()
                boss_events.close()
                root_events.close()
            finish(server, problems, check)
    return report(problems, "live calls are listed per tenant while they run")


if __name__ == "__main__":
    run_main(main)
