"""A small WebSocket client (RFC 6455) over TLS for integration tests, standard library only.

    ws = WsClient(server.https, "/sip", protocols=["sip"])     # TLS, then the upgrade
    ws.send_text("OPTIONS sip:... SIP/2.0\\r\\n...")
    opcode, payload = ws.recv_message(timeout=3.0)             # answers pings by itself
    ws.close()                                                 # close 1000, waits for the echo

What a test needs and no more: the handshake (Sec-WebSocket-Key/Accept checked, subprotocol
offered and the one agreed returned), masked client frames, text and binary messages
(fragmented ones reassembled), ping/pong and the close handshake with its code. The server's
certificate is not verified (Parley makes a self-signed one on first start); a test that cares
compares `peer_certificate_sha256()` with the fingerprint the server printed.
Every wait is bounded; a missing frame raises HarnessError, a close from the server WsClosed.
"""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import ssl
import struct
import time

from parley_harness import HarnessError

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONTINUATION, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA


class WsClosed(HarnessError):
    """The server closed the WebSocket (close frame or a dropped connection)."""

    def __init__(self, code: int | None, reason: str = ""):
        super().__init__(f"WebSocket closed by the server (code {code}{', ' + reason if reason else ''})")
        self.code = code
        self.reason = reason


class HandshakeRefused(HarnessError):
    """The upgrade was answered with something other than 101."""

    def __init__(self, status: int, body: str):
        super().__init__(f"WebSocket upgrade refused with {status}: {body[:200]}")
        self.status = status
        self.body = body


def _tls_socket(address: tuple[str, int], timeout: float) -> ssl.SSLSocket:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection(address, timeout=timeout)
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return context.wrap_socket(raw, server_hostname=address[0])


