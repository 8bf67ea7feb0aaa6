#!/usr/bin/env python3
"""Calls of one phone on two workers (issue 6, decisions 0024, 0031 and 0041).

Python user agents with RTP peers on loopback (ports 60500–60999), a server with two workers.

1. B's two calls apart: 1001 (A) calls 1002 (B), answered, on worker w. 1004 (X) calls 1003,
   whose phone rings, with a Call-ID that hashes to the other worker; B picks that call up with
   **1003, which CallPlacement puts where it rings, so B now has a call on each worker. B's
   attended transfer (REFER in A's call with Replaces naming its pickup dialog) cannot join them:
   it is refused before it is accepted (501, no NOTIFY), and both calls go on: A and B, B and X
   still hear each other's tones (Goertzel). Then everyone hangs up cleanly.
2. A ring-group call picked up from the other worker: 1001 calls the ring group 600 (ring-all,
   member 1002) with a Call-ID that hashes to worker w, for w = 0, 1, 0, 1; 1004 picks it up
   (**1002, then *8 as a member of 1002's pickup group) with a Call-ID that hashes to the other
   worker. CallPlacement must carry the picker to w: 200, 1002's phone gets CANCEL "completed
   elsewhere", 1001 gets 200; in the first round they hear each other's tones.
"""

import os
import secrets
import sys
import urllib.parse

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from attended_transfer_test import owner  # noqa: E402
from call_client import DOMAIN, answer_bye, no_request  # noqa: E402
from media_peer import RtpPeer  # noqa: E402
from parley_harness import ParleyServer, report, run_cli, run_main  # noqa: E402
from pbx_scenario import (checker, finish, provisioned, registered,  # noqa: E402
                          run_scenarios, script_arguments, write_config)
import pickup_test  # noqa: E402
from pickup_test import Picker, Ringing  # noqa: E402
from sip_client import SipUA  # noqa: E402
from transfer_test import answered_call, exchange, make_sdp, relay_address  # noqa: E402

PASSWORDS = {"1001": "pw-1001-secret", "1002": "pw-1002-secret", "1003": "pw-1003-secret",
             "1004": "pw-1004-secret"}
PARLEY_PORTS = (60500, 60749)
PEER_PORTS = range(60750, 61000, 2)
WORKERS = 2
problems, check = checker()


def rtp_peer() -> RtpPeer:
    return RtpPeer(ports=PEER_PORTS)


# pickup_test's Ringing and Picker take their RTP peers from this: this test's own ports.
pickup_test.rtp_peer = rtp_peer


def replaces_uri(target: str, call_id: str, to_tag: str, from_tag: str) -> str:
    """A Refer-To URI for `target` whose Replaces names the dialog (RFC 3891, escaped)."""
    value = f"{call_id};to-tag={to_tag};from-tag={from_tag}"
    return f"<sip:{target}@{DOMAIN}?Replaces={urllib.parse.quote(value, safe='')}>"


def caller_call_id(worker: int) -> str:
    """A caller's Call-ID that hashes to `worker`."""
    return next(c for c in (secrets.token_hex(10) + "@caller" for _ in range(200))
                if owner(c) == worker)


def tag_of(header: str) -> str:
    return header.split("tag=", 1)[1].split(";", 1)[0] if "tag=" in header else ""


