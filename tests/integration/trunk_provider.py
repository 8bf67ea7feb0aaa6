"""A telephone provider's SIP side for trunk tests, in Python: one UDP socket on 127.0.0.1 that
Parley's trunk points at. It answers OPTIONS keep-alives (200) and REGISTERs (with
`register_status`, granting `grant_expires` seconds) on its own thread; every other message
waits in a queue for the test, which plays the provider's user agent (answers Parley's INVITEs,
places DID calls into Parley) with an RtpPeer for its audio.

Also: SDP helpers and a two-way tone check (Goertzel) shared by the trunk tests."""

import queue
import re
import secrets
import socket
import threading
import time

from call_client import response_to
from media_peer import RtpPeer, goertzel_amplitude, pcmu_frames, pcmu_samples
from parley_harness import HarnessError, new_branch, parse_message, receive_matching

TONE_AMPLITUDE = 8000.0


def make_sdp(port: int) -> bytes:
    session = secrets.randbelow(1 << 30)
    lines = ["v=0", f"o=- {session} {session} IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1",
             "t=0 0", f"m=audio {port} RTP/AVP 0 101", "a=rtpmap:0 PCMU/8000",
             "a=rtpmap:101 telephone-event/8000", "a=sendrecv"]
    return ("\r\n".join(lines) + "\r\n").encode()


def media_address(body: bytes) -> tuple[str, int]:
    text = body.decode("utf-8", "replace")
    ip = re.search(r"^c=IN IP4 (\S+)", text, re.M)
    port = re.search(r"^m=audio (\d+)", text, re.M)
    if not ip or not port:
        raise HarnessError(f"no audio address in SDP: {text!r}")
    return ip.group(1), int(port.group(1))


def bind_udp(ports: range, ip: str = "127.0.0.1") -> socket.socket:
    for port in ports:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((ip, port))
            return sock
        except OSError:
            sock.close()
    raise HarnessError(f"no free UDP port in {ports.start}-{ports.stop - 1}")


class Provider:
    """See the module comment. `port` is what the trunk's --port must name."""

    def __init__(self, ports: range, register_status: int = 200, grant_expires: int = 120,
                 ip: str = "127.0.0.1"):
        self.sock = bind_udp(ports, ip)
        self.ip, self.port = self.sock.getsockname()
        self.register_status, self.grant_expires = register_status, grant_expires
        self.registers = 0
        self.options = 0
        self.inbox: queue.Queue = queue.Queue()
        self.pending: list = []
        self.stopping = False
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()

    @property
    def address(self) -> tuple[str, int]:
        return (self.ip, self.port)

    def contact(self, user: str = "provider") -> str:
        return f"sip:{user}@{self.ip}:{self.port}"

    def _pump(self):
        self.sock.settimeout(0.2)
        while not self.stopping:
            try:
                data, source = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            if not data.strip():
                continue
            message = parse_message(data)
            if message.status == 0 and message.start_line.startswith("OPTIONS "):
                self.options += 1
                self.send(response_to(message, 200, "OK", "opt"), source)
            elif message.status == 0 and message.start_line.startswith("REGISTER "):
                self.registers += 1
                reply = response_to(message, self.register_status,
                                    "OK" if self.register_status == 200 else "Forbidden", "reg")
                if self.register_status == 200:
                    contact = message.header("Contact") or ""
                    reply = reply.replace(b"Content-Length: 0",
                                          f"Contact: {contact};expires={self.grant_expires}\r\n"
                                          "Content-Length: 0".encode())
                self.send(reply, source)
            else:
                self.inbox.put((message, source))

    def send(self, data: bytes, to: tuple[str, int]) -> None:
        self.sock.sendto(data, to)

    def recv(self, timeout: float, want=None):
        """The next queued message for which want(msg) is true; others stay queued."""
        return receive_matching(self.pending, want, timeout, self._next_message,
                                f"provider {self.port}: no matching message within {timeout} s")

    def _next_message(self, seconds: float):
        try:
            return self.inbox.get(timeout=seconds)
        except queue.Empty:
            return None

    def close(self):
        self.stopping = True
        self.sock.close()
        self.thread.join(timeout=2)