class WsClient:
    """One client WebSocket over TLS to `address` at `path`."""

    def __init__(self, address: tuple[str, int], path: str = "/sip",
                 protocols: list[str] | None = None, timeout: float = 5.0,
                 extra_headers: list[str] | None = None):
        self.address = address
        self.sock = _tls_socket(address, timeout)
        self.buffer = b""
        self.protocol = ""  # the subprotocol the server agreed
        self.closed = False
        self.close_code: int | None = None
        try:
            self._handshake(path, protocols or [], timeout, extra_headers or [])
        except BaseException:
            self.sock.close()
            raise

    # --- handshake ---
    def _handshake(self, path: str, protocols: list[str], timeout: float,
                   extra_headers: list[str]) -> None:
        key = base64.b64encode(os.urandom(16)).decode()
        host = f"{self.address[0]}:{self.address[1]}"
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}", "Upgrade: websocket",
                 "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
        if protocols:
            lines.append("Sec-WebSocket-Protocol: " + ", ".join(protocols))
        lines += extra_headers
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buffer:
            self._fill(deadline, "the upgrade answer")
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        status = int(status_line.split(" ")[1])
        if status != 101:
            length = int(headers.get("content-length", "0"))
            while len(self.buffer) < length:
                try:
                    self._fill(deadline, "the refusal body")
                except HarnessError:
                    break
            raise HandshakeRefused(status, self.buffer[:length].decode("utf-8", "replace"))
        expected = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()
        if headers.get("sec-websocket-accept") != expected:
            raise HarnessError(f"bad Sec-WebSocket-Accept {headers.get('sec-websocket-accept')!r}")
        self.protocol = headers.get("sec-websocket-protocol", "")
        if protocols and self.protocol not in protocols:
            raise HarnessError(f"server agreed subprotocol {self.protocol!r}, offered {protocols}")

    # --- bytes ---
    def _fill(self, deadline: float, what: str) -> None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise HarnessError(f"timed out waiting for {what} on the WebSocket")
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise HarnessError(f"timed out waiting for {what} on the WebSocket")
        except (ConnectionResetError, ssl.SSLError, OSError) as error:
            self.closed = True
            raise WsClosed(None, f"connection dropped: {error}")
        if not chunk:
            self.closed = True
            raise WsClosed(self.close_code, "connection ended")
        self.buffer += chunk

    def _need(self, size: int, deadline: float) -> bytes:
        while len(self.buffer) < size:
            self._fill(deadline, "a frame")
        out, self.buffer = self.buffer[:size], self.buffer[size:]
        return out

    # --- frames ---
    def send_frame(self, opcode: int, payload: bytes, fin: bool = True,
                   upto: int | None = None) -> None:
        """One masked client frame (RFC 6455 §5.3: every client frame is masked). With `upto`,
        only the header and the first `upto` payload bytes are sent (for a test of a limit that
        the server enforces on the header alone, which may close before the rest arrives)."""
        header = bytes([(0x80 if fin else 0) | opcode])
        length = len(payload)
        if length < 126:
            header += bytes([0x80 | length])
        elif length < 65536:
            header += bytes([0x80 | 126]) + struct.pack("!H", length)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", length)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + (masked if upto is None else masked[:upto]))

    def read_frame(self, deadline: float) -> tuple[bool, int, bytes]:
        """(fin, opcode, payload) of the next server frame (which must not be masked)."""
        first, second = self._need(2, deadline)
        fin, opcode = bool(first & 0x80), first & 0x0F
        if second & 0x80:
            raise HarnessError("the server sent a masked frame (RFC 6455 §5.1 forbids it)")
        length = second & 0x7F
        if length == 126:
            length = struct.unpack("!H", self._need(2, deadline))[0]
        elif length == 127:
            length = struct.unpack("!Q", self._need(8, deadline))[0]
        return fin, opcode, self._need(length, deadline)

    # --- messages ---
    def send_text(self, text: str | bytes) -> None:
        self.send_frame(OP_TEXT, text.encode() if isinstance(text, str) else text)

    def send_binary(self, data: bytes) -> None:
        self.send_frame(OP_BINARY, data)

    def recv_message(self, timeout: float = 3.0) -> tuple[int, bytes]:
        """The next whole data message as (OP_TEXT or OP_BINARY, payload). Pings are answered
        on the way; a close frame is echoed and raises WsClosed with its code."""
        deadline = time.monotonic() + timeout
        opcode, parts = None, []
        while True:
            fin, op, payload = self.read_frame(deadline)
            if op == OP_PING:
                self.send_frame(OP_PONG, payload)
                continue
            if op == OP_PONG:
                continue
            if op == OP_CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                self.close_code = code
                if not self.closed:
                    try:
                        self.send_frame(OP_CLOSE, payload[:2])
                    except OSError:
                        pass
                self.closed = True
                raise WsClosed(code, payload[2:].decode("utf-8", "replace"))
            if op in (OP_TEXT, OP_BINARY):
                opcode, parts = op, [payload]
            elif op == OP_CONTINUATION and opcode is not None:
                parts.append(payload)
            else:
                raise HarnessError(f"unexpected WebSocket opcode {op}")
            if fin:
                return opcode, b"".join(parts)

    def wait_closed(self, timeout: float = 3.0) -> int | None:
        """Reads (and drops) messages until the server closes; returns its close code.
        Raises HarnessError when it does not close within `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.recv_message(max(0.0, deadline - time.monotonic()))
            except WsClosed as closed:
                return closed.code

    def close(self, code: int = 1000, timeout: float = 2.0) -> None:
        """Our close frame, then the server's answer (bounded), then the socket."""
        if not self.closed:
            try:
                self.send_frame(OP_CLOSE, struct.pack("!H", code))
                self.closed = True
                self.wait_closed(timeout)
            except (HarnessError, OSError):
                pass
        self.sock.close()

    def peer_certificate_sha256(self) -> str:
        """The server certificate's SHA-256 as upper-case hex pairs joined by colons."""
        der = self.sock.getpeercert(binary_form=True) or b""
        digest = hashlib.sha256(der).hexdigest().upper()
        return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))

    def __enter__(self) -> "WsClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
