"""A SIPp desk phone for the browser tests (standard library only; root, inside --netns).

SippPhone registers an extension with tests/integration/sipp/reg_md5.xml from the port its
UAS scenario then listens on, runs the UAS (e.g. tests/browser/sipp/uas_pcma.xml) for one call,
and watches, with a packet capture on loopback, the RTP that reaches SIPp's media port: SIPp
plays pcaps but cannot count what it receives, and its own socket on that port is never read.

    phone = SippPhone(scenario, server.udp, "1002", password, "parley.local", workdir)
    phone.start()          # registered, UAS waiting for the INVITE
    ...                    # the browser calls and hangs up
    problems = phone.finish()
"""

from __future__ import annotations

import os
import shutil
import socket
import struct
import subprocess
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REGISTER_SCENARIO = os.path.join(HERE, "..", "integration", "sipp", "reg_md5.xml")
PCAP = "/usr/share/sip-tester/g711a.pcap"  # played by uas_pcma.xml
LOOPBACK = "127.0.0.1"
PCMA = 8
MIN_PACKETS = 100      # 2 s of 20 ms packets: the call lasts about 4 s after media starts
MIN_PEAK = 1000        # of 32767: louder than the relay's silence fill or an idle microphone
UAS_TIMEOUT_S = 40     # SIPp's own bound for the whole call
EXIT_WAIT_S = 10       # after the browser hung up
ETH_P_ALL = 0x0003
PACKET_HOST = 0        # loopback shows each packet twice: outgoing (4) and delivered (0)


class SippError(Exception):
    pass


