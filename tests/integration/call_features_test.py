#!/usr/bin/env python3
"""Forwarding, do-not-disturb and ring groups through the real `parley serve` (decision 0018),
set with the CLI while the server runs and picked up without a restart.

Python UAs on loopback: 1001 calls; 1002 and 1003 are registered callees.
1. `parley user forward 1002 --always 1003`: a call to 1002 rings 1003 only; 1003 answers; the
   call record names 1003 as the callee.
2. `--clear all`, then `parley user dnd 1002 on`: a call to 1002 gets 486 and 1002 hears nothing.
3. A hunt group 800 (1002 then 1003, 5 s each): 1002 rings first and is cancelled after its
   time, then 1003 rings and answers.
4. A ring-all group 801: 1002 and 1003 ring at once; 1002 answers, 1003 is cancelled.
"""

import os
import secrets
import subprocess
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from call_client import (DOMAIN, Caller, answer_bye, answer_cancel, is_request,  # noqa: E402
                         no_request, response_to)
from parley_harness import ParleyServer, report, run_main  # noqa: E402
from pbx_scenario import (call_records, checker, finish, provisioned, registered,  # noqa: E402
                          run_scenarios, script_arguments)
from sip_client import SipUA  # noqa: E402

PASSWORDS = {"1001": "pw-1001-secret", "1002": "pw-1002-secret", "1003": "pw-1003-secret"}
problems, check = checker()


def cli(parley, data, *args):
    result = subprocess.run([parley, *args, "--data", data], capture_output=True, text=True,
                            timeout=20)
    check(result.returncode == 0, f"`parley {' '.join(args)}` exit {result.returncode}: "
          f"{result.stderr.strip()}")
    # The running server reloads within a second of a change.
    time.sleep(1.5)


def silent(ua, seconds):
    """True when no INVITE arrives at `ua` for `seconds`."""
    return no_request(ua, "INVITE", seconds)


def answer_and_hang_up(caller, callee, invite, addr, tag):
    callee.send(response_to(invite, 200, "OK", tag, callee.contact_uri()), addr)
    ok = caller.final()
    if not check(ok.status == 200, f"caller got {ok.status}, expected 200"):
        return
    caller.ack_2xx(ok)
    callee.recv(3.0, is_request("ACK"))
    caller.in_dialog("BYE", ok, caller.cseq + 1)
    answer_bye(callee)


def call_from_1001(server, callee: str, passwords: dict[str, str] = PASSWORDS):
    """1001 starts a call to `callee`; returns its UA (to close) and the Caller."""
    ua = SipUA(server.udp, "1001", DOMAIN, passwords["1001"])
    caller = Caller(ua, callee)
    caller.start()
    return ua, caller


def both_ring_b_answers(caller, b, c):
    """1002 (b) and 1003 (c) both ring; c reports ringing, b answers and the call ends; c's
    ringing is cancelled."""
    invite_b, addr_b = b.recv(5.0, is_request("INVITE"))
    invite_c, addr_c = c.recv(5.0, is_request("INVITE"))
    tag_c = secrets.token_hex(4)
    c.send(response_to(invite_c, 180, "Ringing", tag_c), addr_c)
    answer_and_hang_up(caller, b, invite_b, addr_b, secrets.token_hex(4))
    answer_cancel(c, invite_c, addr_c, tag_c)


def rings_only(server, callee: str, ringing, quiet, check, why: str,
               passwords: dict[str, str] = PASSWORDS):
    """1001 calls `callee`: `ringing` must ring and answers, then the call ends; `quiet` must
    not ring meanwhile (else check(False, why) with the caller's own check)."""
    ua, caller = call_from_1001(server, callee, passwords)
    try:
        invite, addr = ringing.recv(5.0, is_request("INVITE"))
        check(silent(quiet, 0.3), why)
        answer_and_hang_up(caller, ringing, invite, addr, secrets.token_hex(4))
    finally:
        ua.close()


