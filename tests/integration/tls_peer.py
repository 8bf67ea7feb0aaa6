"""SIP over TLS peers for integration tests (Python standard library `ssl` only): a framed SIP
stream over any connected socket, a TLS client of Parley's listener, a phone that registers over
TLS with digest auth and answers calls on that same connection, and a provider's TLS registrar
that challenges a trunk's REGISTER. Certificates come from the `openssl` command line tool.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import socket
import ssl
import subprocess
import threading

from parley_harness import HarnessError, SipMessage, TcpClient, new_branch, parse_message
from sip_client import digest_credentials, pick_challenge


def make_certificate(folder: str, name: str) -> tuple[str, str]:
    """A self-signed EC P-256 certificate for CN=name with SAN IP:127.0.0.1 and DNS:localhost;
    returns (certificate path, key path). It is its own CA for whoever trusts it."""
    cert = os.path.join(folder, f"{name}-cert.pem")
    key = os.path.join(folder, f"{name}-key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-days",
                    "2", "-subj", f"/CN={name}", "-addext",
                    "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True, timeout=20)
    return cert, key


class SipStream(TcpClient):
    """TcpClient's Content-Length framing over an already connected (TLS) socket."""

    def __init__(self, sock: socket.socket, timeout: float = 3.0):  # noqa: super not called
        self.sock = sock
        self.sock.settimeout(timeout)
        self.buffer = b""

    def message(self, timeout: float = 3.0) -> SipMessage:
        self.sock.settimeout(timeout)
        return parse_message(self.recv_message())


def connect_tls(address: tuple[str, int], cafile: str | None, timeout: float = 3.0,
                client: tuple[str, str] | None = None) -> SipStream:
    """A TLS connection to Parley's SIP-over-TLS listener, checking its certificate against
    `cafile` for IP 127.0.0.1 (None: no check); showing `client` (certificate and key paths)
    when Parley asks for a client certificate."""
    context = ssl.create_default_context(cafile=cafile) if cafile else ssl._create_unverified_context()
    if cafile:
        context.check_hostname = True
    if client:
        context.load_cert_chain(*client)
    raw = socket.create_connection(address, timeout=timeout)
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return SipStream(context.wrap_socket(raw, server_hostname=address[0]), timeout)


class TlsPhone:
    """Extension `user` registered over one TLS connection (Via TLS, Contact transport=tls);
    requests Parley sends to it must come back over that same connection."""

    def __init__(self, server: tuple[str, int], user: str, domain: str, password: str,
                 cafile: str | None):
        self.user, self.domain, self.password = user, domain, password
        self.stream = connect_tls(server, cafile)
        self.ip, self.port = self.stream.sock.getsockname()[:2]
        self.call_id = secrets.token_hex(8) + "@tls-phone"
        self.cseq = 0
        self.pending: list[SipMessage] = []

    def contact(self) -> str:
        return f"<sip:{self.user}@{self.ip}:{self.port};transport=tls>"

    def _register_request(self, expires: int, authorization: str | None) -> bytes:
        self.cseq += 1
        aor = f"sip:{self.user}@{self.domain}"
        lines = [f"REGISTER sip:{self.domain} SIP/2.0",
                 f"Via: SIP/2.0/TLS {self.ip}:{self.port};branch={new_branch()};rport",
                 "Max-Forwards: 70", f"From: <{aor}>;tag={secrets.token_hex(4)}", f"To: <{aor}>",
                 f"Call-ID: {self.call_id}", f"CSeq: {self.cseq} REGISTER",
                 f"Contact: {self.contact()}", f"Expires: {expires}"]
        if authorization:
            lines.append(f"Authorization: {authorization}")
        lines.append("Content-Length: 0")
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def next(self, want, timeout: float = 5.0) -> SipMessage:
        for i, message in enumerate(self.pending):
            if want(message):
                return self.pending.pop(i)
        while True:
            message = self.stream.message(timeout)
            if want(message):
                return message
            self.pending.append(message)

    def register(self, algorithm: str = "MD5", expires: int = 300) -> SipMessage:
        self.stream.send(self._register_request(expires, None))
        reply = self.next(lambda m: m.status >= 200 and "REGISTER" in (m.header("CSeq") or ""))
        if reply.status != 401:
            return reply
        challenge = pick_challenge(reply.header_all("WWW-Authenticate"), algorithm)
        auth = digest_credentials(challenge, "REGISTER", f"sip:{self.domain}", self.user,
                                  self.password)
        self.stream.send(self._register_request(expires, auth))
        return self.next(lambda m: m.status >= 200 and "REGISTER" in (m.header("CSeq") or ""))

    def answer(self, request: SipMessage, status: int, reason: str, to_tag: str,
               body: bytes = b"", extra: list[str] | None = None) -> None:
        lines = [f"SIP/2.0 {status} {reason}"]
        for name in ("Via", "From", "Call-ID", "CSeq"):
            lines += [f"{name}: {value}" for value in request.header_all(name)]
        to = request.header("To") or ""
        lines.append(f"To: {to}" if ";tag=" in to or status == 100 else f"To: {to};tag={to_tag}")
        lines += extra or []
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append(f"Content-Length: {len(body)}")
        self.stream.send(("\r\n".join(lines) + "\r\n\r\n").encode() + body)

    def close(self) -> None:
        self.stream.close()


