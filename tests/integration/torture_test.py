#!/usr/bin/env python3
"""RFC 4475 / RFC 5118 torture messages against a running `parley serve`, over UDP and TCP.

Every message listed in tests/data/torture-verdicts.tsv is sent as is (byte-exact) to a fresh
`parley serve` on 127.0.0.1; the `server` column is the oracle:
  accept     a final answer that is not a syntax rejection (not 400/413/414/494/505)
  none       no answer at all (responses and ACKs are never answered)
  any        anything, including no answer (a liberal element may accept)
  N[,M...]   a final answer with one of these codes
One line is printed per message and transport (file, transport, expected, got, verdict); the
script exits non-zero on any mismatch.

UDP: one datagram per message from a fresh socket; wait up to 1 s for a final answer (300 ms
for `none`), then 100 ms more for stray extras. Checked besides the code: the answer comes from
the server's own port (symmetric response), a request that parses echoes its Call-ID, and a
datagram gets at most one final answer (RFC 3261 §18.3: bytes after Content-Length are dropped).

TCP: one connection per message; read the answers, then half-close (FIN) and require the server
to close within 2 s (a server that ignores EOF leaks connections). The torture files were written
for datagrams, so some are not well framed for a stream; the script derives the framing from the
bytes and documents each exception here:
  * no Content-Length (TC_INV2543_I): RFC 3261 §18.3 makes it mandatory on streams. The server
    may answer the listed code, answer 400, or wait for more bytes / close the connection.
  * Content-Length larger than the bytes sent (TC_CLERR_I), no end of headers (TC_BADDN_I),
    several Content-Length values (TC_MCL01_I): the same three choices.
  * negative Content-Length (TC_NCL_I): PROVENANCE.md says "NCL over a stream transport: close
    the connection": 400 and/or a close, and the server must close on its own, before our FIN.
  * Content-Length smaller than the bytes sent (TC_DBLREQ, rfc5118 ipv6-in-sdp, mult-ip-in-sdp,
    ipv4-mapped-ipv6): the first message is well framed and its answer must match; the trailing
    bytes are the start of another message on a stream, so extra answers (e.g. 405 for
    DBLREQ's second request, 400 for junk) are allowed.
  * responses (`none`, and TC_BCAST_V, whose `accept` means "not rejected": a response is never
    answered, so any answer at all is a mismatch) get no answer on either transport.
No traffic may leave for anywhere but the test: while the set runs, a packet socket (root only;
skipped with a note otherwise) watches every interface for packets from the server's SIP ports
to anything but the test's own sockets, SIP traffic towards an address from a torture Via
(TC_BCAST_V names 255.255.255.255 and 192.0.2.198), ARP for those addresses, and DNS lookups of
the example.* hosts the messages name.

After the set: the server still answers OPTIONS on both transports, is still running, and exits
0 on SIGTERM.
"""

import argparse
import ipaddress
import os
import re
import socket
import struct
import sys
import threading
import time

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from parley_harness import HarnessError, ParleyServer  # noqa: E402

LOOPBACK = "127.0.0.1"
SYNTAX_REJECTIONS = {400, 413, 414, 494, 505}
ANSWER_WAIT = 1.0  # seconds to wait for a final answer
SILENCE_WAIT = 0.3  # seconds of silence that prove "no answer"
LINGER = 0.1  # extra seconds to catch a second answer
FIN_WAIT = 2.0  # seconds the server has to close after our FIN


# ---------------------------------------------------------------------------------------------
# Reading SIP bytes (just enough to judge answers; the parser under test is not reused)


def split_head(data):
    """(header bytes, body bytes) or (data, None) when there is no end of headers."""
    for sep in (b"\r\n\r\n", b"\n\n"):
        i = data.find(sep)
        if i >= 0:
            return data[:i], data[i + len(sep):]
    return data, None


