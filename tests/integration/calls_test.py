#!/usr/bin/env python3
"""Calls between two extensions of one tenant through the B2BUA of `parley serve` (UDP, loopback).

1. Basic call with two SIPp instances: SIPp UAS (built-in `uas`) answers as 1002, SIPp UAC
   (sipp/call_uac.xml) calls as 1001 answering the 407 with MD5 (through Md5OnlyRelay, because
   SIPp 3.6 answers only the first challenge and Parley offers SHA-256 first). Both exit 0.
2. With a Python caller and callee (sip_client.py): CANCEL before answer -> 487 (callee sees
   CANCEL), busy 486 relayed, unknown 1099 -> 404, 1003 not registered -> 480, no answer after
   no_answer_timeout_s = 2 -> 480 and the callee sees CANCEL, BYE from the callee ends the call.
3. The call_records table (read-only sqlite3) holds answered, cancelled, busy, no_answer rows.
"""

import argparse
import os
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from call_client import DOMAIN, Caller, is_request, response_to  # noqa: E402
from pbx_scenario import checker  # noqa: E402
from parley_harness import (HarnessError, ParleyServer, new_branch,
                            provision, report, run_main)  # noqa: E402
from sip_client import (Md5OnlyRelay, SipUA, digest_credentials, parse_message,
                        pick_challenge)  # noqa: E402

PASSWORDS = {"1001": "pw-1001-secret", "1002": "pw-1002-secret", "1003": "pw-1003-secret"}
problems, check = checker()


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def python_call(server, callee_ua, callee_ext, behaviour):
    """One call from a fresh 1001 UA; `behaviour(caller, callee_ua)` drives and checks it."""
    ua = SipUA(server.udp, "1001", DOMAIN, PASSWORDS["1001"])
    try:
        caller = Caller(ua, callee_ext)
        caller.start()
        behaviour(caller, callee_ua)
    finally:
        ua.close()


def ring(callee, tag):
    invite, addr = callee.recv(5.0, is_request("INVITE"))
    callee.send(response_to(invite, 180, "Ringing", tag), addr)
    return invite, addr


def scenario_cancel(caller, callee):
    tag = secrets.token_hex(4)
    invite, addr = ring(callee, tag)
    caller.provisional(180)
    caller.cancel()
    cancel, addr2 = callee.recv(5.0, is_request("CANCEL"))
    callee.send(response_to(cancel, 200, "OK", tag), addr2)
    callee.send(response_to(invite, 487, "Request Terminated", tag), addr)
    final = caller.final()
    check(final.status == 487, f"CANCEL: caller got {final.status}, expected 487")


def scenario_busy(caller, callee):
    tag = secrets.token_hex(4)
    invite, addr = callee.recv(5.0, is_request("INVITE"))
    callee.send(response_to(invite, 486, "Busy Here", tag), addr)
    final = caller.final()
    check(final.status == 486, f"busy: caller got {final.status}, expected 486")


def scenario_no_answer(caller, callee):
    tag = secrets.token_hex(4)
    started = time.monotonic()
    invite, addr = ring(callee, tag)
    cancel, addr2 = callee.recv(6.0, is_request("CANCEL"))
    callee.send(response_to(cancel, 200, "OK", tag), addr2)
    callee.send(response_to(invite, 487, "Request Terminated", tag), addr)
    final = caller.final(6.0)
    elapsed = time.monotonic() - started
    check(final.status == 480, f"no answer: caller got {final.status}, expected 480")
    check(1.5 <= elapsed <= 5.0, f"no answer: ended after {elapsed:.1f} s, configured 2 s")


def scenario_callee_bye(caller, callee):
    tag = secrets.token_hex(4)
    invite, addr = ring(callee, tag)
    callee.send(response_to(invite, 200, "OK", tag, callee.contact_uri()), addr)
    ok = caller.final()
    if not check(ok.status == 200, f"callee-BYE call: caller got {ok.status}, expected 200"):
        return
    caller.ack_2xx(ok)
    ack, _ = callee.recv(3.0, is_request("ACK"))
    # The callee hangs up: BYE in its dialog (From/To swapped, tags kept).
    bye = [f"BYE {invite.header('Contact').strip('<>').split('>')[0]} SIP/2.0",
           f"Via: SIP/2.0/UDP {callee.ip}:{callee.port};branch={new_branch()};rport",
           "Max-Forwards: 70", f"From: {invite.header('To')};tag={tag}",
           f"To: {invite.header('From')}", f"Call-ID: {invite.header('Call-ID')}",
           "CSeq: 1 BYE", "Content-Length: 0"]
    callee.send(("\r\n".join(bye) + "\r\n\r\n").encode(), addr)
    bye_ok, _ = callee.recv(3.0, lambda m: m.status and (m.header("CSeq") or "").endswith("BYE"))
    check(bye_ok.status == 200, f"callee's BYE answered {bye_ok.status}, expected 200")
    caller_bye, caddr = caller.ua.recv(3.0, is_request("BYE"))
    caller.ua.send(response_to(caller_bye, 200, "OK", "x"), caddr)
    check(caller_bye.header("Call-ID") == caller.call_id, "BYE to the caller in another dialog")


