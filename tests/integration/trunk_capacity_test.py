#!/usr/bin/env python3
"""Trunk channels, `parley trunk status` and the brute-force ban on the trunk side (issue 11,
decision 0026), against Python providers (trunk_provider.py) peered by address.

  1. status: `parley trunk status --data DIR` shows what the running server knows: a peered
     trunk with keep-alive up, a registered trunk with its expiry, a trunk whose REGISTER the
     provider refuses (failed, 403), a disabled trunk;
  2. max_calls outbound: trunk "provider" (max 1) carries one call; the next call fails over to
     "backup" (max 1) without an INVITE to the full trunk; with both full a third call gets
     503 "All Trunks Busy" and no provider sees it; status shows 1/1 on both;
  3. max_calls inbound: a DID call from the full trunk gets 486 and rings nobody; once the
     outbound call ends the same DID call rings the extension;
  4. the ban: a source pretending to be the trunk (its From host, another address) gets 403 20
     times and is then banned from REGISTER too; a source failing INVITE digest likewise; the
     real provider's calls still go through.
"""

import os
import re
import socket
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from call_client import Caller, answer_bye, is_request, no_request, response_to  # noqa: E402
from parley_harness import (ParleyServer, new_branch, parse_message, report, run_cli,  # noqa: E402
                            run_main, run_parley)
from pbx_scenario import (checker, media_config, print_server_tail, provisioned,  # noqa: E402
                          registered, run_scenarios, script_arguments)
from sip_client import SipUA, digest_credentials, pick_challenge  # noqa: E402
from trunk_provider import Provider, ProviderCall, make_sdp  # noqa: E402

DOMAIN = "example.com"
PASSWORDS = {"1001": "pw-1001-secret", "1002": "pw-1002-secret", "1003": "pw-1003-secret",
             "1004": "pw-1004-secret"}
DID = "442070000001"
PROVIDER_PORTS = range(45950, 46000)
NO_MEDIA = make_sdp(45999)  # nobody listens there; these calls are about signalling
BAN_AFTER = 20  # [sip] max_failures_per_ip, the default
problems, check = checker()


def status_rows(binary: str, data: str) -> tuple[int, dict[str, str], str]:
    result = run_parley(binary, ["trunk", "status", "--data", data])
    rows = {}
    for line in result.stdout.splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 2:
            rows[fields[1]] = line
    return result.returncode, rows, result.stdout + result.stderr


def wait_for_status(binary: str, data: str, want, timeout: float) -> tuple[bool, str]:
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        code, rows, text = status_rows(binary, data)
        if code == 0 and want(rows):
            return True, text
        time.sleep(0.3)
    return False, text


def call_out(server: ParleyServer, extension: str, number: str) -> tuple[SipUA, Caller]:
    ua = SipUA(server.udp, extension, DOMAIN, PASSWORDS[extension])
    caller = Caller(ua, number, NO_MEDIA)
    caller.start()
    return ua, caller


def answer(provider: Provider, tag: str):
    invite, source = provider.recv(8, is_request("INVITE"))
    provider.send(response_to(invite, 200, "OK", tag, provider.contact(), NO_MEDIA), source)
    return invite


def nothing_for(provider: Provider, wait: float) -> bool:
    return no_request(provider, "INVITE", wait)


def hang_up(provider: Provider, caller: Caller, ok) -> None:
    caller.in_dialog("BYE", ok, caller.cseq + 1)
    answer_bye(provider, 5)
    check(caller.ua.final_response("BYE", 5).status == 200, "BYE not answered 200")


def did_call(server: ParleyServer, provider: Provider, ringer: SipUA | None) -> int:
    """A DID call from the provider; the extension, if it rings, declines with 480."""
    call = ProviderCall(provider, server.udp, DID, "+447700900123", NO_MEDIA)
    if ringer is not None:
        invite, source = ringer.recv(5, is_request("INVITE"))
        ringer.send(response_to(invite, 480, "Temporarily Unavailable", "t1004"), source)
    return call.final(8).status


def status(binary: str, data: str) -> None:
    ok, text = wait_for_status(binary, data, lambda rows: (
        "provider" in rows and re.search(r"\bpeered\b.*\bup\b", rows["provider"]) and
        "reg" in rows and re.search(r"\bregistered\s+200\s+in \d+ s\s+up\b", rows["reg"]) and
        "badreg" in rows and re.search(r"\bfailed\s+403\b", rows["badreg"]) and
        "off" in rows and re.search(r"\bdisabled\b.*\boff\b", rows["off"])), 8)
    print(text, flush=True)
    check(ok, f"trunk status did not show peered/up, registered with expiry, failed 403, "
              f"disabled:\n{text}")