def header_values(head, long_name, compact):
    """Values of one header (long or compact name), unfolded, in order."""
    lines = re.split(rb"\r?\n", head)[1:]
    unfolded = []
    for line in lines:
        if line[:1] in (b" ", b"\t") and unfolded:
            unfolded[-1] += b" " + line.strip()
        else:
            unfolded.append(line)
    names = {long_name.lower(), compact.lower()} if compact else {long_name.lower()}
    values = []
    for line in unfolded:
        name, colon, value = line.partition(b":")
        if colon and name.strip().lower() in names:
            values.append(value.strip())
    return values


def status_code(message):
    m = re.match(rb"SIP/2\.0 (\d{3}) ", message)
    return int(m.group(1)) if m else None


def framing(data):
    """How a message's bytes frame on a stream: 'ok', 'trailing', or 'broken:<why>'."""
    head, body = split_head(data)
    if body is None:
        return "broken:no end of headers"
    lengths = header_values(head, b"Content-Length", b"l")
    if not lengths:
        return "broken:no Content-Length"
    if len(set(lengths)) > 1:
        return "broken:several Content-Length values"
    if not lengths[0].isdigit():
        return "broken:negative Content-Length" if lengths[0].startswith(b"-") \
            else "broken:bad Content-Length"
    length = int(lengths[0])
    if length > len(body):
        return "broken:Content-Length beyond the bytes sent"
    return "trailing" if length < len(body) else "ok"


def split_stream(buf):
    """Complete messages at the front of a stream buffer, framed by Content-Length."""
    messages = []
    while True:
        buf = buf.lstrip(b"\r\n")
        i = buf.find(b"\r\n\r\n")
        if i < 0:
            return messages, buf
        head = buf[:i]
        lengths = header_values(head, b"Content-Length", b"l")
        length = int(lengths[0]) if lengths and lengths[0].isdigit() else 0
        end = i + 4 + length
        if len(buf) < end:
            return messages, buf
        messages.append(buf[:end])
        buf = buf[end:]


# ---------------------------------------------------------------------------------------------
# Watching for traffic that does not go back to the test


class TrafficWatch:
    """Sniffs every interface (AF_PACKET) and records packets the server must never cause."""

    ETH_P_ALL, ETH_P_IP, ETH_P_IPV6, ETH_P_ARP = 0x0003, 0x0800, 0x86DD, 0x0806
    SIP_PORTS = {5060, 5061, 5050, 5070}

    def __init__(self, server_ports, via_addresses):
        self.server_ports = set(server_ports)
        self.via_addresses = set(via_addresses)
        self.test_ports = set()  # UDP ports of the test's own sockets
        self.current = "-"
        self.violations = []
        self.available = True
        self._stop = threading.Event()
        try:
            self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(self.ETH_P_ALL))
        except (PermissionError, OSError) as e:
            self.available, self.reason = False, str(e)
            return
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE (root)
        except OSError:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.settimeout(0.1)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def stop(self):
        if self.available:
            time.sleep(0.2)  # let the last packets arrive
            self._stop.set()
            self.thread.join(timeout=5)
            self.sock.close()

    def _flag(self, what):
        self.violations.append(f"{self.current}: {what}")

    def _run(self):
        while not self._stop.is_set():
            try:
                data, addr = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                self._inspect(addr[0], addr[1], data)
            except (IndexError, struct.error, ValueError):
                continue

    def _inspect(self, ifname, proto, data):
        loopback = ifname == "lo"
        if proto == self.ETH_P_ARP:
            target = str(ipaddress.ip_address(data[24:28]))
            if not loopback and target in self.via_addresses and target != self._gateway():
                self._flag(f"ARP who-has {target} on {ifname}")
            return
        if proto == self.ETH_P_IP:
            ihl = (data[0] & 0x0F) * 4
            l4, src, dst = data[9], ipaddress.ip_address(data[12:16]), ipaddress.ip_address(data[16:20])
            payload = data[ihl:]
        elif proto == self.ETH_P_IPV6:
            l4, src, dst = data[6], ipaddress.ip_address(data[8:24]), ipaddress.ip_address(data[24:40])
            payload = data[40:]
        else:
            return
        if l4 not in (6, 17):
            return
        sport, dport = struct.unpack("!HH", payload[:4])
        where = f"{l4 == 17 and 'UDP' or 'TCP'} {src}:{sport} -> {dst}:{dport} on {ifname}"
        if l4 == 17 and dport == 53 and b"example" in payload[8:].lower():
            self._flag(f"DNS lookup of a torture-message host: {where}")
        if loopback:
            if l4 == 17 and sport in self.server_ports and dport not in self.test_ports:
                self._flag(f"server sent to a port that is not the test's: {where}")
            return
        if sport in self.server_ports:
            self._flag(f"server traffic off loopback: {where}")
        elif str(dst) == "255.255.255.255" and dport in self.SIP_PORTS:
            self._flag(f"broadcast: {where}")
        elif str(dst) in self.via_addresses and dport in self.SIP_PORTS:
            self._flag(f"SIP traffic to a torture Via address: {where}")

    @staticmethod
    def _gateway():
        try:
            with open("/proc/net/route") as f:
                for line in f.readlines()[1:]:
                    fields = line.split()
                    if fields[1] == "00000000":
                        return str(ipaddress.ip_address(struct.pack("<I", int(fields[2], 16))))
        except (OSError, IndexError, ValueError):
            pass
        return None


