"""Free ports inside a test's own range, probed right before an external program binds them.

Linux hands out ephemeral ports from 32768-60999 (net.ipv4.ip_local_port_range), so a fixed port in
that range can be held at any moment by another test's outgoing connection. Probing a test's range
for a port that binds now, just before baresip, SIPp or Kamailio is started on it, leaves only a
window of milliseconds instead of the whole run.
"""

import socket


def _binds(port: int, kind: int) -> bool:
    with socket.socket(socket.AF_INET, kind) as probe:
        if kind == socket.SOCK_STREAM:
            # A port in TIME_WAIT is reusable by a listener: what the program will do too.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports_in(first: int, last: int, count: int = 1, tcp: bool = False, step: int = 1,
                  neighbour_tcp: bool = False) -> list[int]:
    """`count` ports in [first, last] (every `step`-th from `first`) that bind on UDP now, and on TCP
    too when `tcp`; `neighbour_tcp` also wants port + 1 free on TCP (baresip puts SIP over TLS
    there). Chosen ports are at least two apart so neighbours never overlap. Raises RuntimeError when
    the range has too few."""
    chosen: list[int] = []
    for port in range(first, last + 1, step):
        if any(abs(port - c) <= 1 for c in chosen):
            continue
        if not _binds(port, socket.SOCK_DGRAM):
            continue
        if tcp and not _binds(port, socket.SOCK_STREAM):
            continue
        if neighbour_tcp and (port + 1 > last or not _binds(port + 1, socket.SOCK_STREAM)):
            continue
        chosen.append(port)
        if len(chosen) == count:
            return chosen
    raise RuntimeError(f"fewer than {count} free ports in {first}-{last}")