class TcpCallee:
    """Extension registered over one TCP connection, which Parley must reuse for the INVITE
    (the device may be behind NAT and accept no connection of its own)."""

    def __init__(self, server, user):
        self.user = user
        self.sock = socket.create_connection(server.tcp, timeout=5)
        self.ip, self.port = self.sock.getsockname()
        self.buf = b""

    def close(self):
        self.sock.close()

    def send(self, data: bytes):
        self.sock.sendall(data)

    def recv(self, timeout=5.0):
        """The next framed message on the connection (Content-Length framing)."""
        deadline = time.monotonic() + timeout
        while True:
            head_end = self.buf.find(b"\r\n\r\n")
            if head_end >= 0:
                head = self.buf[:head_end].decode("utf-8", "replace")
                length = 0
                for line in head.split("\r\n")[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() in ("content-length", "l"):
                        length = int(value.strip())
                total = head_end + 4 + length
                if len(self.buf) >= total:
                    data, self.buf = self.buf[:total], self.buf[total:]
                    return parse_message(data)
            left = deadline - time.monotonic()
            if left <= 0:
                raise HarnessError(f"{self.user}: nothing on the TCP connection in {timeout} s")
            self.sock.settimeout(left)
            chunk = self.sock.recv(65535)
            if not chunk:
                raise HarnessError(f"{self.user}: the server closed the TCP connection")
            self.buf += chunk

    def register(self, password):
        aor = f"sip:{self.user}@{DOMAIN}"
        call_id = secrets.token_hex(8) + "@tcp"

        def request(cseq, auth=None):
            lines = [f"REGISTER sip:{DOMAIN} SIP/2.0",
                     f"Via: SIP/2.0/TCP {self.ip}:{self.port};branch={new_branch()}",
                     "Max-Forwards: 70", f"From: <{aor}>;tag={secrets.token_hex(4)}",
                     f"To: <{aor}>", f"Call-ID: {call_id}", f"CSeq: {cseq} REGISTER",
                     f"Contact: <sip:{self.user}@{self.ip}:{self.port};transport=tcp>",
                     "Expires: 300"]
            if auth:
                lines.append(f"Authorization: {auth}")
            lines.append("Content-Length: 0")
            return ("\r\n".join(lines) + "\r\n\r\n").encode()

        self.send(request(1))
        challenge = self.recv()
        check(challenge.status == 401, f"TCP REGISTER: {challenge.status}, expected 401")
        auth = digest_credentials(pick_challenge(challenge.header_all("WWW-Authenticate"),
                                                 "SHA-256"), "REGISTER", f"sip:{DOMAIN}",
                                  self.user, password)
        self.send(request(2, auth))
        return self.recv().status


def scenario_tcp_callee(server):
    """A callee registered over TCP gets the INVITE on its own connection; its 486 reaches
    the UDP caller."""
    callee = TcpCallee(server, "1003")
    try:
        check(callee.register(PASSWORDS["1003"]) == 200, "TCP REGISTER of 1003 failed")
        ua = SipUA(server.udp, "1001", DOMAIN, PASSWORDS["1001"])
        try:
            caller = Caller(ua, "1003")
            caller.start()
            invite = callee.recv()
            check(invite.start_line.startswith("INVITE "), f"TCP callee got {invite.start_line}")
            check("SIP/2.0/TCP" in (invite.header("Via") or ""), "INVITE Via is not TCP")
            callee.send(response_to(invite, 486, "Busy Here", secrets.token_hex(4)))
            status = caller.final().status
            check(status == 486, f"caller got {status}, expected 486 from the TCP callee")
            ack = callee.recv()
            check(ack.start_line.startswith("ACK "), f"TCP callee got {ack.start_line}, not ACK")
        finally:
            ua.close()
    finally:
        callee.close()


def run_sipp(cmd, workdir, name):
    out = open(os.path.join(workdir, name + ".out"), "wb")
    return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            cwd=workdir)


