"""Helpers for integration tests that drive a real `parley serve` (Python standard library only).

Typical use:

    from parley_harness import ParleyServer, build_request, udp_exchange, TcpClient

    with ParleyServer(parley_binary) as server:       # listens on 127.0.0.1:0, temp data dir
        host, port = server.udp                       # ports parsed from the server's stdout
        reply = udp_exchange(server.udp, build_request("OPTIONS", transport="UDP"))
        assert parse_message(reply).status == 200
        exit_code = server.stop()                     # SIGTERM, waits, returns the exit code

The server prints one line per bound socket on stdout, which is what `ParleyServer` parses:
    listening sip udp 127.0.0.1:41234
    listening sip tcp 127.0.0.1:41234
Its log goes to stderr, kept in a file: `server.stderr_text()`.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

LISTENING = re.compile(r"^listening (?:sip )?(udp|tcp|https) (\[[0-9a-fA-F:.]+\]|[0-9.]+):(\d+)$")


class HarnessError(Exception):
    """A test precondition failed (the server did not start, a reply did not come ...)."""


def split_address(text: str) -> tuple[str, int]:
    """'127.0.0.1:5060' or '[::1]:5060' -> (host without brackets, port)."""
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


class ParleyServer:
    """Runs `parley serve` as a child process for the duration of a `with` block.

    `args` are extra flags for `parley serve`; by default it listens on 127.0.0.1:0 and uses a
    fresh temporary data directory (removed afterwards unless `data_dir` is given).
    """

    def __init__(self, parley: str, args: list[str] | None = None, listen: str = "127.0.0.1:0",
                 data_dir: str | None = None, start_timeout: float = 10.0):
        self.parley = parley
        self.args = list(args or [])
        self.listen = listen
        self.start_timeout = start_timeout
        self._own_tmp = None
        if data_dir is None:
            self._own_tmp = tempfile.TemporaryDirectory(prefix="parley-test-")
            data_dir = os.path.join(self._own_tmp.name, "data")
        self.data_dir = data_dir
        self.process: subprocess.Popen | None = None
        self.sockets: dict[str, tuple[str, int]] = {}  # "udp"/"tcp" -> (host, port)
        self._stderr_file = None
        self._stdout_lines: list[str] = []
        self._listening = threading.Event()

    # --- lifecycle ---
    def start(self) -> "ParleyServer":
        self._stderr_file = tempfile.TemporaryFile(mode="w+", prefix="parley-stderr-")
        command = [self.parley, "serve", "--data", self.data_dir]
        if self.listen:
            command += ["--sip-listen", self.listen]
        if not any(a == "--http-listen" for a in self.args):
            command += ["--http-listen", "127.0.0.1:0"]  # never the fixed 8443 in parallel tests
        command += self.args
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self._stderr_file,
                                        text=True, bufsize=1)
        threading.Thread(target=self._read_stdout, daemon=True).start()
        if not self._listening.wait(self.start_timeout):
            code = self.process.poll()
            self.kill()
            raise HarnessError(f"parley did not report its sockets within {self.start_timeout} s "
                               f"(exit code {code}); stderr:\n{self.stderr_text()}")
        return self

    def _read_stdout(self) -> None:
        assert self.process and self.process.stdout
        for line in self.process.stdout:
            line = line.rstrip("\n")
            self._stdout_lines.append(line)
            match = LISTENING.match(line)
            if match:
                self.sockets[match.group(1)] = (match.group(2).strip("[]"), int(match.group(3)))
                if "udp" in self.sockets and "tcp" in self.sockets:
                    self._listening.set()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 3.0) -> int:
        """Sends `sig` and waits up to `timeout` s. Returns the exit code; raises HarnessError
        (after killing it) when the server did not exit in time."""
        if self.process is None:
            raise HarnessError("server not started")
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                return self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise HarnessError(f"parley did not exit within {timeout} s of signal {sig}")
        return self.process.returncode

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> "ParleyServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.kill()
        if self._stderr_file:
            self._stderr_file.close()
        if self._own_tmp:
            self._own_tmp.cleanup()

    # --- what it said ---
    @property
    def udp(self) -> tuple[str, int]:
        return self.sockets["udp"]

    @property
    def tcp(self) -> tuple[str, int]:
        return self.sockets["tcp"]

    def stdout_lines(self) -> list[str]:
        return list(self._stdout_lines)

    def stderr_text(self) -> str:
        if not self._stderr_file:
            return ""
        self._stderr_file.flush()
        self._stderr_file.seek(0)
        return self._stderr_file.read()


def run_parley(parley: str, args: list[str], timeout: float = 10.0) -> subprocess.CompletedProcess:
    """Runs the binary to completion (e.g. --version) and returns code, stdout and stderr."""
    return subprocess.run([parley, *args], capture_output=True, text=True, timeout=timeout)


# --- SIP messages ---
def provision(parley: str, data: str, domain: str, passwords: dict[str, str]) -> None:
    """Creates `domain` as the default tenant with one extension per `passwords` entry, through
    the real `parley tenant add` / `parley user add` commands."""
    for args in (["tenant", "add", domain, "--default"],
                 *[["user", "add", f"{ext}@{domain}", "--password", pw]
                   for ext, pw in passwords.items()]):
        run_cli(parley, data, *args)


def run_cli(parley: str, data: str, *args: str, timeout: float = 10.0) -> str:
    """Runs `parley ARGS --data DATA` for a test's set-up; returns its stdout. A failure is a
    HarnessError (the test cannot go on without it)."""
    result = run_parley(parley, [*args, "--data", data], timeout=timeout)
    if result.returncode != 0:
        raise HarnessError(f"parley {' '.join(args)} failed: {result.stderr}")
    return result.stdout


def receive_matching(pending: list, want, timeout: float, next_message, failure: str):
    """The first queued (message, source) for which want(message) is true, else the next one to
    arrive within `timeout` s; messages that do not match are queued in `pending`.
    next_message(seconds_left) returns (message, source), or None when nothing came in time.
    Raises HarnessError(failure) at the deadline."""
    for i, (message, source) in enumerate(pending):
        if want is None or want(message):
            del pending[i]
            return message, source
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise HarnessError(failure)
        received = next_message(left)
        if received is None:
            continue
        if want is None or want(received[0]):
            return received
        pending.append(received)


def new_branch() -> str:
    return "z9hG4bK" + secrets.token_hex(8)


def new_call_id() -> str:
    return secrets.token_hex(10) + "@harness.invalid"


def build_request(method: str, transport: str = "UDP", uri: str = "sip:parley@127.0.0.1",
                  call_id: str | None = None, branch: str | None = None, cseq: int = 1,
                  extra_headers: list[str] | None = None, body: bytes = b"",
                  sent_by: str = "127.0.0.1:5099") -> bytes:
    """A well-formed request. `extra_headers` are full lines without CRLF ("Require: foo")."""
    call_id = call_id or new_call_id()
    branch = branch or new_branch()
    lines = [
        f"{method} {uri} SIP/2.0",
        f"Via: SIP/2.0/{transport} {sent_by};branch={branch};rport",
        "Max-Forwards: 70",
        f"From: <sip:harness@127.0.0.1>;tag={secrets.token_hex(4)}",
        f"To: <{uri}>",
        f"Call-ID: {call_id}",
        f"CSeq: {cseq} {method}",
        *(extra_headers or []),
        f"Content-Length: {len(body)}",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass
class SipMessage:
    """A parsed message: status (0 for requests), header fields in order, body."""
    start_line: str
    status: int
    reason: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """First value of a header (case-insensitive name, compact forms not mapped)."""
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def header_all(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    @property
    def via_branch(self) -> str | None:
        via = self.header("Via") or self.header("v")
        match = re.search(r";\s*branch=([^;,\s]+)", via or "")
        return match.group(1) if match else None

    @property
    def to_tag(self) -> str | None:
        to = self.header("To") or self.header("t")
        match = re.search(r";\s*tag=([^;,\s]+)", to or "")
        return match.group(1) if match else None


def parse_message(data: bytes) -> SipMessage:
    """Parses one SIP message (enough for tests; not a validating parser)."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("utf-8", "replace").split("\r\n")
    start = lines[0]
    status, reason = 0, ""
    if start.startswith("SIP/2.0 "):
        parts = start.split(" ", 2)
        status = int(parts[1])
        reason = parts[2] if len(parts) > 2 else ""
    headers = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:
            headers[-1] = (headers[-1][0], headers[-1][1] + " " + line.strip())
            continue
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    return SipMessage(start, status, reason, headers, body)


