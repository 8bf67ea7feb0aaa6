"""A BLF watcher for tests and benchmarks: SUBSCRIBE (Event: dialog or presence) with digest
authentication over a SipUA, answers to NOTIFYs, and helpers to read dialog-info and PIDF bodies.
Python standard library only."""

from __future__ import annotations

import re
import secrets
import xml.etree.ElementTree as ET

from call_client import is_request, response_to
from parley_harness import new_branch
from sip_client import SipUA, digest_credentials, pick_challenge

DIALOG_NS = "{urn:ietf:params:xml:ns:dialog-info}"
PIDF_NS = "{urn:ietf:params:xml:ns:pidf}"


class Subscription:
    """One subscription dialog of `ua` to `target` (an extension of ua.domain)."""

    def __init__(self, ua: SipUA, target: str, event: str = "dialog",
                 accept: str | None = None):
        self.ua, self.target, self.event = ua, target, event
        self.accept = accept if accept is not None else (
            "application/dialog-info+xml" if event == "dialog" else "application/pidf+xml")
        self.uri = f"sip:{target}@{ua.domain}"
        self.call_id = secrets.token_hex(10) + "@blf"
        self.from_tag = secrets.token_hex(4)
        self.to_tag: str | None = None
        self.cseq = 0

    def request(self, expires: int | None, auth: str | None = None) -> bytes:
        self.cseq += 1
        to = f"<{self.uri}>" + (f";tag={self.to_tag}" if self.to_tag else "")
        lines = [f"SUBSCRIBE {self.uri} SIP/2.0",
                 f"Via: SIP/2.0/UDP {self.ua.ip}:{self.ua.port};branch={new_branch()};rport",
                 "Max-Forwards: 70", f"From: <{self.ua.aor}>;tag={self.from_tag}", f"To: {to}",
                 f"Call-ID: {self.call_id}", f"CSeq: {self.cseq} SUBSCRIBE",
                 f"Contact: <{self.ua.contact_uri()}>", f"Event: {self.event}"]
        if self.accept:
            lines.append(f"Accept: {self.accept}")
        if expires is not None:
            lines.append(f"Expires: {expires}")
        if auth:
            lines.append(f"Authorization: {auth}")
        lines.append("Content-Length: 0")
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def _final(self, timeout: float):
        want_cseq = f"{self.cseq} SUBSCRIBE"
        msg, _ = self.ua.recv(timeout, lambda m: m.status >= 200 and
                              (m.header("CSeq") or "") == want_cseq)
        return msg

    def subscribe(self, expires: int | None = 60, password: str | None = None,
                  timeout: float = 3.0):
        """Sends the SUBSCRIBE, answers a 401 once (SHA-256); returns the final response."""
        self.ua.send(self.request(expires))
        reply = self._final(timeout)
        if reply.status == 401:
            challenge = pick_challenge(reply.header_all("WWW-Authenticate"), "SHA-256")
            auth = digest_credentials(challenge, "SUBSCRIBE", self.uri, self.ua.user,
                                      self.ua.password if password is None else password)
            self.ua.send(self.request(expires, auth))
            reply = self._final(timeout)
        if reply.status == 200 and self.to_tag is None:
            self.to_tag = reply.to_tag
        return reply

    def refresh(self, expires: int, timeout: float = 3.0):
        """In-dialog SUBSCRIBE (no challenge expected); expires 0 unsubscribes."""
        self.ua.send(self.request(expires))
        return self._final(timeout)

    def next_notify(self, timeout: float = 3.0, status: int = 200):
        """The next NOTIFY of this subscription, answered `status`."""
        msg, addr = self.ua.recv(timeout, lambda m: is_request("NOTIFY")(m) and
                                 m.header("Call-ID") == self.call_id)
        reason = {200: "OK", 481: "Subscription Does Not Exist"}.get(status, "Error")
        self.ua.send(response_to(msg, status, reason, "x"), addr)
        return msg


def dialog_states(notify) -> tuple[int, list[tuple[str, str]]]:
    """(version, [(direction, state) per <dialog>]) of a dialog-info NOTIFY body."""
    root = ET.fromstring(notify.body.decode())
    dialogs = [(d.get("direction", ""), d.findtext(f"{DIALOG_NS}state", ""))
               for d in root.findall(f"{DIALOG_NS}dialog")]
    return int(root.get("version", "-1")), dialogs


def pidf_status(notify) -> tuple[str, str]:
    """(basic, note) of a PIDF NOTIFY body."""
    root = ET.fromstring(notify.body.decode())
    basic = root.findtext(f"{PIDF_NS}tuple/{PIDF_NS}status/{PIDF_NS}basic", "")
    note = root.findtext(f"{PIDF_NS}tuple/{PIDF_NS}note", "")
    return basic, note


def subscription_state(notify) -> str:
    return re.sub(r"\s+", "", notify.header("Subscription-State") or "")
