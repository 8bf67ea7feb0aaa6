"""A tiny SIP user agent over UDP for integration tests (Python standard library only).

    ua = SipUA(server.udp, "1001", "example.com", "secret")     # binds 127.0.0.1:random
    reply = ua.register()                                       # answers the 401 (SHA-256)
    assert reply.status == 200

Digest per RFC 7616 / RFC 2617 with qop=auth, MD5 or SHA-256 (hashlib). Every wait is bounded;
a missing reply raises HarnessError.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import socket

from parley_harness import HarnessError, SipMessage, new_branch, parse_message, receive_matching

_PARAM = re.compile(r'([A-Za-z-]+)\s*=\s*("([^"]*)"|[^\s,]+)')


def parse_challenge(value: str) -> dict[str, str]:
    """'Digest realm="x", nonce="y", ...' -> {'realm': 'x', 'nonce': 'y', ...} (lower-case keys)."""
    body = value.split(None, 1)[1] if " " in value else ""
    return {m.group(1).lower(): (m.group(3) if m.group(3) is not None else m.group(2))
            for m in _PARAM.finditer(body)}


def _hash(algorithm: str, text: str) -> str:
    name = {"MD5": "md5", "SHA-256": "sha256"}[algorithm.upper()]
    return hashlib.new(name, text.encode()).hexdigest()


def digest_credentials(challenge: dict[str, str], method: str, uri: str, username: str,
                       password: str, nc: int = 1) -> str:
    """The Authorization / Proxy-Authorization value answering `challenge` (qop=auth)."""
    algorithm = challenge.get("algorithm", "MD5")
    realm, nonce = challenge["realm"], challenge["nonce"]
    cnonce = secrets.token_hex(8)
    nc_text = f"{nc:08x}"
    ha1 = _hash(algorithm, f"{username}:{realm}:{password}")
    ha2 = _hash(algorithm, f"{method}:{uri}")
    response = _hash(algorithm, f"{ha1}:{nonce}:{nc_text}:{cnonce}:auth:{ha2}")
    parts = [f'username="{username}"', f'realm="{realm}"', f'nonce="{nonce}"', f'uri="{uri}"',
             f"response=\"{response}\"", f"algorithm={algorithm}", f'cnonce="{cnonce}"',
             "qop=auth", f"nc={nc_text}"]
    if "opaque" in challenge:
        parts.append(f'opaque="{challenge["opaque"]}"')
    return "Digest " + ", ".join(parts)


def pick_challenge(values: list[str], algorithm: str) -> dict[str, str]:
    for value in values:
        parsed = parse_challenge(value)
        if parsed.get("algorithm", "MD5").upper() == algorithm.upper():
            return parsed
    raise HarnessError(f"no {algorithm} challenge among {values}")


class SipUA:
    """One UDP socket acting as extension `user` of `domain`."""

    def __init__(self, server: tuple[str, int], user: str, domain: str, password: str,
                 bind_ip: str = "127.0.0.1", port: int = 0):
        self.server = server
        self.user, self.domain, self.password = user, domain, password
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((bind_ip, port))
        self.ip, self.port = self.sock.getsockname()
        self.reg_call_id = secrets.token_hex(10) + "@sip-client"
        self.reg_cseq = 0
        self.from_tag = secrets.token_hex(4)
        self.pending: list[tuple[SipMessage, tuple[str, int]]] = []

    def close(self) -> None:
        self.sock.close()

    @property
    def aor(self) -> str:
        return f"sip:{self.user}@{self.domain}"

    def contact_uri(self) -> str:
        return f"sip:{self.user}@{self.ip}:{self.port}"

    # --- raw I/O ---
    def send(self, data: bytes, to: tuple[str, int] | None = None) -> None:
        self.sock.sendto(data, to or self.server)

    def recv(self, timeout: float = 3.0, want=None) -> tuple[SipMessage, tuple[str, int]]:
        """The next message for which want(msg) is true (others are queued for later calls)."""
        return receive_matching(self.pending, want, timeout, self._next_message,
                                f"{self.user}: no matching SIP message within {timeout} s")

    def _next_message(self, seconds: float):
        self.sock.settimeout(seconds)
        try:
            data, addr = self.sock.recvfrom(65535)
        except socket.timeout:
            return None
        return parse_message(data), addr

    def final_response(self, cseq_method: str, timeout: float = 5.0) -> SipMessage:
        """Skips provisional responses; returns the first final response for that method."""
        msg, _ = self.recv(timeout, lambda m: m.status >= 200 and
                           (m.header("CSeq") or "").endswith(cseq_method))
        return msg

    # --- REGISTER ---
    def register_request(self, expires: int | None = None, contact: str | None = "",
                         authorization: str | None = None,
                         extra_headers: list[str] | None = None) -> bytes:
        """contact "" = our own address, None = no Contact (fetch bindings)."""
        self.reg_cseq += 1
        lines = [
            f"REGISTER sip:{self.domain} SIP/2.0",
            f"Via: SIP/2.0/UDP {self.ip}:{self.port};branch={new_branch()};rport",
            "Max-Forwards: 70",
            f"From: <{self.aor}>;tag={secrets.token_hex(4)}",
            f"To: <{self.aor}>",
            f"Call-ID: {self.reg_call_id}",
            f"CSeq: {self.reg_cseq} REGISTER",
        ]
        if contact is not None:
            lines.append(f"Contact: <{contact or self.contact_uri()}>")
        if expires is not None:
            lines.append(f"Expires: {expires}")
        if authorization:
            lines.append(f"Authorization: {authorization}")
        lines += extra_headers or []
        lines.append("Content-Length: 0")
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def register(self, expires: int | None = None, contact: str | None = "",
                 algorithm: str = "SHA-256", password: str | None = None,
                 timeout: float = 3.0) -> SipMessage:
        """REGISTER, answer a 401 once with `algorithm`; returns the final response."""
        self.send(self.register_request(expires, contact))
        first = self.final_response("REGISTER", timeout)
        if first.status != 401:
            return first
        challenge = pick_challenge(first.header_all("WWW-Authenticate"), algorithm)
        auth = digest_credentials(challenge, "REGISTER", f"sip:{self.domain}", self.user,
                                  self.password if password is None else password)
        self.send(self.register_request(expires, contact, auth))
        return self.final_response("REGISTER", timeout)


def contacts_of(reply: SipMessage) -> list[str]:
    """Every Contact value of a response, split at commas outside <>."""
    out = []
    for value in reply.header_all("Contact") + reply.header_all("m"):
        depth, start = 0, 0
        for i, ch in enumerate(value):
            if ch == "<":
                depth += 1
            elif ch == ">":
                depth -= 1
            elif ch == "," and depth == 0:
                out.append(value[start:i].strip())
                start = i + 1
        if value[start:].strip():
            out.append(value[start:].strip())
    return out


class Md5OnlyRelay:
    """A UDP relay in front of the server that removes SHA-256 challenges from 401/407 answers.

    SIPp 3.6 answers only the first WWW-/Proxy-Authenticate and knows only MD5, while Parley
    offers SHA-256 first (RFC 8760 order). Behind this relay SIPp sees what an MD5-only server
    would send. One client at a time: everything arriving at `listen` goes to the server, and
    everything the server sends back goes to the client's last address.
    """

    _SHA_CHALLENGE = re.compile(
        rb"\r\n(?:WWW|Proxy)-Authenticate:[^\r\n]*algorithm=SHA-256[^\r\n]*", re.IGNORECASE)

    def __init__(self, server: tuple[str, int], bind_ip: str = "127.0.0.1"):
        import threading
        self.server = server
        self.front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.front.bind((bind_ip, 0))
        self.back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.back.bind((bind_ip, 0))
        self.listen = self.front.getsockname()
        self.client: tuple[str, int] | None = None
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._pump, args=(s,), daemon=True)
                         for s in (self.front, self.back)]
        for t in self._threads:
            t.start()

    def _pump(self, sock) -> None:
        sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                data, addr = sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            if sock is self.front:
                self.client = addr
                self.back.sendto(data, self.server)
            elif self.client:
                self.front.sendto(self._SHA_CHALLENGE.sub(b"", data), self.client)

    def close(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(1.0)
        self.front.close()
        self.back.close()
