"""Kamailio from Debian as a real SIP peer for integration tests (a provider's registrar or proxy).

A test hands KamailioPeer the text of its kamailio.cfg; the peer writes it into its own folder,
starts Kamailio in the foreground in its own process group, waits (bounded) until it answers
OPTIONS, and kills the whole group at the end. Kamailio's log (stderr, including xlog lines) goes
to a file the test can search; when Kamailio does not come up, the error carries the log's tail.
"""

import os
import signal
import socket
import subprocess
import time

from parley_harness import HarnessError, new_branch

KAMAILIO_MODULES = "/usr/lib/x86_64-linux-gnu/kamailio/modules/"


def wait_until(predicate, timeout: float, step: float = 0.1):
    """Polls `predicate` until it returns a true value or `timeout` s pass; returns the last value."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(step)
        value = predicate()
    return value


def udp_port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def free_udp_ports(count: int, first: int, last: int) -> list[int]:
    """`count` UDP ports on 127.0.0.1 in [first, last) that nothing is bound to right now."""
    ports = [port for port in range(first, last) if udp_port_free(port)][:count]
    if len(ports) < count:
        raise HarnessError(f"fewer than {count} free UDP ports in {first}-{last - 1} for Kamailio")
    return ports


def global_settings(port: int) -> str:
    """The head of every test's kamailio.cfg: one UDP listener on `port`, one child process,
    logging to stderr (the log file), Debian's module folder."""
    return ("#!KAMAILIO\ndebug=2\nlog_stderror=yes\nchildren=1\nauto_aliases=no\n"
            f"listen=udp:127.0.0.1:{port}\nmpath=\"{KAMAILIO_MODULES}\"\n")


class KamailioPeer:
    """One Kamailio process listening on udp:127.0.0.1:`port` with the given configuration.

    `cfg` is the kamailio.cfg text after global_settings(port) (module loads, parameters and
    routes); it must answer an OPTIONS without a user part with 200 (the readiness probe). start() may be called again after kill(), e.g. to
    test a provider restart; the log file is appended to across restarts."""

    def __init__(self, folder: str, port: int, cfg: str, start_timeout: float = 10.0):
        self.folder = folder
        self.port = port
        self.start_timeout = start_timeout
        self.log_path = os.path.join(folder, "kamailio.log")
        self.process: subprocess.Popen | None = None
        os.makedirs(folder, exist_ok=True)
        self.cfg = os.path.join(folder, "kamailio.cfg")
        with open(self.cfg, "w") as out:
            out.write(global_settings(port) + cfg)

    def __enter__(self) -> "KamailioPeer":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.kill()

    def start(self) -> None:
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(
                ["kamailio", "-DD", "-E", "-f", self.cfg, "-w", self.folder, "-Y", self.folder,
                 "-P", os.path.join(self.folder, "kamailio.pid"), "-m", "64", "-M", "8"],
                stdout=log, stderr=log, start_new_session=True)
        if not wait_until(self.answers_options, self.start_timeout):
            self.kill()
            raise HarnessError(f"Kamailio did not answer OPTIONS within {self.start_timeout:g} s:\n"
                               + self.log()[-2000:])

    def answers_options(self) -> bool:
        if self.process is None or self.process.poll() is not None:
            return False
        request = (f"OPTIONS sip:127.0.0.1:{self.port} SIP/2.0\r\n"
                   f"Via: SIP/2.0/UDP 127.0.0.1:9;rport;branch={new_branch()}\r\n"
                   "Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=1\r\n"
                   f"To: <sip:127.0.0.1:{self.port}>\r\nCall-ID: probe{time.monotonic_ns()}\r\n"
                   "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.settimeout(0.3)
            probe.sendto(request, ("127.0.0.1", self.port))
            try:
                return probe.recv(4096).startswith(b"SIP/2.0 200")
            except OSError:
                return False

    def kill(self) -> None:
        """SIGKILL to Kamailio's whole process group: its worker children would otherwise
        outlive the main process and keep answering on the port."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(5)
        self.process = None
        if not wait_until(lambda: udp_port_free(self.port), 5):
            raise HarnessError(f"Kamailio's port {self.port} is still taken after the kill")

    def log(self) -> str:
        if not os.path.exists(self.log_path):
            return ""
        with open(self.log_path, errors="replace") as log:
            return log.read()

    def log_size(self) -> int:
        return len(self.log())

    def lines(self, containing: str, since: int = 0) -> list[str]:
        """The log lines that contain `containing`, after character offset `since` of the log."""
        return [line for line in self.log()[since:].splitlines() if containing in line]