def capacity(binary: str, data: str, server: ParleyServer, provider: Provider, backup: Provider,
             ringer: SipUA) -> None:
    print("2. max_calls outbound", flush=True)
    ua1, caller1 = call_out(server, "1001", "02071234567")
    answer(provider, "p1")
    ok1 = caller1.final(8)
    check(ok1.status == 200, f"first call: {ok1.status}, expected 200")
    caller1.ack_2xx(ok1)
    ua2, caller2 = call_out(server, "1002", "02079999999")
    answer(backup, "b1")
    ok2 = caller2.final(8)
    check(ok2.status == 200, f"second call: {ok2.status}, expected 200 through the backup")
    caller2.ack_2xx(ok2)
    check(nothing_for(provider, 0.3), "the full trunk must not get the second call's INVITE")
    ua3, caller3 = call_out(server, "1003", "02071111111")
    busy = caller3.final(8)
    check(busy.status == 503 and busy.reason == "All Trunks Busy",
          f"third call: {busy.status} {busy.reason}, expected 503 All Trunks Busy")
    check(nothing_for(provider, 0.3) and nothing_for(backup, 0.1),
          "a call refused for capacity must reach no provider")
    check("every trunk of route national is at its max_calls" in server.stderr_text(),
          "the capacity refusal was not logged")
    ok, text = wait_for_status(binary, data, lambda rows: (
        " 1/1 " in rows.get("provider", "") and " 1/1 " in rows.get("backup", "")), 4)
    check(ok, f"status should show 1/1 calls on both trunks:\n{text}")

    print("3. max_calls inbound", flush=True)
    refused = did_call(server, provider, None)
    check(refused == 486, f"a DID call on the full trunk: {refused}, expected 486")
    check("refused (486): trunk provider is at its limit of 1 calls" in server.stderr_text(),
          "the inbound capacity refusal was not logged")
    hang_up(provider, caller1, ok1)
    hang_up(backup, caller2, ok2)
    ok, text = wait_for_status(binary, data, lambda rows: (
        " 0/1 " in rows.get("provider", "") and " 0/1 " in rows.get("backup", "")), 4)
    check(ok, f"status should show 0/1 once the calls ended:\n{text}")
    check(did_call(server, provider, ringer) == 480,
          "with a free channel the DID call should ring 1004 (which declines with 480)")
    for ua in (ua1, ua2, ua3):
        ua.close()


def spoof_invite(sock: socket.socket, server: ParleyServer, trunk_host: str) -> int:
    port = sock.getsockname()[1]
    request = (f"INVITE sip:{DID}@127.0.0.1:{server.udp[1]} SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP 127.0.0.2:{port};branch={new_branch()};rport\r\n"
               f"Max-Forwards: 70\r\nFrom: <sip:+447700900123@{trunk_host}>;tag=spoof\r\n"
               f"To: <sip:{DID}@{trunk_host}>\r\nCall-ID: spoof-{time.monotonic_ns()}\r\n"
               f"CSeq: 1 INVITE\r\nContact: <sip:x@127.0.0.2:{port}>\r\n"
               "Content-Length: 0\r\n\r\n").encode()
    sock.sendto(request, server.udp)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        sock.settimeout(max(deadline - time.monotonic(), 0.01))
        try:
            reply = parse_message(sock.recv(65535))
        except socket.timeout:
            break
        if reply.status >= 200:
            return reply.status
    return 0


def register_from(server: ParleyServer, ip: str) -> int:
    ua = SipUA(server.udp, "1001", DOMAIN, PASSWORDS["1001"], bind_ip=ip)
    try:
        return ua.register(expires=60).status
    finally:
        ua.close()