# --- transports ---
def udp_exchange(address: tuple[str, int], data: bytes, timeout: float = 3.0) -> bytes:
    """Sends one datagram from a fresh socket and returns the first datagram that comes back.
    Raises HarnessError on timeout."""
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(data, address)
        try:
            reply, _ = sock.recvfrom(65535)
        except socket.timeout:
            raise HarnessError(f"no UDP reply from {address} within {timeout} s")
        return reply


def udp_expect_silence(address: tuple[str, int], data: bytes, wait: float = 0.5) -> bool:
    """Sends one datagram and returns True when nothing comes back within `wait` s."""
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(wait)
        sock.sendto(data, address)
        try:
            sock.recvfrom(65535)
            return False
        except socket.timeout:
            return True


class TcpClient:
    """A TCP connection that reads whole SIP messages (framed by Content-Length)."""

    def __init__(self, address: tuple[str, int], timeout: float = 3.0):
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.connect(address)
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> None:
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise HarnessError("timed out waiting for data on TCP")
        if not chunk:
            raise HarnessError("the server closed the TCP connection")
        self.buffer += chunk

    def recv_exact(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self._fill()
        out, self.buffer = self.buffer[:size], self.buffer[size:]
        return out

    def recv_message(self) -> bytes:
        """Returns the next whole SIP message (skips keep-alive CRLFs before it)."""
        while True:
            stripped = self.buffer.lstrip(b"\r\n")
            end = stripped.find(b"\r\n\r\n")
            if end >= 0:
                break
            self._fill()
        self.buffer = stripped
        head = self.buffer[:end + 4]
        match = re.search(rb"\r\n(?:Content-Length|l)\s*:\s*(\d+)", head, re.IGNORECASE)
        length = int(match.group(1)) if match else 0
        while len(self.buffer) < end + 4 + length:
            self._fill()
        message = self.buffer[:end + 4 + length]
        self.buffer = self.buffer[end + 4 + length:]
        return message

    def closed_by_peer(self, wait: float = 3.0) -> bool:
        """True when the server closes the connection within `wait` s (data before it is dropped)."""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return False
            except ConnectionResetError:
                return True
            if not chunk:
                return True
        return False

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> "TcpClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def report(problems: list[str], success: str) -> int:
    """Prints the outcome of a test script that collects problems; returns its exit code."""
    if problems:
        print(f"\nFAIL: {len(problems)} problem(s):")
        for problem in problems:
            print("  " + problem)
        return 1
    print(f"\nPASS: {success}")
    return 0


def run_main(main) -> None:
    """Runs a test script's main(); a HarnessError (a peer or the server misbehaving) fails it."""
    try:
        sys.exit(main())
    except HarnessError as error:
        print(f"FAIL: {error}")
        sys.exit(1)
