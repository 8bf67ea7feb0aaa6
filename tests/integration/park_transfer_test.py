#!/usr/bin/env python3
"""A retrieved parked call is transferred again (issue 6, decisions 0030 and 0041).

Python user agents with RTP peers on loopback, RTP 60000–60199, two workers:

1. Blind transfer of a retrieved call: 1001 calls 1002, 1002 parks it (REFER to 700), 1003
   dials 701 and talks to 1001; 1003 REFERs its call to 1004 → 202, NOTIFY 100 (active), NOTIFY
   200 (terminated), BYE to 1003. 1004 is rung from 1001 and answers; 1001 is re-INVITEd onto the
   new media; 1001 and 1004 hear each other's tones (Goertzel). 1004 hanging up ends 1001's call.
2. Refusals, each leaving the retrieved call as it was (both parties still hear each other):
   REFER to the retriever itself or to the parked party → 403 "Transfer Loop", to a number that
   is no extension → 404, with Replaces (attended transfer) → 501. Then the parked caller hangs
   up and the retriever gets BYE.
"""

import os
import secrets
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import park_test  # noqa: E402
from call_client import DOMAIN, answer_bye, is_request, response_to  # noqa: E402
from media_peer import RtpPeer  # noqa: E402
from park_test import (ParkedCall, Retriever, accept_reinvite, expect_hang_up,  # noqa: E402
                       expect_notify, hear_each_other, pcmu, retrieve)
from media_test import Sdp  # noqa: E402
from parley_harness import ParleyServer, report, run_main  # noqa: E402
from pbx_scenario import (finish, provisioned, registered, run_scenarios,  # noqa: E402
                          script_arguments, write_config)
from transfer_test import Dialog, uri_in  # noqa: E402

PASSWORDS = park_test.PASSWORDS
# park_test's helpers read these module constants: point them at this test's own ports.
park_test.PARLEY_PORTS = (60000, 60099)
park_test.PEER_PORTS = range(60100, 60200, 2)
problems, check = park_test.problems, park_test.check


def retriever_dialog(retriever: Retriever) -> Dialog:
    """The retriever's side of its answered call, to send REFER in it."""
    caller, answer = retriever.caller, retriever.answer
    return Dialog(retriever.ua, caller.call_id, f"<{retriever.ua.aor}>;tag={caller.from_tag}",
                  answer.header("To"), uri_in(answer.header("Contact")), caller.cseq)


def parked_and_retrieved(server, b_ua):
    parked = ParkedCall(server, b_ua, "700", note="701")
    retriever = retrieve(server, parked, "1003", "701")
    if retriever is None:
        parked.close()
    return parked, retriever


def scenario_blind_transfer(server, b_ua, d_ua):
    parked, retriever = parked_and_retrieved(server, b_ua)
    if retriever is None:
        return
    d_rtp = RtpPeer(ports=park_test.PEER_PORTS)
    try:
        status = retriever_dialog(retriever).ask("REFER", [f"Refer-To: <sip:1004@{DOMAIN}>"])
        if not check(status == 202, f"the retriever's REFER to 1004: {status}, expected 202"):
            return
        expect_notify(retriever.ua, "SIP/2.0 100", "active")
        expect_notify(retriever.ua, "SIP/2.0 200", "terminated")
        expect_hang_up(retriever.ua, "the retriever, after its transfer,")
        invite, addr = d_ua.recv(5.0, is_request("INVITE"))
        check("sip:1001@" in (invite.header("From") or ""),
              f"1004 is rung from {invite.header('From')!r}, expected the parked 1001")
        tag = secrets.token_hex(4)
        d_ua.send(response_to(invite, 200, "OK", tag, d_ua.contact_uri(), pcmu(d_rtp.port)), addr)
        d_ua.recv(3.0, is_request("ACK"))
        d_to = (Sdp(invite.body).ip, Sdp(invite.body).port)
        d = Dialog(d_ua, invite.header("Call-ID"), f"{invite.header('To')};tag={tag}",
                   invite.header("From"), uri_in(invite.header("Contact")), 0)
        a_to = accept_reinvite(parked.a_ua, parked.a_rtp)
        hear_each_other(parked.a_rtp, a_to, d_rtp, d_to, "1001 <-> 1004 after the transfer")
        check(d.ask("BYE") == 200, "1004's BYE was not answered 200")
        answer_bye(parked.a_ua, 3.0)
    finally:
        d_rtp.close()
        retriever.close()
        parked.close()


def scenario_refusals(server, b_ua):
    parked, retriever = parked_and_retrieved(server, b_ua)
    if retriever is None:
        return
    try:
        dialog = retriever_dialog(retriever)
        refusals = [
            ("the retriever itself", f"<sip:1003@{DOMAIN}>", 403),
            ("the parked party", f"<sip:1001@{DOMAIN}>", 403),
            ("no extension", f"<sip:1999@{DOMAIN}>", 404),
            ("an attended transfer",
             f"<sip:1004@{DOMAIN}?Replaces=abc%40host%3Bto-tag%3D1%3Bfrom-tag%3D2>", 501),
        ]
        for what, target, expected in refusals:
            status = dialog.ask("REFER", [f"Refer-To: {target}"])
            check(status == expected, f"REFER to {what}: {status}, expected {expected}")
        hear_each_other(parked.a_rtp, parked.a_to, retriever.rtp, retriever.to,
                        "1001 <-> 1003 after the refused REFERs")
        parked.a.send("BYE")
        expect_hang_up(retriever.ua, "the retriever, when the parked caller hung up,")
    finally:
        retriever.close()
        parked.close()


def main():
    args = script_arguments()
    with provisioned(args.parley, "parley-park-transfer-", PASSWORDS) as (tmp, data):
        low, high = park_test.PARLEY_PORTS
        config = write_config(tmp, f"[server]\nworkers = 2\n[media]\nrtp_port_min = {low}\n"
                                   f"rtp_port_max = {high}\n")
        with ParleyServer(args.parley, data_dir=data, args=["--config", config]) as server:
            b_ua = registered(server, "1002", PASSWORDS, check)
            d_ua = registered(server, "1004", PASSWORDS, check)
            scenarios = [
                ("blind transfer of a retrieved call",
                 lambda: scenario_blind_transfer(server, b_ua, d_ua)),
                ("refused transfers of a retrieved call", lambda: scenario_refusals(server, b_ua)),
            ]
            run_scenarios(scenarios, check)
            b_ua.close()
            d_ua.close()
            finish(server, problems, check)
    return report(problems, "a retrieved parked call is transferred again")


if __name__ == "__main__":
    run_main(main)
