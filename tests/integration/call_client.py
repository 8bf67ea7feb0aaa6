"""Signalling helpers for call tests: a Python caller (INVITE with digest auth, CANCEL, ACK)
and the responses a Python callee sends. Used by calls_test.py and media_test.py."""

from __future__ import annotations

import secrets

from parley_harness import HarnessError, new_branch
from sip_client import SipUA, digest_credentials, pick_challenge

DOMAIN = "example.com"
DEFAULT_OFFER = (b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                 b"m=audio 40000 RTP/AVP 0\r\n")


def response_to(request, status: int, reason: str, to_tag: str, contact: str | None = None,
                sdp: bytes = b"") -> bytes:
    lines = [f"SIP/2.0 {status} {reason}"]
    for name in ("Via", "From", "To", "Call-ID", "CSeq"):
        for value in request.header_all(name):
            if name == "To" and ";tag=" not in value:
                value += f";tag={to_tag}"
            lines.append(f"{name}: {value}")
    if contact:
        lines.append(f"Contact: <{contact}>")
    if sdp:
        lines.append("Content-Type: application/sdp")
    lines.append(f"Content-Length: {len(sdp)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + sdp


class Caller:
    """Python caller: INVITE answered 407 -> ACK -> INVITE with Proxy-Authorization."""

    def __init__(self, ua: SipUA, callee: str, sdp: bytes | None = None):
        self.ua, self.callee = ua, callee
        self.sdp = sdp if sdp is not None else DEFAULT_OFFER
        self.uri = f"sip:{callee}@{DOMAIN}"
        self.call_id = secrets.token_hex(10) + "@caller"
        self.from_tag = secrets.token_hex(4)
        self.cseq = 0
        self.branch = ""

    DIGEST_ALGORITHM = "SHA-256"  # the challenge a subclass answers (MD5 for libre's peers)

    def _invite(self, auth: str | None) -> bytes:
        self.cseq += 1
        self.branch = new_branch()
        sdp = self.sdp
        lines = [f"INVITE {self.uri} SIP/2.0",
                 f"Via: SIP/2.0/UDP {self.ua.ip}:{self.ua.port};branch={self.branch};rport",
                 "Max-Forwards: 70", f"From: <{self.ua.aor}>;tag={self.from_tag}",
                 f"To: <{self.uri}>", f"Call-ID: {self.call_id}", f"CSeq: {self.cseq} INVITE",
                 f"Contact: <{self.ua.contact_uri()}>", "Content-Type: application/sdp"]
        if auth:
            lines.append(f"Proxy-Authorization: {auth}")
        lines.append(f"Content-Length: {len(sdp)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + sdp

    def _ack_failure(self, reply) -> None:
        lines = [f"ACK {self.uri} SIP/2.0",
                 f"Via: SIP/2.0/UDP {self.ua.ip}:{self.ua.port};branch={self.branch};rport",
                 "Max-Forwards: 70", f"From: <{self.ua.aor}>;tag={self.from_tag}",
                 f"To: {reply.header('To')}", f"Call-ID: {self.call_id}",
                 f"CSeq: {self.cseq} ACK", "Content-Length: 0"]
        self.ua.send(("\r\n".join(lines) + "\r\n\r\n").encode())

    def start(self) -> None:
        """Sends the authenticated INVITE (after the 407 round); returns without waiting."""
        self.ua.send(self._invite(None))
        challenge = self.final()
        if challenge.status != 407:
            raise HarnessError(f"INVITE without credentials: {challenge.status}, expected 407")
        creds = digest_credentials(pick_challenge(challenge.header_all("Proxy-Authenticate"),
                                                  self.DIGEST_ALGORITHM), "INVITE", self.uri,
                                   self.ua.user, self.ua.password)
        self.ua.send(self._invite(creds))

    def final(self, timeout: float = 5.0):
        reply = self.ua.final_response("INVITE", timeout)
        if reply.status >= 300:
            self._ack_failure(reply)
        return reply

    def provisional(self, status: int, timeout: float = 3.0):
        msg, _ = self.ua.recv(timeout, lambda m: m.status == status)
        return msg

    def cancel(self) -> None:
        lines = [f"CANCEL {self.uri} SIP/2.0",
                 f"Via: SIP/2.0/UDP {self.ua.ip}:{self.ua.port};branch={self.branch};rport",
                 "Max-Forwards: 70", f"From: <{self.ua.aor}>;tag={self.from_tag}",
                 f"To: <{self.uri}>", f"Call-ID: {self.call_id}", f"CSeq: {self.cseq} CANCEL",
                 "Content-Length: 0"]
        self.ua.send(("\r\n".join(lines) + "\r\n\r\n").encode())

    def in_dialog(self, method: str, answer, cseq: int, body: bytes = b"",
                  content_type: str | None = None) -> None:
        """Sends `method` in the dialog that the 2xx `answer` established (its Contact is the
        remote target, its To carries the remote tag)."""
        contact = answer.header("Contact").strip("<>").split(">")[0]
        lines = [f"{method} {contact} SIP/2.0",
                 f"Via: SIP/2.0/UDP {self.ua.ip}:{self.ua.port};branch={new_branch()};rport",
                 "Max-Forwards: 70", f"From: <{self.ua.aor}>;tag={self.from_tag}",
                 f"To: {answer.header('To')}", f"Call-ID: {self.call_id}",
                 f"CSeq: {cseq} {method}"]
        if method == "INVITE":
            lines.append(f"Contact: <{self.ua.contact_uri()}>")
        if body:
            lines.append(f"Content-Type: {content_type or 'application/sdp'}")
        lines.append(f"Content-Length: {len(body)}")
        self.ua.send(("\r\n".join(lines) + "\r\n\r\n").encode() + body)

    def ack_2xx(self, reply) -> None:
        self.in_dialog("ACK", reply, self.cseq)

    def connect(self, what: str | None = None):
        """start(), then waits for the final response: a 200 is ACKed and returned, anything
        else raises HarnessError ("`what`: status, expected 200")."""
        self.start()
        answer = self.final()
        if answer.status != 200:
            raise HarnessError(f"{what or 'calling ' + self.callee}: {answer.status}, expected 200")
        self.ack_2xx(answer)
        return answer

    def hang_up(self, answer, timeout: float = 3.0) -> int:
        """Sends BYE in the dialog of the 2xx `answer`; returns the status it is answered with."""
        self.in_dialog("BYE", answer, self.cseq + 1)
        return self.ua.final_response("BYE", timeout).status


def is_request(method):
    return lambda m: m.status == 0 and m.start_line.startswith(method + " ")


def no_request(ua, method: str, seconds: float) -> bool:
    """True when no `method` request reaches `ua` (a SipUA or a trunk Provider) in `seconds`."""
    try:
        ua.recv(seconds, is_request(method))
        return False
    except HarnessError:
        return True


def answer_bye(ua, timeout: float = 3.0):
    """Waits for a BYE at `ua` (a SipUA, or anything with its recv and send: a trunk Provider)
    and answers it 200; returns the BYE."""
    bye, addr = ua.recv(timeout, is_request("BYE"))
    ua.send(response_to(bye, 200, "OK", ""), addr)
    return bye


def answer_cancel(ua, invite, source, tag: str, timeout: float = 3.0) -> None:
    """Waits for the CANCEL of the ringing `invite` (from `source`) and answers as a phone does:
    200 to the CANCEL, then 487 to the INVITE."""
    cancel, cancel_source = ua.recv(timeout, is_request("CANCEL"))
    ua.send(response_to(cancel, 200, "OK", tag), cancel_source)
    ua.send(response_to(invite, 487, "Request Terminated", tag), source)


def ring_then_answer(ua, invite, source, tag: str, contact: str, sdp: bytes) -> None:
    """Answers `invite` (from `source`) as a phone does: 180 Ringing, then 200 OK with `sdp`."""
    ua.send(response_to(invite, 180, "Ringing", tag), source)
    ua.send(response_to(invite, 200, "OK", tag, contact, sdp), source)
