#!/usr/bin/env python3
"""Feature codes dialled from a registered phone are carried out by the running `parley serve`
(decision 0028): Parley answers, changes the caller's own do-not-disturb or forwarding, speaks a
confirmation and hangs up; the dial plan follows within a second.

Python UAs on loopback: 1001 is registered (its phone) and dials codes from a second socket;
1002 calls 1001; 1003 is registered as a forward target.
1. 1001 dials *78: answered (200), a spoken confirmation with energy arrives over RTP, Parley
   sends BYE. `parley user show` says do-not-disturb on; 1002 -> 1001 gets 486, 1001 stays quiet.
2. *79: off again; 1002 -> 1001 rings 1001.
3. *721003: forward always to 1003; 1002 -> 1001 rings 1003 only. *73: cleared; 1001 rings.
4. *721001 (forward to oneself) is refused by the store: the call is still answered, the
   caller hears the failure prompt, nothing is stored.
5. *72 alone is refused 484, *99 404, both without an answer.

Parley's RTP ports are 48000-48499 and the test peer's 48500-48999 (no other test uses them).
"""

import os
import secrets
import subprocess
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from call_client import DOMAIN, Caller, is_request, response_to  # noqa: E402
from media_peer import RtpPeer, pcmu_samples, rms  # noqa: E402
from media_test import Sdp, make_sdp  # noqa: E402
from parley_harness import HarnessError, ParleyServer, report, run_main  # noqa: E402
from pbx_scenario import checker, media_config, provisioned, script_arguments  # noqa: E402
from sip_client import SipUA  # noqa: E402

PASSWORDS = {"1001": "pw-1001-secret", "1002": "pw-1002-secret", "1003": "pw-1003-secret"}
PEER_PORTS = range(48500, 49000, 2)
problems, check = checker()


def user_show(parley, data) -> dict[str, str]:
    result = subprocess.run([parley, "user", "show", f"1001@{DOMAIN}", "--data", data],
                            capture_output=True, text=True, timeout=20)
    check(result.returncode == 0, f"`parley user show` exit {result.returncode}: "
          f"{result.stderr.strip()}")
    shown = {}
    for line in result.stdout.splitlines():
        key, _, value = line.partition(":")
        shown[key.strip()] = value.strip()
    return shown


def silent(ua, seconds):
    """True when no INVITE arrives at `ua` for `seconds`."""
    try:
        ua.recv(seconds, is_request("INVITE"))
        return False
    except HarnessError:
        return True


def dial_code(server, code: str) -> list[int]:
    """1001 dials `code` from a fresh socket; returns the PCM Parley sent before its BYE."""
    peer = RtpPeer(ports=PEER_PORTS)
    ua = SipUA(server.udp, "1001", DOMAIN, PASSWORDS["1001"])
    try:
        caller = Caller(ua, code, make_sdp(peer.port, [(0, "PCMU/8000"),
                                                       (101, "telephone-event/8000")]))
        caller.start()
        ok = caller.final()
        if ok.status != 200:
            raise HarnessError(f"{code} answered {ok.status}, expected 200")
        caller.ack_2xx(ok)
        answer = Sdp(ok.body)
        check(48000 <= answer.port <= 48499, f"{code}: RTP port {answer.port} outside 48000-48499")
        started = time.monotonic()
        try:
            bye, addr = ua.recv(10.0, is_request("BYE"))
        except HarnessError:
            check(False, f"{code}: Parley did not hang up within 10 s")
            caller.in_dialog("BYE", ok, caller.cseq + 1)
            return []
        ua.send(response_to(bye, 200, "OK", ""), addr)
        took = time.monotonic() - started
        check(took < 8.0, f"{code}: the call lasted {took:.1f} s, expected a short confirmation")
        # The last packets; and the running server reloads its dial plan within a second of
        # the change (usually before the confirmation ends).
        time.sleep(1.0)
        return pcmu_samples(peer.packets(0), order="seq")
    finally:
        peer.close()
        ua.close()


def spoken(code: str, samples: list[int]) -> None:
    """The confirmation is speech-like: loud 20 ms frames for at least half a second."""
    frames = [samples[i:i + 160] for i in range(0, len(samples) - 159, 160)]
    loud = sum(1 for frame in frames if rms(frame) > 300)
    print(f"  {code}: {len(frames)} frames, {loud} with energy, rms {rms(samples):.0f}",
          flush=True)
    check(loud >= 25, f"{code}: only {loud} frames with energy, expected a spoken confirmation")