def via_addresses(messages):
    """Literal IP addresses in the Via headers of the torture messages."""
    found = set()
    for data in messages:
        head, _ = split_head(data)
        for value in header_values(head, b"Via", b"v"):
            for token in re.findall(rb"[0-9a-fA-F:.]{7,}", value):
                try:
                    found.add(str(ipaddress.ip_address(token.decode().strip(":"))))
                except ValueError:
                    pass
    found.discard(LOOPBACK)
    return found


# ---------------------------------------------------------------------------------------------
# Exchanges


def udp_exchange(port, payload, wait, watch):
    """Sends one datagram; returns [(source address, bytes)] received before the deadline."""
    answers = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((LOOPBACK, 0))
        watch.test_ports.add(s.getsockname()[1])
        s.sendto(payload, (LOOPBACK, port))
        deadline = time.monotonic() + wait
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            s.settimeout(left)
            try:
                data, addr = s.recvfrom(65535)
            except socket.timeout:
                break
            answers.append((addr, data))
            code = status_code(data)
            if code is not None and code >= 200:
                deadline = min(deadline, time.monotonic() + LINGER)
    return answers


def tcp_exchange(port, payload, wait):
    """One connection: send, read answers, FIN, wait for the server to close.

    Returns (messages, closed_before_fin, closed_after_fin, note)."""
    buf, closed_before_fin, closed_after_fin, note = b"", False, False, ""
    s = socket.create_connection((LOOPBACK, port), timeout=2)
    try:
        try:
            s.sendall(payload)
        except OSError as e:  # the server may reset after answering a broken message
            note = f"send: {e.strerror}"
        deadline = time.monotonic() + wait
        got_final = False
        while time.monotonic() < deadline:
            s.settimeout(max(deadline - time.monotonic(), 0.001))
            try:
                chunk = s.recv(65535)
            except socket.timeout:
                break
            except ConnectionResetError:
                closed_before_fin = True
                break
            if not chunk:
                closed_before_fin = True
                break
            buf += chunk
            messages, _ = split_stream(buf)
            if not got_final and any((status_code(m) or 0) >= 200 for m in messages):
                got_final = True
                deadline = min(deadline, time.monotonic() + LINGER)
        if not closed_before_fin:
            try:
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            deadline = time.monotonic() + FIN_WAIT
            while time.monotonic() < deadline:
                s.settimeout(max(deadline - time.monotonic(), 0.001))
                try:
                    chunk = s.recv(65535)
                except socket.timeout:
                    break
                except ConnectionResetError:
                    closed_after_fin = True
                    break
                if not chunk:
                    closed_after_fin = True
                    break
                buf += chunk
    finally:
        s.close()
    messages, rest = split_stream(buf)
    if rest.strip():
        note = (note + " " if note else "") + f"{len(rest)} unframed bytes"
    return messages, closed_before_fin, closed_after_fin, note