def sipp_basic_call(server, workdir):
    print("- basic call, SIPp UAC 1001 -> Parley -> SIPp UAS 1002", flush=True)
    uas_port = free_udp_port()
    reg = SipUA(server.udp, "1002", DOMAIN, PASSWORDS["1002"], port=uas_port)
    reply = reg.register(expires=300)
    reg.close()
    if not check(reply.status == 200, f"1002 REGISTER from the UAS port: {reply.status}"):
        return
    users = os.path.join(workdir, "callers.csv")
    with open(users, "w") as f:
        f.write(f"SEQUENTIAL\n1001;{PASSWORDS['1001']};1002;{DOMAIN}\n")
    uas = run_sipp(["sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", str(uas_port), "-nostdin",
                    "-m", "1", "-timeout", "20s", "-trace_err"], workdir, "uas")
    time.sleep(0.3)
    relay = Md5OnlyRelay(server.udp)
    try:
        host, port = relay.listen
        uac = run_sipp(["sipp", f"{host}:{port}", "-sf", os.path.join(HERE, "sipp", "call_uac.xml"),
                        "-i", "127.0.0.1", "-p", "0", "-nostdin", "-m", "1", "-timeout", "20s",
                        "-recv_timeout", "8000", "-inf", users, "-auth_uri", f"1002@{DOMAIN}",
                        "-trace_err", "-trace_msg"], workdir, "uac")
        codes = {}
        for name, proc in (("UAC", uac), ("UAS", uas)):
            try:
                codes[name] = proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                codes[name] = "killed after 30 s"
    finally:
        relay.close()
    # Remove the SIPp UAS's binding so later calls ring only the Python callee.
    reg = SipUA(server.udp, "1002", DOMAIN, PASSWORDS["1002"], port=uas_port)
    check(reg.register(expires=0).status == 200, "unregistering the SIPp UAS binding failed")
    reg.close()
    for name in ("UAC", "UAS"):
        if not check(codes[name] == 0, f"SIPp {name} exit {codes[name]} (0 = 1 successful call)"):
            for f in sorted(os.listdir(workdir)):
                if f.endswith((".out", "_errors.log")) and (name.lower() in f or "error" in f):
                    with open(os.path.join(workdir, f), errors="replace") as fh:
                        print(f"---- {f} ----\n{fh.read()[-2000:]}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parley", required=True)
    ap.add_argument("--data-dir")
    args = ap.parse_args()
    if shutil.which("sipp") is None:
        print("FAIL: `sipp` not found (Debian package sip-tester)")
        return 1

    with tempfile.TemporaryDirectory(prefix="parley-calls-") as tmp:
        data = os.path.join(tmp, "data")
        provision(args.parley, data, DOMAIN, PASSWORDS)
        config = os.path.join(tmp, "parley.toml")
        with open(config, "w") as f:
            f.write("[calls]\nno_answer_timeout_s = 2\n")
        # Two workers: the kernel spreads the caller's and the callee's packets over both
        # SO_REUSEPORT sockets, so this proves each call's messages reach the worker owning it.
        with ParleyServer(args.parley, data_dir=data,
                          args=["--config", config, "--workers", "2"]) as server:
            sipp_basic_call(server, tmp)

            callee = SipUA(server.udp, "1002", DOMAIN, PASSWORDS["1002"])
            check(callee.register(expires=300).status == 200, "python 1002 REGISTER failed")
            for name, ext, behaviour in (("CANCEL before answer", "1002", scenario_cancel),
                                         ("busy", "1002", scenario_busy),
                                         ("no answer", "1002", scenario_no_answer),
                                         ("BYE from the callee", "1002", scenario_callee_bye)):
                print(f"- {name}", flush=True)
                try:
                    python_call(server, callee, ext, behaviour)
                except HarnessError as e:
                    check(False, f"{name}: {e}")
            for name, ext, expected in (("unknown extension", "1099", 404),
                                        ("not registered", "1003", 480)):
                print(f"- {name}", flush=True)
                try:
                    python_call(server, callee, ext, lambda c, _u, x=expected, n=name: check(
                        (s := c.final().status) == x, f"{n}: caller got {s}, expected {x}"))
                except HarnessError as e:
                    check(False, f"{name}: {e}")
            callee.close()
            print("- callee registered over TCP", flush=True)
            try:
                scenario_tcp_callee(server)
            except HarnessError as e:
                check(False, f"TCP callee: {e}")
            time.sleep(0.5)  # call records are written asynchronously
            if problems:
                print("---- server stderr (tail) ----\n" + server.stderr_text()[-3000:])
            check(server.stop() == 0, "server did not exit 0 on SIGTERM")

        print("- call records", flush=True)
        db = sqlite3.connect(f"file:{os.path.join(data, 'parley.db')}?mode=ro", uri=True)
        try:
            rows = db.execute("SELECT caller, callee, disposition, hangup_side, answer_ms "
                              "FROM call_records ORDER BY id").fetchall()
        finally:
            db.close()
        print("  " + "\n  ".join(map(str, rows)))
        dispositions = [r[2] for r in rows]
        for wanted, count in (("answered", 2), ("cancelled", 1), ("busy", 2), ("no_answer", 1)):
            check(dispositions.count(wanted) == count,
                  f"{dispositions.count(wanted)} '{wanted}' call records, expected {count}")
        check(dispositions.count("failed") == 1,
              f"{dispositions.count('failed')} 'failed' records, expected 1 (not registered)")
        sides = [r[3] for r in rows if r[2] == "answered"]
        check(sides == ["caller", "callee"], f"answered hang-up sides {sides}, expected "
                                             "['caller', 'callee'] (SIPp BYE, then callee BYE)")
        check(len(rows) == 7, f"{len(rows)} call records, expected 7 (404 writes none)")

    return report(problems, "calls through the B2BUA behave as specified")


if __name__ == "__main__":
    run_main(main)
