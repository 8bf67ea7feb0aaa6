#!/usr/bin/env python3
"""Schedules routed at chosen instants through the test-only clock (decision 0040).

`[testing] clock_offset_s` shifts the wall clock that schedules are evaluated at. The test
computes the offset that puts the server at a chosen instant, starts the server, and checks
where a call to the schedule's number goes. The server is restarted (same data folder) for
each instant, so the clock really moves while the schedule stays as it was written:

  schedule "office" 600, Europe/Berlin, mon-fri 09:00-17:00, holiday 2031-12-25,
  open -> 1002, closed -> 1003.

1. Wed 2031-03-12 10:00 Berlin (09:00 UTC): open, 1002 rings.
2. Wed 2031-03-12 20:00 Berlin: closed by the hours, 1003 rings.
3. Thu 2031-12-25 10:00 Berlin: a working hour on a holiday, closed, 1003 rings.
4. Wed 2031-07-16 17:30 Berlin summer time (15:30 UTC, inside 09-17 in UTC): closed, so the
   zone's DST offset is applied and not UTC.

The callee answers 486, which is enough to see where the schedule sent the call. Parley's RTP
ports are 59000-59199, the test peers' 59200-59399.
"""

import calendar
import os
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from call_client import DOMAIN, Caller, is_request, no_request, response_to  # noqa: E402
from media_peer import RtpPeer  # noqa: E402
from media_test import make_sdp  # noqa: E402
from parley_harness import ParleyServer, report, run_main, run_parley  # noqa: E402
from pbx_scenario import (checker, finish, media_config, provisioned, registered,  # noqa: E402
                          run_scenarios, script_arguments)
from sip_client import SipUA  # noqa: E402

PASSWORDS = {"1001": "pw-1001-secret", "1002": "pw-1002-secret", "1003": "pw-1003-secret"}
PEER_PORTS = range(59200, 59400, 2)
problems, check = checker()

# (what, UTC instant, extension that must ring)
INSTANTS = [
    ("open: Wed 10:00 CET", (2031, 3, 12, 9, 0, 0), "1002"),
    ("closed: Wed 20:00 CET", (2031, 3, 12, 19, 0, 0), "1003"),
    ("holiday: Thu 2031-12-25 10:00 CET", (2031, 12, 25, 9, 0, 0), "1003"),
    ("closed: Wed 17:30 CEST (open in UTC)", (2031, 7, 16, 15, 30, 0), "1003"),
]


def routed_to(server, agents, expected: str):
    other = "1003" if expected == "1002" else "1002"
    peer = RtpPeer(ports=PEER_PORTS)
    ua = SipUA(server.udp, "1001", DOMAIN, PASSWORDS["1001"])
    try:
        caller = Caller(ua, "600", make_sdp(peer.port, [(0, "PCMU/8000"),
                                                        (101, "telephone-event/8000")]))
        ok = caller.connect("calling schedule 600")
        invite, source = agents[expected].recv(5.0, is_request("INVITE"))
        print(f"  {expected} rang", flush=True)
        agents[expected].send(response_to(invite, 486, "Busy Here", "busy"), source)
        agents[expected].recv(3.0, is_request("ACK"))
        check(no_request(agents[other], "INVITE", 0.3), f"{other} rang too")
        check(caller.hang_up(ok) == 200, "BYE not answered 200")
    finally:
        peer.close()
        ua.close()


def add_schedule(parley: str, data: str):
    done = run_parley(parley, ["schedule", "add", f"office@{DOMAIN}", "--number", "600", "--zone",
                               "Europe/Berlin", "--hours", "mon-fri 09:00-17:00", "--holidays",
                               "2031-12-25", "--open", "1002", "--closed", "1003", "--data", data],
                      timeout=60.0)
    check(done.returncode == 0, f"schedule add: exit {done.returncode}, {done.stderr!r}")


def at_instant(parley: str, data: str, tmp: str, name: str, instant, expected: str):
    offset = calendar.timegm(instant) - int(time.time())
    config = media_config(tmp, 59000, 59199, f"[testing]\nclock_offset_s = {offset}\n")
    with ParleyServer(parley, data_dir=data, args=["--config", config, "--workers", "1"]) as server:
        agents = {}
        try:
            for ext in ("1002", "1003"):
                agents[ext] = registered(server, ext, PASSWORDS, check)
            run_scenarios([(name, lambda: routed_to(server, agents, expected))], check)
        finally:
            for ua in agents.values():
                ua.close()
        check("clock_offset_s" in server.stderr_text(), "no warning about the shifted clock")
        finish(server, problems, check)


def main():
    args = script_arguments()
    with provisioned(args.parley, "parley-schedule-clock-", PASSWORDS) as (tmp, data):
        add_schedule(args.parley, data)
        for name, instant, expected in INSTANTS:
            at_instant(args.parley, data, tmp, name, instant, expected)
    return report(problems, "schedules route by the test clock: open, closed, holiday, DST")


if __name__ == "__main__":
    run_main(main)