# ---------------------------------------------------------------------------------------------
# Judging


def code_matches(code, expected):
    if expected == "any":
        return True
    if expected == "accept":
        return 200 <= code < 700 and code not in SYNTAX_REJECTIONS
    return code in {int(c) for c in expected.split(",")}


def call_id_problem(request, parse, answer):
    """A request that parses must have its Call-ID echoed (RFC 3261 §8.2.6.2)."""
    if parse != "ok":
        return None
    sent = header_values(split_head(request)[0], b"Call-ID", b"i")
    got = header_values(split_head(answer)[0], b"Call-ID", b"i")
    if len(sent) == 1 and got != sent:
        return f"Call-ID not echoed (sent {sent[0][:40]!r}, got {got[:1]})"
    return None


def judge_udp(entry, payload, answers, server_port):
    """Returns (got, problem or None)."""
    _, parse, expected = entry
    codes = [status_code(data) for _, data in answers]
    got = ",".join(str(c) for c in codes) if answers else "none"
    is_response = payload.startswith(b"SIP/")
    if expected == "any":
        return got, None
    if expected == "none" or is_response:
        return got, None if not answers else "a response or ACK must never be answered"
    finals = [(addr, data) for addr, data in answers if (status_code(data) or 0) >= 200]
    if not finals:
        return got, "no final answer within %.1f s" % ANSWER_WAIT
    addr, data = finals[0]
    if not code_matches(status_code(data), expected):
        return got, "wrong code"
    if len(finals) > 1:
        return got, "more than one final answer to one datagram"
    if addr != (LOOPBACK, server_port):
        return got, f"answer came from {addr[0]}:{addr[1]}, not the server's port {server_port}"
    return got, call_id_problem(payload, parse, data)


def judge_tcp(entry, payload, result):
    _, parse, expected = entry
    messages, closed_before_fin, closed_after_fin, note = result
    codes = [status_code(m) for m in messages]
    got = ",".join(str(c) for c in codes) if messages else "none"
    if closed_before_fin:
        got += "+close"
    elif closed_after_fin:
        got += "+close-after-fin"
    else:
        got += "+open"
    if note:
        got += f" ({note})"
    if not (closed_before_fin or closed_after_fin):
        return got, f"connection still open {FIN_WAIT:.0f} s after our FIN"
    frame = framing(payload)
    is_response = payload.startswith(b"SIP/")
    if expected == "any":
        return got, None
    if expected == "none" or is_response:
        return got, None if not messages else "a response or ACK must never be answered"
    finals = [m for m in messages if (status_code(m) or 0) >= 200]
    if frame.startswith("broken:"):
        why = frame.split(":", 1)[1]
        if why == "negative Content-Length" and not closed_before_fin:
            return got, "negative Content-Length on a stream: the server must close the connection"
        if finals and not (code_matches(status_code(finals[0]), expected) or status_code(finals[0]) == 400):
            return got, f"framing broken ({why}): expected {expected}, 400 or a close"
        return got, None
    if not finals:
        return got, "no final answer within %.1f s" % ANSWER_WAIT
    if not code_matches(status_code(finals[0]), expected):
        return got, "wrong code"
    if frame == "ok" and len(finals) > 1:
        return got, "more than one final answer to one message"
    return got, call_id_problem(payload, parse, finals[0])