def call_1001(server, expect_status=None):
    """1002 calls 1001; returns the Caller (still ringing) unless a final status is expected."""
    ua = SipUA(server.udp, "1002", DOMAIN, PASSWORDS["1002"])
    caller = Caller(ua, "1001")
    caller.start()
    if expect_status is not None:
        try:
            final = caller.final()
            check(final.status == expect_status,
                  f"1002 -> 1001 got {final.status}, expected {expect_status}")
        finally:
            ua.close()
    return caller


def ring_and_decline(server, ringing, quiet):
    """1002 calls 1001: `ringing` gets the INVITE and declines it (486), `quiet` hears nothing."""
    caller = call_1001(server)
    try:
        invite, addr = ringing.recv(5.0, is_request("INVITE"))
        tag = secrets.token_hex(4)
        ringing.send(response_to(invite, 486, "Busy Here", tag), addr)
        final = caller.final()
        check(final.status == 486, f"declined call ended {final.status}")
        try:
            ringing.recv(2.0, is_request("ACK"))
        except HarnessError:
            pass
        if quiet is not None:
            check(silent(quiet, 0.3), f"{quiet.user} rang as well")
    except HarnessError as e:
        check(False, f"1002 -> 1001 should have rung {ringing.user}: {e}")
    finally:
        caller.ua.close()


def scenario_dnd(parley, data, server, phone_1001):
    print("- *78 turns do-not-disturb on", flush=True)
    spoken("*78", dial_code(server, "*78"))
    check(user_show(parley, data).get("do-not-disturb") == "on", "*78 did not turn DND on")
    call_1001(server, expect_status=486)
    check(silent(phone_1001, 0.3), "1001 rang while on do-not-disturb")
    print("- *79 turns it off", flush=True)
    spoken("*79", dial_code(server, "*79"))
    check(user_show(parley, data).get("do-not-disturb") == "off", "*79 did not turn DND off")
    ring_and_decline(server, phone_1001, None)


def scenario_forward(parley, data, server, phone_1001, phone_1003):
    print("- *721003 forwards every call to 1003", flush=True)
    spoken("*721003", dial_code(server, "*721003"))
    check(user_show(parley, data).get("forward always") == "1003",
          f"*721003 stored {user_show(parley, data).get('forward always')!r}")
    ring_and_decline(server, phone_1003, phone_1001)
    print("- *73 clears it", flush=True)
    spoken("*73", dial_code(server, "*73"))
    check(user_show(parley, data).get("forward always") == "-", "*73 did not clear the forward")
    ring_and_decline(server, phone_1001, phone_1003)


def scenario_refused(parley, data, server):
    print("- *721001 (to oneself) is answered with the failure prompt", flush=True)
    spoken("*721001", dial_code(server, "*721001"))
    check(user_show(parley, data).get("forward always") == "-", "a forward to oneself was stored")
    print("- *72 alone is 484, *99 is 404", flush=True)
    for code, status in (("*72", 484), ("*99", 404)):
        ua = SipUA(server.udp, "1001", DOMAIN, PASSWORDS["1001"])
        try:
            caller = Caller(ua, code)
            caller.start()
            final = caller.final()
            check(final.status == status, f"{code} got {final.status}, expected {status}")
        finally:
            ua.close()


def main():
    args = script_arguments()
    with provisioned(args.parley, "parley-codes-", PASSWORDS) as (tmp, data):
        config = media_config(tmp, 48000, 48499)
        with ParleyServer(args.parley, data_dir=data, args=["--config", config]) as server:
            phone_1001 = SipUA(server.udp, "1001", DOMAIN, PASSWORDS["1001"])
            phone_1003 = SipUA(server.udp, "1003", DOMAIN, PASSWORDS["1003"])
            try:
                check(phone_1001.register(expires=300).status == 200, "1001 REGISTER failed")
                check(phone_1003.register(expires=300).status == 200, "1003 REGISTER failed")
                for scenario in (lambda: scenario_dnd(args.parley, data, server, phone_1001),
                                 lambda: scenario_forward(args.parley, data, server, phone_1001,
                                                          phone_1003),
                                 lambda: scenario_refused(args.parley, data, server)):
                    try:
                        scenario()
                    except HarnessError as e:
                        check(False, str(e))
            finally:
                phone_1001.close()
                phone_1003.close()
            if problems:
                print("---- server stderr (tail) ----\n" + server.stderr_text()[-3000:])
            check(server.stop() == 0, "server did not exit 0 on SIGTERM")
    return report(problems, "feature codes change DND and forwarding from the phone")


if __name__ == "__main__":
    run_main(main)