class ProviderCall:
    """A call the provider places to Parley (a DID call), as a UAC from the provider's socket."""

    def __init__(self, provider: Provider, parley: tuple[str, int], did: str, caller: str,
                 sdp: bytes):
        self.provider, self.parley, self.did = provider, parley, did
        self.call_id = secrets.token_hex(10) + "@provider"
        self.from_tag = secrets.token_hex(4)
        self.uri = f"sip:{did}@{parley[0]}:{parley[1]}"
        self.caller = caller
        self.cseq = 1
        self.answer = None
        self.invite_via = self._via()
        lines = [f"INVITE {self.uri} SIP/2.0", self.invite_via, "Max-Forwards: 70",
                 f"From: <sip:{caller}@{provider.ip}>;tag={self.from_tag}",
                 f"To: <sip:{did}@{provider.ip}>", f"Call-ID: {self.call_id}", "CSeq: 1 INVITE",
                 f"Contact: <{provider.contact()}>", "Content-Type: application/sdp",
                 f"Content-Length: {len(sdp)}"]
        provider.send(("\r\n".join(lines) + "\r\n\r\n").encode() + sdp, parley)

    def _via(self) -> str:
        return f"Via: SIP/2.0/UDP {self.provider.ip}:{self.provider.port};branch={new_branch()};rport"

    def _mine(self, method: str):
        return lambda m: (m.status >= 200 and m.header("Call-ID") == self.call_id and
                          (m.header("CSeq") or "").endswith(method))

    def final(self, timeout: float):
        reply, _ = self.provider.recv(timeout, self._mine("INVITE"))
        if reply.status >= 300:  # part of the INVITE transaction: its branch (§17.1.1.3)
            self._request("ACK", 1, f"To: {reply.header('To')}", self.uri, self.invite_via)
        else:
            self.answer = reply
            self.in_dialog("ACK", 1)
        return reply

    def _request(self, method: str, cseq: int, to: str, uri: str, via: str = "") -> None:
        lines = [f"{method} {uri} SIP/2.0", via or self._via(), "Max-Forwards: 70",
                 f"From: <sip:{self.caller}@{self.provider.ip}>;tag={self.from_tag}", to,
                 f"Call-ID: {self.call_id}", f"CSeq: {cseq} {method}", "Content-Length: 0"]
        self.provider.send(("\r\n".join(lines) + "\r\n\r\n").encode(), self.parley)

    def in_dialog(self, method: str, cseq: int) -> None:
        target = self.answer.header("Contact").strip().lstrip("<").split(">")[0]
        self._request(method, cseq, f"To: {self.answer.header('To')}", target)

    def hang_up(self, timeout: float = 5.0) -> int:
        self.in_dialog("BYE", 2)
        reply, _ = self.provider.recv(timeout, self._mine("BYE"))
        return reply.status


def exchange_tones(a: RtpPeer, a_to, a_freq: float, b: RtpPeer, b_to, b_freq: float,
                   frames: int = 50) -> None:
    """Both ends send their tone at once for `frames` x 20 ms."""
    a.clear()
    b.clear()
    threads = [threading.Thread(target=a.send_frames,
                                args=(a_to, 0, pcmu_frames(a_freq, TONE_AMPLITUDE, frames), 160),
                                kwargs={"ssrc": 0x1111, "seq": 100, "ts": 1000}),
               threading.Thread(target=b.send_frames,
                                args=(b_to, 0, pcmu_frames(b_freq, TONE_AMPLITUDE, frames), 160),
                                kwargs={"ssrc": 0x2222, "seq": 500, "ts": 9000})]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    time.sleep(0.3)  # the last packets through the relay


def heard(peer: RtpPeer, frequency: float, other: float) -> tuple[bool, str]:
    """Whether `peer` heard `frequency` clearly (and not `other`, its own tone)."""
    packets = peer.packets(0)
    if len(packets) < 20:
        return False, f"only {len(packets)} PCMU packets arrived"
    samples = pcmu_samples(packets)[800:]  # skip the first 100 ms
    level = goertzel_amplitude(samples, 8000, frequency)
    leak = goertzel_amplitude(samples, 8000, other)
    ok = level > 0.5 * TONE_AMPLITUDE and leak < 0.1 * TONE_AMPLITUDE
    return ok, f"{len(packets)} packets, {frequency:.0f} Hz at {level:.0f}, {other:.0f} Hz at {leak:.0f}"