def options_probe(udp_port, tcp_port, watch):
    """The server answers a plain OPTIONS with 200 over UDP and TCP."""
    problems = []
    for transport in ("UDP", "TCP"):
        branch = f"z9hG4bK-torture-probe-{transport}-{time.monotonic_ns()}"
        msg = (f"OPTIONS sip:{LOOPBACK} SIP/2.0\r\n"
               f"Via: SIP/2.0/{transport} {LOOPBACK}:9;branch={branch};rport\r\n"
               "Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=p\r\nTo: <sip:127.0.0.1>\r\n"
               f"Call-ID: {branch}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode()
        if transport == "UDP":
            answers = udp_exchange(udp_port, msg, ANSWER_WAIT, watch)
            codes = [status_code(d) for _, d in answers]
        else:
            codes = [status_code(m) for m in tcp_exchange(tcp_port, msg, ANSWER_WAIT)[0]]
        if 200 not in codes:
            problems.append(f"OPTIONS over {transport}: got {codes or 'no answer'}, expected 200")
    return problems


def load_verdicts(data_dir):
    entries = []
    with open(os.path.join(data_dir, "torture-verdicts.tsv")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, parse, server = line.rstrip("\n").split("\t")
            entries.append((name, parse, server))
    return entries


def main():
    ap = argparse.ArgumentParser(description="RFC 4475/5118 torture messages against parley serve")
    ap.add_argument("--parley", required=True)
    ap.add_argument("--data-dir", required=True)
    args = ap.parse_args()

    entries = load_verdicts(args.data_dir)
    payloads = {}
    for name, _, _ in entries:
        with open(os.path.join(args.data_dir, name), "rb") as f:
            payloads[name] = f.read()
    failures = []
    with ParleyServer(args.parley) as server:
        udp_port, tcp_port = server.udp[1], server.tcp[1]
        alive = lambda: server.process.poll() is None  # noqa: E731
        watch = TrafficWatch([udp_port, tcp_port], via_addresses(payloads.values()))
        if not watch.available:
            print(f"note: traffic check skipped (no packet socket: {watch.reason})")
        try:
            failures += [f"before the set: {p}" for p in options_probe(udp_port, tcp_port, watch)]
            print(f"{'file':44} {'transport':9} {'expected':10} got")
            for entry in entries:
                name, _, expected = entry
                payload = payloads[name]
                for transport in ("UDP", "TCP"):
                    watch.current = f"{name} {transport}"
                    wait = SILENCE_WAIT if expected == "none" else ANSWER_WAIT
                    if transport == "UDP":
                        got, problem = judge_udp(entry, payload,
                                                 udp_exchange(udp_port, payload, wait, watch), udp_port)
                    else:
                        got, problem = judge_tcp(entry, payload, tcp_exchange(tcp_port, payload, wait))
                    if not alive():
                        problem = f"server died (status {server.process.returncode})"
                    verdict = "ok" if problem is None else f"MISMATCH: {problem}"
                    print(f"{name:44} {transport:9} {expected:10} {got:28} {verdict}", flush=True)
                    if problem:
                        failures.append(f"{name} over {transport}: {problem}")
                    if not alive():
                        raise RuntimeError("server died")
            watch.current = "after the set"
            failures += [f"after the set: {p}" for p in options_probe(udp_port, tcp_port, watch)]
        except RuntimeError:
            pass
        finally:
            watch.stop()
            distinct = list(dict.fromkeys(watch.violations))
            failures += [f"traffic: {v}" for v in distinct[:20]]
            if len(distinct) > 20:
                failures.append(f"traffic: ... and {len(distinct) - 20} more")
            if not alive():
                failures.append(f"server was not running at the end (status {server.process.returncode})")
            else:
                try:
                    status = server.stop(timeout=10)
                except HarnessError as e:
                    status = str(e)
                if status != 0:
                    failures.append(f"server exit status on SIGTERM: {status} (expected 0)")
                else:
                    print("server exited 0 on SIGTERM")
            if failures:
                print("---- server stderr (last 3000 bytes) ----")
                print(server.stderr_text()[-3000:])
    if failures:
        print(f"\n{len(failures)} mismatch(es):")
        for f in failures:
            print(f"  {f}")
        return 1
    print(f"\nall {len(entries)} messages x 2 transports as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
