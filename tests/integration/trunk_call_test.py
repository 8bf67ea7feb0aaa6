#!/usr/bin/env python3
"""Calls through SIP trunks (issue 11) with a real provider: Kamailio from Debian on
127.0.0.1:5190+ as the provider's proxy (it challenges Parley's INVITEs with digest, MD5 and
qop=auth, and relays them to the user agents registered at it), a SIPp UAS registered at
Kamailio as the outside numbers, and Parley's extensions as Python user agents.

Checked:
  1. 1001 dials the national number 020 7123 4567: the call leaves through trunk "provider"
     with the route's digits (442071234567: strip 1, prepend 44) and the route's caller-ID,
     answers Kamailio's 407 once, reaches the SIPp UAS and is answered; BYE ends it on both sides;
  2. 1001 dials 0033 1 23 45 67 89: the route tries trunk "dead" first (nothing listens on its
     port, no keep-alive), gives it up after the 5 s reply timeout and the call leaves through
     "provider" with the digits 33123456789;
  3. 1002 (without the international class) dials the same number: 403, and nothing reaches
     the provider; the refusal is logged as a warning naming tenant, extension and number;
  4. inbound: a SIPp UAC at the provider calls the DID 442070000001; Kamailio sends it to
     Parley from the trunk's address; extension 1003 (a Python UA registered at Parley) rings
     without any digest challenge of the provider, answers, and SIPp ends the call;
  5. an INVITE claiming the trunk's host from another address is refused with 403.
"""

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from call_client import DEFAULT_OFFER, Caller, is_request, response_to  # noqa: E402
from kamailio_peer import KamailioPeer, free_udp_ports, wait_until  # noqa: E402
from parley_harness import (HarnessError, ParleyServer, new_branch, parse_message,  # noqa: E402
                            provision, report, run_cli, run_main)
from pbx_scenario import checker  # noqa: E402
from sip_client import SipUA  # noqa: E402

DOMAIN = "example.com"
PASSWORDS = {"1001": "pw-1001-secret", "1002": "pw-1002-secret", "1003": "pw-1003-secret"}
TRUNK_USER = "acct"
TRUNK_PASSWORD = "s3cret-Trunk"
REALM = "provider.test"
DID = "442070000001"
problems, check = checker()


# After kamailio_peer's global settings (listen, mpath, one child, log to stderr).
KAMAILIO_CFG = """loadmodule "sl.so"
loadmodule "tm.so"
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"
modparam("usrloc", "db_mode", 0)
modparam("registrar", "min_expires", 1)
request_route {{
  xlog("L_NOTICE", "SEEN $rm ruri=$ru from=$fu to=$tu src=$si:$sp auth=$hdr(Proxy-Authorization)\\n");
  if (is_method("OPTIONS") && $rU == $null) {{ sl_send_reply("200", "OK"); exit; }}
  if (is_method("REGISTER")) {{ if (!save("location")) sl_reply_error(); exit; }}
  if (has_totag()) {{
    # SIPp's built-in UAC sends ACK and BYE to the proxy with the DID as Request-URI (no
    # Record-Route here): those belong to the call Parley took.
    if ($rU == "{did}") $du = "sip:127.0.0.1:{parley_port}";
    t_relay();
    exit;
  }}
  if (is_method("CANCEL") || is_method("ACK")) {{ if (t_check_trans()) t_relay(); exit; }}
  if (!is_method("INVITE")) {{ sl_send_reply("405", "Method Not Allowed"); exit; }}
  if ($si == "127.0.0.1" && $sp == {parley_port}) {{
    # From Parley's trunk: a provider wants the account's credentials.
    if (!pv_proxy_authenticate("{realm}", "{password}", "0")) {{
      proxy_challenge("{realm}", "1");
      exit;
    }}
    consume_credentials();
    xlog("L_NOTICE", "AUTHORISED INVITE ruri=$ru from=$fu\\n");
    if (!lookup("location")) {{ sl_send_reply("404", "Not Found"); exit; }}
    t_relay();
    exit;
  }}
  if ($rU == "{did}") {{
    # A call from the outside world to one of the customer's numbers: to Parley.
    $du = "sip:127.0.0.1:{parley_port}";
    t_relay();
    exit;
  }}
  sl_send_reply("404", "Not here");
}}
"""


