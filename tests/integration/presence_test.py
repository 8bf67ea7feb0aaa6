#!/usr/bin/env python3
"""User-set presence (decision 0025) against the real `parley serve` (UDP, loopback, 2 workers):
PUBLISH (RFC 3903, PIDF bodies) by 1001 while 1003 watches 1001 with SUBSCRIBE presence.

1. A digest-authenticated PUBLISH "away" with a note: 200 with SIP-ETag and Expires; the
   watcher's NOTIFY says open, the note, and the RPID activity away.
2. Modify with SIP-If-Match (busy): a new entity-tag, NOTIFY busy. A stale or unknown tag: 412.
   Refresh without a body: new tag, and the publication lives past its first expiry; left
   unrefreshed it expires and the NOTIFY says Available again. Expires: 0 removes it.
3. PUBLISH "closed" makes 1001 look offline although registered (invisible).
4. `parley user dnd 1001@... on` in another process: a NOTIFY "Do not disturb" within about a
   second (the server picks store changes up once a second); off: back to Available.
5. Refusals: 489 for another event package, 415 for a body that is not PIDF, 400 for a broken
   PIDF document and for neither body nor SIP-If-Match, 403 for publishing another user's
   presence, 423 below the minimum expiry, 401 for a wrong password.
"""

import os
import secrets
import sys
import time
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from blf_client import PIDF_NS, Subscription, pidf_status  # noqa: E402
from call_client import DOMAIN  # noqa: E402
from parley_harness import (HarnessError, ParleyServer, new_branch, report, run_main,  # noqa: E402
                            run_parley)
from pbx_scenario import (QUICK_PRESENCE, checker, print_server_tail, provisioned,  # noqa: E402
                          registered, script_arguments, write_config)
from sip_client import SipUA, digest_credentials, pick_challenge  # noqa: E402

PASSWORDS = {"1001": "pw-1001-secret", "1002": "pw-1002-secret", "1003": "pw-1003-secret"}
RPID = "{urn:ietf:params:xml:ns:pidf:rpid}"
DM = "{urn:ietf:params:xml:ns:pidf:data-model}"
problems, check = checker()


def pidf(basic="open", activity=None, note=None) -> str:
    person = ""
    if activity or note:
        person = ('<dm:person id="p1">'
                  + (f"<rpid:activities><rpid:{activity}/></rpid:activities>" if activity else "")
                  + (f"<dm:note>{note}</dm:note>" if note else "") + "</dm:person>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<presence xmlns="urn:ietf:params:xml:ns:pidf"'
            ' xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model"'
            ' xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid"'
            f' entity="sip:1001@{DOMAIN}"><tuple id="t1"><status><basic>{basic}</basic></status>'
            f'</tuple>{person}</presence>')