def bans(server: ParleyServer, provider: Provider, ringer: SipUA) -> None:
    print("4a. a source pretending to be the trunk is banned", flush=True)
    check(register_from(server, "127.0.0.2") == 200, "127.0.0.2 should register before the scan")
    statuses = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.2", 0))
        for _ in range(BAN_AFTER):
            statuses.append(spoof_invite(sock, server, "127.0.0.1"))
    check(all(code == 403 for code in statuses), f"spoofed trunk INVITEs: {statuses}")
    check(register_from(server, "127.0.0.2") == 403,
          "after 20 spoofed trunk INVITEs the source should be banned from REGISTER as well")

    print("4b. a source failing INVITE digest is banned", flush=True)
    ua = SipUA(server.udp, "1002", DOMAIN, "wrong-password", bind_ip="127.0.0.3")
    try:
        final = 0
        for attempt in range(BAN_AFTER + 3):
            caller = Caller(ua, "1001", NO_MEDIA)
            ua.send(caller._invite(None))
            first = caller.final(3)
            if first.status != 407:
                final = first.status
                break
            creds = digest_credentials(pick_challenge(first.header_all("Proxy-Authenticate"),
                                                      "SHA-256"), "INVITE", caller.uri, "1002",
                                       "wrong-password")
            ua.send(caller._invite(creds))
            second = caller.final(3)
            if second.status != 407:
                final = second.status
                break
        check(final == 403 and attempt <= BAN_AFTER + 1,
              f"wrong INVITE digests: ended with {final} after {attempt + 1} attempts, "
              f"expected 403 within {BAN_AFTER + 1}")
    finally:
        ua.close()
    check(register_from(server, "127.0.0.3") == 403,
          "after failed INVITE digests the source should be banned from REGISTER as well")

    print("4c. the real provider is not affected", flush=True)
    check(did_call(server, provider, ringer) == 480, "the provider's DID call no longer rings")
    check(register_from(server, "127.0.0.1") == 200, "127.0.0.1 must not be banned")


def main() -> int:
    binary = script_arguments().parley
    with provisioned(binary, "parley-trunk-capacity-", PASSWORDS) as (tmp, data):
        provider = Provider(PROVIDER_PORTS)
        backup = Provider(PROVIDER_PORTS)
        registrar = Provider(PROVIDER_PORTS, register_status=200, grant_expires=120)
        refusing = Provider(PROVIDER_PORTS, register_status=403)
        ringer = None
        try:
            run_cli(binary, data, "tenant", "limits", DOMAIN, "--country", "44")
            for name, peer, extra in (("provider", provider, ["--max-calls", "1"]),
                                      ("backup", backup, ["--max-calls", "1"]),
                                      ("reg", registrar, ["--register", "--username", "acct",
                                                          "--password", "pw"]),
                                      ("badreg", refusing, ["--register", "--username", "acct",
                                                            "--password", "pw",
                                                            "--no-keepalive"]),
                                      ("off", refusing, ["--no-keepalive"])):
                run_cli(binary, data, "trunk", "add", f"{name}@{DOMAIN}", "--host", "127.0.0.1",
                        "--port", str(peer.port), *extra)
            run_cli(binary, data, "trunk", "disable", f"off@{DOMAIN}")
            run_cli(binary, data, "route", "add", f"national@{DOMAIN}", "--prefix", "0", "--strip",
                    "1", "--prepend", "44", "--trunks", "provider,backup")
            run_cli(binary, data, "did", "add", f"{DID}@{DOMAIN}", "--to", "extension:1004",
                    "--trunk", "provider")
            result = run_parley(binary, ["trunk", "status", "--data", data])
            check(result.returncode == 1 and "running?" in result.stderr,
                  f"without a server trunk status should say so: {result.stderr!r}")
            config = media_config(tmp, 45500, 45599, "[trunks]\nkeepalive_interval_s = 1\n")
            with ParleyServer(binary, data_dir=data,
                              args=["--config", config, "--workers", "2"]) as server:
                ringer = registered(server, "1004", PASSWORDS, check)
                run_scenarios((("1. trunk status", lambda: status(binary, data)),
                               ("2-3. max_calls", lambda: capacity(binary, data, server, provider,
                                                                   backup, ringer)),
                               ("4. bans", lambda: bans(server, provider, ringer))), check)
                print_server_tail(server, problems, 5000)
                server.stop()
            check(not os.path.exists(os.path.join(data, "trunk-status")),
                  "a stopped server should remove its trunk status file")
        finally:
            if ringer is not None:
                ringer.close()
            for peer in (provider, backup, registrar, refusing):
                peer.close()
    return report(problems, "trunk channels, trunk status and the trunk-side ban")


if __name__ == "__main__":
    run_main(main)
