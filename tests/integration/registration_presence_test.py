#!/usr/bin/env python3
"""Presence follows registrations live (issue 10) against the real `parley serve` (2 workers).

Two watchers SUBSCRIBE to the presence of 1002: a UDP phone (1003) and a browser-like phone
(1001) over the SIP WebSocket at wss://.../sip, which is the feed the web app's contact list
reads (web/src/phone/presence.ts). Then 1002:
1. registers: both get NOTIFY "open" within a second, with no other change to trigger it;
2. refreshes its registration: no NOTIFY (a refresh is no edge);
3. unregisters (Expires: 0): "closed" within a second;
4. registers for 2 s and lets it lapse: "open", then "closed" about when the binding expires
   (not at the server's 30-second binding purge).
No NOTIFY arrives besides these. "Within a second" is checked as 1.5 s from the REGISTER's first
send (its digest round trips included), so a loaded CI machine does not fail it. Ports: UDP/TCP chosen by the OS (the presence range,
56000-56999, is not needed: no media).
"""

import os
import secrets
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from blf_client import Subscription, pidf_status  # noqa: E402
from call_client import DOMAIN, response_to  # noqa: E402
from parley_harness import HarnessError, ParleyServer, new_branch, parse_message, report, run_main  # noqa: E402
from pbx_scenario import QUICK_PRESENCE, checker, finish, provisioned, script_arguments, write_config  # noqa: E402
from sip_client import SipUA, digest_credentials, pick_challenge  # noqa: E402
from ws_client import WsClient  # noqa: E402

PASSWORDS = {"1001": "pw-1001-secret", "1002": "pw-1002-secret", "1003": "pw-1003-secret"}
problems, check = checker()


class WsWatcher:
    """Extension `user` watching `target`'s presence over one SIP WebSocket, as JsSIP does."""

    def __init__(self, server, user: str, target: str):
        self.ws = WsClient(server.sockets["https"], "/sip", protocols=["sip"])
        self.user, self.target = user, target
        self.host = secrets.token_hex(5) + ".invalid"  # RFC 7118 §5.2
        self.uri = f"sip:{target}@{DOMAIN}"
        self.call_id = secrets.token_hex(8)
        self.from_tag = secrets.token_hex(4)
        self.cseq = 0
        self.pending = []

    def _subscribe(self, auth: str | None) -> bytes:
        self.cseq += 1
        lines = [f"SUBSCRIBE {self.uri} SIP/2.0",
                 f"Via: SIP/2.0/WSS {self.host};branch={new_branch()}", "Max-Forwards: 70",
                 f"From: <sip:{self.user}@{DOMAIN}>;tag={self.from_tag}", f"To: <{self.uri}>",
                 f"Call-ID: {self.call_id}", f"CSeq: {self.cseq} SUBSCRIBE",
                 f"Contact: <sip:{secrets.token_hex(4)}@{self.host};transport=ws>",
                 "Event: presence", "Accept: application/pidf+xml", "Expires: 120"]
        if auth:
            lines.append(f"Authorization: {auth}")
        return ("\r\n".join(lines + ["Content-Length: 0"]) + "\r\n\r\n").encode()

    def _recv(self, timeout: float, want):
        for i, msg in enumerate(self.pending):
            if want(msg):
                return self.pending.pop(i)
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            _, payload = self.ws.recv_message(left)
            if payload.strip(b"\r\n") == b"":
                continue
            msg = parse_message(payload)
            if want(msg):
                return msg
            self.pending.append(msg)
        raise HarnessError(f"WS watcher: nothing within {timeout} s")

    def subscribe(self) -> int:
        final = lambda m: m.status >= 200 and (m.header("CSeq") or "").endswith("SUBSCRIBE")  # noqa: E731
        self.ws.send_text(self._subscribe(None))
        reply = self._recv(3.0, final)
        if reply.status == 401:
            challenge = pick_challenge(reply.header_all("WWW-Authenticate"), "SHA-256")
            self.ws.send_text(self._subscribe(digest_credentials(
                challenge, "SUBSCRIBE", self.uri, self.user, PASSWORDS[self.user])))
            reply = self._recv(3.0, final)
        return reply.status

    def next_notify(self, timeout: float = 3.0):
        msg = self._recv(timeout, lambda m: m.status == 0 and m.start_line.startswith("NOTIFY "))
        self.ws.send_text(response_to(msg, 200, "OK", "x"))
        return msg