def free_udp_port(count: int = 1) -> int:
    """A free UDP port whose next `count - 1` even neighbours (SIPp's -mp and -mp+2) bind too."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind((LOOPBACK, 0))
            port = probe.getsockname()[1]
        if port + 2 * count > 65535:
            continue
        held = []
        try:
            for i in range(count):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                held.append(s)
                s.bind((LOOPBACK, port + 2 * i))
            return port
        except OSError:
            continue
        finally:
            for s in held:
                s.close()
    raise SippError("no free UDP port found")


def alaw_to_linear(byte: int) -> int:
    """ITU-T G.711 A-law to a 16-bit sample."""
    byte ^= 0x55
    exponent = (byte >> 4) & 0x07
    mantissa = byte & 0x0F
    magnitude = (mantissa << 4) + 8 if exponent == 0 else ((mantissa << 4) + 0x108) << (exponent - 1)
    return magnitude if byte & 0x80 else -magnitude


ALAW = [alaw_to_linear(b) for b in range(256)]


class RtpCapture:
    """Counts the RTP packets delivered to 127.0.0.1:`port` (AF_PACKET on lo; needs root)."""

    def __init__(self, port: int):
        self.port = port
        self.packets = 0
        self.payload_types: dict[int, int] = {}
        self.peak = 0
        self.first_at: float | None = None
        self.last_at: float | None = None
        self._stop = threading.Event()
        self._sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_ALL))
        self._sock.bind(("lo", 0))
        self._sock.settimeout(0.2)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                frame, address = self._sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            if address[2] == PACKET_HOST:
                self._inspect(frame)

    def _inspect(self, ip: bytes) -> None:
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != socket.IPPROTO_UDP:
            return
        udp = ip[(ip[0] & 0x0F) * 4:]
        if len(udp) < 8 + 12:
            return
        source_port, destination_port = struct.unpack("!HH", udp[:4])
        if destination_port != self.port or source_port == self.port:
            return
        rtp = udp[8:]
        if rtp[0] >> 6 != 2:
            return
        payload_type = rtp[1] & 0x7F
        self.packets += 1
        self.payload_types[payload_type] = self.payload_types.get(payload_type, 0) + 1
        now = time.monotonic()
        self.first_at = self.first_at or now
        self.last_at = now
        if payload_type == PCMA:
            header = 12 + 4 * (rtp[0] & 0x0F)
            self.peak = max([self.peak, *(abs(ALAW[b]) for b in rtp[header:])])

    def close(self) -> None:
        self._stop.set()
        self._thread.join(1.0)
        self._sock.close()

    def summary(self) -> str:
        span = (self.last_at - self.first_at) if self.first_at and self.last_at else 0.0
        return (f"{self.packets} RTP packets reached SIPp's media port {self.port} over "
                f"{span:.1f} s, payload types {self.payload_types}, peak sample {self.peak}")


class SippPhone:
    def __init__(self, scenario: str, server: tuple[str, int], user: str, password: str,
                 domain: str, workdir: str):
        self.scenario = os.path.abspath(scenario)
        self.server = server
        self.user = user
        self.password = password
        self.domain = domain
        self.workdir = workdir
        self.sip_port = free_udp_port()
        self.media_port = free_udp_port(count=2)
        self.capture: RtpCapture | None = None
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        if shutil.which("sipp") is None:
            raise SippError("`sipp` not found (Debian package sip-tester: scripts/install-deps.sh)")
        for path in (self.scenario, REGISTER_SCENARIO, PCAP):
            if not os.path.isfile(path):
                raise SippError(f"{path} is missing (Debian package sip-tester for the pcap)")
        self._register()
        self.capture = RtpCapture(self.media_port)
        command = ["sipp", "-sf", self.scenario, "-i", LOOPBACK, "-p", str(self.sip_port),
                   "-mi", LOOPBACK, "-mp", str(self.media_port), "-m", "1",
                   "-timeout", f"{UAS_TIMEOUT_S}s", "-nostdin", "-trace_err", "-trace_msg"]
        print("SIPp UAS: " + " ".join(command), flush=True)
        with open(os.path.join(self.workdir, "sipp-uas.out"), "wb") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, cwd=self.workdir)
        time.sleep(0.3)  # SIPp binds its sockets; the INVITE comes only after the browser dials
        if self.process.poll() is not None:
            raise SippError(f"SIPp UAS exited at once ({self.process.returncode}):\n"
                            + self._tail("sipp-uas.out"))

    def _register(self) -> None:
        users = os.path.join(self.workdir, "sipp-register.csv")
        with open(users, "w", encoding="utf-8") as out:
            out.write(f"SEQUENTIAL\n{self.user};{self.password};{self.domain}\n")
        host, port = self.server
        command = ["sipp", f"{host}:{port}", "-sf", REGISTER_SCENARIO, "-i", LOOPBACK,
                   "-p", str(self.sip_port), "-inf", users, "-m", "1", "-timeout", "10s",
                   "-recv_timeout", "5000", "-nostdin", "-trace_err"]
        try:
            done = subprocess.run(command, cwd=self.workdir, capture_output=True, text=True,
                                  timeout=20, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise SippError("SIPp REGISTER still running after 20 s")
        if done.returncode != 0:
            raise SippError(f"SIPp could not register {self.user} (exit {done.returncode}; the "
                            f"server must offer MD5 first):\n{(done.stdout + done.stderr)[-1500:]}")
        print(f"SIPp registered {self.user} from {LOOPBACK}:{self.sip_port}", flush=True)

    def finish(self) -> list[str]:
        """Waits for the UAS to end its call; returns what went wrong (empty: it all worked)."""
        problems = []
        status = None
        if self.process is not None:
            try:
                status = self.process.wait(timeout=EXIT_WAIT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                status = f"killed: still in its call {EXIT_WAIT_S} s after the scenario ended"
        if self.capture is not None:
            self.capture.close()
            print("SIPp: " + self.capture.summary(), flush=True)
        if status != 0:
            problems.append(f"SIPp UAS exit {status} (0 = INVITE answered, BYE received):\n"
                            + self._tail("sipp-uas.out") + self._errors())
        capture = self.capture
        if capture is None:
            return problems + ["no capture of SIPp's media port ran"]
        if capture.payload_types.get(PCMA, 0) < MIN_PACKETS:
            problems.append(f"SIPp got {capture.payload_types.get(PCMA, 0)} PCMA packets from "
                            f"Parley, expected at least {MIN_PACKETS}: {capture.summary()}")
        others = {pt: n for pt, n in capture.payload_types.items() if pt != PCMA}
        if others:
            problems.append(f"Parley sent SIPp payload types it did not answer: {others}")
        if capture.peak < MIN_PEAK:
            problems.append(f"the browser's audio reached SIPp as silence (peak sample "
                            f"{capture.peak} < {MIN_PEAK})")
        return problems

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.capture is not None:
            self.capture.close()

    def _tail(self, name: str, count: int = 1500) -> str:
        path = os.path.join(self.workdir, name)
        if not os.path.exists(path):
            return ""
        with open(path, errors="replace") as f:
            return f.read()[-count:]

    def _errors(self) -> str:
        text = ""
        for name in sorted(os.listdir(self.workdir)):
            if name.endswith(("_errors.log", "_messages.log")):
                text += f"\n---- {name} (last 3000 chars) ----\n" + self._tail(name, 3000)
        return text
