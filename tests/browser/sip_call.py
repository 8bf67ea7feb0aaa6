#!/usr/bin/env python3
"""One answered SIP call for the browser scenarios (standard library + SIPp; no namespace needed).

A Python UA (tests/integration/sip_client.py) registers as the callee and answers; SIPp
registers as the caller with tests/integration/sipp/reg_md5.xml and, from the same port, calls
the callee with tests/integration/sipp/call_uac.xml (INVITE, 407, INVITE with MD5 credentials,
200, ACK, 1 s, BYE). The server must offer MD5 first (browser_test.py --sip-calls sets
[auth] algorithms = ["MD5"]): SIPp 3.6 knows only MD5 and answers only the first challenge.

    sip_call.py --server 127.0.0.1:5060 --domain parley.local \
        --caller 1003 --caller-password PW --callee 1001 --callee-password PW

--dial NUMBER makes SIPp call NUMBER (a ring group, say) instead of the callee's own number;
the callee is still the phone expected to ring and answer.

Prints one JSON line {"call_id", "caller", "callee", "answered": true} and exits 0 when the
call was answered and SIPp ended it cleanly; otherwise prints why and exits 1.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
INTEGRATION = os.path.join(HERE, "..", "integration")
sys.path.insert(0, INTEGRATION)
from call_client import is_request, response_to  # noqa: E402
from parley_harness import HarnessError  # noqa: E402
from sip_client import SipUA  # noqa: E402
from sipp_phone import free_udp_port  # noqa: E402

REGISTER_SCENARIO = os.path.join(INTEGRATION, "sipp", "reg_md5.xml")
CALL_SCENARIO = os.path.join(INTEGRATION, "sipp", "call_uac.xml")
SIPP_TIMEOUT_S = 15
ANSWER_SDP = (b"v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
              b"m=audio 40002 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")


class Callee(threading.Thread):
    """Answers one INVITE with 180 then 200 (PCMU), takes the ACK and answers the BYE."""

    def __init__(self, ua: SipUA):
        super().__init__(daemon=True)
        self.ua = ua
        self.problem: str | None = None
        self.call_id: str | None = None

    def run(self) -> None:
        try:
            invite, addr = self.ua.recv(SIPP_TIMEOUT_S, is_request("INVITE"))
            self.call_id = invite.header("Call-ID")
            tag = secrets.token_hex(4)
            self.ua.send(response_to(invite, 180, "Ringing", tag), addr)
            self.ua.send(response_to(invite, 200, "OK", tag, self.ua.contact_uri(), ANSWER_SDP), addr)
            self.ua.recv(5.0, is_request("ACK"))
            bye, addr = self.ua.recv(SIPP_TIMEOUT_S, is_request("BYE"))
            self.ua.send(response_to(bye, 200, "OK", tag), addr)
        except HarnessError as error:
            self.problem = f"callee {self.ua.user}: {error}"


def sipp(command: list[str], workdir: str, timeout: float) -> tuple[int | str, str]:
    try:
        done = subprocess.run(command, cwd=workdir, capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return "killed (timeout)", ""
    return done.returncode, (done.stdout + done.stderr)[-1500:]


def error_logs(workdir: str) -> str:
    text = ""
    for name in sorted(os.listdir(workdir)):
        if name.endswith(("_errors.log", "_messages.log")):
            with open(os.path.join(workdir, name), errors="replace") as f:
                text += f"\n---- {name} ----\n" + f.read()[-2500:]
    return text


def place_call(args: argparse.Namespace, workdir: str) -> dict:
    host, _, port = args.server.rpartition(":")
    server = (host, int(port))
    callee = SipUA(server, args.callee, args.domain, args.callee_password)
    try:
        reply = callee.register(expires=300, algorithm="MD5")
        if reply.status != 200:
            raise HarnessError(f"callee {args.callee} REGISTER answered {reply.status}")
        answerer = Callee(callee)
        answerer.start()

        sip_port = free_udp_port()
        dialled = args.dial or args.callee
        # reg_md5.xml reads USER;PASSWORD;DOMAIN, call_uac.xml USER;PASSWORD;CALLEE;DOMAIN.
        register_users = os.path.join(workdir, "register.csv")
        with open(register_users, "w", encoding="utf-8") as out:
            out.write(f"SEQUENTIAL\n{args.caller};{args.caller_password};{args.domain}\n")
        call_users = os.path.join(workdir, "call.csv")
        with open(call_users, "w", encoding="utf-8") as out:
            out.write(f"SEQUENTIAL\n{args.caller};{args.caller_password};{dialled};{args.domain}\n")
        register = ["sipp", args.server, "-sf", REGISTER_SCENARIO, "-i", host, "-p", str(sip_port),
                    "-inf", register_users, "-m", "1", "-timeout", "10s", "-recv_timeout", "5000",
                    "-nostdin", "-trace_err"]
        status, output = sipp(register, workdir, 20)
        if status != 0:
            raise HarnessError(f"SIPp could not register {args.caller} (exit {status}):\n{output}"
                               + error_logs(workdir))
        print(f"SIPp registered {args.caller} from {host}:{sip_port}", file=sys.stderr, flush=True)
        call = ["sipp", args.server, "-sf", CALL_SCENARIO, "-i", host, "-p", str(sip_port),
                "-inf", call_users, "-m", "1", "-timeout", f"{SIPP_TIMEOUT_S}s", "-recv_timeout", "8000",
                "-auth_uri", f"{dialled}@{args.domain}", "-nostdin", "-trace_err", "-trace_msg"]
        status, output = sipp(call, workdir, SIPP_TIMEOUT_S + 5)
        answerer.join(5.0)
        if status != 0:
            raise HarnessError(f"SIPp call {args.caller} -> {args.callee} exit {status} "
                               f"(0 = answered and ended):\n{output}" + error_logs(workdir))
        if answerer.problem:
            raise HarnessError(answerer.problem)
        if answerer.is_alive() or not answerer.call_id:
            raise HarnessError(f"callee {args.callee} never finished its call")
        return {"call_id": answerer.call_id, "caller": args.caller, "callee": args.callee,
                "answered": True}
    finally:
        callee.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True, help="the server's SIP UDP HOST:PORT")
    parser.add_argument("--domain", required=True)
    parser.add_argument("--caller", required=True)
    parser.add_argument("--caller-password", required=True)
    parser.add_argument("--callee", required=True)
    parser.add_argument("--callee-password", required=True)
    parser.add_argument("--dial", help="the number SIPp calls (a ring group, say) when it is not "
                        "the callee's own; the callee must still be the phone that rings")
    args = parser.parse_args()
    if shutil.which("sipp") is None:
        print("FAIL: `sipp` not found (Debian package sip-tester: scripts/install-deps.sh)")
        return 1
    with tempfile.TemporaryDirectory(prefix="parley-sip-call-") as workdir:
        try:
            print(json.dumps(place_call(args, workdir)), flush=True)
        except HarnessError as error:
            print(f"FAIL: {error}", flush=True)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