def expect(watchers, basic: str, what: str, within: float, started: float) -> None:
    for name, watcher in watchers:
        try:
            notify = watcher.next_notify(within + 1.0)
        except HarnessError as error:
            check(False, f"{what}: {name} got no NOTIFY: {error}")
            continue
        took = time.monotonic() - started
        got = pidf_status(notify)[0]
        check(got == basic, f"{what}: {name} saw {got}, expected {basic}")
        check(took <= within, f"{what}: {name}'s NOTIFY took {took:.2f} s (limit {within} s)")
        print(f"  {name}: {got} after {took:.2f} s", flush=True)


def expect_silence(watchers, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    for name, watcher in watchers:
        try:
            notify = watcher.next_notify(max(deadline - time.monotonic(), 0.05))
            check(False, f"{what}: {name} got an unexpected NOTIFY {pidf_status(notify)}")
        except HarnessError:
            pass


def main():
    args = script_arguments()
    with provisioned(args.parley, "parley-reg-presence-", PASSWORDS) as (tmp, data):
        config = write_config(tmp, QUICK_PRESENCE + "[registrar]\nmin_expires_s = 1\n")
        with ParleyServer(args.parley, data_dir=data,
                          args=["--config", config, "--workers", "2"]) as server:
            udp_watcher = SipUA(server.udp, "1003", DOMAIN, PASSWORDS["1003"])
            phone = SipUA(server.udp, "1002", DOMAIN, PASSWORDS["1002"])
            ws_watcher = WsWatcher(server, "1001", "1002")
            try:
                watch = Subscription(udp_watcher, "1002", event="presence")
                check(watch.subscribe(expires=120).status == 200, "UDP SUBSCRIBE refused")
                check(ws_watcher.subscribe() == 200, "SUBSCRIBE over the WebSocket refused")
                watchers = [("UDP watcher", watch), ("WebSocket watcher", ws_watcher)]
                expect(watchers, "closed", "1002 not registered yet", 3.0, time.monotonic())

                print("- REGISTER: open", flush=True)
                started = time.monotonic()
                check(phone.register(expires=300).status == 200, "REGISTER of 1002 failed")
                expect(watchers, "open", "first registration", 1.5, started)

                print("- refresh: no NOTIFY", flush=True)
                check(phone.register(expires=300).status == 200, "refresh of 1002 failed")
                expect_silence(watchers, 0.6, "registration refresh")

                print("- unregister: closed", flush=True)
                started = time.monotonic()
                check(phone.register(expires=0).status == 200, "unregistration failed")
                expect(watchers, "closed", "unregistration", 1.5, started)

                print("- a 2 s registration lapses: open, then closed", flush=True)
                started = time.monotonic()
                check(phone.register(expires=2).status == 200, "short REGISTER failed")
                expect(watchers, "open", "short registration", 1.5, started)
                expect(watchers, "closed", "lapsed registration", 3.5, started)
                lapse = time.monotonic() - started
                check(lapse >= 1.5, f"closed after {lapse:.2f} s, before the 2 s expiry")
                expect_silence(watchers, 0.6, "after the lapse")
            except HarnessError as error:
                check(False, str(error))
            finally:
                for closing in (udp_watcher.close, phone.close, ws_watcher.ws.close):
                    try:
                        closing()
                    except (OSError, HarnessError):
                        pass
            finish(server, problems, check)
    return report(problems, "presence follows REGISTER, unregistration and expiry live")


if __name__ == "__main__":
    run_main(main)