def sdp_answer(port: int) -> bytes:
    return ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            f"m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n").encode()


class TlsRegistrar:
    """A provider's registrar on TLS: accepts connections with its own certificate, answers
    REGISTER with an MD5 digest challenge and then 200 for the right credentials (403 for
    wrong ones), OPTIONS with 200. Records every request with the connection it came on."""

    REALM = "provider.test"

    def __init__(self, port: int, cert: str, key: str, user: str, password: str):
        self.user, self.password = user, password
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.listener = socket.create_server(("127.0.0.1", port))
        self.listener.settimeout(0.2)
        self.address = self.listener.getsockname()
        self.requests: list[tuple[int, SipMessage]] = []  # (connection number, request)
        self.registered = threading.Event()
        self.connections = 0
        self.handshake_failures = 0
        self.lock = threading.Lock()
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while self.running:
            try:
                raw, _ = self.listener.accept()
            except (socket.timeout, OSError):
                continue
            try:
                raw.settimeout(3)
                tls = self.context.wrap_socket(raw, server_side=True)
            except (ssl.SSLError, OSError):
                with self.lock:
                    self.handshake_failures += 1
                raw.close()
                continue
            with self.lock:
                self.connections += 1
                number = self.connections
            threading.Thread(target=self._serve, args=(SipStream(tls, 0.5), number),
                             daemon=True).start()

    def _serve(self, stream: SipStream, number: int) -> None:
        while self.running:
            try:
                request = stream.message(0.5)
            except HarnessError as error:
                if "timed out" in str(error):
                    continue
                break
            except OSError:
                break
            if request.status != 0:
                continue
            with self.lock:
                self.requests.append((number, request))
            stream.send(self._answer(request))
        stream.close()

    def _answer(self, request: SipMessage) -> bytes:
        method = request.start_line.split(" ", 1)[0]
        status, reason, extra = 200, "OK", []
        if method == "REGISTER":
            auth = request.header("Authorization")
            if not auth:
                status, reason = 401, "Unauthorized"
                extra.append(f'WWW-Authenticate: Digest realm="{self.REALM}", '
                             f'nonce="{secrets.token_hex(8)}", algorithm=MD5, qop="auth"')
            elif self._valid(auth, request):
                extra += [f"Contact: {c};expires=60" for c in request.header_all("Contact")]
                self.registered.set()
            else:
                status, reason = 403, "Forbidden"
        elif method != "OPTIONS":
            status, reason = 501, "Not Implemented"
        lines = [f"SIP/2.0 {status} {reason}"]
        for name in ("Via", "From", "Call-ID", "CSeq"):
            lines += [f"{name}: {value}" for value in request.header_all(name)]
        to = request.header("To") or ""
        lines.append(f"To: {to}" if ";tag=" in to else f"To: {to};tag=prov")
        lines += extra
        lines.append("Content-Length: 0")
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def _valid(self, authorization: str, request: SipMessage) -> bool:
        fields = dict(re.findall(r'(\w+)="?([^",]*)"?', authorization))
        if fields.get("username") != self.user:
            return False
        method = request.start_line.split(" ", 1)[0]
        md5 = lambda text: hashlib.md5(text.encode()).hexdigest()  # noqa: E731
        ha1 = md5(f"{self.user}:{self.REALM}:{self.password}")
        ha2 = md5(f"{method}:{fields.get('uri', '')}")
        expected = md5(f"{ha1}:{fields.get('nonce')}:{fields.get('nc')}:{fields.get('cnonce')}:"
                       f"{fields.get('qop')}:{ha2}")
        return fields.get("response") == expected

    def seen(self, method: str) -> list[tuple[int, SipMessage]]:
        with self.lock:
            return [(n, r) for n, r in self.requests if r.start_line.startswith(method + " ")]

    def close(self) -> None:
        self.running = False
        self.listener.close()
        self.thread.join(2)
