#!/usr/bin/env python3
"""Park slots as BLF keys (issue 6) through `parley serve`: 1004 SUBSCRIBEs to the dialog event
package of sip:701@<domain>, a park slot, as a desk phone's BLF key does.

1. The slot is empty: the first NOTIFY's dialog-info has no dialog. The park code (700) and a
   number that is neither an extension nor a slot (799) are refused 404.
2. 1001 calls 1002, 1002 parks the call by a blind REFER to the slot itself (701): a NOTIFY
   with exactly one confirmed dialog, the parked party 1001 as remote. 1003 dials 701 and gets
   the call: the dialog is reported terminated, one version higher, and the lamp stays off
   while 1003 and 1001 talk and after they hang up (decision 0045: a slot's lamp says only
   whether a call waits in it; neither the retriever's call to 701 nor the parked call's own
   leg to 701 lights it).
3. Parked again (REFER to the park code 700, lands in 701), nobody retrieves it: when the park
   timeout (3 s) rings the parker back, the slot's dialog is reported terminated.
Media ports: Parley 56000-56499, the peers 56500-56999 (the presence helper's range).
"""

import os
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import park_test  # noqa: E402
from blf_client import Subscription, dialog_states  # noqa: E402
from call_client import DOMAIN, is_request, response_to  # noqa: E402
from parley_harness import HarnessError, ParleyServer, report, run_main  # noqa: E402
from pbx_scenario import (QUICK_PRESENCE, checker, finish, provisioned, registered,  # noqa: E402
                          run_scenarios, script_arguments, write_config)
from sip_client import SipUA  # noqa: E402

# park_test's helpers read these module globals: give them this test's own ports.
park_test.PARLEY_PORTS = (56000, 56499)
park_test.PEER_PORTS = range(56500, 57000, 2)
park_test.PASSWORDS = {"1001": "pw-1001-secret", "1002": "pw-1002-secret",
                       "1003": "pw-1003-secret", "1004": "pw-1004-secret"}
PASSWORDS = park_test.PASSWORDS
PARK_TIMEOUT_S = 3
problems, check = checker()
park_test.check = check  # its checks count as this test's


def expect_dialogs(watch, expected, what, timeout=3.0):
    """The next NOTIFY's [(direction, state)] must equal `expected`; returns (version, body)."""
    notify = watch.next_notify(timeout)
    version, dialogs = dialog_states(notify)
    check(dialogs == expected, f"{what}: dialogs {dialogs}, expected {expected}")
    return version, notify.body.decode(errors="replace")


def scenario_refusals(watcher_ua):
    for number in ("700", "799"):
        reply = Subscription(watcher_ua, number).subscribe()
        check(reply.status == 404, f"SUBSCRIBE dialog to {number}: {reply.status}, expected 404")


def expect_lamp_off(watch, seconds, what):
    """Every NOTIFY within `seconds` (there may be none) must show the slot empty: no dialog
    other than terminated ones."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            notify = watch.next_notify(left)
        except HarnessError:
            return
        _, dialogs = dialog_states(notify)
        check(all(state == "terminated" for _, state in dialogs),
              f"{what}: the slot's lamp is lit again: dialogs {dialogs}")


def scenario_retrieved(server, b_ua, watch):
    parked = park_test.ParkedCall(server, b_ua, "701", note="701")
    try:
        version, body = expect_dialogs(watch, [("recipient", "confirmed")], "call parked in 701")
        check("sip:1001@" in body, "the parked dialog does not name the parked party 1001")
        retriever = park_test.Retriever(server, "1003", "701")
        try:
            retriever.start()
            check(retriever.final() == 200, "1003 could not retrieve slot 701")
            later, dialogs = dialog_states(watch.next_notify(3.0))
            check(dialogs == [("recipient", "terminated")],
                  f"call retrieved: dialogs {dialogs}, expected only the parked one, terminated")
            check(later == version + 1, f"dialog-info version {later} after {version}")
            expect_lamp_off(watch, 1.5, "while 1003 talks with the retrieved call")
            retriever.hang_up()
            park_test.expect_hang_up(parked.a_ua, "the parked caller after the retriever left")
            expect_lamp_off(watch, 0.5, "after the retrieved call ended")
        finally:
            retriever.close()
    finally:
        parked.close()


def scenario_timed_out(server, b_ua, watch):
    parked = park_test.ParkedCall(server, b_ua, "700", note="701")
    try:
        started = time.monotonic()
        expect_dialogs(watch, [("recipient", "confirmed")], "call parked again")
        expect_dialogs(watch, [("recipient", "terminated")], "park timeout",
                       timeout=PARK_TIMEOUT_S + 3.0)
        took = time.monotonic() - started
        check(took >= PARK_TIMEOUT_S - 0.5, f"the slot emptied after {took:.1f} s, before the "
                                            f"{PARK_TIMEOUT_S} s timeout")
        # The parker is rung back; it declines, and the parked caller is let go.
        invite, addr = b_ua.recv(3.0, is_request("INVITE"))
        b_ua.send(response_to(invite, 486, "Busy Here", "busy"), addr)
    finally:
        parked.close()


def main():
    args = script_arguments()
    with provisioned(args.parley, "parley-park-blf-", PASSWORDS) as (tmp, data):
        low, high = park_test.PARLEY_PORTS
        config = write_config(tmp, f"[media]\nrtp_port_min = {low}\nrtp_port_max = {high}\n"
                                   f"[park]\ntimeout_s = {PARK_TIMEOUT_S}\nannounce = false\n"
                                   + QUICK_PRESENCE)
        with ParleyServer(args.parley, data_dir=data,
                          args=["--config", config, "--workers", "2"]) as server:
            b_ua = registered(server, "1002", PASSWORDS, check)
            watcher_ua = SipUA(server.udp, "1004", DOMAIN, PASSWORDS["1004"])
            watch = Subscription(watcher_ua, "701")
            try:
                check(watch.subscribe(expires=120).status == 200, "SUBSCRIBE dialog to 701")
                expect_dialogs(watch, [], "empty slot")
                run_scenarios([
                    ("refusals", lambda: scenario_refusals(watcher_ua)),
                    ("parked, then retrieved", lambda: scenario_retrieved(server, b_ua, watch)),
                    ("parked, then timed out", lambda: scenario_timed_out(server, b_ua, watch)),
                ], check)
            except HarnessError as error:
                check(False, str(error))
            finally:
                watcher_ua.close()
                b_ua.close()
            finish(server, problems, check)
    return report(problems, "park slot 701 shows as a BLF key: parked, retrieved, timed out")


if __name__ == "__main__":
    run_main(main)