def forward_always(parley, data, server, b, c):
    print("- forward always 1002 -> 1003", flush=True)
    cli(parley, data, "user", "forward", f"1002@{DOMAIN}", "--always", "1003")
    rings_only(server, "1002", c, b, check, "1002 rang although it forwards everything")
    cli(parley, data, "user", "forward", f"1002@{DOMAIN}", "--clear", "all")


def do_not_disturb(parley, data, server, b):
    print("- do-not-disturb on 1002", flush=True)
    cli(parley, data, "user", "dnd", f"1002@{DOMAIN}", "on")
    ua, caller = call_from_1001(server, "1002")
    try:
        final = caller.final()
        check(final.status == 486, f"DND: caller got {final.status}, expected 486")
        check(silent(b, 0.3), "1002 rang while on do-not-disturb")
    finally:
        ua.close()
    cli(parley, data, "user", "dnd", f"1002@{DOMAIN}", "off")


def hunt_group(parley, data, server, b, c):
    print("- hunt group 800: 1002 for 5 s, then 1003", flush=True)
    cli(parley, data, "ringgroup", "add", f"800@{DOMAIN}", "--name", "Sales", "--strategy",
        "hunt", "--members", "1002,1003", "--member-timeout", "5")
    ua, caller = call_from_1001(server, "800")
    try:
        tag_b = secrets.token_hex(4)
        invite_b, addr_b = b.recv(5.0, is_request("INVITE"))
        started = time.monotonic()
        b.send(response_to(invite_b, 180, "Ringing", tag_b), addr_b)
        check(silent(c, 1.0), "1003 rang before 1002's turn ended")
        cancel, caddr = b.recv(7.0, is_request("CANCEL"))
        elapsed = time.monotonic() - started
        check(4.0 <= elapsed <= 6.5, f"1002 rang {elapsed:.1f} s, configured 5 s")
        b.send(response_to(cancel, 200, "OK", tag_b), caddr)
        b.send(response_to(invite_b, 487, "Request Terminated", tag_b), addr_b)
        invite_c, addr_c = c.recv(3.0, is_request("INVITE"))
        answer_and_hang_up(caller, c, invite_c, addr_c, secrets.token_hex(4))
    finally:
        ua.close()


def ring_all_group(parley, data, server, b, c):
    print("- ring-all group 801: 1002 and 1003 at once", flush=True)
    cli(parley, data, "ringgroup", "add", f"801@{DOMAIN}", "--strategy", "ring-all",
        "--members", "1002,1003")
    ua, caller = call_from_1001(server, "801")
    try:
        both_ring_b_answers(caller, b, c)
    finally:
        ua.close()


def main():
    args = script_arguments()
    with provisioned(args.parley, "parley-features-", PASSWORDS) as (tmp, data):
        with ParleyServer(args.parley, data_dir=data) as server:
            b = registered(server, "1002", PASSWORDS, check)
            c = registered(server, "1003", PASSWORDS, check)
            try:
                run_scenarios([(None, lambda: forward_always(args.parley, data, server, b, c)),
                               (None, lambda: do_not_disturb(args.parley, data, server, b)),
                               (None, lambda: hunt_group(args.parley, data, server, b, c)),
                               (None, lambda: ring_all_group(args.parley, data, server, b, c))],
                              check)
            finally:
                b.close()
                c.close()
            time.sleep(0.5)  # call records are written asynchronously
            finish(server, problems, check)
        rows = call_records(data, "caller, callee, disposition")
        print("  " + "\n  ".join(map(str, rows)))
        check(rows[:1] == [("1001", "1003", "answered")],
              f"forwarded call recorded as {rows[:1]}, expected 1001 -> 1003 answered")
        check(("1001", "1002", "busy") in rows, "the DND refusal is not recorded as busy")
        check(("1001", "1003", "answered") in rows[1:], "the hunt group's answer is not recorded")
        check(("1001", "1002", "answered") in rows, "the ring-all answer is not recorded")
    return report(problems, "forwarding, do-not-disturb and ring groups work on a running server")


if __name__ == "__main__":
    run_main(main)