class Kamailio(KamailioPeer):
    """Kamailio as the provider's proxy; its xlog lines ("SEEN ...", "AUTHORISED ...") go to its log."""

    def __init__(self, folder: str, port: int, parley_port: int):
        super().__init__(folder, port, KAMAILIO_CFG.format(
            parley_port=parley_port, realm=REALM, password=TRUNK_PASSWORD, did=DID))

    def seen(self, tag: str, since: int = 0) -> list[str]:
        return self.lines(tag, since)

    def register(self, user: str, contact_port: int) -> int:
        """Registers `user` at the provider with a Contact at the SIPp UAS (a third-party
        registration: SIPp's built-in UAS cannot REGISTER itself)."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.1", 0))
            sock.settimeout(2)
            aor = f"sip:{user}@127.0.0.1:{self.port}"
            request = (f"REGISTER sip:127.0.0.1:{self.port} SIP/2.0\r\n"
                       f"Via: SIP/2.0/UDP 127.0.0.1:{sock.getsockname()[1]};branch={new_branch()}\r\n"
                       f"Max-Forwards: 70\r\nFrom: <{aor}>;tag=r{user}\r\nTo: <{aor}>\r\n"
                       f"Call-ID: reg-{user}-{time.monotonic_ns()}\r\nCSeq: 1 REGISTER\r\n"
                       f"Contact: <sip:{user}@127.0.0.1:{contact_port}>\r\nExpires: 300\r\n"
                       "Content-Length: 0\r\n\r\n").encode()
            sock.sendto(request, ("127.0.0.1", self.port))
            return parse_message(sock.recv(65535)).status


def run_sipp(cmd: list[str], workdir: str, name: str) -> subprocess.Popen:
    out = open(os.path.join(workdir, name + ".out"), "wb")
    return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            cwd=workdir)


def finish(proc: subprocess.Popen, timeout: float) -> int | str:
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return f"killed after {timeout} s"


def call_out(server: ParleyServer, extension: str, number: str, timeout: float):
    """`extension` dials `number`; returns (final response, caller)."""
    ua = SipUA(server.udp, extension, DOMAIN, PASSWORDS[extension])
    caller = Caller(ua, number)
    caller.start()
    return caller.final(timeout), caller


def hang_up(caller: Caller, ok) -> int:
    caller.ack_2xx(ok)
    caller.in_dialog("BYE", ok, caller.cseq + 1)
    return caller.ua.final_response("BYE", 5).status


def sipp_invites(message_file: str) -> list[str]:
    """The INVITE requests the SIPp UAS received, whole."""
    if not os.path.exists(message_file):
        return []
    with open(message_file, errors="replace") as log:
        text = log.read()
    return re.findall(r"^INVITE sip:.*?(?=\r?\n\r?\n)", text, re.M | re.S)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parley", required=True)
    parser.add_argument("--data-dir")
    args = parser.parse_args()
    for tool in ("kamailio", "sipp"):
        if subprocess.run(["which", tool], capture_output=True).returncode != 0:
            print(f"FAIL: {tool} is not installed")
            return 1
    with tempfile.TemporaryDirectory(prefix="parley-trunk-call-") as tmp:
        data = os.path.join(tmp, "data")
        provision(args.parley, data, DOMAIN, PASSWORDS)
        provider_port, dead_port, uas_port = free_udp_ports(3, 5190, 5290)
        run_cli(args.parley, data, "tenant", "limits", DOMAIN, "--country", "44")
        run_cli(args.parley, data, "user", "permissions", f"1001@{DOMAIN}",
                "national,mobile,international")
        run_cli(args.parley, data, "trunk", "add", f"dead@{DOMAIN}", "--host", "127.0.0.1",
                "--port", str(dead_port), "--no-keepalive")
        with ParleyServer(args.parley, data_dir=data, args=["--workers", "2"]) as server:
            parley_port = server.udp[1]
            kamailio = Kamailio(os.path.join(tmp, "kamailio"), provider_port, parley_port)
            kamailio.start()
            try:
                # Added while Parley runs: trunks, routes and DIDs apply within a second.
                run_cli(args.parley, data, "trunk", "add", f"provider@{DOMAIN}", "--host",
                        "127.0.0.1", "--port", str(provider_port), "--username", TRUNK_USER,
                        "--password", TRUNK_PASSWORD)
                run_cli(args.parley, data, "route", "add", f"international@{DOMAIN}", "--prefix",
                        "00", "--strip", "2", "--trunks", "dead,provider", "--priority", "10")
                run_cli(args.parley, data, "route", "add", f"national@{DOMAIN}", "--prefix", "0",
                        "--strip", "1", "--prepend", "44", "--trunks", "provider", "--priority",
                        "20", "--caller-id", "+442079460000")
                run_cli(args.parley, data, "did", "add", f"{DID}@{DOMAIN}", "--to",
                        "extension:1003", "--trunk", "provider")
                run(args.parley, server, kamailio, tmp, uas_port)
            finally:
                kamailio.kill()
                if problems:
                    print("---- Parley log (tail) ----\n" + server.stderr_text()[-4000:])
                    print("---- Kamailio log (tail) ----\n" + kamailio.log()[-3000:])
    return report(problems, "calls through SIP trunks with Kamailio as the provider")


def run(binary: str, server: ParleyServer, kamailio: Kamailio, tmp: str, uas_port: int) -> None:
    for user in ("442071234567", "33123456789"):
        check(kamailio.register(user, uas_port) == 200, f"registering {user} at Kamailio failed")
    message_file = os.path.join(tmp, "uas_messages.log")
    uas = run_sipp(["sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", str(uas_port), "-nostdin",
                    "-m", "2", "-timeout", "30s", "-trace_msg", "-message_file", message_file],
                   tmp, "uas")
    # Give the trunk service its first reload (1 s poll) and SIPp its socket.
    time.sleep(1.2)

    print("1. an extension calls a national number through the trunk", flush=True)
    mark = len(kamailio.log())
    ok, caller = call_out(server, "1001", "02071234567", 8)
    if check(ok.status == 200, f"national call: final {ok.status}, expected 200"):
        check(hang_up(caller, ok) == 200, "BYE of the national call was not answered 200")
    caller.ua.close()
    invites = kamailio.seen("SEEN INVITE", mark)
    check(len(invites) == 2 and "auth=<null>" in invites[0] and 'username="acct"' in invites[1],
          f"expected one INVITE without and one with the trunk's credentials: {invites}")
    check(all("ruri=sip:442071234567@127.0.0.1" in line for line in invites),
          f"the route's digits (strip 1, prepend 44) should be the Request-URI user: {invites}")
    check(all("from=sip:+442079460000@" in line for line in invites),
          f"the route's caller-ID should be the From user: {invites}")
    received = wait_until(lambda: sipp_invites(message_file), 3)
    check(received and "To: <sip:442071234567@127.0.0.1" in received[0],
          f"the SIPp UAS should see the dialled digits in To: {received[:1]}")

    print("2. the first trunk is dead: failover to the second", flush=True)
    mark = len(kamailio.log())
    started = time.monotonic()
    ok, caller = call_out(server, "1001", "0033123456789", 12)
    elapsed = time.monotonic() - started
    if check(ok.status == 200, f"international call: final {ok.status}, expected 200"):
        check(hang_up(caller, ok) == 200, "BYE of the international call was not answered 200")
    caller.ua.close()
    check(4.5 <= elapsed <= 9, f"failover should take the 5 s reply timeout, took {elapsed:.1f} s")
    authorised = kamailio.seen("AUTHORISED INVITE", mark)
    check(len(authorised) == 1 and "ruri=sip:33123456789@127.0.0.1" in authorised[0],
          f"the call should reach the provider with digits 33123456789: {authorised}")
    check(wait_until(lambda: len(sipp_invites(message_file)) >= 2, 3),
          "the SIPp UAS never got the failed-over call")
    check("no answer at all from trunk dead@example.com" in server.stderr_text(),
          "Parley did not log the silent trunk")
    code = finish(uas, 10)
    check(code == 0, f"SIPp UAS exit {code} (0 = both calls completed)")

    print("3. no international class: 403", flush=True)
    mark = len(kamailio.log())
    refused, caller = call_out(server, "1002", "0033123456789", 5)
    caller.ua.close()
    check(refused.status == 403, f"international call of 1002: {refused.status}, expected 403")
    check(not kamailio.seen("SEEN INVITE", mark), "a refused call must not reach the provider")
    check(wait_until(lambda: re.search(r"outbound call refused \(403\): tenant example\.com "
                                       r"extension 1002 number 0033123456789",
                                       server.stderr_text()), 2),
          "the refusal was not logged with tenant, extension and number")

    print("4. inbound: the provider calls the DID, extension 1003 rings", flush=True)
    inbound(server, kamailio, tmp)

    print("5. an INVITE claiming to be the trunk from elsewhere: 403", flush=True)
    spoofed(server, kamailio)


def inbound(server: ParleyServer, kamailio: Kamailio, tmp: str) -> None:
    callee = SipUA(server.udp, "1003", DOMAIN, PASSWORDS["1003"])
    mark = len(kamailio.log())
    try:
        if not check(callee.register(expires=300).status == 200, "1003 REGISTER failed"):
            return
        uac = run_sipp(["sipp", f"127.0.0.1:{kamailio.port}", "-sn", "uac", "-s", DID,
                        "-i", "127.0.0.1", "-p", "0", "-nostdin", "-m", "1", "-timeout", "15s",
                        "-recv_timeout", "8000", "-d", "200", "-trace_err"], tmp, "uac")
        try:
            invite, source = callee.recv(8, is_request("INVITE"))
        except HarnessError as error:
            check(False, f"1003 never rang for the DID call: {error}")
            finish(uac, 10)
            return
        check(invite.header("Proxy-Authorization") is None,
              "Parley's INVITE to its own extension must not carry the provider's credentials")
        callee.send(response_to(invite, 180, "Ringing", "t1003"), source)
        callee.send(response_to(invite, 200, "OK", "t1003", callee.contact_uri(),
                                DEFAULT_OFFER), source)
        try:
            callee.recv(5, is_request("ACK"))
            bye, bye_source = callee.recv(8, is_request("BYE"))
            callee.send(response_to(bye, 200, "OK", "t1003"), bye_source)
        except HarnessError as error:
            check(False, f"the DID call did not end with ACK and BYE at 1003: {error}")
        code = finish(uac, 15)
        check(code == 0, f"SIPp UAC at the provider exit {code} (0 = the DID call completed)")
        looped = [line for line in kamailio.seen("SEEN INVITE", mark)
                  if f"src=127.0.0.1:{server.udp[1]} " in line]
        check(not looped, f"Parley must not send the DID call back to the provider: {looped}")
    finally:
        callee.close()


def spoofed(server: ParleyServer, kamailio: Kamailio) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(3)
        port = sock.getsockname()[1]
        request = (f"INVITE sip:{DID}@127.0.0.1:{server.udp[1]} SIP/2.0\r\n"
                   f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch={new_branch()};rport\r\n"
                   f"Max-Forwards: 70\r\nFrom: <sip:+447700900123@127.0.0.1>;tag=spoof\r\n"
                   f"To: <sip:{DID}@127.0.0.1>\r\nCall-ID: spoof-{time.monotonic_ns()}\r\n"
                   f"CSeq: 1 INVITE\r\nContact: <sip:x@127.0.0.1:{port}>\r\n"
                   "Content-Length: 0\r\n\r\n").encode()
        sock.sendto(request, server.udp)
        status = 0
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            reply = parse_message(sock.recv(65535))
            if reply.status >= 200:
                status = reply.status
                break
        check(status == 403, f"a spoofed trunk INVITE got {status}, expected 403")
        check("claims to come from trunk" in server.stderr_text(),
              "the spoofed trunk INVITE was not logged")


if __name__ == "__main__":
    run_main(main)