class Publisher:
    """PUBLISH requests of `ua` for `target` (its own extension unless a test says otherwise)."""

    def __init__(self, ua: SipUA, target: str | None = None):
        self.ua = ua
        self.uri = f"sip:{target or ua.user}@{ua.domain}"
        self.call_id = secrets.token_hex(10) + "@pub"
        self.cseq = 0

    def request(self, body, expires, if_match, event, content_type, auth) -> bytes:
        self.cseq += 1
        data = (body or "").encode()
        lines = [f"PUBLISH {self.uri} SIP/2.0",
                 f"Via: SIP/2.0/UDP {self.ua.ip}:{self.ua.port};branch={new_branch()};rport",
                 "Max-Forwards: 70", f"From: <{self.ua.aor}>;tag={secrets.token_hex(4)}",
                 f"To: <{self.uri}>", f"Call-ID: {self.call_id}", f"CSeq: {self.cseq} PUBLISH",
                 f"Event: {event}"]
        if expires is not None:
            lines.append(f"Expires: {expires}")
        if if_match:
            lines.append(f"SIP-If-Match: {if_match}")
        if auth:
            lines.append(f"Authorization: {auth}")
        if data:
            lines.append(f"Content-Type: {content_type}")
        lines.append(f"Content-Length: {len(data)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + data

    def _final(self):
        want = f"{self.cseq} PUBLISH"
        msg, _ = self.ua.recv(3.0, lambda m: m.status >= 200 and (m.header("CSeq") or "") == want)
        return msg

    def publish(self, body=None, expires=60, if_match=None, event="presence",
                content_type="application/pidf+xml", password=None):
        """Sends the PUBLISH, answers a 401 once (SHA-256); returns the final response."""
        args = (body, expires, if_match, event, content_type)
        self.ua.send(self.request(*args, None))
        reply = self._final()
        if reply.status == 401:
            challenge = pick_challenge(reply.header_all("WWW-Authenticate"), "SHA-256")
            auth = digest_credentials(challenge, "PUBLISH", self.uri, self.ua.user,
                                      password or self.ua.password)
            self.ua.send(self.request(*args, auth))
            reply = self._final()
        return reply


def activities(notify) -> list[str]:
    root = ET.fromstring(notify.body.decode())
    found = root.find(f"{DM}person/{RPID}activities")
    return [] if found is None else [child.tag.replace(RPID, "") for child in found]


def expect(sub, basic, note, what, activity=None, timeout=3.0):
    notify = sub.next_notify(timeout)
    got = pidf_status(notify)
    check(got == (basic, note), f"{what}: presence {got}, expected {(basic, note)}")
    if activity is not None:
        check(activities(notify) == activity,
              f"{what}: activities {activities(notify)}, expected {activity}")
    return notify


def no_notify(sub, seconds, what):
    try:
        notify = sub.next_notify(seconds)
    except HarnessError:
        return
    check(False, f"{what}: unexpected NOTIFY {pidf_status(notify)}")


def scenario_publish(publisher, watch):
    print("- PUBLISH away, modify busy, 412, refresh, expiry, removal", flush=True)
    reply = publisher.publish(pidf(activity="away", note="Lunch &amp; errands"), expires=60)
    etag = reply.header("SIP-ETag")
    check(reply.status == 200 and etag, f"initial PUBLISH: {reply.status} SIP-ETag {etag}")
    check(reply.header("Expires") == "60", f"initial PUBLISH Expires {reply.header('Expires')}")
    expect(watch, "open", "Lunch & errands", "published away", activity=["away"])

    reply = publisher.publish(pidf(activity="busy"), expires=60, if_match=etag)
    new_etag = reply.header("SIP-ETag")
    check(reply.status == 200 and new_etag and new_etag != etag,
          f"modify: {reply.status} SIP-ETag {new_etag} (was {etag})")
    expect(watch, "open", "Busy", "modified to busy", activity=["busy"])

    reply = publisher.publish(pidf(), expires=60, if_match=etag)
    check(reply.status == 412, f"PUBLISH with a used-up entity-tag: {reply.status}, expected 412")
    reply = publisher.publish(None, expires=60, if_match="no-such-tag")
    check(reply.status == 412, f"refresh with an unknown entity-tag: {reply.status}")

    # Refresh to a short life: no NOTIFY (nothing changed), then expiry brings Available back.
    reply = publisher.publish(None, expires=3, if_match=new_etag)
    refreshed = reply.header("SIP-ETag")
    check(reply.status == 200 and refreshed and refreshed != new_etag,
          f"refresh: {reply.status} SIP-ETag {refreshed}")
    check(reply.header("Expires") == "3", f"refresh Expires {reply.header('Expires')}")
    no_notify(watch, 1.5, "refresh without a body")
    started = time.monotonic()
    expect(watch, "open", "Available", "publication expired", activity=[], timeout=4.0)
    waited = time.monotonic() - started
    check(waited > 0.5, f"the publication expired after {waited:.1f} s of 3 s left")
    reply = publisher.publish(None, expires=60, if_match=refreshed)
    check(reply.status == 412, f"refresh of an expired publication: {reply.status}")

    reply = publisher.publish(pidf(activity="away"), expires=60)
    check(reply.status == 200, f"second publication: {reply.status}")
    expect(watch, "open", "Away", "published away again")
    reply = publisher.publish(None, expires=0, if_match=reply.header("SIP-ETag"))
    check(reply.status == 200 and reply.header("Expires") == "0",
          f"removal: {reply.status} Expires {reply.header('Expires')}")
    expect(watch, "open", "Available", "publication removed")

    print("- PUBLISH closed: invisible", flush=True)
    reply = publisher.publish(pidf(basic="closed", note="hidden"), expires=60)
    check(reply.status == 200, f"closed publication: {reply.status}")
    expect(watch, "closed", "Offline", "invisible", activity=[])
    reply = publisher.publish(None, expires=0, if_match=reply.header("SIP-ETag"))
    check(reply.status == 200, f"removal of the closed publication: {reply.status}")
    expect(watch, "open", "Available", "visible again")


def scenario_dnd(parley, data, watch):
    print("- do-not-disturb from the CLI reaches the watcher", flush=True)
    for mode, basic, note in (("on", "closed", "Do not disturb"), ("off", "open", "Available")):
        started = time.monotonic()
        result = run_parley(parley, ["user", "dnd", f"1001@{DOMAIN}", mode, "--data", data])
        if not check(result.returncode == 0, f"parley user dnd {mode}: {result.stderr}"):
            return
        expect(watch, basic, note, f"DND {mode}", timeout=3.0)
        took = time.monotonic() - started
        print(f"  DND {mode}: NOTIFY {took:.2f} s after the CLI started", flush=True)
        check(took < 2.5, f"DND {mode} took {took:.2f} s to reach the watcher")


def scenario_refusals(ua, other):
    print("- refusals", flush=True)
    publisher = Publisher(ua)
    reply = publisher.publish(pidf(), event="dialog")
    check(reply.status == 489 and "presence" in (reply.header("Allow-Events") or ""),
          f"Event: dialog: {reply.status} Allow-Events {reply.header('Allow-Events')}")
    reply = publisher.publish("away", content_type="text/plain")
    check(reply.status == 415 and reply.header("Accept") == "application/pidf+xml",
          f"text/plain body: {reply.status} Accept {reply.header('Accept')}")
    reply = publisher.publish("<presence xmlns='urn:ietf:params:xml:ns:pidf'><tuple>")
    check(reply.status == 400, f"broken PIDF: {reply.status}")
    reply = publisher.publish(None)
    check(reply.status == 400, f"neither body nor SIP-If-Match: {reply.status}")
    reply = publisher.publish(pidf(), expires=1)
    check(reply.status == 423 and reply.header("Min-Expires") == "2",
          f"Expires below the minimum: {reply.status} Min-Expires {reply.header('Min-Expires')}")
    reply = Publisher(ua, target="1002").publish(pidf(activity="away"))
    check(reply.status == 403, f"1001 publishing for 1002: {reply.status}")
    reply = Publisher(other).publish(pidf(), password="wrong-password")
    check(reply.status == 401, f"wrong password: {reply.status}")


def main():
    args = script_arguments()
    with provisioned(args.parley, "parley-presence-", PASSWORDS) as (tmp, data):
        config = write_config(tmp, QUICK_PRESENCE)
        with ParleyServer(args.parley, data_dir=data,
                          args=["--config", config, "--workers", "2"]) as server:
            phone = registered(server, "1001", PASSWORDS, check, "REGISTER of 1001 failed")
            watcher = SipUA(server.udp, "1003", DOMAIN, PASSWORDS["1003"])
            other = SipUA(server.udp, "1002", DOMAIN, PASSWORDS["1002"])
            try:
                watch = Subscription(watcher, "1001", event="presence")
                reply = watch.subscribe(expires=120)
                check(reply.status == 200, f"SUBSCRIBE presence: {reply.status}")
                expect(watch, "open", "Available", "1001 registered and idle")
                scenario_publish(Publisher(phone), watch)
                scenario_dnd(args.parley, data, watch)
                scenario_refusals(phone, other)
            finally:
                phone.close()
                watcher.close()
                other.close()
            print_server_tail(server, problems)
    return report(problems, "presence publications, DND and refusals behave")


if __name__ == "__main__":
    run_main(main)