def scenario_attended_across_workers(server, uas):
    a_rtp, b_rtp = rtp_peer(), rtp_peer()
    ringing = picker = None
    try:
        a, b, a_to, b_to = answered_call(uas["1001"], uas["1002"], "1002",
                                         make_sdp(a_rtp.port, 0, "PCMU"),
                                         make_sdp(b_rtp.port, 0, "PCMU"))
        worker = owner(a.call_id)
        # X's call to 1003 rings on the other worker (both idle: placed by the hash).
        ringing = Ringing(uas["1004"], uas["1003"], callee="1003",
                          call_id=caller_call_id(1 - worker))
        # B picks it up: placed where it rings, whatever B's other call.
        picker = Picker(uas["1002-picker"], "**1003")
        if not check(picker.dial() == 200, f"**1003 answered {picker.answer.status}"):
            return
        ringing.expect_cancel(completed_elsewhere=True)
        x_ok = ringing.caller_answered("the picked-up call")
        print(f"  A's call on worker {worker}, the picked-up call on worker "
              f"{owner(ringing.caller.call_id)}", flush=True)

        pick = picker.caller
        refer_to = replaces_uri("1004", pick.call_id, tag_of(picker.answer.header("To")),
                                pick.from_tag)
        status = b.ask("REFER", [f"Refer-To: {refer_to}"])
        check(status == 501, f"attended transfer across workers: REFER {status}, expected 501")
        check(no_request(uas["1002"], "NOTIFY", 0.5), "a refused REFER was followed by a NOTIFY")

        exchange(a_rtp, a_to, "PCMU", b_rtp, b_to, "PCMU", "A <-> B after the refusal", check)
        exchange(ringing.rtp, relay_address(x_ok.body), "PCMU", picker.rtp,
                 relay_address(picker.answer.body), "PCMA", "X <-> B after the refusal", check)
        check(a.ask("BYE") == 200, "A's BYE not answered 200")
        answer_bye(uas["1002"], 3.0)
        check(picker.caller.hang_up(picker.answer) == 200, "B's BYE to X not answered 200")
        answer_bye(uas["1004"], 3.0)
    finally:
        for thing in (a_rtp, b_rtp, ringing, picker):
            if thing is not None:
                thing.close()


def scenario_ring_group_pickup(server, uas):
    rounds = [(0, "**1002"), (1, "**1002"), (0, "*8"), (1, "*8")]
    for number, (worker, code) in enumerate(rounds):
        ringing = Ringing(uas["1001"], uas["1002"], callee="600", call_id=caller_call_id(worker))
        picker_ua = SipUA(server.udp, "1004", DOMAIN, PASSWORDS["1004"])
        picker = Picker(picker_ua, code, worker=1 - worker)
        try:
            status = picker.dial()
            print(f"  ring group call on worker {worker}, {code} hashed to worker "
                  f"{owner(picker.caller.call_id)}: {status}", flush=True)
            if not check(status == 200, f"{code} for a ring-group call on worker {worker}: "
                                        f"{status}, expected 200"):
                ringing.caller.cancel()
                ringing.expect_cancel(completed_elsewhere=False)
                ringing.caller.final()
                continue
            ringing.expect_cancel(completed_elsewhere=True)
            a_ok = ringing.caller_answered("ring group pickup")
            if number == 0:
                exchange(ringing.rtp, relay_address(a_ok.body), "PCMU", picker.rtp,
                         relay_address(picker.answer.body), "PCMA", "ring group pickup", check)
            check(ringing.caller.hang_up(a_ok) == 200, "the caller's BYE not answered 200")
            answer_bye(picker_ua, 3.0)
        finally:
            ringing.close()
            picker.close()
            picker_ua.close()


def main():
    args = script_arguments()
    with provisioned(args.parley, "parley-cross-worker-", PASSWORDS) as (tmp, data):
        config = write_config(tmp, f"[server]\nworkers = {WORKERS}\n[media]\n"
                                   f"rtp_port_min = {PARLEY_PORTS[0]}\n"
                                   f"rtp_port_max = {PARLEY_PORTS[1]}\n")
        run_cli(args.parley, data, "ringgroup", "add", f"600@{DOMAIN}", "--strategy", "ring-all",
                "--members", "1002")
        run_cli(args.parley, data, "pickupgroup", "add", f"desk@{DOMAIN}", "--members",
                "1002,1004")
        with ParleyServer(args.parley, data_dir=data, args=["--config", config]) as server:
            uas = {ext: registered(server, ext, PASSWORDS, check)
                   for ext in ("1001", "1002", "1003", "1004")}
            uas["1002-picker"] = SipUA(server.udp, "1002", DOMAIN, PASSWORDS["1002"])
            scenarios = [
                ("attended transfer of two calls on two workers",
                 lambda: scenario_attended_across_workers(server, uas)),
                ("ring-group calls picked up from the other worker",
                 lambda: scenario_ring_group_pickup(server, uas)),
            ]
            run_scenarios(scenarios, check)
            for ua in uas.values():
                ua.close()
            finish(server, problems, check)
    return report(problems, "a phone's calls on two workers are handled cleanly")


if __name__ == "__main__":
    run_main(main)
